# -*- coding: utf-8 -*-
"""MySQL Router 9.7 as the MySQL-native endpoint of a mysql_cluster, on MySQL 9.7 servers.

A primary and two semi-sync replicas built from fresh official-contract nodes, behind MySQL Router with
static routing (mysql_cluster_endpoint: mysqlrouter): a write through the writer port is read on both
replicas through the reader port; a rerun changes nothing; kill -9 of the primary, the failover watcher
promotes a replica and moves Router (its configuration rewritten, Router restarted): the writer port reaches the new
primary, and still does once the fenced old primary runs again; that node rejoins and a switchover back
(db_failover) moves Router again, with the write pause bounded. Bad input is refused with nothing made.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time
import uuid

import pymysql
import pytest

from conftest import (
    TEST_LABEL, container_names, free_local_ports, remove_containers, mysql_query, nodes_play, require_image, run_module, run_playbook, wait_for)

MYSQL_IMAGE = 'localhost/dbops/mysql:9.7'
ROUTER_IMAGE = 'localhost/dbops/mysql-router:9.7'
WATCHER_IMAGE = 'localhost/dbops/watcher:bookworm'
ROOT_PASSWORD = 'R00t-pass;word"x'
REPLICATION_PASSWORD = 'Repl-Pa55;w"ord'

PLAY = nodes_play('mysql_cluster', 'mysql_cluster_role', ['primary', 'replica', 'replica']) + r'''
- name: MySQL 9.7, semi-sync, behind MySQL Router
  hosts: mysql_cluster
  gather_facts: false
  vars:
    mysql_cluster_name: "{{ t_prefix }}"
    mysql_cluster_state: "{{ t_state }}"
    mysql_cluster_endpoint: "{{ t_endpoint }}"
    mysql_cluster_replication_password: "{{ t_replication_password }}"
    mysql_cluster_writer_port: "{{ t_writer_port }}"
    mysql_cluster_reader_port: "{{ t_reader_port }}"
    mysql_cluster_labels: {test.dbops: "true"}
    mysql_flavor: mysql
    mysql_image: "{{ t_mysql_image }}"
    mysql_memory: 1g
    mysql_cpus: 1
    mysql_published_ports: []
    mysql_root_password: "{{ t_root_password }}"
    mysql_password: App-Pa55word
    mysql_labels: {test.dbops: "true"}
    mysql_purge_data: "{{ t_state == 'absent' }}"
  roles:
    - role: dbops.containers.mysql_cluster
'''


# The failover watcher next to the cluster, told to move MySQL Router (its own play: the cluster play must not
# run again once the primary has moved).
WATCHER_PLAY = r'''
- name: The failover watcher of the cluster, moving MySQL Router
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run or remove the watcher
      ansible.builtin.include_role:
        name: dbops.containers.failover_watcher
      vars:
        failover_watcher_state: "{{ t_state }}"
        failover_watcher_cluster: "{{ t_prefix }}"
        failover_watcher_engine: mysql
        failover_watcher_nodes: "{{ t_nodes | map('community.general.dict_kv', 'name') | list }}"
        failover_watcher_network: "{{ t_prefix }}-net"
        failover_watcher_endpoint: {type: mysqlrouter, container: "{{ t_prefix }}-mysqlrouter"}
        failover_watcher_replication_password: "{{ t_replication_password }}"
        failover_watcher_labels: {test.dbops: "true"}
'''


class RouterCluster(object):
    def __init__(self, tmp_path):
        self.prefix = 'dbt-%s-mr' % uuid.uuid4().hex[:6]
        self.nodes = ['%s%d' % (self.prefix, i) for i in (1, 2, 3)]
        self.router = self.prefix + '-mysqlrouter'
        self.writer_port, self.reader_port = free_local_ports(2)
        self.playbook = tmp_path / 'cluster.yml'
        self.playbook.write_text(PLAY)
        self.watcher_playbook = tmp_path / 'watcher.yml'
        self.watcher_playbook.write_text(WATCHER_PLAY)
        self.vars_file = tmp_path / 'vars.json'
        self.password_file = tmp_path / 'replication'
        self.password_file.write_text(REPLICATION_PASSWORD + '\n')

    def run(self, state='started', **overrides):
        variables = {
            't_prefix': self.prefix, 't_nodes': self.nodes, 't_state': state, 't_endpoint': 'mysqlrouter',
            't_mysql_image': MYSQL_IMAGE, 't_writer_port': self.writer_port, 't_reader_port': self.reader_port,
            't_root_password': ROOT_PASSWORD, 't_replication_password': REPLICATION_PASSWORD}
        variables.update(overrides)
        return run_playbook(self.playbook, self.vars_file, variables)

    def watcher(self, state):
        return run_playbook(self.watcher_playbook, self.vars_file, {
            't_prefix': self.prefix, 't_nodes': self.nodes, 't_state': state,
            't_replication_password': REPLICATION_PASSWORD})

    def failover(self, mode, **extra):
        args = {'mode': mode, 'engine': 'mysql', 'nodes': [{'name': name} for name in self.nodes],
                'replication_password_file': str(self.password_file), 'probe_interval': 0.3,
                'endpoint': {'type': 'mysqlrouter', 'container': self.router}}
        args.update(extra)
        return run_module('db_failover', args)

    def ours(self, docker_client):
        """Names of the containers and volumes this cluster's prefix made."""
        containers = container_names(docker_client, self.prefix)
        volumes = [v.name for v in docker_client.volumes.list() if v.name.startswith(self.prefix)]
        return containers + volumes


