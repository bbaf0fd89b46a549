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

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import Check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, KIB, MIB, to_mysql
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least, format_version


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


def flag(facts, name):
    """A boolean variable; KeyError (check not evaluated) when the server does not have it."""
    return str(facts['variables'][name]).upper() in ('ON', '1', 'YES', 'TRUE')


def text(facts, name):
    """A variable as text; KeyError when the server does not have it, '' for NULL."""
    value = facts['variables'][name]
    return '' if value is None else str(value)


def first_var(facts, *names):
    """The first of several names the server knows (the replica/slave renames of MySQL 8.0.26)."""
    for name in names:
        if name in facts['variables']:
            return name
    raise KeyError(names[0])


def uptime(facts):
    return status(facts, 'uptime')


def per_day(count, facts):
    return count * 86400.0 / max(uptime(facts), 1)


def ratio(part, whole):
    return part / whole if whole else 0.0


def human(size):
    return to_mysql(int(size)) if size % KIB == 0 else '%.1fM' % (size / MIB)


def recommended_size(facts, name):
    """What db_container derives for the container's limits, in bytes (KeyError without limits)."""
    return int(facts['recommended'][name + '_bytes'])


def limit_cpus(facts):
    cpus = facts['limits'].get('cpus')
    if not cpus:
        raise KeyError('limits.cpus')
    return float(cpus)


def setting_fix(name, value, facts=None, restart=False):
    """The db_container setting and the statement that applies it to a running server.

    MariaDB has no SET PERSIST: a SET GLOBAL is lost at restart, so the setting goes
    in the configuration too. Read-only variables need a restart on both.
    """
    managed = 'settings: {%s: %s} (db_container)' % (name, value)
    if facts is None:
        return '%s or SET PERSIST %s = %s' % (managed, name, value)
    if is_mariadb(facts):
        if restart:
            return '%s, then restart (%s is read-only at runtime)' % (managed, name)
        return '%s, and SET GLOBAL %s = %s to apply it now' % (managed, name, value)
    if restart:
        return '%s or SET PERSIST_ONLY %s = %s, then restart' % (managed, name, value)
    return '%s or SET PERSIST %s = %s' % (managed, name, value)


def is_mariadb(facts):
    return facts['engine'] == 'mariadb'


def is_mysql(facts):
    return facts['engine'] == 'mysql'


def version(facts):
    return facts['version']


def is_replica(facts):
    return bool(facts.get('replication'))


def quoted(account):
    return "'%s'@'%s'" % (account['user'], account['host'])


def wildcard_host(host):
    return '%' in (host or '')


def table_name(row):
    return '`%s`.`%s`' % (row['schema'], row['table'])


# --- memory ------------------------------------------------------------------------
def buffer_pool_too_small(facts):
    memory = facts['limits']['memory']
    pool = num(facts, 'innodb_buffer_pool_size')
    wanted = int(facts['recommended']['innodb_buffer_pool_size_bytes'])
    data = facts['data_size'] + facts['index_size']
    # Small enough to matter: below 60% of what the limits allow.
    if pool >= wanted * 0.6:
        return None
    # Critical when the data no longer fits and the pool is a fraction of what it
    # could be: reads go to disk. While the data still fits, the container pays
    # for memory the server leaves unused, and growth will hit the disk.
    outgrown = data > pool * 0.9
    return finding(human(pool), human(wanted),
                   'buffer pool %s is %.0f%% of the %s memory limit; data + indexes are %s%s'
                   % (human(pool), 100.0 * pool / memory, human(memory), human(data),
                      '' if outgrown else ' (they still fit, growth will not)'),
                   setting_fix('innodb_buffer_pool_size', human(wanted), facts),
                   severity='critical' if outgrown and pool < wanted * 0.25 else 'warning')


def buffer_pool_too_large(facts):
    memory = facts['limits']['memory']
    pool = num(facts, 'innodb_buffer_pool_size')
    if pool <= memory * 0.8:
        return None
    wanted = int(facts['recommended']['innodb_buffer_pool_size_bytes'])
    return finding(human(pool), human(wanted),
                   'buffer pool %s is %.0f%% of the %s memory limit: connections and the server itself '
                   'need the rest, or the kernel OOM-kills mysqld'
                   % (human(pool), 100.0 * pool / memory, human(memory)),
                   setting_fix('innodb_buffer_pool_size', human(wanted), facts),
                   severity='critical' if pool >= memory else None)


def worst_case_memory(facts):
    memory = facts['limits']['memory']
    buffers = ('sort_buffer_size', 'join_buffer_size', 'read_buffer_size', 'read_rnd_buffer_size', 'thread_stack',
               'binlog_cache_size')
    per_thread = sum(num(facts, name) for name in buffers)
    per_thread += min(num(facts, 'tmp_table_size'), num(facts, 'max_heap_table_size'))
    peak_connections = max(status(facts, 'max_used_connections'), 1)
    total = num(facts, 'innodb_buffer_pool_size') + num(facts, 'innodb_log_buffer_size') + \
        num(facts, 'key_buffer_size') + per_thread * peak_connections
    if total <= memory:
        return None
    return finding(human(total), '< %s' % human(memory),
                   'buffer pool + key buffer + %d peak connections x %s per-connection buffers = %s, above the '
                   '%s memory limit' % (peak_connections, human(per_thread), human(total), human(memory)),
                   worst_case_fix(facts))


def worst_case_fix(facts):
    """db_container's per-connection sizes when they are known, else the generic advice."""
    recommended = facts.get('recommended') or {}
    if 'tmp_table_size' not in recommended:
        return 'lower tmp_table_size/sort_buffer_size or innodb_buffer_pool_size, or raise memory'
    return ('%s; %s; %s (per-connection buffers at their defaults), or raise memory'
            % (setting_fix('tmp_table_size', recommended['tmp_table_size'], facts),
               setting_fix('max_heap_table_size', recommended['max_heap_table_size'], facts),
               setting_fix('sort_buffer_size', recommended.get('sort_buffer_size', '256K'), facts)))


def buffer_pool_hit_ratio(facts):
    requests = status(facts, 'innodb_buffer_pool_read_requests')
    reads = status(facts, 'innodb_buffer_pool_reads')
    if requests < 10000:
        return None
    hit = 100.0 * (1 - reads / requests)
    if hit >= 99.0:
        return None
    return finding('%.2f%%' % hit, '>= 99%',
                   '%d of %d page requests went to disk' % (reads, requests),
                   setting_fix('innodb_buffer_pool_size', human(recommended_size(facts, 'innodb_buffer_pool_size')),
                               facts))


# --- connections ------------------------------------------------------------------
def connections_near_peak(facts):
    limit = num(facts, 'max_connections')
    peak = status(facts, 'max_used_connections')
    if peak < limit * 0.85:
        return None
    wanted = max(int(facts['recommended']['max_connections']), int(peak * 1.5))
    return finding('%d (peak %d)' % (limit, peak), wanted,
                   'the peak of %d connections reached %.0f%% of max_connections' % (peak, 100.0 * peak / limit),
                   setting_fix('max_connections', wanted, facts) + '; or pool connections in the application',
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
                   setting_fix('general_log', 'OFF', facts) + ' (use the slow log or performance_schema)')


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
    # Wildcard hosts have their own, critical check (security.wildcard_no_password).
    empty = [quoted(a) for a in facts['accounts']
             if a['empty_password'] and a['user'] != '' and not a['locked'] and not wildcard_host(a['host'])]
    if not empty:
        return None
    return finding(', '.join(empty), 'a password (or unix_socket) for every account',
                   'these accounts log in without a password',
                   "ALTER USER %s IDENTIFIED BY '<password>' (or DROP USER)" % empty[0])


# --- query cache, removed and deprecated settings ----------------------------------------
def query_cache_enabled(facts):
    # MySQL 8.0 removed the query cache: nothing to check there.
    if is_mysql(facts) and at_least(version(facts), (8, 0)):
        return None
    mode = text(facts, 'query_cache_type').upper()
    size = num(facts, 'query_cache_size')
    if mode in ('OFF', '0') or size == 0:
        return None
    return finding('query_cache_type=%s, query_cache_size=%s' % (mode, human(size)), 'OFF, 0',
                   'every write invalidates the cached results of its table under one global mutex: '
                   'concurrent sessions queue on it (%s low-memory prunes)'
                   % facts['status'].get('qcache_lowmem_prunes', 'unknown'),
                   '%s; %s' % (setting_fix('query_cache_type', 'OFF', facts),
                               setting_fix('query_cache_size', 0, facts)))


def expire_logs_days_used(facts):
    # MySQL deprecated expire_logs_days in 8.0 and removed it in 8.2: a configuration that
    # still sets it stops the server from starting after the upgrade to 8.4. On MariaDB it is
    # an alias of binlog_expire_logs_seconds.
    if not is_mysql(facts) or not at_least(version(facts), (8, 0)) or at_least(version(facts), (8, 2)):
        return None
    days = num(facts, 'expire_logs_days')
    if days <= 0:
        return None
    seconds = int(days * 86400)
    return finding('expire_logs_days=%g' % days, 'binlog_expire_logs_seconds=%d' % seconds,
                   'expire_logs_days is deprecated since MySQL 8.0 and removed in 8.2; mysqld 8.4 refuses '
                   'to start with it', 'delete expire_logs_days from the configuration; '
                   + setting_fix('binlog_expire_logs_seconds', seconds, facts))


def _is(*neutral):
    """A predicate: the variable still has one of its neutral values (the setting is not used)."""
    values = set(v.upper() for v in neutral)
    return lambda value: str(value).upper() in values


# (flavor, deprecated since, removed in, variable, its neutral value(s), what to do instead).
# A deprecated variable stays visible in SHOW VARIABLES with its default value; a value away
# from the default means the configuration sets it. expire_logs_days and innodb_log_file_size
# have their own checks.
# Sources: MySQL Server Version Reference (option and variable changes for 8.0, 8.3, 8.4);
# MariaDB KB, InnoDB System Variables (Deprecated/Removed fields).
DEPRECATED_SETTINGS = (
    ('mysql', (8, 0, 18), (8, 3), 'log_bin_use_v1_row_events', _is('OFF', '0'),
     'delete it: replicas older than MySQL 5.6.6 are long unsupported'),
    ('mysql', (8, 0, 23), (8, 3), 'master_info_repository', _is('TABLE'),
     'delete it: the connection metadata repository is always a crash-safe table'),
    ('mysql', (8, 0, 23), (8, 3), 'relay_log_info_repository', _is('TABLE'),
     'delete it: the applier metadata repository is always a crash-safe table'),
    ('mysql', (8, 0), (8, 4), 'avoid_temporal_upgrade', _is('OFF', '0'),
     'delete it and ALTER TABLE ... FORCE the tables with pre-5.6.4 temporal columns'),
    ('mariadb', (10, 5, 1), (10, 6), 'innodb_buffer_pool_instances', _is('1'),
     'delete it: MariaDB has one buffer pool since 10.5 and ignores the setting'),
    ('mariadb', (10, 5, 2), (10, 6), 'innodb_log_files_in_group', _is('1'),
     'delete it: MariaDB writes one redo log file since 10.5 (size it with innodb_log_file_size)'),
    ('mariadb', (10, 5, 5), (10, 6), 'innodb_thread_concurrency', _is('0'),
     'delete it: InnoDB no longer throttles threads'),
    ('mariadb', (10, 9), (11, 0), 'innodb_change_buffering', _is('none'),
     'delete it: the change buffer is ignored since 10.9 and removed in 11.0'),
    ('mariadb', (11, 0, 1), (11, 1), 'innodb_defragment', _is('OFF', '0'),
     'delete it: use OPTIMIZE TABLE to rebuild fragmented tables'),
)


