# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category temp: temporary files from sorts and hashes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    human, stat, uptime_days)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.temp.files', 'temp', 'warning', 'Much temporary file I/O',
       'Temporary files are sorts and hashes that did not fit in work_mem.',
       'PostgreSQL manual 28.2 pg_stat_database (temp_bytes); pgwatch')
def temp_files(facts):
    written = stat(facts, 'temp_bytes')
    if written < 256 * MIB:
        return None
    per_day = written / uptime_days(facts)
    return finding('%d files, %s' % (stat(facts, 'temp_files'), human(written)), 'little or no temporary file I/O',
                   '%s of temporary files (%s per day of uptime) from sorts and hashes beyond work_mem'
                   % (human(written), human(per_day)),
                   'find the statements (pg_stat_statements temp_blks_written, log_temp_files = 0), then '
                   'SET work_mem for their sessions or ALTER ROLE <role> SET work_mem = \'64MB\'')
