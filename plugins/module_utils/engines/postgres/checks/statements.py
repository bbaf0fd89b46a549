# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category statements: pg_stat_statements and what it shows."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.audit import preloaded_libraries
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    listing, setting_fix)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.statements.extension_missing', 'statements', 'warning', 'pg_stat_statements not available',
       'Without statement statistics slow queries cannot be found from the server.',
       'PostgreSQL manual F.32 pg_stat_statements')
def statements_missing(facts):
    status = facts['pg_stat_statements']
    if status['preloaded'] and status['installed']:
        return None
    steps = []
    if not status['preloaded']:
        libraries = preloaded_libraries(facts['settings']) + ['pg_stat_statements']
        steps.append(setting_fix('shared_preload_libraries', ','.join(libraries)))
    if not status['installed']:
        steps.append('CREATE EXTENSION pg_stat_statements (in database %s)' % facts.get('database', 'postgres'))
    return finding('preloaded: %s, installed: %s' % (status['preloaded'], status['installed']),
                   'pg_stat_statements preloaded and installed',
                   'no per-statement statistics: slow and temp-file statements cannot be named',
                   '; '.join(steps))


@check(TABLE, 'postgres.statements.slow', 'statements', 'warning', 'Slow statements',
       'Statements averaging over a second hold connections and locks.',
       'PostgreSQL manual F.32; 14.1 EXPLAIN')
def slow_statements(facts):
    slow = [s for s in facts['statements'] or [] if float(s['mean_ms']) > 1000]
    if not slow:
        return None
    text = listing('%.0f ms x %d calls: %s' % (s['mean_ms'], s['calls'], ' '.join(s['query'].split())[:120])
                   for s in slow)
    return finding(text, 'mean < 1 s', 'pg_stat_statements: %d of the top statements average over 1 s' % len(slow),
                   'EXPLAIN (ANALYZE, BUFFERS) the statement (queryid %s); index its filters or rewrite it'
                   % slow[0]['queryid'])


@check(TABLE, 'postgres.statements.temp_blocks', 'statements', 'info', 'Statements writing temporary files',
       'These statements sort or hash more than work_mem.',
       'PostgreSQL manual F.32 (temp_blks_written)')
def statements_temp_blocks(facts):
    spilling = [s for s in facts['statements'] or [] if (s['temp_blks_written'] or 0) > 0]
    if not spilling:
        return None
    text = listing('%s temp blocks: %s' % (s['temp_blks_written'], ' '.join(s['query'].split())[:120])
                   for s in spilling)
    return finding(text, 'sorts and hashes in work_mem', 'pg_stat_statements: these write temporary files',
                   'SET work_mem for these statements\' sessions (ALTER ROLE %s SET work_mem = \'64MB\'), or '
                   'add an index that returns rows in order' % (spilling[0].get('rolname') or '<role>'))
