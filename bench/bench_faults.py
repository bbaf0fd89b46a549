#!/usr/bin/env python
"""The fault suite: what the failover does with the faults real clusters meet, on real servers.

Per engine, a cluster built like bench-failover's (bench/inventory/faults-<engine>.yml under bft-* names
and ports; playbooks/cluster.yml, playbooks/watcher.yml): MySQL / MariaDB a primary and two semi-sync
replicas, PostgreSQL a primary and TWO synchronous standbys (synchronous_standby_names = ANY 1 (...)),
the shape in which durability required still commits while one standby is away. ENGINES=
postgres-one-standby runs bench-failover's shape instead (one standby: every commit waits whenever it
is away, the price this suite measures). In every run two clients write one row per autocommit
transaction and keep a ledger of the ids acknowledged:

- the endpoint client, through HAProxy / PgBouncer (bench_failover.Load);
- the direct client, straight to the primary from the host. The primary is plugged into a side
  network of its own (<cluster>-side, a Docker bridge nobody else of the cluster is on; the host
  reaches every bridge) before the fault, and the client connects to its address there: when the
  primary is cut off from the cluster network it stays on the client's side of the partition.

A run's fault starts 3 s after the first write acknowledged through the endpoint (a healthy replication
says nothing of a proxy an earlier run left pointing at a dead node); an endpoint that takes no write in
30 s gets the cluster rebuilt once, and the run records endpoint_ready_s.

While a run lasts, every node's read-only state is read from the host every 0.5 s (a SELECT, never a
write: a probe write would itself give a replica errant transactions).

Faults (one function each, FAULTS below):
  kill9                        docker kill of the primary
  pause                        docker pause of the primary 20 s, then unpause
  partition_primary            the primary disconnected from the cluster network 30 s, then reconnected;
                               the direct client keeps writing to it on the side network
  partition_asymmetric         the primary cut off from the cluster network 30 s, but one replica is
                               plugged into the side network too: the replica's lookups of the
                               primary's name (replication's host, the watcher's probe from inside the
                               replica) resolve to its side-network address, so that replica alone
                               still reaches it; the watcher, the endpoint and the other replica do not
  partition_replica            one replica disconnected 30 s (no failover expected)
  watcher_killed_after_detect  the primary killed; the watcher killed as soon as its log (docker logs -f)
                               shows the failover step 'detected' ({"event": "step", "step": ...}, logged
                               once its failover record holds the step); started again 2 s later
  watcher_killed_after_fence   the same, at the step 'fenced' (the old primary fenced, nothing promoted)
  watcher_killed_after_promote the same, at the step 'promoted'
  watcher_killed_after_repoint the same, at the first step 'repointed' (MySQL/MariaDB re-point the
                               replicas before the endpoint moves, PostgreSQL after)
                               Each run records the steps the watcher had logged when it died.
  double_fault                 the primary killed, then 1 s later the replica expected to be chosen
                               (most rows of the run, then the name, as choose_candidate ranks them),
                               which starts again 15 s after its kill (a crashed node that restarts)
  double_fault_after_promotion the primary killed, then the candidate killed as soon as the watcher's
                               log shows its 'promoted' step (the node killed: the replica then found
                               writable, else the expected one); it stays down: the third node should
                               end as the primary, and the run records the watcher's last errors when
                               it does not
  replica_frozen_primary_dies  one replica paused (docker pause; the last by name, not the expected
                               candidate), the primary killed 1 s later, the replica unpaused 20 s after
                               its pause: the failover must not wait for the frozen replica
  replicas_down_then_kill      every replica stopped 30 s under load, started, and the primary killed
                               0.5 s after they run again; when the watcher refuses the failover
                               (durability required: a MariaDB replica's restart discarded what it had
                               acknowledged) the old primary is started 2 s later, as a crashed server's
                               restart policy would (the run records refused and primary_restarted_after_s)
  slow_primary                 the primary's CPU quota at 5 % of a CPU (docker update) for 30 s (no
                               failover expected)
  slow_network_primary         every packet the primary sends delayed 800 ms for 30 s (no failover
                               expected). This kernel has no netem qdisc: bench/net_delay.py, run in the
                               primary's network namespace (nsenter from the host: needs root, iptables
                               and nsenter there), holds each outgoing packet in an NFQUEUE for 800 ms;
                               the image is not changed and the rule is removed when the fault ends
  cycles                       CYCLES (10) kill / failover / rejoin cycles under load, then a checksum of
                               the ledger table compared on every node

After each run every fault is healed (networks, pause, CPU, the watcher), the cluster settles (one
writable node), the ledger is read from that final primary, then every other node is re-joined
(db_failover mode rejoin, force) and the next run starts from a healthy cluster (rebuilt when it
cannot be made healthy).

Figures per engine and fault, in bench/results/faults.json (RESULTS_DIR= another directory):
  runs, acked (acknowledged to either client), acked_lost (acknowledged ids missing from the final
  primary, warned commits apart), acked_lost_with_warning (PostgreSQL commits that came back with the
  "canceling wait for synchronous replication" warning, lost; a cancelled wait only: statement_timeout
  does not end a commit's wait for the standby), two_writable_s (seconds with two
  writable nodes), unavailable_s_p50 / _max (the longest gap between writes acknowledged through the
  endpoint, per run; the endpoint client is given 75 s after the fault ends, so a cluster that never
  takes writes again shows about 80 s), failovers (the watcher's failover events), false_failovers (failovers in the
  faults where the primary keeps serving). The runs themselves: faults-runs.json (while the suite runs,
  faults-runs.jsonl gets each run's record as soon as it is made).

    make bench-faults [ENGINES=mysql,mariadb,postgres,postgres-one-standby] [FAULTS=kill9,pause,...]
                      [RUNS=3] [CYCLES=10] [QUICK=1] [MYSQL_IMAGE=...] [MARIADB_IMAGE=...] [POSTGRES_IMAGE=...]

ENGINES unset: mysql, mariadb, postgres (postgres-one-standby runs only when named).

QUICK=1: one run of kill9 and partition_replica (FAULTS= chooses others), 3 cycles: the CI mode.
Clusters are removed after each engine, also on failure or SIGTERM.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import docker
import psycopg2
import pymysql

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_failover as fo  # noqa: E402
import failover_stats as fs  # noqa: E402
import faults_stats as fst  # noqa: E402

DOCKER = fo.DOCKER
TABLE = fo.TABLE
log = fo.log

PAUSE_S = 20
PARTITION_S = 30
REPLICAS_DOWN_S = 30
SLOW_S = 30
SLOW_CPU_SHARE = 0.05      # docker update --cpu-quota: 5 % of one CPU
DOUBLE_FAULT_BACK_S = 15    # the double fault's candidate starts again this long after its kill
FROZEN_REPLICA_S = 20       # replica_frozen_primary_dies: how long the replica stays paused
SLOW_NET_DELAY_S = 0.8      # slow_network_primary: the delay of every packet the primary sends
NET_DELAY = os.path.join(HERE, 'net_delay.py')
# What a run's record keeps of each watcher event.
WATCHER_LOG_KEYS = ('ts', 'event', 'step', 'primary', 'old_primary', 'new_primary', 'repaired', 'error', 'node',
                    'reason', 'docker_event')
STEP_WAIT_S = 120       # how long a fault waits for the failover step it is timed on (a promotion once took 58 s)
WATCHER_REJOIN_WAIT_S = 20     # after a restore, how long the restarted watcher's own pending rejoin is waited for
ENDPOINT_READY_S = 30   # how long a run waits for a first write through the endpoint before its fault
OBSERVE_S = 75          # after a fault is healed, how long the endpoint client is given to write again
DIRECT_BASE = 1000000000    # the direct client's ids: far above the endpoint client's


def _cluster(suite_name, nodes, port):
    """One of the suite's clusters (faults_stats.SUITE_ENGINES): bench_failover's description of its
    engine under the suite's names. Everything is named after bft-<suite name>, as the inventory
    faults-<suite name>.yml names the cluster."""
    engine = fst.SUITE_ENGINES[suite_name]
    base = fo.CLUSTERS[engine]
    name = 'bft-%s' % suite_name
    return dict(base, inventory='faults-%s.yml' % suite_name, nodes=nodes, network=name + '-net',
                endpoint={'type': base['endpoint']['type'], 'container': '%s-%s' % (name, base['endpoint']['type'])},
                watcher=name + '-watcher', port=port, side=name + '-side', suite_name=suite_name)


CLUSTERS = {
    'mysql': _cluster('mysql', ['bft-my1', 'bft-my2', 'bft-my3'], 17556),
    'mariadb': _cluster('mariadb', ['bft-db1', 'bft-db2', 'bft-db3'], 17546),
    'postgres': _cluster('postgres', ['bft-pg1', 'bft-pg2', 'bft-pg3'], 17532),
    'postgres-one-standby': _cluster('postgres-one-standby', ['bft-pgone1', 'bft-pgone2'], 17534),
}
assert sorted(CLUSTERS) == sorted(fst.SUITE_ENGINES)


# ------------------------------------------------------------------ docker: networks, states
def networks_of(name):
    return (fo.inspect(name)['NetworkSettings'].get('Networks') or {})


def ensure_network(name):
    if not DOCKER.networks.list(names=[name]):
        DOCKER.networks.create(name, driver='bridge', labels={'bench.dbops': 'true'})


def remove_network(name):
    for network in DOCKER.networks.list(names=[name]):
        network.reload()
        for container in network.containers:
            try:
                network.disconnect(container, force=True)
            except docker.errors.APIError:
                pass
        network.remove()


def remove_carriers(cluster):
    """Carrier containers (the collection's never-started file carriers, label dbops.carrier) that still
    hold a volume of the cluster: a process killed while it wrote through one (the watcher killed
    mid-failover) leaves it behind, and the volume cannot be removed. Returns how many were removed."""
    prefixes = tuple(name + '-' for name in cluster['nodes'])
    removed = 0
    for container in DOCKER.api.containers(all=True, filters={'label': 'dbops.carrier'}):
        volumes = [m.get('Name') or '' for m in container.get('Mounts') or []]
        if [v for v in volumes if v.startswith(prefixes)]:
            try:
                DOCKER.api.remove_container(container['Id'], force=True)
                removed += 1
            except docker.errors.APIError:
                pass
    return removed


def plug(name, network):
    """Connect a container to a network under its own name (a no-op when it is on it already)."""
    if network not in networks_of(name):
        DOCKER.api.connect_container_to_network(name, network, aliases=[name])


def unplug(name, network):
    if network in networks_of(name):
        DOCKER.api.disconnect_container_from_network(name, network)


def reachable_address(cluster, name):
    """The node's address from the host: on the cluster network, else on the side network."""
    found = networks_of(name)
    for network in (cluster['network'], cluster['side']):
        address = (found.get(network) or {}).get('IPAddress')
        if address:
            return address
    return None


def state(name):
    try:
        return fo.inspect(name)['State']
    except docker.errors.NotFound:
        return {}


def server_id(cluster, name):
    """What the endpoint client records as the server of a write (bench_failover.Load): MySQL's
    @@hostname (the container's hostname), PostgreSQL's inet_server_addr()."""
    if fo.is_mysql_family(cluster):
        return fo.inspect(name)['Config']['Hostname']
    return fo.address(name, cluster['network'])


# ------------------------------------------------------------------ SQL from the host, short timeouts
def connect_node(cluster, host, timeout=2, user='root'):
    if fo.is_mysql_family(cluster):
        password = fo.secret('%s-%s' % (cluster['secret'], 'root' if user == 'root' else 'app'))
        return pymysql.connect(host=host, port=3306, user=user, password=password, database='production',
                               autocommit=True, connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)
    login = 'postgres' if user == 'root' else user
    conn = psycopg2.connect(host=host, port=5432, user=login, password=fo.secret('postgres-%s' % (
        'root' if user == 'root' else 'app')), dbname='production', connect_timeout=max(2, int(timeout)),
        options='-c statement_timeout=%d' % int(timeout * 1000))
    conn.autocommit = True
    return conn


def node_writable(cluster, name):
    """True: the node takes writes (read_only off / not in recovery); False: read-only or not running;
    None: not reached in time (a paused server, a node off every network the host reaches)."""
    current = state(name)
    if not current.get('Running'):
        return False
    host = reachable_address(cluster, name)
    if not host or current.get('Paused'):
        return None
    try:
        conn = connect_node(cluster, host, timeout=1)
    except Exception:  # noqa: BLE001 - not reached
        return None
    try:
        with conn.cursor() as cur:
            if fo.is_mysql_family(cluster):
                cur.execute('SELECT @@GLOBAL.read_only')
                return not int(cur.fetchone()[0])
            cur.execute('SELECT pg_is_in_recovery()')
            return not cur.fetchone()[0]
    except Exception:  # noqa: BLE001
        return None
    finally:
        conn.close()


class WritableSampler(object):
    """Every node's writable state every ``interval`` seconds, each node asked at the same time; a node
    whose previous answer is still pending counts as not reached (None) and is not asked twice."""

    def __init__(self, cluster, interval=0.5):
        self.cluster, self.interval = cluster, interval
        self.samples = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, name='sampler')
        self.thread.daemon = True

    def _run(self):
        pool = ThreadPoolExecutor(max_workers=4 * len(self.cluster['nodes']))
        pending = {}
        try:
            while not self.stop_flag.is_set():
                at = time.time()
                for name in self.cluster['nodes']:
                    if name not in pending or pending[name].done():
                        pending[name] = pool.submit(node_writable, self.cluster, name)
                states = {}
                for name, future in pending.items():
                    try:
                        states[name] = future.result(timeout=max(0.0, at + 1.2 - time.time()))
                    except Exception:  # noqa: BLE001 - a slow answer is no answer
                        states[name] = None
                self.samples.append((at, states))
                self.stop_flag.wait(max(0.0, self.interval - (time.time() - at)))
        finally:
            pool.shutdown(wait=False)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join(10)
        return time.time()


