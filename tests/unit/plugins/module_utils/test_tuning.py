# -*- coding: utf-8 -*-
"""Tuning rules: every rule of every table, at three container sizes and every profile.

Expected values are worked out by hand from the formula each rule's comment cites;
the arithmetic is in the comments next to them. Sizes: 1g = 1 GiB and 1 CPU,
4g = 4 GiB and 2 CPUs, 16g = 16 GiB and 8 CPUs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import tuning as mongodb_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import tuning as mysql_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import tuning as postgres_tuning
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Resources

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

PROFILES = ('oltp', 'web', 'dw', 'mixed')
SIZES = {'1g': (1 * GIB, 1), '4g': (4 * GIB, 2), '16g': (16 * GIB, 8)}


class P(dict):
    """A value that depends on the profile."""

    def __init__(self, oltp, web, dw, mixed):
        super(P, self).__init__(oltp=oltp, web=web, dw=dw, mixed=mixed)


def same(value):
    """The same value at every size (and profile)."""
    return {'1g': value, '4g': value, '16g': value}


def expected_value(table, setting, size, profile):
    value = table[setting][size]
    return value[profile] if isinstance(value, P) else value


def resources(size, profile, version):
    memory, cpus = SIZES[size]
    return Resources(memory, cpus, profile, version)


def check(derived, table, setting, size, profile):
    expected = expected_value(table, setting, size, profile)
    if expected is None:
        assert setting not in derived
    else:
        assert setting in derived, setting
        assert derived[setting] == expected
        assert type(derived[setting]) is type(expected), (setting, derived[setting])


def cases(table):
    return [(setting, size, profile) for setting in sorted(table) for size in SIZES for profile in PROFILES]


# ---------------------------------------------------------------------------
# InnoDB, shared by MySQL and MariaDB
# ---------------------------------------------------------------------------
INNODB_COMMON = {
    # innodb_dedicated_server: <1 GiB -> 128 MiB, <= 4 GiB -> memory/2, else memory*3/4,
    # rounded down to 128 MiB chunks.
    #   1g: 1024 MiB / 2 = 512 MiB;  4g: 4096 / 2 = 2048 MiB;  16g: 16384 * 3 / 4 = 12288 MiB
    'innodb_buffer_pool_size': {'1g': 512 * MIB, '4g': 2 * GIB, '16g': 12 * GIB},
    # 64 MiB from 4 GiB of memory, else 16 MiB.
    'innodb_log_buffer_size': {'1g': 16 * MIB, '4g': 64 * MIB, '16g': 64 * MIB},
    # (memory - pool - 256 MiB) // 8 MiB, clamped to [floor, cap] per profile
    # (floor web/oltp/mixed 50, dw 20; cap web 1000, oltp 500, mixed 300, dw 100).
    #   1g:  (1024 - 512 - 256) / 8 = 32     -> oltp 50, web 50, dw 32, mixed 50
    #   4g:  (4096 - 2048 - 256) / 8 = 224   -> oltp 224, web 224, dw 100, mixed 224
    #   16g: (16384 - 12288 - 256) / 8 = 480 -> oltp 480, web 480, dw 100, mixed 300
    'max_connections': {'1g': P(oltp=50, web=50, dw=32, mixed=50),
                        '4g': P(oltp=224, web=224, dw=100, mixed=224),
                        '16g': P(oltp=480, web=480, dw=100, mixed=300)},
    # min(100, 8 + max_connections // 100)
    #   1g: 8 + 0 = 8;  4g: 8 + 2 = 10, dw 8 + 1 = 9;  16g: 8 + 4 = 12, mixed 8 + 3 = 11, dw 9
    'thread_cache_size': {'1g': P(oltp=8, web=8, dw=8, mixed=8),
                          '4g': P(oltp=10, web=10, dw=9, mixed=10),
                          '16g': P(oltp=12, web=12, dw=9, mixed=11)},
    # clamp(memory // divisor rounded down to MiB, low, high):
    #   oltp/web memory/64 in [16M, 64M]: 1g 16M, 4g 64M, 16g 256M -> 64M
    #   mixed memory/32 in [16M, 128M]:   1g 32M, 4g 128M, 16g 512M -> 128M
    #   dw memory/16 in [32M, 512M]:      1g 64M, 4g 256M, 16g 1024M -> 512M
    'tmp_table_size': {'1g': P(oltp=16 * MIB, web=16 * MIB, dw=64 * MIB, mixed=32 * MIB),
                       '4g': P(oltp=64 * MIB, web=64 * MIB, dw=256 * MIB, mixed=128 * MIB),
                       '16g': P(oltp=64 * MIB, web=64 * MIB, dw=512 * MIB, mixed=128 * MIB)},
    # Equal to tmp_table_size (the smaller of the two applies).
    'max_heap_table_size': {'1g': P(oltp=16 * MIB, web=16 * MIB, dw=64 * MIB, mixed=32 * MIB),
                            '4g': P(oltp=64 * MIB, web=64 * MIB, dw=256 * MIB, mixed=128 * MIB),
                            '16g': P(oltp=64 * MIB, web=64 * MIB, dw=512 * MIB, mixed=128 * MIB)},
    # 4 MiB for dw only, server default otherwise.
    'sort_buffer_size': same(P(oltp=None, web=None, dw=4 * MIB, mixed=None)),
    'join_buffer_size': same(P(oltp=None, web=None, dw=4 * MIB, mixed=None)),
    # whole CPUs when more than 4, else the default: 1 and 2 CPUs -> default, 8 -> 8.
    'innodb_read_io_threads': {'1g': None, '4g': None, '16g': 8},
    'innodb_write_io_threads': {'1g': None, '4g': None, '16g': 8},
    'innodb_flush_log_at_trx_commit': same(1),
    'sync_binlog': same(1),
    'innodb_print_all_deadlocks': same('ON'),
    'skip_name_resolve': same('ON'),
    'local_infile': same('OFF'),
    'max_connect_errors': same(1000),
    # 600 s, except dw (server default).
    'wait_timeout': same(P(oltp=600, web=600, dw=None, mixed=600)),
    'interactive_timeout': same(P(oltp=600, web=600, dw=None, mixed=600)),
    'slow_query_log': same('ON'),
    'slow_query_log_file': same('/var/log/mysql/slow.log'),
    'long_query_time': same(1),
    'server_id': same(1),
    'log_bin': same('mysql-bin'),
    # 7 days x 24 h x 3600 s = 604800
    'binlog_expire_logs_seconds': same(604800),
    'key_buffer_size': same(8 * MIB),
}

MYSQL_EXPECTED = dict(INNODB_COMMON, **{
    # clamp(pool // 1 GiB, 1, 8): 1g 512M -> 0 -> 1;  4g 2G -> 2;  16g 12G -> 12 -> 8
    'innodb_buffer_pool_instances': {'1g': 1, '4g': 2, '16g': 8},
    'gtid_mode': same('ON'),
    'enforce_gtid_consistency': same('ON'),
})

# Version-dependent MySQL rules.
MYSQL_VERSIONED = {
    (8, 4, 3): {
        # >= 8.0.30: clamp(whole CPUs x 1 GiB / 2, 512 MiB, 16 GiB): 1 -> 512M, 2 -> 1G, 8 -> 4G
        'innodb_redo_log_capacity': {'1g': 512 * MIB, '4g': 1 * GIB, '16g': 4 * GIB},
        'innodb_log_file_size': same(None),          # only before 8.0.30
        'innodb_flush_method': same(None),           # O_DIRECT is the default from 8.4
    },
    (8, 0, 40): {
        'innodb_redo_log_capacity': {'1g': 512 * MIB, '4g': 1 * GIB, '16g': 4 * GIB},
        'innodb_log_file_size': same(None),
        'innodb_flush_method': same('O_DIRECT'),
    },
    (8, 0, 28): {
        'innodb_redo_log_capacity': same(None),      # introduced in 8.0.30
        # < 8 GiB of memory -> 512 MiB, up to 128 GiB -> 1 GiB: 1g 512M, 4g 512M, 16g 1G
        'innodb_log_file_size': {'1g': 512 * MIB, '4g': 512 * MIB, '16g': 1 * GIB},
        'innodb_flush_method': same('O_DIRECT'),
    },
}

MARIADB_EXPECTED = dict(INNODB_COMMON, **{
    # min(max(1 GiB, CPUs/2 GiB), pool): 1g/1 CPU the 512M pool, 4g/2 CPUs 1G, 16g/8 CPUs 4G
    'innodb_log_file_size': {'1g': 512 * MIB, '4g': 1 * GIB, '16g': 4 * GIB},
    'character_set_server': same('utf8mb4'),
    'collation_server': same('utf8mb4_unicode_ci'),
    'binlog_format': same('ROW'),
    'gtid_strict_mode': same('ON'),
    # ON from 2 GiB of memory.
    'performance_schema': {'1g': None, '4g': 'ON', '16g': 'ON'},
})

POSTGRES_EXPECTED = {
    # min(profile's connections (web 200, oltp 300, dw 40, mixed 100), max(20, memory / 8 MiB)):
    #   1g: 1024 / 8 = 128 -> oltp 128, web 128, dw 40, mixed 100;  4g/16g: 512/2048 -> the profile's
    'max_connections': {'1g': P(oltp=128, web=128, dw=40, mixed=100),
                        '4g': P(oltp=300, web=200, dw=40, mixed=100),
                        '16g': P(oltp=300, web=200, dw=40, mixed=100)},
    # 25% of memory: 256M, 1G, 4G
    'shared_buffers': {'1g': 256 * MIB, '4g': 1 * GIB, '16g': 4 * GIB},
    # 75% of memory: 768M, 3G, 12G
    'effective_cache_size': {'1g': 768 * MIB, '4g': 3 * GIB, '16g': 12 * GIB},
    # memory / 16 (dw / 8), at most 2 GiB: 1g 64M (dw 128M), 4g 256M (dw 512M), 16g 1G (dw 2G)
    'maintenance_work_mem': {'1g': P(oltp=64 * MIB, web=64 * MIB, dw=128 * MIB, mixed=64 * MIB),
                             '4g': P(oltp=256 * MIB, web=256 * MIB, dw=512 * MIB, mixed=256 * MIB),
                             '16g': P(oltp=1 * GIB, web=1 * GIB, dw=2 * GIB, mixed=1 * GIB)},
    'checkpoint_completion_target': same(0.9),
    # 3% of shared_buffers, above 14 MiB -> 16 MiB, rounded down to kB:
    #   1g: 268435456 * 3 // 100 = 8053063 -> 7864 kB = 8052736
    #   4g: 1073741824 * 3 // 100 = 32212254 > 14 MiB -> 16 MiB;  16g: -> 16 MiB
    'wal_buffers': {'1g': 8052736, '4g': 16 * MIB, '16g': 16 * MIB},
    'default_statistics_target': same(P(oltp=100, web=100, dw=500, mixed=100)),
    'random_page_cost': same(1.1),
    'effective_io_concurrency': same(200),
    # PGTune per profile: web (1G, 4G), oltp (2G, 8G), dw (4G, 16G), mixed (1G, 4G)
    'min_wal_size': same(P(oltp=2 * GIB, web=1 * GIB, dw=4 * GIB, mixed=1 * GIB)),
    'max_wal_size': same(P(oltp=8 * GIB, web=4 * GIB, dw=16 * GIB, mixed=4 * GIB)),
    # max(8, CPUs): 8, 8, 8
    'max_worker_processes': same(8),
    # ceil(CPUs / 2), at most 4 except dw: 1 -> 1, 2 -> 1, 8 -> 4
    'max_parallel_workers_per_gather': {'1g': 1, '4g': 1, '16g': 4},
    # CPUs: 1, 2, 8
    'max_parallel_workers': {'1g': 1, '4g': 2, '16g': 8},
    # min(4, ceil(CPUs / 2)): 1, 1, 4
    'max_parallel_maintenance_workers': {'1g': 1, '4g': 1, '16g': 4},
    # (memory - shared_buffers) // (max_connections * 3) // gather workers, // 2 for dw and mixed,
    # rounded down to kB:
    #   1g (spare 805306368, gather 1):
    #     oltp/web 128 conns: 805306368 // 384 = 2097152                    -> 2048 kB
    #     dw 40:    805306368 // 120 = 6710886, // 2 = 3355443                 -> 3276 kB
    #     mixed 100: 805306368 // 300 = 2684354, // 2 = 1342177                -> 1310 kB
    #   4g (spare 3221225472, gather 1):
    #     oltp 300: 3221225472 // 900 = 3579139                                -> 3495 kB
    #     web 200:  3221225472 // 600 = 5368709                                -> 5242 kB
    #     dw 40:    3221225472 // 120 = 26843545, // 2 = 13421772              -> 13107 kB
    #     mixed 100: 3221225472 // 300 = 10737418, // 2 = 5368709              -> 5242 kB
    #   16g (spare 12884901888, gather 4):
    #     oltp: 12884901888 // 900 = 14316557, // 4 = 3579139                  -> 3495 kB
    #     web:  12884901888 // 600 = 21474836, // 4 = 5368709                  -> 5242 kB
    #     dw:   12884901888 // 120 = 107374182, // 4 = 26843545, // 2 = 13421772 -> 13107 kB
    #     mixed: 12884901888 // 300 = 42949672, // 4 = 10737418, // 2 = 5368709 -> 5242 kB
    'work_mem': {'1g': P(oltp=2048 * KIB, web=2048 * KIB, dw=3276 * KIB, mixed=1310 * KIB),
                 '4g': P(oltp=3495 * KIB, web=5242 * KIB, dw=13107 * KIB, mixed=5242 * KIB),
                 '16g': P(oltp=3495 * KIB, web=5242 * KIB, dw=13107 * KIB, mixed=5242 * KIB)},
    'listen_addresses': same('*'),
    'password_encryption': same('scram-sha-256'),
    'shared_preload_libraries': same('pg_stat_statements'),
    'logging_collector': same('on'),
    'log_directory': same('/var/log/postgresql'),
    'log_filename': same('postgresql-%a.log'),
    'log_truncate_on_rotation': same('on'),
    'log_rotation_age': same('1d'),
    'log_min_duration_statement': same('1s'),
    'log_checkpoints': same('on'),
    'log_lock_waits': same('on'),
    'log_temp_files': same(0),
    'log_line_prefix': same('%m [%p] %q%u@%d '),
    'track_io_timing': same('on'),
    # PGTune: lz4 from PostgreSQL 15 (the table is checked at 16)
    'wal_compression': same('lz4'),
    # PGTune: off for web, oltp and mixed from PostgreSQL 12; analytics keeps the default (on)
    'jit': same(P(oltp='off', web='off', dw=None, mixed='off')),
}

MONGODB_EXPECTED = {
    # max(0.5 x (memory GiB - 1), 0.25): 1g max(0, 0.25) = 0.25;  4g 0.5 x 3 = 1.5;  16g 0.5 x 15 = 7.5
    'storage.wiredTiger.engineConfig.cacheSizeGB': {'1g': 0.25, '4g': 1.5, '16g': 7.5},
    'net.bindIpAll': same(True),
    'net.port': same(27017),
    'operationProfiling.mode': same('off'),
    'operationProfiling.slowOpThresholdMs': same(100),
}


# --- every rule has an expectation -------------------------------------------
@pytest.mark.parametrize('rules, expected', [
    (mysql_tuning.MYSQL_RULES, set(MYSQL_EXPECTED) | set(MYSQL_VERSIONED[(8, 4, 3)])),
    (mysql_tuning.MARIADB_RULES, set(MARIADB_EXPECTED)),
    (postgres_tuning.POSTGRES_RULES, set(POSTGRES_EXPECTED)),
    (mongodb_tuning.MONGODB_RULES, set(MONGODB_EXPECTED)),
], ids=['mysql', 'mariadb', 'postgres', 'mongodb'])
def test_every_rule_has_an_expectation(rules, expected):
    assert set(rule.setting for rule in rules) == expected


@pytest.mark.parametrize('rules', [mysql_tuning.MYSQL_RULES, mysql_tuning.MARIADB_RULES, postgres_tuning.POSTGRES_RULES,
                                   mongodb_tuning.MONGODB_RULES], ids=['mysql', 'mariadb', 'postgres', 'mongodb'])
def test_every_rule_cites_a_source_and_has_a_kind(rules):
    for rule in rules:
        assert rule.source.strip(), rule.setting
        assert rule.kind in (tuning.SIZE, tuning.NUMBER, tuning.TEXT), rule.setting


# --- MySQL ------------------------------------------------------------------
@pytest.mark.parametrize('setting, size, profile', cases(MYSQL_EXPECTED))
def test_mysql_rule(setting, size, profile):
    derived = tuning.derive(mysql_tuning.MYSQL_RULES, resources(size, profile, (8, 4, 3)))
    check(derived, MYSQL_EXPECTED, setting, size, profile)


@pytest.mark.parametrize('version', sorted(MYSQL_VERSIONED), ids=lambda v: '.'.join(map(str, v)))
@pytest.mark.parametrize('setting, size, profile', cases(MYSQL_VERSIONED[(8, 4, 3)]))
def test_mysql_versioned_rule(version, setting, size, profile):
    derived = tuning.derive(mysql_tuning.MYSQL_RULES, resources(size, profile, version))
    check(derived, MYSQL_VERSIONED[version], setting, size, profile)


@pytest.mark.parametrize('version', sorted(MYSQL_VERSIONED), ids=lambda v: '.'.join(map(str, v)))
@pytest.mark.parametrize('size', sorted(SIZES))
@pytest.mark.parametrize('profile', PROFILES)
def test_mysql_derives_nothing_unexpected(version, size, profile):
    table = dict(MYSQL_EXPECTED, **MYSQL_VERSIONED[version])
    derived = tuning.derive(mysql_tuning.MYSQL_RULES, resources(size, profile, version))
    wanted = set(s for s in table if expected_value(table, s, size, profile) is not None)
    assert set(derived) == wanted


def test_mysql_pool_is_aligned_to_chunk_times_instances():
    # 7 GiB: 7168 MiB * 3 / 4 = 5376 MiB (42 chunks); instances = 5376 // 1024 = 5;
    # multiple = 128 MiB * 5 = 640 MiB; 5376 // 640 = 8 -> 8 * 640 = 5120 MiB.
    derived = tuning.derive(mysql_tuning.MYSQL_RULES, Resources(7 * GIB, 4, 'oltp', (8, 4, 3)))
    assert derived['innodb_buffer_pool_instances'] == 5
    assert derived['innodb_buffer_pool_size'] == 5120 * MIB
    # max_connections uses the aligned pool: (7168 - 5120 - 256) / 8 = 224
    assert derived['max_connections'] == 224


@pytest.mark.parametrize('memory, cpus, expected', [
    (512 * MIB, 1, 128 * MIB),     # never more than the 128 MiB pool (above the 96 MiB floor)
    (7 * GIB, 1, 1 * GIB),         # 1 GiB at least: the 5376 MiB pool does not set it
    (64 * GIB, 8, 4 * GIB),        # CPUs / 2 GiB
    (256 * GIB, 64, 16 * GIB),     # 32 GiB capped at 16 GiB
    (2 * GIB, 16, 1 * GIB),        # 8 GiB for the CPUs, but the pool is 1 GiB
])
def test_mariadb_log_file_size_bounds(memory, cpus, expected):
    derived = tuning.derive(mysql_tuning.MARIADB_RULES, Resources(memory, cpus, 'oltp', (11, 4, 3)))
    assert derived['innodb_log_file_size'] == expected


# --- PostgreSQL -------------------------------------------------------------
@pytest.mark.parametrize('setting, size, profile', cases(POSTGRES_EXPECTED))
def test_postgres_rule(setting, size, profile):
    derived = tuning.derive(postgres_tuning.POSTGRES_RULES, resources(size, profile, (16, 0, 0)))
    check(derived, POSTGRES_EXPECTED, setting, size, profile)


@pytest.mark.parametrize('size', sorted(SIZES))
@pytest.mark.parametrize('profile', PROFILES)
def test_postgres_derives_every_setting_in_table_order(size, profile):
    derived = tuning.derive(postgres_tuning.POSTGRES_RULES, resources(size, profile, (16, 0, 0)))
    # every rule but jit for analytics (it keeps the server's default)
    assert list(derived) == [rule.setting for rule in postgres_tuning.POSTGRES_RULES
                             if not (rule.setting == 'jit' and profile == 'dw')]


def test_pg_work_mem_matches_pgtune():
    # PGTune (pgtune.leopard.in.ua), DB type dw, 6 GB RAM, 2 CPUs, 100 connections, SSD:
    # shared_buffers = 1536MB, max_parallel_workers_per_gather = 1, work_mem = 7864kB.
    # (6144 MiB - 1536 MiB) = 4831838208 // 300 = 16106127 // 1 // 2 = 8053063 -> 7864 kB
    d = {'shared_buffers': 1536 * MIB, 'max_connections': 100, 'max_parallel_workers_per_gather': 1}
    value = postgres_tuning.pg_work_mem(Resources(6 * GIB, 2, 'dw', (16, 0, 0)), d)
    assert value == 7864 * KIB


def test_pg_maintenance_work_mem_cap():
    # 64 GiB / 16 = 4 GiB -> capped at 2 GiB
    assert postgres_tuning.pg_maintenance_work_mem(Resources(64 * GIB, 8, 'oltp', (16,)), {}) == 2 * GIB


def test_pg_many_cpus():
    # 16 CPUs: gather ceil(16/2) = 8 for dw, min(4, 8) = 4 otherwise; workers max(8, 16) = 16;
    # maintenance workers min(4, 8) = 4.
    dw = tuning.derive(postgres_tuning.POSTGRES_RULES, Resources(16 * GIB, 16, 'dw', (16,)))
    oltp = tuning.derive(postgres_tuning.POSTGRES_RULES, Resources(16 * GIB, 16, 'oltp', (16,)))
    assert dw['max_parallel_workers_per_gather'] == 8
    assert oltp['max_parallel_workers_per_gather'] == 4
    assert dw['max_worker_processes'] == oltp['max_worker_processes'] == 16
    assert dw['max_parallel_workers'] == 16
    assert dw['max_parallel_maintenance_workers'] == oltp['max_parallel_maintenance_workers'] == 4


def test_pg_max_connections_floor():
    # 128 MiB / 8 MiB = 16 -> at least 20; dw min(40, 20) = 20
    assert postgres_tuning.pg_max_connections(Resources(128 * MIB, 1, 'dw', (16,)), {}) == 20
    assert postgres_tuning.pg_max_connections(Resources(128 * MIB, 1, 'web', (16,)), {}) == 20


def test_pg_work_mem_floor():
    # (16 MiB - 4 MiB) // (300 * 3) // 1 = 13981 bytes -> at least 64 kB
    d = {'shared_buffers': 4 * MIB, 'max_connections': 300, 'max_parallel_workers_per_gather': 1}
    assert postgres_tuning.pg_work_mem(Resources(16 * MIB, 1, 'oltp', (16,)), d) == 64 * KIB


# --- MongoDB ----------------------------------------------------------------
@pytest.mark.parametrize('setting, size, profile', cases(MONGODB_EXPECTED))
def test_mongodb_rule(setting, size, profile):
    derived = tuning.derive(mongodb_tuning.MONGODB_RULES, resources(size, profile, (7, 0, 0)))
    check(derived, MONGODB_EXPECTED, setting, size, profile)


@pytest.mark.parametrize('memory, expected', [
    (3 * GIB, 1.0),             # 0.5 x 2
    (1536 * MIB, 0.25),         # 0.5 x 0.5 = 0.25
    (512 * MIB, 0.25),          # negative -> 0.25
    (3000 * MIB, 0.96),         # 0.5 x (2.9296875 - 1) = 0.96484375 -> 0.96
])
def test_mongodb_cache_size(memory, expected):
    assert mongodb_tuning.wired_tiger_cache_gb(Resources(memory, 1, 'oltp', (7, 0)), {}) == expected


# --- profiles -----------------------------------------------------------------
@pytest.mark.parametrize('rules, version, memory, cpus, differing', [
    (mysql_tuning.MYSQL_RULES, (8, 4, 3), 4 * GIB, 2,
     {'max_connections', 'thread_cache_size', 'tmp_table_size', 'max_heap_table_size', 'sort_buffer_size',
      'join_buffer_size', 'wait_timeout', 'interactive_timeout'}),
    (mysql_tuning.MARIADB_RULES, (11, 4, 3), 4 * GIB, 2,
     {'max_connections', 'thread_cache_size', 'tmp_table_size', 'max_heap_table_size', 'sort_buffer_size',
      'join_buffer_size', 'wait_timeout', 'interactive_timeout'}),
    (postgres_tuning.POSTGRES_RULES, (16,), 4 * GIB, 2,
     {'max_connections', 'maintenance_work_mem', 'default_statistics_target', 'min_wal_size', 'max_wal_size',
      'work_mem', 'jit'}),
    (postgres_tuning.POSTGRES_RULES, (16,), 16 * GIB, 16,
     {'max_connections', 'maintenance_work_mem', 'default_statistics_target', 'min_wal_size', 'max_wal_size',
      'work_mem', 'max_parallel_workers_per_gather', 'jit'}),
    (mongodb_tuning.MONGODB_RULES, (7, 0), 4 * GIB, 2, set()),
], ids=['mysql', 'mariadb', 'postgres', 'postgres-16cpus', 'mongodb'])
def test_dw_and_oltp_differ_where_the_formulas_say(rules, version, memory, cpus, differing):
    dw = tuning.derive(rules, Resources(memory, cpus, 'dw', version))
    oltp = tuning.derive(rules, Resources(memory, cpus, 'oltp', version))
    differ = set(name for name in set(dw) | set(oltp) if dw.get(name) != oltp.get(name))
    assert differ == differing


# --- Resources and helpers ----------------------------------------------------
@pytest.mark.parametrize('cpus, whole', [(0.5, 1), (1, 1), (2.5, 2), (8, 8), ('3', 3)])
def test_whole_cpus(cpus, whole):
    assert Resources(GIB, cpus, 'oltp', None).whole_cpus == whole


def test_derive_leaves_out_none_and_passes_earlier_values():
    rules = (
        tuning.Rule('a', tuning.NUMBER, lambda r, d: 3, ''),
        tuning.Rule('b', tuning.NUMBER, lambda r, d: None, ''),
        tuning.Rule('c', tuning.NUMBER, lambda r, d: d['a'] * 2, ''),
    )
    assert tuning.derive(rules, Resources(GIB, 1, 'oltp', None)) == {'a': 3, 'c': 6}


def test_kinds():
    kinds = tuning.kinds(postgres_tuning.POSTGRES_RULES)
    assert kinds['work_mem'] == tuning.SIZE
    assert kinds['max_connections'] == tuning.NUMBER
    assert kinds['listen_addresses'] == tuning.TEXT
    assert tuning.kinds(mysql_tuning.MYSQL_RULES)['innodb_buffer_pool_size'] == tuning.SIZE


def test_postgres_jit_left_alone_before_12():
    derived = tuning.derive(postgres_tuning.POSTGRES_RULES, Resources(4 * GIB, 2, 'oltp', (11, 22)))
    assert 'jit' not in derived
