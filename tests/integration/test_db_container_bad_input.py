# -*- coding: utf-8 -*-
"""Bad input: a clear error naming the parameter, and nothing created or changed.

Runs against the real Docker engine, next to a running managed MariaDB
container that every case must leave exactly as it was: its container, volumes,
configuration file, accounts and data (unchanged.Snapshot), and still serving.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import uuid

import pytest

from conftest import TEST_LABEL, base_args, remove_everything, run_module
from unchanged import Snapshot, assert_serving, assert_unchanged, write_ledger

PREFIX = 'dbt-%s-' % uuid.uuid4().hex[:6]
EXISTING = PREFIX + 'existing'
NEW = PREFIX + 'new'
NET = PREFIX + 'net'


@pytest.fixture(scope='module')
def existing(docker_client):
    """A running managed MariaDB, holding a ledger, that the bad input targets or sits next to."""
    result = run_module('db_container', base_args(EXISTING, 'mariadb'))
    assert not result.failed, result.get('msg')
    write_ledger(docker_client, EXISTING)
    yield EXISTING
    remove_everything(docker_client, EXISTING)


@pytest.fixture(scope='module')
def network(docker_client):
    """A user-defined network (aliases need one)."""
    created = docker_client.networks.create(NET, labels=TEST_LABEL)
    yield NET
    created.reload()
    for container in created.containers:
        container.remove(force=True, v=True)
    created.remove()


@pytest.fixture
def new_container(docker_client):
    """The name a case must not create; removed after a case that created it anyway, so one accepted
    bad input does not become the next case's existing container."""
    yield NEW
    remove_everything(docker_client, NEW)


@pytest.fixture(scope='module')
def port_holder(docker_client):
    """A plain container publishing a host port, and a host process holding another."""
    name = PREFIX + 'portholder'
    container = docker_client.containers.create('localhost/dbops/postgres:18', name=name, labels=TEST_LABEL,
                                                entrypoint=['sleep', 'infinity'],
                                                ports={'5432/tcp': ('127.0.0.1', 0)})
    container.start()
    container.reload()
    published = int(container.attrs['NetworkSettings']['Ports']['5432/tcp'][0]['HostPort'])
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    yield {'container': name, 'container_port': published, 'process_port': listener.getsockname()[1]}
    listener.close()
    container.remove(force=True, v=True)


def snapshot(client):
    """Everything named after this module's prefix, and the existing server's files, accounts and data."""
    return Snapshot.take(client, PREFIX, servers=[EXISTING])


def assert_nothing_changed(client, before):
    assert_unchanged(before, snapshot(client))
    assert_serving(client, EXISTING)


