# -*- coding: utf-8 -*-
"""db_failover on a real MongoDB replica set (the official mongo:8.0 image): three
members made by db_container on one Docker network, the primary killed, a failover
run (the set elects, the module reports the candidate and the timeline), the old
primary rejoined as a secondary, and a switchover back to it (replSetStepDown).

It runs wherever the official image is on the Docker host or can be pulled; on a
machine without registry access it is skipped with that reason (the driver is
unit-tested in tests/unit/plugins/module_utils/test_failover_mongodb.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from conftest import base_args, image_available, retry, run_module

from ansible_collections.dbops.containers.plugins.module_utils.failover import orchestrator as failover
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import replication as rm
IMAGE = 'mongo:8.0'
SKIP_REASON = 'mongo:8.0 is not on this Docker host and cannot be pulled (no registry); runs wherever the image exists'
ROOT_PASSWORD = 'R00t-pass;word"x'
KEY = 'ZmFpbG92ZXItdGVzdC1rZXktZm9yLXRoZS1kYm9wcy1tb25nb2RiLXJlcGxpY2Etc2V0' * 8


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


def member_args(name, network, key_path):
    return base_args(name, 'mongodb', image=IMAGE, image_source='official', memory='1g', user=None, password=None,
                     database=None, cluster_key_file=key_path, restart_policy='unless-stopped',
                     settings={'replication.replSetName': 'rs0'},
                     networks=[{'name': network, 'aliases': [name]}])


def failover_params(mode, names, network, **extra):
    params = {'mode': mode, 'engine': 'mongodb', 'nodes': [{'name': name} for name in names], 'network': network,
              'login_user': 'admin', 'login_password': ROOT_PASSWORD, 'probes': 2, 'probe_interval': 0.3,
              'probe_timeout': 1, 'max_lag': 30, 'wait_timeout': 90, 'force': False, 'endpoint': {'type': 'none'}}
    params.update(extra)
    return params


def test_replica_set_failover_rejoin_switchover(docker_client, mongo_image, container_name, tmp_path):
    from pymongo import WriteConcern
    names = [container_name('fm%d' % i) for i in range(1, 4)]
    key_path = tmp_path / 'rs0.key'
    key_path.write_text(KEY + '\n')
    network = docker_client.networks.create(names[0] + '-net', labels={'test.dbops': 'true'})
    clients = []
    try:
        for name in names:
            result = run_module('db_container', member_args(name, network.name, str(key_path)))
            assert not result.failed, result.get('msg')
        ips = dict((name, network_ip(docker_client, name, network.name)) for name in names)
        first = connect(ips[names[0]])
        clients.append(first)
        members = [{'host': '%s:27017' % name} for name in names]
        rm.configure_replicaset(first, 'rs0', members, wait_timeout=120)

        def healthy():
            facts = rm.status(first)
            assert facts['severity'] == 'ok', facts['reasons']
            return facts
        facts = retry(healthy, attempts=120, delay=1)
        primary = facts['primary'].split(':')[0]
        writer = connect(ips[primary])
        clients.append(writer)
        writer['app']['ledger'].with_options(write_concern=WriteConcern(w='majority')).insert_many(
            [{'_id': i} for i in range(3)])

        # Alive: check says so.
        result = failover.run(failover_params('check', names, network.name))
        assert result['primary'] == primary and result['primary_dead'] is False

        # Killed: the module checks, the set elects, the timeline says what happened when.
        docker_client.api.kill(primary)
        result = failover.run(failover_params('failover', names, network.name, primary=primary))
        new_primary = result['new_primary']
        print('\nmongodb failover timeline: %s' % result['timeline'])
        assert result['old_primary'] == primary and new_primary != primary
        events = [event['event'] for event in result['timeline']]
        assert events[:5] == ['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted']
        assert docker_client.api.inspect_container(primary)['HostConfig']['RestartPolicy']['Name'] == 'no'
        survivor = connect(ips[new_primary])
        clients.append(survivor)
        assert survivor['admin'].command('hello')['isWritablePrimary']
        assert survivor['app']['ledger'].count_documents({}) == 3     # majority-acknowledged writes survive

        # The old primary comes back as a secondary.
        result = failover.run(failover_params('rejoin', names, network.name, node=primary))
        assert result['primary'] == new_primary
        assert docker_client.api.inspect_container(primary)['HostConfig']['RestartPolicy']['Name'] == 'unless-stopped'

        # Switchover back to it: replSetStepDown, the candidate wins.
        result = failover.run(failover_params('switchover', names, network.name, candidate=primary))
        assert result['new_primary'] == primary
        back = connect(ips[primary])
        clients.append(back)

        def writable():
            assert back['admin'].command('hello')['isWritablePrimary']
        retry(writable, attempts=60, delay=0.5)
    finally:
        for client in clients:
            client.close()
        for name in names:
            run_module('db_container', base_args(name, 'mongodb', state='absent', purge_data=True))
        network.remove()
