# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category profiler: the database profiler and the slow-operation threshold."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import option, settings_fix

DEFAULT_SLOWMS = 100            # mongod's default operationProfiling.slowOpThresholdMs

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'mongodb.profiler.all', 'profiler', 'warning', 'Profiler records every operation',
       'Level 2 writes a system.profile document for every operation: load and cache pressure in production.',
       'MongoDB manual: Database Profiler > Profiling Levels')
def profiler_all(facts):
    databases = sorted(name for name, level in facts['profile'].items() if level.get('was') == 2)
    configured = option(facts, 'operationProfiling.mode') == 'all'
    if not databases and not configured:
        return None
    wanted = facts['recommended'].get('operationProfiling.mode', 'off')
    where = ', '.join(databases) if databases else 'every database'
    first = databases[0] if databases else '<database>'
    return finding('level 2 (all) in %s' % where, wanted,
                   'the profiler at level 2 writes every operation into system.profile%s: a write per read'
                   % (' (operationProfiling.mode: all)' if configured else ''),
                   "%s, and now: mongosh --eval \"db.getSiblingDB('%s').setProfilingLevel(0)\""
                   % (settings_fix('operationProfiling.mode', "'%s'" % wanted), first))


def slowms_value(facts):
    levels = [level.get('slowms') for level in facts['profile'].values() if level.get('slowms') is not None]
    if levels:
        return int(levels[0])  # slowms is server-wide: every database reports the same
    return int(option(facts, 'operationProfiling.slowOpThresholdMs', DEFAULT_SLOWMS))


@check(TABLE, 'mongodb.profiler.slowms', 'profiler', 'warning', 'Slow-operation threshold off range',
       'slowms 0 logs every operation; a very high slowms hides the slow ones.',
       'MongoDB manual: Database Profiler; operationProfiling.slowOpThresholdMs')
def slowms_off_range(facts):
    slowms = slowms_value(facts)
    if 0 < slowms <= 1000:
        return None
    wanted = int(facts['recommended'].get('operationProfiling.slowOpThresholdMs', DEFAULT_SLOWMS))
    evidence = ('slowms 0 logs every operation as slow: the log grows with the load'
                if slowms == 0 else 'operations up to %d ms are never logged as slow' % slowms)
    return finding('%d ms' % slowms, wanted, evidence,
                   "%s, and now: mongosh --eval \"db.setProfilingLevel(0, {slowms: %d})\""
                   % (settings_fix('operationProfiling.slowOpThresholdMs', wanted), wanted),
                   severity='warning' if slowms == 0 else 'info')
