# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category planner: cost settings for the storage, JIT."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    is_on, number, setting, setting_fix)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.planner.random_page_cost', 'planner', 'info', 'random_page_cost at the spinning-disk default',
       'On SSD a random read costs about a sequential one.',
       'PostgreSQL manual 20.7.2 (random_page_cost); PGTune (SSD: 1.1)')
def random_page_cost_default(facts):
    if number(facts, 'random_page_cost') < 4:
        return None
    target = facts['recommended'].get('random_page_cost', 1.1)
    return finding(setting(facts, 'random_page_cost'), target,
                   'random_page_cost 4 models spinning disks: on SSD or cloud volumes the planner then '
                   'under-uses indexes', setting_fix('random_page_cost', target) + ' (on SSD storage)')


@check(TABLE, 'postgres.planner.effective_io_concurrency', 'planner', 'info', 'effective_io_concurrency low for SSD',
       'SSDs serve many concurrent reads; prefetching uses them.',
       'PostgreSQL manual 20.4.6 (effective_io_concurrency); PGTune (SSD: 200)')
def effective_io_concurrency_low(facts):
    if number(facts, 'effective_io_concurrency') >= 100:
        return None
    target = facts['recommended'].get('effective_io_concurrency', 200)
    return finding(setting(facts, 'effective_io_concurrency'), target,
                   'bitmap heap scans prefetch %s pages at a time' % setting(facts, 'effective_io_concurrency'),
                   setting_fix('effective_io_concurrency', target) + ' (on SSD storage)')


@check(TABLE, 'postgres.planner.jit_oltp', 'planner', 'info', 'JIT on for a transactional workload',
       'JIT compilation helps long analytical queries and slows short ones the planner over-estimates.',
       'PostgreSQL manual 32.2 When to JIT?')
def jit_for_oltp(facts):
    profile = facts.get('workload_profile') or 'oltp'
    if profile not in ('oltp', 'web') or not is_on(facts, 'jit'):
        return None
    return finding('on', 'off', 'profile %s: short queries above jit_above_cost pay compilation time '
                   '(milliseconds) for no gain' % profile, setting_fix('jit', 'off'))
