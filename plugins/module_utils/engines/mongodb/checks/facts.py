# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the MongoDB checks read and say alike: the facts audit.collect() gathered, and the fixes.

Each check reads the facts audit.collect() gathered (the serverStatus, getCmdLineOpts,
replSetGetStatus and profile documents, as the MongoDB manual shows them), plus facts['limits']
(the container's memory and CPUs) and facts['recommended'] (what db_container would derive for
those limits), and returns None when the server is fine on that point or a finding() with the
fix. A fact the server did not report raises KeyError: the check is listed as not evaluated
instead of guessing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB, to_docker
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.tuning import wired_tiger_cache_gb
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Resources

CACHE_SETTING = 'storage.wiredTiger.engineConfig.cacheSizeGB'


def server(facts, *path):
    """A value from the serverStatus document; KeyError when the server does not report it."""
    node = facts['server_status']
    for key in path:
        node = node[key]
    return node


def cache_stat(facts, name):
    return float(server(facts, 'wiredTiger', 'cache', name))


def cache_max_bytes(facts):
    return cache_stat(facts, 'maximum bytes configured')


def recommended_cache_gb(facts):
    return float(facts['recommended'][CACHE_SETTING])


def uptime(facts):
    return float(server(facts, 'uptime'))


def parsed_options(facts):
    """getCmdLineOpts.parsed; KeyError when it could not be read."""
    if facts.get('cmdline') is None:
        raise KeyError('cmdline')
    return facts['cmdline']


def option(facts, dotted, default=None):
    """A mongod option by its mongod.conf path (net.bindIp), or default when unset or unknown."""
    node = facts.get('cmdline') or {}
    for key in dotted.split('.'):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def gb(value):
    return '%g' % round(value, 2)


def human(size):
    """Bytes in the units the MongoDB manual uses (its GB are GiB, as in cacheSizeGB)."""
    if size >= GIB:
        return '%s GB' % gb(size / GIB)
    return '%d MB' % round(size / MIB)


def settings_fix(name, value):
    return "settings: {'%s': %s} (db_container, mongod.conf)" % (name, value)


def cache_fix(cache_gb):
    # wiredTigerEngineRuntimeConfig resizes the cache of a running mongod; the
    # setting in mongod.conf makes it last.
    return ("%s, or until the next restart: mongosh --eval \"db.adminCommand({setParameter: 1, "
            "wiredTigerEngineRuntimeConfig: 'cache_size=%dM'})\""
            % (settings_fix(CACHE_SETTING, gb(cache_gb)), int(round(cache_gb * 1024))))


def more_cache_or_memory(facts):
    """(recommended, fix) for a cache that is short: first the size the limit
    allows; when it already has that, a larger memory limit."""
    wanted = recommended_cache_gb(facts)
    if cache_max_bytes(facts) < wanted * GIB * 0.9:
        return wanted, cache_fix(wanted)
    memory = facts['limits']['memory'] * 2
    bigger = wired_tiger_cache_gb(Resources(memory, facts['limits']['cpus'] or 1, 'oltp', facts['version']), {})
    return ('memory %s (cacheSizeGB %s)' % (to_docker(memory), gb(bigger)),
            'db_container memory: %s (it derives cacheSizeGB %s from it)' % (to_docker(memory), gb(bigger)))
