#!/usr/bin/env python
"""Failover measured on real servers: RTO, RPO, async-mode loss, false alarm, switchover pause.

Builds a 3-node MariaDB cluster (semi-sync, HAProxy writer 127.0.0.1:17446) and a 2-node
PostgreSQL cluster (synchronous, PgBouncer 127.0.0.1:17432) with playbooks/cluster.yml on
bench/inventory/failover.yml, deploys the watchers (playbooks/watcher.yml), then per engine:

- TRIALS (default 10) kill -9 trials: a load client writes one row per autocommit transaction
  through the endpoint and keeps a ledger of every acknowledged id; `docker kill` of the primary;
  RTO = kill -> first acknowledged write through the endpoint served by another node. After the
  watcher's `failover` event, every acknowledged id must be on the new primary (acked_lost).
  The old primary is re-joined with db_failover mode rejoin (in-process) and the next trial kills
  the new primary.
- ASYNC_TRIALS (default 3) the same with semi-sync / synchronous replication off: async_lost.
- MariaDB only: false alarm (one replica cut off from the network for 10 s).
- Both engines: SWITCHOVERS (default 3) planned switchovers (db_failover mode switchover, the
  watcher stopped as playbooks/failover.yml does) under load: the longest gap between acknowledged
  writes. switchover_pause_s is the worse of the two engines' medians.
- ONLY=switchover: the switchovers alone (no kill trials, no false alarm).

Writes bench/results/failover.json (ONLY=switchover: switchover.json); removes everything at the end, also on failure.
Percentiles are nearest-rank (p99 of 10 trials = the slowest).

    make bench-failover [TRIALS=10] [ASYNC_TRIALS=3] [SWITCHOVERS=3] [ONLY=switchover]
"""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys
import threading
import time
import traceback

import docker
import psycopg2
import pymysql

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, '.build', 'collections'))

import failover_stats as fs  # noqa: E402

INVENTORY = os.path.join(HERE, 'inventory', 'failover.yml')
SECRETS = os.path.join(ROOT, '.build', 'bench-failover-secrets')
TABLE = 'bfo_ledger'

MARIADB = {
    'engine': 'mariadb', 'nodes': ['bfo-db1', 'bfo-db2', 'bfo-db3'], 'network': 'bfo-mariadb-net',
    'endpoint': {'type': 'haproxy', 'container': 'bfo-mariadb-haproxy'}, 'watcher': 'bfo-mariadb-watcher',
    'port': 17446, 'secret': 'mariadb',
}
POSTGRES = {
    'engine': 'postgres', 'nodes': ['bfo-pg1', 'bfo-pg2'], 'network': 'bfo-postgres-net',
    'endpoint': {'type': 'pgbouncer', 'container': 'bfo-postgres-pgbouncer'}, 'watcher': 'bfo-postgres-watcher',
    'port': 17432, 'secret': 'postgres',
}

DOCKER = docker.from_env()


def log(message):
    sys.stdout.write('[%s] %s\n' % (time.strftime('%H:%M:%S'), message))
    sys.stdout.flush()


def secret(name):
    with open(os.path.join(SECRETS, name)) as handle:
        return handle.read().split(' salt=')[0].strip()


# ------------------------------------------------------------------ ansible
def playbook(name, *extra):
    started = time.time()
    proc = subprocess.run(['ansible-playbook', '-i', INVENTORY, os.path.join(ROOT, 'playbooks', name)] + list(extra),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-2000:])
        raise RuntimeError('%s %s failed (rc=%d)' % (name, ' '.join(extra), proc.returncode))
    return round(time.time() - started, 1)


def teardown():
    for args in (('watcher.yml', '-e', 'watcher_state=absent'),
                 ('cluster.yml', '-e', 'cluster_state=absent', '-e', 'cluster_purge_data=true')):
        try:
            playbook(*args)
        except Exception as exc:  # noqa: BLE001 - clean up as much as possible
            log('cleanup: %s' % exc)


