# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category indexes: full scans, unused and duplicate indexes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import uptime

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.index.full_scans', 'indexes', 'warning', 'Tables read by full scans',
       'A scan reads every row; an index on the filtered columns reads a few.',
       'MySQL manual: performance_schema table_io_waits_summary_by_index_usage')
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


@check(TABLE, 'mysql.index.unused', 'indexes', 'info', 'Indexes no query uses',
       'Every insert and update maintains every index; unused ones cost writes and buffer pool.',
       'sys.schema_unused_indexes')
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


@check(TABLE, 'mysql.index.duplicate', 'indexes', 'warning', 'Duplicate or redundant indexes',
       'An index whose columns lead another index adds write cost and no read benefit.',
       'pt-duplicate-key-checker; sys.schema_redundant_indexes')
def duplicate_indexes(facts):
    redundant = facts['redundant_indexes']
    if not redundant:
        return None
    names = ', '.join('%s.%s.%s (%s of %s)' % (r['schema'], r['table'], r['index'], r['kind'], r['covered_by'])
                      for r in redundant[:10])
    first = redundant[0]
    return finding(names, 'one index per column prefix', names,
                   'ALTER TABLE `%s`.`%s` DROP INDEX `%s`' % (first['schema'], first['table'], first['index']))
