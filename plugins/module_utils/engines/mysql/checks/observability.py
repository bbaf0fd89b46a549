# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category observability: performance_schema."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flag, is_mariadb, setting_fix)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.observability.performance_schema', 'observability', 'warning', 'performance_schema off',
       'performance_schema gives per-statement and per-index statistics; the index and statement checks need it.',
       'MySQL manual: Performance Schema; MariaDB KB: Performance Schema Overview')
def performance_schema_off(facts):
    if flag(facts, 'performance_schema'):
        return None
    recommended = facts.get('recommended') or {}
    if is_mariadb(facts):
        # MariaDB ships it OFF; db_container turns it on only from 2 GiB of memory (it costs memory).
        if recommended and 'performance_schema' not in recommended:
            return None
        return finding('OFF', 'ON', 'MariaDB ships performance_schema OFF: no per-statement or per-index '
                       'statistics (unused indexes, full scans, statement digests); it costs about 100-400 MB',
                       setting_fix('performance_schema', 'ON', facts, restart=True), severity='info')
    return finding('OFF', 'ON', 'performance_schema is on by default in MySQL and was turned off: no '
                   'statement digests, index usage or sys schema views',
                   setting_fix('performance_schema', 'ON', facts, restart=True))