# ------------------------------------------------------------------ docker helpers
def inspect(name):
    return DOCKER.api.inspect_container(name)


def address(name, network):
    return ((inspect(name)['NetworkSettings'].get('Networks') or {}).get(network) or {}).get('IPAddress')


def watcher_events(cluster, since):
    raw = DOCKER.api.logs(cluster['watcher'], stdout=True, stderr=True, since=int(since) - 1)
    text = raw.decode('utf-8', 'replace')
    return [e for e in fs.parse_watcher_log(text) if (e.get('t') or 0) >= since]


def failover_params(cluster, **extra):
    params = {
        'engine': cluster['engine'], 'nodes': [{'name': n, 'priority': 0} for n in cluster['nodes']],
        'network': cluster['network'], 'endpoint': dict(cluster['endpoint']),
        'replication_password': secret('%s-replication' % cluster['secret']),
        'semi_sync': True, 'semi_sync_timeout': 10000, 'synchronous': cluster['engine'] == 'postgres',
        'probes': 3, 'probe_interval': 0.5, 'probe_timeout': 1.0, 'max_lag': 30, 'wait_timeout': 60,
        'force': False,
    }
    params.update(extra)
    return params


def failover_run(cluster, **extra):
    from ansible_collections.dbops.containers.plugins.module_utils.failover import orchestrator as failover
    return failover.run(failover_params(cluster, **extra))


# ------------------------------------------------------------------ SQL, direct to a node
def node_conn(cluster, name):
    host = address(name, cluster['network'])
    if cluster['engine'] == 'mariadb':
        return pymysql.connect(host=host, port=3306, user='root', password=secret('mariadb-root'),
                               database='production', autocommit=True, connect_timeout=3, read_timeout=15)
    conn = psycopg2.connect(host=host, port=5432, user='postgres', password=secret('postgres-root'),
                            dbname='production', connect_timeout=3)
    conn.autocommit = True
    return conn


def node_rows(cluster, name, sql, params=None):
    conn = node_conn(cluster, name)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def primary_of(cluster):
    """The node that answers as a writable primary (exactly one), else None."""
    found = []
    for name in cluster['nodes']:
        if not inspect(name)['State'].get('Running'):
            continue
        try:
            if cluster['engine'] == 'mariadb':
                ro = node_rows(cluster, name, 'SELECT @@GLOBAL.read_only')[0][0]
                if not int(ro):
                    found.append(name)
            elif not node_rows(cluster, name, 'SELECT pg_is_in_recovery()')[0][0]:
                found.append(name)
        except Exception:  # noqa: BLE001 - a node that does not answer is not a primary
            continue
    return found[0] if len(found) == 1 else None


