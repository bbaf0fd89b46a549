# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL/MariaDB asynchronous and semi-synchronous GTID replication.

Engine- and version-aware: the flavor and the version are read from ``VERSION()``
(flavor.py says what differs between MySQL and MariaDB, and how it is spelled
per version). The SQL builders are pure functions (unit-tested); the
``configure_*`` functions and ``status`` take an open PyMySQL connection
(autocommit, as ``adapter.mysql_connect`` returns) and report
``(changed, actions)``: a second call with the same arguments changes nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import (
    ADOPT_ACCOUNT, AccountFacts, Ownership, marking_needed)
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines import base
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import FileEntry
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import (
    accounts, clone, replay, startup_config)
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.adapter import MySQLAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import (
    MariaDB, MySQL, flavor_named, flavor_of)

# The flavors by name, as results show them (server_info()['flavor']).
MARIADB = MariaDB.name
MYSQL = MySQL.name

LAG_WARNING_SECONDS = 60
ACCESS_DENIED = 1045
BINLOG_GONE = 1236      # ER_SOURCE_FATAL_ERROR_READING_BINLOG: purged logs, or a replica ahead of its source


# ---------------------------------------------------------------------------
# Pure builders
# ---------------------------------------------------------------------------

def parse_server_version(text):
    """``VERSION()`` -> (flavor name, version tuple)."""
    flavor = flavor_of(text)
    return flavor.name, flavor.version


# The builders take the flavor by name ('mysql' or 'mariadb', as server_info()['flavor']) and the version.

def change_source_sql(flavor, version, host, port, user, password=None, password_placeholder=True):
    """The statement that points a replica at its source, as ``(sql, params)`` (see Flavor.change_source_sql)."""
    return flavor_named(flavor, version).change_source_sql(host, port, user, password, password_placeholder)


def start_sql(flavor, version, thread=None):
    """``START SLAVE`` / ``START REPLICA``; ``thread`` 'IO' or 'SQL' for one thread."""
    return flavor_named(flavor, version).start_sql(thread)


def stop_sql(flavor, version, thread=None):
    return flavor_named(flavor, version).stop_sql(thread)


def reset_sql(flavor, version):
    """Forget the source entirely (back to a standalone server)."""
    return flavor_named(flavor, version).reset_sql()


def status_sql(flavor, version):
    return flavor_named(flavor, version).status_sql()


def _pick(row, *names):
    for name in names:
        if name in row:
            return row[name]
    return None


def is_yes(value):
    """A status or variable value that means on (Yes, ON, 1, true)."""
    return str(value or '').strip().lower() in ('yes', 'on', '1', 'true')


def _int_or_none(value):
    if value is None or value == '':
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def normalize_status(row):
    """One replica-status row (either column spelling) -> one dict; None when not a replica."""
    if not row:
        return None
    using_gtid = _pick(row, 'Using_Gtid')
    auto_position = _pick(row, 'Auto_Position')
    if using_gtid is not None:          # MariaDB: No / Slave_Pos / Current_Pos
        gtid = str(using_gtid).lower() in ('slave_pos', 'current_pos')
    else:
        gtid = is_yes(auto_position)
    io_state = _pick(row, 'Replica_IO_Running', 'Slave_IO_Running')
    return {
        'io_running': is_yes(io_state),
        'io_state': io_state,           # Yes / No / Connecting / Preparing
        'sql_running': is_yes(_pick(row, 'Replica_SQL_Running', 'Slave_SQL_Running')),
        'seconds_behind': _int_or_none(_pick(row, 'Seconds_Behind_Source', 'Seconds_Behind_Master')),
        'source_host': _pick(row, 'Source_Host', 'Master_Host') or '',
        'source_port': _int_or_none(_pick(row, 'Source_Port', 'Master_Port')),
        'source_user': _pick(row, 'Source_User', 'Master_User') or '',
        'using_gtid': gtid,
        'auto_position': gtid,
        'last_io_errno': _int_or_none(_pick(row, 'Last_IO_Errno')) or 0,
        'last_io_error': _pick(row, 'Last_IO_Error') or '',
        'last_sql_errno': _int_or_none(_pick(row, 'Last_SQL_Errno')) or 0,
        'last_sql_error': _pick(row, 'Last_SQL_Error') or '',
        # MariaDB: Gtid_IO_Pos (received); MySQL: Retrieved_Gtid_Set.
        'gtid_io_pos': _pick(row, 'Gtid_IO_Pos', 'Retrieved_Gtid_Set') or '',
        'retrieved_gtid_set': _pick(row, 'Gtid_IO_Pos', 'Retrieved_Gtid_Set') or '',
        # MariaDB: Gtid_Slave_Pos (applied); MySQL: Executed_Gtid_Set.
        'executed_gtid': _pick(row, 'Gtid_Slave_Pos', 'Executed_Gtid_Set') or '',
        'relay_log_file': _pick(row, 'Relay_Log_File') or '',
        'lag_bytes': _lag_bytes(row),
    }


def _lag_bytes(row):
    """Bytes of the source's binary log received but not yet applied, when both
    positions are in the same file (else unknown: None)."""
    read_file = _pick(row, 'Source_Log_File', 'Master_Log_File')
    exec_file = _pick(row, 'Relay_Source_Log_File', 'Relay_Master_Log_File')
    read_pos = _int_or_none(_pick(row, 'Read_Source_Log_Pos', 'Read_Master_Log_Pos'))
    exec_pos = _int_or_none(_pick(row, 'Exec_Source_Log_Pos', 'Exec_Master_Log_Pos'))
    if read_file and read_file == exec_file and read_pos is not None and exec_pos is not None:
        return max(read_pos - exec_pos, 0)
    return None