def remove_cluster(docker_client, made):
    remove_containers(docker_client, made.prefix)
    for volume in docker_client.volumes.list():
        if volume.name.startswith(made.prefix):
            volume.remove(force=True)
    for net in docker_client.networks.list(names=[made.prefix + '-net']):
        net.remove()


@pytest.fixture
def cluster(docker_client, tmp_path):
    require_image(docker_client, MYSQL_IMAGE)
    require_image(docker_client, ROUTER_IMAGE)
    require_image(docker_client, WATCHER_IMAGE)
    made = RouterCluster(tmp_path)
    yield made
    made.watcher('absent')
    made.run('absent')
    remove_cluster(docker_client, made)


def query(host, sql, port=3306):
    return mysql_query(host, sql, password=ROOT_PASSWORD, port=port)


def address(docker_client, name):
    return next(iter(docker_client.api.inspect_container(name)['NetworkSettings']['Networks'].values()))['IPAddress']


def through(port, sql):
    """One statement on a fresh connection through a Router port (each connection is routed anew)."""
    conn = pymysql.connect(host='127.0.0.1', port=port, user='root', password=ROOT_PASSWORD, autocommit=True,
                           connect_timeout=3, read_timeout=5, write_timeout=5)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        conn.close()


def router_destinations(docker_client, router):
    """The destinations lines of Router's configuration, as it runs now."""
    text = docker_client.containers.get(router).exec_run(
        ['cat', '/etc/dbops-mysqlrouter/mysqlrouter.conf']).output.decode('utf-8')
    return [line.split('=', 1)[1].strip() for line in text.splitlines() if line.startswith('destinations')]


def reads_seen_through_reader(port, replicas, expected_rows):
    """{replica: row count} from round-robin connections through the reader port, once both replicas have
    answered with expected_rows (None while one has not)."""
    seen = {}
    for _attempt in range(6):
        try:
            host, count = through(port, 'SELECT @@hostname, (SELECT COUNT(*) FROM ledger.w)')[0]
        except pymysql.MySQLError:
            continue
        seen[host] = count
    return seen if all(seen.get(name) == expected_rows for name in replicas) else None


