# -*- coding: utf-8 -*-
"""Published ports, Docker health checks and restarts, on real servers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time

import pytest

from conftest import base_args, mysql_query, pg_query, run_module

PORTS = {'mysql': 3306, 'mariadb': 3306, 'postgres': 5432}


def free_port():
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize('engine', ['mysql', 'mariadb', 'postgres'])
def test_published_port_binds_loopback_and_health_turns_healthy(
        engine, docker_client, local_images, container_name):
    name = container_name(engine)
    port = free_port()
    args = base_args(name, engine, published_ports=['%d:%d' % (port, PORTS[engine])])
    result = run_module('db_container', args)
    assert not result.failed, result.get('msg')
    bindings = docker_client.api.inspect_container(name)['HostConfig']['PortBindings']
    assert bindings == {'%d/tcp' % PORTS[engine]: [{'HostIp': '127.0.0.1', 'HostPort': str(port)}]}
    if engine != 'postgres':
        assert mysql_query('127.0.0.1', 'SELECT 1', user='app', password='app-Pa55', port=port)[0][0] == 1
    else:
        assert pg_query('127.0.0.1', 'SELECT 1', user='app', password='app-Pa55', database='app', port=port)[0][0] == 1
    # Docker's own health check (the same real query) turns the container healthy.
    deadline = time.time() + 40
    status = None
    while time.time() < deadline:
        status = docker_client.api.inspect_container(name)['State']['Health']['Status']
        if status == 'healthy':
            break
        time.sleep(1)
    assert status == 'healthy'

    restarted = run_module('db_container', dict(args, state='restarted'))
    assert restarted['changed'] and restarted['actions'] == ['stop', 'start', 'wait']
    assert restarted['container']['status'] == 'running'


def test_port_published_on_every_interface_only_when_asked(docker_client, local_images, container_name):
    name = container_name()
    port = free_port()
    result = run_module('db_container', base_args(name, 'mariadb', published_ports=['0.0.0.0:%d:3306' % port]))
    assert not result.failed, result.get('msg')
    bindings = docker_client.api.inspect_container(name)['HostConfig']['PortBindings']['3306/tcp']
    assert bindings == [{'HostIp': '0.0.0.0', 'HostPort': str(port)}]


def test_networks_and_aliases(docker_client, local_images, container_name):
    name = container_name()
    network = docker_client.networks.create(name + '-net', labels={'test.dbops': 'true'})
    try:
        result = run_module('db_container', base_args(name, 'postgres', networks=[
            {'name': network.name, 'aliases': ['pg-primary']}]))
        assert not result.failed, result.get('msg')
        attached = docker_client.api.inspect_container(name)['NetworkSettings']['Networks']
        assert list(attached) == [network.name]
        assert 'pg-primary' in attached[network.name]['Aliases']
        # Another container on the network reaches the server by its alias.
        output = docker_client.containers.run(
            # The tools image has the client and no VOLUME: nothing is left behind.
            'localhost/dbops/tools:bookworm', ['pg_isready', '-h', 'pg-primary', '-t', '20'],
            network=network.name, remove=True, entrypoint=[]).decode()
        assert 'accepting connections' in output
    finally:
        run_module('db_container', base_args(name, 'postgres', state='absent', purge_data=True))
        network.remove()
