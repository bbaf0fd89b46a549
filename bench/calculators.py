"""The calculators db_container's derived settings are measured against.

Pure functions (no Docker, no database), so tests/unit/test_bench_calculators.py
checks them against the calculators' own sources:

- ``pgtune``: PGTune's formulas as le0pard/pgtune computes them
  (src/features/configuration/configurationSlice.js at commit
  01bb6447113831159c5f14fafe11f59cf2ba0964, https://github.com/le0pard/pgtune),
  for Linux and SSD storage.
- ``innodb_dedicated_server``: what MySQL 8.4 sets with --innodb-dedicated-server
  (MySQL 8.4 Reference Manual, 17.8.12 "Enabling Automatic InnoDB Configuration
  for a Dedicated MySQL Server"), translated to MariaDB, which has no such
  option and one redo log file sized by innodb_log_file_size.
- ``mysqltuner_adjustments`` / ``apply_mysqltuner``: MySQLTuner's "Variables to
  adjust" lines, parsed and turned into settings by the rules written down in
  ``apply_mysqltuner``.
"""

from __future__ import absolute_import, division, print_function

import math
import re

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# ---------------------------------------------------------------------------
# PGTune
# ---------------------------------------------------------------------------
PGTUNE_MAX_CONNECTIONS = {'web': 200, 'oltp': 300, 'dw': 40, 'desktop': 20, 'mixed': 100}
PGTUNE_WAL_SIZES_MB = {'web': (1024, 4096), 'oltp': (2048, 8192), 'dw': (4096, 16384),
                       'desktop': (100, 2048), 'mixed': (1024, 4096)}
# PostgreSQL's default max_worker_processes: PGTune divides work_mem by
# (max_connections + this) when it sets no parallel settings (fewer than 4 CPUs).
PG_DEFAULT_MAX_WORKER_PROCESSES = 8


