# -*- coding: utf-8 -*-
"""db_replication on real MySQL 9.7 servers built the official image's way.

The official mysql entrypoint writes its first-start SQL (time zones, the
application database and user) to the binary log: every fresh node carries
GTIDs of its own. A fresh replica is seeded by cloning its source (CLONE
plugin); a node with data of its own, or one whose root password would not
survive the clone, is refused with nothing changed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from conftest import base_args, mysql_query, require_image, retry, run_module

MYSQL_IMAGE = 'localhost/dbops/mysql:9.7'
ROOT_PASSWORD = base_args('x', 'mysql')['root_password']
REPL_PASSWORD = 'Repl-Pa55;w"ord'
GTID_SETTINGS = {'log_bin': 'mysql-bin', 'gtid_mode': 'ON', 'enforce_gtid_consistency': 'ON',
                 'binlog_format': 'ROW', 'log_replica_updates': 'ON'}


@pytest.fixture(scope='module')
def mysql_image(docker_client):
    return require_image(docker_client, MYSQL_IMAGE)


def make_node(name, server_id, network, **overrides):
    args = base_args(name, 'mysql', image=MYSQL_IMAGE, settings=dict(GTID_SETTINGS, server_id=server_id),
                     networks=[{'name': network, 'aliases': [name]}], **overrides)
    result = run_module('db_container', args)
    assert not result.failed, result.get('msg')
    return args


def replicate(role, container, check_mode=False, **extra):
    args = {'role': role, 'container': container, 'engine': 'mysql', 'replication_password': REPL_PASSWORD}
    args.update(extra)
    return run_module('db_replication', args, check_mode=check_mode)


def address(docker_client, name):
    networks = docker_client.api.inspect_container(name)['NetworkSettings']['Networks']
    return next(iter(networks.values()))['IPAddress']


def query(docker_client, name, sql, password=ROOT_PASSWORD):
    return retry(lambda: mysql_query(address(docker_client, name), sql, password=password))


def gtid_executed(docker_client, name, password=ROOT_PASSWORD):
    return query(docker_client, name, 'SELECT @@GLOBAL.gtid_executed', password)[0][0]


def test_fresh_official_nodes_become_replicas_by_cloning(docker_client, mysql_image, container_name, network):
    primary, replica = container_name('p'), container_name('r')
    make_node(primary, 1, network)
    make_node(replica, 2, network)
    # The image's first start wrote GTIDs of its own on both nodes, as the official one does.
    assert gtid_executed(docker_client, replica) != ''
    assert not replicate('primary', primary).failed
    query(docker_client, primary, 'CREATE TABLE app.orders (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))')
    query(docker_client, primary, "INSERT INTO app.orders (v) VALUES ('before')")
    before = gtid_executed(docker_client, replica)

    planned = replicate('replica', replica, primary_container=primary, check_mode=True)
    assert planned['changed'] and any(a.startswith('CLONE INSTANCE') for a in planned['actions'])
    assert gtid_executed(docker_client, replica) == before          # check mode changed nothing

    result = replicate('replica', replica, primary_container=primary)
    assert not result.failed, result.get('msg')
    assert any(a.startswith('CLONE INSTANCE') for a in result['actions'])
    assert REPL_PASSWORD not in str(result) and ROOT_PASSWORD not in str(result)
    # The clone brought the row written before it; replication brings the next one.
    query(docker_client, primary, "INSERT INTO app.orders (v) VALUES ('after')")
    rows = retry(lambda: _two_rows(docker_client, replica))
    assert rows == ['after', 'before']
    status = replicate('status', replica)
    assert status['severity'] == 'ok', status['status']['reasons']
    assert status['status']['semi_sync']['replica_status'] is True
    assert replicate('status', primary)['status']['semi_sync']['source_clients'] == 1
    # A second run finds it replicating: nothing to do.
    again = replicate('replica', replica, primary_container=primary)
    assert again['changed'] is False, again['actions']
    assert replicate('primary', primary)['changed'] is False


def _two_rows(docker_client, name):
    rows = sorted(row[0] for row in query(docker_client, name, 'SELECT v FROM app.orders'))
    assert len(rows) == 2, rows
    return rows


def test_a_node_with_data_of_its_own_is_refused_and_kept(docker_client, mysql_image, container_name, network):
    primary, replica = container_name('p'), container_name('r')
    make_node(primary, 1, network)
    make_node(replica, 2, network)
    assert not replicate('primary', primary).failed
    query(docker_client, replica, 'CREATE TABLE app.mine (id INT PRIMARY KEY)')
    query(docker_client, replica, 'INSERT INTO app.mine VALUES (42)')
    before = gtid_executed(docker_client, replica)

    result = replicate('replica', replica, primary_container=primary)
    assert result.failed and result['parameter'] == 'primary_host'
    assert 'transactions its source does not have' in result['msg'] and 'Nothing was changed' in result['msg']
    assert query(docker_client, replica, 'SELECT id FROM app.mine') == ((42,),)
    assert gtid_executed(docker_client, replica) == before


def test_a_fresh_node_with_another_root_password_is_refused(docker_client, mysql_image, container_name, network):
    primary, replica = container_name('p'), container_name('r')
    make_node(primary, 1, network)
    other_password = 'Other-R00t-pw'
    make_node(replica, 2, network, root_password=other_password)
    assert not replicate('primary', primary).failed
    before = gtid_executed(docker_client, replica, other_password)

    result = replicate('replica', replica, primary_container=primary)
    assert result.failed and result['parameter'] == 'primary_host'
    assert 'same root password' in result['msg'] and 'Nothing was changed' in result['msg']
    assert other_password not in result['msg'] and ROOT_PASSWORD not in result['msg']
    # Its own accounts and history are intact: it still takes its own password.
    assert gtid_executed(docker_client, replica, other_password) == before
