# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory and CPU a database server may really use.

Tools that read /proc/meminfo inside a container see the host's RAM and size
buffers for memory the container cannot have. The audit reads the container's
cgroup (v2 or v1) instead, and says when it had to fall back to host values.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# One shell command, run inside the container, prints both cgroup layouts' files.
CGROUP_PROBE = ('for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max '
                '/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us '
                '/sys/fs/cgroup/cpu/cpu.cfs_period_us; do [ -r "$f" ] && echo "$f=$(cat "$f")"; done; '
                'echo nproc=$(nproc 2>/dev/null); grep MemTotal /proc/meminfo')

# cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages).
_V1_UNLIMITED = 1 << 60


def parse_cgroup_probe(text):
    """Limits from CGROUP_PROBE's output: {'memory', 'cpus', 'source', 'host_memory', 'host_cpus'}."""
    values = {}
    host_memory = None
    for line in (text or '').splitlines():
        line = line.strip()
        if line.startswith('MemTotal:'):
            host_memory = int(line.split()[1]) * 1024
        elif '=' in line:
            key, value = line.split('=', 1)
            values[key] = value.strip()
    memory = cpus = None
    source = 'host'
    if '/sys/fs/cgroup/memory.max' in values or '/sys/fs/cgroup/cpu.max' in values:
        source = 'cgroup v2'
        raw = values.get('/sys/fs/cgroup/memory.max', 'max')
        memory = None if raw == 'max' else int(raw)
        quota, _sep, period = values.get('/sys/fs/cgroup/cpu.max', 'max 100000').partition(' ')
        cpus = None if quota == 'max' else round(int(quota) / float(period or 100000), 2)
    elif '/sys/fs/cgroup/memory/memory.limit_in_bytes' in values:
        source = 'cgroup v1'
        raw = int(values['/sys/fs/cgroup/memory/memory.limit_in_bytes'])
        memory = None if raw >= _V1_UNLIMITED else raw
        quota = int(values.get('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '-1'))
        period = int(values.get('/sys/fs/cgroup/cpu/cpu.cfs_period_us', '100000'))
        cpus = None if quota <= 0 else round(quota / float(period), 2)
    host_cpus = int(values['nproc']) if values.get('nproc', '').isdigit() else None
    limits = {'memory': memory, 'cpus': cpus, 'source': source, 'host_memory': host_memory,
              'host_cpus': host_cpus}
    if memory is None or (host_memory and memory > host_memory):
        limits['memory'] = host_memory
        limits['source'] = source + ' (no memory limit: host memory used)' if source != 'host' else 'host'
    if cpus is None:
        limits['cpus'] = host_cpus
    return limits


def declared_limits(memory, cpus):
    return {'memory': memory, 'cpus': cpus, 'source': 'declared (memory/cpus options)',
            'host_memory': None, 'host_cpus': None}


def unknown_limits():
    return {'memory': None, 'cpus': None, 'host_memory': None, 'host_cpus': None,
            'source': 'unknown: a network target without container; set memory and cpus to enable memory checks'}
