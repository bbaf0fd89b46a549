#!/usr/bin/env bash
# Entrypoint of localhost/dbops/mysql:9.7: the project's own implementation of
# the official `mysql` image's contract (8.4 and 9.x), in the style of
# images/mariadb/docker-entrypoint.sh. Nothing here is taken from upstream.
#
# Contract: MYSQL_ROOT_PASSWORD(_FILE), MYSQL_ALLOW_EMPTY_PASSWORD,
# MYSQL_RANDOM_ROOT_PASSWORD, MYSQL_ONETIME_PASSWORD, MYSQL_ROOT_HOST (default %),
# MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD (each also as *_FILE),
# MYSQL_INITDB_SKIP_TZINFO, /docker-entrypoint-initdb.d (*.sh run or sourced,
# *.sql and compressed *.sql.gz/.bz2/.xz/.zst), server flags as arguments
# ("-" first: mysqld is prepended), --help/--version skip the set-up. An empty
# data directory is initialised with `mysqld --initialize-insecure`, then set up
# through a temporary server with --skip-networking.
#
# Official behaviours reproduced on purpose, so that tests meet them here:
# - Only the root-password block runs with SQL_LOG_BIN=0. The time-zone tables,
#   MYSQL_DATABASE, MYSQL_USER and its grant, and the init .sql files go to the
#   binary log: with --log-bin and GTIDs a fresh node carries transactions of
#   its own (4 TRUNCATEs + 1 for the zones, then 1 each for the database, the
#   user and the grant).
# - Passwords are put into SQL as given, unescaped: a ' or \ in them breaks or
#   alters the first start, as it does with the official image (the collection
#   never passes quotes).
# - The user's grant names the database with _ escaped (a literal, not a wildcard).
# - Run as root, the entrypoint prepares the server's directories and re-runs
#   itself as the mysql user (gosu).
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

# config NAME SERVER-COMMAND...: the value the server would use for NAME. A
# throw-away --log-bin-index keeps --help from creating the binary log index
# in the (still empty) data directory when the configuration enables --log-bin.
config() {
    local name=$1; shift
    "$@" --verbose --help --log-bin-index="$(mktemp -u)" 2>/dev/null \
        | awk -v name="$name" '$1 == name && /^[^ \t]/ { print $2; exit }'
}

# client [--no-password] [mysql options]: the root session on the socket. The
# password travels in an option file on a pipe, never on the command line.
client() {
    local pw=$MYSQL_ROOT_PASSWORD
    if [ "$1" = --no-password ]; then pw=''; shift; fi
    mysql --defaults-extra-file=<(printf '[client]\npassword="%s"\n' "$pw") \
        --protocol=socket --socket="$SOCKET" -uroot --comments "$@"
}

temp_server_start() {
    "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" &
    TEMP_PID=$!
    for _ in $(seq 1 60); do
        # ping answers "alive" whatever the credentials.
        if mysqladmin --socket="$SOCKET" -uroot ping >/dev/null 2>&1; then return 0; fi
        kill -0 "$TEMP_PID" 2>/dev/null || die "temporary server failed to start"
        sleep 1
    done
    die "temporary server did not answer within 60 s"
}

temp_server_stop() {
    kill "$TEMP_PID"
    wait "$TEMP_PID" || true
}

check_env() {
    if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] \
        && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
        die "database is uninitialized and password option is not specified
    You need to specify one of MYSQL_ROOT_PASSWORD, MYSQL_ROOT_PASSWORD_FILE, MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD"
    fi
    if [ "$MYSQL_USER" = root ]; then
        die "MYSQL_USER=root: MYSQL_USER and MYSQL_PASSWORD create a regular user; set root's password with MYSQL_ROOT_PASSWORD"
    fi
    if [ -n "$MYSQL_USER" ] && [ -z "$MYSQL_PASSWORD" ]; then
        warn "MYSQL_USER is set without MYSQL_PASSWORD: the user is not created"
    elif [ -z "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
        warn "MYSQL_PASSWORD is set without MYSQL_USER: it is ignored"
    fi
}

# run_sql: standard input as root (with its password) in MYSQL_DATABASE, if any.
run_sql() {
    if [ -n "$MYSQL_DATABASE" ]; then client --database="$MYSQL_DATABASE"; else client; fi
}