# ------------------------------------------------------------------ the two clients
class Client(fo.Load):
    """bench_failover's ledger client, through the endpoint (host None) or straight to a node's address
    (the direct client). PostgreSQL: a commit that came back with the warning that its wait for the
    synchronous standby was cancelled (committed locally only) is acknowledged but noted in ``warned``."""

    def __init__(self, cluster, trial, first_id, host=None):
        fo.Load.__init__(self, cluster, trial, first_id)
        self.host = host
        self.warned = []
        self.thread.name = 'direct' if host else 'endpoint'
        self.thread.daemon = True

    def _connect(self):
        if self.host is None:
            return fo.Load._connect(self)
        # A client that waits for its commit longer than the semi-sync / synchronous wait: it sees the
        # acknowledgement a primary gives once it stops waiting for a replica.
        conn = connect_node(self.cluster, self.host, timeout=15, user='appuser')
        return conn, 'direct:%s' % self.host

    @property
    def reconnect_backoff_s(self):
        return 0.05 if self.host is None else 0.2

    def _acknowledged(self, conn, row_id):
        notices = getattr(conn, 'notices', None)     # psycopg2 only
        if notices:
            if any('synchronous replication' in notice for notice in notices):
                self.warned.append(row_id)
            del notices[:]


def wait_for_ack(client, after, timeout, not_servers=()):
    """The first write the client had acknowledged after ``after`` by a server not in not_servers."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for _id, at, server in list(client.acks):
            if at > after and server not in not_servers:
                return at
        time.sleep(0.1)
    return None


# ------------------------------------------------------------------ the watcher
class WatcherLog(object):
    """docker logs -f of the watcher (from now): ``wait(predicate)`` returns the first event that
    matches. The stream ends when the watcher stops."""

    def __init__(self, cluster):
        self.events = []
        self.changed = threading.Condition()
        stream = DOCKER.api.logs(cluster['watcher'], stdout=True, stderr=True, stream=True, follow=True,
                                 since=int(time.time()))
        self.thread = threading.Thread(target=self._read, args=(stream,), name='watcher-log')
        self.thread.daemon = True
        self.thread.start()

    def _read(self, stream):
        pending = b''
        for chunk in stream:
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                parsed = fs.parse_watcher_log(line.decode('utf-8', 'replace'))
                if parsed:
                    with self.changed:
                        self.events.extend(parsed)
                        self.changed.notify_all()

    def first(self, predicate):
        with self.changed:
            found = [e for e in self.events if predicate(e)]
            return found[0] if found else None

    def snapshot(self):
        with self.changed:
            return list(self.events)

    def wait_step(self, step, timeout):
        """Wait until the log shows the failover ``step`` (-> 'step') or a failover that ended without it
        (-> 'too_late'); None after timeout."""
        deadline = time.time() + timeout
        with self.changed:
            while True:
                found = fst.step_trigger(self.events, step)
                left = deadline - time.time()
                if found or left <= 0:
                    return found
                self.changed.wait(min(left, 0.5))


# ------------------------------------------------------------------ faults
def fault_kill9(bench, primary, _clients):
    DOCKER.api.kill(primary)
    return {'healed_at': time.time(), 'not_servers': [bench.server_ids[primary]]}


def fault_pause(_bench, primary, _clients):
    DOCKER.api.pause(primary)
    time.sleep(PAUSE_S)
    try:
        DOCKER.api.unpause(primary)
    except docker.errors.APIError as exc:     # fenced (killed) while paused
        return {'healed_at': time.time(), 'unpause': str(exc)[:120]}
    return {'healed_at': time.time()}


def fault_partition_primary(bench, primary, _clients):
    unplug(primary, bench.cluster['network'])
    time.sleep(PARTITION_S)
    return {'healed_at': bench.reconnect(primary)}


def fault_partition_asymmetric(bench, primary, _clients):
    cluster = bench.cluster
    seer = sorted(n for n in cluster['nodes'] if n != primary)[0]
    plug(seer, cluster['side'])        # the primary is on it already (the direct client's network)
    unplug(primary, cluster['network'])
    time.sleep(PARTITION_S)
    healed = bench.reconnect(primary)
    unplug(seer, cluster['side'])
    return {'healed_at': healed, 'still_seen_by': seer}


def fault_partition_replica(bench, primary, _clients):
    replica = sorted(n for n in bench.cluster['nodes'] if n != primary)[-1]
    unplug(replica, bench.cluster['network'])
    time.sleep(PARTITION_S)
    return {'healed_at': bench.reconnect(replica), 'cut_off': replica}


class PromotionPoll(object):
    """Open sessions to the replicas (before the fault) that say, in a few milliseconds, whether one of
    them takes writes: a promotion is seen within one poll, before the failover's next step."""

    def __init__(self, cluster, names):
        self.cluster = cluster
        self.sessions = {}
        for name in names:
            try:
                self.sessions[name] = connect_node(cluster, fo.address(name, cluster['network']), timeout=1)
            except Exception:  # noqa: BLE001 - a replica not reached is not polled
                pass

    def promoted(self):
        sql = 'SELECT @@GLOBAL.read_only' if fo.is_mysql_family(self.cluster) else 'SELECT pg_is_in_recovery()'
        for name, conn in list(self.sessions.items()):
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    value = cur.fetchone()[0]
                if not (int(value) if fo.is_mysql_family(self.cluster) else value):
                    return name
            except Exception:  # noqa: BLE001 - lost: not polled any more
                del self.sessions[name]
        return None

    def close(self):
        for conn in self.sessions.values():
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass


