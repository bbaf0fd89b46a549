# -*- coding: utf-8 -*-
"""The pure logic of bench/bench_tuning.py: the calculators' formulas, the ratio,
median and percentile arithmetic, output parsing and the shape of tuning.json.
No Docker and no timing here: the benchmark measures, tests check the logic."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

BENCH = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'bench'))
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import calculators  # noqa: E402
import tuning_stats  # noqa: E402

GIB = 1024 ** 3
MIB = 1024 ** 2


# ----------------------------------------------------------------- PGTune
class TestPgtune(object):
    """Expected values worked out by hand from le0pard/pgtune's configurationSlice.js."""

    def test_oltp_4g_2cpus(self):
        settings = calculators.pgtune(4 * GIB, 2, 'oltp', 15)
        assert settings['max_connections'] == '300'
        assert settings['shared_buffers'] == '1GB'                    # memory / 4
        assert settings['effective_cache_size'] == '3GB'              # memory * 3 / 4
        assert settings['maintenance_work_mem'] == '256MB'            # memory / 16
        assert settings['wal_buffers'] == '16MB'                      # 3 % of 1GB, at most 16MB
        assert settings['min_wal_size'] == '2GB' and settings['max_wal_size'] == '8GB'
        # (4194304 - 1048576) kB / ((300 + 8) * 3) = 3404 kB, below the 4MB floor
        assert settings['work_mem'] == '4MB'
        assert settings['random_page_cost'] == '1.1' and settings['effective_io_concurrency'] == '200'
        assert settings['huge_pages'] == 'off'
        assert settings['jit'] == 'off' and settings['wal_compression'] == 'lz4'
        assert settings['checkpoint_completion_target'] == '0.9'
        assert settings['default_statistics_target'] == '100'

    def test_no_parallel_settings_under_4_cpus(self):
        for cpus in (1, 2, 3):
            assert not [k for k in calculators.pgtune(2 * GIB, cpus) if 'parallel' in k or 'worker' in k]

    def test_web_16g_8cpus_parallel_and_work_mem(self):
        settings = calculators.pgtune(16 * GIB, 8, 'web', 16)
        assert settings['max_worker_processes'] == '8'
        assert settings['max_parallel_workers_per_gather'] == '4'
        assert settings['max_parallel_workers'] == '8'
        assert settings['max_parallel_maintenance_workers'] == '4'
        # (16777216 - 4194304) / ((200 + 8) * 3) = 20164.9 kB
        assert settings['work_mem'] == '20164kB'
        assert settings['maintenance_work_mem'] == '1GB'

    def test_dw_halves_work_mem_and_keeps_more_gather_workers(self):
        settings = calculators.pgtune(64 * GIB, 16, 'dw', 15)
        assert settings['max_parallel_workers_per_gather'] == '8'
        assert settings['maintenance_work_mem'] == '8GB'              # memory / 8, capped at 8GB
        assert settings['autovacuum_work_mem'] == '2GB'
        assert settings['autovacuum_max_workers'] == '4'
        assert 'jit' not in settings
        assert settings['default_statistics_target'] == '500'
        # (67108864 - 16777216) / ((40 + 16) * 3) / 2 = 149796.5 kB
        assert settings['work_mem'] == '149796kB'

    def test_small_memory_wal_buffers_is_3_percent(self):
        settings = calculators.pgtune(256 * MIB, 1)
        assert settings['shared_buffers'] == '64MB'
        assert settings['wal_buffers'] == '1966kB'                    # 3 % of 65536 kB

    def test_wal_buffers_near_16mb_is_rounded_up(self):
        # shared_buffers 480MB -> 3 % = 14745 kB, between 14MB and 16MB
        assert calculators.pgtune(1920 * MIB, 1)['wal_buffers'] == '16MB'

    def test_huge_pages_from_2gb_of_shared_buffers(self):
        assert calculators.pgtune(8 * GIB, 2)['huge_pages'] == 'try'

    def test_older_versions(self):
        assert calculators.pgtune(4 * GIB, 2, 'oltp', 14)['wal_compression'] == 'on'
        assert 'jit' not in calculators.pgtune(4 * GIB, 2, 'oltp', 11)

    def test_size_format(self):
        assert calculators.pg_size(1024 * 1024) == '1GB'
        assert calculators.pg_size(1536 * 1024) == '1536MB'
        assert calculators.pg_size(3404) == '3404kB'


