#!/usr/bin/env bash
# Entrypoint of localhost/dbops/mariadb:10.11 and :11.8: the project's own
# implementation of the official `mariadb` image's contract. Nothing here is
# taken from upstream.
#
# Contract: MARIADB_* or MYSQL_* (MARIADB_* wins) ROOT_PASSWORD(_FILE),
# ALLOW_EMPTY_ROOT_PASSWORD (MYSQL_ALLOW_EMPTY_PASSWORD), RANDOM_ROOT_PASSWORD,
# ROOT_HOST (default %), DATABASE, USER, PASSWORD(_FILE), INITDB_SKIP_TZINFO;
# MARIADB_AUTO_UPGRADE; /docker-entrypoint-initdb.d (*.sh run or sourced, *.sql,
# *.sql.gz/.xz/.zst); server flags as arguments; mariadb* command names only.
#
# Official behaviours reproduced on purpose (the official 10.11 and 11.8
# entrypoints share them; a kinder stand-in would hide the replication bugs
# they cause):
# - The time zones load with --skip-write-binlog and the root/system-user block
#   runs with SQL_LOG_BIN=0, but MARIADB_DATABASE, MARIADB_USER, its grant and
#   the init .sql files ARE written to the binary log: with --log-bin a fresh
#   node shows gtid_binlog_pos 0-<server_id>-3 (database, user, grant).
# - Passwords are escaped as SQL string literals (' \ and newlines), with
#   NO_BACKSLASH_ESCAPES cleared for the session.
# - mariadb-install-db gets the server flags (those without whitespace) but
#   never writes a binary log.
# - MARIADB_AUTO_UPGRADE: a data directory from an older major/minor release is
#   upgraded (mariadb-upgrade) after a dump of the mysql schema into the data
#   directory; without it the entrypoint only says that an upgrade is due.
# Not reproduced: *_PASSWORD_HASH, REPLICATION_*/MASTER_*, the healthcheck
# users and healthcheck.sh (the collection's healthcheck queries as root),
# restoring a mariadb-backup tarball from /docker-entrypoint-initdb.d.
set -eo pipefail
shopt -s nullglob

log() { echo "$(date -u +%FT%TZ) [Note] [Entrypoint]: $*"; }
warn() { echo "$(date -u +%FT%TZ) [Warn] [Entrypoint]: $*" >&2; }
die() { echo "$(date -u +%FT%TZ) [ERROR] [Entrypoint]: $*" >&2; exit 1; }

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
    local name mysql_var
    for name in ROOT_PASSWORD PASSWORD DATABASE USER; do
        mysql_var=MYSQL_$name
        file_env "$mysql_var"
        file_env "MARIADB_$name" "${!mysql_var}"
    done
    file_env MYSQL_ROOT_HOST %
    file_env MARIADB_ROOT_HOST "$MYSQL_ROOT_HOST"
    : "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:=${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
    : "${MARIADB_RANDOM_ROOT_PASSWORD:=${MYSQL_RANDOM_ROOT_PASSWORD:-}}"
    : "${MARIADB_INITDB_SKIP_TZINFO:=${MYSQL_INITDB_SKIP_TZINFO:-}}"
}