def semi_sync_names(flavor, version):
    """Variable, status and plugin names of semi-sync for this server (see Flavor.semi_sync_names)."""
    return flavor_named(flavor, version).semi_sync_names()


def _same(current, wanted):
    if current is None:
        return False
    return str(current).strip().upper() == str(wanted).strip().upper()


def install_plugin_sql(plugin, library):
    return "INSTALL PLUGIN %s SONAME '%s'" % (plugin, library)


def semi_sync_primary_plan(flavor, version, variables, active_plugins, enabled=True, timeout_ms=None,
                           durability='preferred'):
    """Statements that bring the primary's semi-sync to the wanted state (empty when it is).

    ``variables``: current global variables (name -> value); ``active_plugins``:
    names of installed plugins. Only differing values are set. ``durability`` required: the source never
    falls back (Flavor.semi_sync_source_settings; ``timeout_ms`` is not used); preferred: it falls back
    after ``timeout_ms`` (1000 when None).
    """
    server_flavor = flavor_named(flavor, version)
    names = server_flavor.semi_sync_names()
    statements = []
    plugin = names['plugins']['primary']
    if plugin and plugin[0] not in active_plugins:
        if not enabled:
            return statements  # nothing installed, nothing to turn off
        statements.append(install_plugin_sql(*plugin))
    wanted = [(names['source_enabled'], 'ON' if enabled else 'OFF')]
    if enabled:
        wanted = server_flavor.semi_sync_source_settings(durability, timeout_ms) + wanted
    for name, value in wanted:
        if not _same(variables.get(name), value):
            # the values are words (ON, AFTER_SYNC) and whole numbers (the timeout): both as written
            statements.append('SET GLOBAL %s = %s' % (name, value))
    return statements


def semi_sync_replica_plan(flavor, version, variables, active_plugins, enabled=True):
    names = semi_sync_names(flavor, version)
    statements = []
    plugin = names['plugins']['replica']
    if plugin and plugin[0] not in active_plugins:
        if not enabled:
            return statements
        statements.append(install_plugin_sql(*plugin))
    value = 'ON' if enabled else 'OFF'
    if not _same(variables.get(names['replica_enabled']), value):
        statements.append('SET GLOBAL %s = %s' % (names['replica_enabled'], value))
    return statements


_REPL_SLAVE_RE = re.compile(r'\b(REPLICATION SLAVE(?! ADMIN)|REPLICATION REPLICA(?! ADMIN)|ALL PRIVILEGES)\b',
                            re.IGNORECASE)


def mysql_gtid_problem(gtid_mode, enforce_gtid_consistency):
    """What stops a MySQL server from being a GTID primary, or None.

    MySQL manual, "Replication with Global Transaction Identifiers": gtid_mode is OFF, OFF_PERMISSIVE,
    ON_PERMISSIVE or ON, and only ON gives every transaction a GTID (auto-positioning needs that);
    enforce_gtid_consistency is OFF, ON or WARN (0, 1, 2 over old protocols) and must be ON with gtid_mode=ON.
    """
    mode = str(gtid_mode if gtid_mode is not None else '').strip().upper()
    enforce = str(enforce_gtid_consistency if enforce_gtid_consistency is not None else '').strip().upper()
    enforce = {'0': 'OFF', '1': 'ON', '2': 'WARN'}.get(enforce, enforce)
    wrong = []
    if mode != 'ON':
        wrong.append('gtid_mode is %s' % (mode or 'unknown'))
    if enforce != 'ON':
        wrong.append('enforce_gtid_consistency is %s' % (enforce or 'unknown'))
    if not wrong:
        return None
    return ('%s: a GTID primary needs gtid_mode ON and enforce_gtid_consistency ON (db_container settings, as '
            'the mysql_cluster role sets them; a running server without GTIDs goes OFF_PERMISSIVE, ON_PERMISSIVE, '
            'ON step by step, see the MySQL manual)' % ' and '.join(wrong))


def has_replication_grant(grant_lines):
    """True when ``SHOW GRANTS`` lines give REPLICATION SLAVE on ``*.*``."""
    for line in grant_lines:
        if ' ON *.* ' in line.upper() and _REPL_SLAVE_RE.search(line.split(' ON ', 1)[0]):
            return True
    return False


def _worse(severity, other):
    order = ('ok', 'warning', 'critical')
    return severity if order.index(severity) >= order.index(other) else other


