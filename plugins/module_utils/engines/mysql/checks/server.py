# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category server: how long the counters have been counting."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import uptime

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.server.uptime', 'server', 'info', 'Counters are young',
       'Ratios and peaks from less than a day of uptime may not represent the workload.',
       'MySQLTuner: uptime below 24 hours')
def counters_young(facts):
    seconds = uptime(facts)
    if seconds >= 86400:
        return None
    return finding('%.1f hours' % (seconds / 3600.0), '>= 24 hours',
                   'the server started %.1f hours ago: hit ratios, peaks and rates cover only that'
                   % (seconds / 3600.0),
                   'run db_tune_report again after a day of normal load', severity='info')
