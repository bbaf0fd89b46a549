# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category replication: replica threads, lag, GTIDs and crash safety.

facts['replication'] holds the SHOW REPLICA/SLAVE STATUS rows of every channel, column names lowercased.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    first_var, flag, flavor, human, is_mariadb, is_mysql, is_replica, num, setting_fix, text)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


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


def replica_command(facts, row, verb, thread=None):
    """START/STOP for one replication channel (``thread`` 'IO' or 'SQL' for one), in this server's syntax."""
    name = row.get('channel_name') or row.get('connection_name') or ''
    return flavor(facts).replica_command(verb, thread, name)


def stopped_threads(facts, names, thread, error_columns):
    stopped = [row for row in facts['replication'] if str(row_value(row, *names)) != 'Yes']
    if not stopped:
        return None
    row = stopped[0]
    error = next((row[c] for c in error_columns if row.get(c)), 'no error recorded')
    return finding('%s: %s' % (channel(row), row_value(row, *names)), 'Yes',
                   'the %s thread for %s is not running: %s' % (thread, channel(row), error),
                   'fix the cause above, then %s' % replica_command(facts, row, 'START', thread.upper()))


@check(TABLE, 'mysql.replication.io_thread', 'replication', 'critical', 'Replica IO thread not running',
       'A stopped IO thread no longer receives changes from the source.',
       'MySQL manual: Checking Replication Status; MariaDB KB: SHOW REPLICA STATUS')
def io_thread_stopped(facts):
    return stopped_threads(facts, ('replica_io_running', 'slave_io_running'), 'io',
                           ('last_io_error', 'last_error'))


@check(TABLE, 'mysql.replication.sql_thread', 'replication', 'critical', 'Replica SQL thread not running',
       'A stopped SQL thread no longer applies changes: the replica falls behind.',
       'MySQL manual: Checking Replication Status; MariaDB KB: SHOW REPLICA STATUS')
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


@check(TABLE, 'mysql.replication.lag', 'replication', 'warning', 'Replica lag',
       'Reads from a lagging replica return stale data, and a failover to it loses the lag.',
       'MySQL manual: Seconds_Behind_Source; pt-heartbeat')
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


@check(TABLE, 'mysql.replication.relay_log_space', 'replication', 'warning', 'Relay logs pile up',
       'Relay logs beyond a couple of files mean the SQL thread cannot keep up with the IO thread.',
       'MySQL manual: Relay_Log_Space, relay_log_space_limit')
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


@check(TABLE, 'mysql.replication.read_only', 'replication', 'warning', 'Replica accepts writes',
       'Writes on a replica make it diverge from its source.',
       'MySQL manual: read_only, super_read_only')
def replica_writable(facts):
    if not is_replica(facts) or flag(facts, 'read_only'):
        return None
    fix = setting_fix('read_only', 'ON', facts)
    if flavor(facts).has_super_read_only:
        fix += '; ' + setting_fix('super_read_only', 'ON', facts)
    return finding('OFF', 'ON', 'a replica that accepts writes diverges from its source: the next conflicting '
                   'row stops replication', fix)


@check(TABLE, 'mysql.replication.log_replica_updates', 'replication', 'warning',
       'Replica does not log replicated changes',
       'A replica must log what it applies to be promoted or chained.',
       'MySQL manual: log_replica_updates; MariaDB KB: log_slave_updates')
def replica_updates_not_logged(facts):
    if not is_replica(facts):
        return None
    name = first_var(facts, 'log_replica_updates', 'log_slave_updates')
    if flag(facts, name):
        return None
    return finding('OFF', 'ON', 'replicated changes are not written to this replica\'s binary log: it cannot '
                   'be promoted or feed another replica without a new full copy',
                   setting_fix(name, 'ON', facts, restart=True))


@check(TABLE, 'mysql.replication.gtid_mode', 'replication', 'warning', 'GTIDs off (MySQL)',
       'GTIDs let replicas follow a new source without file positions.',
       'MySQL manual: Replication with Global Transaction Identifiers')
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


@check(TABLE, 'mysql.replication.gtid_strict_mode', 'replication', 'info', 'gtid_strict_mode off (MariaDB)',
       'Strict mode rejects out-of-order GTIDs that would make binary logs diverge.',
       'MariaDB KB: Global Transaction ID (gtid_strict_mode)')
def gtid_strict_mode_off(facts):
    if not is_mariadb(facts) or not (is_replica(facts) or flag(facts, 'log_bin')):
        return None
    if flag(facts, 'gtid_strict_mode'):
        return None
    return finding('OFF', 'ON', 'without gtid_strict_mode a replica accepts out-of-order GTIDs and local writes '
                   'that make its binary log diverge from the source',
                   setting_fix('gtid_strict_mode', 'ON', facts),
                   severity='warning' if is_replica(facts) else None)


@check(TABLE, 'mysql.replication.auto_position', 'replication', 'warning', 'Replica positioned by file and offset',
       'GTID positioning makes failover a one-line change on every replica.',
       'MySQL manual: SOURCE_AUTO_POSITION; MariaDB KB: CHANGE MASTER TO (MASTER_USE_GTID)')
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
    change = flavor(facts).gtid_positioning_sql()
    return finding('%s: file and position' % channel(row), 'GTID positioning',
                   'the replica of %s tracks a binary log file and position: pointing it at a new source after a '
                   'failover means finding that position by hand' % channel(row),
                   '%s; %s; %s' % (replica_command(facts, row, 'STOP'), change, replica_command(facts, row, 'START')))


@check(TABLE, 'mysql.replication.server_id', 'replication', 'warning', 'Replica with the default server_id',
       'Every server in a topology needs a unique server_id.',
       'MySQL manual: server_id')
def replica_default_server_id(facts):
    if not is_replica(facts):
        return None
    server_id = int(num(facts, 'server_id'))
    if server_id > 1:
        return None
    return finding(server_id, 'a unique id per node (e.g. 2)', 'server_id %d is the default every node '
                   'starts with: a source ignores events with its own id and two replicas with the same id '
                   'disconnect each other' % server_id, setting_fix('server_id', 2, facts) + ' (unique per node)')


@check(TABLE, 'mysql.replication.relay_log_recovery', 'replication', 'warning', 'Replica not crash-safe',
       'relay_log_recovery=ON makes a replica discard unapplied relay logs after a crash and fetch them again.',
       'MySQL manual: Making Replication Resilient to Unexpected Halts')
def relay_log_recovery_off(facts):
    if not is_replica(facts) or flag(facts, 'relay_log_recovery'):
        return None
    return finding('OFF', 'ON', 'after a crash the replica may apply a half-written relay log; with recovery on '
                   'it discards it and fetches again from the source',
                   setting_fix('relay_log_recovery', 'ON', facts, restart=True))