def assess(node, expect_semi_sync=None):
    """Severity ('ok', 'warning', 'critical') and reasons for one node's status dict.

    ``expect_semi_sync``: True when the cluster runs semi-sync (the role says so), None when unknown. Then a
    primary with semi-sync disabled (a restart without it in the server settings) is critical, and a replica
    with it disabled a warning (it would not acknowledge; a primary promoted from it would run without it).
    """
    reasons = []
    severity = 'ok'
    replica = node.get('replica')
    if node.get('role') == 'replica' and replica:
        if not replica['io_running']:
            reasons.append('IO thread not running (%s)%s' % (
                replica.get('io_state'), ': %s' % replica['last_io_error'] if replica['last_io_error'] else ''))
        if not replica['sql_running']:
            reasons.append('SQL thread not running%s' % (
                ': %s' % replica['last_sql_error'] if replica['last_sql_error'] else ''))
        if replica['seconds_behind'] is None:
            reasons.append('replication lag unknown (Seconds_Behind is NULL)')
        if reasons:
            severity = 'critical'
        elif replica['seconds_behind'] > LAG_WARNING_SECONDS:
            severity = 'warning'
            reasons.append('replica is %d s behind its source (warning above %d s)'
                           % (replica['seconds_behind'], LAG_WARNING_SECONDS))
    if node.get('role') == 'replica' and node.get('read_only') is False:
        severity = _worse(severity, 'warning')
        reasons.append('replica is writable (read_only OFF, a restart clears a SET GLOBAL): a write here makes '
                       'it diverge from the primary. Run db_replication role=replica (the cluster role) again, '
                       'it sets read_only ON')
    semi = node.get('semi_sync') or {}
    if node.get('role') == 'primary' and semi.get('source_enabled') and not semi.get('source_status'):
        severity = 'critical'
        reasons.append('semi-sync is enabled but OFF: the primary fell back to asynchronous replication '
                       '(%s semi-sync replica(s) connected)' % semi.get('source_clients'))
    elif node.get('role') == 'primary' and expect_semi_sync and not semi.get('source_enabled'):
        severity = 'critical'
        reasons.append('semi-sync is disabled on this primary but the cluster expects it: commits are not '
                       'acknowledged by a replica, a failover can lose them. Put it in the server settings (the '
                       'cluster role does) and run db_replication role=primary again')
    if node.get('role') == 'replica' and expect_semi_sync and not semi.get('replica_enabled'):
        severity = _worse(severity, 'warning')
        reasons.append('semi-sync is disabled on this replica but the cluster expects it: it does not '
                       'acknowledge commits. Run db_replication role=replica (the cluster role) again')
    return severity, reasons


SEED_HELP = ('seed the replica from a consistent copy of the primary first: on MariaDB '
             '`mariadb-dump --all-databases --single-transaction --gtid --master-data=1` loaded into an empty '
             'replica; on MySQL the CLONE plugin or `mysqldump --set-gtid-purged=ON`. '
             'See docs/guide-cluster.md, "Seeding a replica"')


# ---------------------------------------------------------------------------
# Server access
# ---------------------------------------------------------------------------

def server_info(conn):
    """Identity of the server: ``flavor`` is its name (results show it), ``server_flavor`` the Flavor."""
    row = rows(conn, 'SELECT VERSION() AS version, @@server_id AS server_id, @@hostname AS hostname')[0]
    flavor = flavor_of(row['version'])
    info = {'flavor': flavor.name, 'server_flavor': flavor, 'version': flavor.version, 'version_text': row['version'],
            'server_id': int(row['server_id']), 'hostname': row['hostname'], 'server_uuid': None}
    if flavor.has_server_uuid:
        info['server_uuid'] = scalar(conn, 'SELECT @@server_uuid')
    return info


def global_variables(conn, pattern):
    """{name: value} of the global variables LIKE ``pattern``."""
    return dict((r['Variable_name'], r['Value'])
                for r in rows(conn, 'SHOW GLOBAL VARIABLES LIKE %s', (pattern,)))


def global_status(conn, pattern):
    """{name: value} of the global status counters LIKE ``pattern``."""
    return dict((r['Variable_name'], r['Value'])
                for r in rows(conn, 'SHOW GLOBAL STATUS LIKE %s', (pattern,)))


def active_plugin_names(conn):
    return set(r['PLUGIN_NAME'] for r in rows(
        conn, "SELECT PLUGIN_NAME FROM information_schema.PLUGINS WHERE PLUGIN_STATUS = 'ACTIVE'"))


def replica_status(conn, info=None):
    info = info or server_info(conn)
    found = rows(conn, info['server_flavor'].status_sql())
    return normalize_status(found[0]) if found else None


# ---------------------------------------------------------------------------
# Primary
# ---------------------------------------------------------------------------

def replication_ownership(reserved=None, adopt=False):
    """The rules for the replication account (common/ownership.py): which accounts it may never be."""
    return Ownership('replication', 'replication_user', 'adopt_replication_user', 'replication account',
                     Driver.default_user, reserved, adopt=adopt, changes='its password and privileges')


# The privileges of the replication account (MySQL adds BACKUP_ADMIN for cloning), as accounts.parse_grants
# names them.
REPLICATION_PRIVILEGES = frozenset(['REPLICATION SLAVE', 'BACKUP_ADMIN'])


def looks_like_replication_account(privileges, roles):
    """True when parsed grants are only what configure_primary grants (an account of an earlier release). Pure."""
    if roles or set(privileges) - set(['*.*']):
        return False
    held = privileges.get('*.*', set())
    return 'REPLICATION SLAVE' in held and held <= REPLICATION_PRIVILEGES