def endpoint_writer(cluster):
    """Where the endpoint sends writes now, as the collection's endpoint kind reads its file."""
    from ansible_collections.dbops.containers.plugins.module_utils.failover.endpoints import ENDPOINTS
    kind = ENDPOINTS[cluster['endpoint']['type']]
    bits, _stat = DOCKER.api.get_archive(cluster['endpoint']['container'], kind.path)
    import io
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(b''.join(bits))) as archive:
        member = archive.getmembers()[0]
        return kind.writer(archive.extractfile(member).read().decode('utf-8'))


def _kill_watcher_when(bench, primary, fault):
    """Kill the primary; kill the watcher as soon as its log shows the step of its failover that the fault
    names (faults_stats.WATCHER_KILL_STEPS); start it again 2 s later. Records the steps it had logged
    when it died and whether the endpoint had moved by then."""
    cluster = bench.cluster
    step = fst.WATCHER_KILL_STEPS[fault]
    watch = WatcherLog(cluster)
    DOCKER.api.kill(primary)
    killed_primary = time.time()
    seen = watch.wait_step(step, STEP_WAIT_S)
    record = {'not_servers': [bench.server_ids[primary]], 'watcher_kill_step': step, 'watcher_kill_trigger': seen}
    if seen is None:
        record['healed_at'] = time.time()
        return record
    DOCKER.api.kill(cluster['watcher'])
    record['watcher_killed_after_s'] = round(time.time() - killed_primary, 2)
    try:
        writer = endpoint_writer(cluster)
        record['endpoint_writer_at_kill'] = writer
        record['killed_before_endpoint_moved'] = writer in (primary, None)
    except Exception as exc:  # noqa: BLE001 - a diagnostic only
        record['endpoint_writer_at_kill'] = 'unreadable: %s' % str(exc)[:80]
    watch.thread.join(1.0)      # the stream ends with the watcher: every step it logged is in
    record['steps_logged_before_kill'] = fst.steps_logged(watch.snapshot())
    time.sleep(2.0)
    if not state(cluster['watcher']).get('Running'):
        DOCKER.api.start(cluster['watcher'])
    record['healed_at'] = time.time()
    return record


