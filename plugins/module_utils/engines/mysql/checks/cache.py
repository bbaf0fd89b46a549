# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category cache:
hit ratios of the buffer pool and the MyISAM key buffer, and the query cache.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    human, is_mysql, myisam_tables, num, ratio, recommended_size, setting_fix, status, text, version)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []
# Fewer page requests than this are the server's warm-up, not its workload: a fresh server's first reads all
# miss (about 94% hits over its first 20000 requests, measured on MySQL 9.7), and so do the first reads of
# any newcomer, an audit included. A server at work passes it within minutes.
WARM_PAGE_REQUESTS = 1000000


@check(TABLE, 'mysql.cache.buffer_pool_hit_ratio', 'cache', 'warning', 'Buffer pool hit ratio below 99%',
       'Reads that miss the pool wait for disk.',
       'MySQL manual: InnoDB buffer pool metrics')
def buffer_pool_hit_ratio(facts):
    requests = status(facts, 'innodb_buffer_pool_read_requests')
    reads = status(facts, 'innodb_buffer_pool_reads')
    if requests < WARM_PAGE_REQUESTS:
        return None
    hit = 100.0 * (1 - reads / requests)
    if hit >= 99.0:
        return None
    return finding('%.2f%%' % hit, '>= 99%',
                   '%d of %d page requests went to disk' % (reads, requests),
                   setting_fix('innodb_buffer_pool_size', human(recommended_size(facts, 'innodb_buffer_pool_size')),
                               facts))


@check(TABLE, 'mysql.cache.query_cache', 'cache', 'warning', 'Query cache enabled',
       'The query cache serialises every query and every write on one mutex; MariaDB disables it by default and MySQL '
       '8.0 removed it.',
       'MariaDB KB: Query Cache (limitations); MySQLTuner: query cache')
def query_cache_enabled(facts):
    # MySQL 8.0 removed the query cache: nothing to check there.
    if is_mysql(facts) and at_least(version(facts), (8, 0)):
        return None
    mode = text(facts, 'query_cache_type').upper()
    size = num(facts, 'query_cache_size')
    if mode in ('OFF', '0') or size == 0:
        return None
    return finding('query_cache_type=%s, query_cache_size=%s' % (mode, human(size)), 'OFF, 0',
                   'every write invalidates the cached results of its table under one global mutex: '
                   'concurrent sessions queue on it (%s low-memory prunes)'
                   % facts['status'].get('qcache_lowmem_prunes', 'unknown'),
                   '%s; %s' % (setting_fix('query_cache_type', 'OFF', facts),
                               setting_fix('query_cache_size', 0, facts)))


@check(TABLE, 'mysql.cache.key_buffer_hit_ratio', 'cache', 'warning', 'MyISAM key buffer misses',
       'Key reads that miss the key buffer read index blocks from disk.',
       'MySQL manual: The MyISAM Key Cache; MySQLTuner: key buffer hit rate')
def key_buffer_hit_ratio(facts):
    tables = myisam_tables(facts)
    requests = status(facts, 'key_read_requests')
    reads = status(facts, 'key_reads')
    if not tables or requests < 10000 or ratio(reads, requests) <= 0.01:
        return None
    index_bytes = sum(int(t['index_length'] or 0) for t in tables)
    wanted = max(8 * MIB, -(-index_bytes // MIB) * MIB)
    return finding('%.1f%% misses' % (100.0 * reads / requests), '< 1%',
                   '%d of %d MyISAM index block reads went to disk; their indexes are %s'
                   % (reads, requests, human(index_bytes)), setting_fix('key_buffer_size', human(wanted), facts))