def configure_primary(conn, replication_user, replication_password, replica_host_pattern='%',
                      semi_sync=True, semi_sync_timeout_ms=None, reset_password=False, dry_run=False,
                      ownership=None, durability='preferred'):
    """Replication account and semi-sync on the primary -> (changed, actions).

    The account is created with the binary log ON, on purpose: with GTIDs the
    CREATE USER/GRANT events replicate, so every replica (and a replica
    promoted later) has the same account, which is what a failover needs.
    Writing it with sql_log_bin=0 would give the primary GTIDs-less local
    changes the replicas never see, and creating it by hand on replicas would
    add local GTIDs that break gtid_strict_mode.

    Password: on MariaDB the stored hash is compared with ``PASSWORD(%s)``
    (mysql_native_password), so ALTER USER runs only when it differs. MySQL's
    caching_sha2_password hashes are salted and cannot be compared: the
    password is changed only when ``reset_password`` is true (that call
    always reports changed).

    ``dry_run``: the same checks and the same actions, nothing executed (check mode).
    A server that replicates from another one is refused: a cluster has one primary.

    ``durability``/``semi_sync_timeout_ms``: see semi_sync_primary_plan. Semi-sync is switched on last, after
    the account's statements, so they never wait for a replica that cannot connect without that account.

    ``ownership``: an existing account the collection did not create (no mark, engines/mysql/accounts.py),
    the superuser, an administrator or the application user is refused before anything changes; the
    account created here is marked, with the binary log on, so every replica has the mark too.
    """
    if not replication_user or "'" in replication_user or '`' in replication_user:
        raise DbopsError('%r is not a usable user name' % (replication_user,), 'replication_user')
    if not replication_password:
        raise DbopsError('a replication password is required', 'replication_password')
    info = server_info(conn)
    flavor = info['server_flavor']
    actions = []
    account = (replication_user, replica_host_pattern)

    def change(sql, params=None):
        if not dry_run:
            execute(conn, sql, params)

    current_source = replica_status(conn, info)
    if current_source is not None and current_source['source_host']:
        raise DbopsError('this server replicates from %s:%s: a cluster has one primary. Promote it with '
                         'db_failover (mode switchover) or give role primary to the real primary'
                         % (current_source['source_host'], current_source['source_port']), 'role')
    if int(scalar(conn, 'SELECT @@GLOBAL.read_only') or 0):
        raise DbopsError('this server is read-only: a primary fenced by db_failover, or a stopped replica. If a '
                         'failover happened, the current primary is another node: update the inventory (the role) '
                         'or use db_failover mode rejoin/switchover', 'role')
    if not scalar(conn, 'SELECT @@log_bin'):
        raise DbopsError('the binary log is off on this server: a primary needs it '
                         '(db_container settings log_bin: mysql-bin and a unique server_id)', 'login_host')
    if flavor.has_gtid_mode:
        gtid = rows(conn, 'SELECT @@GLOBAL.gtid_mode AS gtid_mode, '
                          '@@GLOBAL.enforce_gtid_consistency AS enforce_gtid_consistency')[0]
        problem = mysql_gtid_problem(gtid['gtid_mode'], gtid['enforce_gtid_consistency'])
        if problem:
            raise DbopsError(problem, 'login_host')

    ownership = ownership or replication_ownership()
    ownership.check_name(replication_user)
    exists = scalar(conn, 'SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s', account)
    style = accounts.marker_style(conn)
    other_hosts = [h for h in accounts.hosts_of(conn, replication_user) if h != replica_host_pattern]

    def like_ours():
        privileges, roles = accounts.parse_grants(accounts.grant_lines(conn, *account))
        if other_hosts or not looks_like_replication_account(privileges, roles):
            return False
        if flavor.can_compare_password:
            return bool(scalar(conn, 'SELECT authentication_string = PASSWORD(%s) FROM mysql.user '
                                     'WHERE User = %s AND Host = %s', (replication_password,) + account))
        return not reset_password   # the password stays as it is: only the mark is added

    owning = ownership.judge(replication_user, AccountFacts(
        bool(exists) or bool(other_hosts), accounts.read_marker(conn, replication_user, replica_host_pattern, style)
        if exists else None, accounts.admin_rights(conn, replication_user), like_ours))
    actions.extend(owning)
    if ADOPT_ACCOUNT in owning and exists:
        # Taken over deliberately: nothing of what it had stays but the account itself.
        change('REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s', account)
        change('ALTER USER %s@%s IDENTIFIED BY %s', account + (replication_password,))
        actions.append('alter user password')
    if not exists:
        change('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s', account + (replication_password,))
        actions.append('create user')
    elif ADOPT_ACCOUNT in owning:
        pass    # its password was set above
    elif flavor.can_compare_password:
        same = scalar(conn, 'SELECT authentication_string = PASSWORD(%s) FROM mysql.user '
                            'WHERE User = %s AND Host = %s', (replication_password,) + account)
        if not same:
            change('ALTER USER %s@%s IDENTIFIED BY %s', account + (replication_password,))
            actions.append('alter user password')
    elif reset_password:
        change('ALTER USER %s@%s IDENTIFIED BY %s', account + (replication_password,))
        actions.append('alter user password')

    # A replica's account needs REPLICATION SLAVE only (MariaDB KB, "GRANT":
    # "Accounts used by replica servers on the primary need this privilege").
    # REPLICATION SLAVE ADMIN / BINLOG MONITOR (10.5+) are for the accounts that
    # manage replicas or read binlog status, not for the one that streams it.
    grants = [list(r.values())[0] for r in rows(conn, 'SHOW GRANTS FOR %s@%s', account)] \
        if exists and ADOPT_ACCOUNT not in owning else []
    if not has_replication_grant(grants):
        change('GRANT REPLICATION SLAVE ON *.* TO %s@%s', account)
        actions.append('grant replication slave')

    if flavor.can_clone:
        # A fresh replica is seeded by cloning this server: the donor side needs the plugin and
        # BACKUP_ADMIN for the account the replica clones with (MySQL manual, "Cloning Remote Data").
        if not clone.plugin_active(conn):
            change(clone.INSTALL_PLUGIN_SQL)
            actions.append(clone.INSTALL_PLUGIN_SQL)
        if not any('BACKUP_ADMIN' in grant for grant in grants):
            change('GRANT BACKUP_ADMIN ON *.* TO %s@%s', account)
            actions.append('grant backup_admin')

    if not exists or marking_needed(owning):
        for statement, params in accounts.mark_statements(replication_user, replica_host_pattern, 'replication',
                                                          style):
            change(statement, params)

    plan = semi_sync_primary_plan(info['flavor'], info['version'], global_variables(conn, 'rpl_semi_sync%'),
                                  active_plugin_names(conn), enabled=semi_sync, timeout_ms=semi_sync_timeout_ms,
                                  durability=durability)
    for statement in plan:
        change(statement)
        actions.append(statement)
    return bool(actions), actions