def fault_watcher_killed_after_detect(bench, primary, _clients):
    return _kill_watcher_when(bench, primary, 'watcher_killed_after_detect')


def fault_watcher_killed_after_fence(bench, primary, _clients):
    return _kill_watcher_when(bench, primary, 'watcher_killed_after_fence')


def fault_watcher_killed_after_promote(bench, primary, _clients):
    return _kill_watcher_when(bench, primary, 'watcher_killed_after_promote')


def fault_watcher_killed_after_repoint(bench, primary, _clients):
    return _kill_watcher_when(bench, primary, 'watcher_killed_after_repoint')


def expected_candidate(bench, others):
    """The replica choose_candidate should pick: the most rows of this run, then the alphabetically first
    name (equal priorities)."""
    rows = {}
    for name in others:
        try:
            rows[name] = fo.node_rows(bench.cluster, name, 'SELECT COUNT(*) FROM %s WHERE trial = %%s' % TABLE,
                                      (bench.trial,))[0][0]
        except Exception:  # noqa: BLE001
            rows[name] = -1
    return sorted(others, key=lambda n: (-rows[n], n))[0]


def fault_double_fault(bench, primary, _clients):
    cluster = bench.cluster
    candidate = expected_candidate(bench, sorted(n for n in cluster['nodes'] if n != primary))
    DOCKER.api.kill(primary)
    time.sleep(1.0)
    DOCKER.api.kill(candidate)
    killed = time.time()
    # The candidate is a node that crashed and comes back: under durability required the failover
    # cannot prove the third node holds every acknowledged commit until it can read the candidate.
    time.sleep(DOUBLE_FAULT_BACK_S)
    DOCKER.api.start(candidate)
    return {'healed_at': killed, 'candidate_killed': candidate,
            'not_servers': [bench.server_ids[primary], bench.server_ids[candidate]]}


def fault_double_fault_after_promotion(bench, primary, _clients):
    """The primary killed, then the node just promoted, as soon as the watcher logs its 'promoted' step.
    The promoted node is the replica a poll finds writable then (sessions opened before the fault), else
    the one choose_candidate should have picked. It stays down; the third node should take over."""
    cluster = bench.cluster
    others = sorted(n for n in cluster['nodes'] if n != primary)
    expected = expected_candidate(bench, others)
    watch = WatcherLog(cluster)
    poll = PromotionPoll(cluster, others)
    try:
        DOCKER.api.kill(primary)
        killed_primary = time.time()
        seen = watch.wait_step('promoted', STEP_WAIT_S)
        promoted = poll.promoted() if seen == 'step' else None
    finally:
        poll.close()
    record = {'not_servers': [bench.server_ids[primary]], 'promotion_trigger': seen, 'expected_candidate': expected}
    if seen != 'step':
        record['healed_at'] = time.time()
        return record
    candidate = promoted or expected
    DOCKER.api.kill(candidate)
    killed = time.time()
    record.update({'candidate_killed': candidate, 'candidate_seen_writable': promoted is not None,
                   'second_kill_after_s': round(killed - killed_primary, 2),
                   'third_node': [n for n in others if n != candidate][0],
                   'not_servers': [bench.server_ids[primary], bench.server_ids[candidate]], 'healed_at': killed})
    return record


def fault_replica_frozen_primary_dies(bench, primary, _clients):
    """A replica frozen (docker pause: its kernel still accepts connections, its server answers nothing),
    then the primary killed while it is frozen; the replica unpaused FROZEN_REPLICA_S after its pause.
    The frozen one is the last replica by name, so the expected candidate (equal data: the first name)
    is healthy and only the frozen node's reads and re-point can hold the failover up."""
    replicas = sorted(n for n in bench.cluster['nodes'] if n != primary)
    frozen = replicas[-1]
    DOCKER.api.pause(frozen)
    paused = time.time()
    time.sleep(1.0)
    DOCKER.api.kill(primary)
    killed = time.time()
    time.sleep(max(0.0, paused + FROZEN_REPLICA_S - time.time()))
    record = {'frozen': frozen, 'healed_at': killed, 'not_servers': [bench.server_ids[primary]]}
    try:
        DOCKER.api.unpause(frozen)
        record['unpaused_after_kill_s'] = round(time.time() - killed, 2)
    except docker.errors.APIError as exc:     # fenced or stopped while paused
        record['unpause'] = str(exc)[:120]
    return record


# replicas_down_then_kill: how long the fault waits for the watcher's first decision, and how long a crashed
# primary takes to be restarted by its restart policy once the failover is refused (Docker restarts a crashed
# container at once; a few seconds for the server to start are part of the measured outage).
REFUSAL_WAIT_S = 15
CRASH_RESTART_S = 2


def fault_replicas_down_then_kill(bench, primary, _clients):
    replicas = [n for n in bench.cluster['nodes'] if n != primary]
    for name in replicas:
        DOCKER.api.stop(name, timeout=10)
    time.sleep(REPLICAS_DOWN_S)
    for name in replicas:
        DOCKER.api.start(name)
    time.sleep(0.5)
    killed_at = time.time()
    DOCKER.api.kill(primary)
    notes = {'not_servers': [bench.server_ids[primary]]}
    # Under durability required the failover may refuse: the restarted replicas may lack commits the primary
    # alone holds. What comes next is what a crashed server's restart policy does (docker kill counts as a
    # manual stop, so Docker itself would not): the old primary starts again, unless it was failed over.
    refused = wait_watcher_event(bench.cluster, killed_at, REFUSAL_WAIT_S, lambda event: event.get('event') == 'failover'
                                 or 'cannot prove' in (event.get('error') or ''))
    if refused and refused.get('event') == 'error':
        time.sleep(CRASH_RESTART_S)
        DOCKER.api.start(primary)
        notes.update({'refused': refused['error'][:300], 'primary_restarted_after_s': round(time.time() - killed_at, 2)})
    notes['healed_at'] = time.time()
    return notes


