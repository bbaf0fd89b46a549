# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB tuning rules, with their sources."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Rule, NUMBER, TEXT, constant


# --------------------------------------------------------------------------
# MongoDB (dotted names are mongod.conf paths)
# --------------------------------------------------------------------------
def wired_tiger_cache_gb(r, d):
    # Source: MongoDB manual, storage.wiredTiger.engineConfig.cacheSizeGB: the
    # default is the larger of 50% of (memory - 1 GB) and 0.25 GB; mongod reads
    # the host's memory unless told, hence setting it from the container limit.
    value = max(0.5 * (r.memory / GIB - 1), 0.25)
    return round(value, 2)


MONGODB_RULES = (
    Rule('storage.wiredTiger.engineConfig.cacheSizeGB', NUMBER, wired_tiger_cache_gb,
         'MongoDB manual: cacheSizeGB = max(0.5 x (memory - 1 GB), 0.25)'),
    Rule('net.bindIpAll', TEXT, constant(True), 'official image: listen on the container network'),
    Rule('net.port', NUMBER, constant(27017), 'MongoDB manual'),
    # Slow operations are logged; the profiler (which records into the
    # database) stays off: level 2 records every operation.
    Rule('operationProfiling.mode', TEXT, constant('off'), 'MongoDB manual: Database Profiler'),
    Rule('operationProfiling.slowOpThresholdMs', NUMBER, constant(100), 'MongoDB manual: slowms'),
)
