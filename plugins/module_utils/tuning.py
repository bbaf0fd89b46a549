# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tuning rules, kept as data: one table per engine.

Each rule names a setting, a formula over the container's resources, and the
source of that formula. A formula sees the resources and the values derived so
far (rules are evaluated in table order) and returns a value, or None to leave
the engine's default alone. Values are plain Python: sizes are bytes and are
formatted by the engine adapter (``kind == SIZE``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
from collections import namedtuple

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import KIB, MIB, GIB, round_down
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least

SIZE, NUMBER, TEXT = 'size', 'number', 'text'

PROFILES = ('oltp', 'web', 'dw', 'mixed')

Rule = namedtuple('Rule', 'setting kind formula source')


class Resources(object):
    """What the formulas are computed from."""

    def __init__(self, memory, cpus, profile, version):
        self.memory = memory            # bytes: the container's memory limit
        self.cpus = float(cpus)         # CPUs the container may use
        self.profile = profile          # one of PROFILES
        self.version = version          # engine version tuple

    @property
    def whole_cpus(self):
        return max(1, int(math.floor(self.cpus)))


def derive(rules, resources):
    """Evaluate a rule table: {setting: value} in table order, None results left out."""
    derived = {}
    for rule in rules:
        value = rule.formula(resources, derived)
        if value is not None:
            derived[rule.setting] = value
    return derived


def kinds(rules):
    return dict((rule.setting, rule.kind) for rule in rules)


def _clamp(value, low, high):
    return max(low, min(high, value))


def _by_profile(r, table):
    return table[r.profile]


# --------------------------------------------------------------------------
# InnoDB (MySQL and MariaDB)
# --------------------------------------------------------------------------
# Memory one connection may hold with default per-thread buffers: sort 256K,
# join 256K, read 128K, read_rnd 256K, thread stack 1M, net buffers, binlog
# cache, plus headroom for small in-memory temporary tables.
# Source: MySQL 8.4 manual, "How MySQL Uses Memory" (per-thread buffers).
INNODB_PER_CONNECTION = 8 * MIB
# Server memory outside the buffer pool and the connections: dictionary,
# performance_schema, log buffer, table caches.
# Source: MySQL 8.4 manual, "How MySQL Uses Memory" (global buffers).
INNODB_SERVER_OVERHEAD = 256 * MIB
INNODB_CHUNK = 128 * MIB  # innodb_buffer_pool_chunk_size default

MAX_CONNECTIONS_CAP = {'web': 1000, 'oltp': 500, 'mixed': 300, 'dw': 100}
MAX_CONNECTIONS_FLOOR = {'web': 50, 'oltp': 50, 'mixed': 50, 'dw': 20}


def innodb_buffer_pool_size(r, d):
    # Source: MySQL 8.4 manual, innodb_dedicated_server: under 1 GiB 128 MiB,
    # up to 4 GiB half of memory, above 4 GiB three quarters.
    if r.memory < GIB:
        size = 128 * MIB
    elif r.memory <= 4 * GIB:
        size = r.memory // 2
    else:
        size = r.memory * 3 // 4
    # The server rounds the pool up to chunk_size x instances: round down here so
    # the pool never grows past what was budgeted.
    return round_down(size, INNODB_CHUNK)


def innodb_buffer_pool_instances(r, d):
    # Source: MySQL 8.4 manual, innodb_buffer_pool_instances: 8 by default when
    # the pool is 1 GiB or more; each instance should be at least 1 GiB.
    instances = _clamp(d['innodb_buffer_pool_size'] // GIB, 1, 8)
    return int(instances)


def innodb_buffer_pool_size_aligned(r, d):
    # Source: MySQL 8.4 manual, "Configuring InnoDB Buffer Pool Size": the size
    # must be a multiple of chunk_size x instances.
    return round_down(d['innodb_buffer_pool_size'], INNODB_CHUNK * d.get('innodb_buffer_pool_instances', 1))


def mysql_redo_log_capacity(r, d):
    # Source: MySQL 8.4 manual, innodb_dedicated_server: innodb_redo_log_capacity
    # = (logical processors / 2) GB, at most 16 GB (MySQL >= 8.0.30).
    if not at_least(r.version, (8, 0, 30)):
        return None
    return int(_clamp(r.whole_cpus * GIB // 2, GIB // 2, 16 * GIB))


def mysql_log_file_size(r, d):
    # Source: MySQL 8.0 manual (before 8.0.30), innodb_dedicated_server:
    # innodb_log_file_size 512 MiB under 8 GiB of memory, 1 GiB up to 128 GiB, else 2 GiB.
    if at_least(r.version, (8, 0, 30)):
        return None
    if r.memory < 8 * GIB:
        return 512 * MIB
    return GIB if r.memory <= 128 * GIB else 2 * GIB


def mariadb_log_file_size(r, d):
    # The redo log holds the writes between checkpoints: too small, and checkpoints flush
    # dirty pages early. Sources:
    # - MySQL 8.4 manual, innodb_dedicated_server: redo capacity (logical processors / 2) GB,
    #   at most 16 GB: the log grows with the write concurrency the CPUs allow;
    # - MariaDB docs, "Configure the InnoDB Redo Log": at most the innodb_buffer_pool_size
    #   ("for the maximum capacity ... the same as the innodb_buffer_pool_size"); one file since 10.5;
    # - measured here (docs/benchmarks.md, "Tuning"): sysbench oltp_read_write on MariaDB 10.11,
    #   3 interleaved rounds on an idle machine: at 4 GiB / 2 CPUs a pool-sized 2 GiB log lost
    #   11-19 % TPS to 1 GiB in every round; at 2 GiB / 1 CPU 1 GiB beat 512 MiB by 7-10 %.
    # So: (CPUs / 2) GiB but at least 1 GiB, never more than the pool, within [96 MiB, 16 GiB].
    wanted = max(GIB, r.whole_cpus * GIB // 2)
    return int(_clamp(min(wanted, round_down(d['innodb_buffer_pool_size'], MIB)), 96 * MIB, 16 * GIB))


def innodb_log_buffer_size(r, d):
    # Source: MySQL 8.4 manual, innodb_log_buffer_size: a larger buffer lets large
    # transactions commit without writing the log early. 16 MiB is the default.
    return 64 * MIB if r.memory >= 4 * GIB else 16 * MIB


def innodb_max_connections(r, d):
    # Source: MySQL 8.4 manual, "How MySQL Uses Memory": memory left after the
    # buffer pool and the server's own overhead, divided by what one connection
    # can hold; bounded by what the workload profile needs.
    spare = r.memory - d['innodb_buffer_pool_size'] - INNODB_SERVER_OVERHEAD
    by_memory = spare // INNODB_PER_CONNECTION
    return int(_clamp(by_memory, MAX_CONNECTIONS_FLOOR[r.profile], MAX_CONNECTIONS_CAP[r.profile]))


def thread_cache_size(r, d):
    # Source: MySQL 8.4 manual, thread_cache_size autosizing: 8 + max_connections / 100, at most 100.
    return int(min(100, 8 + d['max_connections'] // 100))


def tmp_table_size(r, d):
    # Source: MySQL 8.4 manual, "Internal Temporary Table Use": the in-memory
    # limit is the smaller of tmp_table_size and max_heap_table_size; every
    # connection may hold one, so it is a fraction of memory, larger for analytics.
    divisor, low, high = {'oltp': (64, 16 * MIB, 64 * MIB), 'web': (64, 16 * MIB, 64 * MIB),
                          'mixed': (32, 16 * MIB, 128 * MIB), 'dw': (16, 32 * MIB, 512 * MIB)}[r.profile]
    return int(_clamp(round_down(r.memory // divisor, MIB), low, high))


def dw_only(value):
    # Source: MySQL 8.4 manual, sort_buffer_size / join_buffer_size: raise them
    # per session for large sorts and joins; analytics profiles get a larger default.
    return lambda r, d: value if r.profile == 'dw' else None


def io_threads(r, d):
    # Source: MySQL 8.4 manual, innodb_read_io_threads: default 4; more threads
    # help only with more cores.
    return r.whole_cpus if r.whole_cpus > 4 else None


def wait_timeout(r, d):
    # Source: the seed's production my.cnf (600 s closes leaked idle connections);
    # analytics sessions stay idle for long and keep the server default.
    return None if r.profile == 'dw' else 600


def constant(value):
    return lambda r, d: value


# Rules shared by MySQL and MariaDB, in evaluation order.
_INNODB_MEMORY_RULES = (
    Rule('innodb_buffer_pool_size', SIZE, innodb_buffer_pool_size, 'MySQL manual: innodb_dedicated_server'),
)
_INNODB_COMMON_RULES = (
    Rule('innodb_log_buffer_size', SIZE, innodb_log_buffer_size, 'MySQL manual: innodb_log_buffer_size'),
    Rule('max_connections', NUMBER, innodb_max_connections, 'MySQL manual: How MySQL Uses Memory'),
    Rule('thread_cache_size', NUMBER, thread_cache_size, 'MySQL manual: thread_cache_size autosizing'),
    Rule('tmp_table_size', SIZE, tmp_table_size, 'MySQL manual: Internal Temporary Table Use'),
    Rule('max_heap_table_size', SIZE, lambda r, d: d['tmp_table_size'],
         'MySQL manual: the smaller of tmp_table_size and max_heap_table_size applies'),
    Rule('sort_buffer_size', SIZE, dw_only(4 * MIB), 'MySQL manual: sort_buffer_size'),
    Rule('join_buffer_size', SIZE, dw_only(4 * MIB), 'MySQL manual: join_buffer_size'),
    Rule('innodb_read_io_threads', NUMBER, io_threads, 'MySQL manual: innodb_read_io_threads'),
    Rule('innodb_write_io_threads', NUMBER, io_threads, 'MySQL manual: innodb_write_io_threads'),
    # Durability: every commit reaches disk. The seed's value 2 loses up to a
    # second of acknowledged commits on a crash.
    Rule('innodb_flush_log_at_trx_commit', NUMBER, constant(1), 'MySQL manual: InnoDB ACID settings'),
    Rule('sync_binlog', NUMBER, constant(1), 'MySQL manual: sync_binlog (durable binary log)'),
    Rule('innodb_print_all_deadlocks', TEXT, constant('ON'), 'MySQL manual: deadlock diagnostics'),
    Rule('skip_name_resolve', TEXT, constant('ON'), 'MySQL manual: DNS lookups delay connections'),
    Rule('local_infile', TEXT, constant('OFF'), 'MySQL manual: security considerations for LOAD DATA LOCAL'),
    Rule('max_connect_errors', NUMBER, constant(1000), "seed my.cnf (MySQL default 100 blocks hosts behind a proxy)"),
    Rule('wait_timeout', NUMBER, wait_timeout, 'seed my.cnf'),
    Rule('interactive_timeout', NUMBER, wait_timeout, 'seed my.cnf'),
    # Slow statements are logged, every statement is not: general_log stays off.
    Rule('slow_query_log', TEXT, constant('ON'), 'MySQL manual: The Slow Query Log'),
    Rule('slow_query_log_file', TEXT, constant('/var/log/mysql/slow.log'), 'logs volume'),
    Rule('long_query_time', NUMBER, constant(1), 'MySQL manual: long_query_time'),
    Rule('server_id', NUMBER, constant(1), 'MySQL manual: server_id (replication changes it per node)'),
    Rule('log_bin', TEXT, constant('mysql-bin'), 'MySQL manual: binary log for point-in-time recovery'),
    # Source: MySQL manual binlog_expire_logs_seconds (>= 8.0.1), MariaDB KB (>= 10.6.1):
    # a week of binary logs, as the seed's expire_logs_days = 7.
    Rule('binlog_expire_logs_seconds', NUMBER, constant(7 * 24 * 3600), 'seed my.cnf (7 days)'),
    # MyISAM's index cache: 128 MiB by default and idle on an InnoDB-only server.
    Rule('key_buffer_size', SIZE, constant(8 * MIB), 'MySQL manual: key_buffer_size caches MyISAM indexes only'),
)

MYSQL_RULES = _INNODB_MEMORY_RULES + (
    Rule('innodb_buffer_pool_instances', NUMBER, innodb_buffer_pool_instances,
         'MySQL manual: innodb_buffer_pool_instances'),
    Rule('innodb_buffer_pool_size', SIZE, innodb_buffer_pool_size_aligned,
         'MySQL manual: Configuring InnoDB Buffer Pool Size'),
    Rule('innodb_redo_log_capacity', SIZE, mysql_redo_log_capacity, 'MySQL manual: innodb_dedicated_server'),
    Rule('innodb_log_file_size', SIZE, mysql_log_file_size, 'MySQL 8.0 manual: innodb_dedicated_server'),
    Rule('innodb_flush_method', TEXT, lambda r, d: None if at_least(r.version, (8, 4)) else 'O_DIRECT',
         'MySQL manual: O_DIRECT avoids double buffering (the default from 8.4)'),
    Rule('gtid_mode', TEXT, constant('ON'), 'MySQL manual: GTID replication (set at start: no restart later)'),
    Rule('enforce_gtid_consistency', TEXT, constant('ON'), 'MySQL manual: required by gtid_mode=ON'),
) + _INNODB_COMMON_RULES

MARIADB_RULES = _INNODB_MEMORY_RULES + (
    # MariaDB has a single buffer pool since 10.5 (innodb_buffer_pool_instances removed in 10.6).
    Rule('innodb_log_file_size', SIZE, mariadb_log_file_size,
         'MySQL manual: innodb_dedicated_server ((CPUs / 2) GB); MariaDB docs: Configure the InnoDB Redo Log '
         '(at most the buffer pool); at least 1 GiB (measured, docs/benchmarks.md)'),
    Rule('character_set_server', TEXT, constant('utf8mb4'), 'MariaDB KB: utf8mb4 stores all of Unicode'),
    Rule('collation_server', TEXT, constant('utf8mb4_unicode_ci'), 'seed my.cnf'),
    Rule('binlog_format', TEXT, constant('ROW'), 'MariaDB KB: row-based replication is the safe format'),
    Rule('gtid_strict_mode', TEXT, constant('ON'),
         'MariaDB KB: GTID strict mode keeps replicas from diverging silently'),
    # performance_schema costs memory; below 2 GiB it would crowd out the buffer pool.
    Rule('performance_schema', TEXT, lambda r, d: 'ON' if r.memory >= 2 * GIB else None,
         'MariaDB KB: Performance Schema (statement digests for db_tune_report)'),
) + _INNODB_COMMON_RULES


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
