#!/usr/bin/env bash
# Entrypoint with the official postgres image's contract (a subset of it).
set -eo pipefail

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

psql_init() {
    PGPASSWORD='' psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -U "$POSTGRES_USER" "$@"
}

init_database() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        die "Database is uninitialized and superuser password is not specified.
    You must specify POSTGRES_PASSWORD to a non-empty value for the superuser."
    fi
    log "Initializing database files"
    # The password goes through a pipe, never the command line.
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        $POSTGRES_INITDB_ARGS >/dev/null
    # Local socket connections stay trusted (as in the official image); every
    # network client authenticates.
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

    log "Starting temporary server"
    local args=''
    # printf '%q' of no arguments would pass one empty argument to postgres.
    if [ $# -gt 1 ]; then args=$(printf '%q ' "${@:2}"); fi
    pg_ctl -D "$PGDATA" -o "$args -c listen_addresses='' -p 5432" -w start >/dev/null
    if [ "$POSTGRES_DB" != postgres ]; then
        psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        # shellcheck disable=SC1090 # init scripts are the operator's
        case "$f" in
            *.sh)     log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
            *.sql)    log "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) log "running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
            *)        [ -e "$f" ] && log "ignoring $f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    log "PostgreSQL init process complete; ready for start up."
}

# Flags only: run the server with them, as the official image does.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$PGDATA" /var/run/postgresql
        chown postgres:postgres "$PGDATA" /var/run/postgresql
        chmod 700 "$PGDATA"
        [ -d /var/log/postgresql ] && chown postgres:postgres /var/log/postgresql
        exec gosu postgres "${BASH_SOURCE[0]}" "$@"
    fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        setup_env
        init_database "$@"
    fi
    unset POSTGRES_PASSWORD
fi
exec "$@"
