# -*- coding: utf-8 -*-
"""A MongoDB replica set on real servers (the official mongo:8.0 image): three
members made by db_container with a shared key file on one Docker network,
initiated, a fourth member added and removed, a priority changed, the status
read, and the second run of each step changing nothing.

It runs wherever the official image is on the Docker host or can be pulled; on
a machine without registry access it is skipped with that reason (the planning
and the status evaluation are unit-tested in
tests/unit/plugins/module_utils/test_replication_mongodb.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from conftest import base_args, image_available, retry, run_module

from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import replication as rm
IMAGE = 'mongo:8.0'
SKIP_REASON = 'mongo:8.0 is not on this Docker host and cannot be pulled (no registry); runs wherever the image exists'
ROOT_PASSWORD = 'R00t-pass;word"x'
KEY = 'dGVzdC1rZXktZm9yLXRoZS1kYm9wcy1yZXBsaWNhLXNldC1pbnRlZ3JhdGlvbi10ZXN0' * 8


@pytest.fixture
def mongo_image(docker_client):
    if not image_available(docker_client, IMAGE):
        pytest.skip(SKIP_REASON)
    return IMAGE


def network_ip(docker_client, name, network):
    return docker_client.api.inspect_container(name)['NetworkSettings']['Networks'][network]['IPAddress']


def connect(host):
    import pymongo

    def go():
        client = pymongo.MongoClient(host, 27017, username='admin', password=ROOT_PASSWORD, authSource='admin',
                                     directConnection=True, serverSelectionTimeoutMS=5000)
        client['admin'].command('ping')
        return client
    return retry(go)


def member_args(name, network, alias, key_path):
    return base_args(name, 'mongodb', image=IMAGE, image_source='official', memory='1g', user=None, password=None,
                     database=None, cluster_key_file=key_path,
                     settings={'replication.replSetName': 'rs0'},
                     networks=[{'name': network, 'aliases': [alias]}])


def test_replica_set_lifecycle(docker_client, mongo_image, container_name, tmp_path):
    names = [container_name('m%d' % i) for i in range(1, 5)]
    aliases = ['m1', 'm2', 'm3', 'm4']
    key_path = tmp_path / 'rs0.key'
    key_path.write_text(KEY + '\n')
    network = docker_client.networks.create(names[0] + '-net', labels={'test.dbops': 'true'})
    client = None
    try:
        for name, alias in zip(names, aliases):
            args = member_args(name, network.name, alias, str(key_path))
            result = run_module('db_container', args)
            assert not result.failed, result.get('msg')
            assert 'keyFile' in json.dumps(result.get('settings'))
            # The key is in the secrets volume only: not in inspect, not in the module's output.
            assert KEY[:40] not in json.dumps(docker_client.api.inspect_container(name))
            assert KEY[:40] not in result['_stdout']
            again = run_module('db_container', args)
            assert not again.failed and not again['changed'], again.get('actions')

        client = connect(network_ip(docker_client, names[0], network.name))
        three = [{'host': 'm1:27017', 'priority': 2}, {'host': 'm2:27017'}, {'host': 'm3:27017'}]

        # Check mode plans the initiation and sends nothing.
        changed, actions, _config = rm.configure_replicaset(client, 'rs0', three, check_mode=True)
        assert changed and actions[0].startswith('initiate rs0')
        assert rm.status(client)['role'] == 'not_initiated'

        changed, actions, config = rm.configure_replicaset(client, 'rs0', three, wait_timeout=120)
        assert changed and [m['host'] for m in config['members']] == ['m1:27017', 'm2:27017', 'm3:27017']
        assert rm.configure_replicaset(client, 'rs0', three, wait_timeout=120)[:2] == (False, [])

        # A fourth member: one reconfig, committed; an even number of voters is a warning.
        four = three + [{'host': 'm4:27017'}]
        changed, actions, config = rm.configure_replicaset(client, 'rs0', four, wait_timeout=120)
        assert changed and len(actions) == 1 and any('even number' in w for w in config['warnings'])
        assert rm.configure_replicaset(client, 'rs0', four, wait_timeout=120)[:2] == (False, [])

        # Removed again, and a priority changed; the primary stays.
        three[2]['priority'] = 0.5
        changed, actions, config = rm.configure_replicaset(client, 'rs0', three, wait_timeout=120)
        assert changed and len(config['members']) == 3
        assert [m['priority'] for m in config['members']] == [2, 1, 0.5]

        # Removing the primary is refused, and nothing is sent.
        with pytest.raises(Exception) as error:
            rm.configure_replicaset(client, 'rs0', three[1:], wait_timeout=120)
        assert 'Step it down first' in str(error.value)

        def healthy():
            facts = rm.status(client)
            assert facts['severity'] == 'ok', facts['reasons']
            return facts
        facts = retry(healthy, attempts=120, delay=1)
        assert facts['role'] == 'primary' and facts['set'] == 'rs0'
        assert sorted(m['stateStr'] for m in facts['members']) == ['PRIMARY', 'SECONDARY', 'SECONDARY']

        # The module, on the first member's container: the same members change nothing.
        result = run_module('db_replication', {'role': 'replicaset', 'container': names[0], 'replica_set': 'rs0',
                                               'members': three})
        assert not result.failed, result.get('msg')
        assert not result['changed']
        result = run_module('db_replication', {'role': 'status', 'container': names[1]})
        assert not result.failed and result['status']['role'] == 'secondary'
    finally:
        if client is not None:
            client.close()
        for name in names:
            run_module('db_container', base_args(name, 'mongodb', state='absent', purge_data=True))
        network.remove()
