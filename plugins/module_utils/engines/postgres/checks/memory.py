# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category memory: shared_buffers, effective_cache_size, work_mem and huge pages."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    below_half_of_wanted, human, number, setting, setting_fix, size, stat, wanted)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.memory.shared_buffers_small', 'memory', 'warning', 'shared_buffers far below the memory limit',
       'shared_buffers caches table and index pages; a small cache in a large container sends reads through the '
       'kernel and to disk.',
       'PGTune (25% of memory); PostgreSQL manual 20.4.1 Memory')
def shared_buffers_small(facts):
    low = below_half_of_wanted(facts, 'shared_buffers')
    if low is None:
        return None
    current, value = low
    memory = facts['limits']['memory']
    return finding(human(current), value,
                   'shared_buffers %s is %.0f%% of the %s memory limit (db_container derives %s, 25%%); '
                   'databases hold %s' % (human(current), 100.0 * current / memory, human(memory), value,
                                          human(facts['data_size'] or 0)),
                   setting_fix('shared_buffers', value))


@check(TABLE, 'postgres.memory.shared_buffers_large', 'memory', 'warning',
       'shared_buffers too large for the memory limit',
       'Beyond 40% of memory the cache starves backends and the page cache; past the container limit the kernel '
       'kills postgres.',
       'PostgreSQL manual 20.4.1 (shared_buffers); PGTune')
def shared_buffers_large(facts):
    memory = facts['limits']['memory']
    current = size(facts, 'shared_buffers')
    if current <= memory * 0.4:
        return None
    value = wanted(facts, 'shared_buffers')[0]
    share = 100.0 * current / memory
    return finding(human(current), value,
                   'shared_buffers %s is %.0f%% of the %s memory limit: backends, work_mem and the page cache '
                   'need the rest, or the kernel OOM-kills postgres' % (human(current), share, human(memory)),
                   setting_fix('shared_buffers', value), severity='critical' if current >= memory * 0.75 else None)


@check(TABLE, 'postgres.memory.effective_cache_size_low', 'memory', 'warning',
       'effective_cache_size below the memory available',
       'The planner costs index scans with it: too low a value makes it choose sequential scans.',
       'PostgreSQL manual 20.7.2 (effective_cache_size); PGTune (75%)')
def effective_cache_size_low(facts):
    low = below_half_of_wanted(facts, 'effective_cache_size')
    if low is None:
        return None
    current, value = low
    return finding(human(current), value,
                   'the planner assumes %s of cache in a %s container (75%% is %s): it prefers sequential '
                   'scans to index scans' % (human(current), human(facts['limits']['memory']), value),
                   setting_fix('effective_cache_size', value))


@check(TABLE, 'postgres.memory.work_mem_high', 'memory', 'warning', 'work_mem too high for max_connections and memory',
       'Every sort or hash in every connection may use work_mem: the sum can exceed the container limit.',
       'PostgreSQL manual 20.4.1 (work_mem); PGTune')
def work_mem_high(facts):
    memory = facts['limits']['memory']
    work_mem = size(facts, 'work_mem')
    connections = number(facts, 'max_connections')
    spare = memory - size(facts, 'shared_buffers')
    worst = work_mem * connections
    if worst <= spare:
        return None
    value = wanted(facts, 'work_mem')[0]
    return finding(human(work_mem), value,
                   'max_connections %d x work_mem %s = %s, above the %s left beside shared_buffers (and one query '
                   'may use work_mem several times): risk of the OOM killer'
                   % (connections, human(work_mem), human(worst), human(spare)),
                   setting_fix('work_mem', value) + '; raise it per session (SET work_mem) for the few large sorts',
                   severity='critical' if worst > memory * 2 else None)


@check(TABLE, 'postgres.memory.work_mem_low', 'memory', 'warning',
       'work_mem below the recommendation while queries write temporary files',
       'Sorts and hashes that do not fit in work_mem spill to disk.',
       'PostgreSQL manual 20.4.1 (work_mem); PGTune')
def work_mem_low(facts):
    work_mem = size(facts, 'work_mem')
    value, target = wanted(facts, 'work_mem')
    if stat(facts, 'temp_files') == 0 or work_mem >= target:
        return None
    return finding(human(work_mem), value,
                   '%d temporary files (%s) written by sorts and hashes that did not fit in work_mem %s'
                   % (stat(facts, 'temp_files'), human(stat(facts, 'temp_bytes')), human(work_mem)),
                   setting_fix('work_mem', value))


@check(TABLE, 'postgres.memory.maintenance_work_mem_low', 'memory', 'warning', 'maintenance_work_mem low',
       'VACUUM and CREATE INDEX run in fewer passes with more memory.',
       'PostgreSQL manual 20.4.1 (maintenance_work_mem); PGTune (memory/16)')
def maintenance_work_mem_low(facts):
    low = below_half_of_wanted(facts, 'maintenance_work_mem')
    if low is None:
        return None
    current, value = low
    return finding(human(current), value,
                   'VACUUM and CREATE INDEX work in %s; memory/16 in this container is %s'
                   % (human(current), value), setting_fix('maintenance_work_mem', value))


@check(TABLE, 'postgres.memory.wal_buffers_small', 'memory', 'info', 'wal_buffers small',
       'Concurrent writers share the WAL buffer; 16MB avoids waits on busy servers.',
       'PostgreSQL manual 20.5.1 (wal_buffers); PGTune')
def wal_buffers_small(facts):
    low = below_half_of_wanted(facts, 'wal_buffers')
    if low is None:
        return None
    current, value = low
    return finding(human(current), value,
                   'wal_buffers %s (3%% of shared_buffers, or set by hand); busy writers wait on WAL writes'
                   % human(current), setting_fix('wal_buffers', value))


@check(TABLE, 'postgres.memory.huge_pages', 'memory', 'info', 'Huge pages not used with a large shared_buffers',
       'With tens of GB of shared memory, 4 kB page tables cost memory and TLB misses.',
       'PostgreSQL manual 19.4.5 Linux Huge Pages')
def huge_pages_guidance(facts):
    memory = facts['limits']['memory']
    if not memory or memory < 32 * GIB:
        return None
    status = facts['settings'].get('huge_pages_status', {}).get('setting')  # PostgreSQL 17+
    if setting(facts, 'huge_pages') == 'on' or status == 'on':
        return None
    return finding('huge_pages = %s%s' % (setting(facts, 'huge_pages'), ' (%s)' % status if status else ''),
                   'on, with vm.nr_hugepages reserved on the host',
                   'shared_buffers %s in %s of memory: 4 kB pages cost page-table memory in every backend'
                   % (human(size(facts, 'shared_buffers')), human(memory)),
                   'on the host: vm.nr_hugepages = shared_buffers / 2MB + 5%%; then %s'
                   % setting_fix('huge_pages', 'on'))
