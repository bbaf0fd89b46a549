# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category tables: table caches, open files and table locks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    myisam_tables, num, ratio, setting_fix, status, table_name, uptime)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.tables.open_cache', 'tables', 'warning', 'Table open cache misses',
       'A table not in the open cache is opened again, taking locks on the data dictionary.',
       'MySQL manual: How MySQL Opens and Closes Tables; MySQLTuner: table cache hit rate')
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


@check(TABLE, 'mysql.tables.definition_cache', 'tables', 'warning', 'Table definition cache smaller than the tables',
       'Definitions that do not fit are read again from the data dictionary.',
       'MySQL manual: table_definition_cache; MySQLTuner')
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


@check(TABLE, 'mysql.tables.open_files', 'tables', 'warning', 'Open files near open_files_limit',
       'Past open_files_limit the server cannot open tables or logs.',
       'MySQL manual: File Not Found and Similar Errors (open_files_limit); MySQLTuner: open file limit used')
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


@check(TABLE, 'mysql.tables.lock_contention', 'tables', 'warning', 'Table lock contention',
       'Table locks (MyISAM, LOCK TABLES) serialise every writer on the table.',
       'MySQL manual: Table_locks_waited; MySQLTuner')
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