def test_router_endpoint_reads_writes_and_follows_failover(docker_client, cluster):
    code, output = cluster.run()
    assert code == 0, output[-5000:]
    assert ROOT_PASSWORD not in output and REPLICATION_PASSWORD not in output
    primary, replica1, replica2 = cluster.nodes
    node_ids = dict((name, query(address(docker_client, name), 'SELECT @@hostname, @@server_id')[0])
                    for name in cluster.nodes)
    # Container hostnames are ids; the test tells the nodes apart by what each reports of itself.
    hostname_of = dict((name, node_ids[name][0]) for name in cluster.nodes)
    server_id_of = dict((name, node_ids[name][1]) for name in cluster.nodes)
    assert router_destinations(docker_client, cluster.router) == [
        '%s:3306' % primary, '%s:3306,%s:3306' % (replica1, replica2)]
    router_inspect = docker_client.api.inspect_container(cluster.router)
    assert router_inspect['Config']['Image'] == 'localhost/dbops/mysql-router:9.7'
    assert ROOT_PASSWORD not in str(router_inspect) and REPLICATION_PASSWORD not in str(router_inspect)

    # A write through the writer port, read on both replicas through the reader port (round-robin).
    assert through(cluster.writer_port, 'SELECT @@server_id')[0][0] == server_id_of[primary]
    through(cluster.writer_port, 'CREATE DATABASE ledger')
    through(cluster.writer_port, 'CREATE TABLE ledger.w (id INT PRIMARY KEY)')
    through(cluster.writer_port, 'INSERT INTO ledger.w VALUES (1)')
    seen = wait_for(lambda: reads_seen_through_reader(
        cluster.reader_port, [hostname_of[replica1], hostname_of[replica2]], 1), timeout=30)
    assert hostname_of[primary] not in seen      # reads go to the replicas only
    # Every server behind the reader port is a read-only replica (asked, not written to: root may write
    # through read_only, and a row there would be a transaction its primary never had).
    assert [through(cluster.reader_port, 'SELECT @@global.read_only')[0][0] for _n in range(4)] == [1] * 4

    # A second run changes nothing: Router keeps running with the same configuration.
    started_at = docker_client.api.inspect_container(cluster.router)['State']['StartedAt']
    code, output = cluster.run()
    assert code == 0, output[-3000:]
    recap = [line for line in output.splitlines() if line.startswith(cluster.prefix) and 'ok=' in line]
    assert len(recap) == 3 and all(' changed=0 ' in line for line in recap), recap
    assert docker_client.api.inspect_container(cluster.router)['State']['StartedAt'] == started_at

    # kill -9 of the primary: the watcher finds it dead, promotes a replica and moves Router to it.
    code, output = cluster.watcher('started')
    assert code == 0, output[-3000:]
    watcher = docker_client.containers.get(cluster.prefix + '-watcher')
    wait_for(lambda: '"watching"' in watcher.logs().decode('utf-8', 'replace'), timeout=60)
    docker_client.api.kill(cluster.nodes[0])
    killed_at = time.time()
    moved = wait_for(lambda: _failover_event(watcher), timeout=90)
    new_primary = moved['new_primary']
    assert moved['old_primary'] == primary and new_primary in (replica1, replica2), moved
    other_replica = replica2 if new_primary == replica1 else replica1
    events = dict((event['event'], event['at']) for event in moved['timeline'])
    assert 'mysqlrouter -> %s' % new_primary in str(moved['timeline'])
    # Rewriting the file and restarting Router (semi-sync: after the replicas were re-pointed).
    router_move_s = events['endpoint_moved'] - events['repointed']
    assert router_move_s < 10, moved['timeline']
    assert wait_for(lambda: _server_id_through(cluster.writer_port), timeout=20) == server_id_of[new_primary]
    writer_back_s = time.time() - killed_at
    # The watcher re-joins the old primary by itself (failover_watcher_rejoin), never with force: killed while
    # a commit waited for its acknowledgement, it may keep a transaction no replica has (AFTER_SYNC crash
    # recovery), and then the rejoin is refused and it stays fenced.
    rejoin = wait_for(lambda: _watcher_event(watcher, ('rejoined', 'rejoin_refused')), timeout=120)
    assert rejoin['node'] == primary, rejoin
    rejoined_by_watcher = rejoin['event'] == 'rejoined'
    logs = watcher.logs().decode('utf-8', 'replace')
    assert ROOT_PASSWORD not in logs and REPLICATION_PASSWORD not in logs
    # A switchover stops the primary on purpose: the watcher goes before it (docs/guide-failover.md).
    code, output = cluster.watcher('absent')
    assert code == 0, output[-3000:]
    assert router_destinations(docker_client, cluster.router) == [
        '%s:3306' % new_primary, '%s:3306' % other_replica]
    # The writer port reaches the new primary: its server_id, and a write that it keeps.
    through(cluster.writer_port, 'INSERT INTO ledger.w VALUES (3)')
    assert query(address(docker_client, new_primary), 'SELECT COUNT(*) FROM ledger.w WHERE id = 3')[0][0] == 1
    wait_for(lambda: query(address(docker_client, other_replica), 'SELECT COUNT(*) FROM ledger.w')[0][0] == 2)

    # The old primary runs again (re-joined as a replica, or started by hand while fenced): the writer port
    # still names only the new primary.
    if not rejoined_by_watcher:
        docker_client.api.start(primary)
    wait_for(lambda: _answers(docker_client, primary), timeout=90)
    for _attempt in range(5):
        assert through(cluster.writer_port, 'SELECT @@server_id')[0][0] == server_id_of[new_primary]
    assert primary not in ' '.join(router_destinations(docker_client, cluster.router))

    # The role run again with the inventory of before the failover (the old primary as primary) is refused
    # and leaves Router alone: its writer route does not go back to the fenced old primary.
    started_at = docker_client.api.inspect_container(cluster.router)['State']['StartedAt']
    code, output = cluster.run()
    assert code != 0, output[-3000:]
    # db_replication refuses the old primary as the primary: a replica of the new one, or fenced read-only.
    refusal = 'replicates from' if rejoined_by_watcher else 'this server is read-only'
    assert refusal in output, output[-3000:]
    assert router_destinations(docker_client, cluster.router)[0] == '%s:3306' % new_primary
    assert docker_client.api.inspect_container(cluster.router)['State']['StartedAt'] == started_at
    assert through(cluster.writer_port, 'SELECT @@server_id')[0][0] == server_id_of[new_primary]
    assert query(address(docker_client, primary), 'SELECT @@global.read_only')[0][0] == 1

    # Rejoined, the old primary is a reader again after a switchover back to it, and the writer port follows.
    rejoined = cluster.failover('rejoin', node=primary)
    if rejoined.failed:
        # Killed while a commit waited for its acknowledgement, it may keep a transaction no replica has
        # (AFTER_SYNC crash recovery, docs/guide-failover.md): force re-seeds it from the new primary.
        assert 'transactions its source does not have' in rejoined['msg'], rejoined['msg']
        rejoined = cluster.failover('rejoin', node=primary, force=True)
    assert not rejoined.failed, rejoined.get('msg')
    switched = cluster.failover('switchover', candidate=primary)
    assert not switched.failed, switched.get('msg')
    assert switched['new_primary'] == primary
    # The write pause holds Router's restart: bounded here, measured in the output (pytest -s).
    assert switched['write_pause_s'] < 5, switched['timeline']
    assert wait_for(lambda: _server_id_through(cluster.writer_port), timeout=20) == server_id_of[primary]
    # The demoted primary is not in the reader route: the move is planned before the switchover, when it
    # still takes writes (as HAProxy's replicas backend; the role's next run writes the full list).
    assert router_destinations(docker_client, cluster.router) == ['%s:3306' % primary, '%s:3306' % other_replica]
    print('mysqlrouter figures: kill -9 to writer port on the new primary %.1f s (watcher), endpoint move '
          '%.3f s, switchover write pause %.3f s' % (writer_back_s, router_move_s, switched['write_pause_s']))


