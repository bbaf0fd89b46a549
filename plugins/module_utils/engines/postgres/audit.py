# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit facts of a PostgreSQL server. Read-only: SELECT only, in a read-only session.

Everything is read through the statistics views a member of pg_monitor may
see; the few facts that need a superuser (pg_hba.conf rules, password hashes)
become None plus a note when the login user may not read them.
Version differences (column and view renames in 13 and 17) are chosen by the
small *_sql() functions below so that they can be unit-tested without a server.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.indexes import redundant_indexes
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import rows, scalar, try_fetch_dicts
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.values import plain, plain_row

# pg_settings units of memory settings, in bytes ('8kB' is one block).
SETTING_UNITS = {'B': 1, 'kB': 1024, '8kB': 8192, 'MB': 1024 ** 2, 'GB': 1024 ** 3, 'TB': 1024 ** 4}
# Sessions idle in a transaction for longer than this hold locks and the xmin horizon for no reason.
IDLE_IN_TRANSACTION_AGE = '5 minutes'
# Per-relation facts are capped so that a server with 100000 tables still gives a report.
MAX_RELATIONS = 2000
TOP_STATEMENTS = 20
# The views read here (backend_type, pg_stat_replication's *_lsn, pg_hba_file_rules) exist from 10.
MIN_VERSION_NUM = 100000


