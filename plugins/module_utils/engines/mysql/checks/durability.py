# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category durability: what a crash can lose."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flag, is_mariadb, num, setting_fix, text)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.durability.flush_log', 'durability', 'warning', 'Commits not flushed to disk',
       'Only innodb_flush_log_at_trx_commit=1 writes and syncs the redo log at every commit (the D of ACID).',
       'MySQL manual: InnoDB ACID settings, innodb_flush_log_at_trx_commit')
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


@check(TABLE, 'mysql.durability.sync_binlog', 'durability', 'warning', 'Binary log not synced at commit',
       'With sync_binlog != 1 the binary log can lose transactions InnoDB kept, breaking replicas and point-in-time '
       'recovery.',
       'MySQL manual: sync_binlog; Percona: durable replication')
def sync_binlog_unsafe(facts):
    if not flag(facts, 'log_bin'):
        return None
    value = int(num(facts, 'sync_binlog'))
    if value == 1:
        return None
    return finding(value, 1, 'sync_binlog=%d: after a crash the binary log can miss transactions InnoDB '
                   'committed, and replicas or a point-in-time restore diverge from the data' % value,
                   setting_fix('sync_binlog', 1, facts))


@check(TABLE, 'mysql.durability.doublewrite', 'durability', 'warning', 'Doublewrite buffer off',
       'The doublewrite buffer protects pages from torn writes on a crash.',
       'MySQL manual: Doublewrite Buffer; MariaDB KB: InnoDB Doublewrite Buffer')
def doublewrite_off(facts):
    value = text(facts, 'innodb_doublewrite').upper()
    # MySQL >= 8.0.30 also has DETECT_AND_RECOVER (= ON) and DETECT_ONLY (no page copies).
    if value not in ('OFF', '0', 'DETECT_ONLY'):
        return None
    return finding(value, 'ON', 'without the doublewrite buffer a crash during a page write leaves a torn '
                   'page InnoDB cannot recover', setting_fix('innodb_doublewrite', 'ON', facts, restart=True))