# ---------------------------------------------------------------------------
# Replica
# ---------------------------------------------------------------------------

def _source_connect(host, port, user, password, timeout=10):
    """Connect to the source as the replication user (as the replica will)."""
    try:
        import pymysql
    except ImportError:
        raise DbopsError('the Python library PyMySQL is required', 'primary_host')
    try:
        return pymysql.connect(host=host, port=int(port), user=user, password=password or '',
                               connect_timeout=timeout, read_timeout=30, autocommit=True)
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args else None
        if code == ACCESS_DENIED:
            raise DbopsError('the source %s:%s refuses %r: %s (the replica was not changed)'
                             % (host, port, user, exc.args[-1]), 'replication_password')
        raise DbopsError('cannot connect to the source %s:%s (%s)' % (host, port, exc.args[-1] if exc.args else exc),
                         'primary_host')


def _identity_check(replica_info, source_info, source_host):
    if replica_info['server_id'] == source_info['server_id']:
        same_server = (replica_info['hostname'] == source_info['hostname']
                       and (replica_info['server_uuid'] or '') == (source_info['server_uuid'] or ''))
        if same_server:
            raise DbopsError('%s is this server itself (server_id %d, hostname %s): a replica needs another '
                             'server as its source' % (source_host, replica_info['server_id'],
                                                       replica_info['hostname']), 'primary_host')
        raise DbopsError('the source %s has the same server_id (%d) as this replica: give every server a '
                         'unique server_id (settings: {server_id: N})' % (source_host, replica_info['server_id']),
                         'primary_host')
    if replica_info['server_uuid'] and replica_info['server_uuid'] == source_info['server_uuid']:
        raise DbopsError('%s is this server itself (same server_uuid)' % source_host, 'primary_host')


class ProgressDeadline(object):
    """A deadline ``timeout`` seconds after the last progress: a replica still applying what it received
    (a rebuilt one replays its source's whole history, which under load takes longer than any fixed wait)
    is given time for as long as its position moves; one that stopped moving fails ``timeout`` seconds
    later. Pure (the clock is given)."""

    def __init__(self, timeout, now, extend=True):
        self.timeout = float(timeout)
        self.deadline = now + self.timeout
        self.position = None
        self.extend = extend    # False: a plain deadline, ``timeout`` after the start

    def seen(self, position, now):
        """Record the position read at ``now``; a new one moves the deadline (when it may)."""
        if position and position != self.position:
            if self.position is not None and self.extend:
                self.deadline = now + self.timeout
            self.position = position

    def passed(self, now):
        return now >= self.deadline


def _replica_progress(status):
    """What moves while a replica catches up: the position it applied (what it received moves with the
    source's writes even while it applies nothing)."""
    return status.get('executed_gtid')


def _wait_replicating(conn, info, wait_timeout, source_gtid=None, clock=None, sleep=None,
                      wait_while_progressing=False, catch_up=True):
    """Wait until both threads run and the replica caught up; returns the last status. The wait lasts
    ``wait_timeout`` seconds, or with ``wait_while_progressing`` ``wait_timeout`` seconds after the replica's
    applied position last moved (ProgressDeadline: a rebuilt node replaying its source's whole history).
    catch_up False: until both threads run (connected, applying), however far behind it still is."""
    clock = clock or time.time
    sleep = sleep or time.sleep
    seen = []
    progress = ProgressDeadline(wait_timeout, clock(), extend=wait_while_progressing)

    def caught_up():
        current = replica_status(conn, info)
        if current is None:
            raise DbopsError('the replica lost its configuration while starting', 'primary_host')
        if current['last_io_errno'] == BINLOG_GONE:
            raise DbopsError('the source cannot send what the replica needs: %s. %s'
                             % (current['last_io_error'], SEED_HELP), 'primary_host')
        if current['last_io_errno'] == ACCESS_DENIED:
            raise DbopsError('the source refuses the replication user: %s' % current['last_io_error'],
                             'replication_password')
        if not current['sql_running'] and current['last_sql_errno']:
            raise DbopsError('the replica SQL thread stopped: %s' % current['last_sql_error'], 'primary_host')
        seen.append(current)
        progress.seen(_replica_progress(current), clock())
        if current['io_running'] and current['sql_running'] and not catch_up:
            return current
        if current['io_running'] and current['sql_running'] and current['seconds_behind'] == 0:
            if not source_gtid or info['server_flavor'].gtid_reached(conn, source_gtid):
                return current
        return None

    while True:
        reached = caught_up()
        if reached:
            return reached
        if progress.passed(clock()):
            break
        sleep(0.1)
    current = seen[-1]
    if current['io_running'] and current['sql_running']:
        raise DbopsError('the replica replicates but has not caught up with its source after %d s (lag: %s s)'
                         % (wait_timeout, current['seconds_behind']), 'wait_timeout')
    raise DbopsError('the replica is not replicating after %d s (IO thread: %s, SQL thread: %s, '
                     'lag: %s); last IO error: %s; last SQL error: %s'
                     % (wait_timeout, current['io_state'], 'Yes' if current['sql_running'] else 'No',
                        current['seconds_behind'], current['last_io_error'] or '-',
                        current['last_sql_error'] or '-'), 'primary_host')


