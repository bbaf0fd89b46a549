# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit facts of a MySQL or MariaDB server. Read-only: SELECT and SHOW only."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.indexes import redundant_indexes
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import fetch_dicts, try_fetch_dicts
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.security import (
    guessable_password)
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_of

SYSTEM_SCHEMAS = ('mysql', 'information_schema', 'performance_schema', 'sys')
_SYSTEM_LIST = ', '.join("'%s'" % s for s in SYSTEM_SCHEMAS)
# Accounts the server creates for itself (locked, no login).
SYSTEM_ACCOUNTS = ('mariadb.sys', 'mysql.sys', 'mysql.session', 'mysql.infoschema', 'PUBLIC')


# Statements that read the server's metadata (SHOW, information_schema, performance_schema, the mysql
# schema): this audit's own, MySQLTuner's, a monitoring agent's. They scan, join and build temporary tables
# in the server's catalogue, not in the workload's tables, yet they raise the same status counters.
METADATA_DIGEST = ("(digest_text LIKE 'SHOW %' OR digest_text LIKE '%information_schema%' "
                   "OR digest_text LIKE '%performance_schema%' OR digest_text LIKE '%`mysql` .%' "
                   "OR digest_text LIKE 'SELECT VERSION ( )%' OR digest_text LIKE 'SELECT `VERSION` ( )%')")
# Status counter <- the statement digests' column that counts the same thing per statement. Every
# counter a check reads that the audit's own statements raise is here (measured on MySQL 9.7 and
# MariaDB 11.8: Select_full_join, Select_scan, Created_tmp_tables, Created_tmp_disk_tables, Sort_scan, and
# the rows they examine, which are Handler_read_rnd_next reads of the catalogue's tables).
DIGEST_COUNTERS = (
    ('select_full_join', 'sum_select_full_join'),
    ('select_full_range_join', 'sum_select_full_range_join'),
    ('select_scan', 'sum_select_scan'),
    ('created_tmp_tables', 'sum_created_tmp_tables'),
    ('created_tmp_disk_tables', 'sum_created_tmp_disk_tables'),
    ('sort_merge_passes', 'sum_sort_merge_passes'),
    ('sort_scan', 'sum_sort_scan'),
    ('sort_range', 'sum_sort_range'),
    ('sort_rows', 'sum_sort_rows'),
)
# Counters a check reads that the audit raises but no digest column counts: each earlier run's share is
# taken to be this run's (its footprint, measured at the end of the run), times the number of earlier
# runs (how often the digest of metadata_counters_sql() ran: only this audit runs it).
FOOTPRINT_COUNTERS = ('handler_read_first', 'handler_read_key', 'handler_read_last', 'handler_read_next',
                      'handler_read_prev', 'handler_read_rnd', 'handler_read_rnd_next', 'questions',
                      'table_open_cache_hits', 'table_open_cache_misses', 'opened_tables', 'table_locks_immediate',
                      'innodb_buffer_pool_read_requests', 'innodb_buffer_pool_reads', 'threads_created')
# The text of this audit's own digest query, as the digest shows it (the column names survive).
_OWN_DIGEST = "digest_text LIKE '%`sum_select_full_join`%`sum_sort_rows`%'"


def metadata_counters_sql():
    """The digests' sums of DIGEST_COUNTERS over metadata statements, and how many times this audit ran
    before (its own statement's digest: a statement's digest is counted when it ends, not while it runs)."""
    return ('SELECT %s, (SELECT COALESCE(SUM(count_star), 0) FROM performance_schema.'
            'events_statements_summary_by_digest WHERE %s) AS earlier_runs '
            'FROM performance_schema.events_statements_summary_by_digest WHERE %s'
            % (', '.join('COALESCE(SUM(%s), 0) AS %s' % (column, name) for name, column in DIGEST_COUNTERS),
               _OWN_DIGEST, METADATA_DIGEST))


def _count(value):
    return int(float(value)) if value not in (None, '') else None