def wait_watcher_event(cluster, since, timeout, wanted, poll=0.2):
    """The first watcher event logged after ``since`` for which ``wanted(event)`` holds, looked for every
    ``poll`` seconds up to timeout; or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [e for e in fo.watcher_events(cluster, since) if wanted(e)]
        if found:
            return found[0]
        time.sleep(poll)
    return None


def set_cpu_share(name, fraction):
    """docker update of the CPU quota to ``fraction`` of one CPU (the nodes are created with a CPU period
    and quota, which docker update --cpus cannot change); returns the quota it had, to restore."""
    host_config = fo.inspect(name)['HostConfig']
    period = host_config.get('CpuPeriod') or 100000
    before = host_config.get('CpuQuota') or -1
    DOCKER.api.update_container(name, cpu_period=period, cpu_quota=int(period * fraction))
    return before


def fault_slow_primary(bench, primary, _clients):
    bench.quota_to_restore[primary] = set_cpu_share(primary, SLOW_CPU_SHARE)
    time.sleep(SLOW_S)
    bench.restore_cpus()
    return {'healed_at': time.time()}


class NetDelay(object):
    """bench/net_delay.py in a container's network namespace (nsenter from the host): every packet the
    container sends waits ``delay`` seconds. It ends by itself after ``seconds`` (should this process die
    without stopping it); stop() ends it sooner. Either way it removes its iptables rule."""

    def __init__(self, name, delay, seconds):
        self.name, self.delay, self.seconds = name, delay, seconds
        self.proc = None
        self.pid = None
        self.output = ''

    def start(self, timeout=10):
        self.pid = fo.inspect(self.name)['State']['Pid']
        self.proc = subprocess.Popen(['nsenter', '-t', str(self.pid), '-n', sys.executable, NET_DELAY,
                                      '--delay', str(self.delay), '--seconds', str(self.seconds)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if select.select([self.proc.stdout], [], [], 0.2)[0]:
                line = self.proc.stdout.readline()
                if line.startswith('delaying'):
                    return line.strip()
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError('net_delay did not start in %s: %s' % (self.name, self.output))

    def stop(self):
        """-> {'applied', 'helper': its last words, 'rule_left': whether a rule had to be removed here}."""
        if self.proc is None:
            return {'applied': False}
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.output = (self.proc.stdout.read() + self.proc.stderr.read()).strip()
        result = {'applied': True, 'helper': self.output[-300:], 'exit': self.proc.returncode,
                  'rule_left': self._remove_left_rule()}
        self.proc = None
        return result

    def _remove_left_rule(self):
        """The helper removes its rule; one left (the helper killed) is removed here. A container that is
        gone took its namespace and the rule with it."""
        current = state(self.name)
        if not current.get('Running') or current.get('Pid') != self.pid:
            return False
        listed = subprocess.run(['nsenter', '-t', str(self.pid), '-n', 'iptables', '-w', '-S', 'OUTPUT'],
                                capture_output=True, text=True, check=False).stdout
        left = [line for line in listed.splitlines() if 'dbops-bench-net-delay' in line]
        for line in left:
            subprocess.run(['nsenter', '-t', str(self.pid), '-n', 'iptables', '-w'] + ['-D'] + line.split()[1:],
                           capture_output=True, check=False)
        return bool(left)


def fault_slow_network_primary(bench, primary, _clients):
    # The helper's own end comes a little after the fault's, a safety net only: the fault stops it.
    delay = NetDelay(primary, SLOW_NET_DELAY_S, SLOW_S + 10)
    bench.net_delays[primary] = delay
    started = delay.start()
    time.sleep(SLOW_S)
    return {'healed_at': time.time(), 'net_delay': dict(bench.stop_net_delays().get(primary) or {}, started=started)}


def ledger_checksum(cluster, name):
    if fo.is_mysql_family(cluster):
        sql = "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(':', id, trial, at))) FROM %s" % TABLE
    else:
        sql = "SELECT COUNT(*), md5(string_agg(id || ':' || trial || ':' || at, ',' ORDER BY id)) FROM %s" % TABLE
    row = fo.node_rows(cluster, name, sql)[0]
    return '%s/%s' % (row[0], row[1])


def fault_cycles(bench, primary, clients):
    cluster = bench.cluster
    cycles = []
    last_kill = None
    not_servers = []
    for number in range(bench.cycles):
        fo.wait_healthy(cluster, primary, sync=True, timeout=60)
        last_kill = time.time()
        DOCKER.api.kill(primary)
        not_servers = [bench.server_ids[primary]]
        new_primary = None
        deadline = last_kill + 60
        while time.time() < deadline and new_primary is None:
            done = fs.events_named(fo.watcher_events(cluster, last_kill), 'failover')
            new_primary = done[0]['new_primary'] if done else None
            time.sleep(0.2)
        first = wait_for_ack(clients['endpoint'], last_kill, 30, not_servers)
        cycle = {'cycle': number + 1, 'killed': primary, 'new_primary': new_primary,
                 'write_back_s': round(first - last_kill, 2) if first else None}
        cycles.append(cycle)
        if new_primary is None:
            break
        # The old primary re-joined by hand with force (it may hold a commit no client was told about),
        # the watcher stopped meanwhile so that its own rejoin does not run at the same time.
        DOCKER.api.stop(cluster['watcher'], timeout=5)
        cycle['rejoin'] = bench.rejoin(primary, new_primary)
        fo.restart_watcher(cluster, new_primary)
        primary = new_primary
    # The checksums are compared once the clients have stopped (Bench.run: compare_checksums).
    return {'healed_at': last_kill, 'not_servers': not_servers, 'cycles': cycles, 'compare_checksums': True}


def compare_checksums(cluster, timeout=60):
    """The ledger table's checksum on every node, read until they agree (the replicas apply what they
    received) or timeout: {'checksums': {node: 'rows/sum'}, 'checksums_equal': bool}."""
    deadline = time.time() + timeout
    while True:
        sums = {}
        for name in cluster['nodes']:
            try:
                sums[name] = ledger_checksum(cluster, name)
            except Exception as exc:  # noqa: BLE001 - reported as unequal
                sums[name] = 'unreadable: %s' % str(exc)[:80]
        equal = len(set(sums.values())) == 1
        if equal or time.time() > deadline:
            return {'checksums': sums, 'checksums_equal': equal}
        time.sleep(1.0)


FAULTS = {
    'kill9': fault_kill9,
    'pause': fault_pause,
    'partition_primary': fault_partition_primary,
    'partition_asymmetric': fault_partition_asymmetric,
    'partition_replica': fault_partition_replica,
    'watcher_killed_after_detect': fault_watcher_killed_after_detect,
    'watcher_killed_after_fence': fault_watcher_killed_after_fence,
    'watcher_killed_after_promote': fault_watcher_killed_after_promote,
    'watcher_killed_after_repoint': fault_watcher_killed_after_repoint,
    'double_fault': fault_double_fault,
    'double_fault_after_promotion': fault_double_fault_after_promotion,
    'replica_frozen_primary_dies': fault_replica_frozen_primary_dies,
    'replicas_down_then_kill': fault_replicas_down_then_kill,
    'slow_primary': fault_slow_primary,
    'slow_network_primary': fault_slow_network_primary,
    'cycles': fault_cycles,
}
assert tuple(sorted(FAULTS)) == tuple(sorted(fst.FAULT_ORDER))


def replication_state(cluster, primary):
    """What each node says of its replication, for the record of a cluster that did not become healthy."""
    said = {}
    for name in cluster['nodes']:
        if not state(name).get('Running'):
            said[name] = 'not running'
            continue
        try:
            if fo.is_mysql_family(cluster):
                if name == primary:
                    rows = fo.node_rows(cluster, name, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_%_clients'")
                else:
                    conn = fo.node_conn(cluster, name)
                    try:
                        with conn.cursor(pymysql.cursors.DictCursor) as cur:
                            cur.execute(fo.words(cluster)['replica_status'])
                            row = cur.fetchone() or {}
                    finally:
                        conn.close()
                    rows = dict((k, row.get(k)) for k in ('Master_Host', 'Source_Host', fo.words(cluster)['io'],
                                                          fo.words(cluster)['sql'], 'Last_IO_Error', 'Last_SQL_Error')
                                if row.get(k))
            elif name == primary:
                rows = fo.node_rows(cluster, name, 'SELECT application_name, state, sync_state FROM pg_stat_replication')
            else:
                rows = fo.node_rows(cluster, name, 'SELECT pg_is_in_recovery(), status, sender_host FROM '
                                                   'pg_stat_wal_receiver RIGHT JOIN (SELECT 1) one ON true')
            said[name] = str(rows)[:300]
        except Exception as exc:  # noqa: BLE001 - what it says is the diagnostic
            said[name] = 'unreadable: %s' % str(exc)[:150]
    return said


# ------------------------------------------------------------------ one engine's bench
class Bench(object):
    def __init__(self, cluster, cycles):
        self.cluster = cluster
        self.cycles = cycles
        self.primary = cluster['nodes'][0]
        self.trial = 0
        self.next_id = 1
        self.quota_to_restore = {}
        self.ready_notes = None
        self.net_delays = {}
        self.server_ids = {}
        self.kept_volumes = []
        self.kept_volumes_removed = []
        self.rebuilds = 0
        self.orphan_carriers = 0
        self.records = []
        self.progress = None        # a file that gets every run's record as soon as it is made

    # ---------------------------------------------------------------- cluster life
    def build(self):
        self.orphan_carriers += remove_carriers(self.cluster)
        fo.teardown(self.cluster)
        remove_network(self.cluster['side'])
        took = {'cluster': fo.playbook(self.cluster, 'cluster.yml'), 'watcher': fo.playbook(self.cluster, 'watcher.yml')}
        ensure_network(self.cluster['side'])
        self.primary = self.cluster['nodes'][0]
        fo.create_table(self.cluster, self.primary)
        return took

    def remove(self):
        self.orphan_carriers += remove_carriers(self.cluster)
        fo.teardown(self.cluster)
        try:
            remove_network(self.cluster['side'])
        except Exception as exc:  # noqa: BLE001
            log('cleanup: %s' % exc)
        # What the teardown leaves under a node's name: the diverged data a rejoin kept aside (the bench's
        # or the watcher's own, <node>-dbops-diverged-<time>), counted, then removed.
        prefixes = tuple(name + '-' for name in self.cluster['nodes'])
        for volume in DOCKER.volumes.list():
            if volume.name.startswith(prefixes) or volume.name in self.kept_volumes:
                try:
                    volume.remove(force=True)
                    self.kept_volumes_removed.append(volume.name)
                except Exception:  # noqa: BLE001 - in use or already gone
                    pass

    # ---------------------------------------------------------------- healing
    def reconnect(self, name):
        plug(name, self.cluster['network'])
        return time.time()

    def restore_cpus(self):
        for name, quota in list(self.quota_to_restore.items()):
            try:
                DOCKER.api.update_container(name, cpu_quota=quota)
            except docker.errors.APIError as exc:
                log('  restoring the CPU quota of %s: %s' % (name, exc))
            del self.quota_to_restore[name]

    def stop_net_delays(self):
        """Every network delay ended (its rule removed) -> {node: what NetDelay.stop says}."""
        stopped = {}
        for name, delay in list(self.net_delays.items()):
            try:
                stopped[name] = delay.stop()
            except Exception as exc:  # noqa: BLE001 - reported; the others are stopped too
                stopped[name] = {'error': str(exc)[:200]}
                log('  ending the network delay of %s: %s' % (name, exc))
            del self.net_delays[name]
        return stopped

    def heal(self):
        """Undo every fault: no network delay, unpaused, CPUs back, on the cluster network, off the side
        network, the watcher running. Stopped nodes stay stopped: re-joining them is restore's job."""
        cluster = self.cluster
        self.stop_net_delays()
        self.restore_cpus()
        for name in cluster['nodes']:
            current = state(name)
            if current.get('Paused'):
                DOCKER.api.unpause(name)
            if current.get('Running'):
                self.reconnect(name)
            unplug(name, cluster['side'])
        if not state(cluster['watcher']).get('Running'):
            DOCKER.api.start(cluster['watcher'])

    def settle(self, expected, timeout=60):
        """The one writable running node, waited for. None when there is none or more than one."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = fo.primary_of(self.cluster)
            if found:
                return found
            time.sleep(1.0)
        return None if expected is None else (expected if node_writable(self.cluster, expected) else None)

    def rejoin(self, node, primary):
        try:
            result = fo.failover_run(self.cluster, mode='rejoin', node=node, primary=primary, force=True)
        except Exception as exc:  # noqa: BLE001 - reported; restore rebuilds when the cluster stays broken
            return {'error': str(exc)[:300]}
        if result.get('kept_data_volume'):
            self.kept_volumes.append(result['kept_data_volume'])
        return {'changed': result.get('changed'), 'reseeded': result.get('reseeded'),
                'kept_data_volume': result.get('kept_data_volume')}

    def nudge_replication(self, primary):
        """A replica cut off and reconnected waits its connect retry (60 s) before it tries again."""
        if not fo.is_mysql_family(self.cluster):
            return
        for name in self.cluster['nodes']:
            if name != primary and state(name).get('Running'):
                try:
                    fo.node_rows(self.cluster, name, fo.words(self.cluster)['stop'])
                    fo.node_rows(self.cluster, name, fo.words(self.cluster)['start'])
                except Exception:  # noqa: BLE001
                    pass

    def restore(self, primary):
        """A healthy cluster around ``primary`` (every other node re-joined), else a rebuilt one."""
        notes = {}
        if primary is not None:
            # The watcher re-joins old primaries by itself (without force): stopped meanwhile, so that two
            # rejoins of one node never run at once. restart_watcher below starts it again.
            try:
                DOCKER.api.stop(self.cluster['watcher'], timeout=5)
            except docker.errors.APIError:
                pass
            for name in self.cluster['nodes']:
                if name != primary:
                    notes[name] = self.rejoin(name, primary)
            if not fo.wait_healthy(self.cluster, primary, sync=True, timeout=10):
                self.nudge_replication(primary)
                if not fo.wait_healthy(self.cluster, primary, sync=True, timeout=60):
                    notes['unhealthy'] = replication_state(self.cluster, primary)     # why it is rebuilt
                    primary = None
        if primary is None:
            log('  %s: the cluster did not recover: rebuilt' % self.cluster['suite_name'])
            self.rebuilds += 1
            self.build()
            notes['rebuilt'] = True
            return notes
        # The watcher learns the nodes' state as it probes; a restart makes it start from the cluster as it is.
        restarted = time.time()
        fo.restart_watcher(self.cluster, primary)
        # Its record may still say the old primary's rejoin is pending (re-joined here by hand): it tries it a few
        # rounds after its start. The next fault waits for that rejoin's outcome: a rejoin that stops a node
        # while the fault kills the primary made a double fault of a single one (PostgreSQL, twice).
        notes['watcher_rejoin'] = self.wait_watcher_rejoin(restarted)
        self.primary = primary
        return notes

    def wait_watcher_rejoin(self, since, timeout=WATCHER_REJOIN_WAIT_S):
        """The outcome of the rejoin a restarted watcher makes of its own ('rejoined' / 'rejoin_refused'), or
        None when it logged none within timeout (nothing pending)."""
        done = wait_watcher_event(self.cluster, since, timeout,
                                  lambda event: event.get('event') in ('rejoined', 'rejoin_refused'), poll=1.0)
        return done['event'] if done else None

    def ensure_ready(self):
        """The cluster healthy around its primary; when it is not, restored (or rebuilt), and what was found
        and done kept in ready_notes for the next run's record."""
        self.ready_notes = None
        if not fo.wait_healthy(self.cluster, self.primary, sync=True, timeout=45):
            found = fo.primary_of(self.cluster)
            self.ready_notes = {'expected_primary': self.primary, 'found_primary': found,
                                'replication': replication_state(self.cluster, found or self.primary)}
            self.ready_notes['restore'] = self.restore(found)
        self.server_ids = dict((n, server_id(self.cluster, n)) for n in self.cluster['nodes'])
        return self.primary

    # ---------------------------------------------------------------- one run
    def start_load(self):
        """ensure_ready, then both clients and the sampler; the fault starts only once a write went through
        the endpoint (a replication that is healthy says nothing of a proxy left pointing at a dead or
        read-only node by an earlier run). A cluster whose endpoint takes no write in ENDPOINT_READY_S is
        rebuilt once. -> primary, clients, sampler, seconds the endpoint took (None: never)."""
        cluster = self.cluster
        for attempt in (1, 2):
            primary = self.ensure_ready()
            self.trial += 1
            plug(primary, cluster['side'])
            direct_host = fo.address(primary, cluster['side'])
            clients = {'endpoint': Client(cluster, self.trial, self.next_id).start(),
                       'direct': Client(cluster, self.trial, DIRECT_BASE + self.trial * 1000000, host=direct_host).start()}
            sampler = WritableSampler(cluster).start()
            began = time.time()
            first = wait_for_ack(clients['endpoint'], 0, ENDPOINT_READY_S)
            if first is not None or attempt == 2:
                time.sleep(max(0.0, first + 3.0 - time.time()) if first else 0)
                return primary, clients, sampler, (round(first - began, 2) if first else None)
            log('  %s: the endpoint took no write in %d s: rebuilt' % (cluster['suite_name'], ENDPOINT_READY_S))
            for client in clients.values():
                client.stop()
            sampler.stop()
            self.heal()
            self.next_id = clients['endpoint'].next_id + 1
            self.restore(None)

    def run(self, fault):
        cluster = self.cluster
        primary, clients, sampler, endpoint_ready_s = self.start_load()
        trial = self.trial
        started = time.time()
        record = {'fault': fault, 'trial': trial, 'primary_before': primary, 'endpoint_ready_s': endpoint_ready_s}
        if self.ready_notes:
            record['not_ready_before'] = self.ready_notes
        try:
            # When the fault began: the watcher's lines (ts) are read against it.
            record['fault_at'] = round(time.time(), 3)
            record.update(FAULTS[fault](self, primary, clients) or {})
            healed = record.get('healed_at') or time.time()
            back = wait_for_ack(clients['endpoint'], healed, OBSERVE_S, record.get('not_servers') or ())
            record['endpoint_back_s'] = round(back - healed, 2) if back else None
            if back is None:
                # The endpoint's file names a writer; whether that node takes writes tells a proxy that never
                # applied its file apart from a cluster with no primary.
                try:
                    writer = endpoint_writer(cluster)
                    record['endpoint_file_writer_when_given_up'] = writer
                    record['that_writer_writable'] = node_writable(cluster, writer) if writer in cluster['nodes'] else None
                except Exception as exc:  # noqa: BLE001 - a diagnostic only
                    record['endpoint_file_writer_when_given_up'] = 'unreadable: %s' % str(exc)[:80]
            time.sleep(2.0)
        except Exception:  # noqa: BLE001 - reported with the run; the cluster is healed below
            record['error'] = traceback.format_exc()[-2000:]
            log(record['error'])
        finally:
            stopped = time.time()
            for client in clients.values():
                client.stop()
            sampler_end = sampler.stop()
            self.heal()
        self.next_id = clients['endpoint'].next_id + 1
        events = fo.watcher_events(cluster, started)
        failover_events = fs.events_named(events, 'failover')
        record['failover_events'] = len(failover_events)
        record['failover_to'] = [e.get('new_primary') for e in failover_events]
        record['repaired'] = [e.get('repaired') for e in fs.events_named(events, 'repaired')]
        record['resumed'] = len(fs.events_named(events, 'resuming'))     # a restarted watcher took up a failover
        record['watcher_errors'] = [e.get('error') for e in fs.events_named(events, 'error')][:5]
        record['partial_views'] = len(fs.events_named(events, 'partial_view'))
        # The watcher's own account of the run, for a run that went wrong (its container goes with a rebuild).
        record['watcher_log'] = [dict((k, str(e[k])[:200]) for k in WATCHER_LOG_KEYS if e.get(k) not in (None, '', []))
                                 for e in events][:60]
        record['two_writable_s'] = fst.two_writable_seconds(sampler.samples, sampler_end)
        endpoint_times = [a[1] for a in clients['endpoint'].acks]
        record['unavailable_s'] = round(fs.max_gap(endpoint_times, started, stopped, stopped), 3)
        acked = [a[0] for c in clients.values() for a in c.acks]
        warned = [i for c in clients.values() for i in c.warned]
        record.update({'acked': len(acked), 'acked_endpoint': len(clients['endpoint'].acks),
                       'acked_direct': len(clients['direct'].acks), 'acked_with_warning': len(warned),
                       'client_errors': sorted(set(e[2][:90] for c in clients.values() for e in c.errors))[:4]})
        expected = failover_events[-1].get('new_primary') if failover_events else primary
        final = self.settle(expected)
        record['final_primary'] = final
        if record.get('third_node'):
            # double_fault_after_promotion: the third node should take over; when it does not, the watcher's
            # last words say why (a refusal, an error).
            record['third_node_primary'] = final == record['third_node']
            if final != record['third_node']:
                record['why_not_third_node'] = [dict((k, e.get(k)) for k in ('event', 'error', 'step', 'reason')
                                                     if e.get(k) is not None)
                                                for e in events if e.get('event') not in ('step', 'watching')][-6:]
        # A failover finished by a restarted watcher (its repair) or by a rejoin logs no failover event:
        # the primary that changed counts as one.
        record['failovers'] = max(len(failover_events), 1 if final not in (None, primary) else 0)
        if final is None:
            record['acked_lost'] = record['acked_lost_with_warning'] = None
        else:
            try:
                present = fo.present_ids(cluster, final, trial)
                lost, lost_warned = fst.ledger_loss(acked, warned, present)
                record['acked_lost'], record['acked_lost_with_warning'] = len(lost), len(lost_warned)
                record['lost_ids'] = (lost + lost_warned)[:20]
            except Exception as exc:  # noqa: BLE001
                record['acked_lost'] = record['acked_lost_with_warning'] = None
                record['ledger_error'] = str(exc)[:200]
        self.records.append(record)     # kept even when the cluster cannot be restored
        if record.pop('compare_checksums', False):
            # After the clients stopped, before anything is re-joined: what the cycles left on every node.
            record.update(compare_checksums(cluster))
        record['restore'] = self.restore(final)
        if self.progress:
            with open(self.progress, 'a') as handle:
                handle.write(json.dumps(record, default=str) + '\n')
        log('  %s %s #%d: %s -> %s, acked %d (direct %d), lost %s (+%s warned), failovers %d, two writable %s s, '
            'unavailable %s s%s' % (cluster['suite_name'], fault, trial, primary, final, record['acked'],
                                    record['acked_direct'], record['acked_lost'], record['acked_lost_with_warning'],
                                    record['failovers'], record['two_writable_s'], record['unavailable_s'],
                                    ', ERROR' if record.get('error') else ''))
        log('    endpoint back %s s after the fault ended; client errors %s' % (
            record.get('endpoint_back_s'), record['client_errors'][:2]))
        return record


