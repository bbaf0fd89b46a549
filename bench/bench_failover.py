#!/usr/bin/env python
"""Failover measured on real servers: RTO, RPO, async-mode loss, false alarm, switchover pause.

One cluster per engine, built and measured one after the other (only one cluster runs at a time):

- mysql: MySQL (default 9.7), a primary and two semi-sync replicas (semisync_source/replica plugins,
  AFTER_SYNC, timeout 10 s) behind HAProxy 127.0.0.1:17456; the replicas start as fresh
  official-contract nodes and mysql_cluster seeds them by CLONE (bench/inventory/failover-mysql.yml);
- mariadb: MariaDB (default 11.8), the same shape, HAProxy 127.0.0.1:17446 (failover-mariadb.yml);
- postgres: PostgreSQL (default 18), a primary and a synchronous standby behind PgBouncer
  127.0.0.1:17432 (failover-postgres.yml);

each built with playbooks/cluster.yml and watched by its watcher (playbooks/watcher.yml). Per engine:

- TRIALS (default 10) kill -9 trials: a load client writes one row per autocommit transaction
  through the endpoint and keeps a ledger of every acknowledged id; `docker kill` of the primary;
  RTO = kill -> first acknowledged write through the endpoint served by another node. After the
  watcher's `failover` event, every acknowledged id must be on the new primary (acked_lost).
  The old primary is re-joined with db_failover mode rejoin and force (in-process: a node killed
  while an AFTER_SYNC commit waited for its acknowledgement keeps that commit after crash recovery,
  so it is rebuilt from the new primary) and the next trial kills the new primary.
- ASYNC_TRIALS (default 3) the same with semi-sync / synchronous replication off: async_lost.
- MySQL and MariaDB: false alarm (one replica cut off from the network for 10 s).
- SWITCHOVERS (default 3) planned switchovers (db_failover mode switchover, the watcher stopped as
  playbooks/failover.yml does) under load: the longest gap between acknowledged writes.
  switchover_pause_s is the worst of the engines' medians.
- ONLY=switchover: the switchovers alone (no kill trials, no false alarm).

Engines and images (failover_stats.DEFAULT_IMAGES: the newest of each engine):
  ENGINES=mysql,mariadb,postgres (default: all three, in that order)
  MYSQL_IMAGE=localhost/dbops/mysql:9.7  MARIADB_IMAGE=localhost/dbops/mariadb:11.8
  POSTGRES_IMAGE=localhost/dbops/postgres:18   (e.g. MARIADB_IMAGE=localhost/dbops/mariadb:10.11)

Writes bench/results/failover.json (ONLY=switchover: switchover.json; RESULT=name.json: another
name, for trial runs); removes each cluster after its engine, also on failure.
Percentiles are nearest-rank (p99 of 10 trials = the slowest).

    make bench-failover [ENGINES=mysql,mariadb,postgres] [TRIALS=10] [ASYNC_TRIALS=3] [SWITCHOVERS=3]
                        [ONLY=switchover] [MYSQL_IMAGE=...] [MARIADB_IMAGE=...] [POSTGRES_IMAGE=...]
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

SECRETS = os.path.join(ROOT, '.build', 'bench-failover-secrets')
TABLE = 'bfo_ledger'

# Per engine: its inventory, containers, endpoint, the secret files' prefix (bench/inventory/group_vars)
# and the role variable that takes its image.
CLUSTERS = {
    'mysql': {
        'engine': 'mysql', 'inventory': 'failover-mysql.yml', 'image_var': 'mysql_image',
        'nodes': ['bfo-my1', 'bfo-my2', 'bfo-my3'], 'network': 'bfo-mysql-net',
        'endpoint': {'type': 'haproxy', 'container': 'bfo-mysql-haproxy'}, 'watcher': 'bfo-mysql-watcher',
        'port': 17456, 'secret': 'mysql', 'false_alarm': True,
    },
    'mariadb': {
        'engine': 'mariadb', 'inventory': 'failover-mariadb.yml', 'image_var': 'mysql_image',
        'nodes': ['bfo-db1', 'bfo-db2', 'bfo-db3'], 'network': 'bfo-mariadb-net',
        'endpoint': {'type': 'haproxy', 'container': 'bfo-mariadb-haproxy'}, 'watcher': 'bfo-mariadb-watcher',
        'port': 17446, 'secret': 'mariadb', 'false_alarm': True,
    },
    'postgres': {
        'engine': 'postgres', 'inventory': 'failover-postgres.yml', 'image_var': 'postgresql_image',
        'nodes': ['bfo-pg1', 'bfo-pg2'], 'network': 'bfo-postgres-net',
        'endpoint': {'type': 'pgbouncer', 'container': 'bfo-postgres-pgbouncer'}, 'watcher': 'bfo-postgres-watcher',
        'port': 17432, 'secret': 'postgres', 'false_alarm': False,
    },
}

# The words that differ between MySQL and MariaDB, as each server's manual names them. MySQL 8.4 and 9.x
# have only the REPLICA/SOURCE forms of the semi-sync plugins' variables (the semisync_master/slave
# plugins were removed in 9.0); MariaDB keeps its built-in rpl_semi_sync_master/slave variables.
MYSQL_WORDS = {
    'mysql': {'replica_status': 'SHOW REPLICA STATUS', 'io': 'Replica_IO_Running', 'sql': 'Replica_SQL_Running',
              'semi_status': 'Rpl_semi_sync_source_status', 'semi_clients': 'Rpl_semi_sync_source_clients',
              'source_enabled': 'rpl_semi_sync_source_enabled', 'replica_enabled': 'rpl_semi_sync_replica_enabled',
              'stop': 'STOP REPLICA', 'start': 'START REPLICA'},
    'mariadb': {'replica_status': 'SHOW SLAVE STATUS', 'io': 'Slave_IO_Running', 'sql': 'Slave_SQL_Running',
                'semi_status': 'Rpl_semi_sync_master_status', 'semi_clients': 'Rpl_semi_sync_master_clients',
                'source_enabled': 'rpl_semi_sync_master_enabled', 'replica_enabled': 'rpl_semi_sync_slave_enabled',
                'stop': 'STOP SLAVE', 'start': 'START SLAVE'},
}

DOCKER = docker.from_env()


def log(message):
    sys.stdout.write('[%s] %s\n' % (time.strftime('%H:%M:%S'), message))
    sys.stdout.flush()


def is_mysql_family(cluster):
    return cluster['engine'] in MYSQL_WORDS


def words(cluster):
    return MYSQL_WORDS[cluster['engine']]


def secret(name):
    with open(os.path.join(SECRETS, name)) as handle:
        return handle.read().split(' salt=')[0].strip()


# ------------------------------------------------------------------ ansible
def playbook(cluster, name, *extra):
    """ansible-playbook NAME on the engine's inventory, with its image (-e) -> seconds taken."""
    started = time.time()
    command = ['ansible-playbook', '-i', os.path.join(HERE, 'inventory', cluster['inventory']),
               os.path.join(ROOT, 'playbooks', name), '-e', '%s=%s' % (cluster['image_var'], cluster['image'])]
    proc = subprocess.run(command + list(extra), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-2000:])
        raise RuntimeError('%s %s on %s failed (rc=%d)' % (name, ' '.join(extra), cluster['inventory'], proc.returncode))
    return round(time.time() - started, 1)


