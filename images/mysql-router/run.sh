#!/usr/bin/env bash
# Entrypoint of localhost/dbops/mysql-router:9.7: the project's own implementation
# of the official community-router image's contract (its /run.sh). Nothing here is
# taken from upstream.
#
# Contract:
# - First argument `mysqlrouter`: MYSQL_HOST, MYSQL_PORT, MYSQL_USER (or
#   MYSQL_USER_FILE) and MYSQL_PASSWORD (or MYSQL_PASSWORD_FILE) are required (the
#   list of them, then exit 1, when one is missing). Waits for the server's port
#   (12 tries, a growing pause), checks it accepts the account, optionally waits
#   for MYSQL_INNODB_CLUSTER_MEMBERS ONLINE group members, then bootstraps into
#   /tmp/mysqlrouter (--force; MYSQL_CREATE_ROUTER_USER=0 reuses MYSQL_USER, else
#   Router creates its own account; MYSQL_ROUTER_BOOTSTRAP_EXTRA_OPTIONS appended),
#   logs to the console and runs mysqlrouter with that configuration.
# - Any other command runs as given. This is how the collection runs a static
#   configuration without InnoDB Cluster metadata: `/usr/bin/mysqlrouter --config
#   FILE` (a first argument other than the bare word `mysqlrouter`).
#
# What cannot apply on the collection's clusters: the bootstrap needs InnoDB
# Cluster (or ReplicaSet) metadata, which GTID + semi-sync replication clusters do
# not have; against such a server it fails as the official image's does, with
# Router's own error.
set -eo pipefail

die() { echo "[Entrypoint] ERROR: $*" >&2; exit 1; }

if [ -n "${MYSQL_USER_FILE:-}" ] && [ -f "$MYSQL_USER_FILE" ]; then
    MYSQL_USER=$(cat "$MYSQL_USER_FILE")
fi

if [ "${1:-}" != 'mysqlrouter' ]; then
    exec "$@"
fi

if [ -z "${MYSQL_HOST:-}" ] || [ -z "${MYSQL_PORT:-}" ] || [ -z "${MYSQL_USER:-}" ] \
        || { [ -z "${MYSQL_PASSWORD:-}" ] && [ -z "${MYSQL_PASSWORD_FILE:-}" ]; }; then
    {
        echo "We require all of"
        echo "    MYSQL_HOST"
        echo "    MYSQL_PORT"
        echo "    MYSQL_USER or MYSQL_USER_FILE"
        echo "    MYSQL_PASSWORD or MYSQL_PASSWORD_FILE"
        echo "to be set."
        echo "In addition you can set"
        echo "    MYSQL_INNODB_CLUSTER_MEMBERS"
        echo "    MYSQL_CREATE_ROUTER_USER"
        echo "    MYSQL_ROUTER_BOOTSTRAP_EXTRA_OPTIONS"
        echo "Exiting."
    }
    exit 1
fi

password() {
    if [ -n "${MYSQL_PASSWORD_FILE:-}" ] && [ -f "$MYSQL_PASSWORD_FILE" ]; then
        cat "$MYSQL_PASSWORD_FILE"
    else
        printf '%s' "$MYSQL_PASSWORD"
    fi
}

# The password reaches the clients through files, never their command lines.
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
client_options=$workdir/client.cnf
answers=$workdir/answers
printf '[client]\npassword="%s"\n' "$(password)" > "$client_options"
# The bootstrap asks for the account's password, then (creating an account) once more.
{ password; echo; } > "$answers"
if [ -z "${MYSQL_CREATE_ROUTER_USER:-}" ]; then
    { password; echo; } >> "$answers"
    MYSQL_CREATE_ROUTER_USER=1
    echo "[Entrypoint] MYSQL_CREATE_ROUTER_USER is not set, Router will generate a new account to be used at runtime."
    echo "[Entrypoint] Set it to 0 to reuse $MYSQL_USER instead."
elif [ "$MYSQL_CREATE_ROUTER_USER" = 0 ]; then
    { password; echo; } >> "$answers"
    echo "[Entrypoint] MYSQL_CREATE_ROUTER_USER is 0, Router will reuse $MYSQL_USER account at runtime"
else
    echo "[Entrypoint] MYSQL_CREATE_ROUTER_USER is not 0, Router will generate a new account to be used at runtime"
fi
unset MYSQL_PASSWORD

tries=12
attempt=0
until (echo > "/dev/tcp/$MYSQL_HOST/$MYSQL_PORT") >/dev/null 2>&1; do
    echo "[Entrypoint] Waiting for mysql server $MYSQL_HOST ($attempt/$tries)"
    sleep $(( attempt++ ))
    (( attempt < tries )) || exit 1
done
echo "[Entrypoint] Succesfully contacted mysql server at $MYSQL_HOST:$MYSQL_PORT. Checking for cluster state."
client=(mysql --defaults-extra-file="$client_options" -u "$MYSQL_USER" -h "$MYSQL_HOST" -P "$MYSQL_PORT")
if [ -z "$("${client[@]}" -e 'SHOW STATUS' 2>/dev/null)" ]; then
    die "Can not connect to database. Exiting."
fi
if [ -n "${MYSQL_INNODB_CLUSTER_MEMBERS:-}" ]; then
    attempt=0
    until [ "$("${client[@]}" -N performance_schema -e "SELECT COUNT(MEMBER_STATE) >= $MYSQL_INNODB_CLUSTER_MEMBERS
            FROM replication_group_members WHERE MEMBER_STATE = 'ONLINE'" 2>/dev/null)" = 1 ]; do
        echo "[Entrypoint] Waiting for $MYSQL_INNODB_CLUSTER_MEMBERS cluster instances to become available via $MYSQL_HOST ($attempt/$tries)"
        sleep $(( attempt++ ))
        (( attempt < tries )) || exit 1
    done
    echo "[Entrypoint] Successfully contacted cluster with $MYSQL_INNODB_CLUSTER_MEMBERS members. Bootstrapping."
fi

bootstrap=(mysqlrouter --bootstrap "$MYSQL_USER@$MYSQL_HOST:$MYSQL_PORT" --directory /tmp/mysqlrouter --force)
if [ "$(id -u)" = 0 ]; then
    bootstrap+=(--user=mysqlrouter)
fi
if [ "$MYSQL_CREATE_ROUTER_USER" = 0 ]; then
    echo "[Entrypoint] Succesfully contacted mysql server at $MYSQL_HOST. Trying to bootstrap reusing account \"$MYSQL_USER\"."
    bootstrap+=(--account-create=never "--account=$MYSQL_USER")
else
    echo "[Entrypoint] Succesfully contacted mysql server at $MYSQL_HOST. Trying to bootstrap."
fi
# Extra options are words, as the official image splits them.
# shellcheck disable=SC2206
bootstrap+=(${MYSQL_ROUTER_BOOTSTRAP_EXTRA_OPTIONS:-})
"${bootstrap[@]}" < "$answers" || exit 1

# Logs to the console (docker logs), not a file in the container.
sed -i -e 's/^logging_folder=.*$/logging_folder=/' /tmp/mysqlrouter/mysqlrouter.conf
rm -rf "$workdir"
trap - EXIT
echo "[Entrypoint] Starting mysql-router."
exec "$@" --config /tmp/mysqlrouter/mysqlrouter.conf
