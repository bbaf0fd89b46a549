# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category memory: the WiredTiger cache against the container's memory limit."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import (
    CACHE_SETTING, cache_fix, cache_max_bytes, gb, human, more_cache_or_memory, option, recommended_cache_gb, server,
    uptime)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'mongodb.memory.cache_too_large', 'memory', 'warning',
       'WiredTiger cache larger than the container allows',
       "mongod sizes its cache at 50% of (RAM - 1 GB); sized from the host's RAM it outgrows the container and the "
       'kernel OOM-kills mongod.',
       'MongoDB manual: WiredTiger Storage Engine > Memory Use; storage.wiredTiger.engineConfig.cacheSizeGB')
def cache_too_large(facts):
    memory = facts['limits']['memory']
    configured = cache_max_bytes(facts)
    wanted = recommended_cache_gb(facts)
    if configured <= wanted * GIB * 1.2:
        return None
    explicit = option(facts, CACHE_SETTING)
    origin = ('%s is set to %s' % (CACHE_SETTING, explicit) if explicit is not None else
              'cacheSizeGB is not set: mongod sized the cache from the RAM it sees (the host\'s)')
    return finding('%s GB' % gb(configured / GIB), wanted,
                   'WiredTiger cache %s GB (maximum bytes configured) is %.0f%% of the %s memory limit, for '
                   'which the manual\'s formula gives %s GB; %s'
                   % (gb(configured / GIB), 100.0 * configured / memory, human(memory), gb(wanted), origin),
                   cache_fix(wanted), severity='critical' if configured >= memory else None)


@check(TABLE, 'mongodb.memory.cache_too_small', 'memory', 'warning', 'WiredTiger cache far below what the limit allows',
       'Documents and indexes outside the cache are read from disk and decompressed on every miss.',
       'MongoDB manual: WiredTiger Storage Engine > Memory Use')
def cache_too_small(facts):
    configured = cache_max_bytes(facts)
    wanted = recommended_cache_gb(facts)
    data = float(facts['data_size'])
    # The cache holds documents uncompressed; on disk they are compressed (snappy),
    # so data on disk counts twice. Data that fits needs no bigger cache.
    if configured >= wanted * GIB * 0.5 or data * 2 <= configured:
        return None
    share = 100.0 * configured / (wanted * GIB)
    evidence = ('WiredTiger cache %s GB is %.0f%% of the %s GB the %s memory limit allows; the databases '
                'take %s on disk, compressed' % (gb(configured / GIB), share, gb(wanted),
                                                 human(facts['limits']['memory']), human(data)))
    return finding('%s GB' % gb(configured / GIB), wanted, evidence, cache_fix(wanted))


@check(TABLE, 'mongodb.memory.page_faults', 'memory', 'warning', 'Frequent page faults',
       'A page fault is a read from disk the memory could have served.',
       'MongoDB manual: serverStatus > extra_info.page_faults')
def page_fault_rate(facts):
    seconds = uptime(facts)
    faults = float(server(facts, 'extra_info', 'page_faults'))
    rate = faults / seconds
    # Start-up reads fault pages in: judge a server that has run for a while.
    if seconds < 600 or rate <= 10:
        return None
    wanted = recommended_cache_gb(facts)
    if cache_max_bytes(facts) > wanted * GIB * 1.2:
        # The cache took the memory the filesystem cache needs for compressed blocks.
        recommended, fix = wanted, cache_fix(wanted)
    else:
        recommended, fix = more_cache_or_memory(facts)
    return finding('%.1f page faults/s' % rate, recommended,
                   '%d major page faults in %d s of uptime (extra_info.page_faults): the working set does not '
                   'fit in memory' % (faults, seconds), fix)
