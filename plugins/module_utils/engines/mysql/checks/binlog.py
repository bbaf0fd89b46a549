# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category binlog: the binary log's format, retention and cache."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import KIB, MIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flag, human, num, ratio, setting_fix, status, text)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.binlog.disabled', 'binlog', 'warning', 'Binary log disabled',
       'The binary log is what point-in-time recovery and replication replay.',
       'MySQL manual: The Binary Log; MariaDB KB: Binary Log')
def binary_log_off(facts):
    if flag(facts, 'log_bin'):
        return None
    return finding('OFF', 'ON', 'no binary log: no point-in-time recovery after a restore, no replica can '
                   'be attached', '%s; %s' % (setting_fix('log_bin', 'mysql-bin', facts, restart=True),
                                              setting_fix('server_id', 1, facts)))


@check(TABLE, 'mysql.binlog.format', 'binlog', 'warning', 'Binary log format not ROW',
       'Statement-based logging replays unsafe statements differently; MariaDB defaults to MIXED.',
       'MariaDB KB: Binary Log Formats; MySQL manual: Advantages of row-based replication')
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


@check(TABLE, 'mysql.binlog.expiry', 'binlog', 'warning', 'Binary log retention unset, too short or too long',
       'Binary logs must cover the backup interval, and must be purged before the volume fills.',
       'MySQL manual: binlog_expire_logs_seconds; MariaDB KB: expire_logs_days')
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


@check(TABLE, 'mysql.binlog.cache_disk_use', 'binlog', 'info', 'Binary log cache spills to disk',
       'Transactions larger than binlog_cache_size are staged in a temporary file before commit.',
       'MySQL manual: Binlog_cache_disk_use, binlog_cache_size')
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
