# -*- coding: utf-8 -*-
"""The failover watcher (role failover_watcher) against faults on a real MariaDB 11.8 cluster (a primary and two
semi-sync replicas behind HAProxy, role mysql_cluster):

- kill -9 of the primary: the Docker event wakes the watcher, its probe rounds run back to back and the
  failover starts within a bound measured from the kill; the old primary is re-joined by itself afterwards;
  a healthy cluster logs nothing per round;
- one replica cut off: no failover; the primary cut off from the watcher, HAProxy and one replica while the
  other replica still reaches it (a network of their own): failed over, that replica no longer vetoes;
- the watcher killed after its record says ``promoted``: started again, it resumes from the record (endpoint
  and stranded replica moved to the promoted node), and does not fail over again;
- a replica that stops replicating and takes writes: fenced (an incident), the primary kept;
- PostgreSQL 18 with one standby (role postgresql_cluster, PgBouncer): kill -9 of the primary, the watcher
  fails over and re-joins the old primary (pg_rewind) by itself, so a second kill -9 fails over again.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import json
import threading
import time
import uuid

import pymysql
import pytest

from conftest import (
    TEST_LABEL, free_local_ports, mysql_query, nodes_play, pg_query, remove_containers, require_image, run_module,
    run_playbook, wait_for)

# Detection time is bounded (KILL_TO_FAILOVER_BOUND_S): judged with nothing else running (make integration).
pytestmark = pytest.mark.alone
MARIADB_IMAGE = 'localhost/dbops/mariadb:11.8'
HAPROXY_IMAGE = 'localhost/dbops/haproxy:2.6'
WATCHER_IMAGE = 'localhost/dbops/watcher:bookworm'
POSTGRES_IMAGE = 'localhost/dbops/postgres:18'
PGBOUNCER_IMAGE = 'localhost/dbops/pgbouncer:1.18'
ROOT_PASSWORD = 'R00t-pass;word"x'
REPLICATION_PASSWORD = 'Repl-Pa55;w"ord'
# The goal is 2 s from kill -9 to the failover's start (issue 16); the bound allows for a loaded 2-core machine.
KILL_TO_FAILOVER_BOUND_S = 8

PLAY = nodes_play('mysql_cluster', 'mysql_cluster_role', ['primary', 'replica', 'replica']) + r'''
- name: MariaDB 11.8, semi-sync, behind HAProxy
  hosts: mysql_cluster
  gather_facts: false
  vars:
    mysql_cluster_name: "{{ t_prefix }}"
    mysql_cluster_state: "{{ t_state }}"
    mysql_cluster_endpoint: haproxy
    mysql_cluster_replication_password: "{{ t_replication_password }}"
    mysql_cluster_writer_port: "{{ t_writer_port }}"
    mysql_cluster_reader_port: "{{ t_reader_port }}"
    mysql_cluster_labels: {test.dbops: "true"}
    mysql_flavor: mariadb
    mysql_image: "{{ t_image }}"
    mysql_memory: 512m
    mysql_cpus: 1
    mysql_published_ports: []
    mysql_root_password: "{{ t_root_password }}"
    mysql_password: App-Pa55word
    mysql_labels: {test.dbops: "true"}
    mysql_purge_data: "{{ t_state == 'absent' }}"
  roles:
    - role: dbops.containers.mysql_cluster
'''

PG_PLAY = nodes_play('postgresql_cluster', 'postgresql_cluster_role', ['primary', 'standby']) + r'''
- name: PostgreSQL 18, one standby, behind PgBouncer
  hosts: postgresql_cluster
  gather_facts: false
  vars:
    postgresql_cluster_name: "{{ t_prefix }}"
    postgresql_cluster_state: "{{ t_state }}"
    postgresql_cluster_replication_password: "{{ t_replication_password }}"
    postgresql_cluster_pgbouncer_port: "{{ t_writer_port }}"
    postgresql_cluster_labels: {test.dbops: "true"}
    postgresql_image: "{{ t_image }}"
    postgresql_memory: 512m
    postgresql_cpus: 1
    postgresql_published_ports: []
    postgresql_root_password: "{{ t_root_password }}"
    postgresql_password: App-Pa55word
    postgresql_labels: {test.dbops: "true"}
    postgresql_purge_data: "{{ t_state == 'absent' }}"
  roles:
    - role: dbops.containers.postgresql_cluster
'''

WATCHER_PLAY = r'''
- name: The cluster's failover watcher
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run or remove the watcher
      ansible.builtin.include_role:
        name: dbops.containers.failover_watcher
      vars:
        failover_watcher_state: "{{ t_state }}"
        failover_watcher_cluster: "{{ t_prefix }}"
        failover_watcher_engine: "{{ t_engine }}"
        failover_watcher_nodes: "{{ t_nodes | map('community.general.dict_kv', 'name') | list }}"
        failover_watcher_network: "{{ t_prefix }}-net"
        failover_watcher_endpoint: {type: "{{ t_endpoint }}", container: "{{ t_prefix }}-{{ t_endpoint }}"}
        failover_watcher_synchronous: "{{ t_engine == 'postgres' }}"
        failover_watcher_replication_password: "{{ t_replication_password }}"
        failover_watcher_rejoin: "{{ t_rejoin }}"
        failover_watcher_labels: {test.dbops: "true"}
'''


class Cluster(object):
    ENGINE, ENDPOINT, IMAGE, NODES = 'mariadb', 'haproxy', MARIADB_IMAGE, 3

    def __init__(self, tmp_path, docker_client):
        self.docker = docker_client
        self.prefix = 'dbt-%s-wf' % uuid.uuid4().hex[:6]
        self.nodes = ['%s%d' % (self.prefix, i) for i in range(1, self.NODES + 1)]
        self.network = self.prefix + '-net'
        self.watcher_name = self.prefix + '-watcher'
        self.writer_port, self.reader_port = free_local_ports(2)
        self.playbook = tmp_path / 'cluster.yml'
        self.playbook.write_text(PG_PLAY if self.ENGINE == 'postgres' else PLAY)
        self.watcher_playbook = tmp_path / 'watcher.yml'
        self.watcher_playbook.write_text(WATCHER_PLAY)
        self.vars_file = tmp_path / 'vars.json'

    def run(self, state='started'):
        code, output = run_playbook(self.playbook, self.vars_file, {
            't_prefix': self.prefix, 't_nodes': self.nodes, 't_state': state, 't_image': self.IMAGE,
            't_writer_port': self.writer_port, 't_reader_port': self.reader_port,
            't_root_password': ROOT_PASSWORD, 't_replication_password': REPLICATION_PASSWORD})
        assert state == 'absent' or code == 0, output[-5000:]
        return output

    def watcher(self, state='started', rejoin=True):
        code, output = run_playbook(self.watcher_playbook, self.vars_file, {
            't_prefix': self.prefix, 't_nodes': self.nodes, 't_state': state, 't_rejoin': rejoin,
            't_engine': self.ENGINE, 't_endpoint': self.ENDPOINT,
            't_replication_password': REPLICATION_PASSWORD})
        assert state == 'absent' or code == 0, output[-3000:]
        if state == 'started':
            wait_for(lambda: 'watching' in names(self.events()), timeout=90)

    def events(self):
        """The watcher's log, one dict per JSON line."""
        try:
            text = self.docker.containers.get(self.watcher_name).logs().decode('utf-8', 'replace')
        except Exception:  # noqa: BLE001 - not there yet
            return []
        return [json.loads(line) for line in text.splitlines() if line.startswith('{')]

    def event(self, name, number=1):
        """The number-th event called name, once the watcher logged it."""
        found = [e for e in self.events() if e['event'] == name]
        return found[number - 1] if len(found) >= number else None

    def address(self, name):
        return self.docker.api.inspect_container(name)['NetworkSettings']['Networks'][self.network]['IPAddress']

    def query(self, name, sql):
        return mysql_query(self.address(name), sql, password=ROOT_PASSWORD)

    def source_of(self, name):
        conn = pymysql.connect(host=self.address(name), user='root', password=ROOT_PASSWORD, connect_timeout=5,
                               cursorclass=pymysql.cursors.DictCursor)
        try:
            with conn.cursor() as cursor:
                cursor.execute('SHOW SLAVE STATUS')
                row = cursor.fetchone()
                return row['Master_Host'] if row else None
        finally:
            conn.close()

    def writer(self, sql):
        """One statement through HAProxy's writer port, on a fresh connection (None while it fails)."""
        try:
            conn = pymysql.connect(host='127.0.0.1', port=self.writer_port, user='root', password=ROOT_PASSWORD,
                                   autocommit=True, connect_timeout=3, read_timeout=5, write_timeout=5)
        except pymysql.MySQLError:
            return None
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        except pymysql.MySQLError:
            return None
        finally:
            conn.close()

    def remove(self):
        remove_containers(self.docker, self.prefix)
        for volume in self.docker.volumes.list():
            if volume.name.startswith(self.prefix):
                # A one-shot job of the watcher's rejoin (pg_rewind, unnamed) that the watcher's stop cut
                # short still mounts the node's volumes and its <node>-rewind-<hex> carrier.
                for user in self.docker.containers.list(all=True, filters={'volume': volume.name}):
                    user.remove(force=True, v=True)
                volume.remove(force=True)
        for net in self.docker.networks.list():
            if net.name.startswith(self.prefix):
                net.remove()


