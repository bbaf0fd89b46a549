# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category cache: pressure inside the WiredTiger cache."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import (
    cache_max_bytes, cache_stat, human, more_cache_or_memory, recommended_cache_gb)

# WiredTiger's eviction thresholds, as mongod configures them: past eviction_dirty_trigger
# (20% dirty) or eviction_trigger (95% full) application threads must evict pages
# themselves, and every operation waits for it.
DIRTY_TRIGGER = 0.20
FILL_TRIGGER = 0.95

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'mongodb.cache.dirty', 'cache', 'warning', 'Too much dirty data in the WiredTiger cache',
       'Past eviction_dirty_trigger (20%) application threads write dirty pages themselves: latency climbs.',
       'MongoDB manual: serverStatus > wiredTiger.cache; WiredTiger: eviction_dirty_trigger')
def cache_dirty(facts):
    dirty = cache_stat(facts, 'tracked dirty bytes in the cache')
    ratio = dirty / cache_max_bytes(facts)
    if ratio <= DIRTY_TRIGGER:
        return None
    if cache_max_bytes(facts) < recommended_cache_gb(facts) * GIB * 0.9:
        recommended, fix = more_cache_or_memory(facts)
    else:
        recommended = '<= 5% dirty (WiredTiger eviction_dirty_target)'
        fix = ('the disk does not keep up with the writes: put the data volume on faster storage '
               '(more IOPS), or spread the write load (smaller batches, fewer indexes per collection)')
    return finding('%.0f%% dirty' % (100 * ratio), recommended,
                   '%s of modified data waits to be written (tracked dirty bytes in the cache), %.0f%% of the '
                   'cache: past 20%% application threads write it out themselves' % (human(dirty), 100 * ratio),
                   fix)


@check(TABLE, 'mongodb.cache.application_eviction', 'cache', 'warning', 'Application threads evict cache pages',
       'Past eviction_trigger (95% full) the threads serving clients evict pages before doing their work.',
       'MongoDB manual: serverStatus > wiredTiger.cache; WiredTiger: eviction_trigger')
def application_eviction(facts):
    used = cache_stat(facts, 'bytes currently in the cache')
    ratio = used / cache_max_bytes(facts)
    evicted = cache_stat(facts, 'pages evicted by application threads')
    if ratio <= FILL_TRIGGER or evicted <= 0:
        return None
    recommended, fix = more_cache_or_memory(facts)
    return finding('%.0f%% full, %d pages evicted by application threads' % (100 * ratio, evicted), recommended,
                   'the cache holds %s of %s (bytes currently in the cache): past 95%% the threads serving '
                   'clients evict pages before they can work' % (human(used), human(cache_max_bytes(facts))),
                   fix)