def deprecated_settings_in_use(facts):
    current, removal, advice = [], [], []
    for flavor, since, removed_in, name, neutral, instead in DEPRECATED_SETTINGS:
        if facts['engine'] != flavor or not at_least(version(facts), since) or at_least(version(facts), removed_in):
            continue
        if name in facts['variables'] and not neutral(facts['variables'][name]):
            current.append('%s=%s' % (name, facts['variables'][name]))
            removal.append('%s is removed in %s %s' % (name, facts['engine'], format_version(removed_in)))
            advice.append('%s: %s' % (name, instead))
    if not current:
        return None
    return finding(', '.join(current), 'not set',
                   '; '.join(removal) + ': the server refuses to start with them after the upgrade',
                   '; '.join(advice))


# --- durability and the binary log ---------------------------------------------------
def flush_log_at_commit(facts):
    value = int(num(facts, 'innodb_flush_log_at_trx_commit'))
    # MariaDB's 3 syncs at commit too (group commit as in 5.5).
    if value == 1 or (value == 3 and is_mariadb(facts)):
        return None
    lost = 'a mysqld crash or an OOM kill' if value == 0 else 'an operating system crash or power loss'
    return finding(value, 1, 'with innodb_flush_log_at_trx_commit=%d about a second of acknowledged commits '
                   'is lost on %s' % (value, lost),
                   setting_fix('innodb_flush_log_at_trx_commit', 1, facts),
                   severity='critical' if value == 0 else None)


def sync_binlog_unsafe(facts):
    if not flag(facts, 'log_bin'):
        return None
    value = int(num(facts, 'sync_binlog'))
    if value == 1:
        return None
    return finding(value, 1, 'sync_binlog=%d: after a crash the binary log can miss transactions InnoDB '
                   'committed, and replicas or a point-in-time restore diverge from the data' % value,
                   setting_fix('sync_binlog', 1, facts))


def doublewrite_off(facts):
    value = text(facts, 'innodb_doublewrite').upper()
    # MySQL >= 8.0.30 also has DETECT_AND_RECOVER (= ON) and DETECT_ONLY (no page copies).
    if value not in ('OFF', '0', 'DETECT_ONLY'):
        return None
    return finding(value, 'ON', 'without the doublewrite buffer a crash during a page write leaves a torn '
                   'page InnoDB cannot recover', setting_fix('innodb_doublewrite', 'ON', facts, restart=True))


def binary_log_off(facts):
    if flag(facts, 'log_bin'):
        return None
    return finding('OFF', 'ON', 'no binary log: no point-in-time recovery after a restore, no replica can '
                   'be attached', '%s; %s' % (setting_fix('log_bin', 'mysql-bin', facts, restart=True),
                                              setting_fix('server_id', 1, facts)))


def binlog_format_not_row(facts):
    if not flag(facts, 'log_bin'):
        return None
    value = text(facts, 'binlog_format').upper()
    if value == 'ROW':
        return None
    return finding(value, 'ROW', 'binlog_format=%s logs statements: non-deterministic ones (LIMIT without '
                   'ORDER BY, UUID(), triggers) replay differently on replicas and in a point-in-time '
                   'restore' % value, setting_fix('binlog_format', 'ROW', facts))


def binlog_expiry_seconds(facts):
    """Effective retention: binlog_expire_logs_seconds wins when set, else expire_logs_days."""
    variables = facts['variables']
    if 'binlog_expire_logs_seconds' not in variables and 'expire_logs_days' not in variables:
        raise KeyError('binlog_expire_logs_seconds')
    seconds = num(facts, 'binlog_expire_logs_seconds') if 'binlog_expire_logs_seconds' in variables else 0
    if seconds <= 0 and 'expire_logs_days' in variables:
        seconds = num(facts, 'expire_logs_days') * 86400
    return seconds