def _watcher_event(watcher, names):
    """The first of the watcher's events named one of names (a JSON line of its log), else None."""
    for line in watcher.logs().decode('utf-8', 'replace').splitlines():
        if line.startswith('{'):
            event = json.loads(line)
            if event.get('event') in names:
                return event
    return None


def _failover_event(watcher):
    """The watcher's failover event (a JSON line of its log), once it has made one."""
    for line in watcher.logs().decode('utf-8', 'replace').splitlines():
        if line.startswith('{') and '"event": "failover"' in line:
            return json.loads(line)
    return None


def _server_id_through(port):
    try:
        return through(port, 'SELECT @@server_id')[0][0]
    except pymysql.MySQLError:
        return None     # Router is restarting


def _answers(docker_client, name):
    try:
        return query(address(docker_client, name), 'SELECT 1')
    except Exception:  # noqa: BLE001 - still starting
        return None


@pytest.fixture
def refused_cluster(docker_client, tmp_path):
    require_image(docker_client, ROUTER_IMAGE)
    made = RouterCluster(tmp_path)
    yield made
    remove_cluster(docker_client, made)


@pytest.mark.parametrize('case', ['unknown endpoint', 'same port twice', 'port published by another container'])
def test_bad_input_is_refused_with_nothing_made(docker_client, refused_cluster, case):
    made = refused_cluster
    blocker = None
    if case == 'unknown endpoint':
        code, output = made.run(t_endpoint='nginx')
        wanted = ['mysql_cluster_endpoint', 'nginx']
    elif case == 'same port twice':
        code, output = made.run(t_reader_port=made.writer_port)
        wanted = ['mysql_cluster_writer_port and mysql_cluster_reader_port are both %s' % made.writer_port]
    else:
        # Another container already holds the reader port on the endpoint's address.
        blocker = docker_client.containers.run(
            ROUTER_IMAGE, ['sleep', '600'], name=made.prefix + 'x-blocker', detach=True, labels=TEST_LABEL,
            ports={'%d/tcp' % made.reader_port: ('127.0.0.1', made.reader_port)})
        code, output = made.run()
        wanted = ['container %s already publishes 127.0.0.1:%d' % (blocker.name, made.reader_port),
                  'Nothing was changed']
    try:
        assert code != 0, output[-3000:]
        for text in wanted:
            assert text in output, output[-3000:]
        # Not one node, volume or network: the play stopped before the first change.
        leftovers = [name for name in made.ours(docker_client) if not name.endswith('x-blocker')]
        assert leftovers == [], leftovers
        assert not docker_client.networks.list(names=[made.prefix + '-net'])
        assert ROOT_PASSWORD not in output and REPLICATION_PASSWORD not in output
    finally:
        if blocker is not None:
            blocker.remove(force=True)