def run_engine(cluster, faults, runs, cycles, progress=None):
    bench = Bench(cluster, cycles)
    bench.progress = progress
    result, records = {}, {'image': cluster['image'], 'label': fst.suite_label(cluster['suite_name'], cluster['image']),
                           'runs': []}
    started = time.time()
    try:
        records['build_s'] = bench.build()
        for fault in faults:
            if not fst.applicable(fault, len(cluster['nodes'])):
                result[fault] = dict((key, None) for key in fst.RESULT_KEYS)
                result[fault].update(runs=0, skipped='needs three nodes (this cluster has %d)' % len(cluster['nodes']))
                continue
            first = len(bench.records)
            try:
                for _number in range(1 if fault == 'cycles' and runs > 1 and cycles > 3 else runs):
                    bench.run(fault)
            finally:
                fault_runs = bench.records[first:]
                result[fault] = fst.summarize_fault(fault, fault_runs)
                result[fault].update(fst.fault_extras(fault, fault_runs))
            if fault == 'cycles':
                result[fault]['checksums_equal'] = all(r.get('checksums_equal') for r in fault_runs)
    except Exception:  # noqa: BLE001 - the figures so far are kept; the error is reported
        records['error'] = traceback.format_exc()[-3000:]
        log(records['error'])
    finally:
        log('%s: cleaning up' % records['label'])
        bench.remove()
        records['runs'] = bench.records
    records['rebuilds'] = bench.rebuilds
    records['orphan_carriers_removed'] = bench.orphan_carriers
    records['kept_volumes_removed'] = bench.kept_volumes_removed
    records['engine_s'] = round(time.time() - started, 1)
    return result, records


