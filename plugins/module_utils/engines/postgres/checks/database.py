# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category database: deadlocks and rollbacks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import stat, uptime_days

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.database.deadlocks', 'database', 'warning', 'Deadlocks',
       'Each deadlock aborts a transaction the application must retry.',
       'PostgreSQL manual 13.3.4 Deadlocks')
def deadlocks(facts):
    count = stat(facts, 'deadlocks')
    if count == 0:
        return None
    return finding('%d deadlocks' % count, '0', '%.1f deadlocks per day of uptime' % (count / uptime_days(facts)),
                   'read the "deadlock detected" lines in the server log (log_lock_waits = on) and take locks in '
                   'the same order in every transaction')


@check(TABLE, 'postgres.database.rollback_ratio', 'database', 'warning', 'High rollback ratio',
       'Many rollbacks are errors or wasted work.',
       'pgwatch db_stats; check_postgres commitratio')
def rollback_ratio(facts):
    commits, rollbacks = stat(facts, 'xact_commit'), stat(facts, 'xact_rollback')
    total = commits + rollbacks
    if total < 1000 or rollbacks / total < 0.05:
        return None
    return finding('%.1f%% rolled back' % (100.0 * rollbacks / total), '< 5%',
                   '%d of %d transactions rolled back' % (rollbacks, total),
                   'look for errors in the server log (log_min_error_statement) and for drivers rolling back '
                   'every read-only transaction')
