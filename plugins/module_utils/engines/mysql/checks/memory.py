# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category memory:
the buffer pool and the per-connection buffers against the container's memory limit.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import KIB, MIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    human, is_mariadb, myisam_tables, num, setting_fix, status)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.memory.buffer_pool_small', 'memory', 'warning', 'InnoDB buffer pool far below the memory limit',
       'The buffer pool caches data and indexes; a small pool in a large container reads from disk what memory could '
       'hold.',
       'MySQL manual: InnoDB buffer pool; innodb_dedicated_server')
def buffer_pool_too_small(facts):
    memory = facts['limits']['memory']
    pool = num(facts, 'innodb_buffer_pool_size')
    wanted = int(facts['recommended']['innodb_buffer_pool_size_bytes'])
    data = facts['data_size'] + facts['index_size']
    # Small enough to matter: below 60% of what the limits allow.
    if pool >= wanted * 0.6:
        return None
    # Critical when the data no longer fits and the pool is a fraction of what it
    # could be: reads go to disk. While the data still fits, the container pays
    # for memory the server leaves unused, and growth will hit the disk.
    outgrown = data > pool * 0.9
    return finding(human(pool), human(wanted),
                   'buffer pool %s is %.0f%% of the %s memory limit; data + indexes are %s%s'
                   % (human(pool), 100.0 * pool / memory, human(memory), human(data),
                      '' if outgrown else ' (they still fit, growth will not)'),
                   setting_fix('innodb_buffer_pool_size', human(wanted), facts),
                   severity='critical' if outgrown and pool < wanted * 0.25 else 'warning')


@check(TABLE, 'mysql.memory.buffer_pool_large', 'memory', 'warning', 'InnoDB buffer pool too close to the memory limit',
       'Per-connection buffers and the server need memory beyond the pool; past the container limit the kernel kills '
       'mysqld.',
       'MySQL manual: How MySQL Uses Memory')
def buffer_pool_too_large(facts):
    memory = facts['limits']['memory']
    pool = num(facts, 'innodb_buffer_pool_size')
    if pool <= memory * 0.8:
        return None
    wanted = int(facts['recommended']['innodb_buffer_pool_size_bytes'])
    return finding(human(pool), human(wanted),
                   'buffer pool %s is %.0f%% of the %s memory limit: connections and the server itself '
                   'need the rest, or the kernel OOM-kills mysqld'
                   % (human(pool), 100.0 * pool / memory, human(memory)),
                   setting_fix('innodb_buffer_pool_size', human(wanted), facts),
                   severity='critical' if pool >= memory else None)


@check(TABLE, 'mysql.memory.worst_case', 'memory', 'warning', 'Worst-case memory above the limit',
       'Global buffers plus per-connection buffers at the observed peak can exceed the container limit.',
       'MySQLTuner: maximum possible memory usage')
def worst_case_memory(facts):
    memory = facts['limits']['memory']
    buffers = ('sort_buffer_size', 'join_buffer_size', 'read_buffer_size', 'read_rnd_buffer_size', 'thread_stack',
               'binlog_cache_size')
    per_thread = sum(num(facts, name) for name in buffers)
    per_thread += min(num(facts, 'tmp_table_size'), num(facts, 'max_heap_table_size'))
    peak_connections = max(status(facts, 'max_used_connections'), 1)
    total = num(facts, 'innodb_buffer_pool_size') + num(facts, 'innodb_log_buffer_size') + \
        num(facts, 'key_buffer_size') + per_thread * peak_connections
    if total <= memory:
        return None
    return finding(human(total), '< %s' % human(memory),
                   'buffer pool + key buffer + %d peak connections x %s per-connection buffers = %s, above the '
                   '%s memory limit' % (peak_connections, human(per_thread), human(total), human(memory)),
                   worst_case_fix(facts))


def worst_case_fix(facts):
    """db_container's per-connection sizes when they are known, else the generic advice."""
    recommended = facts.get('recommended') or {}
    if 'tmp_table_size' not in recommended:
        return 'lower tmp_table_size/sort_buffer_size or innodb_buffer_pool_size, or raise memory'
    return ('%s; %s; %s (per-connection buffers at their defaults), or raise memory'
            % (setting_fix('tmp_table_size', recommended['tmp_table_size'], facts),
               setting_fix('max_heap_table_size', recommended['max_heap_table_size'], facts),
               setting_fix('sort_buffer_size', recommended.get('sort_buffer_size', '256K'), facts)))


@check(TABLE, 'mysql.memory.key_buffer_unused', 'memory', 'info', 'Key buffer allocated with no MyISAM tables',
       'key_buffer_size caches MyISAM indexes only; without MyISAM it is wasted memory.',
       'MySQL manual: key_buffer_size; MySQLTuner')
def key_buffer_unused(facts):
    size = num(facts, 'key_buffer_size')
    # The key buffer caches MyISAM indexes only; InnoDB and Aria do not use it.
    if myisam_tables(facts) or size <= 16 * MIB:
        return None
    return finding(human(size), '8M', 'no MyISAM table uses the %s key buffer' % human(size),
                   setting_fix('key_buffer_size', '8M', facts))


# MySQL's defaults (MariaDB's sort buffer is 2M): what a per-connection buffer goes back to.
PER_THREAD_DEFAULTS = {'sort_buffer_size': 256 * KIB, 'join_buffer_size': 256 * KIB,
                       'read_rnd_buffer_size': 256 * KIB, 'read_buffer_size': 128 * KIB}


@check(TABLE, 'mysql.memory.per_thread_buffers', 'memory', 'warning', 'Large per-connection buffers',
       'Sort, join and read buffers are allocated per connection (or join) and multiply by the connections.',
       'MySQL manual: How MySQL Uses Memory; Percona: sort_buffer_size')
def per_thread_buffers_large(facts):
    recommended = facts.get('recommended') or {}
    current, wanted, fixes = [], [], []
    for name in sorted(PER_THREAD_DEFAULTS):
        value = num(facts, name)
        default = 2 * MIB if is_mariadb(facts) and name == 'sort_buffer_size' else PER_THREAD_DEFAULTS[name]
        target = int(recommended.get(name + '_bytes') or default)
        if value > max(4 * MIB, target):
            current.append('%s=%s' % (name, human(value)))
            wanted.append('%s=%s' % (name, human(target)))
            fixes.append(setting_fix(name, human(target), facts))
    if not current:
        return None
    return finding(', '.join(current), ', '.join(wanted),
                   'these buffers are allocated per connection (join_buffer_size per join): large global values '
                   'multiply by the connections and slow small sorts',
                   '; '.join(fixes) + ' (raise them per session for the reports that need it)')
