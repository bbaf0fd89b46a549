# -*- coding: utf-8 -*-
"""durability required | preferred on real MariaDB and MySQL servers: a primary and one semi-sync replica.

required: the primary's semi-sync never falls back. With its only replica stopped, a commit waits (it has not
returned after 5 s) and returns once the replica is back; a restart keeps the no-fallback timeout (the
start-up file db_replication writes). preferred, with a short timeout: the same commit returns after the
timeout, and the failover driver's synchronous_commits, which the watcher's probe reads every round, says the
primary fell back to asynchronous commits (False); it says True on the healthy semi-sync primary.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from conftest import base_args, container_names, mysql_query, nodes_play, remove_containers, require_image, retry, run_module, run_playbook, wait_for

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import failover as fmy
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.adapter import mysql_connect
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import (
    SEMI_SYNC_NO_FALLBACK_MS, flavor_named)

ROOT_PASSWORD = base_args('x', 'mysql')['root_password']
REPL_PASSWORD = 'Repl-Pa55;w"ord'
IMAGES = {'mariadb': 'localhost/dbops/mariadb:10.11', 'mariadb-11.8': 'localhost/dbops/mariadb:11.8',
          'mysql': 'localhost/dbops/mysql:9.7'}
SETTINGS = {
    'mariadb': {'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON', 'binlog_format': 'ROW'},
    'mysql': {'log_bin': 'mysql-bin', 'gtid_mode': 'ON', 'enforce_gtid_consistency': 'ON', 'binlog_format': 'ROW',
              'log_replica_updates': 'ON'},
}
# How long a commit that must wait is watched before it is called waiting.
WAITING_S = 5


class Node(object):
    def __init__(self, docker_client, name, engine):
        self.docker_client, self.name, self.engine = docker_client, name, engine

    @property
    def ip(self):
        networks = self.docker_client.api.inspect_container(self.name)['NetworkSettings']['Networks']
        return next(iter(networks.values()))['IPAddress']

    def query(self, sql):
        return mysql_query(self.ip, sql, password=ROOT_PASSWORD)

    def value(self, sql):
        return self.query(sql)[0][0]

    def connect(self):
        return retry(lambda: mysql_connect(self.ip, 3306, 'root', ROOT_PASSWORD, None, 5))


def make_node(docker_client, name, server_id, network, flavor):
    engine = 'mysql' if flavor == 'mysql' else 'mariadb'
    result = run_module('db_container', base_args(
        name, engine, image=IMAGES[flavor], settings=dict(SETTINGS[engine], server_id=server_id),
        networks=[{'name': network, 'aliases': [name]}]))
    assert not result.failed, result.get('msg')
    return Node(docker_client, name, engine)


def replicate(role, node, **extra):
    args = {'role': role, 'container': node.name, 'engine': node.engine, 'replication_password': REPL_PASSWORD}
    args.update(extra)
    return run_module('db_replication', args)


def synchronous_commits(node):
    """What the failover driver's hook says from the primary's session (the controller probe's question)."""
    driver = fmy.FailoverDriver(SimpleNamespace(engine=node.engine, params={}))
    conn = node.connect()
    try:
        return driver.synchronous_commits(conn)
    finally:
        conn.close()


def acknowledged_alone(node):
    """The primary's count of commits acknowledged without a replica (Rpl_semi_sync_*_no_tx), as the driver
    reads it (None: not found under any name the flavor knows)."""
    conn = node.connect()
    try:
        flavor = flavor_named(node.engine)
        with conn.cursor() as cursor:
            cursor.execute(flavor.synchronous_commits_sql())
            found = [{'Variable_name': name, 'Value': value} for name, value in cursor.fetchall()]
        return fmy.synchronous_from_status(found)[1]
    finally:
        conn.close()


class Commit(object):
    """One INSERT on the primary in a thread of its own, timed: it may wait for a replica."""

    def __init__(self, node, value):
        self.returned_after, self.error = None, None
        self.started = time.time()
        self.thread = threading.Thread(target=self._run, args=(node, value))
        self.thread.daemon = True
        self.thread.start()

    def _run(self, node, value):
        try:
            conn = node.connect()
            try:
                with conn.cursor() as cur:
                    cur.execute('INSERT INTO app.ledger (v) VALUES (%s)', (value,))
            finally:
                conn.close()
            self.returned_after = time.time() - self.started
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait(self, seconds):
        self.thread.join(seconds)
        assert self.error is None, self.error
        return self.returned_after


def names(node):
    if node.engine == 'mysql':
        return 'rpl_semi_sync_source_timeout', 'rpl_semi_sync_source_wait_no_replica', 'REPLICA'
    return 'rpl_semi_sync_master_timeout', 'rpl_semi_sync_master_wait_no_slave', 'SLAVE'


def assert_query_timeout_bounds_the_wait(node):
    """The adapter's query_timeout (what the watcher's probe gives: probe_timeout) ends a query the server
    does not answer in time; without it a session waits the adapter's minute."""
    probe = retry(lambda: mysql_connect(node.ip, 3306, 'root', ROOT_PASSWORD, None, 5, query_timeout=1))
    started = time.time()
    try:
        with pytest.raises(Exception):
            with probe.cursor() as cursor:
                cursor.execute('SELECT SLEEP(4)')
        assert time.time() - started < 3, 'the query outlived its 1 s query timeout'
    finally:
        probe.close()
    work = node.connect()
    try:
        with work.cursor() as cursor:
            cursor.execute('SELECT SLEEP(2)')
            assert cursor.fetchone()[0] == 0        # the default leaves real work its time
    finally:
        work.close()


@pytest.mark.parametrize('flavor', ['mariadb', 'mariadb-11.8', 'mysql'])
def test_required_waits_for_a_replica_preferred_falls_back(docker_client, container_name, network, flavor):
    require_image(docker_client, IMAGES[flavor])
    primary = make_node(docker_client, container_name('p'), 1, network, flavor)
    replica = make_node(docker_client, container_name('r'), 2, network, flavor)
    timeout_name, wait_no_name, replica_word = names(primary)

    result = replicate('primary', primary, durability='required')
    assert not result.failed, result.get('msg')
    assert any(('%s = %d' % (timeout_name, SEMI_SYNC_NO_FALLBACK_MS)) in action for action in result['actions'])
    result = replicate('replica', replica, primary_container=primary.name)
    assert not result.failed, result.get('msg')
    # The server took the largest timeout as it is (a value out of its range would be adjusted or refused).
    assert int(primary.value('SELECT @@GLOBAL.%s' % timeout_name)) == SEMI_SYNC_NO_FALLBACK_MS
    assert int(primary.value('SELECT @@GLOBAL.%s' % wait_no_name)) == 1
    assert replicate('primary', primary, durability='required')['changed'] is False

    primary.query('CREATE TABLE app.ledger (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))')
    assert Commit(primary, 'healthy').wait(WAITING_S) is not None
    assert synchronous_commits(primary) is True
    assert_query_timeout_bounds_the_wait(primary)

    # Its only replica stops receiving: a commit waits for it, for longer than any former timeout...
    replica.query('STOP %s IO_THREAD' % replica_word)
    waiting = Commit(primary, 'while-stopped')
    assert waiting.wait(WAITING_S) is None, 'the commit returned with no replica to acknowledge it'
    # ...and the primary still calls itself synchronous: it waits, it did not fall back.
    assert synchronous_commits(primary) is True
    # ...and returns once the replica is back, which then holds the row.
    replica.query('START %s IO_THREAD' % replica_word)
    assert waiting.wait(60) is not None, 'the commit did not return after the replica came back'
    wait_for(lambda: replica.value("SELECT COUNT(*) FROM app.ledger WHERE v = 'while-stopped'") == 1, 30)

    # A restart keeps the no-fallback timeout and the source side on (the start-up file, zzz-dbops-fenced.cnf).
    docker_client.api.restart(primary.name, timeout=30)
    assert retry(lambda: int(primary.value('SELECT @@GLOBAL.%s' % timeout_name)), 120) == SEMI_SYNC_NO_FALLBACK_MS
    assert synchronous_commits(primary) is True
    # The replica would retry its connection only after its connect-retry period (60 s): now.
    replica.query('STOP %s IO_THREAD' % replica_word)
    replica.query('START %s IO_THREAD' % replica_word)

    # preferred with a short timeout: the same stop, and the commit returns after the timeout, alone.
    result = replicate('primary', primary, durability='preferred', semi_sync_timeout=500)
    assert not result.failed, result.get('msg')
    assert int(primary.value('SELECT @@GLOBAL.%s' % timeout_name)) == 500
    wait_for(lambda: synchronous_commits(primary) is True, 60)      # the replica reconnected after the restart
    replica.query('STOP %s IO_THREAD' % replica_word)
    returned_after = Commit(primary, 'acknowledged-alone').wait(WAITING_S)
    assert returned_after is not None and returned_after >= 0.4, returned_after
    assert synchronous_commits(primary) is False                 # it fell back: the watcher must know
    # ...and what proves it is the counter of commits acknowledged alone, read under this server's name.
    assert acknowledged_alone(primary) >= 1
    replica.query('START %s IO_THREAD' % replica_word)
    wait_for(lambda: synchronous_commits(primary) is True, 60)      # semi-sync comes back with the replica


def test_required_refuses_a_timeout_naming_it(docker_client, container_name, network):
    primary = make_node(docker_client, container_name('p'), 1, network, 'mariadb')
    result = replicate('primary', primary, durability='required', semi_sync_timeout=10000)
    assert result.failed and result['parameter'] == 'semi_sync_timeout', result
    assert 'durability: preferred' in result['msg']
    # Refused before anything changed: no replication account.
    assert primary.value("SELECT COUNT(*) FROM mysql.user WHERE User = 'repl'") == 0


ROLE_PLAY = r'''
- name: mysql_cluster, two nodes or one, no endpoint
  hosts: mysql_cluster
  gather_facts: false
  vars:
    mysql_cluster_name: "{{ t_prefix }}"
    mysql_cluster_replication_password: Repl-pa55
    mysql_cluster_endpoint: none
    mysql_root_password: R00t-pass-x
    mysql_password: App-pa55
    mysql_published_ports: []
    mysql_labels: {test.dbops: "true"}
  roles:
    - role: dbops.containers.mysql_cluster
'''


@pytest.mark.parametrize('roles, extra, words', [
    (['primary', 'replica'], {'mysql_cluster_semi_sync_timeout': 10000},
     ['mysql_cluster_semi_sync_timeout is 10000', 'mysql_cluster_durability: preferred']),
    (['primary', 'replica'], {'mysql_cluster_semi_sync': False},
     ['mysql_cluster_semi_sync is false', 'mysql_cluster_durability: preferred']),
    (['primary'], {}, ['has no replica', 'mysql_cluster_durability: preferred']),
], ids=['timeout', 'semi-sync-off', 'one-node'])
def test_the_role_refuses_what_contradicts_required(docker_client, tmp_path, roles, extra, words):
    prefix = 'dbt-%s-dur' % uuid.uuid4().hex[:6]
    nodes = ['%s%d' % (prefix, index) for index in range(1, len(roles) + 1)]
    playbook = tmp_path / 'cluster.yml'
    playbook.write_text(nodes_play('mysql_cluster', 'mysql_cluster_role', roles) + ROLE_PLAY)
    code, output = run_playbook(playbook, tmp_path / 'vars.json', dict(extra, t_prefix=prefix, t_nodes=nodes))
    assert code != 0, output[-3000:]
    for word in words + ['Nothing was changed']:
        assert word in output, (word, output[-3000:])
    assert not container_names(docker_client, prefix)
    assert not [n.name for n in docker_client.networks.list() if n.name.startswith(prefix)]


def test_the_role_under_preferred_uses_the_users_timeout(docker_client, tmp_path):
    prefix = 'dbt-%s-dup' % uuid.uuid4().hex[:6]
    nodes = [prefix + '1', prefix + '2']
    playbook = tmp_path / 'cluster.yml'
    playbook.write_text(nodes_play('mysql_cluster', 'mysql_cluster_role', ['primary', 'replica']) + ROLE_PLAY)
    variables = {'t_prefix': prefix, 't_nodes': nodes, 'mysql_cluster_durability': 'preferred',
                 'mysql_cluster_semi_sync_timeout': 700, 'mysql_memory': '1g', 'mysql_cpus': 1}
    try:
        code, output = run_playbook(playbook, tmp_path / 'vars.json', variables)
        assert code == 0, output[-5000:]
        primary, replica = Node(docker_client, nodes[0], 'mariadb'), Node(docker_client, nodes[1], 'mariadb')
        # ROLE_PLAY's root password, not this file's
        rows = mysql_query(primary.ip, 'SELECT @@GLOBAL.rpl_semi_sync_master_timeout, '
                                       '@@GLOBAL.rpl_semi_sync_master_enabled', password='R00t-pass-x')
        assert rows == ((700, 1),)
        assert mysql_query(replica.ip, 'SELECT @@GLOBAL.rpl_semi_sync_master_enabled, '
                                       '@@GLOBAL.rpl_semi_sync_master_timeout', password='R00t-pass-x') == ((0, 700),)
    finally:
        run_playbook(playbook, tmp_path / 'vars.json', dict(variables, mysql_cluster_state='absent',
                                                            mysql_purge_data=True))
        remove_containers(docker_client, prefix)
        for net in docker_client.networks.list():
            if net.name.startswith(prefix):
                net.remove()
        for volume in docker_client.volumes.list():
            if volume.name.startswith(prefix):
                volume.remove(force=True)


def test_a_restarted_mariadb_replica_that_never_reconnected_is_no_candidate_under_required(
        docker_client, container_name, network):
    """A MariaDB replica acknowledges a commit once its relay log holds it, and its restart discards the relay
    log it had not applied. Restarted while the primary was cut off (so it could not fetch that part again),
    then the primary died: the primary alone held the acknowledged commit. Under required the failover
    refuses, names the replica and changes nothing; with force it promotes, and the commit is indeed gone."""
    flavor = 'mariadb-11.8'
    require_image(docker_client, IMAGES[flavor])
    primary = make_node(docker_client, container_name('p'), 1, network, flavor)
    replica = make_node(docker_client, container_name('r'), 2, network, flavor)
    assert not replicate('primary', primary, durability='required').failed
    assert not replicate('replica', replica, primary_container=primary.name).failed
    primary.query('CREATE TABLE app.ledger (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))')
    wait_for(lambda: replica.value("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'ledger'") == 1,
             30)
    replica.query('STOP SLAVE SQL_THREAD')
    # Acknowledged: the replica's IO thread wrote it to its relay log (the SQL thread does not apply it).
    assert Commit(primary, 'acked-unapplied').wait(WAITING_S) is not None
    docker_client.networks.get(network).disconnect(primary.name)
    docker_client.api.restart(replica.name, timeout=30)
    retry(lambda: replica.value('SELECT 1'), 120)
    docker_client.api.kill(primary.name)

    def failover(**extra):
        args = {'mode': 'failover', 'engine': 'mariadb', 'probe_interval': 0.3, 'replication_password': REPL_PASSWORD,
                'nodes': [{'name': primary.name}, {'name': replica.name}], 'primary': primary.name}
        args.update(extra)
        return run_module('db_failover', args)
    refused = failover()
    assert refused.failed and refused.get('parameter') == 'durability', refused.get('msg')
    assert '%s has not connected to its source since it last started' % replica.name in refused['msg']
    assert int(replica.value('SELECT @@GLOBAL.read_only')) == 1          # nothing was changed
    forced = failover(force=True)
    assert not forced.failed, forced.get('msg')
    assert forced['new_primary'] == replica.name
    # What force accepted: the acknowledged commit the restart discarded is not on the new primary.
    assert replica.value("SELECT COUNT(*) FROM app.ledger WHERE v = 'acked-unapplied'") == 0