def names(events):
    return [e['event'] for e in events]


def at(event):
    """The event's time (its ts, UTC with milliseconds) in seconds since the epoch."""
    stamp, fraction = event['ts'].rstrip('Z').split('.')
    return calendar.timegm(time.strptime(stamp, '%Y-%m-%dT%H:%M:%S')) + float('0.' + fraction)


@pytest.fixture
def cluster(docker_client, tmp_path):
    for image in (MARIADB_IMAGE, HAPROXY_IMAGE, WATCHER_IMAGE):
        require_image(docker_client, image)
    made = Cluster(tmp_path, docker_client)
    made.run()
    made.query(made.nodes[0], 'CREATE DATABASE ledger')
    made.query(made.nodes[0], 'CREATE TABLE ledger.w (id INT PRIMARY KEY)')
    made.query(made.nodes[0], 'INSERT INTO ledger.w VALUES (1)')
    for replica in made.nodes[1:]:
        wait_for(lambda replica=replica: made.query(replica, 'SELECT COUNT(*) FROM ledger.w')[0][0] == 1, timeout=30)
    yield made
    made.watcher('absent')
    made.run('absent')
    made.remove()


def server_id_behind_writer(made):
    rows = made.writer('SELECT @@server_id')
    return rows[0][0] if rows else None