def binlog_expiry(facts):
    if not flag(facts, 'log_bin'):
        return None
    seconds = binlog_expiry_seconds(facts)
    days = seconds / 86400.0
    if 0 < seconds and 1 <= days <= 30:
        return None
    wanted = int((facts.get('recommended') or {}).get('binlog_expire_logs_seconds', 7 * 86400))
    if seconds <= 0:
        evidence, severity = 'binary logs are never purged: they fill the data volume', 'warning'
    elif days < 1:
        evidence, severity = ('%.1f hours of binary logs: a replica down over a weekend cannot catch up and '
                              'point-in-time recovery reaches back less than a day' % (days * 24), 'warning')
    else:
        evidence, severity = ('%.0f days of binary logs use disk well beyond the usual backup cycle' % days,
                              'info')
    name = ('binlog_expire_logs_seconds' if 'binlog_expire_logs_seconds' in facts['variables']
            else 'expire_logs_days')
    value = wanted if name == 'binlog_expire_logs_seconds' else wanted // 86400
    return finding('%g days' % days if seconds > 0 else 'never', '%d days' % (wanted // 86400), evidence,
                   setting_fix(name, value, facts), severity=severity)


def binlog_cache_spills(facts):
    if not flag(facts, 'log_bin'):
        return None
    used = status(facts, 'binlog_cache_use')
    spilled = status(facts, 'binlog_cache_disk_use')
    if used < 1000 or ratio(spilled, used) <= 0.1:
        return None
    size = num(facts, 'binlog_cache_size')
    wanted = min(max(size * 4, 128 * KIB), 4 * MIB)
    return finding('%.0f%% of transactions' % (100.0 * spilled / used), '< 10%',
                   '%d of %d transactions wrote their binary log events to a temporary file (binlog_cache_size '
                   '%s)' % (spilled, used, human(size)), setting_fix('binlog_cache_size', human(wanted), facts))


# --- InnoDB redo log ----------------------------------------------------------------------
def redo_capacity(facts):
    """Total redo log bytes as the server uses them."""
    if is_mysql(facts) and at_least(version(facts), (8, 0, 30)):
        return num(facts, 'innodb_redo_log_capacity')
    if is_mariadb(facts) and at_least(version(facts), (10, 5)):
        return num(facts, 'innodb_log_file_size')  # one file since 10.5
    files = num(facts, 'innodb_log_files_in_group') if 'innodb_log_files_in_group' in facts['variables'] else 2
    return num(facts, 'innodb_log_file_size') * files


def redo_wanted(facts):
    """db_container's redo size for the limits, or a quarter of the pool without limits."""
    recommended = facts.get('recommended') or {}
    if is_mysql(facts) and at_least(version(facts), (8, 0, 30)):
        name, factor = 'innodb_redo_log_capacity_bytes', 1
    elif is_mysql(facts):
        name, factor = 'innodb_log_file_size_bytes', 2
    else:
        name, factor = 'innodb_log_file_size_bytes', 1
    if name in recommended:
        return int(recommended[name]) * factor
    return int(num(facts, 'innodb_buffer_pool_size') // 4)


def redo_fix(facts, wanted):
    if is_mysql(facts) and at_least(version(facts), (8, 0, 30)):
        return setting_fix('innodb_redo_log_capacity', human(wanted), facts)
    if is_mysql(facts):
        return setting_fix('innodb_log_file_size', human(wanted // 2), facts, restart=True)
    # MariaDB resizes the redo log online from 10.9 (SET GLOBAL innodb_log_file_size).
    return setting_fix('innodb_log_file_size', human(wanted), facts, restart=not at_least(version(facts), (10, 9)))


def redo_log_small(facts):
    capacity = redo_capacity(facts)
    pool = num(facts, 'innodb_buffer_pool_size')
    wanted = redo_wanted(facts)
    if capacity >= pool / 4 or capacity >= wanted:
        return None
    return finding(human(capacity), human(wanted),
                   'redo log %s is %.0f%% of the %s buffer pool: write bursts force checkpoints that flush '
                   'dirty pages early' % (human(capacity), 100.0 * capacity / pool, human(pool)),
                   redo_fix(facts, wanted))


def log_file_size_deprecated(facts):
    # MySQL 8.0.30 sizes the redo log with innodb_redo_log_capacity; innodb_log_file_size and
    # innodb_log_files_in_group still work (when capacity is not set) but are deprecated.
    if not is_mysql(facts) or not at_least(version(facts), (8, 0, 30)):
        return None
    size = num(facts, 'innodb_log_file_size')
    files = num(facts, 'innodb_log_files_in_group') if 'innodb_log_files_in_group' in facts['variables'] else 2
    if size == 48 * MIB and files == 2:
        return None
    return finding('innodb_log_file_size=%s x %d files' % (human(size), files),
                   'innodb_redo_log_capacity=%s' % human(size * files),
                   'innodb_log_file_size is deprecated since MySQL 8.0.30; when innodb_redo_log_capacity is '
                   'set it is ignored, else the capacity silently follows it',
                   'delete innodb_log_file_size/innodb_log_files_in_group; '
                   + setting_fix('innodb_redo_log_capacity', human(max(size * files, redo_wanted(facts))), facts))


def log_waits(facts):
    waits = status(facts, 'innodb_log_waits')
    if waits <= 0:
        return None
    size = num(facts, 'innodb_log_buffer_size')
    wanted = max(size * 2, int((facts.get('recommended') or {}).get('innodb_log_buffer_size_bytes', 0)))
    return finding('%d waits' % waits, '0', 'transactions waited %d times for room in the %s log buffer'
                   % (waits, human(size)),
                   setting_fix('innodb_log_buffer_size', human(wanted), facts, restart=is_mariadb(facts)))


# --- InnoDB buffer pool and I/O ------------------------------------------------------------
def buffer_pool_wait_free(facts):
    waits = status(facts, 'innodb_buffer_pool_wait_free')
    if waits <= 0:
        return None
    pool = num(facts, 'innodb_buffer_pool_size')
    recommended = facts.get('recommended') or {}
    if pool < int(recommended.get('innodb_buffer_pool_size_bytes', 0)):
        fix = setting_fix('innodb_buffer_pool_size', human(recommended_size(facts, 'innodb_buffer_pool_size')),
                          facts)
    else:
        fix = setting_fix('innodb_io_capacity', int(max(num(facts, 'innodb_io_capacity') * 2, 1000)), facts)
    return finding('%d waits' % waits, '0', 'reads waited %d times for the page cleaner to free a page: the '
                   'pool is too small or flushing is too slow' % waits, fix)


def buffer_pool_instances(facts):
    # MariaDB has a single buffer pool since 10.5; MySQL splits it to spread mutex contention.
    if not is_mysql(facts):
        return None
    pool = num(facts, 'innodb_buffer_pool_size')
    instances = int(num(facts, 'innodb_buffer_pool_instances'))
    if pool < GIB or instances > 1:
        return None
    wanted = int((facts.get('recommended') or {}).get('innodb_buffer_pool_instances', min(8, int(pool // GIB))))
    return finding(instances, wanted, 'one instance for a %s pool: every page access takes the same mutex'
                   % human(pool), setting_fix('innodb_buffer_pool_instances', wanted, facts, restart=True))


def file_per_table_off(facts):
    if flag(facts, 'innodb_file_per_table'):
        return None
    return finding('OFF', 'ON', 'new tables go to the shared system tablespace, which never shrinks: a '
                   'dropped or truncated table does not give its space back',
                   setting_fix('innodb_file_per_table', 'ON', facts) + ' (then ALTER TABLE ... ENGINE=InnoDB '
                   'moves a table to its own file)')


def stats_on_metadata(facts):
    if not flag(facts, 'innodb_stats_on_metadata'):
        return None
    return finding('ON', 'OFF', 'every SHOW TABLE STATUS or information_schema query recomputes index '
                   'statistics: monitoring tools slow the server down and plans change under load',
                   setting_fix('innodb_stats_on_metadata', 'OFF', facts))


def io_capacity_low(facts):
    capacity = num(facts, 'innodb_io_capacity')
    total = status(facts, 'innodb_buffer_pool_pages_total')
    dirty = status(facts, 'innodb_buffer_pool_pages_dirty')
    limit = num(facts, 'innodb_max_dirty_pages_pct')
    share = 100.0 * ratio(dirty, total)
    # 200 IOPS is the HDD-era default; the page cleaners lag when dirty pages pass half the limit.
    if capacity > 200 or share < limit / 2:
        return None
    return finding('innodb_io_capacity=%d' % capacity, 'innodb_io_capacity=1000 (SSD)',
                   '%.0f%% of the buffer pool is dirty (limit %g%%) while the page cleaners flush at %d '
                   'IOPS' % (share, limit, capacity), setting_fix('innodb_io_capacity', 1000, facts))


def flush_method_buffered(facts):
    method = text(facts, 'innodb_flush_method').upper()
    if method.startswith('O_DIRECT') or method in ('UNBUFFERED', 'NORMAL', 'ASYNC_UNBUFFERED'):
        return None  # the Windows values are direct I/O too
    return finding(method or 'fsync', 'O_DIRECT', 'InnoDB data goes through the page cache as well as the '
                   'buffer pool: the copy counts against the container memory limit',
                   setting_fix('innodb_flush_method', 'O_DIRECT', facts, restart=True))


def buffer_pool_warmup(facts):
    dump = flag(facts, 'innodb_buffer_pool_dump_at_shutdown')
    load = flag(facts, 'innodb_buffer_pool_load_at_startup')
    if dump and load:
        return None
    return finding('dump_at_shutdown=%s, load_at_startup=%s' % ('ON' if dump else 'OFF', 'ON' if load else 'OFF'),
                   'both ON', 'after a restart the buffer pool starts cold and every read goes to disk until '
                   'the working set is read again',
                   '%s; %s' % (setting_fix('innodb_buffer_pool_dump_at_shutdown', 'ON', facts),
                               setting_fix('innodb_buffer_pool_load_at_startup', 'ON', facts, restart=True)))


def strict_mode_off(facts):
    if flag(facts, 'innodb_strict_mode'):
        return None
    return finding('OFF', 'ON', 'CREATE/ALTER TABLE with an invalid ROW_FORMAT or KEY_BLOCK_SIZE succeeds with '
                   'a warning and silently different options', setting_fix('innodb_strict_mode', 'ON', facts))


# --- InnoDB locks and transactions ---------------------------------------------------
def deadlock_count(facts):
    """Deadlocks since start: MariaDB's Innodb_deadlocks, or MySQL's lock_deadlocks metric."""
    if 'innodb_deadlocks' in facts['status']:
        return status(facts, 'innodb_deadlocks')
    metrics = facts.get('innodb_metrics') or {}
    if 'lock_deadlocks' in metrics:
        return float(metrics['lock_deadlocks'])
    raise KeyError('innodb_deadlocks')


def deadlocks_unlogged(facts):
    if flag(facts, 'innodb_print_all_deadlocks'):
        return None
    try:
        deadlocks = deadlock_count(facts)
        evidence = '%d deadlocks since start; SHOW ENGINE INNODB STATUS keeps only the last' % deadlocks
    except KeyError:
        # No deadlock counter (metric disabled): row lock waits show the contention deadlocks come from.
        deadlocks = status(facts, 'innodb_row_lock_waits')
        evidence = ('%d row lock waits since start and no deadlock counter; SHOW ENGINE INNODB STATUS keeps '
                    'only the last deadlock' % deadlocks)
    if deadlocks <= 0:
        return None
    return finding('innodb_print_all_deadlocks=OFF', 'ON', evidence,
                   setting_fix('innodb_print_all_deadlocks', 'ON', facts) + ' (each deadlock goes to the error log)')


def lock_waits_sql(facts):
    if is_mysql(facts):
        return 'SELECT * FROM sys.innodb_lock_waits'
    return ('SELECT r.trx_mysql_thread_id AS waiting, b.trx_mysql_thread_id AS blocking, b.trx_query '
            'FROM information_schema.innodb_lock_waits w '
            'JOIN information_schema.innodb_trx b ON b.trx_id = w.blocking_trx_id '
            'JOIN information_schema.innodb_trx r ON r.trx_id = w.requesting_trx_id')


def row_lock_waits(facts):
    waits = status(facts, 'innodb_row_lock_waits')
    average_ms = status(facts, 'innodb_row_lock_time_avg')
    if waits < 100 or average_ms < 500:
        return None
    return finding('%d waits, %d ms on average' % (waits, average_ms), '< 500 ms',
                   'transactions waited %d times for row locks, %.1f s on average' % (waits, average_ms / 1000.0),
                   'find the blocking transactions while it happens: %s; keep transactions short and index the '
                   'columns UPDATE/DELETE filter on' % lock_waits_sql(facts))


def history_length(facts):
    if 'innodb_history_list_length' in facts['status']:
        return status(facts, 'innodb_history_list_length')
    metrics = facts.get('innodb_metrics') or {}
    if 'trx_rseg_history_len' in metrics:
        return float(metrics['trx_rseg_history_len'])
    raise KeyError('innodb_history_list_length')


def purge_lag(facts):
    length = history_length(facts)
    if length < 100000:
        return None
    return finding('%d undo log records' % length, '< 100000',
                   'the undo logs of %d transactions wait for purge: an old open transaction keeps every row '
                   'version since it started, reads walk longer version chains and the undo space grows' % length,
                   'SELECT trx_mysql_thread_id, trx_started FROM information_schema.innodb_trx ORDER BY trx_started '
                   'LIMIT 5; KILL <trx_mysql_thread_id> of the oldest (after checking with its owner)',
                   severity='critical' if length >= 1000000 else None)


def long_transactions(facts):
    transactions = facts['innodb_transactions']
    if transactions is None:
        raise KeyError('innodb_transactions')
    old = [t for t in transactions if int(t['age_s'] or 0) >= 60]
    if not old:
        return None
    oldest = max(old, key=lambda t: int(t['age_s']))
    return finding('%d transactions open for 60 s or more (oldest %d s, thread %s)'
                   % (len(old), int(oldest['age_s']), oldest['thread_id']), '< 60 s',
                   'a long transaction holds its row locks and stops purge for every table',
                   'SELECT * FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = %s; KILL %s (after '
                   'checking with its owner); commit in the application' % (oldest['thread_id'], oldest['thread_id']))


# --- threads and table caches ------------------------------------------------------------
def thread_cache_hit(facts):
    # MariaDB's thread pool (thread_handling=pool-of-threads) does not use the thread cache.
    if str(var(facts, 'thread_handling', '')).lower() == 'pool-of-threads':
        return None
    connections = status(facts, 'connections')
    created = status(facts, 'threads_created')
    if connections < 1000 or ratio(created, connections) <= 0.1:
        return None
    size = int(num(facts, 'thread_cache_size'))
    recommended = int((facts.get('recommended') or {}).get('thread_cache_size', 0))
    wanted = min(100, max(recommended, size * 2, 16))
    if wanted > size:
        fix = setting_fix('thread_cache_size', wanted, facts)
    else:
        fix = 'connect less often: keep a connection pool in the application (the cache already holds %d)' % size
    return finding('%.0f%% of connections created a thread' % (100.0 * created / connections),
                   '< 10%% (thread_cache_size %d)' % max(wanted, size),
                   '%d threads created for %d connections with thread_cache_size=%d' % (created, connections, size),
                   fix)


def threads_running_high(facts):
    cpus = limit_cpus(facts)
    running = status(facts, 'threads_running')
    limit = max(4 * cpus, 8)
    if running <= limit:
        return None
    return finding('%d running' % running, '<= %d (4 per CPU)' % limit,
                   '%d statements executing at once on %g CPUs: they queue for the CPU' % (running, cpus),
                   'find them with SHOW FULL PROCESSLIST and index their queries, or give the container more CPUs '
                   '(db_container cpus: %d)' % int(-(-running // 4)))


def table_open_cache_misses(facts):
    size = num(facts, 'table_open_cache')
    if 'table_open_cache_misses' in facts['status']:
        hits, misses = status(facts, 'table_open_cache_hits'), status(facts, 'table_open_cache_misses')
        if hits + misses < 10000 or ratio(misses, hits + misses) <= 0.05:
            return None
        evidence = '%.1f%% of table opens missed the cache (%d of %d)' % (100.0 * misses / (hits + misses), misses,
                                                                          hits + misses)
    else:
        # Older servers have no hit/miss counters: tables opened per hour tell the same.
        opened = status(facts, 'opened_tables')
        hourly = opened * 3600.0 / max(uptime(facts), 1)
        if uptime(facts) < 3600 or hourly <= 600:
            return None
        evidence = '%d tables opened per hour (%d since start)' % (hourly, opened)
    wanted = int(size * 2)
    return finding(int(size), wanted, evidence,
                   setting_fix('table_open_cache', wanted, facts) + ' (keep open_files_limit above it)')


def table_definition_cache_small(facts):
    size = num(facts, 'table_definition_cache')
    tables = len(facts['tables'])
    if tables <= size:
        return None
    # Headroom for the system schemas' tables, rounded to a hundred.
    wanted = int(-(-(tables + 400) // 100) * 100)
    return finding(int(size), wanted, '%d user tables do not fit in a cache of %d definitions: each miss reads '
                   'the table definition again' % (tables, size),
                   setting_fix('table_definition_cache', wanted, facts))


def open_files_near_limit(facts):
    limit = num(facts, 'open_files_limit')
    used = status(facts, 'open_files')
    if used < limit * 0.75:
        return None
    wanted = int(max(65536, limit * 2))
    return finding('%d of %d' % (used, limit), '< 75%% of %d' % wanted,
                   '%d files open, %.0f%% of open_files_limit: past it, opening tables fails with "Too many open '
                   'files"' % (used, 100.0 * used / limit),
                   'db_container ulimits: {nofile: "%d:%d"} (mysqld sizes open_files_limit from it) or '
                   'settings: {open_files_limit: %d}, then restart' % (wanted, wanted, wanted),
                   severity='critical' if used >= limit * 0.95 else None)


def myisam_tables(facts):
    return [t for t in facts['tables'] if (t['engine'] or '').lower() == 'myisam']


def table_lock_contention(facts):
    waited = status(facts, 'table_locks_waited')
    immediate = status(facts, 'table_locks_immediate')
    if waited < 100 or ratio(waited, waited + immediate) <= 0.01:
        return None
    myisam = myisam_tables(facts)
    fix = ('ALTER TABLE %s ENGINE=InnoDB (row locks instead of table locks)' % table_name(myisam[0]) if myisam
           else 'remove LOCK TABLES from the application: InnoDB locks rows')
    return finding('%.1f%% of table locks waited' % (100.0 * waited / (waited + immediate)), '< 1%',
                   '%d table lock waits, %d immediate' % (waited, immediate), fix)


# --- temporary tables, sorts, joins, scans ---------------------------------------------
def tmp_tables_on_disk(facts):
    created = status(facts, 'created_tmp_tables')
    on_disk = status(facts, 'created_tmp_disk_tables')
    if created < 1000 or ratio(on_disk, created) <= 0.25:
        return None
    current = min(num(facts, 'tmp_table_size'), num(facts, 'max_heap_table_size'))
    recommended = facts.get('recommended') or {}
    wanted = int(recommended.get('tmp_table_size_bytes', 0))
    if wanted > current:
        fix = '%s; %s' % (setting_fix('tmp_table_size', human(wanted), facts),
                          setting_fix('max_heap_table_size', human(wanted), facts))
    else:
        fix = ('the limit is already db_container\'s: index the GROUP BY/ORDER BY columns of the statements with '
               'the most disk tables (SELECT digest_text FROM performance_schema.events_statements_summary_by_digest '
               'ORDER BY sum_created_tmp_disk_tables DESC LIMIT 5)')
    return finding('%.0f%% on disk' % (100.0 * on_disk / created), '<= 25%',
                   '%d of %d internal temporary tables went to disk (in-memory limit %s)'
                   % (on_disk, created, human(current)), fix)


def tmp_table_size_mismatch(facts):
    # MySQL 8's TempTable engine limits internal temporary tables by tmp_table_size alone.
    if (is_mysql(facts) and at_least(version(facts), (8, 0))
            and str(var(facts, 'internal_tmp_mem_storage_engine', 'TempTable')).lower() == 'temptable'):
        return None
    tmp, heap = num(facts, 'tmp_table_size'), num(facts, 'max_heap_table_size')
    if tmp == heap:
        return None
    recommended = facts.get('recommended') or {}
    wanted = int(recommended.get('tmp_table_size_bytes', min(tmp, heap)))
    return finding('tmp_table_size=%s, max_heap_table_size=%s' % (human(tmp), human(heap)),
                   'both %s' % human(wanted), 'in-memory temporary tables are limited by the smaller one (%s): the '
                   'larger value does nothing' % human(min(tmp, heap)),
                   '%s; %s' % (setting_fix('tmp_table_size', human(wanted), facts),
                               setting_fix('max_heap_table_size', human(wanted), facts)))


def sort_merge_passes(facts):
    sorts = status(facts, 'sort_scan') + status(facts, 'sort_range')
    passes = status(facts, 'sort_merge_passes')
    if sorts < 1000 or ratio(passes, sorts) <= 0.1:
        return None
    size = num(facts, 'sort_buffer_size')
    wanted = min(size * 2, 4 * MIB)
    return finding('%d merge passes for %d sorts' % (passes, sorts), '< 10% of sorts',
                   'sorts larger than sort_buffer_size (%s) are merged through temporary files' % human(size),
                   'index the ORDER BY columns of the large sorts, or raise the buffer for those sessions only '
                   '(SET SESSION sort_buffer_size = 4M); globally at most ' +
                   setting_fix('sort_buffer_size', human(wanted), facts))


def full_joins(facts):
    joins = status(facts, 'select_full_join')
    if joins <= 0:
        return None
    daily = per_day(joins, facts)
    return finding('%d joins without an index' % joins, '0',
                   '%d joins scanned a whole table for every row of the other (%.0f a day)' % (joins, daily),
                   'find them: SELECT digest_text FROM performance_schema.events_statements_summary_by_digest '
                   'WHERE sum_select_full_join > 0 ORDER BY sum_select_full_join DESC LIMIT 5; then CREATE INDEX on '
                   'their join columns', severity='info' if daily < 10 else None)


def handler_reads(facts):
    names = ('handler_read_first', 'handler_read_key', 'handler_read_last', 'handler_read_next',
             'handler_read_prev', 'handler_read_rnd', 'handler_read_rnd_next')
    return dict((name, float(facts['status'].get(name) or 0)) for name in names)


def scan_reads_ratio(facts):
    status(facts, 'handler_read_rnd_next')  # KeyError when the server does not report handler counters
    reads = handler_reads(facts)
    total = sum(reads.values())
    scanned = reads['handler_read_rnd_next'] + reads['handler_read_rnd']
    if total < 1000000 or ratio(scanned, total) <= 0.5:
        return None
    if facts.get('performance_schema'):
        fix = ('SELECT object_schema, object_name, count_read FROM '
               'performance_schema.table_io_waits_summary_by_index_usage WHERE index_name IS NULL ORDER BY '
               'count_read DESC LIMIT 5; index the columns their queries filter on')
    else:
        fix = ('log the scanning statements for an hour: SET GLOBAL log_queries_not_using_indexes = ON (back OFF '
               'afterwards), then EXPLAIN and index them; or turn performance_schema on')
    return finding('%.0f%% of rows read by scans' % (100.0 * scanned / total), '< 50%',
                   'Handler_read_rnd_next + Handler_read_rnd = %d of %d row reads: most rows are read by full '
                   'table scans' % (scanned, total), fix)


# --- logging ------------------------------------------------------------------------------------------
def slow_log_off(facts):
    if flag(facts, 'slow_query_log'):
        return None
    return finding('OFF', 'ON', 'slow statements are not recorded: nothing to diagnose them with',
                   '%s; %s' % (setting_fix('slow_query_log', 'ON', facts), setting_fix('long_query_time', 1, facts)))


def long_query_time_off(facts):
    if not flag(facts, 'slow_query_log'):
        return None  # slow_log reports it
    value = num(facts, 'long_query_time')
    # The default of 10 s hides every statement an OLTP user notices; 0 logs everything.
    if 0 < value < 10:
        return None
    evidence = ('long_query_time=0 logs every statement: the slow log becomes a general log' if value == 0 else
                'only statements slower than %g s are logged' % value)
    wanted = (facts.get('recommended') or {}).get('long_query_time', 1)
    return finding(value, wanted, evidence, setting_fix('long_query_time', wanted, facts))


def not_using_indexes_logged(facts):
    if not flag(facts, 'log_queries_not_using_indexes'):
        return None
    throttle = int(float(var(facts, 'log_throttle_queries_not_using_indexes', 0) or 0))
    return finding('ON', 'OFF', 'every statement without an index is logged, however fast: small lookup tables '
                   'flood the slow log%s' % (' (throttled to %d a minute)' % throttle if throttle else ''),
                   setting_fix('log_queries_not_using_indexes', 'OFF', facts),
                   severity='info' if throttle else None)


def slow_queries_rate(facts):
    questions = status(facts, 'questions')
    slow = status(facts, 'slow_queries')
    if questions < 10000 or ratio(slow, questions) <= 0.01:
        return None
    logfile = var(facts, 'slow_query_log_file') or 'the slow log'
    return finding('%.1f%% of statements' % (100.0 * slow / questions), '< 1%',
                   '%d of %d statements ran longer than long_query_time (%s s)'
                   % (slow, questions, var(facts, 'long_query_time')),
                   'pt-query-digest %s; EXPLAIN the top statements and CREATE INDEX on their filtered columns'
                   % logfile)


def performance_schema_off(facts):
    if flag(facts, 'performance_schema'):
        return None
    recommended = facts.get('recommended') or {}
    if is_mariadb(facts):
        # MariaDB ships it OFF; db_container turns it on only from 2 GiB of memory (it costs memory).
        if recommended and 'performance_schema' not in recommended:
            return None
        return finding('OFF', 'ON', 'MariaDB ships performance_schema OFF: no per-statement or per-index '
                       'statistics (unused indexes, full scans, statement digests); it costs about 100-400 MB',
                       setting_fix('performance_schema', 'ON', facts, restart=True), severity='info')
    return finding('OFF', 'ON', 'performance_schema is on by default in MySQL and was turned off: no '
                   'statement digests, index usage or sys schema views',
                   setting_fix('performance_schema', 'ON', facts, restart=True))


# --- statement digests (performance_schema) ---------------------------------------------------
def statement_rows(facts):
    rows = facts['statements']
    if rows is None:
        raise KeyError('statements (performance_schema)')
    return rows


def count(row, name):
    return float(row.get(name) or 0)


def short_digest(row):
    digest = ' '.join(str(row['digest_text']).split())
    return digest if len(digest) <= 200 else digest[:197] + '...'


def explain_fix(row, advice):
    schema = row.get('schema')
    return 'EXPLAIN %s%s; %s' % (short_digest(row), (' (schema %s)' % schema) if schema else '', advice)


def statements_without_index(facts):
    rows = [r for r in statement_rows(facts)
            if count(r, 'count_star') >= 10 and ratio(count(r, 'sum_no_index_used'), count(r, 'count_star')) >= 0.5]
    if not rows:
        return None
    top = rows[0]  # digests come ordered by total time
    return finding(short_digest(top), 'an index for its WHERE/JOIN columns',
                   '%d statements among the top 20 by time use no index; the first ran %d times for %.1f s'
                   % (len(rows), count(top, 'count_star'), count(top, 'total_s')),
                   explain_fix(top, 'CREATE INDEX on the columns its WHERE/JOIN filter on'))


def statements_examining_many_rows(facts):
    rows = []
    for r in statement_rows(facts):
        calls = max(count(r, 'count_star'), 1)
        examined = count(r, 'sum_rows_examined')
        if examined / calls >= 10000 and examined >= 1000 * max(count(r, 'sum_rows_sent'), 1):
            rows.append(r)
    if not rows:
        return None
    top = rows[0]
    return finding(short_digest(top), 'rows examined close to rows sent',
                   '%d rows examined for %d rows sent over %d executions'
                   % (count(top, 'sum_rows_examined'), count(top, 'sum_rows_sent'), count(top, 'count_star')),
                   explain_fix(top, 'CREATE INDEX so it reads the rows it returns (a composite index on the '
                               'filtered and sorted columns)'))


def statements_with_disk_tmp(facts):
    rows = [r for r in statement_rows(facts)
            if count(r, 'count_star') >= 10
            and ratio(count(r, 'sum_created_tmp_disk_tables'), count(r, 'count_star')) >= 0.5]
    if not rows:
        return None
    top = rows[0]
    return finding(short_digest(top), 'no on-disk temporary table',
                   '%d on-disk temporary tables in %d executions'
                   % (count(top, 'sum_created_tmp_disk_tables'), count(top, 'count_star')),
                   explain_fix(top, 'index its GROUP BY/ORDER BY columns; TEXT/BLOB columns in the select list '
                               'force the temporary table to disk'))


# --- schema and storage engines ------------------------------------------------------------
def myisam_in_use(facts):
    tables = myisam_tables(facts)
    if not tables:
        return None
    return finding(', '.join('%s.%s' % (t['schema'], t['table']) for t in tables[:10]), 'InnoDB',
                   '%d MyISAM tables: no transactions, table-level locks, and a crash can corrupt them'
                   % len(tables),
                   '; '.join('ALTER TABLE %s ENGINE=InnoDB' % table_name(t) for t in tables[:5]))


def key_buffer_unused(facts):
    size = num(facts, 'key_buffer_size')
    # The key buffer caches MyISAM indexes only; InnoDB and Aria do not use it.
    if myisam_tables(facts) or size <= 16 * MIB:
        return None
    return finding(human(size), '8M', 'no MyISAM table uses the %s key buffer' % human(size),
                   setting_fix('key_buffer_size', '8M', facts))


def key_buffer_hit_ratio(facts):
    tables = myisam_tables(facts)
    requests = status(facts, 'key_read_requests')
    reads = status(facts, 'key_reads')
    if not tables or requests < 10000 or ratio(reads, requests) <= 0.01:
        return None
    index_bytes = sum(int(t['index_length'] or 0) for t in tables)
    wanted = max(8 * MIB, -(-index_bytes // MIB) * MIB)
    return finding('%.1f%% misses' % (100.0 * reads / requests), '< 1%',
                   '%d of %d MyISAM index block reads went to disk; their indexes are %s'
                   % (reads, requests, human(index_bytes)), setting_fix('key_buffer_size', human(wanted), facts))


def fragmented_tables(facts):
    # With innodb_file_per_table OFF every table reports the shared tablespace's free space.
    if not on(facts, 'innodb_file_per_table'):
        return None
    fragmented = []
    for t in facts['tables']:
        free = int(t['data_free'] or 0)
        used = int(t['data_length'] or 0) + int(t['index_length'] or 0)
        if free >= 64 * MIB and free >= 0.2 * used:
            fragmented.append((free, t))
    if not fragmented:
        return None
    fragmented.sort(key=lambda item: -item[0])
    names = ', '.join('%s.%s (%s free)' % (t['schema'], t['table'], human(free)) for free, t in fragmented[:5])
    return finding(names, 'data_free below 20% of the table',
                   '%d tables keep more than 20%% of their size as free space after deletes' % len(fragmented),
                   '; '.join('OPTIMIZE TABLE %s' % table_name(item[1]) for item in fragmented[:5])
                   + ' (an online rebuild for InnoDB; pt-online-schema-change for the largest)')


def large_tables_without_index(facts):
    indexed = set((i['schema'], i['table']) for i in facts['indexes'] if not i['primary'])
    large = [t for t in facts['tables']
             if int(t['rows'] or 0) >= 1000000 and (t['schema'], t['table']) not in indexed]
    if not large:
        return None
    names = ', '.join('%s.%s (%d rows)' % (t['schema'], t['table'], int(t['rows'])) for t in large[:5])
    return finding(names, 'secondary indexes for the columns queries filter on',
                   '%d tables of a million rows or more have no index but the primary key: any filter on '
                   'another column reads the whole table' % len(large),
                   'find their scans (sys.statements_with_full_table_scans), then ALTER TABLE %s ADD INDEX '
                   '(<filtered column>)' % table_name(large[0]))


# Largest value of each integer type: (signed, unsigned).
INTEGER_MAX = {
    'tinyint': (127, 255), 'smallint': (32767, 65535), 'mediumint': (8388607, 16777215),
    'int': (2147483647, 4294967295), 'integer': (2147483647, 4294967295),
    'bigint': (9223372036854775807, 18446744073709551615),
}


def integer_max(column_type):
    """'int(11) unsigned' -> 4294967295; None for a type that is not an integer."""
    words = str(column_type).lower().replace('(', ' ').split()
    limits = INTEGER_MAX.get(words[0]) if words else None
    if limits is None:
        return None
    return limits[1] if 'unsigned' in words else limits[0]


def auto_increment_exhaustion(facts):
    counters = facts['auto_increment']
    if counters is None:
        raise KeyError('auto_increment')
    near = []
    for row in counters:
        limit = integer_max(row['column_type'])
        if limit and row['auto_increment'] is not None and int(row['auto_increment']) >= 0.75 * limit:
            near.append((float(row['auto_increment']) / limit, row))
    if not near:
        return None
    near.sort(key=lambda item: -item[0])
    used, top = near[0]
    return finding(', '.join('%s.%s.%s %.0f%%' % (r['schema'], r['table'], r['column'], 100 * u)
                             for u, r in near[:5]), '< 75% of the column type',
                   '%s.%s.%s (%s) is at %d of its maximum: inserts fail with a duplicate key error when it is '
                   'reached' % (top['schema'], top['table'], top['column'], top['column_type'],
                                int(top['auto_increment'])),
                   'ALTER TABLE %s MODIFY `%s` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT (pt-online-schema-change '
                   'for a large table)' % (table_name(top), top['column']),
                   severity='critical' if used >= 0.9 else None)


# --- connections ----------------------------------------------------------------------------------
def max_connect_errors_low(facts):
    value = num(facts, 'max_connect_errors')
    # Hosts are blocked through the host cache; with host_cache_size=0 nothing is ever blocked.
    if value > 100 or float(var(facts, 'host_cache_size', 1) or 0) == 0:
        return None
    wanted = int((facts.get('recommended') or {}).get('max_connect_errors', 1000))
    unblock = 'FLUSH HOSTS' if is_mariadb(facts) else 'TRUNCATE TABLE performance_schema.host_cache'
    return finding(int(value), wanted, 'after %d interrupted connections from one address the server refuses '
                   'it: behind a proxy or a Docker NAT, that address is every client' % value,
                   setting_fix('max_connect_errors', wanted, facts) + '; unblock now with ' + unblock)


def idle_connections(facts):
    timeout = num(facts, 'wait_timeout')
    connected = status(facts, 'threads_connected')
    sleeping = connected - status(facts, 'threads_running')
    limit = num(facts, 'max_connections')
    if timeout <= 3600 or sleeping < 0.25 * limit:
        return None
    wanted = int((facts.get('recommended') or {}).get('wait_timeout', 600))
    return finding('wait_timeout=%d, %d sleeping connections' % (timeout, sleeping), 'wait_timeout=%d' % wanted,
                   '%d of %d connection slots are held by idle sessions, closed only after %.0f hours'
                   % (sleeping, limit, timeout / 3600.0),
                   '%s; %s' % (setting_fix('wait_timeout', wanted, facts),
                               setting_fix('interactive_timeout', wanted, facts)))


def connections_overprovisioned(facts):
    if uptime(facts) < 7 * 86400:
        return None  # a peak needs at least a week of traffic
    limit = num(facts, 'max_connections')
    peak = status(facts, 'max_used_connections')
    recommended = facts.get('recommended') or {}
    ceiling = max(int(recommended.get('max_connections', 151)), 151)
    if peak * 10 >= limit or limit <= ceiling:
        return None
    wanted = max(int(recommended.get('max_connections', 151)), int(peak * 2))
    return finding('%d (peak %d)' % (limit, peak), wanted,
                   'the peak in %.0f days was %d connections, %.0f%% of max_connections: each allowed connection '
                   'may claim its per-thread buffers' % (uptime(facts) / 86400, peak, 100.0 * peak / limit),
                   setting_fix('max_connections', wanted, facts))


def aborted_clients(facts):
    connections = status(facts, 'connections')
    aborted = status(facts, 'aborted_clients')
    if connections < 1000 or ratio(aborted, connections) <= 0.05:
        return None
    return finding('%.1f%% of connections' % (100.0 * aborted / connections), '< 5%',
                   '%d connections ended without a proper close (client killed, timeout, or packet too large)'
                   % aborted,
                   'close connections in the application and keep the pool\'s idle timeout below wait_timeout '
                   '(%s s); if the error log shows "Got a packet bigger": %s'
                   % (var(facts, 'wait_timeout'), setting_fix('max_allowed_packet', '64M', facts)))


# --- security ---------------------------------------------------------------------------------------
def name_resolution_on(facts):
    if flag(facts, 'skip_name_resolve'):
        return None
    by_name = [quoted(a) for a in facts.get('accounts') or []
               if a['host'] not in ('localhost', '%') and any(c.isalpha() for c in a['host'].replace('%', ''))
               and ':' not in a['host']]
    evidence = 'every new connection waits for a reverse DNS lookup; a slow DNS server stalls logins'
    if by_name:
        evidence += '; these accounts use host names and must be re-created by IP first: ' + ', '.join(by_name[:5])
    return finding('OFF', 'ON', evidence, setting_fix('skip_name_resolve', 'ON', facts, restart=True))


def local_infile_on(facts):
    if not flag(facts, 'local_infile'):
        return None
    return finding('ON', 'OFF', 'LOAD DATA LOCAL lets a malicious server or an injected statement read files '
                   'from the client host', setting_fix('local_infile', 'OFF', facts))


def secure_file_priv_empty(facts):
    value = facts['variables']['secure_file_priv']
    # NULL disables import/export; a directory confines it; '' allows every file mysqld can read.
    if value is None or str(value).upper() == 'NULL' or str(value) != '':
        return None
    return finding("''", '/var/lib/mysql-files', 'LOAD DATA INFILE and SELECT ... INTO OUTFILE can read and '
                   'write any file the server process can',
                   setting_fix('secure_file_priv', '/var/lib/mysql-files', facts, restart=True))


def remote_root(facts):
    if facts['accounts'] is None:
        raise KeyError('accounts')
    roots = [a for a in facts['accounts'] if a['user'] == 'root' and a['host'] == '%' and not a['locked']]
    if not roots:
        return None
    return finding("'root'@'%'", "root from localhost and an admin subnet only",
                   'the superuser accepts logins from any address: a leaked password is enough from anywhere',
                   "RENAME USER 'root'@'%' TO 'root'@'<admin subnet, e.g. 10.0.0.%>' (keep the subnet "
                   "db_tune_report connects from)")


def wildcard_without_password(facts):
    if facts['accounts'] is None:
        raise KeyError('accounts')
    open_accounts = [quoted(a) for a in facts['accounts']
                     if a['user'] != '' and wildcard_host(a['host']) and a['empty_password'] and not a['locked']]
    if not open_accounts:
        return None
    return finding(', '.join(open_accounts), 'a password on every account reachable over the network',
                   'anyone who reaches the port logs in as these users',
                   "ALTER USER %s IDENTIFIED BY '<password>' (or DROP USER)" % open_accounts[0])


def native_password_accounts(facts):
    # mysql_native_password is deprecated in MySQL 8.0.34, disabled by default in 8.4, removed in 9.0.
    if not is_mysql(facts) or not at_least(version(facts), (8, 0, 34)):
        return None
    if facts['accounts'] is None:
        raise KeyError('accounts')
    legacy = [quoted(a) for a in facts['accounts'] if a['plugin'] == 'mysql_native_password' and not a['locked']]
    if not legacy:
        return None
    return finding(', '.join(legacy[:10]), 'caching_sha2_password',
                   '%d accounts use mysql_native_password (unsalted SHA-1): MySQL 8.4 loads it only with '
                   '--mysql-native-password=ON and 9.0 removed it' % len(legacy),
                   "ALTER USER %s IDENTIFIED WITH caching_sha2_password BY '<password>'" % legacy[0])


def default_auth_plugin_legacy(facts):
    if not is_mysql(facts):
        return None
    if 'default_authentication_plugin' in facts['variables']:
        name, plugin = 'default_authentication_plugin', text(facts, 'default_authentication_plugin')
    else:
        name, plugin = 'authentication_policy', text(facts, 'authentication_policy').split(',', 1)[0].strip()
    if plugin != 'mysql_native_password':
        return None
    if at_least(version(facts), (8, 0, 27)):
        fix = ('delete default_authentication_plugin (removed in 8.4); ' if name == 'default_authentication_plugin'
               else '') + setting_fix('authentication_policy', "'caching_sha2_password,,'", facts)
    else:
        fix = setting_fix('default_authentication_plugin', 'caching_sha2_password', facts, restart=True)
    return finding('%s=%s' % (name, plugin), 'caching_sha2_password',
                   'new accounts get the deprecated mysql_native_password plugin', fix)


def old_password_hashes(facts):
    if facts['accounts'] is None:
        raise KeyError('accounts')
    weak = [quoted(a) for a in facts['accounts'] if a['plugin'] == 'mysql_old_password' and not a['locked']]
    old_passwords = on(facts, 'old_passwords')
    if not weak and not old_passwords:
        return None
    if weak:
        fix = ("ALTER USER %s IDENTIFIED VIA mysql_native_password USING PASSWORD('<password>')" % weak[0]
               if is_mariadb(facts) else "ALTER USER %s IDENTIFIED WITH caching_sha2_password BY '<password>'"
               % weak[0])
    else:
        fix = setting_fix('old_passwords', 'OFF', facts)
    return finding(', '.join(weak) or 'old_passwords=ON', 'no pre-4.1 password hashes',
                   'the pre-4.1 16-byte password hash is cracked in seconds', fix)


def tls_unavailable(facts):
    # have_ssl was removed in MySQL 8.4, which configures TLS from ssl_cert (auto-generated certificates).
    if 'have_ssl' in facts['variables']:
        available = text(facts, 'have_ssl').upper() == 'YES'
    else:
        available = bool(text(facts, 'ssl_cert'))
    if available:
        return None
    return finding('no TLS', 'TLS with a server certificate', 'passwords and data cross the network in clear '
                   'text', 'settings: {ssl_cert: /etc/mysql/tls/server-cert.pem, ssl_key: '
                   '/etc/mysql/tls/server-key.pem} (db_container, with the files mounted), then restart; clients '
                   'use --ssl-mode=REQUIRED (MariaDB: --ssl)')


# --- character set and SQL mode -----------------------------------------------------------------
def character_set_not_utf8mb4(facts):
    charset = text(facts, 'character_set_server').lower()
    if charset == 'utf8mb4':
        return None
    recommended = facts.get('recommended') or {}
    default_collation = 'utf8mb4_unicode_ci' if is_mariadb(facts) else 'utf8mb4_0900_ai_ci'
    collation = recommended.get('collation_server') or default_collation
    return finding(charset, 'utf8mb4', '%s cannot store every Unicode character (emoji, some CJK); new '
                   'databases and tables inherit it' % charset,
                   '%s; %s; existing tables: ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4'
                   % (setting_fix('character_set_server', 'utf8mb4', facts),
                      setting_fix('collation_server', collation, facts)))


def sql_mode_not_strict(facts):
    modes = [m for m in text(facts, 'sql_mode').upper().split(',') if m]
    if 'STRICT_TRANS_TABLES' in modes or 'STRICT_ALL_TABLES' in modes:
        return None
    wanted = modes + ['STRICT_TRANS_TABLES']
    return finding(','.join(modes) or "''", 'with STRICT_TRANS_TABLES',
                   'without a strict mode, out-of-range or too long values are silently truncated with a warning',
                   setting_fix('sql_mode', "'%s'" % ','.join(wanted), facts))


# --- replication (facts['replication']: SHOW REPLICA/SLAVE STATUS rows, column names lowercased) ---
def row_value(row, *names):
    """A replica status column under its MySQL 8.0.22+ name or its older (MariaDB) name."""
    for name in names:
        if name in row:
            return row[name]
    raise KeyError(names[0])


def channel(row):
    name = row.get('channel_name') or row.get('connection_name') or ''
    source = row.get('source_host') or row.get('master_host') or 'the source'
    return source + (" (channel '%s')" % name if name else '')


def replica_command(facts, row, verb, thread=''):
    """START/STOP for one replication channel, in this server's syntax."""
    name = row.get('channel_name') or row.get('connection_name') or ''
    if is_mariadb(facts):
        return '%s SLAVE%s%s' % (verb, " '%s'" % name if name else '', ' ' + thread if thread else '')
    keyword = 'REPLICA' if at_least(version(facts), (8, 0, 22)) else 'SLAVE'
    return '%s %s%s%s' % (verb, keyword, ' ' + thread if thread else '',
                          " FOR CHANNEL '%s'" % name if name else '')


def stopped_threads(facts, names, thread, error_columns):
    stopped = [row for row in facts['replication'] if str(row_value(row, *names)) != 'Yes']
    if not stopped:
        return None
    row = stopped[0]
    error = next((row[c] for c in error_columns if row.get(c)), 'no error recorded')
    return finding('%s: %s' % (channel(row), row_value(row, *names)), 'Yes',
                   'the %s thread for %s is not running: %s' % (thread, channel(row), error),
                   'fix the cause above, then %s' % replica_command(facts, row, 'START', thread.upper() + '_THREAD'))


def io_thread_stopped(facts):
    return stopped_threads(facts, ('replica_io_running', 'slave_io_running'), 'io',
                           ('last_io_error', 'last_error'))


def sql_thread_stopped(facts):
    return stopped_threads(facts, ('replica_sql_running', 'slave_sql_running'), 'sql',
                           ('last_sql_error', 'last_error'))


def parallel_workers_fix(facts):
    if is_mariadb(facts):
        name = 'slave_parallel_threads'
    else:
        name = first_var(facts, 'replica_parallel_workers', 'slave_parallel_workers')
    current = int(num(facts, name))
    cpus = facts['limits'].get('cpus') or 2
    wanted = max(4, int(2 * float(cpus)))
    if current >= wanted:
        return ('the applier already runs %d workers: split the large transactions on the source and check the '
                'replica\'s disk' % current)
    return setting_fix(name, wanted, facts) + ' (apply in parallel; needs the SQL thread restarted)'


def replication_lag(facts):
    worst = None
    for row in facts['replication']:
        lag = row_value(row, 'seconds_behind_source', 'seconds_behind_master')
        if lag is None or str(lag).upper() == 'NULL':
            return finding('%s: NULL' % channel(row), '< 60 s', 'Seconds_Behind is NULL: replication from %s is '
                           'stopped' % channel(row), 'fix Last_IO_Error/Last_SQL_Error, then %s'
                           % replica_command(facts, row, 'START'), severity='critical')
        if int(lag) > 60 and (worst is None or int(lag) > worst[0]):
            worst = (int(lag), row)
    if worst is None:
        return None
    lag, row = worst
    return finding('%s: %d s' % (channel(row), lag), '< 60 s',
                   'the replica applies changes %d s after %s committed them' % (lag, channel(row)),
                   parallel_workers_fix(facts))


def relay_log_space(facts):
    file_size = num(facts, 'max_relay_log_size') or num(facts, 'max_binlog_size')
    large = [row for row in facts['replication'] if float(row_value(row, 'relay_log_space') or 0) > 2 * file_size]
    if not large:
        return None
    row = large[0]
    space = float(row['relay_log_space'])
    return finding('%s: %s' % (channel(row), human(space)), '< %s' % human(2 * file_size),
                   '%s of relay logs wait to be applied: the SQL thread is behind the IO thread and the data '
                   'volume fills' % human(space), parallel_workers_fix(facts))


def replica_writable(facts):
    if not is_replica(facts) or flag(facts, 'read_only'):
        return None
    fix = setting_fix('read_only', 'ON', facts)
    if is_mysql(facts):
        fix += '; ' + setting_fix('super_read_only', 'ON', facts)
    return finding('OFF', 'ON', 'a replica that accepts writes diverges from its source: the next conflicting '
                   'row stops replication', fix)


def replica_updates_not_logged(facts):
    if not is_replica(facts):
        return None
    name = first_var(facts, 'log_replica_updates', 'log_slave_updates')
    if flag(facts, name):
        return None
    return finding('OFF', 'ON', 'replicated changes are not written to this replica\'s binary log: it cannot '
                   'be promoted or feed another replica without a new full copy',
                   setting_fix(name, 'ON', facts, restart=True))


def gtid_mode_off(facts):
    if not is_mysql(facts) or not (is_replica(facts) or flag(facts, 'log_bin')):
        return None
    mode = text(facts, 'gtid_mode').upper()
    if mode == 'ON':
        return None
    return finding(mode, 'ON', 'without GTIDs a failover needs binary log file and position juggling on every '
                   'replica', 'SET PERSIST enforce_gtid_consistency = ON; then gtid_mode step by step: '
                   'OFF_PERMISSIVE, ON_PERMISSIVE, (wait for Ongoing_anonymous_transaction_count = 0) ON; '
                   'settings: {gtid_mode: ON, enforce_gtid_consistency: ON} (db_container)')


def gtid_strict_mode_off(facts):
    if not is_mariadb(facts) or not (is_replica(facts) or flag(facts, 'log_bin')):
        return None
    if flag(facts, 'gtid_strict_mode'):
        return None
    return finding('OFF', 'ON', 'without gtid_strict_mode a replica accepts out-of-order GTIDs and local writes '
                   'that make its binary log diverge from the source',
                   setting_fix('gtid_strict_mode', 'ON', facts),
                   severity='warning' if is_replica(facts) else None)


def replica_without_gtid(facts):
    rows = []
    for row in facts['replication']:
        if is_mariadb(facts):
            if str(row.get('using_gtid', 'No')).lower() == 'no':
                rows.append(row)
        elif text(facts, 'gtid_mode').upper() == 'ON' and str(row.get('auto_position', '1')) == '0':
            rows.append(row)
    if not rows:
        return None
    row = rows[0]
    if is_mariadb(facts):
        change = 'CHANGE MASTER TO MASTER_USE_GTID = slave_pos'
    elif at_least(version(facts), (8, 0, 23)):
        change = 'CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1'
    else:
        change = 'CHANGE MASTER TO MASTER_AUTO_POSITION = 1'
    return finding('%s: file and position' % channel(row), 'GTID positioning',
                   'the replica of %s tracks a binary log file and position: pointing it at a new source after a '
                   'failover means finding that position by hand' % channel(row),
                   '%s; %s; %s' % (replica_command(facts, row, 'STOP'), change, replica_command(facts, row, 'START')))


def replica_default_server_id(facts):
    if not is_replica(facts):
        return None
    server_id = int(num(facts, 'server_id'))
    if server_id > 1:
        return None
    return finding(server_id, 'a unique id per node (e.g. 2)', 'server_id %d is the default every node '
                   'starts with: a source ignores events with its own id and two replicas with the same id '
                   'disconnect each other' % server_id, setting_fix('server_id', 2, facts) + ' (unique per node)')


def relay_log_recovery_off(facts):
    if not is_replica(facts) or flag(facts, 'relay_log_recovery'):
        return None
    return finding('OFF', 'ON', 'after a crash the replica may apply a half-written relay log; with recovery on '
                   'it discards it and fetches again from the source',
                   setting_fix('relay_log_recovery', 'ON', facts, restart=True))


# --- server -------------------------------------------------------------------------------------------
def counters_young(facts):
    seconds = uptime(facts)
    if seconds >= 86400:
        return None
    return finding('%.1f hours' % (seconds / 3600.0), '>= 24 hours',
                   'the server started %.1f hours ago: hit ratios, peaks and rates cover only that'
                   % (seconds / 3600.0),
                   'run db_tune_report again after a day of normal load', severity='info')


# MySQL's defaults (MariaDB's sort buffer is 2M): what a per-connection buffer goes back to.
PER_THREAD_DEFAULTS = {'sort_buffer_size': 256 * KIB, 'join_buffer_size': 256 * KIB,
                       'read_rnd_buffer_size': 256 * KIB, 'read_buffer_size': 128 * KIB}


def per_thread_buffers_large(facts):
    recommended = facts.get('recommended') or {}
    current, wanted, fixes = [], [], []
    for name in sorted(PER_THREAD_DEFAULTS):
        value = num(facts, name)
        default = 2 * MIB if is_mariadb(facts) and name == 'sort_buffer_size' else PER_THREAD_DEFAULTS[name]
        target = int(recommended.get(name + '_bytes') or default)
        if value > max(4 * MIB, target):
            current.append('%s=%s' % (name, human(value)))
            wanted.append('%s=%s' % (name, human(target)))
            fixes.append(setting_fix(name, human(target), facts))
    if not current:
        return None
    return finding(', '.join(current), ', '.join(wanted),
                   'these buffers are allocated per connection (join_buffer_size per join): large global values '
                   'multiply by the connections and slow small sorts',
                   '; '.join(fixes) + ' (raise them per session for the reports that need it)')


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
    # --- query cache, removed and deprecated settings
    Check('mysql.cache.query_cache', 'cache', 'warning', 'Query cache enabled', query_cache_enabled,
          'The query cache serialises every query and every write on one mutex; MariaDB disables it by default '
          'and MySQL 8.0 removed it.', 'MariaDB KB: Query Cache (limitations); MySQLTuner: query cache'),
    Check('mysql.config.expire_logs_days', 'config', 'warning', 'expire_logs_days used on MySQL 8',
          expire_logs_days_used, 'MySQL 8.0 deprecated expire_logs_days for binlog_expire_logs_seconds and 8.2 '
          'removed it: the configuration breaks the next upgrade.',
          'MySQL 8.0 manual: binlog_expire_logs_seconds; MySQL Server Version Reference 8.2'),
    Check('mysql.config.deprecated_settings', 'config', 'warning', 'Deprecated settings in use',
          deprecated_settings_in_use, 'A deprecated setting is ignored or soon removed; the release that removes '
          'it refuses to start with it in the configuration.',
          'MySQL Server Version Reference (8.0, 8.3, 8.4 changes); MariaDB KB: InnoDB System Variables'),
    # --- durability and the binary log
    Check('mysql.durability.flush_log', 'durability', 'warning', 'Commits not flushed to disk',
          flush_log_at_commit, 'Only innodb_flush_log_at_trx_commit=1 writes and syncs the redo log at every '
          'commit (the D of ACID).', 'MySQL manual: InnoDB ACID settings, innodb_flush_log_at_trx_commit'),
    Check('mysql.durability.sync_binlog', 'durability', 'warning', 'Binary log not synced at commit',
          sync_binlog_unsafe, 'With sync_binlog != 1 the binary log can lose transactions InnoDB kept, breaking '
          'replicas and point-in-time recovery.', 'MySQL manual: sync_binlog; Percona: durable replication'),
    Check('mysql.durability.doublewrite', 'durability', 'warning', 'Doublewrite buffer off', doublewrite_off,
          'The doublewrite buffer protects pages from torn writes on a crash.',
          'MySQL manual: Doublewrite Buffer; MariaDB KB: InnoDB Doublewrite Buffer'),
    Check('mysql.binlog.disabled', 'binlog', 'warning', 'Binary log disabled', binary_log_off,
          'The binary log is what point-in-time recovery and replication replay.',
          'MySQL manual: The Binary Log; MariaDB KB: Binary Log'),
    Check('mysql.binlog.format', 'binlog', 'warning', 'Binary log format not ROW', binlog_format_not_row,
          'Statement-based logging replays unsafe statements differently; MariaDB defaults to MIXED.',
          'MariaDB KB: Binary Log Formats; MySQL manual: Advantages of row-based replication'),
    Check('mysql.binlog.expiry', 'binlog', 'warning', 'Binary log retention unset, too short or too long',
          binlog_expiry, 'Binary logs must cover the backup interval, and must be purged before the volume fills.',
          'MySQL manual: binlog_expire_logs_seconds; MariaDB KB: expire_logs_days'),
    Check('mysql.binlog.cache_disk_use', 'binlog', 'info', 'Binary log cache spills to disk', binlog_cache_spills,
          'Transactions larger than binlog_cache_size are staged in a temporary file before commit.',
          'MySQL manual: Binlog_cache_disk_use, binlog_cache_size'),
    # --- InnoDB
    Check('mysql.innodb.redo_log_small', 'innodb', 'warning', 'Redo log small for the buffer pool',
          redo_log_small, 'A small redo log forces frequent checkpoints and flushing storms under write load.',
          'MySQLTuner (redo log 25% of the buffer pool); MySQL manual: innodb_redo_log_capacity; '
          'MariaDB KB: InnoDB Redo Log'),
    Check('mysql.innodb.log_file_size', 'innodb', 'info', 'Deprecated innodb_log_file_size on MySQL 8.0.30+',
          log_file_size_deprecated, 'innodb_redo_log_capacity replaces innodb_log_file_size and '
          'innodb_log_files_in_group from MySQL 8.0.30.', 'MySQL manual: Configuring Redo Log Capacity'),
    Check('mysql.innodb.log_waits', 'innodb', 'warning', 'Transactions wait for the log buffer', log_waits,
          'Innodb_log_waits counts commits that had to wait for the log buffer to be written out.',
          'MySQL manual: innodb_log_buffer_size, Innodb_log_waits; MySQLTuner'),
    Check('mysql.innodb.buffer_pool_wait_free', 'innodb', 'warning', 'Reads wait for free buffer pool pages',
          buffer_pool_wait_free, 'Innodb_buffer_pool_wait_free counts reads stalled until a dirty page was flushed.',
          'MySQL manual: Innodb_buffer_pool_wait_free'),
    Check('mysql.innodb.buffer_pool_instances', 'innodb', 'info', 'One buffer pool instance for a large pool',
          buffer_pool_instances, 'MySQL splits a pool of 1 GiB or more into instances to reduce mutex contention.',
          'MySQL manual: innodb_buffer_pool_instances'),
    Check('mysql.innodb.file_per_table', 'innodb', 'warning', 'innodb_file_per_table is off', file_per_table_off,
          'Tables in the system tablespace never return their space to the file system.',
          'MySQL manual: File-Per-Table Tablespaces'),
    Check('mysql.innodb.stats_on_metadata', 'innodb', 'warning', 'Statistics recomputed on metadata queries',
          stats_on_metadata, 'innodb_stats_on_metadata=ON makes information_schema queries update statistics.',
          'MySQL manual: innodb_stats_on_metadata; Percona blog'),
    Check('mysql.innodb.io_capacity', 'innodb', 'info', 'innodb_io_capacity at the HDD default', io_capacity_low,
          'The page cleaners flush at innodb_io_capacity IOPS; 200 suits a single disk, not SSDs.',
          'MySQL manual: Configuring InnoDB I/O Capacity; MariaDB KB: InnoDB Page Flushing'),
    Check('mysql.innodb.flush_method', 'innodb', 'warning', 'InnoDB I/O through the page cache',
          flush_method_buffered, 'Buffered I/O caches InnoDB data twice, and page cache counts against the '
          'container memory limit.', 'MySQL manual: innodb_flush_method (O_DIRECT)'),
    Check('mysql.innodb.buffer_pool_warmup', 'innodb', 'info', 'Buffer pool not saved and reloaded across restarts',
          buffer_pool_warmup, 'Dumping and reloading the buffer pool page list shortens the cold period after '
          'a restart.', 'MySQL manual: Saving and Restoring the Buffer Pool State'),
    Check('mysql.innodb.strict_mode', 'innodb', 'info', 'innodb_strict_mode is off', strict_mode_off,
          'Without strict mode invalid table options are accepted with a warning.',
          'MySQL manual: innodb_strict_mode'),
    Check('mysql.innodb.deadlocks_unlogged', 'innodb', 'warning', 'Deadlocks happen and are not logged',
          deadlocks_unlogged, 'Only the last deadlock is kept unless innodb_print_all_deadlocks writes each one '
          'to the error log.', 'MySQL manual: innodb_print_all_deadlocks; MariaDB KB: Innodb_deadlocks'),
    Check('mysql.innodb.row_lock_waits', 'innodb', 'warning', 'Long row lock waits', row_lock_waits,
          'Sessions blocked on row locks hold their connection and their own locks.',
          'MySQL manual: Innodb_row_lock_time_avg; sys.innodb_lock_waits'),
    Check('mysql.innodb.purge_lag', 'innodb', 'warning', 'Long undo history (purge lag)', purge_lag,
          'A long history list means old row versions are kept for an old transaction: reads slow down and the '
          'undo space grows.',
          'MySQL manual: Purge Configuration (trx_rseg_history_len); Percona: history list length'),
    Check('mysql.innodb.long_transactions', 'innodb', 'warning', 'Transactions open for a minute or more',
          long_transactions, 'Long transactions hold locks and block purge.',
          'MySQL manual: INFORMATION_SCHEMA.INNODB_TRX; pt-kill --busy-time'),
    # --- threads and table caches
    Check('mysql.threads.cache_hit', 'threads', 'warning', 'Thread cache too small', thread_cache_hit,
          'A thread created per connection costs time at every connect.',
          'MySQLTuner: thread cache hit rate; MySQL manual: thread_cache_size'),
    Check('mysql.threads.running', 'threads', 'warning', 'More running statements than CPUs can serve',
          threads_running_high, 'Threads_running far above the CPUs means statements queue for the CPU.',
          'Percona: Threads_running saturation; MySQL manual: Threads_running'),
    Check('mysql.tables.open_cache', 'tables', 'warning', 'Table open cache misses', table_open_cache_misses,
          'A table not in the open cache is opened again, taking locks on the data dictionary.',
          'MySQL manual: How MySQL Opens and Closes Tables; MySQLTuner: table cache hit rate'),
    Check('mysql.tables.definition_cache', 'tables', 'warning', 'Table definition cache smaller than the tables',
          table_definition_cache_small, 'Definitions that do not fit are read again from the data dictionary.',
          'MySQL manual: table_definition_cache; MySQLTuner'),
    Check('mysql.tables.open_files', 'tables', 'warning', 'Open files near open_files_limit', open_files_near_limit,
          'Past open_files_limit the server cannot open tables or logs.',
          'MySQL manual: File Not Found and Similar Errors (open_files_limit); MySQLTuner: open file limit used'),
    Check('mysql.tables.lock_contention', 'tables', 'warning', 'Table lock contention', table_lock_contention,
          'Table locks (MyISAM, LOCK TABLES) serialise every writer on the table.',
          'MySQL manual: Table_locks_waited; MySQLTuner'),
    # --- temporary tables, sorts, joins, scans
    Check('mysql.temp.disk_tables', 'temp', 'warning', 'Temporary tables go to disk', tmp_tables_on_disk,
          'Internal temporary tables beyond the in-memory limit are written to disk.',
          'MySQL manual: Internal Temporary Table Use; MySQLTuner: temporary tables created on disk'),
    Check('mysql.temp.size_mismatch', 'temp', 'info', 'tmp_table_size differs from max_heap_table_size',
          tmp_table_size_mismatch, 'The smaller of the two limits in-memory temporary tables (MEMORY engine).',
          'MySQL manual: Internal Temporary Table Use'),
    Check('mysql.sort.merge_passes', 'sort', 'info', 'Sorts merged through temporary files', sort_merge_passes,
          'Sort_merge_passes counts sorts that did not fit in sort_buffer_size.',
          'MySQL manual: Sort_merge_passes, ORDER BY Optimization; MySQLTuner'),
    Check('mysql.joins.full_join', 'joins', 'warning', 'Joins without indexes', full_joins,
          'A join without an index on the joined column reads the whole inner table for every outer row.',
          'MySQL manual: Select_full_join; MySQLTuner: joins performed without indexes'),
    Check('mysql.scans.read_rnd_next', 'scans', 'warning', 'Most rows read by full table scans', scan_reads_ratio,
          'Handler_read_rnd_next counts rows read by table scans; a high share means missing indexes, even '
          'where performance_schema is off.', 'MySQL manual: Handler_read_rnd_next; Percona: handler counters'),
    # --- logging and observability
    Check('mysql.logging.slow_log', 'logging', 'warning', 'Slow query log off', slow_log_off,
          'The slow query log is the first source for finding the statements to optimise.',
          'MySQL manual: The Slow Query Log; MySQLTuner'),
    Check('mysql.logging.long_query_time', 'logging', 'warning', 'long_query_time too high or zero',
          long_query_time_off, 'At 10 s the slow log misses what users notice; at 0 it logs everything.',
          'MySQL manual: long_query_time; pt-query-digest'),
    Check('mysql.logging.not_using_indexes', 'logging', 'warning', 'Logging every statement without an index',
          not_using_indexes_logged, 'log_queries_not_using_indexes logs fast scans of small tables too.',
          'MySQL manual: log_queries_not_using_indexes, log_throttle_queries_not_using_indexes'),
    Check('mysql.logging.slow_queries_rate', 'logging', 'warning', 'Many slow queries', slow_queries_rate,
          'More than 1% of statements slower than long_query_time means missing indexes or an overloaded server.',
          'MySQL manual: Slow_queries; pt-query-digest'),
    Check('mysql.observability.performance_schema', 'observability', 'warning', 'performance_schema off',
          performance_schema_off, 'performance_schema gives per-statement and per-index statistics; the index '
          'and statement checks need it.',
          'MySQL manual: Performance Schema; MariaDB KB: Performance Schema Overview'),
    Check('mysql.statements.no_index', 'statements', 'warning', 'Frequent statements use no index',
          statements_without_index, 'Statement digests show which statements read without an index.',
          'MySQL manual: events_statements_summary_by_digest (SUM_NO_INDEX_USED); '
          'sys.statements_with_full_table_scans'),
    Check('mysql.statements.rows_examined', 'statements', 'warning', 'Statements examine far more rows than they '
          'return', statements_examining_many_rows, 'Rows examined far above rows sent is work an index would save.',
          'MySQL manual: events_statements_summary_by_digest; pt-query-digest (Rows_examined)'),
    Check('mysql.statements.tmp_disk', 'statements', 'warning', 'Statements create on-disk temporary tables',
          statements_with_disk_tmp, 'Statements that build on-disk temporary tables at most executions need an '
          'index for their grouping or sorting.',
          'MySQL manual: events_statements_summary_by_digest (SUM_CREATED_TMP_DISK_TABLES)'),
    # --- schema and storage engines
    Check('mysql.schema.myisam', 'schema', 'warning', 'MyISAM tables in use', myisam_in_use,
          'MyISAM has no transactions or crash recovery and locks whole tables.',
          'MySQL manual: Converting Tables from MyISAM to InnoDB'),
    Check('mysql.memory.key_buffer_unused', 'memory', 'info', 'Key buffer allocated with no MyISAM tables',
          key_buffer_unused, 'key_buffer_size caches MyISAM indexes only; without MyISAM it is wasted memory.',
          'MySQL manual: key_buffer_size; MySQLTuner'),
    Check('mysql.cache.key_buffer_hit_ratio', 'cache', 'warning', 'MyISAM key buffer misses',
          key_buffer_hit_ratio, 'Key reads that miss the key buffer read index blocks from disk.',
          'MySQL manual: The MyISAM Key Cache; MySQLTuner: key buffer hit rate'),
    Check('mysql.schema.fragmentation', 'schema', 'info', 'Fragmented tables', fragmented_tables,
          'Deleted rows leave free space inside the tablespace until the table is rebuilt.',
          'MySQL manual: OPTIMIZE TABLE; MySQLTuner: fragmented tables'),
    Check('mysql.schema.large_table_no_index', 'schema', 'info', 'Large tables with no secondary index',
          large_tables_without_index, 'A large table with only its primary key can be searched only by that key.',
          'MySQL manual: How MySQL Uses Indexes'),
    Check('mysql.schema.auto_increment', 'schema', 'warning', 'Auto-increment counters near their maximum',
          auto_increment_exhaustion, 'When an auto-increment column reaches its type\'s maximum every insert fails.',
          'Percona toolkit / MySQL manual: Using AUTO_INCREMENT; sys.schema_auto_increment_columns'),
    # --- connections
    Check('mysql.connections.max_connect_errors', 'connections', 'warning', 'max_connect_errors at the default 100',
          max_connect_errors_low, 'Interrupted connections from one address block it; behind a proxy that blocks '
          'every client.', 'MySQL manual: max_connect_errors, Host cache'),
    Check('mysql.connections.idle', 'connections', 'warning', 'Idle connections hold many slots',
          idle_connections, 'A high wait_timeout lets leaked idle connections hold slots and memory for hours.',
          'MySQL manual: wait_timeout; MySQLTuner'),
    Check('mysql.connections.overprovisioned', 'connections', 'info', 'max_connections far above the peak',
          connections_overprovisioned, 'Connections the workload never uses still count in the worst-case memory.',
          'MySQL manual: max_connections, Max_used_connections'),
    Check('mysql.connections.aborted_clients', 'connections', 'warning', 'Many connections not closed properly',
          aborted_clients, 'Aborted_clients counts sessions that ended without a proper close.',
          'MySQL manual: Communication Errors and Aborted Connections'),
    # --- security
    Check('mysql.security.skip_name_resolve', 'security', 'warning', 'DNS lookups at every connection',
          name_resolution_on, 'Reverse DNS at login delays connections and ties logins to DNS availability.',
          'MySQL manual: DNS Lookups and the Host Cache; MySQLTuner'),
    Check('mysql.security.local_infile', 'security', 'warning', 'LOAD DATA LOCAL enabled', local_infile_on,
          'LOAD DATA LOCAL lets the server side request files from the client host.',
          'MySQL manual: Security Considerations for LOAD DATA LOCAL'),
    Check('mysql.security.secure_file_priv', 'security', 'warning', 'File import and export not confined',
          secure_file_priv_empty, 'An empty secure_file_priv lets FILE-privileged users read and write any file '
          'the server can.', 'MySQL manual: secure_file_priv; CIS MySQL Benchmark'),
    Check('mysql.security.remote_root', 'security', 'warning', 'root can log in from any host', remote_root,
          'The superuser should not be reachable from every network.',
          'MySQL manual: Securing the Initial MySQL Account; MySQLTuner: remote root'),
    Check('mysql.security.wildcard_no_password', 'security', 'critical', 'Network accounts without a password',
          wildcard_without_password, 'An account with a wildcard host and no password is open to the network.',
          'MySQL manual: Securing the Initial MySQL Account; CIS MySQL Benchmark'),
    Check('mysql.security.native_password', 'security', 'warning', 'Accounts on mysql_native_password',
          native_password_accounts, 'mysql_native_password is deprecated in 8.0.34, off by default in 8.4 and '
          'removed in 9.0.', 'MySQL 8.4 manual: Native Pluggable Authentication'),
    Check('mysql.security.default_auth_plugin', 'security', 'warning', 'Default authentication plugin is '
          'mysql_native_password', default_auth_plugin_legacy, 'New accounts should use caching_sha2_password; '
          'default_authentication_plugin is removed in 8.4.',
          'MySQL manual: authentication_policy, default_authentication_plugin'),
    Check('mysql.security.old_password_hash', 'security', 'critical', 'Pre-4.1 password hashes',
          old_password_hashes, 'The 16-byte pre-4.1 password hash is trivially broken.',
          'MariaDB KB: mysql_old_password; MySQLTuner'),
    Check('mysql.security.tls', 'security', 'info', 'TLS not available', tls_unavailable,
          'Without TLS, credentials and data travel in clear text between the application and the server.',
          'MySQL manual: Using Encrypted Connections; MariaDB KB: Secure Connections Overview'),
    Check('mysql.charset.server', 'charset', 'warning', 'Server character set is not utf8mb4',
          character_set_not_utf8mb4, 'latin1 and utf8mb3 cannot store all of Unicode; utf8mb4 can.',
          'MySQL manual: The utf8mb4 Character Set; MariaDB KB: Unicode'),
    Check('mysql.config.sql_mode', 'config', 'warning', 'sql_mode without strict mode', sql_mode_not_strict,
          'Non-strict modes silently truncate or adjust invalid values.',
          'MySQL manual: Strict SQL Mode'),
    # --- replication
    Check('mysql.replication.io_thread', 'replication', 'critical', 'Replica IO thread not running',
          io_thread_stopped, 'A stopped IO thread no longer receives changes from the source.',
          'MySQL manual: Checking Replication Status; MariaDB KB: SHOW REPLICA STATUS'),
    Check('mysql.replication.sql_thread', 'replication', 'critical', 'Replica SQL thread not running',
          sql_thread_stopped, 'A stopped SQL thread no longer applies changes: the replica falls behind.',
          'MySQL manual: Checking Replication Status; MariaDB KB: SHOW REPLICA STATUS'),
    Check('mysql.replication.lag', 'replication', 'warning', 'Replica lag', replication_lag,
          'Reads from a lagging replica return stale data, and a failover to it loses the lag.',
          'MySQL manual: Seconds_Behind_Source; pt-heartbeat'),
    Check('mysql.replication.relay_log_space', 'replication', 'warning', 'Relay logs pile up', relay_log_space,
          'Relay logs beyond a couple of files mean the SQL thread cannot keep up with the IO thread.',
          'MySQL manual: Relay_Log_Space, relay_log_space_limit'),
    Check('mysql.replication.read_only', 'replication', 'warning', 'Replica accepts writes', replica_writable,
          'Writes on a replica make it diverge from its source.', 'MySQL manual: read_only, super_read_only'),
    Check('mysql.replication.log_replica_updates', 'replication', 'warning', 'Replica does not log replicated '
          'changes', replica_updates_not_logged, 'A replica must log what it applies to be promoted or chained.',
          'MySQL manual: log_replica_updates; MariaDB KB: log_slave_updates'),
    Check('mysql.replication.gtid_mode', 'replication', 'warning', 'GTIDs off (MySQL)', gtid_mode_off,
          'GTIDs let replicas follow a new source without file positions.',
          'MySQL manual: Replication with Global Transaction Identifiers'),
    Check('mysql.replication.gtid_strict_mode', 'replication', 'info', 'gtid_strict_mode off (MariaDB)',
          gtid_strict_mode_off, 'Strict mode rejects out-of-order GTIDs that would make binary logs diverge.',
          'MariaDB KB: Global Transaction ID (gtid_strict_mode)'),
    Check('mysql.replication.auto_position', 'replication', 'warning', 'Replica positioned by file and offset',
          replica_without_gtid, 'GTID positioning makes failover a one-line change on every replica.',
          'MySQL manual: SOURCE_AUTO_POSITION; MariaDB KB: CHANGE MASTER TO (MASTER_USE_GTID)'),
    Check('mysql.replication.server_id', 'replication', 'warning', 'Replica with the default server_id',
          replica_default_server_id, 'Every server in a topology needs a unique server_id.',
          'MySQL manual: server_id'),
    Check('mysql.replication.relay_log_recovery', 'replication', 'warning', 'Replica not crash-safe',
          relay_log_recovery_off, 'relay_log_recovery=ON makes a replica discard unapplied relay logs after a '
          'crash and fetch them again.', 'MySQL manual: Making Replication Resilient to Unexpected Halts'),
    # --- server and memory
    Check('mysql.server.uptime', 'server', 'info', 'Counters are young', counters_young,
          'Ratios and peaks from less than a day of uptime may not represent the workload.',
          'MySQLTuner: uptime below 24 hours'),
    Check('mysql.memory.per_thread_buffers', 'memory', 'warning', 'Large per-connection buffers',
          per_thread_buffers_large, 'Sort, join and read buffers are allocated per connection (or join) and '
          'multiply by the connections.', 'MySQL manual: How MySQL Uses Memory; Percona: sort_buffer_size'),
)
