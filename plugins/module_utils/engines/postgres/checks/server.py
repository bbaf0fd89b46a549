# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category server: how much the statistics can tell."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import DAY

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.server.uptime', 'server', 'info', 'Statistics younger than a day',
       'Usage-based findings need a representative period of statistics.',
       'PostgreSQL manual 28.2 (statistics since the last start or reset)')
def young_counters(facts):
    if facts['uptime_s'] >= DAY:
        return None
    return finding('%.1f h' % (facts['uptime_s'] / 3600), '>= 1 day',
                   'statistics counted since the last start are young: ratios, unused indexes and scans may '
                   'mislead', 'run the audit again after a day (or a business cycle) of normal load')
