# -*- coding: utf-8 -*-
"""bench/bench_tuning.py in its QUICK mode (what CI runs): every configuration of
both engines starts, serves the load and survives its connection storm, and
tuning.json has the agreed shape. No timing is asserted: that is the benchmark's job."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, container_names

# a benchmark: its connection storm and figures are taken on a quiet machine (make integration runs it alone).
pytestmark = pytest.mark.alone
BENCH = os.path.join(ROOT, 'bench', 'bench_tuning.py')
CONFIGS = {'mariadb': {'stock', 'tuned', 'dedicated', 'mysqltuner'}, 'postgres': {'stock', 'tuned', 'pgtune'}}


def test_quick_benchmark_runs_every_config(docker_client, local_images, tmp_path):
    env = dict(os.environ, QUICK='1', RESULTS_DIR=str(tmp_path), PLOT=str(tmp_path / 'tuning.png'),
               DBOPS_IMAGE_SOURCE='local')
    for knob in ('ROUNDS', 'SIZES', 'ENGINES', 'MEASURE_S', 'WARMUP_S', 'STORM_S'):
        env.pop(knob, None)  # the CI mode as it is, whatever the caller's environment says
    proc = subprocess.run([sys.executable, BENCH], env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    with open(str(tmp_path / 'tuning.json')) as handle:
        results = json.load(handle)
    assert set(results) == {'mariadb', 'postgres'}
    for engine, sizes in results.items():
        assert list(sizes) == ['2g']
        summary = sizes['2g']
        for key in ('tuned_vs_stock', 'tuned_vs_calculator'):
            assert isinstance(summary[key], float) and summary[key] > 0, (engine, key, summary[key])
        assert summary['oom_kills'] == 0
        assert set(summary['configs']) == CONFIGS[engine]
        for config, figures in summary['configs'].items():
            assert figures['tps_median'] > 0, (engine, config)
            assert figures['p95_ms_median'] > 0, (engine, config)
            assert figures['peak_memory_mib'] > 0, (engine, config)
            assert figures['storm_ok'] is True, (engine, config)
            assert figures['storm_clients'] >= 20, (engine, config)
        assert summary['calculator_settings']
    assert results['postgres']['2g']['calculator_settings']['pgtune']['shared_buffers'] == '512MB'
    assert (tmp_path / 'tuning.png').stat().st_size > 0

    with open(str(tmp_path / 'tuning-runs.json')) as handle:
        meta = json.load(handle)
    assert not [r for r in meta['runs'] if r.get('error')]

    # Nothing of the run is left behind: its containers, volumes and network share its prefix.
    prefix = meta['prefix']
    assert not container_names(docker_client, prefix)
    assert not [v.name for v in docker_client.volumes.list() if v.name.startswith(prefix)]
    assert not [n.name for n in docker_client.networks.list() if n.name.startswith(prefix)]
