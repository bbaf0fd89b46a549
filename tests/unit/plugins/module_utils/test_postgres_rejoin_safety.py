# -*- coding: utf-8 -*-
"""PostgreSQL rejoin of an old primary, its Docker side without a server: a primary that cannot be
reached is a refusal before the node is stopped; a step that fails once the node is stopped starts it
again behind its fence; what an interrupted earlier rejoin left is cleared, or, still running on the
node's data, a refusal. And a node with no address is named in the error, not reported as "None:5432".

The rejoin's work on real servers (the CHECKPOINT, pg_rewind, the streaming) is tested in
tests/integration/test_watcher_faults.py and test_durability_postgres.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import failover as pg_failover
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import Cluster, Node

IMAGE = 'localhost/dbops/postgres:15'


def inspect(name, running=True, address='10.0.0.9'):
    return {'Id': 'id-' + name, 'State': {'Running': running},
            'Config': {'Image': IMAGE, 'Env': ['PG_MAJOR=15']},
            'HostConfig': {'RestartPolicy': {'Name': 'unless-stopped'}},
            'Mounts': [{'Type': 'volume', 'Destination': '/var/lib/postgresql/data', 'Name': name + '-data'}],
            'NetworkSettings': {'Networks': {'net': {'IPAddress': address if running else ''}}}}


class Docker(object):
    """The Docker calls a rejoin makes, recorded in order; containers as inspect() describes them."""

    def __init__(self, containers, carriers=None, volumes=()):
        self.containers = containers
        self.carriers = carriers or {}      # volume -> [(id, running)]
        self.volumes = list(volumes)
        self.calls = []
        self.fail_on = None         # the step that fails
        self.fail_once = False      # ... only the first time it is called

    def _call(self, *call):
        self.calls.append(call)
        if self.fail_on == call[0]:
            if self.fail_once:
                self.fail_on = None
            raise DbopsError('docker says no to %s' % call[0], 'nodes')

    def container(self, name):
        return self.containers.get(name)

    def stop(self, container_id, timeout):
        self._call('stop', container_id)
        for found in self.containers.values():
            if found['Id'] == container_id:
                found['State']['Running'] = False

    def start(self, container_id):
        self._call('start', container_id)
        for found in self.containers.values():
            if found['Id'] == container_id:
                found['State']['Running'] = True

    def set_restart_policy(self, container_id, policy):
        self._call('restart_policy', container_id, policy)

    def create_volume(self, name, labels):
        self._call('create_volume', name)

    def remove_volume(self, name):
        self._call('remove_volume', name)

    def remove_container(self, container_id):
        self._call('remove_container', container_id)

    def write_to_mount(self, image, mount, entries):
        self._call('write_to_mount', mount['source'], [entry.name for entry in entries])

    def carriers_mounting(self, volume):
        return self.carriers.get(volume, [])

    def carrier_volumes(self, prefix):
        return [name for name in self.volumes if name.startswith(prefix)]


def make_cluster(docker, params=None):
    cluster = Cluster.__new__(Cluster)
    cluster.params = dict({'engine': 'postgres', 'network': 'net', 'nodes': [{'name': 'pg1'}, {'name': 'pg2'}],
                           'replication_password': 'secret-repl', 'login_password': 'secret-super'},
                          **(params or {}))
    cluster.docker, cluster.engine, cluster.adapter = docker, 'postgres', get_adapter('postgres')
    cluster.nodes = []
    for entry in cluster.params['nodes']:
        node = Node(entry['name'], port=5432, inspect=docker.container(entry['name']))
        node.host = (node.inspect['NetworkSettings']['Networks']['net']['IPAddress'] or None) if node.inspect else None
        cluster.nodes.append(node)
    cluster.by_name = dict((node.name, node) for node in cluster.nodes)
    cluster._passwords = {}
    return cluster


def test_a_node_with_no_address_is_named_and_nothing_is_dialled():
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2', running=False)})
    cluster = make_cluster(docker)
    dialled = []
    cluster.adapter = type('Adapter', (), {'superuser': 'postgres',
                                           'connect': lambda *args, **kwargs: dialled.append(args)})()
    with pytest.raises(DbopsError) as raised:
        cluster.connect(cluster.by_name['pg2'], 1)
    assert 'None' not in raised.value.message
    assert raised.value.message.startswith('pg2 has no address on network net: its container is not running')
    assert raised.value.cause == login_errors.UNREACHABLE
    assert dialled == []


def test_a_node_whose_address_appeared_since_is_dialled_at_it():
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2', running=False)})
    cluster = make_cluster(docker)
    docker.containers['pg2'] = inspect('pg2', address='10.0.0.2')     # started since the cluster was read
    dialled = []
    cluster.adapter = type('Adapter', (), {'superuser': 'postgres',
                                           'connect': lambda self, *args, **kwargs: dialled.append(args[:2])})()
    cluster.connect(cluster.by_name['pg2'], 1)
    assert dialled == [('10.0.0.2', 5432)]


def test_a_primary_that_cannot_be_reached_is_a_refusal_before_the_node_is_stopped():
    # The fault suite's case: the new primary killed while the watcher's rejoin began (no address).
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2', running=False)})
    cluster = make_cluster(docker)
    driver = pg_failover.FailoverDriver(cluster)
    with pytest.raises(DbopsError) as raised:
        driver.rejoin(cluster.by_name['pg1'], cluster.by_name['pg2'])
    assert raised.value.message.startswith('pg1 cannot follow pg2, which does not answer (pg2 has no address')
    assert 'Nothing was changed' in raised.value.message
    assert docker.calls == []
    assert cluster.by_name['pg1'].running


def test_without_a_replication_password_nothing_is_stopped(monkeypatch):
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2')})
    cluster = make_cluster(docker, {'replication_password': None})
    driver = pg_failover.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_checkpoint_primary', lambda node, primary: None)   # the server's part
    with pytest.raises(DbopsError) as raised:
        driver.rejoin(cluster.by_name['pg1'], cluster.by_name['pg2'])
    assert raised.value.parameter == 'replication_password_file'
    assert docker.calls == []


@pytest.mark.parametrize('failing_step', ['create_volume', 'write_to_mount'])
def test_a_step_failing_after_the_stop_starts_the_node_again_behind_its_fence(monkeypatch, failing_step):
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2')})
    cluster = make_cluster(docker)
    driver = pg_failover.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_checkpoint_primary', lambda node, primary: None)   # the server's part
    docker.fail_on, docker.fail_once = failing_step, True
    with pytest.raises(DbopsError) as raised:
        driver.rejoin(cluster.by_name['pg1'], cluster.by_name['pg2'])
    assert raised.value.message.startswith('docker says no to %s; it was started again, fenced' % failing_step)
    steps = [call[0] for call in docker.calls]
    assert steps[0] == 'stop' and steps[-1] == 'start'
    # standby.signal is written before the start (read-only whatever it was doing), the restart policy untouched.
    assert docker.calls[-2] == ('write_to_mount', 'pg1-data', ['standby.signal'])
    assert 'restart_policy' not in steps


def test_a_node_that_could_not_be_fenced_again_is_not_started(monkeypatch):
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2')})
    cluster = make_cluster(docker)
    driver = pg_failover.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_checkpoint_primary', lambda node, primary: None)
    docker.fail_on = 'write_to_mount'
    with pytest.raises(DbopsError) as raised:
        driver.rejoin(cluster.by_name['pg1'], cluster.by_name['pg2'])
    assert 'it could not be started again' in raised.value.message
    assert 'start' not in [call[0] for call in docker.calls]


def test_a_node_that_was_stopped_stays_stopped_when_the_rejoin_fails(monkeypatch):
    docker = Docker({'pg1': inspect('pg1', running=False), 'pg2': inspect('pg2')})
    cluster = make_cluster(docker)
    driver = pg_failover.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_checkpoint_primary', lambda node, primary: None)
    docker.fail_on = 'create_volume'
    with pytest.raises(DbopsError) as raised:
        driver.rejoin(cluster.by_name['pg1'], cluster.by_name['pg2'])
    assert raised.value.message == 'docker says no to create_volume'
    assert [call[0] for call in docker.calls] == ['create_volume']


def test_an_earlier_rejoin_still_running_on_the_data_is_a_refusal_that_changes_nothing(monkeypatch):
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2')},
                    carriers={'pg1-data': [('0123456789abcdef', True)]})
    cluster = make_cluster(docker)
    driver = pg_failover.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_checkpoint_primary', lambda node, primary: None)
    with pytest.raises(DbopsError) as raised:
        driver.rejoin(cluster.by_name['pg1'], cluster.by_name['pg2'])
    assert 'earlier, interrupted rejoin still runs on its data volume pg1-data (container 0123456789ab)' \
        in raised.value.message
    assert docker.calls == []


def test_an_interrupted_rejoins_carrier_volume_is_removed_unless_still_in_use():
    docker = Docker({'pg1': inspect('pg1'), 'pg2': inspect('pg2')},
                    carriers={'pg1-rewind-aa': [('exited1', False)], 'pg1-rewind-bb': [('busy', True)]},
                    volumes=['pg1-rewind-aa', 'pg1-rewind-bb', 'pg10-rewind-cc'])
    cluster = make_cluster(docker)
    driver = pg_failover.FailoverDriver(cluster)
    driver._clear_earlier_rejoin(cluster.by_name['pg1'], 'pg1-data')
    # pg10's volume matches the prefix pg1 only without the dash: it is not pg1's.
    assert docker.calls == [('remove_container', 'exited1'), ('remove_volume', 'pg1-rewind-aa')]
