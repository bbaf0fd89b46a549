# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category schema:
primary keys, storage engines, fragmentation and auto-increment counters.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    human, myisam_tables, on, table_name)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.schema.no_primary_key', 'schema', 'warning', 'InnoDB tables without a primary key',
       'InnoDB clusters rows on the primary key; without one it uses a hidden global counter, and row-based '
       'replication scans the table for every changed row.',
       'MySQL manual: Clustered and Secondary Indexes')
def tables_without_primary_key(facts):
    tables = facts['tables_without_primary_key']
    if not tables:
        return None
    return finding(', '.join(tables[:10]), 'a primary key on every InnoDB table',
                   '%d InnoDB tables have no primary key' % len(tables),
                   'ALTER TABLE %s ADD PRIMARY KEY (...) (or an id column AUTO_INCREMENT)' % tables[0])


@check(TABLE, 'mysql.schema.myisam', 'schema', 'warning', 'MyISAM tables in use',
       'MyISAM has no transactions or crash recovery and locks whole tables.',
       'MySQL manual: Converting Tables from MyISAM to InnoDB')
def myisam_in_use(facts):
    tables = myisam_tables(facts)
    if not tables:
        return None
    return finding(', '.join('%s.%s' % (t['schema'], t['table']) for t in tables[:10]), 'InnoDB',
                   '%d MyISAM tables: no transactions, table-level locks, and a crash can corrupt them'
                   % len(tables),
                   '; '.join('ALTER TABLE %s ENGINE=InnoDB' % table_name(t) for t in tables[:5]))


@check(TABLE, 'mysql.schema.fragmentation', 'schema', 'info', 'Fragmented tables',
       'Deleted rows leave free space inside the tablespace until the table is rebuilt.',
       'MySQL manual: OPTIMIZE TABLE; MySQLTuner: fragmented tables')
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


@check(TABLE, 'mysql.schema.large_table_no_index', 'schema', 'info', 'Large tables with no secondary index',
       'A large table with only its primary key can be searched only by that key.',
       'MySQL manual: How MySQL Uses Indexes')
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


@check(TABLE, 'mysql.schema.auto_increment', 'schema', 'warning', 'Auto-increment counters near their maximum',
       "When an auto-increment column reaches its type's maximum every insert fails.",
       'Percona toolkit / MySQL manual: Using AUTO_INCREMENT; sys.schema_auto_increment_columns')
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