def healthy(cluster, primary, sync=True):
    """Every other running node replicates from primary (and acknowledges synchronously when sync)."""
    others = [n for n in cluster['nodes'] if n != primary and n not in State.broken]
    try:
        if cluster['engine'] == 'mariadb':
            for name in others:
                conn = node_conn(cluster, name)
                try:
                    with conn.cursor(pymysql.cursors.DictCursor) as cur:
                        cur.execute('SHOW SLAVE STATUS')
                        row = cur.fetchone()
                finally:
                    conn.close()
                if not row or row['Slave_IO_Running'] != 'Yes' or row['Slave_SQL_Running'] != 'Yes':
                    return False
            if sync:
                status = dict(node_rows(cluster, primary, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'"))
                return (status.get('Rpl_semi_sync_master_status') == 'ON'
                        and int(status.get('Rpl_semi_sync_master_clients') or 0) >= len(others))
            return True
        rows = node_rows(cluster, primary, "SELECT application_name, state, sync_state FROM pg_stat_replication")
        streaming = [r for r in rows if r[1] == 'streaming']
        if len(streaming) < len(others):
            return False
        return not sync or any(r[2] in ('sync', 'quorum') for r in streaming)
    except Exception:  # noqa: BLE001
        return False


def wait_healthy(cluster, primary, sync=True, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if healthy(cluster, primary, sync):
            return True
        time.sleep(0.5)
    return False


def set_async(cluster, primary):
    if cluster['engine'] == 'mariadb':
        node_rows(cluster, primary, 'SET GLOBAL rpl_semi_sync_master_enabled = OFF')
        for name in cluster['nodes']:
            if name != primary and inspect(name)['State'].get('Running'):
                node_rows(cluster, name, 'SET GLOBAL rpl_semi_sync_slave_enabled = OFF')
    else:
        node_rows(cluster, primary, "ALTER SYSTEM SET synchronous_standby_names = ''")
        node_rows(cluster, primary, 'SELECT pg_reload_conf()')


def create_table(cluster, primary):
    if cluster['engine'] == 'mariadb':
        node_rows(cluster, primary, 'CREATE TABLE IF NOT EXISTS %s (id BIGINT PRIMARY KEY, trial INT NOT NULL, '
                                    'at DOUBLE NOT NULL) ENGINE=InnoDB' % TABLE)
    else:
        node_rows(cluster, primary, 'CREATE TABLE IF NOT EXISTS %s (id BIGINT PRIMARY KEY, trial INT NOT NULL, '
                                    'at DOUBLE PRECISION NOT NULL)' % TABLE)
        node_rows(cluster, primary, 'GRANT ALL ON %s TO appuser' % TABLE)


# ------------------------------------------------------------------ the load client
class Load(object):
    """One writer through the endpoint: one row per autocommit transaction, ids increasing; every
    acknowledged id goes to the ledger with its ack time and the server that took it."""

    def __init__(self, cluster, trial, first_id):
        self.cluster, self.trial, self.next_id = cluster, trial, first_id
        self.acks, self.errors = [], []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, name='load')

    def _connect(self):
        if self.cluster['engine'] == 'mariadb':
            conn = pymysql.connect(host='127.0.0.1', port=self.cluster['port'], user='appuser',
                                   password=secret('mariadb-app'), database='production', autocommit=True,
                                   connect_timeout=2, read_timeout=3, write_timeout=3)
            with conn.cursor() as cur:
                cur.execute('SELECT @@hostname')
                server = cur.fetchone()[0]
        else:
            conn = psycopg2.connect(host='127.0.0.1', port=self.cluster['port'], user='appuser',
                                    password=secret('postgres-app'), dbname='production', connect_timeout=2)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute('SET statement_timeout = 3000')
                cur.execute('SELECT inet_server_addr()::text')
                server = cur.fetchone()[0].split('/')[0]
        return conn, server

    def _run(self):
        conn, server = None, None
        sql = 'INSERT INTO %s (id, trial, at) VALUES (%%s, %%s, %%s)' % TABLE
        while not self.stop_flag.is_set():
            try:
                if conn is None:
                    conn, server = self._connect()
                row_id = self.next_id
                self.next_id += 1      # an id whose outcome is unknown is never reused
                with conn.cursor() as cur:
                    cur.execute(sql, (row_id, self.trial, time.time()))
                self.acks.append((row_id, time.time(), server))
            except Exception as exc:  # noqa: BLE001 - every failure: reconnect after a short backoff
                self.errors.append((time.time(), type(exc).__name__, str(exc)[:160]))
                try:
                    if conn is not None:
                        conn.close()
                except Exception:  # noqa: BLE001
                    pass
                conn = None
                time.sleep(0.02)
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join(30)


def present_ids(cluster, node, trial):
    return [r[0] for r in node_rows(cluster, node, 'SELECT id FROM %s WHERE trial = %%s' % TABLE, (trial,))]


# ------------------------------------------------------------------ one kill -9 trial
class State(object):
    broken = set()      # nodes whose rejoin failed: not waited for
    next_id = 1
    trial = 0


def kill_trial(cluster, primary, sync):
    State.trial += 1
    trial = State.trial
    record = {'trial': trial, 'mode': 'sync' if sync else 'async', 'killed': primary}
    if not wait_healthy(cluster, primary, sync=sync):
        record['warning'] = 'cluster not fully %s before the kill' % ('synchronous' if sync else 'replicating')
        if not wait_healthy(cluster, primary, sync=False, timeout=30):
            log('  cluster not replicating before trial %d' % trial)
    if not sync:
        set_async(cluster, primary)
    old_server = (inspect(primary)['Config']['Hostname'] if cluster['engine'] == 'mariadb'
                  else address(primary, cluster['network']))
    load = Load(cluster, trial, State.next_id).start()
    time.sleep(2.0)
    kill_at = time.time()
    DOCKER.api.kill(primary)
    new_primary, failover_event, first = None, None, None
    deadline = kill_at + 90
    while time.time() < deadline:
        time.sleep(0.2)
        if first is None:
            first = fs.first_ack_after(list(load.acks), kill_at, not_server=old_server)
        if failover_event is None:
            done = fs.events_named(watcher_events(cluster, kill_at), 'failover')
            failover_event = done[0] if done else None
        if first is not None and failover_event is not None:
            break
    time.sleep(1.0)
    load.stop()
    State.next_id = load.next_id + 1
    events = watcher_events(cluster, kill_at)
    dead = fs.events_named(events, 'primary_dead')
    record['watcher_errors'] = [e.get('error') for e in fs.events_named(events, 'error')][:5]
    if failover_event is None:
        record['error'] = 'no failover event within 90 s'
        new_primary = primary_of(cluster)
    else:
        new_primary = failover_event['new_primary']
        record['failover_timeline'] = failover_event.get('timeline')
    record['new_primary'] = new_primary
    acked = [a[0] for a in load.acks]
    record['acked'] = len(acked)
    record['client_errors'] = len(load.errors)
    record['first_errors'] = sorted(set(e[2] for e in load.errors))[:3]
    if first is not None:
        record.update(fs.timeline_shares(kill_at, first[0], dead[0]['t'] if dead else None,
                                         failover_event.get('timeline') if failover_event else None))
    else:
        record['rto_s'] = None
    if new_primary:
        missing = fs.missing_ids(acked, present_ids(cluster, new_primary, trial))
        record['acked_lost'] = len(missing)
        record['lost_ids'] = missing[:20]
    else:
        record['acked_lost'] = None
    # The old primary: fenced (not writable when started) -> rejoin as a replica of the new primary.
    started = time.time()
    try:
        if cluster['engine'] == 'postgres' and PG_PID_WORKAROUND:
            record['rejoin_workaround'] = clear_postmaster_pid(primary)
        record['rejoin_result'] = failover_run(cluster, mode='rejoin', node=primary, primary=new_primary, force=True).get('reseeded')
        record['rejoin_s'] = round(time.time() - started, 2)
        State.broken.discard(primary)
    except Exception as exc:  # noqa: BLE001 - measured and reported, the next trial goes on
        record['rejoin_error'] = str(exc)[:400]
        State.broken.add(primary)
    if RESTART_WATCHER_AFTER_REJOIN:
        # Work around a watcher bug (see docs/benchmarks-failover.md): it refreshes only the primary's
        # container state, so a node that was stopped when it started stays 'not running' to it: no
        # observer, no candidate, and never re-pointed at the next failover. A restart re-reads them.
        record['watcher_restarted'] = restart_watcher(cluster, new_primary)
    log('  %s trial %d (%s): killed %s -> %s, RTO %s s, %s acked, lost %s, rejoin %s' % (
        cluster['engine'], trial, record['mode'], primary, new_primary, record.get('rto_s'), len(acked),
        record['acked_lost'], record.get('rejoin_s', record.get('rejoin_error'))))
    return record, new_primary


RESTART_WATCHER_AFTER_REJOIN = os.environ.get('RESTART_WATCHER_AFTER_REJOIN', '0') == '1'
PG_PID_WORKAROUND = os.environ.get('PG_PID_WORKAROUND', '0') == '1'


def clear_postmaster_pid(name):
    """Work around a rejoin bug (see docs/benchmarks-failover.md): the kill -9'd postmaster left
    postmaster.pid naming PID 1, and pg_rewind's crash-recovery run inside db_failover's one-shot
    container (where PID 1 is its shell) refuses to start. The node is stopped: remove the stale file."""
    info = inspect(name)
    if info['State'].get('Running'):
        return False
    volume = [m['Name'] for m in info.get('Mounts') or [] if m.get('Destination') == '/var/lib/postgresql/data'][0]
    DOCKER.containers.run(info['Config']['Image'], ['-f', '/d/postmaster.pid'], entrypoint='rm', remove=True,
                          volumes={volume: {'bind': '/d', 'mode': 'rw'}}, labels={'bench.dbops': 'true'},
                          network_mode='none')
    return True


# ------------------------------------------------------------------ false alarm, switchover (MariaDB)
def false_alarm(cluster, primary):
    replica = [n for n in cluster['nodes'] if n != primary][-1]
    load = Load(cluster, 900000 + State.trial, State.next_id).start()
    time.sleep(1.0)
    started = time.time()
    DOCKER.api.disconnect_container_from_network(replica, cluster['network'])
    time.sleep(10.0)
    DOCKER.api.connect_container_to_network(replica, cluster['network'], aliases=[replica])
    reconnected = time.time()
    time.sleep(5.0)
    load.stop()
    State.next_id = load.next_id + 1
    events = watcher_events(cluster, started)
    promotions = len(fs.events_named(events, 'failover'))
    after = primary_of(cluster)
    times = [a[1] for a in load.acks]
    record = {'cut_off': replica, 'primary_before': primary, 'primary_after': after,
              'failover_events': promotions, 'partial_view_events': len(fs.events_named(events, 'partial_view')),
              'promotions': max(promotions, 0 if after == primary else 1),
              'acked_during': len(times), 'max_write_gap_s': round(fs.max_gap(times, started, reconnected), 3)}
    record['replica_back_s'] = None
    if wait_healthy(cluster, primary, sync=True, timeout=30):
        record['replica_back_s'] = round(time.time() - reconnected, 1)
    else:
        # The IO thread waits master_connect_retry (60 s) before it tries again: nudge it.
        node_rows(cluster, replica, 'STOP SLAVE')
        node_rows(cluster, replica, 'START SLAVE')
        record['replica_restarted'] = True
        record['replica_back_ok'] = wait_healthy(cluster, primary, sync=True, timeout=60)
    log('  false alarm: %s cut off 10 s, promotions %d, primary %s -> %s' % (replica, record['promotions'],
                                                                             primary, after))
    return record


def switchover(cluster, primary):
    """One planned switchover under load, as playbooks/failover.yml runs it: the watcher is stopped
    first (a PostgreSQL switchover stops the old primary on purpose) and started again after."""
    State.trial += 1
    trial = State.trial
    wait_healthy(cluster, primary, sync=True)
    DOCKER.api.stop(cluster['watcher'], timeout=5)
    load = Load(cluster, trial, State.next_id).start()
    time.sleep(2.0)
    started = time.time()
    try:
        result = failover_run(cluster, mode='switchover')
    finally:
        ended = time.time()
        time.sleep(1.5)
        stopped = time.time()
        load.stop()
        State.next_id = load.next_id + 1
    times = [a[1] for a in load.acks]
    new_primary = result['new_primary']
    missing = fs.missing_ids([a[0] for a in load.acks], present_ids(cluster, new_primary, trial))
    record = {'trial': trial, 'old_primary': primary, 'new_primary': new_primary,
              'client_pause_s': round(fs.max_gap(times, started, ended, stopped), 3),
              'acked_after_switchover': len([t for t in times if t > ended]),
              'client_errors': sorted(set(e[1] + ': ' + e[2][:80] for e in load.errors))[:5],
              'write_pause_s': result.get('write_pause_s'), 'module_s': round(ended - started, 3),
              'acked': len(times), 'acked_lost': len(missing),
              'timeline': dict((e['event'], e['at']) for e in result.get('timeline') or [])}
    if not record['acked_after_switchover']:
        record['endpoint_log'] = DOCKER.api.logs(cluster['endpoint']['container'], tail=40).decode('utf-8', 'replace')
    log('  switchover %s -> %s: client pause %s s, module write_pause %s s, acked after %d, timeline %s' % (
        primary, new_primary, record['client_pause_s'], record['write_pause_s'], record['acked_after_switchover'],
        record['timeline']))
    wait_healthy(cluster, new_primary, sync=True)
    restart_watcher(cluster, new_primary)
    return record, new_primary


def switchovers(cluster, primary, count):
    records = []
    for _number in range(count):
        record, primary = switchover(cluster, primary)
        records.append(record)
    return records, primary


def restart_watcher(cluster, expected):
    """The watcher learns the primary and the nodes' state once, at start (see the report): after a
    rejoin or a switchover made outside it, restart it so it watches the right primary."""
    since = time.time()
    DOCKER.api.restart(cluster['watcher'], timeout=5)
    deadline = time.time() + 30
    while time.time() < deadline:
        watching = fs.events_named(watcher_events(cluster, since), 'watching')
        if watching:
            return watching[0].get('primary')
        time.sleep(0.5)
    return None


# ------------------------------------------------------------------ per engine
def engine_runs(cluster, trials, async_trials, extra=None):
    primary = cluster['nodes'][0]
    create_table(cluster, primary)
    sync_runs, async_runs = [], []
    for _trial in range(trials):
        record, primary = kill_trial(cluster, primary, sync=True)
        sync_runs.append(record)
        if not primary:
            raise RuntimeError('%s: no primary after trial %d' % (cluster['engine'], record['trial']))
    if extra:
        primary = extra(primary)
    for _trial in range(async_trials):
        record, primary = kill_trial(cluster, primary, sync=False)
        async_runs.append(record)
        if not primary:
            break
    rtos = [r.get('rto_s') for r in sync_runs]
    summary = fs.summarize(rtos)
    lost = [r.get('acked_lost') for r in sync_runs]
    return {
        'trials': len(sync_runs),
        'rto_p50_s': summary['p50'], 'rto_p99_s': summary['p99'],
        'acked_lost': sum(v for v in lost if v is not None) if None not in lost else None,
        'async_lost': sum(r.get('acked_lost') or 0 for r in async_runs),
        'async_trials': len(async_runs),
        'rto_min_s': summary['min'], 'rto_max_s': summary['max'],
        'rto_s': rtos,
        'detection_s_median': fs.median([r.get('detection_s') for r in sync_runs]),
        'promotion_s_median': fs.median([r.get('promotion_s') for r in sync_runs]),
        'endpoint_s_median': fs.median([r.get('endpoint_s') for r in sync_runs]),
        'client_s_median': fs.median([r.get('client_s') for r in sync_runs]),
        'async_rto_s': [r.get('rto_s') for r in async_runs],
        'runs': sync_runs, 'async_runs': async_runs,
    }


def _stop(_signum, _frame):
    raise SystemExit('stopped by a signal: cleaning up')


def main():
    import signal
    signal.signal(signal.SIGTERM, _stop)   # `kill` still runs the cleanup in the finally below
    trials = int(os.environ.get('TRIALS', '10'))
    async_trials = int(os.environ.get('ASYNC_TRIALS', '3'))
    switchover_count = int(os.environ.get('SWITCHOVERS', '3'))
    only_switchovers = os.environ.get('ONLY') == 'switchover'
    if only_switchovers:
        trials = async_trials = 0
    report = {'command': ('make bench-failover ONLY=switchover SWITCHOVERS=%d' % switchover_count if only_switchovers
                          else 'make bench-failover TRIALS=%d ASYNC_TRIALS=%d SWITCHOVERS=%d'
                          % (trials, async_trials, switchover_count)),
              'percentile': 'nearest-rank', 'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
              'host': {'cpus': os.cpu_count(), 'kernel': os.uname().release}}
    extras = {'switchovers': {}}
    try:
        teardown()
        report['build_s'] = {'clusters': playbook('cluster.yml'), 'watchers': playbook('watcher.yml')}
        with open(os.path.join(INVENTORY)) as handle:
            report['watcher_probe_interval_s'] = float([line.split(':')[1] for line in handle
                                                        if 'failover_watcher_probe_interval' in line][0])
        report['watcher_probes'] = 3

        def extra_for(cluster, with_false_alarm):
            def extra(primary):
                if with_false_alarm and not only_switchovers:
                    extras['false_alarm'] = false_alarm(cluster, primary)
                extras['switchovers'][cluster['engine']], primary = switchovers(cluster, primary, switchover_count)
                return primary
            return extra

        log('MariaDB: %d trials, then false alarm, %d switchovers, %d async trials'
            % (trials, switchover_count, async_trials))
        report['mariadb'] = engine_runs(MARIADB, trials, async_trials, extra_for(MARIADB, True))
        log('PostgreSQL: %d trials, %d switchovers, %d async trials' % (trials, switchover_count, async_trials))
        report['postgres'] = engine_runs(POSTGRES, trials, async_trials, extra_for(POSTGRES, False))
        pauses = dict((engine, fs.median([s['client_pause_s'] for s in records]))
                      for engine, records in extras['switchovers'].items())
        # The goal holds for each engine: the figure is the worse of the two medians.
        report['switchover_pause_s'] = max(pauses.values()) if pauses else None
        report['switchover_pause_s_by_engine'] = pauses
        report['switchover_write_pause_s_module'] = dict(
            (engine, [s['write_pause_s'] for s in records]) for engine, records in extras['switchovers'].items())
        report['switchovers'] = extras['switchovers']
        if 'false_alarm' in extras:
            report['false_alarm_promotions'] = extras['false_alarm']['promotions']
            report['false_alarm'] = extras['false_alarm']
    except Exception:
        report['error'] = traceback.format_exc()[-3000:]
        report.update({k: v for k, v in (('switchovers', extras.get('switchovers')),
                                         ('false_alarm', extras.get('false_alarm'))) if v})
        log(report['error'])
    finally:
        log('cleaning up')
        teardown()
    report['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    # ONLY=switchover keeps the full run's failover.json.
    name = 'switchover.json' if only_switchovers else 'failover.json'
    with open(os.path.join(HERE, 'results', name), 'w') as handle:
        json.dump(report, handle, indent=2, default=str)
    keys = ('trials', 'rto_p50_s', 'rto_p99_s', 'acked_lost', 'async_lost')
    print(json.dumps({
        'mariadb': dict((k, (report.get('mariadb') or {}).get(k)) for k in keys),
        'postgres': dict((k, (report.get('postgres') or {}).get(k)) for k in keys),
        'switchover_pause_s': report.get('switchover_pause_s'),
        'switchover_pause_s_by_engine': report.get('switchover_pause_s_by_engine'),
        'false_alarm_promotions': report.get('false_alarm_promotions')}, indent=2))
    if report.get('error'):
        raise SystemExit(1)


if __name__ == '__main__':
    main()
