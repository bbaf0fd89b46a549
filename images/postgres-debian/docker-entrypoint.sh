#!/usr/bin/env bash
# Entrypoint of localhost/dbops/postgres:17 and :18 (both built from
# images/postgres-debian; PG_MAJOR and PGDATA, set from the build arguments,
# make the difference): the project's own implementation of the
# official `postgres` image's contract, adapted from
# images/postgres/docker-entrypoint.sh (15). Nothing here is taken from upstream.
#
# Contract: POSTGRES_PASSWORD, POSTGRES_USER (default postgres), POSTGRES_DB
# (default the user), POSTGRES_INITDB_ARGS (each also as *_FILE),
# POSTGRES_INITDB_WALDIR, POSTGRES_HOST_AUTH_METHOD (default scram-sha-256),
# PGDATA, /docker-entrypoint-initdb.d (*.sh run or sourced, *.sql,
# *.sql.gz/.xz/.zst, in POSTGRES_DB as POSTGRES_USER), server flags as
# arguments ("-" first: postgres is prepended), the postgres user (gosu when
# started as root). Called as docker-ensure-initdb.sh it initialises PGDATA if
# needed and exits; as docker-enforce-initdb.sh it fails if PGDATA exists.
#
# Official behaviours reproduced on purpose:
# - Local socket connections keep what initdb set (trust unless
#   POSTGRES_INITDB_ARGS says otherwise); every network client gets one
#   "host all all all POSTGRES_HOST_AUTH_METHOD" line.
# - PGPASSWORD is POSTGRES_PASSWORD while the init scripts run, so they can
#   connect even when local connections need a password.
# - 18 layout: PGDATA=/var/lib/postgresql/18/docker under a volume at
#   /var/lib/postgresql. When PGDATA is empty and data of another layout or
#   major is found (/var/lib/postgresql, /var/lib/postgresql/data,
#   /var/lib/postgresql/*/docker), or a volume is mounted at
#   /var/lib/postgresql/data, the container refuses to start rather than
#   initialise a new, empty cluster beside it.
set -eo pipefail
shopt -s nullglob

log() { echo "$(date -u +%FT%TZ) [Entrypoint]: $*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR or VAR_FILE, never both.
file_env() {
    local var=$1 file_var="${1}_FILE" def=${2:-}
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        die "both $var and $file_var are set (but are exclusive)"
    fi
    local val=$def
    if [ -n "${!var:-}" ]; then
        val=${!var}
    elif [ -n "${!file_var:-}" ]; then
        val=$(< "${!file_var}")
    fi
    export "$var"="$val"
    unset "$file_var"
}

setup_env() {
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
}

# refuse_other_layouts: PGDATA is empty; stop if the data may be elsewhere.
refuse_other_layouts() {
    [ "$PGDATA" = "/var/lib/postgresql/$PG_MAJOR/docker" ] || return 0
    local dir found=()
    for dir in /var/lib/postgresql /var/lib/postgresql/data /var/lib/postgresql/*/docker; do
        [ -s "$dir/PG_VERSION" ] && found+=("$dir (PostgreSQL $(< "$dir/PG_VERSION"))")
    done
    if [ ${#found[@]} -eq 0 ] && mountpoint -q /var/lib/postgresql/data; then
        found+=("/var/lib/postgresql/data (a volume is mounted there)")
    fi
    [ ${#found[@]} -eq 0 ] && return 0
    die "this image keeps its cluster in $PGDATA, with the volume at /var/lib/postgresql
    (one directory per major version, so that pg_upgrade --link works inside one volume).
    $PGDATA is empty, but PostgreSQL data seems to be elsewhere:
        ${found[*]}
    Refusing to initialise a new, empty cluster beside it. Mount the volume at
    /var/lib/postgresql; data from an older major version needs pg_upgrade (or a
    dump and restore) before this image can use it."
}

psql_init() {
    psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U "$POSTGRES_USER" "$@"
}

init_database() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        die "Database is uninitialized and superuser password is not specified.
    You must specify POSTGRES_PASSWORD to a non-empty value for the superuser."
    fi
    if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
        log "WARNING: POSTGRES_HOST_AUTH_METHOD=trust: every network client connects without a password"
    fi
    log "Initializing database files"
    local waldir=()
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then waldir=(--waldir "$POSTGRES_INITDB_WALDIR"); fi
    # The password goes through a pipe, never the command line.
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        "${waldir[@]}" $POSTGRES_INITDB_ARGS >/dev/null
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

    log "Starting temporary server"
    local args=''
    # printf '%q' of no arguments would pass one empty argument to postgres.
    if [ $# -gt 1 ]; then args=$(printf '%q ' "${@:2}"); fi
    export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    pg_ctl -D "$PGDATA" -o "$args -c listen_addresses='' -p ${PGPORT:-5432}" -w start >/dev/null
    if [ "$POSTGRES_DB" != postgres ]; then
        psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        # shellcheck disable=SC1090 # init scripts are the operator's
        case "$f" in
            *.sh)      log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
            *.sql)     log "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz)  log "running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
            *.sql.xz)  log "running $f"; xzcat "$f" | psql_init --dbname "$POSTGRES_DB" ;;
            *.sql.zst) log "running $f"; zstd -dc "$f" | psql_init --dbname "$POSTGRES_DB" ;;
            *)         log "ignoring $f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGPASSWORD
    log "PostgreSQL init process complete; ready for start up."
}

# Flags only: run the server with them, as the official image does.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

# Called under another name: initialise only (the server is not started).
mode=server
case "$(basename "$0")" in
    docker-ensure-initdb.sh)  mode=ensure ;;
    docker-enforce-initdb.sh) mode=enforce ;;
esac
if [ "$mode" != server ] && [ "${1:-}" != postgres ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$PGDATA" /var/run/postgresql
        # The 18 layout's version directory belongs to postgres too (pg_upgrade
        # creates the next major's beside it).
        if [ "$(dirname "$PGDATA")" = "/var/lib/postgresql/$PG_MAJOR" ]; then
            chown postgres:postgres "/var/lib/postgresql/$PG_MAJOR"
        fi
        find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
        chown postgres:postgres /var/run/postgresql
        chmod 700 "$PGDATA"
        [ -d /var/log/postgresql ] && chown postgres:postgres /var/log/postgresql
        exec gosu postgres "$0" "$@"
    fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        refuse_other_layouts
        setup_env
        init_database "$@"
    elif [ "$mode" = ensure ]; then
        log "database already initialized in $PGDATA"
    elif [ "$mode" = enforce ]; then
        die "a database already exists in $PGDATA"
    fi
    [ "$mode" = server ] || exit 0
    unset POSTGRES_PASSWORD
fi
exec "$@"