def configure_replica(conn, source_host, source_port, replication_user, replication_password,
                      semi_sync=True, wait_timeout=60, source_connect_host=None, source_connect_port=None,
                      dry_run=False, clone_seed=None, wait_while_progressing=False, catch_up=True):
    """Make ``conn``'s server a GTID replica of ``source_host`` -> (changed, actions).

    ``source_host``/``source_port`` are what the replica connects to (a Docker
    network alias works); ``source_connect_host``/``source_connect_port`` are
    how this process reaches the same server (default: the same values). The
    source is connected to first, as the replication user: that checks the
    password and that the source is another server, before the replica is
    touched. A replica already replicating from the same host, port and user
    with GTIDs and both threads running is left alone (changed False).

    On failure after the replica was changed: a replica that had no source
    before is reset to a standalone server (RESET SLAVE ALL, read_only as it
    was); one that had a source is left stopped with the error in its status.

    ``clone_seed`` (a clone.CloneSeed, MySQL only): a fresh node whose only GTIDs are its own
    first start's is cloned from the source instead of being refused (see clone.py).

    ``wait_while_progressing``: the wait for the replica to catch up ends ``wait_timeout`` seconds after its
    applied position last moved, not after the start (a rebuilt node replaying its source's whole history).

    ``catch_up`` False: it returns once both threads run, not once the replica holds what the source had
    (a failover's re-point: the endpoint must not wait for a replica that lags).
    """
    if not source_host:
        raise DbopsError('source_host is required', 'primary_host')
    info = server_info(conn)
    flavor = info['server_flavor']
    source_conn = _source_connect(source_connect_host or source_host, source_connect_port or source_port,
                                  replication_user, replication_password)
    try:
        source_info = server_info(source_conn)
        _identity_check(info, source_info, source_host)
        source_flavor = source_info['server_flavor']
        source_gtid = source_flavor.source_gtid(source_conn)
        source_history = source_flavor.source_history(source_conn, source_gtid)
        if int(scalar(source_conn, 'SELECT @@GLOBAL.read_only') or 0):
            raise DbopsError('the source %s:%s is read-only: it is a replica, not the primary. Point the replica at '
                             'the primary (a cluster has one)' % (source_host, source_port), 'primary_host')
        problem = flavor.seed_problem(conn, source_history)
        cloning = problem and flavor.can_clone and clone_seed is not None and _clone_plan(
            conn, info, source_conn, clone_seed, source_connect_host or source_host,
            source_connect_port or source_port)
        replaying = problem and flavor.can_replay_from_start and _replay_plan(conn, info, source_conn)
    finally:
        source_conn.close()
    if problem and not (cloning or replaying):
        raise DbopsError('%s:%s cannot replicate from %s:%s: %s. Nothing was changed; %s'
                         % (info['hostname'], info['server_id'], source_host, source_port, problem[1], SEED_HELP),
                         'primary_host')
    seeding = []    # what cloning or resetting a fresh node ran
    if cloning:
        seeding = clone.clone_statements(source_host, source_port)
        if dry_run:
            return True, seeding + ['change source to %s:%s' % (source_host, source_port), flavor.start_sql()]
        conn = clone_seed.run(conn, source_host, source_port, replication_user, replication_password)
        info = server_info(conn)
    if replaying:
        if dry_run:
            return True, replay.reset_statements(*replay.first_start_objects(conn)) + [
                'change source to %s:%s' % (source_host, source_port), flavor.start_sql()]
        seeding = replay.reset_fresh_node(conn)

    actions = list(seeding)
    before = replica_status(conn, info)
    semi_variables = global_variables(conn, 'rpl_semi_sync%')
    semi_plan = semi_sync_replica_plan(info['flavor'], info['version'], semi_variables, active_plugin_names(conn),
                                       enabled=semi_sync)
    # Undo for a server that had no source: the semi-sync flag goes back as it was
    # (a plugin installed on MySQL stays: it does nothing while disabled).
    enabled_name = flavor.semi_sync_names()['replica_enabled']
    semi_undo = []
    if any(statement.startswith('SET GLOBAL') for statement in semi_plan):
        semi_undo.append('SET GLOBAL %s = %s' % (enabled_name, 'ON' if is_yes(semi_variables.get(enabled_name))
                                                 else 'OFF'))
    read_only_before = bool(int(scalar(conn, 'SELECT @@GLOBAL.read_only') or 0))

    same_source = (before is not None and before['source_host'] == source_host
                   and before['source_port'] == int(source_port) and before['source_user'] == replication_user
                   and before['using_gtid'])
    if same_source and before['io_running'] and before['sql_running']:
        if dry_run:
            planned = list(semi_plan) + (['restart IO thread'] if semi_plan else [])
            return bool(planned) or not read_only_before, planned + (
                [] if read_only_before else ['SET GLOBAL read_only = ON'])
        if semi_plan:
            # The IO thread reads the semi-sync setting when it connects.
            for statement in semi_plan:
                execute(conn, statement)
                actions.append(statement)
            execute(conn, flavor.stop_sql('IO'))
            execute(conn, flavor.start_sql('IO'))
            actions.append('restart IO thread')
        if not read_only_before:
            execute(conn, 'SET GLOBAL read_only = ON')
            actions.append('SET GLOBAL read_only = ON')
        if actions:
            _wait_replicating(conn, info, wait_timeout)
        return bool(actions), actions

    if dry_run:
        return True, ([flavor.stop_sql()] if before is not None else []) + [
            'change source to %s:%s' % (source_host, source_port)] + list(semi_plan) + (
            [] if read_only_before else ['SET GLOBAL read_only = ON']) + [flavor.start_sql()]
    try:
        if before is not None:
            execute(conn, flavor.stop_sql())
            actions.append(flavor.stop_sql())
        sql, params = flavor.change_source_sql(source_host, source_port, replication_user, replication_password)
        execute(conn, sql, params)
        actions.append('change source to %s:%s' % (source_host, source_port))
        for statement in semi_plan:
            execute(conn, statement)
            actions.append(statement)
        if not read_only_before:
            execute(conn, 'SET GLOBAL read_only = ON')
            actions.append('SET GLOBAL read_only = ON')
        execute(conn, flavor.start_sql())
        actions.append(flavor.start_sql())
        _wait_replicating(conn, info, wait_timeout, source_gtid, wait_while_progressing=wait_while_progressing,
                          catch_up=catch_up)
    except DbopsError:
        _undo(conn, info, before, read_only_before, semi_undo)
        raise
    except Exception as exc:  # a server error in the middle: same undo, clean message
        _undo(conn, info, before, read_only_before, semi_undo)
        raise DbopsError('configuring the replica failed: %s' % (exc,), 'primary_host')
    return True, actions


