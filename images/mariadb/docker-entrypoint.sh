#!/usr/bin/env bash
# Entrypoint with the official mariadb image's contract (a subset of it).
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

# MARIADB_* wins over MYSQL_*, as in the official image.
mariadb_env() {
    file_env MYSQL_ROOT_PASSWORD
    file_env MARIADB_ROOT_PASSWORD "$MYSQL_ROOT_PASSWORD"
    file_env MYSQL_PASSWORD
    file_env MARIADB_PASSWORD "$MYSQL_PASSWORD"
    : "${MARIADB_DATABASE:=${MYSQL_DATABASE:-}}"
    : "${MARIADB_USER:=${MYSQL_USER:-}}"
    : "${MARIADB_ROOT_HOST:=${MYSQL_ROOT_HOST:-%}}"
    : "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:=${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
}

sql_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }

SOCKET=/run/mysqld/mysqld.sock
client() { mariadb --protocol=socket --socket="$SOCKET" -uroot; }

temp_server_start() {
    "$@" --skip-networking --socket="$SOCKET" --wsrep_on=OFF &
    TEMP_PID=$!
    for _ in $(seq 1 60); do
        if mariadb-admin --socket="$SOCKET" -uroot ping >/dev/null 2>&1; then return 0; fi
        kill -0 "$TEMP_PID" 2>/dev/null || die "temporary server failed to start"
        sleep 1
    done
    die "temporary server did not answer within 60 s"
}

temp_server_stop() {
    kill "$TEMP_PID"
    wait "$TEMP_PID" || true
}

init_database() {
    mariadb_env
    if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ]; then
        die "database is uninitialized and password option is not specified
    You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_FILE or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"
    fi
    log "Initializing database files"
    mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
        --auth-root-authentication-method=normal --rpm >/dev/null
    log "Starting temporary server"
    temp_server_start "$@"
    local root_pw user_pw
    root_pw=$(sql_escape "$MARIADB_ROOT_PASSWORD")
    # SQL_LOG_BIN=0: the init statements must not reach the binary log, or
    # replicas in GTID strict mode stop on them (MariaDB error 1950).
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DELETE FROM mysql.user WHERE user NOT IN ('mysql.sys', 'mariadb.sys', 'root', 'mysql') OR host NOT IN ('localhost');"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
        if [ "$MARIADB_ROOT_HOST" != "localhost" ]; then
            echo "CREATE USER 'root'@'$MARIADB_ROOT_HOST' IDENTIFIED BY '$root_pw';"
            echo "GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
        fi
        echo "DROP DATABASE IF EXISTS test;"
        if [ -n "$MARIADB_DATABASE" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
        fi
        if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
            user_pw=$(sql_escape "$MARIADB_PASSWORD")
            echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$user_pw';"
            if [ -n "$MARIADB_DATABASE" ]; then
                echo "GRANT ALL ON \`$MARIADB_DATABASE\`.* TO '$MARIADB_USER'@'%';"
            fi
        fi
        echo "FLUSH PRIVILEGES;"
    } | client
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        # shellcheck disable=SC1090 # init scripts are the operator's
        case "$f" in
            *.sh)     log "running $f"; . "$f" ;;
            *.sql)    log "running $f"; { echo "SET @@SESSION.SQL_LOG_BIN=0;"; cat "$f"; } | MYSQL_PWD="$MARIADB_ROOT_PASSWORD" client ;;
            *.sql.gz) log "running $f"; { echo "SET @@SESSION.SQL_LOG_BIN=0;"; gunzip -c "$f"; } | MYSQL_PWD="$MARIADB_ROOT_PASSWORD" client ;;
            *)        [ -e "$f" ] && log "ignoring $f" ;;
        esac
    done
    temp_server_stop
    log "MariaDB init process done. Ready for start up."
}

# Flags only: run the server with them, as the official image does.
if [ "${1:0:1}" = '-' ]; then
    set -- mariadbd "$@"
fi

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
    # As the official image: read the configuration once, and say why it fails.
    if ! help_output=$("$@" --verbose --help 2>&1 >/dev/null); then
        die "mariadbd failed while attempting to check config
    command was: $* --verbose --help
    $help_output"
    fi
    DATADIR=$("$@" --verbose --help 2>/dev/null | awk '$1 == "datadir" { print $2; exit }')
    DATADIR=${DATADIR:-/var/lib/mysql}
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$DATADIR" /run/mysqld
        chown mysql:mysql "$DATADIR" /run/mysqld
        # A named log volume starts root-owned; the server writes the slow log there.
        [ -d /var/log/mysql ] && chown mysql:mysql /var/log/mysql
        exec gosu mysql "${BASH_SOURCE[0]}" "$@"
    fi
    if [ ! -d "$DATADIR/mysql" ]; then
        init_database "$@"
    fi
fi
exec "$@"