def test_watcher_restarted_after_dying_mid_failover_finishes_it(docker_client, cluster):
    """The watcher died right after promoting a replica (fenced old primary, new primary writable, Router and
    the other replica still on the old one). Started again, it finishes the failover before watching on."""
    code, output = cluster.run()
    assert code == 0, output[-5000:]
    primary, promoted, stranded = cluster.nodes
    through(cluster.writer_port, 'CREATE DATABASE ledger')
    through(cluster.writer_port, 'CREATE TABLE ledger.w (id INT PRIMARY KEY)')
    through(cluster.writer_port, 'INSERT INTO ledger.w VALUES (1)')
    wait_for(lambda: query(address(docker_client, stranded), 'SELECT COUNT(*) FROM ledger.w')[0][0] == 1)

    # What the watcher had done when it died: fenced the old primary, promoted one replica.
    docker_client.api.kill(primary)
    docker_client.api.update_container(primary, restart_policy={'Name': 'no'})
    query(address(docker_client, promoted), 'STOP REPLICA')
    query(address(docker_client, promoted), 'RESET REPLICA ALL')
    query(address(docker_client, promoted), 'SET GLOBAL super_read_only = OFF')
    query(address(docker_client, promoted), 'SET GLOBAL read_only = OFF')
    assert router_destinations(docker_client, cluster.router)[0] == '%s:3306' % primary

    code, output = cluster.watcher('started')
    assert code == 0, output[-3000:]
    watcher = docker_client.containers.get(cluster.prefix + '-watcher')

    def repaired_event():
        for line in watcher.logs().decode('utf-8', 'replace').splitlines():
            if '"repaired"' in line:
                return json.loads(line[line.index('{'):])
        return None
    event = wait_for(repaired_event, timeout=90)
    assert event['primary'] == promoted, event
    assert any(stranded in step for step in event['repaired']), event
    assert any('endpoint' in step for step in event['repaired']), event
    # Writes reach the promoted node through the writer port and replicate to the stranded replica.
    assert router_destinations(docker_client, cluster.router)[0] == '%s:3306' % promoted
    through(cluster.writer_port, 'INSERT INTO ledger.w VALUES (2)')
    wait_for(lambda: query(address(docker_client, stranded), 'SELECT COUNT(*) FROM ledger.w')[0][0] == 2, timeout=30)
    # Nothing else: no failover of the healthy new primary.
    assert '"failover"' not in watcher.logs().decode('utf-8', 'replace')