def own_footprint(start, end, session):
    """What one run adds to FOOTPRINT_COUNTERS, from the global counters at its start and end and its
    session's (SHOW SESSION STATUS shows the global value of a counter without session scope).

    A session's counters leave out what its SHOW ... STATUS statements read (on MySQL 9.7 about a
    thousand Handler_read_rnd_next each), which the global ones count once the statement is over: the
    start's SHOW GLOBAL STATUS is in the global difference and not in the session's, and the two SHOW
    statements after the end's reading cost as much again each. So: the global difference plus twice
    its excess over the session's count (measured on an idle MySQL 9.7: 5271 estimated for 5289 read
    per run). On a busy server the global difference also holds the workload of those seconds, a
    share of the counters that stays small unless the server is audited far more often than it works.
    """
    footprint = {}
    for name in FOOTPRINT_COUNTERS:
        before, after, own = _count(start.get(name)), _count(end.get(name)), _count(session.get(name))
        if before is None or after is None:
            continue
        delta = max(0, after - before)
        statements_unseen = 0 if own is None else max(0, delta - own)
        footprint[name] = delta + 2 * statements_unseen
    return footprint


def subtract_audit_reads(status, metadata, footprint):
    """The status counters without what metadata statements added (their digests' sums) and without
    earlier runs of this audit (earlier_runs x this run's footprint; one connection each), never below 0.

    However often the server is audited, its counters read as its workload left them.
    """
    adjusted = dict(status)

    def subtract(name, amount):
        value = _count(status.get(name))
        if value is not None and amount:
            adjusted[name] = str(max(0, value - int(amount)))
    for name, _column in DIGEST_COUNTERS:
        subtract(name, _count(metadata.get(name)))
    runs = _count(metadata.get('earlier_runs')) or 0
    for name, amount in footprint.items():
        subtract(name, runs * amount)
    # Connections and Threads_connected count this run's own connection, made before the counters were read.
    subtract('connections', runs + 1)
    return adjusted