def _stop(_signum, _frame):
    raise SystemExit('stopped by a signal: cleaning up')


def main():
    signal.signal(signal.SIGTERM, _stop)
    quick = os.environ.get('QUICK') == '1'
    try:
        engines = fst.select_engines(os.environ.get('ENGINES'))
        images = fst.engine_images(engines, os.environ)
        faults = fst.select_faults(os.environ.get('FAULTS'), quick)
    except ValueError as exc:
        raise SystemExit(str(exc))
    runs = 1 if quick else int(os.environ.get('RUNS') or 3)
    cycles = int(os.environ.get('CYCLES') or (3 if quick else 10))
    results_dir = os.environ.get('RESULTS_DIR') or os.path.join(HERE, 'results')
    meta = {'command': 'make bench-faults ENGINES=%s FAULTS=%s RUNS=%d CYCLES=%d%s' % (
        ','.join(engines), ','.join(faults), runs, cycles, ' QUICK=1' if quick else ''),
        'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'host': {'cpus': os.cpu_count(), 'load_average_at_start': list(os.getloadavg())},
        'images': images, 'engines': {}}
    results = {}
    if not os.path.isdir(results_dir):
        os.makedirs(results_dir)
    progress = os.path.join(results_dir, 'faults-runs.jsonl')
    open(progress, 'w').close()
    for engine in engines:
        cluster = dict(CLUSTERS[engine], image=images[engine])
        results[engine], meta['engines'][engine] = run_engine(cluster, faults, runs, cycles, progress)
    meta['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    meta['host']['load_average_at_end'] = list(os.getloadavg())
    with open(os.path.join(results_dir, 'faults.json'), 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=False)
    with open(os.path.join(results_dir, 'faults-runs.json'), 'w') as handle:
        json.dump(meta, handle, indent=2, default=str)
    os.remove(progress)     # every record is in faults-runs.json now
    print(json.dumps(results, indent=2))
    if [e for e in engines if meta['engines'][e].get('error')]:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