def test_kill_9_of_the_primary_fails_over_at_once_and_the_old_primary_rejoins(cluster):
    primary = cluster.nodes[0]
    server_ids = dict((name, cluster.query(name, 'SELECT @@server_id')[0][0]) for name in cluster.nodes)
    cluster.watcher()
    # Healthy: nothing logged per round (a few seconds of rounds, one look for a second writable node).
    time.sleep(7)
    assert names(cluster.events()) == ['started', 'watching'], cluster.events()

    cluster.docker.api.kill(primary)
    killed = time.time()
    failed_over = wait_for(lambda: cluster.event('failover'), timeout=90)
    dead = cluster.event('primary_dead')
    # Woken by the container's event (kill or die), confirmed by probe rounds run back to back.
    assert dead['docker_event'] in ('kill', 'die'), dead
    assert dead['rounds'] == 3 and dead['views']['controller'] is False, dead
    detect_s, failover_s = at(dead) - killed, at(failed_over) - killed
    assert detect_s < KILL_TO_FAILOVER_BOUND_S, (detect_s, dead)
    new_primary = failed_over['new_primary']
    assert failed_over['old_primary'] == primary and new_primary in cluster.nodes[1:], failed_over
    assert wait_for(lambda: server_id_behind_writer(cluster), timeout=20) == server_ids[new_primary]
    assert cluster.writer('INSERT INTO ledger.w VALUES (2)') is not None

    # The old primary comes back as a replica of the new one, without anyone running a rejoin.
    rejoined = wait_for(lambda: cluster.event('rejoined') or cluster.event('rejoin_refused'), timeout=120)
    assert rejoined['event'] == 'rejoined' and rejoined['node'] == primary, rejoined
    assert cluster.source_of(primary) == new_primary
    wait_for(lambda: cluster.query(primary, 'SELECT COUNT(*) FROM ledger.w')[0][0] == 2, timeout=30)
    assert cluster.query(primary, 'SELECT @@GLOBAL.read_only')[0][0] == 1
    assert 'error' not in names(cluster.events()), cluster.events()
    print('\nwatcher kill -9 figures: kill to primary_dead %.2f s (event to primary_dead %.2f s, rounds %s s), '
          'kill to failover done %.2f s (timeline %s)' % (detect_s, dead['since_docker_event_s'], dead['round_s'],
                                                          failover_s, failed_over['timeline']))