# --- version-dependent SQL (pure, unit-tested) ---------------------------------------
def version_from_num(version_num):
    """server_version_num -> tuple: 150004 -> (15, 4); 90624 -> (9, 6, 24)."""
    number = int(version_num)
    if number >= 100000:
        return (number // 10000, number % 10000)
    return (number // 10000, number // 100 % 100, number % 100)


def statements_sql(version_num, schema='public', limit=TOP_STATEMENTS):
    """Top statements by total time. PostgreSQL 13 renamed total_time/mean_time to
    total_exec_time/mean_exec_time (planning time got its own columns).

    Neither the audit's own statements nor any statement that names a password: pg_stat_statements
    keeps utility statements as written (CREATE ROLE ... PASSWORD 'x' with its literal, seen on a
    db_container server), and a finding quotes the statement's text."""
    if int(version_num) >= 130000:
        total, mean = 'total_exec_time', 'mean_exec_time'
    else:
        total, mean = 'total_time', 'mean_time'
    return ("SELECT d.datname, r.rolname, s.queryid, left(s.query, 500) AS query, s.calls, "
            "s.%(total)s AS total_ms, s.%(mean)s AS mean_ms, s.rows, s.shared_blks_hit, s.shared_blks_read, "
            "s.temp_blks_read, s.temp_blks_written "
            "FROM %(schema)s.pg_stat_statements s "
            "LEFT JOIN pg_database d ON d.oid = s.dbid LEFT JOIN pg_roles r ON r.oid = s.userid "
            "WHERE s.query NOT LIKE '%(mark)s' AND s.query !~* 'password' "
            "ORDER BY s.%(total)s DESC LIMIT %(limit)d"
            % {'total': total, 'mean': mean, 'schema': schema, 'limit': limit, 'mark': _mark_pattern()})


def checkpoints_sql(version_num):
    """Checkpoint counters. PostgreSQL 17 moved them from pg_stat_bgwriter to
    pg_stat_checkpointer (num_timed, num_requested) and dropped buffers_backend_fsync
    (now in pg_stat_io)."""
    if int(version_num) >= 170000:
        return ("SELECT num_timed AS timed, num_requested AS requested, NULL::bigint AS backend_fsync, "
                "'pg_stat_checkpointer' AS source FROM pg_stat_checkpointer")
    return ("SELECT checkpoints_timed AS timed, checkpoints_req AS requested, "
            "buffers_backend_fsync AS backend_fsync, 'pg_stat_bgwriter' AS source FROM pg_stat_bgwriter")


def current_lsn_sql(in_recovery):
    """The WAL position lag is measured from: a standby has no pg_current_wal_lsn()
    (it raises "recovery is in progress"), its replayed position stands in."""
    return 'pg_last_wal_replay_lsn()' if in_recovery else 'pg_current_wal_lsn()'


def indexes_sql(version_num):
    """User indexes with their key columns (or expression text), opclass when not the
    default one (a text_pattern_ops index is not a duplicate of a plain one), and the
    partial-index predicate. indnkeyatts (key columns without INCLUDE) exists from 11."""
    key_count = 'i.indnkeyatts' if int(version_num) >= 110000 else 'i.indnatts'
    return ("SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan, "
            "pg_relation_size(s.indexrelid) AS size_bytes, i.indisunique AS \"unique\", "
            "i.indisprimary AS \"primary\", i.indisexclusion AS exclusion, i.indisvalid AS valid, "
            "am.amname AS method, i.indexprs IS NOT NULL AS expression, "
            "ARRAY(SELECT pg_get_indexdef(i.indexrelid, k + 1, true) "
            "|| CASE WHEN o.opcdefault THEN '' ELSE ' ' || o.opcname END "
            "FROM generate_subscripts(i.indclass, 1) AS k JOIN pg_opclass o ON o.oid = i.indclass[k] "
            "WHERE k < %s ORDER BY k) AS columns, "
            "pg_get_expr(i.indpred, i.indrelid, true) AS predicate "
            "FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid "
            "JOIN pg_class c ON c.oid = s.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "ORDER BY s.schemaname, s.relname, s.indexrelname LIMIT %d" % (key_count, MAX_RELATIONS))


# --- settings ------------------------------------------------------------------
def setting_bytes(settings, name):
    """A memory setting in bytes from pg_settings' {'setting', 'unit'}; None when the
    setting has no memory unit or is negative (-1: disabled, or computed elsewhere)."""
    entry = settings[name]
    factor = SETTING_UNITS.get(entry.get('unit') or '')
    if factor is None:
        return None
    value = int(float(entry['setting']))
    return value * factor if value >= 0 else None


def preloaded_libraries(settings):
    raw = (settings.get('shared_preload_libraries') or {}).get('setting') or ''
    return [name.strip().strip('"').strip("'") for name in raw.split(',') if name.strip()]


# --- the audit's own statements ---------------------------------------------------
# Every statement of the audit is wrapped in a subquery and carries this comment (marked()).
# pg_stat_statements keeps one entry per statement shape (comments and constants do not count) with the
# text it was first seen with, comments inside the statement included: the wrapping gives the audit's
# statements shapes of their own, so their entries have the audit's text even where someone ran the same
# statement before. By it the audit's statements are left out of the statements the checks judge, and
# the audit's earlier runs are counted.
#
# What a run adds to pg_stat_database (measured on PostgreSQL 18: about 2400 catalogue blocks, most of
# them the new session's catalogue caches, and about 20 commits) is read at its end, its pending
# statistics flushed first (pg_stat_force_next_flush, PostgreSQL 15+), and subtracted once per earlier
# run: run after run the audit's hits would lift an idle server's cache hit ratio.
AUDIT_MARK = '/* dbops.containers db_tune_report */'
RUN_COUNTERS = ('blks_hit', 'blks_read', 'xact_commit')
_FLUSH = 'SELECT pg_stat_force_next_flush() AS flushed'


def marked(sql):
    """'SELECT x' -> 'SELECT /* dbops.containers db_tune_report */ * FROM (SELECT x) AS dbops_audit' (once)."""
    if AUDIT_MARK in sql:
        return sql
    return 'SELECT %s * FROM (%s) AS dbops_audit' % (AUDIT_MARK, sql)


def _mark_pattern():
    """A LIKE pattern for a marked statement."""
    return 'SELECT %s %%' % AUDIT_MARK


def earlier_runs_sql(schema):
    """How many runs of the audit ended before this one: the calls of its last statement (the flush)."""
    return ("SELECT COALESCE(sum(calls), 0) AS runs FROM %s.pg_stat_statements WHERE query LIKE '%s' "
            "AND query LIKE '%%pg_stat_force_next_flush%%'" % (schema, _mark_pattern()))


def run_footprint(start, end):
    """What this run added to RUN_COUNTERS (end: pg_stat_database after its statistics were flushed)."""
    return dict((name, max(0, int(end[name]) - int(start[name]))) for name in RUN_COUNTERS
                if start.get(name) is not None and end.get(name) is not None)


def subtract_audit_runs(stats, runs, footprint):
    """pg_stat_database's sums without `runs` earlier runs of this run's footprint, never below zero.
    On a busy server the footprint holds the workload of those seconds too: a small share unless the
    server is audited far more often than it works."""
    if not runs or not footprint:
        return stats
    adjusted = dict(stats)
    for name, amount in footprint.items():
        if adjusted.get(name) is not None:
            adjusted[name] = max(0, int(adjusted[name]) - int(runs) * int(amount))
    return adjusted


# --- reading ------------------------------------------------------------------
# Every statement runs as written (no parameters, so no driver interpolation), values JSON-friendly,
# marked as the audit's.
def _plain_rows(conn, sql):
    return [plain_row(row) for row in rows(conn, marked(sql))]


def _first_row(conn, sql):
    found = _plain_rows(conn, sql)
    return found[0] if found else None


def _plain_scalar(conn, sql):
    return plain(scalar(conn, marked(sql)))


def _try_plain_rows(conn, sql, notes, what):
    """The rows, or None and a note saying what could not be read (e.g. without superuser)."""
    cursor = conn.cursor()
    try:
        return try_fetch_dicts(cursor, marked(sql), notes, what, convert=plain)
    finally:
        cursor.close()


def _require_monitoring_role(conn):
    """Without pg_monitor most statistics views show other sessions' rows as
    "<insufficient privilege>": the audit would be wrong, so it refuses."""
    me = _first_row(conn, "SELECT quote_ident(current_user) AS name, "
                          "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser")
    if me['superuser']:
        return
    try:
        member = _plain_scalar(conn, "SELECT pg_has_role(current_user, 'pg_monitor', 'member') AS member")
    except Exception:  # noqa: BLE001 - PostgreSQL < 10 has no pg_monitor role
        member = False
    if not member:
        raise DbopsError('the login user lacks pg_monitor (it is neither a superuser nor a member of pg_monitor, '
                         'and the statistics views hide other sessions from it): GRANT pg_monitor TO %s, '
                         'or log in as postgres' % me['name'], 'login_user')


def collect(conn):
    """Facts the PostgreSQL checks read. ``conn`` is a psycopg2 connection (autocommit),
    opened for purpose 'audit' (read-only).

    The database counters are read first, before this run's statements can add to them, and what
    earlier runs of the audit added is subtracted (AUDIT_MARK).
    """
    notes = []
    database_stats = _database_stats(conn)
    server = _first_row(conn, "SELECT current_setting('server_version_num')::int AS num, version() AS text, "
                              "current_database() AS db")
    version_num = server['num']
    if version_num < MIN_VERSION_NUM:
        raise DbopsError('%s: the audit reads PostgreSQL 10 or later (9.6 reached end of life in November 2021); '
                         'upgrade the server' % server['text'])
    _require_monitoring_role(conn)
    settings = dict((r['name'], {'setting': r['setting'], 'unit': r['unit'], 'source': r['source'],
                                 'boot_val': r['boot_val']})
                    for r in _plain_rows(conn, 'SELECT name, setting, unit, source, boot_val FROM pg_settings'))
    facts = {'engine': 'postgres', 'version': version_from_num(version_num), 'version_num': version_num,
             'version_string': server['text'], 'database': server['db'], 'settings': settings, 'notes': notes}
    facts['database_stats'] = database_stats
    facts['connections'] = _connections(conn)
    facts['prepared_xacts'] = _first_row(conn, "SELECT count(*) AS count, "
                                               "COALESCE(extract(epoch FROM now() - min(prepared)), 0) AS oldest_s "
                                               "FROM pg_prepared_xacts")
    facts['tables'] = _tables(conn, notes)
    facts['indexes'] = _indexes(conn, version_num, notes)
    facts['redundant_indexes'] = find_redundant_indexes(facts['indexes'])
    facts['pg_stat_statements'], facts['statements'] = _statements(conn, version_num, settings, server['db'],
                                                                   notes)
    runs = facts['pg_stat_statements'].pop('earlier_runs', None)
    facts['hba'] = _try_plain_rows(conn, 'SELECT line_number, type, database, user_name, address, netmask, '
                                         'auth_method, error FROM pg_hba_file_rules ORDER BY line_number',
                                   notes, 'pg_hba.conf rules (pg_hba_file_rules needs a superuser)')
    facts['roles'] = _roles(conn, notes)
    facts['replication'] = _replication(conn, notes)
    facts['wraparound'] = _first_row(conn, 'SELECT datname AS database, age(datfrozenxid) AS max_age '
                                           'FROM pg_database ORDER BY age(datfrozenxid) DESC LIMIT 1')
    facts['checkpoints'] = _first_row(conn, checkpoints_sql(version_num))
    facts['uptime_s'] = _plain_scalar(conn, 'SELECT extract(epoch FROM now() - pg_postmaster_start_time()) AS s')
    facts['data_size'] = _plain_scalar(conn, 'SELECT sum(pg_database_size(oid)) AS s FROM pg_database')
    if version_num >= 150000:
        # Last, and once per run: earlier_runs_sql counts the runs by this statement.
        _plain_rows(conn, _FLUSH)
        if runs:
            facts['database_stats'] = subtract_audit_runs(database_stats, runs,
                                                          run_footprint(database_stats, _database_stats(conn)))
    return facts


def _database_stats(conn):
    # Sums over every database: the counters are per database, the server's health is their total.
    columns = ('blks_hit', 'blks_read', 'temp_files', 'temp_bytes', 'deadlocks', 'xact_commit', 'xact_rollback',
               'conflicts')
    return _first_row(conn, 'SELECT %s FROM pg_stat_database'
                      % ', '.join('COALESCE(sum(%s), 0) AS %s' % (c, c) for c in columns))


def _connections(conn):
    """Client sessions by state (background workers are not connections)."""
    found = _plain_rows(conn, (
        "SELECT COALESCE(state, 'unknown') AS state, count(*) AS n, "
        "count(*) FILTER (WHERE state LIKE 'idle in transaction%%' "
        "AND now() - state_change > interval '%s') AS idle_old "
        "FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1" % IDLE_IN_TRANSACTION_AGE))
    by_state = dict((r['state'], r['n']) for r in found)
    oldest = _first_row(conn, (
        "SELECT pid, usename, datname, state, extract(epoch FROM now() - xact_start) AS age_s "
        "FROM pg_stat_activity WHERE backend_type = 'client backend' AND xact_start IS NOT NULL "
        "AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 1"))
    return {'total': sum(by_state.values()), 'by_state': by_state,
            'idle_in_transaction': sum(n for s, n in by_state.items() if s.startswith('idle in transaction')),
            'idle_in_transaction_old': sum(r['idle_old'] for r in found),
            'oldest_xact_age_s': oldest['age_s'] if oldest else 0, 'oldest_xact': oldest}


def _tables(conn, notes):
    found = _plain_rows(conn, (
        "SELECT schemaname, relname, seq_scan, seq_tup_read, idx_scan, n_live_tup, n_dead_tup, "
        "n_mod_since_analyze, n_tup_ins, n_tup_upd, n_tup_del, last_vacuum, last_autovacuum, last_analyze, "
        "last_autoanalyze, pg_total_relation_size(relid) AS total_bytes FROM pg_stat_user_tables "
        "ORDER BY pg_total_relation_size(relid) DESC LIMIT %d" % MAX_RELATIONS))
    if len(found) == MAX_RELATIONS:
        notes.append('only the %d largest tables were read' % MAX_RELATIONS)
    return found


def _indexes(conn, version_num, notes):
    found = _plain_rows(conn, indexes_sql(version_num))
    if len(found) == MAX_RELATIONS:
        notes.append('only %d indexes were read' % MAX_RELATIONS)
    return found


def find_redundant_indexes(indexes):
    """Duplicate and redundant indexes (audit_indexes), per access method: a btree's
    leading columns serve queries on a prefix; other methods (hash, gin, gist) only
    make exact duplicates redundant."""
    by_method = {}
    for index in indexes:
        if not index.get('valid', True):
            continue  # an invalid index is its own finding, and serves no query
        by_method.setdefault(index['method'], []).append({
            'schema': index['schemaname'], 'table': index['relname'], 'index': index['indexrelname'],
            'columns': list(index['columns'] or []), 'unique': index['unique'], 'primary': index['primary'],
            'predicate': index['predicate']})
    found = []
    for method, group in sorted(by_method.items()):
        for item in redundant_indexes(group):
            if method == 'btree' or item['kind'] == 'duplicate':
                item['method'] = method
                found.append(item)
    return found


def _statements(conn, version_num, settings, database, notes):
    extension = _first_row(conn, "SELECT quote_ident(n.nspname) AS schema, e.extversion AS version "
                                 "FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                 "WHERE e.extname = 'pg_stat_statements'")
    status = {'preloaded': 'pg_stat_statements' in preloaded_libraries(settings), 'installed': extension is not None,
              'version': extension['version'] if extension else None}
    if not status['preloaded'] or not extension:
        notes.append('pg_stat_statements is not %s: per-statement statistics are not available'
                     % ('in shared_preload_libraries' if not status['preloaded'] else
                        'installed in database %s (CREATE EXTENSION pg_stat_statements)' % database))
        return status, None
    statements = _try_plain_rows(conn, statements_sql(version_num, extension['schema']), notes,
                                 'pg_stat_statements')
    runs = _try_plain_rows(conn, earlier_runs_sql(extension['schema']), notes,
                           "the audit's earlier runs (pg_stat_statements)")
    status['earlier_runs'] = int(runs[0]['runs']) if runs else None
    return status, statements


def _roles(conn, notes):
    superusers = [r['rolname']
                  for r in _plain_rows(conn, 'SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1')]
    # Password hashes are in pg_authid, which only a superuser reads.
    secrets = _try_plain_rows(conn, "SELECT rolname, rolpassword IS NULL AS no_password, "
                                    "COALESCE(rolpassword LIKE 'md5%', false) AS md5 "
                                    "FROM pg_authid WHERE rolcanlogin ORDER BY rolname",
                              notes, 'role passwords (pg_authid needs a superuser)')
    return {'superusers': superusers, 'superuser_count': len(superusers),
            'login_without_password': None if secrets is None else [r['rolname'] for r in secrets
                                                                    if r['no_password']],
            'md5_passwords': None if secrets is None else [r['rolname'] for r in secrets if r['md5']]}


def _replication(conn, notes):
    in_recovery = _plain_scalar(conn, 'SELECT pg_is_in_recovery() AS r')
    lsn = current_lsn_sql(in_recovery)
    replicas = _try_plain_rows(conn, (
        "SELECT application_name, host(client_addr) AS client_addr, state, sync_state, "
        "pg_wal_lsn_diff(%s, replay_lsn) AS replay_lag_bytes, "
        "extract(epoch FROM replay_lag) AS replay_lag_s FROM pg_stat_replication" % lsn),
        notes, 'pg_stat_replication') or []
    slots = _try_plain_rows(conn, (
        "SELECT slot_name, slot_type, database, active, pg_wal_lsn_diff(%s, restart_lsn) AS retained_bytes "
        "FROM pg_replication_slots" % lsn), notes, 'pg_replication_slots') or []
    receiver = None
    if in_recovery:
        receiver = _first_row(conn, "SELECT status, extract(epoch FROM now() - last_msg_receipt_time) "
                                    "AS last_msg_age_s FROM pg_stat_wal_receiver")
    return {'in_recovery': in_recovery, 'replicas': replicas, 'slots': slots, 'wal_receiver': receiver}