def _clone_plan(conn, info, source_conn, clone_seed, source_login_host, source_login_port):
    """True when the replica may be cloned over; DbopsError when it is fresh but cannot be cloned;
    False when it is not fresh (it holds something of its own: the usual refusal follows)."""
    if clone.fresh_node_problem(conn, info, replica_status(conn, info)):
        return False
    problem = clone.donor_problem(source_conn) or clone_seed.login_problem(source_login_host, source_login_port)
    if problem:
        raise DbopsError('this fresh replica would be seeded by cloning the source, but %s. Nothing was changed'
                         % problem, 'primary_host')
    return True


def _replay_plan(conn, info, source_conn):
    """True when a fresh MariaDB node may be reset to replay its source's whole history (replay.py);
    DbopsError when it is fresh but the source's history is gone; False when it is not fresh."""
    if replay.fresh_node_problem(conn, replica_status(conn, info)):
        return False
    problem = replay.source_history_problem(source_conn)
    if problem:
        raise DbopsError('this fresh replica would replay the source\'s binary log from the start, but %s. '
                         'Nothing was changed; %s' % (problem, SEED_HELP), 'primary_host')
    return True


def _undo(conn, info, before, read_only_before, semi_undo=()):
    flavor = info['server_flavor']
    try:
        execute(conn, flavor.stop_sql())
        if before is None:
            execute(conn, flavor.reset_sql())
            if not read_only_before:
                execute(conn, 'SET GLOBAL read_only = OFF')
            for statement in semi_undo:
                execute(conn, statement)
    except Exception:  # noqa: BLE001 - keep the original error
        pass


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------

