# -*- coding: utf-8 -*-
"""bench/bench_faults.py in its QUICK mode (what CI runs): a MariaDB cluster with its watcher, one run of
kill -9 of the primary and one of a replica cut off for 30 s, under an endpoint client and a client
writing straight to the primary. faults.json is complete, nothing acknowledged is lost, the replica's
partition causes no failover, the kill one, and the cluster is gone afterwards."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, container_names

# a fault benchmark: its failovers and false-failover count are judged on a quiet machine (make integration runs it alone).
pytestmark = pytest.mark.alone
BENCH = os.path.join(ROOT, 'bench', 'bench_faults.py')
KEYS = {'runs', 'acked', 'acked_lost', 'acked_lost_with_warning', 'two_writable_s', 'unavailable_s_p50',
        'unavailable_s_max', 'failovers', 'false_failovers'}


def test_quick_fault_suite_loses_nothing(docker_client, local_images, tmp_path):
    env = dict(os.environ, QUICK='1', ENGINES='mariadb', RESULTS_DIR=str(tmp_path), DBOPS_IMAGE_SOURCE='local')
    for knob in ('FAULTS', 'RUNS', 'CYCLES', 'MARIADB_IMAGE'):
        env.pop(knob, None)  # the CI mode as it is, whatever the caller's environment says
    proc = subprocess.run([sys.executable, BENCH], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    with open(str(tmp_path / 'faults.json')) as handle:
        results = json.load(handle)
    assert list(results) == ['mariadb']
    assert list(results['mariadb']) == ['kill9', 'partition_replica']
    for fault, figures in results['mariadb'].items():
        assert set(figures) == KEYS, fault
        assert None not in figures.values(), (fault, figures)
        assert figures['runs'] == 1, fault
        assert figures['acked'] > 0, fault
        assert figures['acked_lost'] == 0, (fault, figures)
        assert figures['acked_lost_with_warning'] == 0, (fault, figures)
        assert figures['two_writable_s'] == 0, (fault, figures)
        assert figures['false_failovers'] == 0, (fault, figures)
    assert results['mariadb']['kill9']['failovers'] == 1
    assert results['mariadb']['partition_replica']['failovers'] == 0
    # The endpoint kept writing while a replica was away (semi-sync still had the other one).
    assert results['mariadb']['partition_replica']['unavailable_s_max'] < 5

    with open(str(tmp_path / 'faults-runs.json')) as handle:
        meta = json.load(handle)
    runs = meta['engines']['mariadb']['runs']
    assert not [r for r in runs if r.get('error')], runs
    # Both clients wrote: the ledger covers writes through the endpoint and straight to the primary.
    assert all(r['acked_endpoint'] > 0 and r['acked_direct'] > 0 for r in runs), runs

    # Nothing of the run is left behind.
    assert not container_names(docker_client, 'bft-mariadb') + [
        n for n in container_names(docker_client, 'bft-db') if n in ('bft-db1', 'bft-db2', 'bft-db3')]
    assert not [n.name for n in docker_client.networks.list() if n.name.startswith('bft-mariadb')]
    assert not [v.name for v in docker_client.volumes.list() if v.name.startswith(('bft-db1-', 'bft-db2-', 'bft-db3-'))]
