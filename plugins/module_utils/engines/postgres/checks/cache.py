# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category cache: reads that miss shared_buffers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    human, setting_fix, size, stat, wanted)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []
# Fewer block reads than this are the server's warm-up, not its workload: a fresh server reads its catalogue
# from disk (about 98.8% hits over its first 130000 blocks, measured on PostgreSQL 18), and so does every new
# session's catalogue cache, an audit's included. A server at work passes it within minutes.
WARM_BLOCKS = 1000000


@check(TABLE, 'postgres.cache.hit_ratio', 'cache', 'warning', 'Cache hit ratio below 99%',
       'Reads that miss shared_buffers go to the page cache or disk.',
       'PostgreSQL manual 28.2 pg_stat_database; pgwatch db_stats')
def cache_hit_ratio(facts):
    hits, reads = stat(facts, 'blks_hit'), stat(facts, 'blks_read')
    if hits + reads < WARM_BLOCKS:
        return None
    ratio = 100.0 * hits / (hits + reads)
    if ratio >= 99.0:
        return None
    value, target = wanted(facts, 'shared_buffers')
    if size(facts, 'shared_buffers') < target:
        fix = setting_fix('shared_buffers', value)
    else:
        fix = 'the working set exceeds shared_buffers %s: raise the container\'s memory limit (db_container memory)' \
            % value
    return finding('%.2f%%' % ratio, '>= 99%', '%d of %d block reads missed shared_buffers (%s)'
                   % (reads, hits + reads, human(size(facts, 'shared_buffers'))), fix)