init_database() {
    check_env
    log "Initializing database files"
    "$@" --initialize-insecure --default-time-zone=SYSTEM
    log "Starting temporary server"
    temp_server_start "$@"

    if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ]; then
        # Logged: no SQL_LOG_BIN=0 here. A zone whose abbreviation is tzcode's
        # placeholder sentence would not fit the column: it becomes FCTY.
        mysql_tzinfo_to_sql /usr/share/zoneinfo \
            | sed "s/'Local time zone must be set--see zic manual page'/'FCTY'/" \
            | client --no-password --database=mysql
    fi
    if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
        MYSQL_ROOT_PASSWORD=$(openssl rand -base64 24)
        export MYSQL_ROOT_PASSWORD
        log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
    fi
    # The root accounts: the one block kept out of the binary log.
    {
        echo "SET autocommit = 1;"
        echo "SET @@SESSION.SQL_LOG_BIN = 0;"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
        echo "GRANT ALL ON *.* TO 'root'@'localhost' WITH GRANT OPTION;"
        echo "FLUSH PRIVILEGES;"
        if [ -n "$MYSQL_ROOT_HOST" ] && [ "$MYSQL_ROOT_HOST" != localhost ]; then
            echo "CREATE USER 'root'@'$MYSQL_ROOT_HOST' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
            echo "GRANT ALL ON *.* TO 'root'@'$MYSQL_ROOT_HOST' WITH GRANT OPTION;"
        fi
        echo "DROP DATABASE IF EXISTS test;"
    } | client --no-password --database=mysql

    # Logged: one transaction per statement, in sessions of their own.
    if [ -n "$MYSQL_DATABASE" ]; then
        log "Creating database $MYSQL_DATABASE"
        client --database=mysql <<<"CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
        log "Creating user $MYSQL_USER"
        client --database=mysql <<<"CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASSWORD';"
        if [ -n "$MYSQL_DATABASE" ]; then
            log "Giving user $MYSQL_USER access to schema $MYSQL_DATABASE"
            client --database=mysql <<<"GRANT ALL ON \`${MYSQL_DATABASE//_/\\_}\`.* TO '$MYSQL_USER'@'%';"
        fi
    fi

    local f
    for f in /docker-entrypoint-initdb.d/*; do
        # shellcheck disable=SC1090 # init scripts are the operator's
        case "$f" in
            *.sh)      log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
            *.sql)     log "running $f"; run_sql < "$f" ;;
            *.sql.gz)  log "running $f"; gunzip -c "$f" | run_sql ;;
            *.sql.bz2) log "running $f"; bunzip2 -c "$f" | run_sql ;;
            *.sql.xz)  log "running $f"; xzcat "$f" | run_sql ;;
            *.sql.zst) log "running $f"; zstd -dc "$f" | run_sql ;;
            *)         warn "ignoring $f" ;;
        esac
    done
    if [ -n "${MYSQL_ONETIME_PASSWORD:-}" ]; then
        client --database=mysql <<<"ALTER USER 'root'@'%' PASSWORD EXPIRE;"
    fi
    log "Stopping temporary server"
    temp_server_stop
    log "MySQL init process done. Ready for start up."
}

# prepare_dirs SERVER-COMMAND...: as root, the directories the server writes
# to exist and belong to mysql (named volumes start root-owned).
prepare_dirs() {
    local dirs=("$DATADIR" "$(dirname "$SOCKET")") name value
    for name in pid-file general-log-file slow-query-log-file secure-file-priv; do
        value=$(config "$name" "$@")
        case "$value" in
            ''|NULL) ;;
            *) if [ "$name" = secure-file-priv ]; then dirs+=("$value"); else dirs+=("$(dirname "$value")"); fi ;;
        esac
    done
    mkdir -p "${dirs[@]}"
    find "${dirs[@]}" \! -user mysql -exec chown --no-dereference mysql '{}' +
}

wants_help() {
    local arg
    for arg; do
        case "$arg" in -'?'|--help|--print-defaults|-V|--version) return 0 ;; esac
    done
    return 1
}

# Flags only: run the server with them, as the official image does.
if [ "${1:0:1}" = '-' ]; then
    set -- mysqld "$@"
fi

if [ "$1" = mysqld ] && ! wants_help "$@"; then
    log "Entrypoint script for MySQL Server $MYSQL_VERSION started."
    # Read the configuration once, and say why it fails.
    if ! help_output=$("$@" --verbose --help --log-bin-index="$(mktemp -u)" 2>&1 >/dev/null); then
        die "mysqld failed while attempting to check config
    command was: $* --verbose --help
    $help_output"
    fi
    DATADIR=$(config datadir "$@")
    DATADIR=${DATADIR%/}
    SOCKET=$(config socket "$@")
    if [ "$(id -u)" = 0 ]; then
        prepare_dirs "$@"
        log "Switching to dedicated user 'mysql'"
        exec gosu mysql "${BASH_SOURCE[0]}" "$@"
    fi
    if [ ! -d "$DATADIR/mysql" ]; then
        file_env MYSQL_ROOT_HOST %
        file_env MYSQL_DATABASE
        file_env MYSQL_USER
        file_env MYSQL_PASSWORD
        file_env MYSQL_ROOT_PASSWORD
        init_database "$@"
    fi
    # The server needs no password in its environment.
    unset MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
fi
exec "$@"
