"""The plan, arithmetic and output parsing of bench_tuning.py, kept pure so unit tests can check them.

Runs are paired by round: in one round every configuration of an engine and
size runs back to back, so a ratio taken inside a round compares runs that saw
the same background load. The reported ratio is the median of those per-round
ratios (the brief's "medians over repeated interleaved runs").
"""

from __future__ import absolute_import, division, print_function

import math
import re
import statistics

CONFIG_STOCK, CONFIG_TUNED = 'stock', 'tuned'


def plan_from_env(env):
    """What this run does. QUICK=1 is the CI mode; any value can be overridden by its variable."""
    quick = env.get('QUICK', '') not in ('', '0')
    plan = {
        'quick': quick,
        'rounds': 1 if quick else 3,
        'warmup_s': 2 if quick else 10,
        'measure_s': 4 if quick else 30,
        # Long enough for every client to connect (PostgreSQL's SCRAM handshakes take seconds for 300) and run.
        'storm_s': 5 if quick else 12,
        'clients': 8,
        'sizes': ['2g'] if quick else ['4g', '2g'],
        'engines': ['mariadb', 'postgres'],
        # MariaDB: sysbench tables x rows (about 230 bytes a row with its index: 8 x 400k = about 900 MiB).
        'sysbench_tables': 2 if quick else 8,
        'sysbench_rows': 20000 if quick else 400000,
        # PostgreSQL: pgbench scale (about 15 MiB each: 60 = about 900 MiB).
        'pgbench_scale': 2 if quick else 60,
    }
    for key, cast in (('rounds', int), ('warmup_s', int), ('measure_s', int), ('storm_s', int),
                      ('clients', int), ('sysbench_tables', int), ('sysbench_rows', int), ('pgbench_scale', int)):
        if env.get(key.upper()):
            plan[key] = cast(env[key.upper()])
    for key in ('sizes', 'engines'):
        if env.get(key.upper()):
            plan[key] = [v.strip() for v in env[key.upper()].split(',') if v.strip()]
    return plan


def rotated(items, shift):
    shift %= len(items)
    return list(items[shift:]) + list(items[:shift])


def percentile(values, fraction):
    """Nearest-rank percentile (fraction 0.95 for p95): the smallest value with at least that share of
    the values at or below it. Raises ValueError on no values."""
    if not values:
        raise ValueError('no values')
    ordered = sorted(values)
    rank = max(1, int(math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def paired_ratios(runs, metric, numerator, denominator):
    """[numerator's metric / denominator's metric] per round where both ran and the denominator is > 0.

    ``runs`` is a list of dicts with keys round, config and the metric."""
    by_round = {}
    for run in runs:
        by_round.setdefault(run['round'], {})[run['config']] = run.get(metric)
    ratios = []
    for round_number in sorted(by_round):
        pair = by_round[round_number]
        top, bottom = pair.get(numerator), pair.get(denominator)
        if top is not None and bottom:
            ratios.append(top / bottom)
    return ratios


def rounded(value, digits=3):
    return None if value is None else round(value, digits)


def summarise(runs, calculators, goal_vs_stock=1.2, goal_vs_calculator=1.0):
    """One engine and size: the figures tuning.json holds.

    ``calculators`` names the calculator configurations; tuned_vs_calculator is
    the ratio to the strongest of them (the lowest ratio), named in
    ``strongest_calculator``."""
    configs = [CONFIG_STOCK, CONFIG_TUNED] + list(calculators)
    tps_vs_stock = dict((c, rounded(median(paired_ratios(runs, 'tps', c, CONFIG_STOCK)))) for c in configs[1:])
    p95_vs_stock = dict((c, rounded(median(paired_ratios(runs, 'p95_ms', c, CONFIG_STOCK)))) for c in configs[1:])
    tuned_vs = dict((c, rounded(median(paired_ratios(runs, 'tps', CONFIG_TUNED, c)))) for c in calculators)
    known = dict((c, r) for c, r in tuned_vs.items() if r is not None)
    strongest = min(known, key=known.get) if known else None
    per_config = {}
    for config in configs:
        mine = [r for r in runs if r['config'] == config]
        per_config[config] = {
            'tps_median': rounded(median([r.get('tps') for r in mine]), 1),
            'p95_ms_median': rounded(median([r.get('p95_ms') for r in mine]), 2),
            'peak_memory_mib': rounded(max([r.get('peak_memory_bytes') or 0 for r in mine] or [0]) / 2 ** 20, 1),
            'oom_kills': sum(1 for r in mine if r.get('oom_killed')),
            'max_connections': mine[-1].get('max_connections') if mine else None,
            'storm_clients': mine[-1].get('storm_clients') if mine else None,
            'storm_ok': all(r.get('storm_ok') for r in mine) if mine else None,
            'runs': len(mine),
        }
    tuned_vs_stock = tps_vs_stock[CONFIG_TUNED]
    tuned_vs_calculator = known.get(strongest)
    return {
        'tuned_vs_stock': tuned_vs_stock,
        'tuned_vs_calculator': tuned_vs_calculator,
        'oom_kills': sum(c['oom_kills'] for c in per_config.values()),
        'strongest_calculator': strongest,
        'tuned_vs_calculators': tuned_vs,
        'tps_vs_stock': tps_vs_stock,
        'p95_latency_vs_stock': p95_vs_stock,
        'configs': per_config,
        'goal_met': bool(tuned_vs_stock is not None and tuned_vs_calculator is not None
                         and tuned_vs_stock >= goal_vs_stock and tuned_vs_calculator >= goal_vs_calculator),
    }


# ---------------------------------------------------------------------------
# Parsing the load generators' output
# ---------------------------------------------------------------------------
_SYSBENCH_TPS = re.compile(r'transactions:\s+(\d+)\s+\(([0-9.]+) per sec\.\)')
_SYSBENCH_P95 = re.compile(r'95th percentile:\s+([0-9.]+)')
_PGBENCH_TPS = re.compile(r'tps = ([0-9.]+) \((?:without initial connection time|excluding connections establishing)\)')


def parse_sysbench(output):
    """(tps, p95 in ms) from sysbench 1.0's report; None where absent."""
    tps = _SYSBENCH_TPS.search(output)
    p95 = _SYSBENCH_P95.search(output)
    return (float(tps.group(2)) if tps else None, float(p95.group(1)) if p95 else None)


def parse_pgbench_tps(output):
    match = _PGBENCH_TPS.search(output)
    return float(match.group(1)) if match else None


def pgbench_latencies_ms(log_text):
    """Per-transaction latencies from pgbench -l logs (third column, microseconds), in ms."""
    latencies = []
    for line in log_text.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2].isdigit():
            latencies.append(int(fields[2]) / 1000.0)
    return latencies
