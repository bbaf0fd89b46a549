# -*- coding: utf-8 -*-
"""db_replication on real MariaDB 11.8 servers built the official image's way.

The official mariadb entrypoint writes the application database, user and grant to the binary
log: every fresh node holds GTIDs of its own, which gtid_strict_mode refuses in a replica. A
fresh replica is reset (its empty first-start database and user dropped, its GTID state
forgotten) and replays its source's whole binary log; a node with data of its own, or a source
whose first binary log is gone, is refused with nothing changed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from conftest import base_args, mysql_query, require_image, retry, run_module, wait_for

IMAGE = 'localhost/dbops/mariadb:11.8'
ROOT_PASSWORD = base_args('x', 'mariadb')['root_password']
REPL_PASSWORD = 'Repl-Pa55;w"ord'


@pytest.fixture(autouse=True)
def mariadb_image(docker_client):
    return require_image(docker_client, IMAGE)


def make_node(name, server_id, network):
    settings = {'server_id': server_id, 'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON'}
    result = run_module('db_container', base_args(name, 'mariadb', image=IMAGE, settings=settings,
                                                  networks=[{'name': network, 'aliases': [name]}]))
    assert not result.failed, result.get('msg')


def replicate(role, container, check_mode=False, **extra):
    args = {'role': role, 'container': container, 'engine': 'mariadb', 'replication_password': REPL_PASSWORD}
    args.update(extra)
    return run_module('db_replication', args, check_mode=check_mode)


def query(docker_client, name, sql, **options):
    networks = docker_client.api.inspect_container(name)['NetworkSettings']['Networks']
    return mysql_query(next(iter(networks.values()))['IPAddress'], sql, password=ROOT_PASSWORD, **options)


def test_a_fresh_node_replays_its_source(docker_client, container_name, network):
    primary, replica = container_name('p'), container_name('r')
    make_node(primary, 1, network)
    make_node(replica, 2, network)
    # The image's first start logged its database and user, as the official one does.
    assert query(docker_client, replica, 'SELECT @@GLOBAL.gtid_binlog_pos')[0][0].startswith('0-2-')
    assert not replicate('primary', primary).failed
    query(docker_client, primary, 'CREATE TABLE app.orders (id INT PRIMARY KEY)')
    query(docker_client, primary, 'INSERT INTO app.orders VALUES (1)')

    planned = replicate('replica', replica, check_mode=True, primary_container=primary)
    assert planned['changed'] and 'RESET MASTER' in planned['actions']
    assert query(docker_client, replica, 'SELECT @@GLOBAL.gtid_binlog_pos')[0][0].startswith('0-2-')

    result = replicate('replica', replica, primary_container=primary)
    assert not result.failed, result.get('msg')
    assert 'RESET MASTER' in result['actions'] and 'DROP DATABASE `app`' in result['actions']
    wait_for(lambda: retry(lambda: query(docker_client, replica, 'SELECT COUNT(*) FROM app.orders'))[0][0] == 1)
    # The replayed history brought the source's application user back, with its password.
    networks = docker_client.api.inspect_container(replica)['NetworkSettings']['Networks']
    assert mysql_query(next(iter(networks.values()))['IPAddress'], 'SELECT CURRENT_USER()', user='app',
                       password=base_args('x', 'mariadb')['password'])[0][0] == 'app@%'
    status = replicate('status', replica)
    assert status['severity'] == 'ok', status['status']['reasons']
    assert replicate('replica', replica, primary_container=primary)['changed'] is False


def test_a_node_with_data_of_its_own_is_refused_and_kept(docker_client, container_name, network):
    primary, replica = container_name('p'), container_name('r')
    make_node(primary, 1, network)
    make_node(replica, 2, network)
    assert not replicate('primary', primary).failed
    query(docker_client, replica, 'CREATE TABLE app.mine (id INT PRIMARY KEY)')
    result = replicate('replica', replica, primary_container=primary)
    assert result.failed and result['parameter'] == 'primary_host'
    assert 'Nothing was changed' in result['msg']
    assert query(docker_client, replica, "SHOW TABLES FROM app LIKE 'mine'")[0][0] == 'mine'


def test_a_source_without_its_first_binary_log_is_refused(docker_client, container_name, network):
    primary, replica = container_name('p'), container_name('r')
    make_node(primary, 1, network)
    make_node(replica, 2, network)
    assert not replicate('primary', primary).failed
    query(docker_client, primary, 'FLUSH BINARY LOGS')
    query(docker_client, primary, "PURGE BINARY LOGS TO 'mysql-bin.000002'")
    before = query(docker_client, replica, 'SELECT @@GLOBAL.gtid_binlog_pos')[0][0]
    result = replicate('replica', replica, primary_container=primary)
    assert result.failed and 'no longer has its first binary log' in result['msg']
    assert 'Nothing was changed' in result['msg']
    assert query(docker_client, replica, 'SELECT @@GLOBAL.gtid_binlog_pos')[0][0] == before
    assert query(docker_client, replica, "SHOW DATABASES LIKE 'app'")[0][0] == 'app'
