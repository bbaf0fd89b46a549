#!/usr/bin/env python
"""How long db_container takes, measured on the local Docker engine.

For MariaDB and PostgreSQL (the project's local images): a fresh container
until it answers a query (volumes, secrets, config, init, start, wait), the
same arguments again (the idempotent no-op), and a memory change (new config,
new container on the same data volume). Medians over TRIALS runs. Writes
bench/results/provision.json.

    make bench-provision            # TRIALS=5 by default
"""

from __future__ import absolute_import, division, print_function

import json
import os
import statistics
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

from conftest import base_args, remove_everything, run_module  # noqa: E402

import docker  # noqa: E402


def timed(args):
    started = time.perf_counter()
    result = run_module('db_container', args)
    elapsed = time.perf_counter() - started
    if result.failed:
        raise SystemExit('db_container failed: %s' % result['msg'])
    return elapsed, result


def trial(client, engine):
    name = 'dbbench-%s-%s' % (engine, uuid.uuid4().hex[:6])
    args = base_args(name, engine, memory='1g', cpus=1)
    try:
        create_s = timed(args)[0]
        noop_s, noop = timed(args)
        assert noop['changed'] is False
        resize_s = timed(dict(args, memory="2g"))[0]
        stats = client.api.stats(name, stream=False)
        peak = stats.get('memory_stats', {}).get('max_usage') or stats.get('memory_stats', {}).get('usage')
        return {'create_s': create_s, 'noop_s': noop_s, 'resize_s': resize_s, 'memory_bytes': peak}
    finally:
        remove_everything(client, name)


def main():
    trials = int(os.environ.get('TRIALS', '5'))
    client = docker.from_env()
    report = {'trials': trials}
    for engine in ('mariadb', 'postgres'):
        runs = [trial(client, engine) for _trial in range(trials)]
        report[engine] = dict((key, round(statistics.median(r[key] for r in runs), 3))
                              for key in ('create_s', 'noop_s', 'resize_s'))
        report[engine]['peak_memory_mib'] = round(max(r['memory_bytes'] or 0 for r in runs) / 2 ** 20, 1)
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'provision.json'), 'w') as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
