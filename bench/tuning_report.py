#!/usr/bin/env python
"""bench/results/tuning.json as the Markdown tables of docs/benchmarks.md ("Tuning").

    .venv/bin/python bench/tuning_report.py [bench/results/tuning.json]
"""

from __future__ import absolute_import, division, print_function

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIMITS = {'4g': '4 GiB / 2 CPUs', '2g': '2 GiB / 1 CPU'}
ENGINES = {'mariadb': 'MariaDB 10.11', 'postgres': 'PostgreSQL 15'}


def ratio(value):
    return '-' if value is None else '%.2f×' % value


def measured(results):
    """(engine, size, summary) for every engine and size the run measured, in the tables' order."""
    for engine in ('mariadb', 'postgres'):
        for size in ('4g', '2g'):
            summary = results.get(engine, {}).get(size)
            if summary:
                yield engine, size, summary


def summary_table(results):
    lines = ['| engine | limits | tuned ÷ stock (TPS) | tuned ÷ strongest calculator (TPS) | tuned ÷ stock (p95) '
             '| OOM kills | goal met |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for engine, size, summary in measured(results):
        lines.append('| %s | %s | **%s** | **%s** (%s) | %s | %d | %s |' % (
            ENGINES[engine], LIMITS[size], ratio(summary['tuned_vs_stock']),
            ratio(summary['tuned_vs_calculator']), summary['strongest_calculator'],
            ratio(summary['p95_latency_vs_stock'].get('tuned')), summary['oom_kills'],
            'yes' if summary['goal_met'] else 'no'))
    return '\n'.join(lines)


def detail_table(results):
    lines = ['| engine | limits | configuration | TPS (median) | p95 ms (median) | TPS ÷ stock | p95 ÷ stock '
             '| max_connections (storm clients) | peak memory | OOM |',
             '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for engine, size, summary in measured(results):
        order = ['stock', 'tuned'] + sorted(c for c in summary['configs'] if c not in ('stock', 'tuned'))
        for config in order:
            figures = summary['configs'][config]
            lines.append('| %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s MiB | %d |' % (
                ENGINES[engine], LIMITS[size], config, figures['tps_median'], figures['p95_ms_median'],
                '1' if config == 'stock' else ratio(summary['tps_vs_stock'].get(config)),
                '1' if config == 'stock' else ratio(summary['p95_latency_vs_stock'].get(config)),
                figures['max_connections'], figures['storm_clients'], figures['peak_memory_mib'],
                figures['oom_kills']))
    return '\n'.join(lines)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'results', 'tuning.json')
    with open(path) as handle:
        results = json.load(handle)
    print(summary_table(results))
    print()
    print(detail_table(results))


if __name__ == '__main__':
    main()
