# -*- coding: utf-8 -*-
"""Bad input: a clear error naming the parameter, and nothing created or changed.

Runs against the real Docker engine, next to a running managed MariaDB
container that every case must leave exactly as it was.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import uuid

import pytest

from conftest import TEST_LABEL, base_args, remove_everything, run_module


@pytest.fixture(scope='module')
def existing(docker_client):
    """A running managed MariaDB that the bad input targets or sits next to."""
    name = 'dbt-%s-existing' % uuid.uuid4().hex[:6]
    result = run_module('db_container', base_args(name, 'mariadb'))
    assert not result.failed, result.get('msg')
    yield name
    remove_everything(docker_client, name)


@pytest.fixture(scope='module')
def port_holder(docker_client):
    """A plain container publishing a host port, and a host process holding another."""
    name = 'dbt-%s-portholder' % uuid.uuid4().hex[:6]
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


def snapshot(client, prefix_names):
    containers = sorted((c.name, c.id, c.attrs['State'].get('StartedAt'))
                        for c in client.containers.list(all=True) if c.name.startswith('dbt-'))
    volumes = sorted(v.name for v in client.volumes.list() if v.name.startswith('dbt-'))
    return containers, volumes


NEW = 'dbt-new-%s' % uuid.uuid4().hex[:6]

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
]


@pytest.mark.parametrize('overrides,parameter,words', [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_bad_input_on_new_container(overrides, parameter, words, docker_client, local_images, existing):
    before = snapshot(docker_client, [NEW])
    args = base_args(NEW, 'mariadb')
    args.update(overrides)
    args = dict((k, v) for k, v in args.items() if v is not None)
    result = run_module('db_container', args)
    assert result.failed, 'expected a failure, got %r' % result
    assert 'Traceback' not in result['msg'] + result['_stderr']
    assert parameter in result['msg'], result['msg']
    for word in words:
        assert word in result['msg'], result['msg']
    assert snapshot(docker_client, [NEW]) == before


def test_port_published_by_another_container(docker_client, local_images, port_holder, existing):
    before = snapshot(docker_client, [NEW])
    result = run_module('db_container', base_args(NEW, 'mariadb', published_ports=[
        '127.0.0.1:%d:3306' % port_holder['container_port']]))
    assert result.failed and result['parameter'] == 'published_ports'
    assert port_holder['container'] in result['msg']
    assert snapshot(docker_client, [NEW]) == before


def test_port_held_by_a_host_process(docker_client, local_images, port_holder, existing):
    before = snapshot(docker_client, [NEW])
    result = run_module('db_container', base_args(NEW, 'mariadb', published_ports=[
        '127.0.0.1:%d:3306' % port_holder['process_port']]))
    assert result.failed and result['parameter'] == 'published_ports'
    assert 'already in use' in result['msg']
    assert snapshot(docker_client, [NEW]) == before


# Cases that target the existing container: each must leave it running, untouched.
EXISTING_CASES = [
    ('another engine on its volume', {'engine': 'postgres'}, 'engine', ['another engine']),
    ('changed root password', {'root_password': 'something-else'}, 'root_password', ['initialised with']),
    ('downgrade', {'engine_version': '10.6'}, 'image', ['downgrade']),
]


@pytest.mark.parametrize('overrides,parameter,words', [pytest.param(*c[1:], id=c[0]) for c in EXISTING_CASES])
def test_bad_input_on_existing_container(overrides, parameter, words, docker_client, existing):
    before = snapshot(docker_client, [existing])
    args = base_args(existing, 'mariadb')
    args.update(overrides)
    result = run_module('db_container', args)
    assert result.failed, result
    assert result['parameter'] == parameter, result['msg']
    for word in words:
        assert word in result['msg'], result['msg']
    assert snapshot(docker_client, [existing]) == before
    assert docker_client.containers.get(existing).status == 'running'


def test_unmanaged_container_with_the_same_name(docker_client, local_images):
    name = 'dbt-%s-foreign' % uuid.uuid4().hex[:6]
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
