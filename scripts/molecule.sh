#!/usr/bin/env bash
# Run every Molecule scenario this Docker host can run. A scenario that needs an
# official image the host does not have (no registry here) is reported as
# skipped with its reason, never as passed.
#
# The engine versions are parameters of the scenarios (environment variables read
# by their molecule.yml): DBOPS_MOLECULE_MYSQL_FLAVOR (mysql or mariadb),
# DBOPS_MOLECULE_MYSQL_IMAGE and DBOPS_MOLECULE_POSTGRES_IMAGE (set the flavor and
# the image together). Unset, default runs MariaDB 11.8 and PostgreSQL 18, mysql_cluster
# MySQL 9.7, failover MariaDB 11.8, postgresql_cluster PostgreSQL 18. For example:
#   DBOPS_MOLECULE_MYSQL_FLAVOR=mariadb DBOPS_MOLECULE_MYSQL_IMAGE=localhost/dbops/mariadb:10.11 \
#     scripts/molecule.sh mysql_cluster
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# scenario -> official image it needs ("" when the project's local images suffice)
declare -A NEEDS=([mongodb]="mongo:8.0" [mongodb_replicaset]="mongo:8.0")

has_image() {
    docker image inspect "$1" >/dev/null 2>&1 || docker pull -q "$1" >/dev/null 2>&1
}

status=0
# Every scenario under molecule/, or the ones named on the command line.
if [ $# -gt 0 ]; then
    scenarios=("$@")
else
    scenarios=()
    for dir in molecule/*/; do
        scenarios+=("$(basename "$dir")")
    done
fi
for scenario in "${scenarios[@]}"; do
    image=${NEEDS[$scenario]:-}
    if [ -n "$image" ] && ! has_image "$image"; then
        echo "molecule: SKIPPED scenario $scenario: image $image is not on this Docker host and cannot be pulled (no registry); it runs wherever the image exists"
        continue
    fi
    echo "molecule: scenario $scenario"
    molecule test -s "$scenario" || status=1
done
exit $status