# A value for a '...' literal: backslash, quote and newline escaped.
sql_escape() {
    local s=${1//\\/\\\\}
    s=${s//$'\n'/\\n}
    printf '%s' "${s//\'/\\\'}"
}

# config NAME SERVER-COMMAND...: the value the server would use for NAME.
config() {
    local name=$1; shift
    "$@" --verbose --help 2>/dev/null | awk -v name="$name" '$1 == name && /^[^ \t]/ { print $2; exit }'
}

# client [--no-password] [options]: the root session on the socket; the
# password through the environment, never the command line.
client() {
    local pw=${MARIADB_ROOT_PASSWORD:-}
    if [ "${1:-}" = --no-password ]; then pw=''; shift; fi
    MYSQL_PWD=$pw mariadb --protocol=socket --socket="$SOCKET" -uroot "$@"
}

run_sql() {
    if [ -n "$MARIADB_DATABASE" ]; then client --database="$MARIADB_DATABASE"; else client; fi
}

temp_server_start() {
    "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --wsrep_on=OFF \
        --expire-logs-days=0 --skip-slave-start --loose-innodb_buffer_pool_load_at_startup=0 &
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
    if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] \
        && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
        die "database is uninitialized and password option is not specified
    You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_FILE, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD or MARIADB_RANDOM_ROOT_PASSWORD"
    fi
    log "Initializing database files"
    local arg flags=()
    for arg in "${@:2}"; do
        if [[ $arg =~ [[:space:]] ]]; then
            warn "not passing '$arg' to mariadb-install-db (it cannot take whitespace)"
        else
            flags+=("$arg")
        fi
    done
    mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
        "${flags[@]}" --skip-test-db --skip-log-bin --cross-bootstrap --default-time-zone=SYSTEM \
        --expire-logs-days=0 --loose-innodb_buffer_pool_load_at_startup=0 \
        --loose-innodb_buffer_pool_dump_at_shutdown=0 >/dev/null
    log "Starting temporary server"
    temp_server_start "$@"

    if [ -z "$MARIADB_INITDB_SKIP_TZINFO" ]; then
        mariadb-tzinfo-to-sql --skip-write-binlog /usr/share/zoneinfo | client --no-password --database=mysql
    fi
    if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
        MARIADB_ROOT_PASSWORD=$(pwgen --numerals --capitalize --symbols --remove-chars="'\\" -1 32)
        export MARIADB_ROOT_PASSWORD
        log "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
    fi
    local root_pw user_pw
    root_pw=$(sql_escape "$MARIADB_ROOT_PASSWORD")
    {
        echo "SET @@SESSION.SQL_MODE = REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');"
        # The root accounts: kept out of the binary log.
        echo "SET @@SESSION.SQL_LOG_BIN = 0;"
        echo "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1';"
        echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS ''root''@''', @@hostname, '''');"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
        if [ "$MARIADB_ROOT_HOST" != localhost ]; then
            echo "CREATE USER 'root'@'$MARIADB_ROOT_HOST' IDENTIFIED BY '$root_pw';"
            echo "GRANT ALL ON *.* TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
            echo "GRANT PROXY ON ''@'%' TO 'root'@'$MARIADB_ROOT_HOST' WITH GRANT OPTION;"
        fi
        # From here on, logged: one GTID per statement.
        echo "SET @@SESSION.SQL_LOG_BIN = 1;"
        if [ -n "$MARIADB_DATABASE" ]; then
            log "Creating database $MARIADB_DATABASE" >&2
            echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
        fi
        if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
            log "Creating user $MARIADB_USER" >&2
            user_pw=$(sql_escape "$MARIADB_PASSWORD")
            echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$user_pw';"
            if [ -n "$MARIADB_DATABASE" ]; then
                echo "GRANT ALL ON \`${MARIADB_DATABASE//_/\\_}\`.* TO '$MARIADB_USER'@'%';"
            fi
        fi
    } | client --no-password --database=mysql --binary-mode

    local f
    for f in /docker-entrypoint-initdb.d/*; do
        # shellcheck disable=SC1090 # init scripts are the operator's
        case "$f" in
            *.sh)      log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
            *.sql)     log "running $f"; run_sql < "$f" ;;
            *.sql.gz)  log "running $f"; gunzip -c "$f" | run_sql ;;
            *.sql.xz)  log "running $f"; xzcat "$f" | run_sql ;;
            *.sql.zst) log "running $f"; zstd -dc "$f" | run_sql ;;
            *)         warn "ignoring $f" ;;
        esac
    done
    temp_server_stop
    log "MariaDB init process done. Ready for start up."
}

# upgrade_due: the data directory was last written by an older major.minor.
upgrade_due() {
    # 11.x names the file mariadb_upgrade_info, 10.x mysql_upgrade_info.
    local info old
    for info in "$DATADIR/mariadb_upgrade_info" "$DATADIR/mysql_upgrade_info" ''; do
        [ -f "$info" ] && break
    done
    [ -n "$info" ] || return 0
    old=$(grep -oE '^[0-9]+\.[0-9]+' "$info" || true)
    [ -n "$old" ] || return 0
    [ "$old" != "$MARIADB_MAJOR" ] && [ "$(printf '%s\n' "$old" "$MARIADB_MAJOR" | sort -V | head -n1)" = "$old" ]
}

upgrade_database() {
    if [ -z "${MARIADB_AUTO_UPGRADE:-}" ] || [ "$MARIADB_AUTO_UPGRADE" = 0 ]; then
        log "the data directory needs mariadb-upgrade; MARIADB_AUTO_UPGRADE is not set: skipped"
        return 0
    fi
    log "Starting temporary server for the upgrade"
    temp_server_start "$@" --skip-grant-tables --loose-innodb_buffer_pool_dump_at_shutdown=0
    # Named after the release that last wrote the data (before 11, the file
    # was mysql_upgrade_info).
    local backup old
    old=$(cat "$DATADIR/mariadb_upgrade_info" "$DATADIR/mysql_upgrade_info" 2>/dev/null | grep -m1 -oE '^[0-9.]+' || true)
    backup="$DATADIR/system_mysql_backup_${old:-unknown}.sql.zst"
    log "Backing up the mysql schema to $backup"
    mariadb-dump --socket="$SOCKET" --skip-lock-tables --replace --databases mysql | zstd -q > "$backup"
    log "Running mariadb-upgrade"
    mariadb-upgrade --socket="$SOCKET" --upgrade-system-tables
    temp_server_stop
    log "MariaDB upgrade done."
}

# Flags only: run the server with them, as the official image does.
if [ "${1:0:1}" = '-' ]; then
    set -- mariadbd "$@"
fi

wants_help() {
    local arg
    for arg; do
        case "$arg" in -'?'|--help|--print-defaults|-V|--version) return 0 ;; esac
    done
    return 1
}

if { [ "$1" = mariadbd ] || [ "$1" = mysqld ]; } && ! wants_help "$@"; then
    log "Entrypoint script for MariaDB Server $MARIADB_MAJOR started."
    # Read the configuration once, and say why it fails.
    if ! help_output=$("$@" --verbose --help 2>&1 >/dev/null); then
        die "mariadbd failed while attempting to check config
    command was: $* --verbose --help
    $help_output"
    fi
    DATADIR=$(config datadir "$@")
    DATADIR=${DATADIR%/}
    DATADIR=${DATADIR:-/var/lib/mysql}
    SOCKET=$(config socket "$@")
    SOCKET=${SOCKET:-/run/mysqld/mysqld.sock}
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$DATADIR"
        find "$DATADIR" \! -user mysql -exec chown mysql:mysql '{}' +
        if [ "${SOCKET:0:1}" != @ ]; then
            mkdir -p "$(dirname "$SOCKET")" && chown mysql:mysql "$(dirname "$SOCKET")"
        fi
        # A named log volume starts root-owned; the server writes the slow log there.
        [ -d /var/log/mysql ] && chown mysql:mysql /var/log/mysql
        log "Switching to dedicated user 'mysql'"
        exec gosu mysql "${BASH_SOURCE[0]}" "$@"
    fi
    if [ ! -d "$DATADIR/mysql" ]; then
        mariadb_env
        init_database "$@"
    elif upgrade_due; then
        upgrade_database "$@"
    fi
    # The server needs no password in its environment.
    unset MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD MARIADB_PASSWORD MYSQL_PASSWORD
fi
exec "$@"