def pg_size(kilobytes):
    """PGTune's output format: whole GB, else whole MB, else kB."""
    kilobytes = int(kilobytes)
    if kilobytes % (1024 * 1024) == 0:
        return '%dGB' % (kilobytes // (1024 * 1024))
    if kilobytes % 1024 == 0:
        return '%dMB' % (kilobytes // 1024)
    return '%dkB' % kilobytes


def pgtune(memory_bytes, cpus, profile='oltp', version=15, storage='ssd'):
    """PGTune's recommendation for Linux, as {setting: value in postgresql.conf syntax}."""
    total_kb = memory_bytes // KIB
    max_connections = PGTUNE_MAX_CONNECTIONS[profile]
    shared_buffers_kb = total_kb // 16 if profile == 'desktop' else total_kb // 4
    effective_cache_kb = total_kb // 4 if profile == 'desktop' else total_kb * 3 // 4
    maintenance_kb = min(total_kb // 8 if profile == 'dw' else total_kb // 16, 8 * 1024 * 1024)

    # wal_buffers: 3% of shared_buffers, at most 16MB, raised to 16MB above 14MB, at least 32kB.
    wal_buffers_kb = 3 * shared_buffers_kb // 100
    wal_buffers_kb = min(wal_buffers_kb, 16 * 1024)
    if 14 * 1024 < wal_buffers_kb < 16 * 1024:
        wal_buffers_kb = 16 * 1024
    wal_buffers_kb = max(wal_buffers_kb, 32)

    settings = {
        'max_connections': str(max_connections),
        'shared_buffers': pg_size(shared_buffers_kb),
        'effective_cache_size': pg_size(effective_cache_kb),
        'maintenance_work_mem': pg_size(maintenance_kb),
        'checkpoint_completion_target': '0.9',
        'wal_buffers': pg_size(wal_buffers_kb),
        'default_statistics_target': '500' if profile == 'dw' else '100',
        'random_page_cost': '4' if storage == 'hdd' else '1.1',
        'effective_io_concurrency': str({'hdd': 2, 'ssd': 200, 'san': 300, 'nvme': 1000}[storage]),
        'huge_pages': 'try' if shared_buffers_kb >= 2 * 1024 * 1024 else 'off',
        'min_wal_size': pg_size(PGTUNE_WAL_SIZES_MB[profile][0] * 1024),
        'max_wal_size': pg_size(PGTUNE_WAL_SIZES_MB[profile][1] * 1024),
    }

    # Parallel settings only from 4 CPUs on.
    whole_cpus = int(cpus)
    parallel_workers = PG_DEFAULT_MAX_WORKER_PROCESSES
    if whole_cpus >= 4:
        per_gather = int(math.ceil(whole_cpus / 2.0))
        if profile != 'dw':
            per_gather = min(per_gather, 4)
        settings['max_worker_processes'] = str(whole_cpus)
        settings['max_parallel_workers_per_gather'] = str(per_gather)
        settings['max_parallel_workers'] = str(whole_cpus)
        settings['max_parallel_maintenance_workers'] = str(min(4, int(math.ceil(whole_cpus / 2.0))))
        parallel_workers = whole_cpus

    # work_mem = (RAM - shared_buffers) / ((max_connections + max_worker_processes) * 3),
    # halved for dw and mixed, / 6 for desktop, at least 4MB.
    work_mem = (total_kb - shared_buffers_kb) / ((max_connections + parallel_workers) * 3)
    work_mem = math.floor(work_mem / {'web': 1, 'oltp': 1, 'dw': 2, 'desktop': 6, 'mixed': 2}[profile])
    settings['work_mem'] = pg_size(max(work_mem, 4 * 1024))

    if profile == 'desktop':
        settings['wal_level'] = 'minimal'
        settings['max_wal_senders'] = '0'
    if version >= 12 and profile in ('web', 'oltp', 'mixed'):
        settings['jit'] = 'off'
    if version >= 15:
        settings['wal_compression'] = 'lz4'
    elif version >= 10:
        settings['wal_compression'] = 'on'
    if whole_cpus >= 32:
        settings['autovacuum_max_workers'] = '5'
    elif whole_cpus >= 16:
        settings['autovacuum_max_workers'] = '4'
    if maintenance_kb >= 2 * 1024 * 1024:
        settings['autovacuum_work_mem'] = pg_size(2 * 1024 * 1024)
    return settings


# ---------------------------------------------------------------------------
# innodb_dedicated_server (MySQL 8.4), for MariaDB
# ---------------------------------------------------------------------------
def mysql_size(size):
    """my.cnf syntax: 2G, 512M, or bytes."""
    for suffix, factor in (('G', GIB), ('M', MIB), ('K', KIB)):
        if size % factor == 0:
            return '%d%s' % (size // factor, suffix)
    return str(size)


def innodb_dedicated_server(memory_bytes, cpus):
    """MySQL 8.4's --innodb-dedicated-server sizing, as MariaDB settings.

    Buffer pool (Table 17.8): under 1 GB the 128 MB default; 1 to 4 GB half of
    the memory; above 4 GB three quarters. Redo log: (logical processors / 2) GB,
    at most 16 GB, set in MariaDB as innodb_log_file_size (its single redo log).
    The container's CPU limit stands for the logical processors, as it does for
    db_container. MySQL rounds the pool to whole chunks (128 MiB); so does this.
    """
    if memory_bytes < GIB:
        pool = 128 * MIB
    elif memory_bytes <= 4 * GIB:
        pool = memory_bytes // 2
    else:
        pool = memory_bytes * 3 // 4
    pool = max(128 * MIB, pool // (128 * MIB) * (128 * MIB))
    redo = int(min(16 * GIB, max(1, math.floor(cpus)) * GIB // 2))
    return {'innodb_buffer_pool_size': mysql_size(pool), 'innodb_log_file_size': mysql_size(redo)}


# ---------------------------------------------------------------------------
# MySQLTuner
# ---------------------------------------------------------------------------
# A "Variables to adjust" line: "name (>= 1.2G) if possible." or "name should be (=64M) if possible, ...".
_ADJUST_RE = re.compile(r'^\s*([a-z_]+)\s*(?:should be\s*)?\(\s*(>=|<=|>|<|=)\s*([0-9.]+)\s*([KMGT]?)B?\b',
                        re.IGNORECASE)
_UNIT = {'': 1, 'K': KIB, 'M': MIB, 'G': GIB, 'T': 1024 * GIB}
# A literal assignment: "performance_schema=ON".
_ASSIGN_RE = re.compile(r'^\s*([a-z_]+)\s*=\s*([A-Za-z0-9_.]+)\s*$', re.IGNORECASE)


def mysqltuner_adjustments(output):
    """MySQLTuner's "Variables to adjust" section: [(line, name, operator, value)], the value in bytes (or a
    plain number), or text for a literal assignment ("performance_schema=ON"); name None when the line
    carries no value (for example "Add RAM before increasing MySQL buffer variables")."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith('Variables to adjust')), None)
    if start is None:
        return []
    adjustments = []
    for line in lines[start + 1:]:
        text = line.strip()
        if not text or text.startswith('---'):
            break
        match = _ADJUST_RE.match(text)
        assignment = _ASSIGN_RE.match(text)
        if assignment:
            adjustments.append((text, assignment.group(1).lower(), '=', assignment.group(2)))
            continue
        if not match:
            adjustments.append((text, None, None, None))
            continue
        name, operator, number, unit = match.groups()
        value = float(number) * _UNIT[unit.upper()]
        adjustments.append((text, name.lower(), operator, int(round(value))))
    return adjustments


# Settings MySQLTuner may name that MariaDB 10.11 no longer has (MariaDB KB: removed in 10.6).
MARIADB_REMOVED = ('innodb_buffer_pool_instances', 'innodb_log_files_in_group', 'query_cache_limit')
CHUNK = 128 * MIB


def apply_mysqltuner(adjustments, memory_bytes, current_pool):
    """MySQLTuner's adjustments as settings, by these rules (its advice is a direction, not a number):

    - "(= X)", "(>= X)", "(<= X)", "(< X)": X. "(> X)": twice X, the smallest step that honours the
      advice for buffers and caches (MySQLTuner names the bound, not a target).
    - innodb_buffer_pool_size: rounded up to whole 128 MiB chunks (the server would round it up), at
      most three quarters of the container's memory (innodb_dedicated_server's largest share): MySQLTuner
      warns itself when the server's maximum memory passes 90 % of the memory it is told about.
    - innodb_log_file_size: MySQLTuner's rule is "25 % of the buffer pool"; its number is computed from
      the pool it saw, so the log is 25 % of the pool the advice lands on: its own recommended pool, else
      ``current_pool`` (the pool of the server the settings are applied to).
    - Settings MariaDB 10.11 removed are skipped, as are lines without a value.

    Returns (settings, skipped lines).
    """
    settings, skipped = {}, []
    for line, name, operator, value in adjustments:
        if name is None or name in MARIADB_REMOVED:
            skipped.append(line)
            continue
        if isinstance(value, str):
            settings[name] = value
            continue
        if operator == '>':
            value *= 2
        settings[name] = value
    pool = current_pool
    if 'innodb_buffer_pool_size' in settings:
        pool = -(-settings['innodb_buffer_pool_size'] // CHUNK) * CHUNK
        pool = min(pool, memory_bytes * 3 // 4 // CHUNK * CHUNK)
        settings['innodb_buffer_pool_size'] = pool
    if 'innodb_log_file_size' in settings:
        settings['innodb_log_file_size'] = pool // 4
    return dict((name, _setting_text(value)) for name, value in settings.items()), skipped


def _setting_text(value):
    if isinstance(value, str):
        return value
    return mysql_size(value) if value >= KIB else str(value)