# ----------------------------------------------------------------- innodb_dedicated_server
@pytest.mark.parametrize('memory, cpus, pool, redo', [
    (512 * MIB, 1, '128M', '512M'),     # under 1 GB: the 128 MB default
    (2 * GIB, 1, '1G', '512M'),         # 1 to 4 GB: half; redo (1 / 2) GB
    (4 * GIB, 2, '2G', '1G'),           # 4 GB is still "1 GB to 4 GB"
    (8 * GIB, 4, '6G', '2G'),           # above 4 GB: three quarters
    (256 * GIB, 64, '192G', '16G'),     # redo capped at 16 GB
    (3 * GIB, 1.5, '1536M', '512M'),    # whole CPUs count
])
def test_innodb_dedicated_server(memory, cpus, pool, redo):
    assert calculators.innodb_dedicated_server(memory, cpus) == {
        'innodb_buffer_pool_size': pool, 'innodb_log_file_size': redo}


# ----------------------------------------------------------------- MySQLTuner
TUNER_OUTPUT = """
-------- Recommendations ---------------------------------------------------------------------------
General recommendations:
    Control warning line(s) into /var/log/mysql/error.log file
Variables to adjust:
  *** MySQL's maximum memory usage is dangerously high ***
  *** Add RAM before increasing MySQL buffer variables ***
    performance_schema=ON
    innodb_buffer_pool_size (>= 905.3M) if possible.
    innodb_log_file_size should be (=32M) if possible, so InnoDB total log files size equals 25% of buffer pool size.
    join_buffer_size (> 256.0K, or always use indexes with JOINs)
    max_connections (> 151)
    innodb_buffer_pool_instances(=1)
"""


def test_mysqltuner_adjustments_parsed():
    adjustments = calculators.mysqltuner_adjustments(TUNER_OUTPUT)
    by_name = dict((name, (operator, value)) for _line, name, operator, value in adjustments if name)
    assert by_name['innodb_buffer_pool_size'] == ('>=', int(round(905.3 * MIB)))
    assert by_name['innodb_log_file_size'] == ('=', 32 * MIB)
    assert by_name['join_buffer_size'] == ('>', 256 * 1024)
    assert by_name['max_connections'] == ('>', 151)
    assert by_name['performance_schema'] == ('=', 'ON')
    assert len([a for a in adjustments if a[1] is None]) == 2


def test_mysqltuner_without_recommendations():
    assert calculators.mysqltuner_adjustments('[OK] all fine\n') == []


def test_mysqltuner_applied():
    settings, skipped = calculators.apply_mysqltuner(calculators.mysqltuner_adjustments(TUNER_OUTPUT),
                                                     2 * GIB, 1 * GIB)
    assert settings['innodb_buffer_pool_size'] == '1G'      # 905.3M rounded up to whole 128M chunks
    assert settings['innodb_log_file_size'] == '256M'       # 25 % of the pool it recommends
    assert settings['join_buffer_size'] == '512K'           # "> X": twice X
    assert settings['max_connections'] == '302'
    assert settings['performance_schema'] == 'ON'
    assert 'innodb_buffer_pool_instances' not in settings   # removed in MariaDB 10.6
    assert 'innodb_buffer_pool_instances(=1)' in skipped


def test_mysqltuner_pool_capped_at_three_quarters_of_memory():
    adjustments = [('innodb_buffer_pool_size (>= 30G)', 'innodb_buffer_pool_size', '>=', 30 * GIB)]
    assert calculators.apply_mysqltuner(adjustments, 4 * GIB, 2 * GIB)[0] == {'innodb_buffer_pool_size': '3G'}


def test_mysqltuner_log_sized_for_the_pool_it_lands_on():
    adjustments = [('innodb_log_file_size should be (=32M)', 'innodb_log_file_size', '=', 32 * MIB)]
    assert calculators.apply_mysqltuner(adjustments, 4 * GIB, 2 * GIB)[0] == {'innodb_log_file_size': '512M'}


# ----------------------------------------------------------------- arithmetic
def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert tuning_stats.percentile(values, 0.95) == 95
    assert tuning_stats.percentile(list(reversed(values)), 0.95) == 95
    assert tuning_stats.percentile([7.5], 0.95) == 7.5
    assert tuning_stats.percentile([1, 2, 3], 0.95) == 3
    with pytest.raises(ValueError):
        tuning_stats.percentile([], 0.95)


def test_median_ignores_missing_values():
    assert tuning_stats.median([3, None, 1, 2]) == 2
    assert tuning_stats.median([1, 2]) == 1.5
    assert tuning_stats.median([None]) is None


def run(round_number, config, tps, p95=10.0, **extra):
    record = {'round': round_number, 'config': config, 'tps': tps, 'p95_ms': p95}
    record.update(extra)
    return record