def test_a_partitioned_replica_is_no_failover_an_asymmetric_partition_is(cluster):
    primary, replica2, replica3 = cluster.nodes
    cluster.watcher(rejoin=False)
    net = cluster.docker.networks.get(cluster.network)

    # One replica cut off: a partial view, logged once, no failover.
    net.disconnect(replica3)
    time.sleep(8)
    net.connect(replica3, aliases=[replica3])
    time.sleep(3)
    seen = names(cluster.events())
    assert 'primary_dead' not in seen and 'failover' not in seen, cluster.events()
    assert seen.count('partial_view') == 1, cluster.events()
    wait_for(lambda: cluster.source_of(replica3) == primary, timeout=10)

    # The primary leaves the cluster's network: the watcher, HAProxy and replica3 lose it, replica2 still
    # reaches it (and replicates from it) through a network the two share.
    side = cluster.docker.networks.create(cluster.prefix + '-side', labels=TEST_LABEL)
    side.connect(primary, aliases=[primary])
    side.connect(replica2, aliases=[replica2])
    net.disconnect(primary)
    cut = time.time()
    failed_over = wait_for(lambda: cluster.event('failover'), timeout=90)
    dead = cluster.event('primary_dead')
    assert dead['views']['controller'] is False and dead['views'][replica3] is False, dead
    assert dead['views'][replica2] is True, dead        # outvoted, no longer a veto
    assert failed_over['old_primary'] == primary, failed_over
    new_primary = failed_over['new_primary']
    assert cluster.docker.api.inspect_container(primary)['State']['Running'] is False      # fenced
    assert wait_for(lambda: cluster.writer('INSERT INTO ledger.w VALUES (2)') is not None, timeout=20) is True
    other = replica3 if new_primary == replica2 else replica2
    wait_for(lambda: cluster.query(other, 'SELECT COUNT(*) FROM ledger.w')[0][0] == 2, timeout=30)
    print('\nwatcher asymmetric partition: cut to failover done %.2f s, views %s'
          % (at(failed_over) - cut, dead['views']))


def test_a_watcher_killed_after_promoting_resumes_from_its_record(cluster):
    primary, promoted, stranded = cluster.nodes
    cluster.watcher()
    watcher = cluster.docker.containers.get(cluster.watcher_name)
    # What the watcher had done when it was killed: the intent recorded, the old primary fenced, a replica
    # promoted; HAProxy and the other replica still on the old primary.
    watcher.kill()
    cluster.docker.api.kill(primary)
    cluster.docker.api.update_container(primary, restart_policy={'Name': 'no'})
    cluster.query(promoted, 'STOP SLAVE')
    cluster.query(promoted, 'RESET SLAVE ALL')
    cluster.query(promoted, 'SET GLOBAL read_only = OFF')
    now = time.time()
    steps = ['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted']
    record = {'kind': 'failover', 'old_primary': primary, 'candidate': promoted, 'started': now, 'finished': False,
              'steps': [{'step': step, 'at': 0.1 * number, 'time': now} for number, step in enumerate(steps)]}
    state = cluster.watcher_name + '-state'
    cluster.docker.containers.run(
        WATCHER_IMAGE, ['python3', '-c', 'import sys; open("/state/failover.json", "w").write(sys.argv[1])',
                        json.dumps(record)],
        volumes={state: {'bind': '/state', 'mode': 'rw'}}, remove=True, labels=TEST_LABEL)
    started = len(cluster.events())
    watcher.start()

    repaired = wait_for(lambda: next((e for e in cluster.events()[started:] if e['event'] == 'repaired'), None),
                        timeout=90)
    after = cluster.events()[started:]
    resuming = next(e for e in after if e['event'] == 'resuming')
    assert resuming['candidate'] == promoted and resuming['steps'][-1] == 'promoted', resuming
    assert repaired['primary'] == promoted and repaired['resumed'] is True, repaired
    assert any('endpoint' in step for step in repaired['repaired']), repaired
    assert any(stranded in step for step in repaired['repaired']), repaired
    assert cluster.source_of(stranded) == promoted
    assert wait_for(lambda: cluster.writer('INSERT INTO ledger.w VALUES (3)') is not None, timeout=20) is True
    assert cluster.query(promoted, 'SELECT COUNT(*) FROM ledger.w WHERE id = 3')[0][0] == 1
    wait_for(lambda: cluster.query(stranded, 'SELECT COUNT(*) FROM ledger.w')[0][0] == 2, timeout=30)
    # The record says so, and nothing else happened: no second failover of the healthy promoted node.
    text = cluster.docker.containers.run(
        WATCHER_IMAGE, ['cat', '/state/failover.json'], volumes={state: {'bind': '/state', 'mode': 'ro'}},
        remove=True, labels=TEST_LABEL).decode('utf-8')
    assert json.loads(text)['outcome'] == 'resumed' and json.loads(text)['finished'] is True
    assert 'failover' not in names(cluster.events()[started:])


