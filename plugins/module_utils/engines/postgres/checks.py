# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL checks, as data: one Check per row.

Each evaluate(facts) reads the facts audit_postgres.collect() gathered, plus
facts['limits'] (the container's memory and CPUs) and facts['recommended']
(what db_container would derive for those limits, formatted, with
'<name>_bytes' for sizes), and returns None when the server is fine on that
point or a finding() with the fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import Check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.audit import (
    preloaded_libraries, setting_bytes)
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB, to_postgres

# Settings PostgreSQL reads only at server start (pg_settings.context = 'postmaster').
RESTART_SETTINGS = ('shared_buffers', 'max_connections', 'wal_buffers', 'shared_preload_libraries', 'huge_pages',
                    'max_worker_processes', 'listen_addresses', 'wal_level', 'max_wal_senders',
                    'superuser_reserved_connections')
LOOPBACK_PREFIXES = ('127.', '::1')
EVERYWHERE = ('all', '0.0.0.0', '::')
DAY = 86400
WAL_SEGMENT = 16 * MIB


# --- helpers reading facts ---------------------------------------------------------
def setting(facts, name):
    return facts['settings'][name]['setting']


def number(facts, name):
    return float(setting(facts, name))


def is_on(facts, name):
    return str(setting(facts, name)).lower() in ('on', 'true', 'yes', '1')


def size(facts, name):
    value = setting_bytes(facts['settings'], name)
    if value is None:
        raise ValueError('%s has no size' % name)
    return value


def wanted(facts, name):
    """db_container's value for the container's limits (formatted) and its bytes."""
    return facts['recommended'][name], int(facts['recommended'][name + '_bytes'])


def stat(facts, name):
    return float(facts['database_stats'][name])


def human(value):
    value = int(value)
    if value % MIB == 0 or value < MIB:
        return to_postgres(value) if value else '0'
    return '%.1fMB' % (value / MIB) if value < GIB else '%.1fGB' % (value / GIB)


def quoted(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'%s'" % str(value).replace("'", "''")


def setting_fix(name, value):
    """The two ways to apply a setting, and whether the server must restart."""
    sql = 'ALTER SYSTEM SET %s = %s; ' % (name, quoted(value))
    if name in RESTART_SETTINGS:
        sql += 'then restart the server (%s is read at start only)' % name
    else:
        sql += 'SELECT pg_reload_conf()'
    shown = "''" if value == '' else value
    return 'settings: {%s: %s} (db_container) or %s' % (name, shown, sql)


def table_name(row):
    return '%s.%s' % (row['schemaname'], row['relname'])


def uptime_days(facts):
    return max(facts['uptime_s'] / DAY, 1.0 / 24)


def listing(items, limit=5):
    items = list(items)
    text = ', '.join(items[:limit])
    return text + (' (+%d more)' % (len(items) - limit) if len(items) > limit else '')


# --- memory ------------------------------------------------------------------------
def shared_buffers_small(facts):
    current = size(facts, 'shared_buffers')
    value, target = wanted(facts, 'shared_buffers')
    if current >= target * 0.5:
        return None
    memory = facts['limits']['memory']
    return finding(human(current), value,
                   'shared_buffers %s is %.0f%% of the %s memory limit (db_container derives %s, 25%%); '
                   'databases hold %s' % (human(current), 100.0 * current / memory, human(memory), value,
                                          human(facts['data_size'] or 0)),
                   setting_fix('shared_buffers', value))


def shared_buffers_large(facts):
    memory = facts['limits']['memory']
    current = size(facts, 'shared_buffers')
    if current <= memory * 0.4:
        return None
    value = wanted(facts, 'shared_buffers')[0]
    share = 100.0 * current / memory
    return finding(human(current), value,
                   'shared_buffers %s is %.0f%% of the %s memory limit: backends, work_mem and the page cache '
                   'need the rest, or the kernel OOM-kills postgres' % (human(current), share, human(memory)),
                   setting_fix('shared_buffers', value), severity='critical' if current >= memory * 0.75 else None)


def effective_cache_size_low(facts):
    current = size(facts, 'effective_cache_size')
    value, target = wanted(facts, 'effective_cache_size')
    if current >= target * 0.5:
        return None
    return finding(human(current), value,
                   'the planner assumes %s of cache in a %s container (75%% is %s): it prefers sequential '
                   'scans to index scans' % (human(current), human(facts['limits']['memory']), value),
                   setting_fix('effective_cache_size', value))


def work_mem_high(facts):
    memory = facts['limits']['memory']
    work_mem = size(facts, 'work_mem')
    connections = number(facts, 'max_connections')
    spare = memory - size(facts, 'shared_buffers')
    worst = work_mem * connections
    if worst <= spare:
        return None
    value = wanted(facts, 'work_mem')[0]
    return finding(human(work_mem), value,
                   'max_connections %d x work_mem %s = %s, above the %s left beside shared_buffers (and one query '
                   'may use work_mem several times): risk of the OOM killer'
                   % (connections, human(work_mem), human(worst), human(spare)),
                   setting_fix('work_mem', value) + '; raise it per session (SET work_mem) for the few large sorts',
                   severity='critical' if worst > memory * 2 else None)


def work_mem_low(facts):
    work_mem = size(facts, 'work_mem')
    value, target = wanted(facts, 'work_mem')
    if stat(facts, 'temp_files') == 0 or work_mem >= target:
        return None
    return finding(human(work_mem), value,
                   '%d temporary files (%s) written by sorts and hashes that did not fit in work_mem %s'
                   % (stat(facts, 'temp_files'), human(stat(facts, 'temp_bytes')), human(work_mem)),
                   setting_fix('work_mem', value))


def maintenance_work_mem_low(facts):
    current = size(facts, 'maintenance_work_mem')
    value, target = wanted(facts, 'maintenance_work_mem')
    if current >= target * 0.5:
        return None
    return finding(human(current), value,
                   'VACUUM and CREATE INDEX work in %s; memory/16 in this container is %s'
                   % (human(current), value), setting_fix('maintenance_work_mem', value))


def wal_buffers_small(facts):
    current = size(facts, 'wal_buffers')
    value, target = wanted(facts, 'wal_buffers')
    if current >= target * 0.5:
        return None
    return finding(human(current), value,
                   'wal_buffers %s (3%% of shared_buffers, or set by hand); busy writers wait on WAL writes'
                   % human(current), setting_fix('wal_buffers', value))


def huge_pages_guidance(facts):
    memory = facts['limits']['memory']
    if not memory or memory < 32 * GIB:
        return None
    status = facts['settings'].get('huge_pages_status', {}).get('setting')  # PostgreSQL 17+
    if setting(facts, 'huge_pages') == 'on' or status == 'on':
        return None
    return finding('huge_pages = %s%s' % (setting(facts, 'huge_pages'), ' (%s)' % status if status else ''),
                   'on, with vm.nr_hugepages reserved on the host',
                   'shared_buffers %s in %s of memory: 4 kB pages cost page-table memory in every backend'
                   % (human(size(facts, 'shared_buffers')), human(memory)),
                   'on the host: vm.nr_hugepages = shared_buffers / 2MB + 5%%; then %s'
                   % setting_fix('huge_pages', 'on'))


# --- checkpoints and WAL ------------------------------------------------------------
def max_wal_size_small(facts):
    points = facts['checkpoints']
    total = float(points['timed']) + float(points['requested'])
    if total < 10 or float(points['requested']) / total < 0.2:
        return None
    current = size(facts, 'max_wal_size')
    value, target = wanted(facts, 'max_wal_size')
    if target <= current:
        value = to_postgres(current * 2)
    return finding(human(current), value,
                   '%d of %d checkpoints were requested (WAL reached max_wal_size) instead of timed'
                   % (points['requested'], total), setting_fix('max_wal_size', value))


def checkpoint_completion_target_low(facts):
    current = number(facts, 'checkpoint_completion_target')
    target = facts['recommended'].get('checkpoint_completion_target', 0.9)
    if current >= 0.9:
        return None
    return finding(current, target, 'checkpoint writes are squeezed into %.0f%% of checkpoint_timeout: I/O spikes'
                   % (current * 100), setting_fix('checkpoint_completion_target', target))


def backend_fsync(facts):
    count = facts['checkpoints'].get('backend_fsync')
    if not count:
        return None
    fix = 'check the storage\'s write latency (iostat, pg_stat_io on 16+)'
    value, target = wanted(facts, 'max_wal_size')
    if size(facts, 'max_wal_size') < target:
        fix = setting_fix('max_wal_size', value) + ' (fewer, spread checkpoints); ' + fix
    return finding('%d backend fsyncs' % count, '0',
                   'backends had to fsync data files themselves: the checkpointer\'s fsync request queue was full',
                   fix)


# --- planner and storage ------------------------------------------------------------
def random_page_cost_default(facts):
    if number(facts, 'random_page_cost') < 4:
        return None
    target = facts['recommended'].get('random_page_cost', 1.1)
    return finding(setting(facts, 'random_page_cost'), target,
                   'random_page_cost 4 models spinning disks: on SSD or cloud volumes the planner then '
                   'under-uses indexes', setting_fix('random_page_cost', target) + ' (on SSD storage)')


def effective_io_concurrency_low(facts):
    if number(facts, 'effective_io_concurrency') >= 100:
        return None
    target = facts['recommended'].get('effective_io_concurrency', 200)
    return finding(setting(facts, 'effective_io_concurrency'), target,
                   'bitmap heap scans prefetch %s pages at a time' % setting(facts, 'effective_io_concurrency'),
                   setting_fix('effective_io_concurrency', target) + ' (on SSD storage)')


def jit_for_oltp(facts):
    profile = facts.get('workload_profile') or 'oltp'
    if profile not in ('oltp', 'web') or not is_on(facts, 'jit'):
        return None
    return finding('on', 'off', 'profile %s: short queries above jit_above_cost pay compilation time '
                   '(milliseconds) for no gain' % profile, setting_fix('jit', 'off'))


# --- connections ------------------------------------------------------------------
def max_connections_high(facts):
    limit = number(facts, 'max_connections')
    target = int(facts['recommended']['max_connections'])
    used = facts['connections']['total']
    if limit <= target * 1.5 or used >= target:
        return None
    return finding(int(limit), target,
                   'max_connections %d in %s of memory (%d in use now): every backend costs memory, '
                   'db_container allows %d' % (limit, human(facts['limits']['memory']), used, target),
                   setting_fix('max_connections', target) + '; put a pooler (PgBouncer) in front for more clients')


def connections_near_limit(facts):
    limit = number(facts, 'max_connections')
    usable = limit - number(facts, 'superuser_reserved_connections')
    used = facts['connections']['total']
    if used < usable * 0.8:
        return None
    allowed = int(facts['recommended']['max_connections'])
    if limit < allowed:
        target = min(allowed, int(limit * 1.5))
        fix = 'pool connections (PgBouncer) or ' + setting_fix('max_connections', target)
    else:
        # More backends than the memory allows would trade refused connections for the OOM killer.
        target = 'a connection pooler (PgBouncer, transaction mode)'
        fix = ('put PgBouncer in front of the server; max_connections %d is already what %s of memory allows: '
               'raise memory and max_connections together if more backends are needed'
               % (limit, human(facts['limits']['memory'])))
    return finding('%d of %d in use' % (used, limit), target,
                   '%d client connections, %.0f%% of the %d not reserved for superusers'
                   % (used, 100.0 * used / usable, usable), fix,
                   severity='critical' if used >= usable * 0.95 else None)


def idle_in_transaction(facts):
    old = facts['connections']['idle_in_transaction_old']
    if not old:
        return None
    timeout = int(number(facts, 'idle_in_transaction_session_timeout'))
    timeout = '%dms' % timeout if timeout else '0 (disabled)'
    idle = facts['connections']['idle_in_transaction']
    return finding('%d sessions idle in transaction > 5 min' % old, 'none',
                   '%d sessions idle in transaction (%d older than 5 minutes) hold locks and stop VACUUM; '
                   'idle_in_transaction_session_timeout = %s' % (idle, old, timeout),
                   'fix the application\'s transaction handling; ' +
                   setting_fix('idle_in_transaction_session_timeout', '10min'))


def long_transactions(facts):
    age = facts['connections']['oldest_xact_age_s'] or 0
    if age < 3600:
        return None
    oldest = facts['connections']['oldest_xact'] or {}
    return finding('%.1f h' % (age / 3600), '< 1 h',
                   'pid %s (%s@%s, %s) has been in a transaction for %.1f hours: VACUUM cannot remove rows '
                   'dead since then' % (oldest.get('pid'), oldest.get('usename'), oldest.get('datname'),
                                        oldest.get('state'), age / 3600),
                   'SELECT pg_terminate_backend(%s) if it is stuck; ' % oldest.get('pid') +
                   setting_fix('idle_in_transaction_session_timeout', '10min'),
                   severity='critical' if age >= DAY else None)


def prepared_transactions(facts):
    prepared = facts['prepared_xacts']
    if not prepared['count'] or prepared['oldest_s'] < 3600:
        return None
    return finding('%d prepared transactions' % prepared['count'], 'none older than an hour',
                   'the oldest was prepared %.1f hours ago: it holds locks and the xmin horizon'
                   % (prepared['oldest_s'] / 3600),
                   "SELECT gid FROM pg_prepared_xacts; COMMIT PREPARED 'gid' or ROLLBACK PREPARED 'gid'")


# --- cache and database statistics ---------------------------------------------------
def cache_hit_ratio(facts):
    hits, reads = stat(facts, 'blks_hit'), stat(facts, 'blks_read')
    if hits + reads < 10000:
        return None
    ratio = 100.0 * hits / (hits + reads)
    if ratio >= 99.0:
        return None
    value, target = wanted(facts, 'shared_buffers')
    if size(facts, 'shared_buffers') < target:
        fix = setting_fix('shared_buffers', value)
    else:
        fix = 'the working set exceeds shared_buffers %s: raise the container\'s memory limit (db_container memory)' \
            % value
    return finding('%.2f%%' % ratio, '>= 99%', '%d of %d block reads missed shared_buffers (%s)'
                   % (reads, hits + reads, human(size(facts, 'shared_buffers'))), fix)


def temp_files(facts):
    written = stat(facts, 'temp_bytes')
    if written < 256 * MIB:
        return None
    per_day = written / uptime_days(facts)
    return finding('%d files, %s' % (stat(facts, 'temp_files'), human(written)), 'little or no temporary file I/O',
                   '%s of temporary files (%s per day of uptime) from sorts and hashes beyond work_mem'
                   % (human(written), human(per_day)),
                   'find the statements (pg_stat_statements temp_blks_written, log_temp_files = 0), then '
                   'SET work_mem for their sessions or ALTER ROLE <role> SET work_mem = \'64MB\'')


def deadlocks(facts):
    count = stat(facts, 'deadlocks')
    if count == 0:
        return None
    return finding('%d deadlocks' % count, '0', '%.1f deadlocks per day of uptime' % (count / uptime_days(facts)),
                   'read the "deadlock detected" lines in the server log (log_lock_waits = on) and take locks in '
                   'the same order in every transaction')


def rollback_ratio(facts):
    commits, rollbacks = stat(facts, 'xact_commit'), stat(facts, 'xact_rollback')
    total = commits + rollbacks
    if total < 1000 or rollbacks / total < 0.05:
        return None
    return finding('%.1f%% rolled back' % (100.0 * rollbacks / total), '< 5%',
                   '%d of %d transactions rolled back' % (rollbacks, total),
                   'look for errors in the server log (log_min_error_statement) and for drivers rolling back '
                   'every read-only transaction')


# --- tables and indexes -------------------------------------------------------------
def seq_scanned_tables(facts):
    scanned = [t for t in facts['tables']
               if (t['n_live_tup'] or 0) >= 1000 and (t['seq_scan'] or 0) >= 10
               and (t['seq_tup_read'] or 0) / float(t['seq_scan']) >= 1000
               and (t['idx_scan'] or 0) < t['seq_scan']]
    if not scanned:
        return None
    scanned.sort(key=lambda t: -(t['seq_tup_read'] or 0))
    names = listing('%s (%d seq scans, %d rows each, %s idx scans)'
                    % (table_name(t), t['seq_scan'], t['seq_tup_read'] / t['seq_scan'], t['idx_scan'] or 0)
                    for t in scanned)
    first = table_name(scanned[0])
    return finding(names, 'an index on the columns the queries filter on',
                   'a seq-scanned table missing an index: ' + names,
                   'EXPLAIN (ANALYZE, BUFFERS) the queries reading %s, then CREATE INDEX CONCURRENTLY ON %s '
                   '(<their WHERE/JOIN columns>)' % (first, first))


def unused_indexes(facts):
    unused = [i for i in facts['indexes'] if i['idx_scan'] == 0 and i.get('valid', True)
              and not (i['unique'] or i['primary'] or i.get('exclusion'))]
    if not unused:
        return None
    unused.sort(key=lambda i: -(i['size_bytes'] or 0))
    names = ['%s.%s' % (i['schemaname'], i['indexrelname']) for i in unused]
    return finding(listing(names, 10), 'drop indexes no query uses',
                   'no scans in %.1f days of statistics; %s on disk, and every write maintains them'
                   % (facts['uptime_s'] / DAY, human(sum(i['size_bytes'] or 0 for i in unused))),
                   'DROP INDEX CONCURRENTLY %s (after a full business cycle, and on standbys too: their scans '
                   'are not counted here)' % names[0])


def duplicate_indexes(facts):
    redundant = facts['redundant_indexes']
    if not redundant:
        return None
    names = listing(['%s.%s (%s of %s)' % (r['schema'], r['index'], r['kind'], r['covered_by'])
                     for r in redundant], 10)
    first = redundant[0]
    return finding(names, 'one index per column prefix', names,
                   'DROP INDEX CONCURRENTLY %s.%s' % (first['schema'], first['index']))


def invalid_indexes(facts):
    invalid = ['%s.%s' % (i['schemaname'], i['indexrelname']) for i in facts['indexes'] if not i.get('valid', True)]
    if not invalid:
        return None
    return finding(listing(invalid), 'no invalid indexes',
                   'a failed CREATE INDEX CONCURRENTLY left these: writes maintain them, no query uses them',
                   'DROP INDEX CONCURRENTLY %s, then create it again (or REINDEX INDEX CONCURRENTLY %s)'
                   % (invalid[0], invalid[0]))


def dead_tuples(facts):
    bloated = [t for t in facts['tables'] if (t['n_dead_tup'] or 0) >= 10000
               and t['n_dead_tup'] / float(t['n_dead_tup'] + (t['n_live_tup'] or 0)) > 0.2]
    if not bloated:
        return None
    bloated.sort(key=lambda t: -t['n_dead_tup'])
    names = listing('%s (%.0f%% dead of %d rows)' % (
        table_name(t), 100.0 * t['n_dead_tup'] / (t['n_dead_tup'] + (t['n_live_tup'] or 0)),
        t['n_dead_tup'] + (t['n_live_tup'] or 0)) for t in bloated)
    first = table_name(bloated[0])
    return finding(names, '< 20% dead rows', 'dead rows autovacuum has not removed: ' + names,
                   'VACUUM (VERBOSE, ANALYZE) %s; then ALTER TABLE %s SET (autovacuum_vacuum_scale_factor = 0.05)'
                   % (first, first))


def autovacuum_off(facts):
    off = [name for name in ('autovacuum', 'track_counts') if not is_on(facts, name)]
    if not off:
        return None
    return finding(', '.join('%s = off' % name for name in off), 'on',
                   'without autovacuum dead rows pile up and transaction IDs approach wraparound (autovacuum '
                   'also needs track_counts)', '; '.join(setting_fix(name, 'on') for name in off))


def never_vacuumed(facts):
    stale = [t for t in facts['tables']
             if (not t['last_vacuum'] and not t['last_autovacuum'] and (t['n_dead_tup'] or 0) >= 10000)
             or (not t['last_analyze'] and not t['last_autoanalyze'] and (t['n_mod_since_analyze'] or 0) >= 10000)]
    if not stale:
        return None
    names = listing('%s (%d dead rows, %d changes since analyze)' % (
        table_name(t), t['n_dead_tup'] or 0, t['n_mod_since_analyze'] or 0) for t in stale)
    first = table_name(stale[0])
    return finding(names, 'vacuumed and analyzed by autovacuum', 'tables with many changes never vacuumed or '
                   'analyzed: ' + names,
                   'VACUUM (ANALYZE, VERBOSE) %s; check autovacuum_max_workers and the server log for '
                   'autovacuum errors' % first)


def wraparound(facts):
    age = float(facts['wraparound']['max_age'])
    if age <= 1e9:
        return None
    database = facts['wraparound']['database']
    return finding('%d transactions (%s)' % (age, database), '< 1 billion (the limit is 2^31)',
                   'age(datfrozenxid) of %s is %.0f%% of the way to wraparound, where PostgreSQL stops '
                   'accepting writes' % (database, 100.0 * age / 2 ** 31),
                   'in database %s: VACUUM (FREEZE, VERBOSE) on its oldest tables; end long transactions, '
                   'prepared transactions and unused replication slots that hold the xmin horizon' % database,
                   severity='critical' if age > 1.5e9 else None)


# --- statements ---------------------------------------------------------------------
def statements_missing(facts):
    status = facts['pg_stat_statements']
    if status['preloaded'] and status['installed']:
        return None
    steps = []
    if not status['preloaded']:
        libraries = preloaded_libraries(facts['settings']) + ['pg_stat_statements']
        steps.append(setting_fix('shared_preload_libraries', ','.join(libraries)))
    if not status['installed']:
        steps.append('CREATE EXTENSION pg_stat_statements (in database %s)' % facts.get('database', 'postgres'))
    return finding('preloaded: %s, installed: %s' % (status['preloaded'], status['installed']),
                   'pg_stat_statements preloaded and installed',
                   'no per-statement statistics: slow and temp-file statements cannot be named',
                   '; '.join(steps))


def slow_statements(facts):
    slow = [s for s in facts['statements'] or [] if float(s['mean_ms']) > 1000]
    if not slow:
        return None
    text = listing('%.0f ms x %d calls: %s' % (s['mean_ms'], s['calls'], ' '.join(s['query'].split())[:120])
                   for s in slow)
    return finding(text, 'mean < 1 s', 'pg_stat_statements: %d of the top statements average over 1 s' % len(slow),
                   'EXPLAIN (ANALYZE, BUFFERS) the statement (queryid %s); index its filters or rewrite it'
                   % slow[0]['queryid'])


def statements_temp_blocks(facts):
    spilling = [s for s in facts['statements'] or [] if (s['temp_blks_written'] or 0) > 0]
    if not spilling:
        return None
    text = listing('%s temp blocks: %s' % (s['temp_blks_written'], ' '.join(s['query'].split())[:120])
                   for s in spilling)
    return finding(text, 'sorts and hashes in work_mem', 'pg_stat_statements: these write temporary files',
                   'SET work_mem for these statements\' sessions (ALTER ROLE %s SET work_mem = \'64MB\'), or '
                   'add an index that returns rows in order' % (spilling[0].get('rolname') or '<role>'))


# --- logging ------------------------------------------------------------------------
def off_setting(name, wanted_value, why):
    """A check for a boolean setting that should be on."""
    def evaluate(facts):
        if is_on(facts, name):
            return None
        return finding('off', wanted_value, why, setting_fix(name, wanted_value))
    return evaluate


def slow_statement_log_off(facts):
    if number(facts, 'log_min_duration_statement') >= 0:
        return None
    target = facts['recommended'].get('log_min_duration_statement', '1s')
    return finding('-1', target, 'statements are never logged for their duration',
                   setting_fix('log_min_duration_statement', target))


def temp_file_log_off(facts):
    if number(facts, 'log_temp_files') >= 0:
        return None
    target = facts['recommended'].get('log_temp_files', 0)
    return finding('-1', target, 'temporary files are not logged: work_mem shortages go unseen',
                   setting_fix('log_temp_files', target))


# --- security -----------------------------------------------------------------------
def hba_scope(rule):
    """'local' (socket or loopback), 'everywhere' (any address), or 'network'."""
    if rule['type'] == 'local':
        return 'local'
    address = (rule['address'] or '').lower()
    if address in ('samehost',) or address.startswith(LOOPBACK_PREFIXES):
        return 'local'
    if address in EVERYWHERE and (address == 'all' or rule.get('netmask') in ('0.0.0.0', '::', None)):
        return 'everywhere'
    return 'network'


def describe_rule(rule):
    parts = [rule['type'], ','.join(rule['database'] or []), ','.join(rule['user_name'] or []),
             rule['address'], rule['auth_method']]
    return 'line %s: %s' % (rule['line_number'], ' '.join(p for p in parts if p))


def trust_rules(facts, local):
    if facts['hba'] is None:
        return None
    rules = [r for r in facts['hba'] if r['auth_method'] == 'trust' and (hba_scope(r) == 'local') == local]
    if not rules:
        return None
    where = 'the socket and loopback' if local else 'the network'
    return finding(listing((describe_rule(r) for r in rules), 10), 'scram-sha-256',
                   'trust lets anyone who reaches %s log in as any role, the superuser included, without a password'
                   % where,
                   'in pg_hba.conf change trust to %s on these lines, then SELECT pg_reload_conf()'
                   % ('peer (socket) or scram-sha-256' if local else 'scram-sha-256'))


def trust_remote(facts):
    return trust_rules(facts, local=False)


def trust_local(facts):
    return trust_rules(facts, local=True)


def md5_passwords(facts):
    encryption = setting(facts, 'password_encryption')
    rules = [r for r in facts['hba'] or [] if r['auth_method'] in ('md5', 'password')]
    hashes = (facts['roles'].get('md5_passwords') or [])
    if encryption != 'md5' and not rules and not hashes:
        return None
    evidence = ['password_encryption = %s' % encryption]
    evidence += [describe_rule(r) for r in rules]
    if hashes:
        evidence.append('md5 password hashes: %s' % listing(hashes))
    return finding(listing(evidence, 10), 'scram-sha-256',
                   'md5 hashes can be replayed from pg_authid and are deprecated; "password" sends it in clear text',
                   setting_fix('password_encryption', 'scram-sha-256') +
                   '; re-set each password (ALTER ROLE <role> PASSWORD ...), then change md5 to scram-sha-256 in '
                   'pg_hba.conf')


def open_to_everyone(facts):
    if facts['hba'] is None or setting(facts, 'listen_addresses').strip() not in ('*', '0.0.0.0', '::'):
        return None
    rules = [r for r in facts['hba'] if hba_scope(r) == 'everywhere' and r['auth_method'] != 'reject'
             and 'all' in (r['database'] or []) and 'all' in (r['user_name'] or [])]
    if not rules:
        return None
    return finding("listen_addresses = '*'; " + describe_rule(rules[0]),
                   'the application network only (e.g. host app app 10.0.0.0/24 scram-sha-256)',
                   'every role may try every database from any address (passwords still required)',
                   'in pg_hba.conf replace the address on line %s with the clients\' subnet, then SELECT '
                   'pg_reload_conf(); keep the port off public networks' % rules[0]['line_number'])


def hba_errors(facts):
    broken = [r for r in facts['hba'] or [] if r.get('error')]
    if not broken:
        return None
    return finding(listing('line %s: %s' % (r['line_number'], r['error']) for r in broken), 'no errors',
                   'pg_hba.conf has lines the server cannot load: the next reload keeps the old rules, a '
                   'restart refuses connections', 'fix the lines in pg_hba.conf, then SELECT pg_reload_conf()')


def too_many_superusers(facts):
    superusers = facts['roles']['superusers']
    if len(superusers) <= 2:
        return None
    return finding('%d superusers' % len(superusers), '<= 2',
                   'superusers: %s' % listing(superusers, 10),
                   'ALTER ROLE %s NOSUPERUSER (grant pg_monitor, pg_read_all_data or ownership instead)'
                   % [s for s in superusers if s != 'postgres'][0])


def login_without_password(facts):
    roles = facts['roles']['login_without_password']
    if not roles:
        return None
    return finding(listing(roles, 10), 'a password (or a certificate) for every login role',
                   'these roles can log in and have no password: any trust or ident line lets them in',
                   "ALTER ROLE %s PASSWORD '<password>' (or ALTER ROLE %s NOLOGIN)" % (roles[0], roles[0]))


def ssl_off(facts):
    if is_on(facts, 'ssl'):
        return None
    return finding('off', 'on', 'passwords are hashed (SCRAM) but queries and results cross the network in clear',
                   'mount a certificate and key, then ' + setting_fix('ssl', 'on') +
                   ' (ssl_cert_file, ssl_key_file); use hostssl lines in pg_hba.conf')


# --- replication -------------------------------------------------------------------
def standby_not_streaming(facts):
    replication = facts['replication']
    if not replication['in_recovery'] or not (setting(facts, 'primary_conninfo') or '').strip():
        return None  # a primary, or a standby restoring from an archive only
    receiver = replication['wal_receiver'] or {}
    if receiver.get('status') == 'streaming':
        return None
    return finding('WAL receiver: %s' % (receiver.get('status') or 'not running'), 'streaming',
                   'this standby has primary_conninfo but receives no WAL: it falls further behind',
                   'read the standby\'s log (connection or authentication errors to the primary), check '
                   'primary_conninfo and the primary\'s pg_hba.conf replication line')


def replication_lag(facts):
    replicas = [r for r in facts['replication']['replicas'] if (r['replay_lag_bytes'] or 0) >= 256 * MIB]
    if not replicas:
        return None
    limit = size(facts, 'max_wal_size') * 4
    worst = max(r['replay_lag_bytes'] for r in replicas)
    names = listing('%s (%s behind)' % (r['application_name'] or r['client_addr'], human(r['replay_lag_bytes']))
                    for r in replicas)
    return finding(names, '< 256MB', 'standbys replay far behind this server: ' + names,
                   'check the standbys\' I/O and CPU, and long queries on them (max_standby_streaming_delay)',
                   severity='critical' if worst >= limit else None)


def inactive_slots(facts):
    # Under one WAL segment: a consumer reconnecting right now, not a forgotten slot.
    slots = [s for s in facts['replication']['slots'] if not s['active'] and (s['retained_bytes'] or 0) >= WAL_SEGMENT]
    if not slots:
        return None
    limit = size(facts, 'max_wal_size') * 4
    worst = max(s['retained_bytes'] for s in slots)
    names = listing('%s (%s of WAL retained)' % (s['slot_name'], human(s['retained_bytes'])) for s in slots)
    fix = "SELECT pg_drop_replication_slot('%s') if its consumer is gone" % slots[0]['slot_name']
    if tuple(facts['version']) >= (13,):
        # A cap on what a slot may hold: past it the slot is invalidated instead of the disk filling.
        fix += '; and cap retention: ' + setting_fix('max_slot_wal_keep_size', to_postgres(limit))
    return finding(names, 'no inactive slots', 'an inactive slot keeps every WAL segment since its consumer left: '
                   'the disk fills and the server stops', fix, severity='critical' if worst > limit else None)


def sync_standby_missing(facts):
    names = (setting(facts, 'synchronous_standby_names') or '').strip()
    if not names or facts['replication']['in_recovery']:
        return None
    synchronous = [r for r in facts['replication']['replicas'] if r['sync_state'] in ('sync', 'quorum')]
    if synchronous:
        return None
    return finding("synchronous_standby_names = '%s', no synchronous standby" % names,
                   'a connected synchronous standby, or an empty synchronous_standby_names',
                   '%d standbys connected, none synchronous: every COMMIT waits forever'
                   % len(facts['replication']['replicas']),
                   'bring the standby back, or ' + setting_fix('synchronous_standby_names', ''))


def hot_standby_feedback(facts):
    if not facts['replication']['in_recovery'] or is_on(facts, 'hot_standby_feedback'):
        return None
    conflicts = stat(facts, 'conflicts')
    if conflicts == 0:
        return None
    return finding('off', 'on', '%d queries on this standby were cancelled by recovery conflicts' % conflicts,
                   setting_fix('hot_standby_feedback', 'on') + ' (the primary then keeps rows these queries need: '
                   'watch its bloat), or raise max_standby_streaming_delay')


# --- durability -------------------------------------------------------------------
def data_checksums_off(facts):
    if is_on(facts, 'data_checksums'):
        return None
    return finding('off', 'on', 'storage corruption is read back as data without an error',
                   'stop the server and run pg_checksums --enable -D $PGDATA (PostgreSQL 12+); db_container '
                   'initialises new clusters with --data-checksums')


def durability_off(name, why):
    def evaluate(facts):
        if is_on(facts, name):
            return None
        return finding('off', 'on', why, setting_fix(name, 'on'))
    return evaluate


def synchronous_commit_off(facts):
    if setting(facts, 'synchronous_commit') != 'off':
        return None
    return finding('off', 'on', 'a crash loses the last commits (up to 3 x wal_writer_delay) clients were told '
                   'succeeded', setting_fix('synchronous_commit', 'on') +
                   ' (or SET synchronous_commit = off only in sessions that may lose data)')


# --- server -------------------------------------------------------------------------
def young_counters(facts):
    if facts['uptime_s'] >= DAY:
        return None
    return finding('%.1f h' % (facts['uptime_s'] / 3600), '>= 1 day',
                   'statistics counted since the last start are young: ratios, unused indexes and scans may '
                   'mislead', 'run the audit again after a day (or a business cycle) of normal load')


CHECKS = (
    # memory
    Check('postgres.memory.shared_buffers_small', 'memory', 'warning', 'shared_buffers far below the memory limit',
          shared_buffers_small, 'shared_buffers caches table and index pages; a small cache in a large container '
          'sends reads through the kernel and to disk.', 'PGTune (25% of memory); PostgreSQL manual 20.4.1 Memory'),
    Check('postgres.memory.shared_buffers_large', 'memory', 'warning', 'shared_buffers too large for the memory '
          'limit', shared_buffers_large, 'Beyond 40% of memory the cache starves backends and the page cache; past '
          'the container limit the kernel kills postgres.', 'PostgreSQL manual 20.4.1 (shared_buffers); PGTune'),
    Check('postgres.memory.effective_cache_size_low', 'memory', 'warning', 'effective_cache_size below the memory '
          'available', effective_cache_size_low, 'The planner costs index scans with it: too low a value makes '
          'it choose sequential scans.', 'PostgreSQL manual 20.7.2 (effective_cache_size); PGTune (75%)'),
    Check('postgres.memory.work_mem_high', 'memory', 'warning', 'work_mem too high for max_connections and memory',
          work_mem_high, 'Every sort or hash in every connection may use work_mem: the sum can exceed the '
          'container limit.', 'PostgreSQL manual 20.4.1 (work_mem); PGTune'),
    Check('postgres.memory.work_mem_low', 'memory', 'warning', 'work_mem below the recommendation while queries '
          'write temporary files', work_mem_low, 'Sorts and hashes that do not fit in work_mem spill to disk.',
          'PostgreSQL manual 20.4.1 (work_mem); PGTune'),
    Check('postgres.memory.maintenance_work_mem_low', 'memory', 'warning', 'maintenance_work_mem low',
          maintenance_work_mem_low, 'VACUUM and CREATE INDEX run in fewer passes with more memory.',
          'PostgreSQL manual 20.4.1 (maintenance_work_mem); PGTune (memory/16)'),
    Check('postgres.memory.wal_buffers_small', 'memory', 'info', 'wal_buffers small', wal_buffers_small,
          'Concurrent writers share the WAL buffer; 16MB avoids waits on busy servers.',
          'PostgreSQL manual 20.5.1 (wal_buffers); PGTune'),
    Check('postgres.memory.huge_pages', 'memory', 'info', 'Huge pages not used with a large shared_buffers',
          huge_pages_guidance, 'With tens of GB of shared memory, 4 kB page tables cost memory and TLB misses.',
          'PostgreSQL manual 19.4.5 Linux Huge Pages'),
    # checkpoints and WAL
    Check('postgres.wal.max_wal_size_small', 'wal', 'warning', 'max_wal_size too small: requested '
          'checkpoints', max_wal_size_small, 'Checkpoints forced by WAL volume come too often: more I/O and more '
          'full-page writes.', 'PostgreSQL manual 30.5 WAL Configuration; PGTune'),
    Check('postgres.wal.checkpoint_completion_target', 'wal', 'info', 'checkpoint_completion_target below '
          '0.9', checkpoint_completion_target_low, 'Spreading checkpoint writes over the interval smooths I/O.',
          'PostgreSQL manual 30.5 WAL Configuration; PGTune'),
    Check('postgres.wal.backend_fsync', 'wal', 'warning', 'Backends fsync data files themselves',
          backend_fsync, 'buffers_backend_fsync > 0 means the checkpointer could not keep up.',
          'PostgreSQL manual 28.2 pg_stat_bgwriter; pgwatch bgwriter metrics'),
    # planner and storage
    Check('postgres.planner.random_page_cost', 'planner', 'info', 'random_page_cost at the spinning-disk default',
          random_page_cost_default, 'On SSD a random read costs about a sequential one.',
          'PostgreSQL manual 20.7.2 (random_page_cost); PGTune (SSD: 1.1)'),
    Check('postgres.planner.effective_io_concurrency', 'planner', 'info', 'effective_io_concurrency low for SSD',
          effective_io_concurrency_low, 'SSDs serve many concurrent reads; prefetching uses them.',
          'PostgreSQL manual 20.4.6 (effective_io_concurrency); PGTune (SSD: 200)'),
    Check('postgres.planner.jit_oltp', 'planner', 'info', 'JIT on for a transactional workload', jit_for_oltp,
          'JIT compilation helps long analytical queries and slows short ones the planner over-estimates.',
          'PostgreSQL manual 32.2 When to JIT?'),
    # connections
    Check('postgres.connections.max_connections_high', 'connections', 'warning', 'max_connections high for the '
          'memory limit', max_connections_high, 'Each backend costs memory and CPU scheduling; a pooler serves '
          'many clients with few backends.', 'PGTune; PostgreSQL wiki: Number Of Database Connections'),
    Check('postgres.connections.near_limit', 'connections', 'warning', 'Connections near max_connections',
          connections_near_limit, 'Past the limit clients get "sorry, too many clients already".',
          'PostgreSQL manual 20.3.1 (max_connections); check_postgres backends'),
    Check('postgres.connections.idle_in_transaction', 'connections', 'warning', 'Sessions idle in transaction',
          idle_in_transaction, 'An open transaction holds its locks and keeps VACUUM from removing dead rows.',
          'PostgreSQL manual 20.11.1 (idle_in_transaction_session_timeout); check_postgres txn_idle'),
    Check('postgres.connections.long_transactions', 'connections', 'warning', 'Long-running transactions',
          long_transactions, 'The oldest transaction sets the xmin horizon: nothing newer can be vacuumed.',
          'PostgreSQL manual 25.1.5; check_postgres txn_time'),
    Check('postgres.connections.prepared_transactions', 'connections', 'warning', 'Old prepared transactions',
          prepared_transactions, 'A forgotten prepared transaction holds locks and the xmin horizon across restarts.',
          'PostgreSQL manual: PREPARE TRANSACTION; check_postgres prepared_txns'),
    # cache and database statistics
    Check('postgres.cache.hit_ratio', 'cache', 'warning', 'Cache hit ratio below 99%', cache_hit_ratio,
          'Reads that miss shared_buffers go to the page cache or disk.',
          'PostgreSQL manual 28.2 pg_stat_database; pgwatch db_stats'),
    Check('postgres.temp.files', 'temp', 'warning', 'Much temporary file I/O', temp_files,
          'Temporary files are sorts and hashes that did not fit in work_mem.',
          'PostgreSQL manual 28.2 pg_stat_database (temp_bytes); pgwatch'),
    Check('postgres.database.deadlocks', 'database', 'warning', 'Deadlocks', deadlocks,
          'Each deadlock aborts a transaction the application must retry.', 'PostgreSQL manual 13.3.4 Deadlocks'),
    Check('postgres.database.rollback_ratio', 'database', 'warning', 'High rollback ratio', rollback_ratio,
          'Many rollbacks are errors or wasted work.', 'pgwatch db_stats; check_postgres commitratio'),
    # tables and indexes
    Check('postgres.indexes.seq_scans', 'indexes', 'warning', 'A seq-scanned table missing an index',
          seq_scanned_tables, 'A sequential scan reads every row; an index on the filtered columns reads a few.',
          'PostgreSQL manual 28.2 pg_stat_user_tables; 11 Indexes'),
    Check('postgres.indexes.unused', 'indexes', 'info', 'Indexes no query uses', unused_indexes,
          'Every write maintains every index; unused ones cost writes, WAL, vacuum and cache.',
          'PostgreSQL manual 28.2 pg_stat_user_indexes; pgwatch unused indexes'),
    Check('postgres.indexes.duplicate', 'indexes', 'warning', 'Duplicate or redundant indexes', duplicate_indexes,
          'A btree index whose columns lead another index (same predicate) adds write cost and no read benefit.',
          'PostgreSQL wiki: Index Maintenance (duplicate indexes)'),
    Check('postgres.indexes.invalid', 'indexes', 'warning', 'Invalid indexes', invalid_indexes,
          'An interrupted CREATE INDEX CONCURRENTLY leaves an index that costs writes and serves no read.',
          'PostgreSQL manual: CREATE INDEX (Building Indexes Concurrently)'),
    Check('postgres.vacuum.dead_tuples', 'vacuum', 'warning', 'Tables bloated by dead rows', dead_tuples,
          'Dead rows take space and slow scans until VACUUM removes them.',
          'PostgreSQL manual 25.1 Routine Vacuuming; check_postgres bloat'),
    Check('postgres.vacuum.autovacuum_off', 'vacuum', 'critical', 'autovacuum off', autovacuum_off,
          'Without autovacuum tables bloat, statistics go stale and transaction IDs wrap around.',
          'PostgreSQL manual 25.1.6 The Autovacuum Daemon'),
    Check('postgres.vacuum.never_vacuumed', 'vacuum', 'warning', 'Busy tables never vacuumed or analyzed',
          never_vacuumed, 'Stale statistics mislead the planner; dead rows accumulate.',
          'PostgreSQL manual 25.1.3 Updating Planner Statistics; check_postgres last_autovacuum'),
    Check('postgres.vacuum.wraparound', 'vacuum', 'warning', 'Transaction ID wraparound approaching', wraparound,
          'At 2^31 transaction IDs PostgreSQL stops writes to prevent data loss.',
          'PostgreSQL manual 25.1.5 Preventing Transaction ID Wraparound Failures; check_postgres txn_wraparound'),
    # statements
    Check('postgres.statements.extension_missing', 'statements', 'warning', 'pg_stat_statements not available',
          statements_missing, 'Without statement statistics slow queries cannot be found from the server.',
          'PostgreSQL manual F.32 pg_stat_statements'),
    Check('postgres.statements.slow', 'statements', 'warning', 'Slow statements', slow_statements,
          'Statements averaging over a second hold connections and locks.', 'PostgreSQL manual F.32; 14.1 EXPLAIN'),
    Check('postgres.statements.temp_blocks', 'statements', 'info', 'Statements writing temporary files',
          statements_temp_blocks, 'These statements sort or hash more than work_mem.',
          'PostgreSQL manual F.32 (temp_blks_written)'),
    # logging
    Check('postgres.logging.track_io_timing', 'logging', 'info', 'track_io_timing off',
          off_setting('track_io_timing', 'on', 'EXPLAIN (BUFFERS) and pg_stat_statements show no I/O times'),
          'I/O timing tells slow storage from slow queries.', 'PostgreSQL manual 20.9.2 (track_io_timing)'),
    Check('postgres.logging.slow_statements', 'logging', 'warning', 'Slow statements not logged',
          slow_statement_log_off, 'The log names slow statements with their parameters.',
          'PostgreSQL manual 20.8.2 (log_min_duration_statement)'),
    Check('postgres.logging.checkpoints', 'logging', 'info', 'Checkpoints not logged',
          off_setting('log_checkpoints', 'on', 'checkpoint frequency and duration are not in the log'),
          'Checkpoint logs are the evidence for max_wal_size tuning.', 'PostgreSQL manual 20.8.3 (log_checkpoints)'),
    Check('postgres.logging.lock_waits', 'logging', 'info', 'Lock waits not logged',
          off_setting('log_lock_waits', 'on', 'waits longer than deadlock_timeout are not in the log'),
          'Lock-wait logs name the blocking statements.', 'PostgreSQL manual 20.8.3 (log_lock_waits)'),
    Check('postgres.logging.temp_files', 'logging', 'info', 'Temporary files not logged', temp_file_log_off,
          'The log names the statements that spill to disk.', 'PostgreSQL manual 20.8.3 (log_temp_files)'),
    # security
    Check('postgres.security.trust_remote', 'security', 'critical', 'trust authentication from the network',
          trust_remote, 'trust skips authentication for every matching client.',
          'PostgreSQL manual 21.4 Trust Authentication'),
    Check('postgres.security.trust_local', 'security', 'warning', 'trust authentication on the socket or loopback',
          trust_local, 'Any local process, or anyone in the container, becomes any role.',
          'PostgreSQL manual 21.4 Trust Authentication'),
    Check('postgres.security.md5', 'security', 'warning', 'md5 passwords instead of scram-sha-256', md5_passwords,
          'SCRAM resists replay and sniffing; md5 is deprecated.', 'PostgreSQL manual 21.5 Password Authentication'),
    Check('postgres.security.open_to_everyone', 'security', 'info', 'Every address may connect to every database',
          open_to_everyone, 'Narrow pg_hba.conf rules limit who can even try a password.',
          'PostgreSQL manual 21.1 The pg_hba.conf File'),
    Check('postgres.security.hba_errors', 'security', 'warning', 'pg_hba.conf has invalid lines', hba_errors,
          'An unloadable pg_hba.conf is ignored on reload and stops a restart.',
          'PostgreSQL manual 54.9 pg_hba_file_rules'),
    Check('postgres.security.superusers', 'security', 'warning', 'More than two superusers', too_many_superusers,
          'Superusers bypass every permission; fewer is safer.', 'PostgreSQL manual 22.2 Role Attributes'),
    Check('postgres.security.login_without_password', 'security', 'warning', 'Login roles without a password',
          login_without_password, 'A role without a password relies on trust, peer or certificates alone.',
          'PostgreSQL manual 22.2 Role Attributes; 21.5'),
    Check('postgres.security.ssl_off', 'security', 'info', 'SSL off', ssl_off,
          'Without TLS data crosses the network in clear.', 'PostgreSQL manual 19.9 Secure TCP/IP Connections'),
    # replication
    Check('postgres.replication.standby_not_streaming', 'replication', 'critical', 'Standby not streaming',
          standby_not_streaming, 'A standby that receives no WAL is stale and cannot take over safely.',
          'PostgreSQL manual 28.2 pg_stat_wal_receiver; 27.2 Log-Shipping Standby Servers'),
    Check('postgres.replication.lag', 'replication', 'warning', 'Replication lag', replication_lag,
          'A lagging standby serves stale reads and loses data on failover.',
          'PostgreSQL manual 28.2 pg_stat_replication; check_postgres hot_standby_delay'),
    Check('postgres.replication.inactive_slots', 'replication', 'warning', 'Inactive replication slots retaining WAL',
          inactive_slots, 'A slot without a consumer keeps WAL until the disk is full.',
          'PostgreSQL manual 27.2.6 Replication Slots; 20.6.1 (max_slot_wal_keep_size)'),
    Check('postgres.replication.sync_standby_missing', 'replication', 'critical', 'Synchronous standby missing',
          sync_standby_missing, 'With synchronous_standby_names set and no synchronous standby, commits hang.',
          'PostgreSQL manual 27.2.8 Synchronous Replication'),
    Check('postgres.replication.hot_standby_feedback', 'replication', 'warning', 'Standby queries cancelled by '
          'recovery conflicts', hot_standby_feedback, 'Vacuum on the primary removes rows standby queries read.',
          'PostgreSQL manual 27.4.2 Handling Query Conflicts'),
    # durability
    Check('postgres.durability.fsync_off', 'durability', 'critical', 'fsync off',
          durability_off('fsync', 'a crash or power loss can corrupt the whole cluster'),
          'fsync = off skips flushing to disk: unrecoverable corruption after a crash.',
          'PostgreSQL manual 20.5.1 (fsync)'),
    Check('postgres.durability.full_page_writes_off', 'durability', 'critical', 'full_page_writes off',
          durability_off('full_page_writes', 'a crash during a page write leaves torn pages recovery cannot fix'),
          'Torn pages after a crash are corruption.', 'PostgreSQL manual 20.5.1 (full_page_writes)'),
    Check('postgres.durability.synchronous_commit_off', 'durability', 'warning', 'synchronous_commit off',
          synchronous_commit_off, 'Commits are acknowledged before they reach disk.',
          'PostgreSQL manual 30.4 Asynchronous Commit'),
    Check('postgres.durability.data_checksums', 'durability', 'info', 'Data checksums off', data_checksums_off,
          'Checksums detect storage corruption when pages are read.',
          'PostgreSQL manual 30.2 Data Checksums; pg_checksums'),
    # server
    Check('postgres.server.uptime', 'server', 'info', 'Statistics younger than a day', young_counters,
          'Usage-based findings need a representative period of statistics.',
          'PostgreSQL manual 28.2 (statistics since the last start or reset)'),
)