def collect(connection, flavor_hint=None):
    """Facts the MySQL-family checks read. ``connection`` is a PyMySQL connection.

    Column names are read in lower case (lower_names): SHOW statements name them in capitals.

    The status counters are read first, before any statement of this audit can raise them (SHOW GLOBAL
    STATUS itself raises none), and what metadata reads (this audit's earlier runs among them) added to
    them is subtracted with the statement digests when performance_schema has them. The other statements
    are written to raise as few of those counters as they can: no join, no ORDER BY on the server.
    """
    notes = []
    cursor = connection.cursor()
    status = _status(cursor, 'GLOBAL')
    metadata = None
    try:  # performance_schema may be off or unreadable: then the counters are the server's as they are
        metadata = fetch_dicts(cursor, metadata_counters_sql(), lower_names=True)[0]
    except Exception:  # noqa: BLE001
        metadata = None
    version_string = fetch_dicts(cursor, 'SELECT VERSION() AS v', lower_names=True)[0]['v']
    flavor = flavor_of(version_string)
    try:
        cursor.execute('SHOW ENGINE INNODB STATUS')
        cursor.fetchall()
    except Exception as exc:  # noqa: BLE001
        raise DbopsError('the login user lacks the PROCESS privilege the audit needs (%s): '
                         'GRANT PROCESS, SELECT ON *.* TO the user, or log in as root' % exc, 'login_user')
    variables = dict((r['variable_name'].lower(), r['value'])
                     for r in fetch_dicts(cursor, 'SHOW GLOBAL VARIABLES', lower_names=True))
    facts = {'engine': flavor.name, 'version': flavor.version, 'version_string': version_string,
             'variables': variables, 'status': status, 'notes': notes}

    facts['tables'] = fetch_dicts(cursor, (
        "SELECT table_schema AS `schema`, table_name AS `table`, engine, table_rows AS `rows`, "
        "data_length, index_length, data_free FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN (%s)" % _SYSTEM_LIST), lower_names=True)
    facts['data_size'] = sum(int(t['data_length'] or 0) for t in facts['tables'])
    facts['index_size'] = sum(int(t['index_length'] or 0) for t in facts['tables'])
    stats = fetch_dicts(cursor, (
        "SELECT table_schema AS `schema`, table_name AS `table`, index_name AS `index`, non_unique, "
        "seq_in_index, column_name, sub_part FROM information_schema.statistics "
        "WHERE table_schema NOT IN (%s)" % _SYSTEM_LIST), lower_names=True)
    # Sorted here, not by the server (an ORDER BY would count in Sort_scan, which a check reads).
    stats.sort(key=lambda r: (r['schema'], r['table'], r['index'], int(r['seq_in_index'])))
    indexes = {}
    for row in stats:
        key = (row['schema'], row['table'], row['index'])
        entry = indexes.setdefault(key, {'schema': row['schema'], 'table': row['table'], 'index': row['index'],
                                         'columns': [], 'unique': not int(row['non_unique']),
                                         'primary': row['index'] == 'PRIMARY', 'predicate': None})
        entry['columns'].append('%s(%s)' % (row['column_name'], row['sub_part']) if row['sub_part']
                                else row['column_name'])
    facts['indexes'] = list(indexes.values())
    facts['redundant_indexes'] = redundant_indexes(facts['indexes'])
    with_primary = set((i['schema'], i['table']) for i in facts['indexes'] if i['primary'])
    facts['tables_without_primary_key'] = [
        '%s.%s' % (t['schema'], t['table']) for t in facts['tables']
        if (t['schema'], t['table']) not in with_primary and (t['engine'] or '').lower() == 'innodb']

    facts['performance_schema'] = variables.get('performance_schema', 'OFF').upper() == 'ON'
    facts['index_usage'] = None
    facts['full_scans'] = None
    facts['statements'] = None
    if facts['performance_schema']:
        usage = try_fetch_dicts(cursor, (
            "SELECT object_schema AS `schema`, object_name AS `table`, index_name AS `index`, "
            "count_star, count_read FROM performance_schema.table_io_waits_summary_by_index_usage "
            "WHERE object_schema NOT IN (%s)" % _SYSTEM_LIST), notes, 'index usage', lower_names=True)
        if usage is not None:
            facts['index_usage'] = [u for u in usage if u['index'] is not None]
            facts['full_scans'] = [u for u in usage if u['index'] is None and int(u['count_read'] or 0) > 0]
        # The workload's statements: metadata reads (this audit's own, after ten runs, would be among the
        # most frequent statements that use no index) are not the application's to fix.
        facts['statements'] = try_fetch_dicts(cursor, (
            "SELECT schema_name AS `schema`, digest_text, count_star, sum_timer_wait / 1e12 AS total_s, "
            "avg_timer_wait / 1e12 AS avg_s, sum_rows_examined, sum_rows_sent, sum_no_index_used, "
            "sum_created_tmp_disk_tables FROM performance_schema.events_statements_summary_by_digest "
            "WHERE digest_text IS NOT NULL AND NOT %s ORDER BY sum_timer_wait DESC LIMIT 20"
            % METADATA_DIGEST), notes, 'statement digests', lower_names=True)
    else:
        notes.append('performance_schema is OFF: per-index and per-statement statistics are not available, and '
                     'the status counters include what earlier audits and other tools\' metadata reads added')

    facts['accounts'] = _accounts(cursor, notes)
    facts['replication'] = try_fetch_dicts(cursor, flavor.all_channels_status_sql(), notes, 'replication status',
                                           lower_names=True) or []
    facts['innodb_metrics'] = _innodb_metrics(cursor, notes)
    transactions = try_fetch_dicts(cursor, (
        "SELECT trx_mysql_thread_id AS thread_id, trx_state AS state, "
        "TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS age_s, trx_rows_locked AS rows_locked "
        "FROM information_schema.innodb_trx"), notes, 'InnoDB transactions', lower_names=True)
    # The oldest first (sorted here: an ORDER BY would count in Sort_scan).
    facts['innodb_transactions'] = (None if transactions is None else
                                    sorted(transactions, key=lambda r: -int(r['age_s'] or 0))[:20])
    facts['auto_increment'] = _auto_increment(cursor, notes)
    if facts['performance_schema'] and metadata is not None:
        footprint = own_footprint(status, _status(cursor, 'GLOBAL'), _status(cursor, 'SESSION'))
        facts['status'] = subtract_audit_reads(status, metadata, footprint)
        notes.append('status counters exclude what metadata reads (SHOW, information_schema, performance_schema: '
                     'audits, monitoring) and earlier runs of this audit added to them')
    cursor.close()
    return facts


