# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category sort: sorts merged through temporary files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    human, num, ratio, setting_fix, status)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.sort.merge_passes', 'sort', 'info', 'Sorts merged through temporary files',
       'Sort_merge_passes counts sorts that did not fit in sort_buffer_size.',
       'MySQL manual: Sort_merge_passes, ORDER BY Optimization; MySQLTuner')
def sort_merge_passes(facts):
    sorts = status(facts, 'sort_scan') + status(facts, 'sort_range')
    passes = status(facts, 'sort_merge_passes')
    if sorts < 1000 or ratio(passes, sorts) <= 0.1:
        return None
    size = num(facts, 'sort_buffer_size')
    wanted = min(size * 2, 4 * MIB)
    return finding('%d merge passes for %d sorts' % (passes, sorts), '< 10% of sorts',
                   'sorts larger than sort_buffer_size (%s) are merged through temporary files' % human(size),
                   'index the ORDER BY columns of the large sorts, or raise the buffer for those sessions only '
                   '(SET SESSION sort_buffer_size = 4M); globally at most ' +
                   setting_fix('sort_buffer_size', human(wanted), facts))
