# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category vacuum: dead rows, autovacuum and transaction ID wraparound."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    is_on, listing, setting_fix, table_name)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.vacuum.dead_tuples', 'vacuum', 'warning', 'Tables bloated by dead rows',
       'Dead rows take space and slow scans until VACUUM removes them.',
       'PostgreSQL manual 25.1 Routine Vacuuming; check_postgres bloat')
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


@check(TABLE, 'postgres.vacuum.autovacuum_off', 'vacuum', 'critical', 'autovacuum off',
       'Without autovacuum tables bloat, statistics go stale and transaction IDs wrap around.',
       'PostgreSQL manual 25.1.6 The Autovacuum Daemon')
def autovacuum_off(facts):
    off = [name for name in ('autovacuum', 'track_counts') if not is_on(facts, name)]
    if not off:
        return None
    return finding(', '.join('%s = off' % name for name in off), 'on',
                   'without autovacuum dead rows pile up and transaction IDs approach wraparound (autovacuum '
                   'also needs track_counts)', '; '.join(setting_fix(name, 'on') for name in off))


@check(TABLE, 'postgres.vacuum.never_vacuumed', 'vacuum', 'warning', 'Busy tables never vacuumed or analyzed',
       'Stale statistics mislead the planner; dead rows accumulate.',
       'PostgreSQL manual 25.1.3 Updating Planner Statistics; check_postgres last_autovacuum')
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


@check(TABLE, 'postgres.vacuum.wraparound', 'vacuum', 'warning', 'Transaction ID wraparound approaching',
       'At 2^31 transaction IDs PostgreSQL stops writes to prevent data loss.',
       'PostgreSQL manual 25.1.5 Preventing Transaction ID Wraparound Failures; check_postgres txn_wraparound')
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
