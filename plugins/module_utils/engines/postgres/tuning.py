# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL tuning rules (PGTune's formulas), with their sources."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import KIB, MIB, GIB, round_down
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Rule, SIZE, NUMBER, TEXT, constant


# --------------------------------------------------------------------------
# PostgreSQL: PGTune's formulas (https://pgtune.leopard.in.ua, le0pard/pgtune),
# SSD storage assumed; `settings` overrides any of them.
# --------------------------------------------------------------------------
PG_MAX_CONNECTIONS = {'web': 200, 'oltp': 300, 'dw': 40, 'mixed': 100}
PG_WAL_SIZES = {'web': (GIB, 4 * GIB), 'oltp': (2 * GIB, 8 * GIB),
                'dw': (4 * GIB, 16 * GIB), 'mixed': (GIB, 4 * GIB)}
PG_WORK_MEM_DIVISOR = {'web': 1, 'oltp': 1, 'dw': 2, 'mixed': 2}


def pg_shared_buffers(r, d):
    # Source: PGTune: 25% of memory.
    return round_down(r.memory // 4, 8 * KIB)


def pg_effective_cache_size(r, d):
    # Source: PGTune: 75% of memory.
    return round_down(r.memory * 3 // 4, 8 * KIB)


def pg_maintenance_work_mem(r, d):
    # Source: PGTune: memory / 16 (dw: / 8), at most 2 GiB.
    divisor = 8 if r.profile == 'dw' else 16
    return int(min(2 * GIB, round_down(r.memory // divisor, KIB)))


def pg_wal_buffers(r, d):
    # Source: PGTune (and the PostgreSQL default of -1): 3% of shared_buffers,
    # at most 16 MiB; values just under 16 MiB are raised to it.
    value = d['shared_buffers'] * 3 // 100
    if value > 14 * MIB:
        value = 16 * MIB
    return int(max(32 * KIB, round_down(value, KIB)))


def pg_parallel_gather(r, d):
    # Source: PGTune: ceil(cpus / 2), at most 4 except for dw.
    workers = int(math.ceil(r.whole_cpus / 2.0))
    return workers if r.profile == 'dw' else min(4, workers)


def pg_wal_compression(r, d):
    # Source: PGTune (le0pard/pgtune, configurationSlice.js, selectWalCompression:
    # lz4 from PostgreSQL 15, on (pglz) from 10) and PostgreSQL manual, wal_compression:
    # the full-page images written after every checkpoint are compressed, so a write-heavy
    # load writes much less WAL for a little CPU. Measured (docs/benchmarks.md, "Tuning"):
    # without it the derived settings lost to PGTune's on pgbench (TPC-B).
    if at_least(r.version, (15,)):
        return 'lz4'
    return 'on' if at_least(r.version, (9, 5)) else None


def pg_jit(r, d):
    # Source: PGTune (le0pard/pgtune, configurationSlice.js: jit = off for web, oltp and mixed
    # from PostgreSQL 12, where jit became on by default) and PostgreSQL manual, "When to JIT?":
    # JIT pays off for long CPU-bound queries; a short query whose cost estimate crosses
    # jit_above_cost pays the compilation on every execution. Analytics (dw) keeps it.
    if r.profile == 'dw' or not at_least(r.version, (12,)):
        return None
    return 'off'


def pg_work_mem(r, d):
    # Source: PGTune: (memory - shared_buffers) / (max_connections * 3)
    # / max_parallel_workers_per_gather, halved for dw and mixed, at least 64 kB.
    spare = r.memory - d['shared_buffers']
    value = spare // (d['max_connections'] * 3) // max(1, d['max_parallel_workers_per_gather'])
    value = value // PG_WORK_MEM_DIVISOR[r.profile]
    return int(max(64 * KIB, round_down(value, KIB)))


def pg_max_connections(r, d):
    # Source: PGTune's connections per profile, bounded by memory: every backend
    # keeps several MiB of private memory (catalog caches, work_mem per sort or
    # hash), so a small container gets one connection per 8 MiB. Without the
    # bound a 1 GiB container with 300 busy clients is OOM-killed.
    return int(min(PG_MAX_CONNECTIONS[r.profile], max(20, r.memory // (8 * MIB))))


POSTGRES_RULES = (
    Rule('max_connections', NUMBER, pg_max_connections, 'PGTune per profile, at most one per 8 MiB of memory'),
    Rule('shared_buffers', SIZE, pg_shared_buffers, 'PGTune: 25% of memory'),
    Rule('effective_cache_size', SIZE, pg_effective_cache_size, 'PGTune: 75% of memory'),
    Rule('maintenance_work_mem', SIZE, pg_maintenance_work_mem, 'PGTune: memory/16, dw memory/8, max 2GB'),
    Rule('checkpoint_completion_target', NUMBER, constant(0.9), 'PGTune'),
    Rule('wal_buffers', SIZE, pg_wal_buffers, 'PGTune: 3% of shared_buffers, max 16MB'),
    Rule('default_statistics_target', NUMBER, lambda r, d: 500 if r.profile == 'dw' else 100, 'PGTune'),
    Rule('random_page_cost', NUMBER, constant(1.1), 'PGTune: SSD storage'),
    Rule('effective_io_concurrency', NUMBER, constant(200), 'PGTune: SSD storage'),
    Rule('min_wal_size', SIZE, lambda r, d: PG_WAL_SIZES[r.profile][0], 'PGTune: per profile'),
    Rule('max_wal_size', SIZE, lambda r, d: PG_WAL_SIZES[r.profile][1], 'PGTune: per profile'),
    Rule('wal_compression', TEXT, pg_wal_compression, 'PGTune; PostgreSQL manual: wal_compression (lz4 from 15)'),
    Rule('jit', TEXT, pg_jit, 'PGTune; PostgreSQL manual: When to JIT? (off except for analytics)'),
    Rule('max_worker_processes', NUMBER, lambda r, d: max(8, r.whole_cpus), 'PGTune: cpus (8 is the default floor)'),
    Rule('max_parallel_workers_per_gather', NUMBER, pg_parallel_gather, 'PGTune: ceil(cpus/2), max 4 except dw'),
    Rule('max_parallel_workers', NUMBER, lambda r, d: r.whole_cpus, 'PGTune: cpus'),
    Rule('max_parallel_maintenance_workers', NUMBER, lambda r, d: min(4, int(math.ceil(r.whole_cpus / 2.0))),
         'PGTune: ceil(cpus/2), max 4'),
    Rule('work_mem', SIZE, pg_work_mem, 'PGTune: (memory - shared_buffers) / (connections * 3) / workers'),
    # Production basics (PostgreSQL manual, "Server Configuration").
    Rule('listen_addresses', TEXT, constant('*'), 'official image: listen on the container network'),
    Rule('password_encryption', TEXT, constant('scram-sha-256'), 'PostgreSQL manual: password authentication'),
    Rule('shared_preload_libraries', TEXT, constant('pg_stat_statements'),
         'PostgreSQL manual: pg_stat_statements (statement statistics for db_tune_report)'),
    Rule('logging_collector', TEXT, constant('on'), 'PostgreSQL manual: logs to the logs volume'),
    Rule('log_directory', TEXT, constant('/var/log/postgresql'), 'logs volume'),
    Rule('log_filename', TEXT, constant('postgresql-%a.log'), 'PostgreSQL manual: a week of rotating logs'),
    Rule('log_truncate_on_rotation', TEXT, constant('on'), 'PostgreSQL manual: log rotation'),
    Rule('log_rotation_age', TEXT, constant('1d'), 'PostgreSQL manual: log rotation'),
    Rule('log_min_duration_statement', TEXT, constant('1s'), 'PostgreSQL manual: slow statements'),
    Rule('log_checkpoints', TEXT, constant('on'), 'PostgreSQL manual: checkpoint tuning evidence'),
    Rule('log_lock_waits', TEXT, constant('on'), 'PostgreSQL manual: lock diagnostics'),
    Rule('log_temp_files', NUMBER, constant(0), 'PostgreSQL manual: temporary files mean work_mem is short'),
    Rule('log_line_prefix', TEXT, constant('%m [%p] %q%u@%d '), 'PostgreSQL manual: log_line_prefix'),
    Rule('track_io_timing', TEXT, constant('on'), 'PostgreSQL manual: I/O timing in statistics'),
)