def teardown(cluster):
    for args in (('watcher.yml', '-e', 'watcher_state=absent'),
                 ('cluster.yml', '-e', 'cluster_state=absent', '-e', 'cluster_purge_data=true')):
        try:
            playbook(cluster, *args)
        except Exception as exc:  # noqa: BLE001 - clean up as much as possible
            log('cleanup: %s' % exc)
    # A rejoin with force keeps the old primary's data in a volume of its own (no dbops.container label,
    # so purging the cluster leaves it): the bench's copies go with the bench's cluster.
    for volume in docker.from_env().volumes.list(filters={'label': 'dbops.kind=diverged-data'}):
        if (volume.attrs.get('Labels') or {}).get('dbops.diverged_from') in cluster['nodes']:
            try:
                volume.remove(force=True)
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
    if is_mysql_family(cluster):
        return pymysql.connect(host=host, port=3306, user='root', password=secret('%s-root' % cluster['secret']),
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
            if is_mysql_family(cluster):
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
        if is_mysql_family(cluster):
            said = words(cluster)
            for name in others:
                conn = node_conn(cluster, name)
                try:
                    with conn.cursor(pymysql.cursors.DictCursor) as cur:
                        cur.execute(said['replica_status'])
                        row = cur.fetchone()
                finally:
                    conn.close()
                if not row or row[said['io']] != 'Yes' or row[said['sql']] != 'Yes':
                    return False
            if sync:
                status = dict(node_rows(cluster, primary, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_%'"))
                return (status.get(said['semi_status']) == 'ON'
                        and int(status.get(said['semi_clients']) or 0) >= len(others))
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
    if is_mysql_family(cluster):
        node_rows(cluster, primary, 'SET GLOBAL %s = OFF' % words(cluster)['source_enabled'])
        for name in cluster['nodes']:
            if name != primary and inspect(name)['State'].get('Running'):
                node_rows(cluster, name, 'SET GLOBAL %s = OFF' % words(cluster)['replica_enabled'])
    else:
        node_rows(cluster, primary, "ALTER SYSTEM SET synchronous_standby_names = ''")
        node_rows(cluster, primary, 'SELECT pg_reload_conf()')


def create_table(cluster, primary):
    if is_mysql_family(cluster):
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
        if is_mysql_family(self.cluster):
            conn = pymysql.connect(host='127.0.0.1', port=self.cluster['port'], user='appuser',
                                   password=secret('%s-app' % self.cluster['secret']), database='production', autocommit=True,
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

    # Seconds between a failed write and the next connection attempt.
    reconnect_backoff_s = 0.02

    def _acknowledged(self, conn, row_id):
        """Called after each acknowledged write (the fault suite reads PostgreSQL's notices here)."""

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
                self._acknowledged(conn, row_id)
            except Exception as exc:  # noqa: BLE001 - every failure: reconnect after a short backoff
                self.errors.append((time.time(), type(exc).__name__, str(exc)[:160]))
                try:
                    if conn is not None:
                        conn.close()
                except Exception:  # noqa: BLE001
                    pass
                conn = None
                time.sleep(self.reconnect_backoff_s)
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


def replica_lag_rows(cluster, primary, trial, load):
    """{replica: acknowledged rows of this trial it does not have yet}, read just before the kill."""
    lag = {}
    for name in cluster['nodes']:
        if name == primary or name in State.broken:
            continue
        acked = len(load.acks)
        try:
            have = node_rows(cluster, name, 'SELECT COUNT(*) FROM %s WHERE trial = %%s' % TABLE, (trial,))[0][0]
            lag[name] = max(acked - int(have), 0)
        except Exception as exc:  # noqa: BLE001 - a diagnostic only
            lag[name] = 'unreadable: %s' % str(exc)[:80]
    return lag


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
    trial_started = time.time()
    record = {'trial': trial, 'mode': 'sync' if sync else 'async', 'killed': primary}
    if not wait_healthy(cluster, primary, sync=sync):
        record['warning'] = 'cluster not fully %s before the kill' % ('synchronous' if sync else 'replicating')
        if not wait_healthy(cluster, primary, sync=False, timeout=30):
            log('  cluster not replicating before trial %d' % trial)
    if not sync:
        set_async(cluster, primary)
    old_server = (inspect(primary)['Config']['Hostname'] if is_mysql_family(cluster)
                  else address(primary, cluster['network']))
    load = Load(cluster, trial, State.next_id).start()
    time.sleep(2.0)
    # How far behind each replica is at the kill (rows of this trial it lacks): a replica that lags
    # makes the promotion wait for its applier, which shows here rather than as a slow watcher.
    record['replica_lag_rows_at_kill'] = replica_lag_rows(cluster, primary, trial, load)
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
    record['trial_s'] = round(time.time() - trial_started, 1)
    log('  %s trial %d (%s): killed %s -> %s, RTO %s s, %s acked, lost %s, rejoin %s, trial %s s, '
        'replica lag at kill %s rows' % (
            cluster['engine'], trial, record['mode'], primary, new_primary, record.get('rto_s'), len(acked),
            record['acked_lost'], record.get('rejoin_s', record.get('rejoin_error')), record['trial_s'],
            record['replica_lag_rows_at_kill']))
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
    # PGDATA is /var/lib/postgresql/data up to PostgreSQL 17, /var/lib/postgresql/18/docker from 18 on,
    # both on the volume mounted at or above it.
    env = dict(item.partition('=')[::2] for item in info['Config'].get('Env') or [])
    pgdata = env.get('PGDATA', '/var/lib/postgresql/data')
    mount = [m for m in info.get('Mounts') or [] if pgdata == m.get('Destination')
             or pgdata.startswith(m.get('Destination', '').rstrip('/') + '/')][0]
    pid_file = '/d' + pgdata[len(mount['Destination'].rstrip('/')):] + '/postmaster.pid'
    volume = mount['Name']
    DOCKER.containers.run(info['Config']['Image'], ['-f', pid_file], entrypoint='rm', remove=True,
                          volumes={volume: {'bind': '/d', 'mode': 'rw'}}, labels={'bench.dbops': 'true'},
                          network_mode='none')
    return True


# ------------------------------------------------------------------ false alarm (MySQL, MariaDB), switchover
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
        node_rows(cluster, replica, words(cluster)['stop'])
        node_rows(cluster, replica, words(cluster)['start'])
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
def engine_runs(cluster, trials, async_trials, extra=None, partial=None):
    """partial: a dict that holds the runs as they are made, so a failure keeps what was measured."""
    primary = cluster['nodes'][0]
    create_table(cluster, primary)
    sync_runs, async_runs = [], []
    if partial is not None:
        partial.update(runs=sync_runs, async_runs=async_runs)
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
        'acked_lost': sum(lost) if lost and None not in lost else None,
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


def run_engine(cluster, trials, async_trials, switchover_count, only_switchovers):
    """Build the engine's cluster and watcher, measure, and remove them (also on failure)."""
    result = {'image': cluster['image'], 'label': fs.engine_label(cluster['engine'], cluster['image'])}
    started = time.time()
    extras = {}
    try:
        teardown(cluster)
        result['build_s'] = {'cluster': playbook(cluster, 'cluster.yml'), 'watcher': playbook(cluster, 'watcher.yml')}

        def extra(primary):
            if cluster['false_alarm'] and not only_switchovers:
                extras['false_alarm'] = false_alarm(cluster, primary)
            extras['switchovers'], primary = switchovers(cluster, primary, switchover_count)
            return primary

        log('%s: %d trials, %s%d switchovers, %d async trials' % (
            result['label'], trials, 'a false alarm, ' if cluster['false_alarm'] and not only_switchovers else '',
            switchover_count, async_trials))
        measuring = time.time()
        result.update(engine_runs(cluster, trials, async_trials, extra, partial=result))
        result['measure_s'] = round(time.time() - measuring, 1)
    except Exception:
        result['error'] = traceback.format_exc()[-3000:]
        log(result['error'])
    finally:
        result.update(extras)
        if 'switchovers' in extras:
            result['switchover_pause_s'] = fs.median([s['client_pause_s'] for s in extras['switchovers']])
            result['switchover_write_pause_s_module'] = [s['write_pause_s'] for s in extras['switchovers']]
        if 'false_alarm' in extras:
            result['false_alarm_promotions'] = extras['false_alarm']['promotions']
        log('%s: cleaning up' % result['label'])
        teardown(cluster)
    result['goals_met'] = fs.goals_met(result)
    result['engine_s'] = round(time.time() - started, 1)
    # What one kill -9 trial costs (kill, failover, ledger check, rejoin): for planning a full run.
    kill_trials = [r for r in result.get('runs', []) + result.get('async_runs', []) if r.get('trial_s')]
    result['trial_s_median'] = fs.median([r['trial_s'] for r in kill_trials])
    return result


def main():
    import signal
    signal.signal(signal.SIGTERM, _stop)   # `kill` still runs the cleanup in the finally below
    try:
        engines = fs.select_engines(os.environ.get('ENGINES'))
        images = fs.engine_images(engines, os.environ)
    except ValueError as exc:
        raise SystemExit(str(exc))
    trials = int(os.environ.get('TRIALS', '10'))
    async_trials = int(os.environ.get('ASYNC_TRIALS', '3'))
    switchover_count = int(os.environ.get('SWITCHOVERS', '3'))
    only_switchovers = os.environ.get('ONLY') == 'switchover'
    if only_switchovers:
        trials = async_trials = 0
    overrides = ''.join(' %s=%s' % (fs.IMAGE_VARIABLES[e], images[e]) for e in engines
                        if images[e] != fs.DEFAULT_IMAGES[e])
    report = {'command': ('make bench-failover ENGINES=%s ONLY=switchover SWITCHOVERS=%d%s'
                          % (','.join(engines), switchover_count, overrides) if only_switchovers
                          else 'make bench-failover ENGINES=%s TRIALS=%d ASYNC_TRIALS=%d SWITCHOVERS=%d%s'
                          % (','.join(engines), trials, async_trials, switchover_count, overrides)),
              'engines': engines, 'images': images,
              'percentile': 'nearest-rank', 'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
              'host': {'cpus': os.cpu_count(), 'kernel': os.uname().release,
                       'load_average_at_start': list(os.getloadavg())},
              'goals': fs.GOALS, 'watcher_probes': 3}
    for engine in engines:
        cluster = dict(CLUSTERS[engine], image=images[engine])
        with open(os.path.join(HERE, 'inventory', cluster['inventory'])) as handle:
            report['watcher_probe_interval_s'] = float([line.split(':')[1] for line in handle
                                                        if 'failover_watcher_probe_interval' in line][0])
        State.broken, State.trial, State.next_id = set(), 0, 1     # each engine has a cluster of its own
        report[engine] = run_engine(cluster, trials, async_trials, switchover_count, only_switchovers)
    pauses = dict((e, report[e].get('switchover_pause_s')) for e in engines)
    # The goal holds for each engine: the headline figure is the worst of the engines' medians.
    report['switchover_pause_s'] = fs.worst(pauses.values())
    report['switchover_pause_s_by_engine'] = pauses
    report['false_alarm_promotions'] = fs.worst(report[e].get('false_alarm_promotions') for e in engines)
    errors = dict((e, report[e]['error']) for e in engines if report[e].get('error'))
    if errors:
        report['error'] = errors
    report['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    report['host']['load_average_at_end'] = list(os.getloadavg())
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    # ONLY=switchover keeps the full run's failover.json; RESULT names a trial run's file.
    name = os.environ.get('RESULT') or ('switchover.json' if only_switchovers else 'failover.json')
    with open(os.path.join(HERE, 'results', os.path.basename(name)), 'w') as handle:
        json.dump(report, handle, indent=2, default=str)
    keys = ('label', 'trials', 'rto_p50_s', 'rto_p99_s', 'acked_lost', 'async_lost', 'switchover_pause_s',
            'false_alarm_promotions', 'goals_met', 'trial_s_median', 'engine_s')
    summary = dict((e, dict((k, report[e].get(k)) for k in keys)) for e in engines)
    summary['switchover_pause_s'] = report['switchover_pause_s']
    print(json.dumps(summary, indent=2))
    if errors:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
