#!/usr/bin/env bash
# Build the project's local images, offline: Debian base images made with
# debootstrap (bookworm, and trixie/sid for the newer servers), then one image
# per name below, from its directory under images/ (several names may share one
# directory, with different build arguments), FROM the base its suite names.
# Every image carries a label with the hash of what it was built from (base,
# files, build arguments), and is rebuilt only when that hash changes, so a
# second run takes seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# image name (as given on the command line) -> tag
declare -A TAGS=(
    [mariadb]=localhost/dbops/mariadb:10.11
    [postgres]=localhost/dbops/postgres:15
    [dbhost]=localhost/dbops/dbhost:bookworm
    [tools]=localhost/dbops/tools:bookworm
    [haproxy]=localhost/dbops/haproxy:2.6
    [pgbouncer]=localhost/dbops/pgbouncer:1.18
    [prometheus]=localhost/dbops/prometheus:2.42
    [alertmanager]=localhost/dbops/alertmanager:0.25
    [mysqld-exporter]=localhost/dbops/mysqld-exporter:0.19
    [postgres-exporter]=localhost/dbops/postgres-exporter:0.19
    [watcher]=localhost/dbops/watcher:bookworm
    [mysql-9.7]=localhost/dbops/mysql:9.7
    [mariadb-11.8]=localhost/dbops/mariadb:11.8
    [postgres-17]=localhost/dbops/postgres:17
    [postgres-18]=localhost/dbops/postgres:18
    [mysqltuner]=localhost/dbops/mysqltuner:2.9
    [mysql-router]=localhost/dbops/mysql-router:9.7
)
# The Debian suite an image builds FROM (localhost/dbops/debian:SUITE);
# bookworm unless named here.
declare -A SUITES=(
    [mysql-9.7]=sid
    [mariadb-11.8]=trixie
    [postgres-17]=trixie
    [postgres-18]=sid
    [mysqld-exporter]=sid
    [postgres-exporter]=sid
    [mysqltuner]=sid
    [mysql-router]=sid
)
# The directory under images/ an image builds from; the name itself unless named here.
declare -A DIRS=(
    [mariadb-11.8]=mariadb
    [postgres-17]=postgres-debian
    [postgres-18]=postgres-debian
)
# Build arguments besides BASE, as NAME=VALUE words (no spaces in a value); none
# unless named here. They are part of the image's content hash.
declare -A ARGS=(
    [mariadb]="MARIADB_MAJOR=10.11"
    [mariadb-11.8]="MARIADB_MAJOR=11.8"
    [postgres-17]="PG_MAJOR=17 PGDATA=/var/lib/postgresql/data PG_VOLUME=/var/lib/postgresql/data"
    [postgres-18]="PG_MAJOR=18 PGDATA=/var/lib/postgresql/18/docker PG_VOLUME=/var/lib/postgresql"
)

dir_of() { echo "$ROOT/images/${DIRS[$1]:-$1}"; }

# Every image whose directory exists, in a fixed order (the database images first).
DEFAULT_ORDER=(mariadb postgres dbhost tools haproxy pgbouncer prometheus alertmanager mysqld-exporter postgres-exporter watcher
    mysql-9.7 mariadb-11.8 postgres-17 postgres-18 mysqltuner mysql-router)
if [ $# -gt 0 ]; then
    ONLY="$*"
else
    ONLY=""
    for name in "${DEFAULT_ORDER[@]}"; do
        [ -d "$(dir_of "$name")" ] && ONLY="$ONLY $name"
    done
fi

label_of() {  # image label -> value, or empty when the image is absent
    docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

suite_of() { echo "${SUITES[$1]:-bookworm}"; }
base_tag() { echo "localhost/dbops/debian:$1"; }

build_base() {  # build_base SUITE
    # The recipe is this text: it is the base image's content hash.
    local suite=$1 tag recipe hash
    tag=$(base_tag "$suite")
    recipe="debootstrap --variant=minbase $suite"
    hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
    if [ "$(label_of "$tag" dbops.context-hash)" = "$hash" ]; then
        return 0
    fi
    echo "build-images: $tag (debootstrap, about a minute)" >&2
    local dir log=/tmp/dbops-debootstrap-$suite.log start=$SECONDS
    dir=$(mktemp -d /tmp/dbops-rootfs.XXXXXX)
    debootstrap --variant=minbase "$suite" "$dir" >"$log" 2>&1 || {
        tail -n 20 "$log" >&2; rm -rf "$dir"; return 1; }
    # Keep image layers small: no apt lists or caches in the base.
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin
    tar -C "$dir" -c . | docker import \
        --change "LABEL dbops.context-hash=$hash" \
        --change 'CMD ["bash"]' - "$tag" >/dev/null
    rm -rf "$dir"
    echo "build-images: $tag built in $((SECONDS - start)) s" >&2
}

build_bases() {  # the bases the selected images need, debootstrapped in parallel
    local name suite pid pids=()
    local -A suites=()
    for name in $ONLY; do suites[$(suite_of "$name")]=1; done
    for suite in "${!suites[@]}"; do
        build_base "$suite" &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
}

context_hash() {  # context_hash DIR BASE [ARGS]: hash of the base image id,
    # every file of the context, and the build arguments (none: no line, so an
    # image without arguments keeps the hash it had before ARGS existed)
    local dir=$1 args=${3:-} base_id
    base_id=$(docker image inspect --format '{{.Id}}' "$2")
    {
        echo "$base_id"
        (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
        if [ -n "$args" ]; then echo "build-args: $args"; fi
    } | sha256sum | cut -c1-16
}

build_one() {
    local name=$1 tag=${TAGS[$1]} args=${ARGS[$1]:-} dir base hash arg words
    dir=$(dir_of "$name")
    base=$(base_tag "$(suite_of "$name")")
    hash=$(context_hash "$dir" "$base" "$args")
    if [ "$(label_of "$tag" dbops.context-hash)" = "$hash" ]; then
        echo "build-images: $tag is up to date" >&2
        return 0
    fi
    echo "build-images: building $tag" >&2
    local log=/tmp/dbops-build-$name.log start=$SECONDS
    local build_args=(--build-arg "BASE=$base")
    read -ra words <<<"$args"
    for arg in "${words[@]}"; do build_args+=(--build-arg "$arg"); done
    docker build "${build_args[@]}" --label "dbops.context-hash=$hash" \
        -t "$tag" "$dir" >"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
    echo "build-images: $tag built in $((SECONDS - start)) s" >&2
}

"$ROOT/scripts/ensure-docker.sh"
build_bases
for name in $ONLY; do
    build_one "$name"
done
