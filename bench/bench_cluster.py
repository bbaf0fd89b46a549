#!/usr/bin/env python
"""From a Docker host with the images present to replicating clusters, timed.

Runs playbooks/cluster.yml on bench/inventory/cluster.yml: a 3-node MariaDB cluster
(primary + 2 semi-sync replicas + HAProxy) and a 2-node PostgreSQL cluster (primary +
streaming standby + PgBouncer), each timed on its own from nothing (no container, no
volume, no network) until the playbook returns, which is when every replica has caught
up and the standby streams (db_replication waits for that). Then the whole playbook
again: the changed count of that rerun must be 0. Then everything is removed.
Medians over TRIALS (default 1). Writes bench/results/cluster.json.

    make bench-cluster [TRIALS=3]
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
INVENTORY = os.path.join(HERE, 'inventory', 'cluster.yml')
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'cluster.yml')
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.MULTILINE)


def playbook(*extra):
    """Run cluster.yml; (seconds, {host: changed}). Exits on a failed run."""
    started = time.perf_counter()
    proc = subprocess.run(['ansible-playbook', '-i', INVENTORY, PLAYBOOK] + list(extra),
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    recap = dict((host, int(changed)) for host, changed, unreachable, failed in RECAP.findall(proc.stdout))
    failed = [host for host, _c, unreachable, failed in RECAP.findall(proc.stdout) if int(failed) or int(unreachable)]
    if proc.returncode != 0 or failed:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-2000:])
        raise SystemExit('cluster.yml failed (%s)' % ', '.join(failed or ['rc=%d' % proc.returncode]))
    return elapsed, recap


def remove_all():
    playbook('-e', 'cluster_state=absent', '-e', 'cluster_purge_data=true')


def trial():
    remove_all()
    mariadb_s = playbook('--limit', 'mysql_cluster')[0]
    postgres_s = playbook('--limit', 'postgresql_cluster')[0]
    rerun_s, recap = playbook()
    return {'mariadb_cluster_s': mariadb_s, 'postgres_cluster_s': postgres_s, 'rerun_s': rerun_s,
            'rerun_changed': sum(recap.values())}


def main():
    trials = int(os.environ.get('TRIALS', '1'))
    runs = []
    try:
        for number in range(trials):
            runs.append(trial())
            print('trial %d: %s' % (number + 1, json.dumps(runs[-1])))
    finally:
        remove_all()
    report = {
        'mariadb_cluster_s': round(statistics.median(r['mariadb_cluster_s'] for r in runs), 2),
        'postgres_cluster_s': round(statistics.median(r['postgres_cluster_s'] for r in runs), 2),
        'rerun_s': round(statistics.median(r['rerun_s'] for r in runs), 2),
        'rerun_changed': max(r['rerun_changed'] for r in runs),
        'trials': trials,
        'runs': runs,
        'command': 'make bench-cluster TRIALS=%d' % trials,
    }
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'cluster.json'), 'w') as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(dict((k, v) for k, v in report.items() if k != 'runs'), indent=2))


if __name__ == '__main__':
    main()