def test_a_second_writable_node_is_fenced_and_the_primary_kept(cluster):
    # A replica that stops replicating and takes writes (a restart without its start-up file, a hand's
    # RESET SLAVE ALL): an incident the watcher resolves within a few rounds, never a reason to stop watching.
    primary, replica2, rogue = cluster.nodes
    cluster.watcher()
    cluster.query(rogue, 'STOP SLAVE')
    cluster.query(rogue, 'RESET SLAVE ALL')
    cluster.query(rogue, 'SET GLOBAL read_only = OFF')
    incident = wait_for(lambda: cluster.event('incident'), timeout=60)
    assert incident['node'] == rogue and incident['primary'] == primary and incident['action'] == 'fenced', incident
    inspect = cluster.docker.api.inspect_container(rogue)
    assert inspect['State']['Running'] is False and inspect['HostConfig']['RestartPolicy']['Name'] == 'no'
    assert cluster.docker.api.inspect_container(primary)['State']['Running'] is True
    assert cluster.writer('INSERT INTO ledger.w VALUES (2)') is not None
    wait_for(lambda: cluster.query(replica2, 'SELECT COUNT(*) FROM ledger.w')[0][0] == 2, timeout=30)
    time.sleep(3)
    seen = names(cluster.events())
    assert 'primary_dead' not in seen and 'error' not in seen and seen.count('incident') == 1, cluster.events()


def test_a_partitioned_primary_that_took_a_write_alone_rejoins_with_force(cluster, tmp_path):
    """A primary (not the first one: its server_id wrote after another's) cut off from the cluster while a
    client on its side writes to it: the commit waits (no replica acknowledges it; durability required) but is
    in its binary log when the fence kills it. Its history diverged, so a rejoin needs force: its data is kept
    aside and it is rebuilt from the new primary. The emptied node's first start gives it GTIDs of its own
    server_id, which the new primary's history holds higher ones of: it must be reset and replay that history,
    not stop on gtid_strict_mode's out-of-order error (the fault suite's cycles and partition_primary)."""
    cluster.watcher(rejoin=False)
    cluster.docker.api.kill(cluster.nodes[0])
    primary = wait_for(lambda: cluster.event('failover'), timeout=90)['new_primary']
    for number in range(2, 7):
        assert wait_for(lambda number=number: cluster.writer(
            'INSERT IGNORE INTO ledger.w VALUES (%d)' % number) is not None, timeout=30) is True

    side = cluster.docker.networks.create(cluster.prefix + '-side', labels=TEST_LABEL)
    side.connect(primary, aliases=[primary])
    cluster.docker.networks.get(cluster.network).disconnect(primary)
    side_address = cluster.docker.api.inspect_container(primary)['NetworkSettings']['Networks'][side.name]['IPAddress']
    alone = pymysql.connect(host=side_address, user='root', password=ROOT_PASSWORD, autocommit=True,
                            connect_timeout=5, read_timeout=60)
    writing = threading.Thread(target=_ignore_errors, args=(alone, 'INSERT INTO ledger.w VALUES (99)'))
    writing.daemon = True
    writing.start()

    new_primary = wait_for(lambda: cluster.event('failover', 2), timeout=90)['new_primary']
    writing.join(10)
    assert not writing.is_alive(), 'the write on the fenced primary did not end with its server'
    cluster.docker.networks.get(cluster.network).connect(primary, aliases=[primary])
    side.disconnect(primary)
    assert cluster.query(new_primary, 'SELECT COUNT(*) FROM ledger.w WHERE id = 99')[0][0] == 0

    password_file = tmp_path / 'replication'
    password_file.write_text(REPLICATION_PASSWORD + '\n')
    args = {'mode': 'rejoin', 'engine': 'mariadb', 'nodes': [{'name': name} for name in cluster.nodes],
            'network': cluster.network, 'replication_password_file': str(password_file), 'node': primary}
    refused = run_module('db_failover', args)
    assert refused.failed and 'transactions its source does not have' in refused['msg'], refused
    started = time.time()
    rejoined = run_module('db_failover', dict(args, force=True))
    assert not rejoined.failed, rejoined.get('msg')
    assert rejoined['reseeded'] is True and rejoined['kept_data_volume'].startswith(primary + '-dbops-diverged-')
    assert cluster.source_of(primary) == new_primary
    # Its only replica now (the first primary stays fenced): the new primary's commits wait for it.
    assert wait_for(lambda: cluster.writer('INSERT IGNORE INTO ledger.w VALUES (7)') is not None, timeout=60) is True
    wait_for(lambda: cluster.query(primary, 'SELECT COUNT(*) FROM ledger.w')[0][0] == 7, timeout=60)
    assert cluster.query(primary, 'SELECT @@GLOBAL.read_only')[0][0] == 1
    print('\nforced rejoin of a partitioned primary that diverged: %.1f s' % (time.time() - started))