def status(conn, expect_semi_sync=None):
    """Replication state of one node, with a severity and its reasons (see assess for expect_semi_sync)."""
    info = server_info(conn)
    flavor = info['server_flavor']
    names = flavor.semi_sync_names()
    replica = replica_status(conn, info)
    variables = global_variables(conn, 'rpl_semi_sync%')
    counters = global_status(conn, 'Rpl_semi_sync%')
    dumps = scalar(conn, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
    semi = {
        'source_enabled': is_yes(variables.get(names['source_enabled'])),
        'source_status': is_yes(counters.get(names['source_status'])),
        'source_clients': _int_or_none(counters.get(names['source_clients'])),
        'replica_enabled': is_yes(variables.get(names['replica_enabled'])),
        'replica_status': is_yes(counters.get(names['replica_status'])),
    }
    if replica is not None and replica['source_host']:
        role = 'replica'
    elif int(dumps or 0) > 0 or semi['source_enabled']:
        role = 'primary'
    else:
        role = 'standalone'
    gtid = flavor.gtid_state(conn)
    node = {
        'flavor': info['flavor'], 'version': info['version_text'], 'server_id': info['server_id'],
        'hostname': info['hostname'], 'role': role,
        'read_only': bool(int(scalar(conn, 'SELECT @@GLOBAL.read_only') or 0)),
        'gtid': gtid, 'replica': replica, 'replicas_connected': int(dumps or 0),
        'io_running': replica['io_running'] if replica else None,
        'sql_running': replica['sql_running'] if replica else None,
        'lag_seconds': replica['seconds_behind'] if replica else None,
        'semi_sync': semi,
    }
    node['severity'], node['reasons'] = assess(node, expect_semi_sync)
    return node


# ---------------------------------------------------------------------------
# db_replication
# ---------------------------------------------------------------------------

class Driver(base.ReplicationDriver):
    """db_replication for MySQL and MariaDB (the flavor comes from the server itself)."""

    default_user = 'repl'

    def primary(self):
        semi_sync = self.params.get('semi_sync') is not False
        durability = self.params.get('durability') or 'preferred'
        timeout_ms = self.params.get('semi_sync_timeout')
        changed, actions = configure_primary(
            self.context.connect(), self.context.replication_user(self.default_user),
            self.context.replication_password(), replica_host_pattern=self.params.get('replica_host') or '%',
            semi_sync=semi_sync, semi_sync_timeout_ms=timeout_ms, durability=durability,
            reset_password=bool(self.params.get('reset_password')), dry_run=self.context.check_mode,
            ownership=self.context.account_ownership(replication_ownership))
        return self._kept_at_start(changed, actions,
                                   startup_config.promoted_config(semi_sync, durability, timeout_ms))

    def replica(self):
        endpoint = self.context.primary_endpoint(3306)
        wait_timeout = self.params.get('wait_timeout') or 60
        # Cloning restarts the replica: only a replica db_replication reaches as a container is cloned.
        seed = clone.CloneSeed(self.context, wait_timeout) if self.context.target.container_id else None
        self._prove_new_source(endpoint)
        changed, actions = configure_replica(
            self.context.connect(), endpoint.host, endpoint.port, self.context.replication_user(self.default_user),
            self.context.replication_password(), semi_sync=self.params.get('semi_sync') is not False,
            wait_timeout=wait_timeout, source_connect_host=endpoint.connect_host,
            source_connect_port=endpoint.connect_port, dry_run=self.context.check_mode, clone_seed=seed)
        flavor = server_info(self.context.connect())['flavor']
        return self._kept_at_start(changed, actions, startup_config.replica_config(flavor))

    def _prove_new_source(self, endpoint):
        """A replica about to be re-pointed at another host must reach a server there from its own container
        first: CHANGE MASTER to a typo would leave it following nothing (both threads stopped) after the
        wait. Replicas reached by address only, and first configurations, are not asked."""
        container = self.context.target.container
        if not container:
            return
        status = replica_status(self.context.connect())
        if not status or not status['source_host'] or status['source_host'] == endpoint.host:
            return
        from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import (
            ProbeExchange, shell_probe)
        command = shell_probe(endpoint.host, endpoint.port, 3, ProbeExchange(b'', 4))
        try:
            _code, output = self.context.docker.exec_shell(container['Id'], command)
        except Exception:  # noqa: BLE001 - the container stopped: the replica is not touched either way
            output = ''
        if 'answer:ok' not in output:
            raise DbopsError('the replica %s cannot reach a MySQL/MariaDB server at %s:%s from its container (it '
                             'follows %s now): check primary_host and primary_port, as the replica resolves them. '
                             'Nothing was changed' % (container['Name'].lstrip('/'), endpoint.host, endpoint.port,
                                                      status['source_host']), 'primary_host')

    def _kept_at_start(self, changed, actions, content):
        """(changed, actions) once the node's start-up file (startup_config.FENCE_FILE, in the configuration
        volume of a container made by db_container) says what its role needs at its next start: the run-time
        SET of read_only is lost by a restart. Servers reached by address only are left as they are."""
        container = self.context.target.container
        volume = config_volume(container) if container else None
        if volume is None:
            return changed, actions
        docker = self.context.docker
        path = '%s/%s' % (CONFIG_DIR, startup_config.FENCE_FILE)
        if docker.read_file(container['Id'], path) == content.encode('utf-8'):
            return changed, actions
        if not self.context.check_mode:
            docker.write_to_mount(container['Config']['Image'], {'type': 'volume', 'source': volume},
                                  [FileEntry(startup_config.FENCE_FILE, content.encode('utf-8'), 0o644, 0, 0)])
        return True, list(actions) + ['write %s (%s at every start)' % (
            startup_config.FENCE_FILE, 'read-only' if 'read_only = ON' in content else 'writable')]

    def replicaset(self):
        raise DbopsError('role replicaset is for MongoDB: MySQL and MariaDB use role primary and role replica',
                         'role')

    def status(self):
        return status(self.context.connect(), expect_semi_sync=self.params.get('semi_sync'))


# Where db_container mounts a MySQL or MariaDB container's configuration volume.
CONFIG_DIR = MySQLAdapter.config_dir


def config_volume(inspect):
    """The named volume mounted at CONFIG_DIR, or None (not a container made by db_container)."""
    for mount in inspect.get('Mounts') or []:
        if mount.get('Destination') == CONFIG_DIR and mount.get('Type') == 'volume':
            return mount.get('Name')
    return None