def _status(cursor, scope):
    return dict((r['variable_name'].lower(), r['value'])
                for r in fetch_dicts(cursor, 'SHOW %s STATUS' % scope, lower_names=True))


def _auto_increment(cursor, notes):
    """Tables' next auto-increment values with their column's type.

    information_schema.tables.auto_increment is cached on MySQL 8 (information_schema_stats_expiry):
    close enough to see a counter near its type's maximum. Two reads joined here rather than a JOIN on
    the server: on MariaDB that join materialised information_schema.columns once per table (measured:
    123 temporary tables, 20 of them on disk, and a Select_full_join, for one run of the audit).
    """
    counters = try_fetch_dicts(cursor, (
        "SELECT table_schema AS `schema`, table_name AS `table`, auto_increment FROM information_schema.tables "
        "WHERE auto_increment IS NOT NULL AND table_schema NOT IN (%s)" % _SYSTEM_LIST), notes,
        'auto-increment counters', lower_names=True)
    if not counters:
        return counters
    columns = try_fetch_dicts(cursor, (
        "SELECT table_schema AS `schema`, table_name AS `table`, column_name AS `column`, column_type "
        "FROM information_schema.columns WHERE extra LIKE '%%auto_increment%%' AND table_schema NOT IN (%s)"
        % _SYSTEM_LIST), notes, 'auto-increment columns', lower_names=True)
    if columns is None:
        return None
    by_table = dict(((c['schema'], c['table']), c) for c in columns)
    found = []
    for row in counters:
        column = by_table.get((row['schema'], row['table']))
        if column is not None:
            found.append({'schema': row['schema'], 'table': row['table'], 'column': column['column'],
                          'column_type': column['column_type'], 'auto_increment': row['auto_increment']})
    return found


# InnoDB counters that are not status variables on MySQL (MariaDB has Innodb_deadlocks and
# Innodb_history_list_length in SHOW GLOBAL STATUS).
INNODB_METRICS = ('lock_deadlocks', 'trx_rseg_history_len')


def _innodb_metrics(cursor, notes):
    """{metric: count} for the enabled metrics of INNODB_METRICS, None when unreadable."""
    rows = try_fetch_dicts(cursor, "SELECT * FROM information_schema.innodb_metrics WHERE name IN (%s)"
                           % ', '.join("'%s'" % name for name in INNODB_METRICS), notes, 'InnoDB metrics',
                           lower_names=True)
    if rows is None:
        return None
    metrics = {}
    for row in rows:
        # MySQL has a STATUS column ('enabled'), MariaDB an ENABLED column (1).
        enabled = str(row.get('status', row.get('enabled', ''))).lower() in ('enabled', '1')
        if enabled:
            metrics[row['name'].lower()] = int(row['count'] or 0)
    return metrics


def _accounts(cursor, notes):
    rows = try_fetch_dicts(cursor, 'SELECT * FROM mysql.user', notes, 'accounts (mysql.user)', lower_names=True)
    if rows is None:
        return None
    accounts = []
    for row in rows:
        user = row.get('user')
        user = user.decode() if isinstance(user, bytes) else user
        host = row.get('host')
        host = host.decode() if isinstance(host, bytes) else host
        if user in SYSTEM_ACCOUNTS or str(row.get('is_role', 'N')).upper() == 'Y':
            continue
        plugin = row.get('plugin') or ''
        plugin = plugin.decode() if isinstance(plugin, bytes) else plugin
        secret = row.get('authentication_string') or row.get('password') or ''
        locked = str(row.get('account_locked', 'N')).upper() == 'Y'
        socket_auth = plugin in ('unix_socket', 'auth_socket')
        # Only whether the hash is guessable is kept: the hash itself stays here.
        accounts.append({'user': user, 'host': host, 'plugin': plugin, 'locked': locked,
                         'empty_password': not secret and not socket_auth,
                         'guessable_password': guessable_password(user, plugin, secret)})
    return accounts
