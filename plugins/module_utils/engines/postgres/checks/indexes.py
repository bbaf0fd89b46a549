# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category indexes: missing, unused, duplicate and invalid indexes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    DAY, human, listing, table_name)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.indexes.seq_scans', 'indexes', 'warning', 'A seq-scanned table missing an index',
       'A sequential scan reads every row; an index on the filtered columns reads a few.',
       'PostgreSQL manual 28.2 pg_stat_user_tables; 11 Indexes')
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


@check(TABLE, 'postgres.indexes.unused', 'indexes', 'info', 'Indexes no query uses',
       'Every write maintains every index; unused ones cost writes, WAL, vacuum and cache.',
       'PostgreSQL manual 28.2 pg_stat_user_indexes; pgwatch unused indexes')
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


@check(TABLE, 'postgres.indexes.duplicate', 'indexes', 'warning', 'Duplicate or redundant indexes',
       'A btree index whose columns lead another index (same predicate) adds write cost and no read benefit.',
       'PostgreSQL wiki: Index Maintenance (duplicate indexes)')
def duplicate_indexes(facts):
    redundant = facts['redundant_indexes']
    if not redundant:
        return None
    names = listing(['%s.%s (%s of %s)' % (r['schema'], r['index'], r['kind'], r['covered_by'])
                     for r in redundant], 10)
    first = redundant[0]
    return finding(names, 'one index per column prefix', names,
                   'DROP INDEX CONCURRENTLY %s.%s' % (first['schema'], first['index']))


@check(TABLE, 'postgres.indexes.invalid', 'indexes', 'warning', 'Invalid indexes',
       'An interrupted CREATE INDEX CONCURRENTLY leaves an index that costs writes and serves no read.',
       'PostgreSQL manual: CREATE INDEX (Building Indexes Concurrently)')
def invalid_indexes(facts):
    invalid = ['%s.%s' % (i['schemaname'], i['indexrelname']) for i in facts['indexes'] if not i.get('valid', True)]
    if not invalid:
        return None
    return finding(listing(invalid), 'no invalid indexes',
                   'a failed CREATE INDEX CONCURRENTLY left these: writes maintain them, no query uses them',
                   'DROP INDEX CONCURRENTLY %s, then create it again (or REINDEX INDEX CONCURRENTLY %s)'
                   % (invalid[0], invalid[0]))
