# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""InnoDB tuning rules for MySQL and MariaDB, with their sources."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB, GIB, round_down
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Rule, SIZE, NUMBER, TEXT, constant, clamp


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
    instances = clamp(d['innodb_buffer_pool_size'] // GIB, 1, 8)
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
    return int(clamp(r.whole_cpus * GIB // 2, GIB // 2, 16 * GIB))


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
    return int(clamp(min(wanted, round_down(d['innodb_buffer_pool_size'], MIB)), 96 * MIB, 16 * GIB))


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
    return int(clamp(by_memory, MAX_CONNECTIONS_FLOOR[r.profile], MAX_CONNECTIONS_CAP[r.profile]))


def thread_cache_size(r, d):
    # Source: MySQL 8.4 manual, thread_cache_size autosizing: 8 + max_connections / 100, at most 100.
    return int(min(100, 8 + d['max_connections'] // 100))


def tmp_table_size(r, d):
    # Source: MySQL 8.4 manual, "Internal Temporary Table Use": the in-memory
    # limit is the smaller of tmp_table_size and max_heap_table_size; every
    # connection may hold one, so it is a fraction of memory, larger for analytics.
    divisor, low, high = {'oltp': (64, 16 * MIB, 64 * MIB), 'web': (64, 16 * MIB, 64 * MIB),
                          'mixed': (32, 16 * MIB, 128 * MIB), 'dw': (16, 32 * MIB, 512 * MIB)}[r.profile]
    return int(clamp(round_down(r.memory // divisor, MIB), low, high))


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
