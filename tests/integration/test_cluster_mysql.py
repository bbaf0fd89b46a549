# -*- coding: utf-8 -*-
"""MySQL 9.7, MariaDB 10.11 and 11.8 end to end: mysql_cluster from fresh official-contract nodes,
then failover.

A primary and two semi-sync replicas behind HAProxy, each node started the official
image's way (its first start writes GTIDs of its own; MySQL replicas are seeded by
cloning, MariaDB ones by replaying the source's binary log from the start). Then: writes
through the writer port read on both replicas, a rerun that
changes nothing, kill -9 of the primary while a client writes (every acknowledged
write must survive), rejoin of the old primary, a switchover back, and a rejoin with
force of a node that holds a transaction no one else has.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import tarfile
import threading
import time
import uuid

import pymysql
import pytest

from conftest import (
    TEST_LABEL, engine_versions, remove_containers, free_local_ports, mysql_query, nodes_play, require_image, retry, run_module,
    run_playbook, wait_for)

from ansible_collections.dbops.containers.plugins.module_utils.failover import endpoints

# The status variable that counts semi-sync replicas, by flavor
SEMI_SYNC_CLIENTS = {'mysql': 'Rpl_semi_sync_source_clients', 'mariadb': 'Rpl_semi_sync_master_clients'}
SOURCE_TIMEOUT = {'mysql': 'rpl_semi_sync_source_timeout', 'mariadb': 'rpl_semi_sync_master_timeout'}
SOURCE_ENABLED = {'mysql': 'rpl_semi_sync_source_enabled', 'mariadb': 'rpl_semi_sync_master_enabled'}
# mysql_cluster_durability required (the default): the largest timeout the servers accept, never reached.
NO_FALLBACK_MS = 18446744073709551615
ROOT_PASSWORD = 'R00t-pass;word"x'
REPLICATION_PASSWORD = 'Repl-Pa55;w"ord'

PLAY = nodes_play('mysql_cluster', 'mysql_cluster_role', ['primary', 'replica', 'replica']) + r'''
- name: MySQL or MariaDB, semi-sync, behind HAProxy
  hosts: mysql_cluster
  gather_facts: false
  vars:
    mysql_cluster_name: "{{ t_prefix }}"
    mysql_cluster_state: "{{ t_state }}"
    mysql_cluster_replication_password: "{{ t_replication_password }}"
    mysql_cluster_writer_port: "{{ t_writer_port }}"
    mysql_cluster_reader_port: "{{ t_reader_port }}"
    mysql_cluster_container_name: "{{ inventory_hostname }}"
    mysql_flavor: "{{ t_flavor }}"
    mysql_image: "{{ t_image }}"
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


class Cluster(object):
    def __init__(self, tmp_path, flavor, image):
        self.flavor, self.image = flavor, image
        self.prefix = 'dbt-%s-my' % uuid.uuid4().hex[:6]
        self.nodes = ['%s%d' % (self.prefix, i) for i in (1, 2, 3)]
        self.writer_port, self.reader_port = free_local_ports(2)
        self.playbook = tmp_path / 'cluster.yml'
        self.playbook.write_text(PLAY)
        self.vars_file = tmp_path / 'vars.json'
        self.password_file = tmp_path / 'replication'
        self.password_file.write_text(REPLICATION_PASSWORD + '\n')

    def run(self, state='started'):
        return run_playbook(self.playbook, self.vars_file, {
            't_prefix': self.prefix, 't_nodes': self.nodes, 't_state': state, 't_image': self.image, 't_flavor': self.flavor,
            't_writer_port': self.writer_port, 't_reader_port': self.reader_port,
            't_root_password': ROOT_PASSWORD, 't_replication_password': REPLICATION_PASSWORD})

    def failover(self, mode, **extra):
        args = {'mode': mode, 'engine': self.flavor, 'nodes': [{'name': name} for name in self.nodes],
                'replication_password_file': str(self.password_file), 'probe_interval': 0.3,
                'endpoint': {'type': 'haproxy', 'container': self.prefix + '-haproxy'}}
        args.update(extra)
        return run_module('db_failover', args)


def connect(host, port=3306, timeout=5):
    return pymysql.connect(host=host, port=port, user='root', password=ROOT_PASSWORD, autocommit=True,
                           connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)


def query(host, sql, port=3306):
    return mysql_query(host, sql, password=ROOT_PASSWORD, port=port)


def address(docker_client, name):
    return next(iter(docker_client.api.inspect_container(name)['NetworkSettings']['Networks'].values()))['IPAddress']


class Writer(threading.Thread):
    """Writes through the writer port until stopped; the ledger holds every write the server acknowledged."""

    def __init__(self, port):
        super(Writer, self).__init__(daemon=True)
        self.port, self.acknowledged, self.stopping = port, [], threading.Event()

    def run(self):
        number, conn = 0, None
        while not self.stopping.is_set():
            number += 1
            try:
                conn = conn or connect('127.0.0.1', self.port, timeout=2)
                with conn.cursor() as cursor:
                    cursor.execute('INSERT INTO ledger.w (id) VALUES (%s)', (number,))
                self.acknowledged.append(number)
            except Exception:  # noqa: BLE001 - the primary is gone: reconnect and go on
                conn = None
                time.sleep(0.05)


@pytest.fixture(params=[pytest.param(p.values, id=p.id) for p in engine_versions('mysql', 'mariadb')])
def cluster(docker_client, tmp_path, request):
    flavor, image = request.param
    require_image(docker_client, image)
    made = Cluster(tmp_path, flavor, image)
    yield made
    made.run('absent')
    remove_containers(docker_client, made.prefix)
    for volume in docker_client.volumes.list():
        if volume.name.startswith(made.prefix):
            volume.remove(force=True)


def test_cluster_failover_rejoin_switchover(docker_client, cluster):
    code, output = cluster.run()
    assert code == 0, output[-5000:]
    assert ROOT_PASSWORD not in output and REPLICATION_PASSWORD not in output
    primary, replica1, replica2 = cluster.nodes
    writer = ('127.0.0.1', cluster.writer_port)

    # Writes through the writer port arrive on both replicas, with semi-sync acknowledging.
    query(writer[0], 'CREATE DATABASE ledger', writer[1])
    query(writer[0], 'CREATE TABLE ledger.w (id INT PRIMARY KEY)', writer[1])
    query(writer[0], 'INSERT INTO ledger.w VALUES (0)', writer[1])
    for name in (replica1, replica2):
        wait_for(lambda name=name: rows_on(docker_client, name) == 1)
    clients = query(address(docker_client, primary),
                    "SHOW GLOBAL STATUS LIKE '%s'" % SEMI_SYNC_CLIENTS[cluster.flavor])
    assert clients[0][1] == '2'
    # Durability required (the default): the primary's semi-sync never falls back; its source side is on
    # (db_replication turned it on), the replicas' off.
    assert int(query(address(docker_client, primary), 'SELECT @@GLOBAL.%s' % SOURCE_TIMEOUT[cluster.flavor])[0][0]) \
        == NO_FALLBACK_MS
    for name, enabled in ((primary, 1), (replica1, 0), (replica2, 0)):
        assert query(address(docker_client, name), 'SELECT @@GLOBAL.%s' % SOURCE_ENABLED[cluster.flavor])[0][0] \
            == enabled, name
    code, output = cluster.run()
    assert code == 0, output[-3000:]
    recap = [line for line in output.splitlines() if line.startswith(cluster.prefix) and 'ok=' in line]
    assert len(recap) == 3 and all(' changed=0 ' in line for line in recap), recap

    # A replica that restarts (a crash, a host reboot) comes back read-only by its own configuration,
    # not writable until the role runs again, and replicates.
    docker_client.api.restart(replica2, timeout=30)
    wait_for(lambda: rows_on(docker_client, replica2) == 1, timeout=90)
    assert query(address(docker_client, replica2), 'SELECT @@GLOBAL.read_only')[0][0] == 1
    query(writer[0], 'INSERT INTO ledger.w VALUES (-1)', writer[1])
    wait_for(lambda: rows_on(docker_client, replica2) == 2, timeout=30)
    query(writer[0], 'DELETE FROM ledger.w WHERE id = -1', writer[1])
    wait_for(lambda: rows_on(docker_client, replica2) == 1, timeout=30)

    # kill -9 of the primary under load: a replica takes over, no acknowledged write is lost.
    load = Writer(cluster.writer_port)
    load.start()
    wait_for(lambda: len(load.acknowledged) > 50)
    docker_client.api.kill(primary)
    result = cluster.failover('failover')
    assert not result.failed, result.get('msg')
    new_primary = result['new_primary']
    assert new_primary in (replica1, replica2)
    # HAProxy's runtime API took the commands that end the dead primary's sessions before the reload.
    moved = [event for event in result['timeline'] if event['event'] == 'endpoint_moved'][0]
    assert moved.get('old_sessions') == 'ended: primary/%s, replicas/%s' % (primary, primary), moved
    wait_for(lambda: len(load.acknowledged) > 0 and query(
        '127.0.0.1', 'SELECT @@hostname', cluster.writer_port)[0][0] == new_primary, timeout=30)
    time.sleep(1)
    load.stopping.set()
    load.join(10)
    stored = set(row[0] for row in query(address(docker_client, new_primary), 'SELECT id FROM ledger.w'))
    lost = [number for number in load.acknowledged if number not in stored]
    assert not lost, 'acknowledged writes lost: %s' % lost[:20]

    # The old primary was fenced; rejoin makes it a replica of the new one.
    rejoined = cluster.failover('rejoin', node=primary)
    if rejoined.failed:
        # Killed while a commit waited for a replica's acknowledgement (AFTER_SYNC: already in its binary
        # log), the old primary's crash recovery keeps a transaction no replica has and no client was told
        # committed: rejoin refuses it, and force rebuilds it from the new primary (docs/guide-failover.md).
        assert 'transactions its source does not have' in rejoined['msg'], rejoined['msg']
        rejoined = cluster.failover('rejoin', node=primary, force=True)
    assert not rejoined.failed, rejoined.get('msg')
    retry(lambda: _assert_replica_of(docker_client, primary, new_primary))
    # Restarted (a host reboot), the rejoined replica replicates again by itself, still read-only: the
    # fence's skip_slave_start is gone from its configuration.
    docker_client.api.restart(primary, timeout=30)
    retry(lambda: _assert_replica_of(docker_client, primary, new_primary), attempts=120)
    assert query(address(docker_client, primary), 'SELECT @@GLOBAL.read_only')[0][0] == 1

    # Switchover back to the first node, with the writer port following. A client session opened through the
    # writer port before it (a pooled connection) is ended by the switchover: left open, it would go on
    # sending writes to the old primary, read-only from now on (HAProxy's old worker keeps its sessions
    # after a reload, and the old primary's health checks pass).
    held = retry(lambda: connect(writer[0], writer[1]))
    with held.cursor() as cursor:
        cursor.execute('SELECT @@hostname')
        assert cursor.fetchone()[0] == new_primary
    switched = cluster.failover('switchover', candidate=primary)
    assert not switched.failed, switched.get('msg')
    assert switched['new_primary'] == primary and switched['write_pause_s'] < 5
    assert retry(lambda: query(writer[0], 'SELECT @@hostname', writer[1]))[0][0] == primary
    with pytest.raises(pymysql.err.OperationalError):
        with held.cursor() as cursor:
            cursor.execute('SELECT @@hostname')
    held.close()

    # A mover that died between writing haproxy.cfg and the reload, then db_failover run by hand (no record):
    # the running HAProxy still sends writes to another node than its file names. Its runtime API says so,
    # and the rerun reloads it.
    haproxy = cluster.prefix + '-haproxy'
    file_on_primary = read_haproxy_cfg(docker_client, haproxy)
    stale = endpoints.haproxy_with_primary(
        file_on_primary, {'name': new_primary, 'host': new_primary, 'port': 3306},
        [{'name': name, 'host': name, 'port': 3306} for name in cluster.nodes if name != new_primary])
    write_haproxy_cfg(docker_client, haproxy, stale)
    docker_client.api.kill(haproxy, signal='SIGUSR2')
    assert retry(lambda: _writer_host(writer, new_primary))[0][0] == new_primary     # running on the stale file
    write_haproxy_cfg(docker_client, haproxy, file_on_primary)                       # ...the file right, no reload
    rerun = cluster.failover('failover')
    assert not rerun.failed, rerun.get('msg')
    assert [line for line in rerun['repaired'] if 'still sends writes elsewhere' in line], rerun['repaired']
    assert retry(lambda: _writer_host(writer, primary))[0][0] == primary

    # The primary commits alone (its replicas stopped receiving; semi-sync falls back after its timeout)
    # and dies: that transaction is on no other node. Fenced, it cannot rejoin without force; with force
    # it is cloned from the new primary and replicates again. Only under durability preferred does a
    # primary commit alone: its timeout is set so here (under required, the default, the INSERT would wait
    # for a replica: tests/integration/test_durability_mysql.py).
    query(address(docker_client, primary), 'SET GLOBAL %s = 1000' % SOURCE_TIMEOUT[cluster.flavor])
    others = [name for name in cluster.nodes if name != primary]
    for name in others:
        query(address(docker_client, name), 'STOP REPLICA IO_THREAD')
    query(address(docker_client, primary), 'INSERT INTO ledger.w VALUES (-1)')
    docker_client.api.kill(primary)
    result = cluster.failover('failover', force=True)
    assert not result.failed, result.get('msg')
    survivor = result['new_primary']
    refused = cluster.failover('rejoin', node=primary)
    assert refused.failed and 'transactions its source does not have' in refused['msg']
    forced = cluster.failover('rejoin', node=primary, force=True)
    assert not forced.failed, forced.get('msg')
    assert forced['reseeded'] is True
    retry(lambda: _assert_replica_of(docker_client, primary, survivor))
    assert query(address(docker_client, primary), 'SELECT COUNT(*) FROM ledger.w WHERE id = -1')[0][0] == 0
    # Nothing was deleted: the old primary's data, copied aside before it was rebuilt, still holds row -1.
    kept = forced['kept_data_volume']
    assert kept.startswith(primary + '-dbops-diverged-'), kept
    assert docker_client.volumes.get(kept).attrs['Labels']['dbops.diverged_from'] == primary
    assert _rows_in_kept_copy(docker_client, cluster.image, kept, 'SELECT COUNT(*) FROM ledger.w WHERE id = -1') == '1'


def read_haproxy_cfg(docker_client, name):
    stream, _stat = docker_client.api.get_archive(name, endpoints.ENDPOINTS['haproxy'].path)
    with tarfile.open(fileobj=io.BytesIO(b''.join(stream))) as archive:
        return archive.extractfile(archive.getmembers()[0]).read().decode('utf-8')


def write_haproxy_cfg(docker_client, name, text):
    """Into the running container, as the mover writes it (no reload)."""
    data, buffer = text.encode('utf-8'), io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        info = tarfile.TarInfo('haproxy.cfg')
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    docker_client.api.put_archive(name, endpoints.ENDPOINTS['haproxy'].path.rsplit('/', 1)[0], buffer.getvalue())


def _writer_host(writer, expected):
    """@@hostname through the writer port; raises until it is ``expected`` (for retry)."""
    found = query(writer[0], 'SELECT @@hostname', writer[1])
    assert found[0][0] == expected, found
    return found


def _rows_in_kept_copy(docker_client, image, volume, sql):
    """Start a throw-away server on a kept data volume (no grants, socket only) and answer sql."""
    server = docker_client.containers.run(image, ['--skip-grant-tables', '--skip-networking'], detach=True,
                                          labels=TEST_LABEL, volumes={volume: {'bind': '/var/lib/mysql'}})
    try:
        command = ['sh', '-c', 'client=$(command -v mariadb || command -v mysql); '
                   'exec "$client" -uroot -N -B -e "%s"' % sql]
        for _attempt in range(120):
            code, output = server.exec_run(command)
            if code == 0:
                return output.decode().strip()
            time.sleep(0.5)
        raise AssertionError('the kept copy did not start: %s' % server.logs()[-2000:])
    finally:
        server.remove(force=True, v=True)


def rows_on(docker_client, name):
    try:
        return query(address(docker_client, name), 'SELECT COUNT(*) FROM ledger.w')[0][0]
    except (pymysql.MySQLError, StopIteration):
        return None     # the table has not arrived yet


def _assert_replica_of(docker_client, name, primary):
    conn = connect(address(docker_client, name))
    try:
        with conn.cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute('SHOW REPLICA STATUS')
            row = cursor.fetchone()
    finally:
        conn.close()
    # MySQL 8.0.22+ names the columns Source/Replica, MariaDB Master/Slave.
    assert row and (row.get('Source_Host') or row.get('Master_Host')) == primary, row
    running = [row.get('Replica_IO_Running', row.get('Slave_IO_Running')),
               row.get('Replica_SQL_Running', row.get('Slave_SQL_Running'))]
    assert running == ['Yes', 'Yes'], row
