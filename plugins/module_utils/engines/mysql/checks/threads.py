# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category threads: the thread cache and the running threads."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    limit_cpus, num, ratio, setting_fix, status, var)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.threads.cache_hit', 'threads', 'warning', 'Thread cache too small',
       'A thread created per connection costs time at every connect.',
       'MySQLTuner: thread cache hit rate; MySQL manual: thread_cache_size')
def thread_cache_hit(facts):
    # MariaDB's thread pool (thread_handling=pool-of-threads) does not use the thread cache.
    if str(var(facts, 'thread_handling', '')).lower() == 'pool-of-threads':
        return None
    connections = status(facts, 'connections')
    created = status(facts, 'threads_created')
    if connections < 1000 or ratio(created, connections) <= 0.1:
        return None
    size = int(num(facts, 'thread_cache_size'))
    recommended = int((facts.get('recommended') or {}).get('thread_cache_size', 0))
    wanted = min(100, max(recommended, size * 2, 16))
    if wanted > size:
        fix = setting_fix('thread_cache_size', wanted, facts)
    else:
        fix = 'connect less often: keep a connection pool in the application (the cache already holds %d)' % size
    return finding('%.0f%% of connections created a thread' % (100.0 * created / connections),
                   '< 10%% (thread_cache_size %d)' % max(wanted, size),
                   '%d threads created for %d connections with thread_cache_size=%d' % (created, connections, size),
                   fix)


@check(TABLE, 'mysql.threads.running', 'threads', 'warning', 'More running statements than CPUs can serve',
       'Threads_running far above the CPUs means statements queue for the CPU.',
       'Percona: Threads_running saturation; MySQL manual: Threads_running')
def threads_running_high(facts):
    cpus = limit_cpus(facts)
    running = status(facts, 'threads_running')
    limit = max(4 * cpus, 8)
    if running <= limit:
        return None
    return finding('%d running' % running, '<= %d (4 per CPU)' % limit,
                   '%d statements executing at once on %g CPUs: they queue for the CPU' % (running, cpus),
                   'find them with SHOW FULL PROCESSLIST and index their queries, or give the container more CPUs '
                   '(db_container cpus: %d)' % int(-(-running // 4)))
