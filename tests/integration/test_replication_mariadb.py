# -*- coding: utf-8 -*-
"""GTID + semi-sync replication on real MariaDB 10.11 servers: 1 primary, 2 replicas."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

from conftest import base_args, retry, run_module

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.adapter import mysql_connect
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

ROOT_PASSWORD = base_args('x', 'mariadb')['root_password']
REPL_USER = 'repl'
REPL_PASSWORD = 'Repl-Pa55;w"ord'


def settings(server_id):
    return {'server_id': server_id, 'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON'}


def network_ip(docker_client, name, network):
    return docker_client.api.inspect_container(name)['NetworkSettings']['Networks'][network]['IPAddress']


def connect(ip):
    return retry(lambda: mysql_connect(ip, 3306, 'root', ROOT_PASSWORD, None, 5))


def query(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def dump_thread_ids(conn):
    return sorted(row[0] for row in query(
        conn, "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"))


def test_primary_two_replicas(docker_client, local_images, container_name, monkeypatch):
    names = [container_name('p'), container_name('r1'), container_name('r2'), container_name('r3')]
    aliases = ['db1', 'db2', 'db3', 'db4']
    network = docker_client.networks.create(names[0] + '-net', labels={'test.dbops': 'true'})
    conns = []
    timings = {}
    try:
        for index, name in enumerate(names):
            result = run_module('db_container', base_args(
                name, 'mariadb', settings=settings(index + 1),
                networks=[{'name': network.name, 'aliases': [aliases[index]]}]))
            assert not result.failed, result.get('msg')
        conns = [connect(network_ip(docker_client, name, network.name)) for name in names]
        primary, replica1, replica2, fresh = conns
        primary_ip = network_ip(docker_client, names[0], network.name)

        # Primary: account, grant and semi-sync; the second call changes nothing.
        changed, actions = repl.configure_primary(primary, REPL_USER, REPL_PASSWORD)
        assert changed and 'create user' in actions and 'grant replication slave' in actions
        assert 'SET GLOBAL rpl_semi_sync_master_enabled = ON' in actions
        assert repl.configure_primary(primary, REPL_USER, REPL_PASSWORD) == (False, [])
        changed, actions = repl.configure_primary(primary, REPL_USER, REPL_PASSWORD + 'x')
        assert actions == ['alter user password']
        assert repl.configure_primary(primary, REPL_USER, REPL_PASSWORD) == (True, ['alter user password'])

        # Replicas follow the primary by its network alias.
        for replica in (replica1, replica2):
            started = time.time()
            changed, actions = repl.configure_replica(replica, 'db1', 3306, REPL_USER, REPL_PASSWORD,
                                                      source_connect_host=primary_ip)
            timings.setdefault('time_to_replicating_s', []).append(round(time.time() - started, 3))
            assert changed and 'START SLAVE' in actions, actions
            node = repl.status(replica)
            assert node['role'] == 'replica' and node['severity'] == 'ok', node
            assert node['read_only'] is True and node['lag_seconds'] == 0
            assert node['replica']['using_gtid'] and node['semi_sync']['replica_status']

        # Rows written on the primary arrive on both replicas.
        query(primary, 'CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))')
        query(primary, "INSERT INTO app.t VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        written = time.time()
        for replica in (replica1, replica2):
            while True:
                rows = query(replica, 'SELECT COUNT(*) FROM app.t') if query(
                    replica, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='app' "
                             "AND TABLE_NAME='t'")[0][0] else ((0,),)
                if rows[0][0] == 3:
                    break
                assert time.time() - written < 10, 'rows did not arrive'
                time.sleep(0.005)
            timings.setdefault('row_arrival_s', []).append(round(time.time() - written, 4))
        assert query(replica2, 'SELECT v FROM app.t ORDER BY id') == (('one',), ('two',), ('three',))
        # The replication account reached the replicas through replication.
        assert query(replica1, "SELECT COUNT(*) FROM mysql.user WHERE User='repl'")[0][0] == 1

        # Primary: semi-sync ON with both replicas.
        node = repl.status(primary)
        assert node['role'] == 'primary' and node['severity'] == 'ok', node
        assert node['semi_sync']['source_status'] and node['semi_sync']['source_clients'] == 2
        assert node['replicas_connected'] == 2

        # A second call leaves the running replica alone (same relay log, same connection).
        relay_before = repl.replica_status(replica1)['relay_log_file']
        dumps_before = dump_thread_ids(primary)
        assert repl.configure_replica(replica1, 'db1', 3306, REPL_USER, REPL_PASSWORD,
                                      source_connect_host=primary_ip) == (False, [])
        assert repl.replica_status(replica1)['relay_log_file'] == relay_before
        assert dump_thread_ids(primary) == dumps_before

        # A stopped replica is critical; configure_replica repairs it.
        query(replica2, 'STOP SLAVE')
        node = repl.status(replica2)
        assert node['severity'] == 'critical' and node['lag_seconds'] is None, node
        assert any('IO thread' in reason for reason in node['reasons'])
        query(primary, "INSERT INTO app.t VALUES (4, 'four')")
        started = time.time()
        changed, actions = repl.configure_replica(replica2, 'db1', 3306, REPL_USER, REPL_PASSWORD,
                                                  source_connect_host=primary_ip)
        timings['repair_s'] = round(time.time() - started, 3)
        assert changed and 'START SLAVE' in actions
        assert repl.status(replica2)['severity'] == 'ok'
        assert query(replica2, 'SELECT COUNT(*) FROM app.t')[0][0] == 4
        retry(lambda: _assert_semi_clients(primary, 2), attempts=50, delay=0.1)
        dumps_before = dump_thread_ids(primary)

        # A replica pointed at itself is refused.
        replica1_ip = network_ip(docker_client, names[1], network.name)
        with pytest.raises(DbopsError) as error:
            repl.configure_replica(replica1, 'db2', 3306, REPL_USER, REPL_PASSWORD, source_connect_host=replica1_ip)
        assert error.value.parameter == 'primary_host'
        assert repl.replica_status(replica1)['relay_log_file'] == relay_before

        # Wrong password: refused before the replica is touched; it keeps replicating.
        with pytest.raises(DbopsError) as error:
            repl.configure_replica(replica1, 'db1', 3306, REPL_USER, 'wrong', source_connect_host=primary_ip)
        assert error.value.parameter == 'replication_password'
        assert 'Access denied' in error.value.message
        node = repl.status(replica1)
        assert node['severity'] == 'ok' and node['replica']['relay_log_file'] == relay_before
        assert dump_thread_ids(primary) == dumps_before  # same two connections

        # A fresh server with the wrong password stays a standalone, writable server.
        with pytest.raises(DbopsError) as error:
            repl.configure_replica(fresh, 'db1', 3306, REPL_USER, 'wrong', source_connect_host=primary_ip)
        assert error.value.parameter == 'replication_password'
        node = repl.status(fresh)
        assert node['role'] == 'standalone' and node['replica'] is None and node['read_only'] is False

        # Same, when only the replica's IO thread finds out (the check from this process passes,
        # e.g. an account whose host pattern lets this process in): the IO error is reported and
        # the fresh server is reset to standalone (RESET SLAVE ALL, read_only and semi-sync restored).
        real_connect = repl._source_connect
        monkeypatch.setattr(repl, '_source_connect',
                            lambda host, port, user, password: real_connect(host, port, user, REPL_PASSWORD))
        started = time.time()
        with pytest.raises(DbopsError) as error:
            repl.configure_replica(fresh, 'db1', 3306, REPL_USER, 'wrong', source_connect_host=primary_ip,
                                   wait_timeout=30)
        timings['io_thread_password_failure_s'] = round(time.time() - started, 3)
        monkeypatch.undo()
        assert error.value.parameter == 'replication_password'
        assert 'Access denied' in error.value.message, error.value.message
        node = repl.status(fresh)
        assert node['role'] == 'standalone' and node['replica'] is None and node['read_only'] is False
        assert not node['semi_sync']['replica_enabled']  # restored too

        # Semi-sync falls back to async when no replica acknowledges: critical on the primary.
        query(replica1, 'STOP SLAVE')
        query(replica2, 'STOP SLAVE')
        query(primary, "INSERT INTO app.t VALUES (5, 'five')")  # waits the 1 s timeout, then async
        node = repl.status(primary)
        assert node['severity'] == 'critical' and not node['semi_sync']['source_status'], node
        print('\nreplication timings: %s' % timings)
    finally:
        for conn in conns:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        for name in names:
            run_module('db_container', base_args(name, 'mariadb', state='absent', purge_data=True))
        network.remove()


def _assert_semi_clients(primary, expected):
    node = repl.status(primary)
    assert node['semi_sync']['source_clients'] == expected and node['semi_sync']['source_status'], node
