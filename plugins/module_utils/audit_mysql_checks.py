# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL and MariaDB checks, as data: one Check per row.

Each evaluate(facts) reads the facts audit_mysql.collect() gathered, plus
facts['limits'] (the container's memory and CPUs) and facts['recommended']
(what db_container would derive for those limits), and returns None when the
server is fine on that point or a finding() with the fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit_core import Check, finding
from ansible_collections.dbops.containers.plugins.module_utils.sizes import GIB, MIB, to_mysql
from ansible_collections.dbops.containers.plugins.module_utils.versions import at_least


# --- helpers reading facts ---------------------------------------------------------
def var(facts, name, default=None):
    return facts['variables'].get(name, default)


def num(facts, name, source='variables'):
    value = facts[source].get(name)
    if value in (None, ''):
        raise KeyError(name)
    return float(value)


def status(facts, name):
    return num(facts, name, 'status')


def on(facts, name):
    return str(var(facts, name, '')).upper() in ('ON', '1', 'YES', 'TRUE')


def uptime(facts):
    return status(facts, 'uptime')


def human(size):
    return to_mysql(int(size)) if size % MIB == 0 else '%.1fM' % (size / MIB)


def setting_fix(name, value):
    return "settings: {%s: %s} (db_container) or SET PERSIST %s = %s" % (name, value, name, value)


def is_mariadb(facts):
    return facts['engine'] == 'mariadb'


# --- memory ------------------------------------------------------------------------
def buffer_pool_too_small(facts):
    memory = facts['limits']['memory']
    pool = num(facts, 'innodb_buffer_pool_size')
    wanted = int(facts['recommended']['innodb_buffer_pool_size_bytes'])
    data = facts['data_size'] + facts['index_size']
    # Small enough to matter: below 60% of what the limits allow, and the data does not already fit.
    if pool >= wanted * 0.6 or pool >= data * 1.1:
        return None
    return finding(human(pool), human(wanted),
                   'buffer pool %s is %.0f%% of the %s memory limit; data + indexes are %s'
                   % (human(pool), 100.0 * pool / memory, human(memory), human(data)),
                   setting_fix('innodb_buffer_pool_size', human(wanted)),
                   severity='critical' if pool < wanted * 0.25 else None)


def buffer_pool_too_large(facts):
    memory = facts['limits']['memory']
    pool = num(facts, 'innodb_buffer_pool_size')
    if pool <= memory * 0.8:
        return None
    wanted = int(facts['recommended']['innodb_buffer_pool_size_bytes'])
    return finding(human(pool), human(wanted),
                   'buffer pool %s is %.0f%% of the %s memory limit: connections and the server itself '
                   'need the rest, or the kernel OOM-kills mysqld' % (human(pool), 100.0 * pool / memory,
                                                                     human(memory)),
                   setting_fix('innodb_buffer_pool_size', human(wanted)),
                   severity='critical' if pool >= memory else None)


def worst_case_memory(facts):
    memory = facts['limits']['memory']
    per_thread = sum(num(facts, n) for n in ('sort_buffer_size', 'join_buffer_size', 'read_buffer_size',
                                              'read_rnd_buffer_size', 'thread_stack', 'binlog_cache_size'))
    per_thread += min(num(facts, 'tmp_table_size'), num(facts, 'max_heap_table_size'))
    peak_connections = max(status(facts, 'max_used_connections'), 1)
    total = num(facts, 'innodb_buffer_pool_size') + num(facts, 'innodb_log_buffer_size') + \
        num(facts, 'key_buffer_size') + per_thread * peak_connections
    if total <= memory:
        return None
    return finding(human(total), '< %s' % human(memory),
                   'buffer pool + key buffer + %d peak connections x %s per-connection buffers = %s, above the '
                   '%s memory limit' % (peak_connections, human(per_thread), human(total), human(memory)),
                   'lower tmp_table_size/sort_buffer_size or innodb_buffer_pool_size, or raise memory')


def buffer_pool_hit_ratio(facts):
    requests = status(facts, 'innodb_buffer_pool_read_requests')
    reads = status(facts, 'innodb_buffer_pool_reads')
    if requests < 10000:
        return None
    ratio = 100.0 * (1 - reads / requests)
    if ratio >= 99.0:
        return None
    return finding('%.2f%%' % ratio, '>= 99%',
                   '%d of %d page requests went to disk' % (reads, requests),
                   setting_fix('innodb_buffer_pool_size', human(facts['recommended']['innodb_buffer_pool_size_bytes'])))


# --- connections ------------------------------------------------------------------
def connections_near_peak(facts):
    limit = num(facts, 'max_connections')
    peak = status(facts, 'max_used_connections')
    if peak < limit * 0.85:
        return None
    wanted = max(int(facts['recommended']['max_connections']), int(peak * 1.5))
    return finding('%d (peak %d)' % (limit, peak), wanted,
                   'the peak of %d connections reached %.0f%% of max_connections' % (peak, 100.0 * peak / limit),
                   setting_fix('max_connections', wanted) + '; or pool connections in the application',
                   severity='critical' if peak >= limit else None)


def aborted_connects(facts):
    attempts = status(facts, 'connections')
    aborted = status(facts, 'aborted_connects')
    if attempts < 100 or aborted / attempts < 0.05:
        return None
    return finding('%.1f%% aborted' % (100.0 * aborted / attempts), '< 5%',
                   '%d of %d connection attempts failed' % (aborted, attempts),
                   'find the clients failing authentication (log_warnings/log_error_verbosity) and fix their credentials')


# --- indexes and scans ------------------------------------------------------------------
def full_scan_tables(facts):
    scans = [s for s in facts['full_scans'] or [] if int(s['count_read']) >= 100]
    if not scans:
        return None
    top = sorted(scans, key=lambda s: -int(s['count_read']))[:5]
    names = ', '.join('%s.%s (%s rows read by scans)' % (s['schema'], s['table'], s['count_read']) for s in top)
    return finding(names, 'index the columns these queries filter on',
                   'performance_schema: rows read without an index: ' + names,
                   'EXPLAIN the statements reading %s.%s and CREATE INDEX on their WHERE/JOIN columns'
                   % (top[0]['schema'], top[0]['table']))


def unused_indexes(facts):
    if facts['index_usage'] is None:
        return None
    unused = [u for u in facts['index_usage'] if u['index'] != 'PRIMARY' and int(u['count_star'] or 0) == 0]
    unique = set((i['schema'], i['table'], i['index']) for i in facts['indexes'] if i['unique'])
    unused = [u for u in unused if (u['schema'], u['table'], u['index']) not in unique]
    if not unused:
        return None
    names = ', '.join('%s.%s.%s' % (u['schema'], u['table'], u['index']) for u in unused[:10])
    first = unused[0]
    return finding(names, 'drop indexes no query uses',
                   'no reads through these indexes in %d s of uptime (performance_schema); every write '
                   'still maintains them' % uptime(facts),
                   'ALTER TABLE `%s`.`%s` DROP INDEX `%s` (after checking a full business cycle)'
                   % (first['schema'], first['table'], first['index']))


def duplicate_indexes(facts):
    redundant = facts['redundant_indexes']
    if not redundant:
        return None
    names = ', '.join('%s.%s.%s (%s of %s)' % (r['schema'], r['table'], r['index'], r['kind'], r['covered_by'])
                      for r in redundant[:10])
    first = redundant[0]
    return finding(names, 'one index per column prefix', names,
                   'ALTER TABLE `%s`.`%s` DROP INDEX `%s`' % (first['schema'], first['table'], first['index']))


def tables_without_primary_key(facts):
    tables = facts['tables_without_primary_key']
    if not tables:
        return None
    return finding(', '.join(tables[:10]), 'a primary key on every InnoDB table',
                   '%d InnoDB tables have no primary key' % len(tables),
                   'ALTER TABLE %s ADD PRIMARY KEY (...) (or an id column AUTO_INCREMENT)' % tables[0])


# --- logging and security -------------------------------------------------------------
def general_log_on(facts):
    if not on(facts, 'general_log'):
        return None
    return finding('ON', 'OFF', 'general_log writes every statement to %s' % var(facts, 'general_log_file'),
                   setting_fix('general_log', 'OFF') + ' (use the slow log or performance_schema)')


def anonymous_accounts(facts):
    if facts['accounts'] is None:
        return None
    anonymous = ["''@'%s'" % a['host'] for a in facts['accounts'] if a['user'] == '']
    if not anonymous:
        return None
    return finding(', '.join(anonymous), 'none', 'anonymous accounts let anyone log in',
                   '; '.join("DROP USER %s" % a for a in anonymous))


def accounts_without_password(facts):
    if facts['accounts'] is None:
        return None
    empty = ["'%s'@'%s'" % (a['user'], a['host']) for a in facts['accounts']
             if a['empty_password'] and a['user'] != '' and not a['locked']]
    if not empty:
        return None
    return finding(', '.join(empty), 'a password (or unix_socket) for every account',
                   'these accounts log in without a password',
                   "ALTER USER %s IDENTIFIED BY '<password>' (or DROP USER)" % empty[0])


CHECKS = (
    Check('mysql.memory.buffer_pool_small', 'memory', 'warning', 'InnoDB buffer pool far below the memory limit',
          buffer_pool_too_small, 'The buffer pool caches data and indexes; a small pool in a large container '
          'reads from disk what memory could hold.', 'MySQL manual: InnoDB buffer pool; innodb_dedicated_server'),
    Check('mysql.memory.buffer_pool_large', 'memory', 'warning', 'InnoDB buffer pool too close to the memory limit',
          buffer_pool_too_large, 'Per-connection buffers and the server need memory beyond the pool; past the '
          'container limit the kernel kills mysqld.', 'MySQL manual: How MySQL Uses Memory'),
    Check('mysql.memory.worst_case', 'memory', 'warning', 'Worst-case memory above the limit', worst_case_memory,
          'Global buffers plus per-connection buffers at the observed peak can exceed the container limit.',
          'MySQLTuner: maximum possible memory usage'),
    Check('mysql.cache.buffer_pool_hit_ratio', 'cache', 'warning', 'Buffer pool hit ratio below 99%',
          buffer_pool_hit_ratio, 'Reads that miss the pool wait for disk.', 'MySQL manual: InnoDB buffer pool metrics'),
    Check('mysql.connections.near_peak', 'connections', 'warning', 'max_connections nearly reached',
          connections_near_peak, 'When max_connections is reached new clients get "Too many connections".',
          'MySQL manual: max_connections'),
    Check('mysql.connections.aborted', 'connections', 'warning', 'Many aborted connection attempts', aborted_connects,
          'Failed logins waste threads and, past max_connect_errors, block hosts.', 'MySQL manual: Aborted_connects'),
    Check('mysql.index.full_scans', 'indexes', 'warning', 'Tables read by full scans', full_scan_tables,
          'A scan reads every row; an index on the filtered columns reads a few.',
          'MySQL manual: performance_schema table_io_waits_summary_by_index_usage'),
    Check('mysql.index.unused', 'indexes', 'info', 'Indexes no query uses', unused_indexes,
          'Every insert and update maintains every index; unused ones cost writes and buffer pool.',
          'sys.schema_unused_indexes'),
    Check('mysql.index.duplicate', 'indexes', 'warning', 'Duplicate or redundant indexes', duplicate_indexes,
          'An index whose columns lead another index adds write cost and no read benefit.',
          'pt-duplicate-key-checker; sys.schema_redundant_indexes'),
    Check('mysql.schema.no_primary_key', 'schema', 'warning', 'InnoDB tables without a primary key',
          tables_without_primary_key, 'InnoDB clusters rows on the primary key; without one it uses a hidden '
          'global counter, and row-based replication scans the table for every changed row.',
          'MySQL manual: Clustered and Secondary Indexes'),
    Check('mysql.logging.general_log', 'logging', 'warning', 'general_log is on in production', general_log_on,
          'The general log writes every statement: I/O, disk space and data in plain text.',
          'MySQL manual: The General Query Log'),
    Check('mysql.security.anonymous', 'security', 'critical', 'Anonymous accounts', anonymous_accounts,
          'An account with an empty user name matches any user name.', 'MySQL manual: Securing the Initial Accounts'),
    Check('mysql.security.no_password', 'security', 'critical', 'Accounts without a password',
          accounts_without_password, 'Anyone who reaches the port logs in.',
          'MySQL manual: Securing the Initial Accounts'),
)