# (case id, args overrides for a NEW container, parameter named in the error, words the message must hold)
CASES = [
    ('unknown engine', {'engine': 'oracle'}, 'engine', ['oracle']),
    ('memory with junk', {'memory': '4gb?'}, 'memory', ['4gb?', 'size']),
    ('negative memory', {'memory': '-1g'}, 'memory', ['size']),
    ('negative cpus', {'cpus': -1}, 'cpus', ['at least']),
    ('more cpus than the host', {'cpus': 4096}, 'cpus', ['Docker host has']),
    ('more memory than the host', {'memory': '4t'}, 'memory', ['Docker host has']),
    ('missing root password', {'root_password': None}, 'root_password', ['required']),
    ('user without password', {'password': None}, 'password', ['needs a password']),
    ('password without user', {'user': None}, 'user', ['user']),
    ('root as application user', {'user': 'root'}, 'user', ['superuser']),
    ('removed setting on MySQL 8.4', {'engine': 'mysql', 'image': 'mysql:8.4', 'image_source': None,
                                      'settings': {'query_cache_size': 0}},
     'settings.query_cache_size', ['removed', 'MySQL 8.0']),
    ('setting MySQL 9.0 removed, on the local MySQL 9.7', {'engine': 'mysql', 'settings': {'mysql_native_password': 'ON'}},
     'settings.mysql_native_password', ['removed', '9.0']),
    ('recovery.conf setting on PostgreSQL 15', {'engine': 'postgres', 'settings': {'standby_mode': 'on'}},
     'settings.standby_mode', ['standby.signal']),
    ('buffer pool larger than memory', {'settings': {'innodb_buffer_pool_size': '8g'}},
     'settings.innodb_buffer_pool_size', ['does not fit in memory']),
    ('setting size not a size', {'settings': {'innodb_buffer_pool_size': 'lots'}},
     'settings.innodb_buffer_pool_size', ['not a size']),
    ('port out of range', {'published_ports': ['99999:3306']}, 'published_ports', ['1 to 65535']),
    ('not an address', {'published_ports': ['db.example:3306:3306']}, 'published_ports', ['IP address']),
    ('invalid name', {'name': 'bad name!'}, 'name', ['not a valid container name']),
    ('missing network', {'networks': ['dbops-no-such-network']}, 'networks', ['does not exist']),
    ('bad ulimit', {'ulimits': {'nofile': 'abc'}}, 'ulimits', ['soft:hard']),
    ('ulimit above the engine', {'ulimits': {'nofile': '2000000:2000000'}}, 'ulimits', ["engine"]),
    ('swap below memory', {'memory_swap': '512m'}, 'memory_swap', ['cannot be below memory']),
    ('tmpfs larger than memory', {'tmpfs_size': '2g'}, 'tmpfs_size', ['does not fit']),
    ('reserved label', {'labels': {'dbops.engine': 'x'}}, 'labels', ['reserved']),
    ('relative host path', {'data_volume': './data'}, 'data_volume', ['absolute host path']),
    ('image of another engine', {'engine': 'postgres', 'image': 'localhost/dbops/mariadb:11.8',
                                 'image_source': None}, 'image', ['MariaDB image']),
    ('no local image for MongoDB', {'engine': 'mongodb'}, 'image_source', ['no local image']),
    ('image missing and pull=never', {'image': 'localhost/dbops/mariadb:9.9', 'image_source': None,
                                      'pull': 'never'}, 'image', ['pull=never']),
    ('password with a line break', {'password': 'a\nb'}, 'password', ['line breaks']),
    # What users write that the cases above do not cover yet.
    ('unknown profile', {'profile': 'olap'}, 'profile', ['oltp']),
    ('negative stop_timeout', {'stop_timeout': -1}, 'stop_timeout', ['positive']),
    ('stop_timeout not a number', {'stop_timeout': '1m'}, 'stop_timeout', ['int']),
    ('zero wait_timeout', {'wait_timeout': 0}, 'wait_timeout', ['positive']),
    ('negative wait_timeout', {'wait_timeout': -30}, 'wait_timeout', ['positive']),
    ('tmpfs size not a size', {'tmpfs_size': 'big'}, 'tmpfs_size', ['not a size']),
    ('zero tmpfs size', {'tmpfs_size': '0'}, 'tmpfs_size', ['greater than zero']),
    ('shm size not a size', {'shm_size': '64mb!'}, 'shm_size', ['not a size']),
    ('shm size larger than memory', {'shm_size': '8g'}, 'shm_size', ['does not fit']),
    ('label with an empty name', {'labels': {'': 'x'}}, 'labels', ['com.example.team']),
    ('label with a space in its name', {'labels': {'my label': 'x'}}, 'labels', ['com.example.team']),
    ('label whose value is a list', {'labels': {'team': ['a', 'b']}}, 'labels', ['one string']),
    ('network alias with a space', {'networks': [{'name': NET, 'aliases': ['my db']}]}, 'networks', ['host name']),
    ('network alias on the default bridge', {'networks': [{'name': 'bridge', 'aliases': ['db']}]}, 'networks',
     ['user-defined']),
    ('network without a name', {'networks': [{'aliases': ['db']}]}, 'networks', ['name']),
    ('network listed twice', {'networks': [NET, {'name': NET, 'aliases': ['db']}]}, 'networks', ['twice']),
    ('cluster key file that does not exist', {'cluster_key_file': '/nonexistent/dbops-key'},
     'cluster_key_file', ['cannot read']),
    ('cluster key file holding no key', {'cluster_key_file': '/proc/version'}, 'cluster_key_file', ['base64']),
    ('empty root password', {'root_password': ''}, 'root_password', ['set root_password']),
    ('engine_version junk', {'engine_version': 'latest-ish'}, 'engine_version', ['e.g. 8.4']),
    ('engine_version of another engine', {'engine_version': '18'}, 'engine_version', ['11.8']),
    ('unknown ulimit name', {'ulimits': {'nofiles': '65536:65536'}}, 'ulimits', ['nofile']),
    ('ulimit soft above hard', {'ulimits': {'nofile': '4096:1024'}}, 'ulimits', ['soft <= hard']),
    ('memory below the engine minimum', {'memory': '16m'}, 'memory', ['at least 256m']),
    ('zero cpus', {'cpus': 0}, 'cpus', ['at least 0.01']),
    ('state junk', {'state': 'running'}, 'state', ['started']),
    ('restart policy junk', {'restart_policy': 'sometimes'}, 'restart_policy', ['unless-stopped']),
    ('published port junk', {'published_ports': ['mysql']}, 'published_ports', ['1 to 65535']),
    ('memory_swap junk', {'memory_swap': 'lots'}, 'memory_swap', ['not a size']),
    ('data volume name with a space', {'data_volume': 'my data'}, 'data_volume', ['volume name']),
    ('database name with a backtick', {'database': 'app`x'}, 'database', ['no quotes or backticks']),
    ('user name too long', {'user': 'u' * 90}, 'user', ['at most 80']),
    ('pull junk', {'pull': 'sometimes'}, 'pull', ['missing']),
    ('unknown security option', {'security_opts': ['seccomp=/no/such/profile.json']}, 'security_opts', []),
]


