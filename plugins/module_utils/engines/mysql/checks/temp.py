# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category temp: internal temporary tables."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    human, is_mysql, num, ratio, setting_fix, status, var, version)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.temp.disk_tables', 'temp', 'warning', 'Temporary tables go to disk',
       'Internal temporary tables beyond the in-memory limit are written to disk.',
       'MySQL manual: Internal Temporary Table Use; MySQLTuner: temporary tables created on disk')
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


@check(TABLE, 'mysql.temp.size_mismatch', 'temp', 'info', 'tmp_table_size differs from max_heap_table_size',
       'The smaller of the two limits in-memory temporary tables (MEMORY engine).',
       'MySQL manual: Internal Temporary Table Use')
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