def _ignore_errors(conn, sql):
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    except pymysql.MySQLError:
        pass    # its server is killed by the fence while the commit waits
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - already gone
            pass


class PgCluster(Cluster):
    ENGINE, ENDPOINT, IMAGE, NODES = 'postgres', 'pgbouncer', POSTGRES_IMAGE, 2

    def query(self, name, sql):
        return pg_query(self.address(name), sql, password=ROOT_PASSWORD)


@pytest.fixture
def pg_cluster(docker_client, tmp_path):
    for image in (POSTGRES_IMAGE, PGBOUNCER_IMAGE, WATCHER_IMAGE):
        require_image(docker_client, image)
    made = PgCluster(tmp_path, docker_client)
    made.run()
    made.query(made.nodes[0], 'CREATE TABLE ledger (id int PRIMARY KEY)')
    made.query(made.nodes[0], 'INSERT INTO ledger VALUES (1)')
    yield made
    made.watcher('absent')
    made.run('absent')
    made.remove()


def test_postgres_with_one_standby_fails_over_twice_thanks_to_the_rejoin(pg_cluster):
    first, second = pg_cluster.nodes
    pg_cluster.watcher()
    time.sleep(3)
    assert names(pg_cluster.events()) == ['started', 'watching'], pg_cluster.events()

    pg_cluster.docker.api.kill(first)
    failed_over = wait_for(lambda: pg_cluster.event('failover'), timeout=90)
    assert (failed_over['old_primary'], failed_over['new_primary']) == (first, second), failed_over
    # No standby is left until the old primary returns: the watcher re-joins it (pg_rewind), by itself.
    rejoined = wait_for(lambda: pg_cluster.event('rejoined') or pg_cluster.event('rejoin_refused'), timeout=180)
    assert rejoined['event'] == 'rejoined' and rejoined['node'] == first, rejoined
    assert pg_cluster.query(first, 'SELECT pg_is_in_recovery()') == [(True,)]
    pg_cluster.query(second, 'INSERT INTO ledger VALUES (2)')
    wait_for(lambda: pg_cluster.query(first, 'SELECT count(*) FROM ledger') == [(2,)], timeout=30)

    # So the cluster can fail over again.
    pg_cluster.docker.api.kill(second)
    again = wait_for(lambda: pg_cluster.event('failover', 2), timeout=90)
    assert (again['old_primary'], again['new_primary']) == (second, first), again
    assert pg_cluster.query(first, 'SELECT pg_is_in_recovery(), count(*) FROM ledger GROUP BY 1') == [(False, 2)]
    errors = [e for e in pg_cluster.events() if e['event'] == 'error']
    assert errors == [], errors
