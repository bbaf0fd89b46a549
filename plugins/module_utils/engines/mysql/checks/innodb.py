# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category innodb: redo log, buffer pool I/O, locks and transactions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flag, human, is_mariadb, is_mysql, num, ratio, recommended_size, setting_fix, status, text, version)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


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


@check(TABLE, 'mysql.innodb.redo_log_small', 'innodb', 'warning', 'Redo log small for the buffer pool',
       'A small redo log forces frequent checkpoints and flushing storms under write load.',
       'MySQLTuner (redo log 25% of the buffer pool); MySQL manual: innodb_redo_log_capacity; MariaDB KB: InnoDB Redo '
       'Log')
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


@check(TABLE, 'mysql.innodb.log_file_size', 'innodb', 'info', 'Deprecated innodb_log_file_size on MySQL 8.0.30+',
       'innodb_redo_log_capacity replaces innodb_log_file_size and innodb_log_files_in_group from MySQL 8.0.30.',
       'MySQL manual: Configuring Redo Log Capacity')
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


@check(TABLE, 'mysql.innodb.log_waits', 'innodb', 'warning', 'Transactions wait for the log buffer',
       'Innodb_log_waits counts commits that had to wait for the log buffer to be written out.',
       'MySQL manual: innodb_log_buffer_size, Innodb_log_waits; MySQLTuner')
def log_waits(facts):
    waits = status(facts, 'innodb_log_waits')
    if waits <= 0:
        return None
    size = num(facts, 'innodb_log_buffer_size')
    wanted = max(size * 2, int((facts.get('recommended') or {}).get('innodb_log_buffer_size_bytes', 0)))
    return finding('%d waits' % waits, '0', 'transactions waited %d times for room in the %s log buffer'
                   % (waits, human(size)),
                   setting_fix('innodb_log_buffer_size', human(wanted), facts, restart=is_mariadb(facts)))


@check(TABLE, 'mysql.innodb.buffer_pool_wait_free', 'innodb', 'warning', 'Reads wait for free buffer pool pages',
       'Innodb_buffer_pool_wait_free counts reads stalled until a dirty page was flushed.',
       'MySQL manual: Innodb_buffer_pool_wait_free')
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


@check(TABLE, 'mysql.innodb.buffer_pool_instances', 'innodb', 'info', 'One buffer pool instance for a large pool',
       'MySQL splits a pool of 1 GiB or more into instances to reduce mutex contention.',
       'MySQL manual: innodb_buffer_pool_instances')
