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


def collect(connection, flavor_hint=None):
    """Facts the MySQL-family checks read. ``connection`` is a PyMySQL connection.

    Column names are read in lower case (lower_names): SHOW statements name them in capitals.
    """
    notes = []
    cursor = connection.cursor()
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
    status = dict((r['variable_name'].lower(), r['value'])
                  for r in fetch_dicts(cursor, 'SHOW GLOBAL STATUS', lower_names=True))
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
        "WHERE table_schema NOT IN (%s) ORDER BY 1, 2, 3, seq_in_index" % _SYSTEM_LIST), lower_names=True)
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
    facts['workload_full_joins'] = None
    if facts['performance_schema']:
        usage = try_fetch_dicts(cursor, (
            "SELECT object_schema AS `schema`, object_name AS `table`, index_name AS `index`, "
            "count_star, count_read FROM performance_schema.table_io_waits_summary_by_index_usage "
            "WHERE object_schema NOT IN (%s)" % _SYSTEM_LIST), notes, 'index usage', lower_names=True)
        if usage is not None:
            facts['index_usage'] = [u for u in usage if u['index'] is not None]
            facts['full_scans'] = [u for u in usage if u['index'] is None and int(u['count_read'] or 0) > 0]
        facts['statements'] = try_fetch_dicts(cursor, (
            "SELECT schema_name AS `schema`, digest_text, count_star, sum_timer_wait / 1e12 AS total_s, "
            "avg_timer_wait / 1e12 AS avg_s, sum_rows_examined, sum_rows_sent, sum_no_index_used, "
            "sum_created_tmp_disk_tables FROM performance_schema.events_statements_summary_by_digest "
            "WHERE digest_text IS NOT NULL ORDER BY sum_timer_wait DESC LIMIT 20"), notes, 'statement digests',
            lower_names=True)
        # Select_full_join also counts the metadata reads of audit tools (this audit's and
        # MySQLTuner's joins of information_schema tables; on MySQL 8+ even SHOW SCHEMAS, which reads
        # the data dictionary's views): the workload's are the other statements'.
        joins = try_fetch_dicts(cursor, (
            "SELECT COALESCE(SUM(sum_select_full_join), 0) AS joins "
            "FROM performance_schema.events_statements_summary_by_digest WHERE digest_text IS NOT NULL "
            "AND digest_text NOT LIKE 'SHOW %' AND digest_text NOT LIKE '%information_schema%' "
            "AND digest_text NOT LIKE '%performance_schema%'"),
            notes, 'joins by statement', lower_names=True)
        facts['workload_full_joins'] = int(joins[0]['joins']) if joins else None
    else:
        notes.append('performance_schema is OFF: per-index and per-statement statistics are not available')

    facts['accounts'] = _accounts(cursor, notes)
    facts['replication'] = try_fetch_dicts(cursor, flavor.all_channels_status_sql(), notes, 'replication status',
                                           lower_names=True) or []
    facts['innodb_metrics'] = _innodb_metrics(cursor, notes)
    facts['innodb_transactions'] = try_fetch_dicts(cursor, (
        "SELECT trx_mysql_thread_id AS thread_id, trx_state AS state, "
        "TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS age_s, trx_rows_locked AS rows_locked "
        "FROM information_schema.innodb_trx ORDER BY trx_started LIMIT 20"), notes, 'InnoDB transactions',
        lower_names=True)
    # information_schema.tables.auto_increment is cached on MySQL 8 (information_schema_stats_expiry):
    # close enough to see a counter near its type's maximum.
    facts['auto_increment'] = try_fetch_dicts(cursor, (
        "SELECT t.table_schema AS `schema`, t.table_name AS `table`, c.column_name AS `column`, c.column_type, "
        "t.auto_increment FROM information_schema.tables t JOIN information_schema.columns c "
        "ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
        "WHERE c.extra LIKE '%%auto_increment%%' AND t.auto_increment IS NOT NULL "
        "AND t.table_schema NOT IN (%s)" % _SYSTEM_LIST), notes, 'auto-increment counters', lower_names=True)
    cursor.close()
    return facts


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