def case_param(case):
    """A pytest parameter; a fifth element is a reported bug the case is expected to fail on (strict: the mark
    goes when the bug is fixed)."""
    marks = [pytest.mark.xfail(strict=True, reason=case[4])] if len(case) > 4 else []
    return pytest.param(*case[1:4], id=case[0], marks=marks)


@pytest.mark.parametrize('overrides,parameter,words', [case_param(c) for c in CASES])
def test_bad_input_on_new_container(overrides, parameter, words, docker_client, local_images, existing, network,
                                    new_container):
    before = snapshot(docker_client)
    args = base_args(NEW, 'mariadb')
    args.update(overrides)
    args = dict((k, v) for k, v in args.items() if v is not None)
    result = run_module('db_container', args)
    print('refused (%s): %s' % (result.get('parameter'), result.get('msg')))
    assert result.failed, 'expected a failure, got %r' % result
    assert 'Traceback' not in result['msg'] + result['_stderr']
    if 'parameter' in result:
        assert result['parameter'] == parameter, result['msg']
    assert parameter in result['msg'], result['msg']
    for word in words:
        assert word in result['msg'], result['msg']
    assert_nothing_changed(docker_client, before)


def test_port_published_by_another_container(docker_client, local_images, port_holder, existing):
    before = snapshot(docker_client)
    result = run_module('db_container', base_args(NEW, 'mariadb', published_ports=[
        '127.0.0.1:%d:3306' % port_holder['container_port']]))
    assert result.failed and result['parameter'] == 'published_ports'
    assert port_holder['container'] in result['msg']
    assert_nothing_changed(docker_client, before)


def test_port_held_by_a_host_process(docker_client, local_images, port_holder, existing):
    before = snapshot(docker_client)
    result = run_module('db_container', base_args(NEW, 'mariadb', published_ports=[
        '127.0.0.1:%d:3306' % port_holder['process_port']]))
    assert result.failed and result['parameter'] == 'published_ports'
    assert 'already in use' in result['msg']
    assert_nothing_changed(docker_client, before)


# Cases that target the existing container: each must leave it running, untouched.
EXISTING_CASES = [
    ('another engine on its volume', {'engine': 'postgres'}, 'engine', ['another engine']),
    ('changed root password', {'root_password': 'something-else'}, 'root_password', ['initialised with']),
    ('downgrade', {'image': 'localhost/dbops/mariadb:10.11', 'image_source': None}, 'image', ['downgrade']),
    ('image tag of another engine', {'image': 'localhost/dbops/postgres:18', 'image_source': None}, 'image',
     ['PostgreSQL']),
    ('engine_version junk', {'engine_version': '11.8; DROP'}, 'engine_version', ['digits and dots']),
    ('zero cpus', {'cpus': 0}, 'cpus', ['at least 0.01']),
    ('memory below the engine minimum', {'memory': '16m'}, 'memory', ['at least 256m']),
    ('negative stop_timeout', {'stop_timeout': -5}, 'stop_timeout', ['positive']),
    ('state junk', {'state': 'up'}, 'state', ['started']),
    ('tmpfs size not a size', {'tmpfs_size': '1 gig'}, 'tmpfs_size', ['not a size']),
    ('unknown ulimit name', {'ulimits': {'open_files': 1024}}, 'ulimits', ['nofile']),
    ('network that does not exist', {'networks': ['dbops-no-such-network']}, 'networks', ['does not exist']),
]


@pytest.mark.parametrize('overrides,parameter,words', [case_param(c) for c in EXISTING_CASES])
def test_bad_input_on_existing_container(overrides, parameter, words, docker_client, existing):
    before = snapshot(docker_client)
    args = base_args(existing, 'mariadb')
    args.update(overrides)
    args = dict((k, v) for k, v in args.items() if v is not None)
    result = run_module('db_container', args)
    print('refused (%s): %s' % (result.get('parameter'), result.get('msg')))
    assert result.failed, result
    assert 'Traceback' not in result['msg'] + result['_stderr']
    if 'parameter' in result:
        assert result['parameter'] == parameter, result['msg']
    assert parameter in result['msg'], result['msg']
    for word in words:
        assert word in result['msg'], result['msg']
    assert_nothing_changed(docker_client, before)


def test_unmanaged_container_with_the_same_name(docker_client, local_images):
    name = PREFIX + 'foreign'
    foreign = docker_client.containers.create('localhost/dbops/mariadb:11.8', name=name, labels=TEST_LABEL)
    try:
        result = run_module('db_container', base_args(name, 'mariadb'))
        assert result.failed and result['parameter'] == 'name'
        assert 'not created by' in result['msg']
        assert docker_client.containers.get(name).id == foreign.id
        absent = run_module('db_container', base_args(name, 'mariadb', state='absent'))
        assert absent.failed and docker_client.containers.get(name).id == foreign.id
    finally:
        foreign.remove(force=True, v=True)