def test_paired_ratios_stay_inside_a_round():
    runs = [run(1, 'stock', 100), run(1, 'tuned', 150), run(2, 'stock', 50), run(2, 'tuned', 100),
            run(3, 'tuned', 999)]                                  # round 3 has no stock run: no pair
    assert tuning_stats.paired_ratios(runs, 'tps', 'tuned', 'stock') == [1.5, 2.0]


def test_paired_ratios_skip_failed_runs():
    runs = [run(1, 'stock', 0), run(1, 'tuned', 150), run(2, 'stock', 100), run(2, 'tuned', None)]
    assert tuning_stats.paired_ratios(runs, 'tps', 'tuned', 'stock') == []


def test_summary_shape_and_strongest_calculator():
    runs = []
    for round_number, noise in ((1, 1.0), (2, 0.5), (3, 1.1)):
        runs += [run(round_number, 'stock', 100 * noise, 20.0, peak_memory_bytes=300 * MIB, max_connections=151,
                     storm_clients=151, storm_ok=True),
                 run(round_number, 'tuned', 150 * noise, 10.0, peak_memory_bytes=900 * MIB, storm_ok=True),
                 run(round_number, 'dedicated', 140 * noise, 11.0, storm_ok=True),
                 run(round_number, 'mysqltuner', 120 * noise, 12.0, storm_ok=True, oom_killed=round_number == 2)]
    summary = tuning_stats.summarise(runs, ('dedicated', 'mysqltuner'))
    assert summary['tuned_vs_stock'] == 1.5
    assert summary['tuned_vs_calculator'] == round(150 / 140.0, 3)
    assert summary['strongest_calculator'] == 'dedicated'
    assert summary['tuned_vs_calculators'] == {'dedicated': round(150 / 140.0, 3), 'mysqltuner': 1.25}
    assert summary['p95_latency_vs_stock']['tuned'] == 0.5
    assert summary['oom_kills'] == 1
    assert summary['goal_met'] is True
    assert summary['configs']['stock']['tps_median'] == 100.0
    assert summary['configs']['stock']['peak_memory_mib'] == 300.0
    assert summary['configs']['stock']['max_connections'] == 151
    assert set(summary['configs']) == {'stock', 'tuned', 'dedicated', 'mysqltuner'}


def test_summary_goal_not_met_when_tuned_loses():
    runs = [run(1, 'stock', 100), run(1, 'tuned', 110), run(1, 'pgtune', 120)]
    summary = tuning_stats.summarise(runs, ('pgtune',))
    assert summary['tuned_vs_stock'] == 1.1
    assert summary['tuned_vs_calculator'] == round(110 / 120.0, 3)
    assert summary['goal_met'] is False


# ----------------------------------------------------------------- parsing
SYSBENCH = """
SQL statistics:
    transactions:                        13140  (437.64 per sec.)
    queries:                             262800 (8752.88 per sec.)
Latency (ms):
         min:                                    3.18
         95th percentile:                       36.89
"""


def test_parse_sysbench():
    assert tuning_stats.parse_sysbench(SYSBENCH) == (437.64, 36.89)
    assert tuning_stats.parse_sysbench('FATAL: error') == (None, None)


def test_parse_pgbench():
    output = 'latency average = 5.409 ms\ntps = 1477.028837 (without initial connection time)\n'
    assert tuning_stats.parse_pgbench_tps(output) == 1477.028837
    assert tuning_stats.parse_pgbench_tps('pgbench: error: connection failed') is None


def test_pgbench_latency_log():
    log = '0 1 5409 0 1700000000 123\n1 1 12000 0 1700000000 456\nnot a line\n'
    assert tuning_stats.pgbench_latencies_ms(log) == [5.409, 12.0]


# ----------------------------------------------------------------- plan
def test_quick_plan_runs_every_config_on_one_size():
    plan = tuning_stats.plan_from_env({'QUICK': '1'})
    assert plan['quick'] is True and plan['sizes'] == ['2g'] and plan['rounds'] == 1
    assert plan['engines'] == ['mariadb', 'postgres']


def test_full_plan_and_overrides():
    plan = tuning_stats.plan_from_env({})
    assert plan['sizes'] == ['4g', '2g'] and plan['rounds'] >= 3 and plan['quick'] is False
    plan = tuning_stats.plan_from_env({'ROUNDS': '5', 'SIZES': '4g', 'ENGINES': 'postgres'})
    assert plan['rounds'] == 5 and plan['sizes'] == ['4g'] and plan['engines'] == ['postgres']


def test_rotation_changes_who_runs_first():
    configs = ['stock', 'tuned', 'pgtune']
    assert [tuning_stats.rotated(configs, shift)[0] for shift in range(3)] == configs