def buffer_pool_instances(facts):
    # MariaDB has a single buffer pool since 10.5; MySQL splits it to spread mutex contention.
    if not is_mysql(facts):
        return None
    pool = num(facts, 'innodb_buffer_pool_size')
    instances = int(num(facts, 'innodb_buffer_pool_instances'))
    if pool < GIB or instances > 1:
        return None
    wanted = int((facts.get('recommended') or {}).get('innodb_buffer_pool_instances', min(8, int(pool // GIB))))
    if wanted <= instances:
        return None     # a 1 GiB pool: one instance is what MySQL itself would choose
    return finding(instances, wanted, 'one instance for a %s pool: every page access takes the same mutex'
                   % human(pool), setting_fix('innodb_buffer_pool_instances', wanted, facts, restart=True))


@check(TABLE, 'mysql.innodb.file_per_table', 'innodb', 'warning', 'innodb_file_per_table is off',
       'Tables in the system tablespace never return their space to the file system.',
       'MySQL manual: File-Per-Table Tablespaces')
def file_per_table_off(facts):
    if flag(facts, 'innodb_file_per_table'):
        return None
    return finding('OFF', 'ON', 'new tables go to the shared system tablespace, which never shrinks: a '
                   'dropped or truncated table does not give its space back',
                   setting_fix('innodb_file_per_table', 'ON', facts) + ' (then ALTER TABLE ... ENGINE=InnoDB '
                   'moves a table to its own file)')


@check(TABLE, 'mysql.innodb.stats_on_metadata', 'innodb', 'warning', 'Statistics recomputed on metadata queries',
       'innodb_stats_on_metadata=ON makes information_schema queries update statistics.',
       'MySQL manual: innodb_stats_on_metadata; Percona blog')
def stats_on_metadata(facts):
    if not flag(facts, 'innodb_stats_on_metadata'):
        return None
    return finding('ON', 'OFF', 'every SHOW TABLE STATUS or information_schema query recomputes index '
                   'statistics: monitoring tools slow the server down and plans change under load',
                   setting_fix('innodb_stats_on_metadata', 'OFF', facts))


@check(TABLE, 'mysql.innodb.io_capacity', 'innodb', 'info', 'innodb_io_capacity at the HDD default',
       'The page cleaners flush at innodb_io_capacity IOPS; 200 suits a single disk, not SSDs.',
       'MySQL manual: Configuring InnoDB I/O Capacity; MariaDB KB: InnoDB Page Flushing')
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


@check(TABLE, 'mysql.innodb.flush_method', 'innodb', 'warning', 'InnoDB I/O through the page cache',
       'Buffered I/O caches InnoDB data twice, and page cache counts against the container memory limit.',
       'MySQL manual: innodb_flush_method (O_DIRECT)')
def flush_method_buffered(facts):
    method = text(facts, 'innodb_flush_method').upper()
    if method.startswith('O_DIRECT') or method in ('UNBUFFERED', 'NORMAL', 'ASYNC_UNBUFFERED'):
        return None  # the Windows values are direct I/O too
    return finding(method or 'fsync', 'O_DIRECT', 'InnoDB data goes through the page cache as well as the '
                   'buffer pool: the copy counts against the container memory limit',
                   setting_fix('innodb_flush_method', 'O_DIRECT', facts, restart=True))


@check(TABLE, 'mysql.innodb.buffer_pool_warmup', 'innodb', 'info', 'Buffer pool not saved and reloaded across restarts',
       'Dumping and reloading the buffer pool page list shortens the cold period after a restart.',
       'MySQL manual: Saving and Restoring the Buffer Pool State')
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


@check(TABLE, 'mysql.innodb.strict_mode', 'innodb', 'info', 'innodb_strict_mode is off',
       'Without strict mode invalid table options are accepted with a warning.',
       'MySQL manual: innodb_strict_mode')
def strict_mode_off(facts):
    if flag(facts, 'innodb_strict_mode'):
        return None
    return finding('OFF', 'ON', 'CREATE/ALTER TABLE with an invalid ROW_FORMAT or KEY_BLOCK_SIZE succeeds with '
                   'a warning and silently different options', setting_fix('innodb_strict_mode', 'ON', facts))


def deadlock_count(facts):
    """Deadlocks since start: MariaDB's Innodb_deadlocks, or MySQL's lock_deadlocks metric."""
    if 'innodb_deadlocks' in facts['status']:
        return status(facts, 'innodb_deadlocks')
    metrics = facts.get('innodb_metrics') or {}
    if 'lock_deadlocks' in metrics:
        return float(metrics['lock_deadlocks'])
    raise KeyError('innodb_deadlocks')


@check(TABLE, 'mysql.innodb.deadlocks_unlogged', 'innodb', 'warning', 'Deadlocks happen and are not logged',
       'Only the last deadlock is kept unless innodb_print_all_deadlocks writes each one to the error log.',
       'MySQL manual: innodb_print_all_deadlocks; MariaDB KB: Innodb_deadlocks')
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


@check(TABLE, 'mysql.innodb.row_lock_waits', 'innodb', 'warning', 'Long row lock waits',
       'Sessions blocked on row locks hold their connection and their own locks.',
       'MySQL manual: Innodb_row_lock_time_avg; sys.innodb_lock_waits')
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


@check(TABLE, 'mysql.innodb.purge_lag', 'innodb', 'warning', 'Long undo history (purge lag)',
       'A long history list means old row versions are kept for an old transaction: reads slow down and the undo '
       'space grows.',
       'MySQL manual: Purge Configuration (trx_rseg_history_len); Percona: history list length')
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


@check(TABLE, 'mysql.innodb.long_transactions', 'innodb', 'warning', 'Transactions open for a minute or more',
       'Long transactions hold locks and block purge.',
       'MySQL manual: INFORMATION_SCHEMA.INNODB_TRX; pt-kill --busy-time')
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
