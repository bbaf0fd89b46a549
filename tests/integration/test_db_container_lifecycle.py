# -*- coding: utf-8 -*-
"""db_container against real MySQL, MariaDB and PostgreSQL servers in containers.

The lifecycle runs on every local version of each engine (MySQL 9.7, MariaDB 10.11 and 11.8,
PostgreSQL 15, 17 and 18); the other tests on the newest of each."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

import pytest

from conftest import IMAGES, base_args, container_ip, mysql_query, pg_query, run_module

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import parse_engine_size


class MariaDB(object):
    engine = 'mariadb'
    memory_setting = 'innodb_buffer_pool_size'
    version_setting = 'version'

    @staticmethod
    def read_setting(host, name):
        return mysql_query(host, 'SELECT @@%s' % name)[0][0]

    @staticmethod
    def write_rows(host, count):
        mysql_query(host, 'CREATE TABLE IF NOT EXISTS app.t (id INT PRIMARY KEY, v VARCHAR(20))',
                    user='app', password='app-Pa55', database='app')
        for i in range(count):
            mysql_query(host, "INSERT INTO app.t VALUES (%d, 'row%d')" % (i, i),
                        user='app', password='app-Pa55', database='app')

    @staticmethod
    def count_rows(host):
        return mysql_query(host, 'SELECT COUNT(*) FROM app.t', user='app', password='app-Pa55', database='app')[0][0]


class MySQL(MariaDB):
    engine = 'mysql'


class PostgreSQL(object):
    engine = 'postgres'
    memory_setting = 'shared_buffers'
    version_setting = 'server_version'

    @staticmethod
    def read_setting(host, name):
        # pg_settings gives the value in its unit; SHOW gives the human form.
        return pg_query(host, 'SHOW %s' % name)[0][0]

    @staticmethod
    def write_rows(host, count):
        pg_query(host, 'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, v TEXT)',
                 user='app', password='app-Pa55', database='app')
        for i in range(count):
            pg_query(host, "INSERT INTO t VALUES (%d, 'row%d')" % (i, i),
                     user='app', password='app-Pa55', database='app')

    @staticmethod
    def count_rows(host):
        return pg_query(host, 'SELECT COUNT(*) FROM t', user='app', password='app-Pa55', database='app')[0][0]


ENGINES = [pytest.param(MariaDB, id='mariadb'), pytest.param(PostgreSQL, id='postgres'), pytest.param(MySQL, id='mysql')]
# Every local version of each engine: (engine, image)
VERSIONS = [pytest.param(engine, image, id='%s-%s' % (engine.engine, version))
            for engine in (MySQL, MariaDB, PostgreSQL) for version, image in sorted(IMAGES[engine.engine].items())]


def as_bytes(value):
    return parse_engine_size(value)


@pytest.mark.parametrize('engine, image', VERSIONS)
def test_lifecycle(engine, image, local_images, docker_client, container_name):
    name = container_name()
    args = base_args(name, engine.engine, memory='1g', image=image)

    # First run: created, tuned settings are what the server reports.
    first = run_module('db_container', args)
    assert not first.failed, first.get('msg')
    assert first['changed'] is True
    host = container_ip(first)
    expected = first['settings'][engine.memory_setting]
    assert as_bytes(engine.read_setting(host, engine.memory_setting)) == as_bytes(expected)
    assert as_bytes(expected) == 256 * 1024 ** 2 if engine.engine == 'postgres' else 512 * 1024 ** 2
    assert int(engine.read_setting(host, 'max_connections')) == int(first['settings']['max_connections'])
    # The server is the version the image's tag names, and the module judged its settings for it.
    assert engine.read_setting(host, engine.version_setting).startswith(image.rsplit(':', 1)[1] + '.')
    assert first['version'].startswith(image.rsplit(':', 1)[1])

    # No password anywhere in docker inspect.
    inspect = json.dumps(docker_client.api.inspect_container(name))
    for secret in (args['root_password'], args['password']):
        assert secret not in inspect
    assert secret not in first['_stdout']

    # Same arguments again: nothing touched.
    started_at = docker_client.api.inspect_container(name)['State']['StartedAt']
    second = run_module('db_container', args)
    assert second['changed'] is False, second['actions']
    assert second['actions'] == []
    assert docker_client.api.inspect_container(name)['State']['StartedAt'] == started_at

    # Rows written before a memory change survive it; the settings follow the memory.
    engine.write_rows(host, 5)
    bigger = run_module('db_container', dict(args, memory='2g'), diff=True)
    assert not bigger.failed, bigger.get('msg')
    assert bigger['changed'] is True
    # /tmp's tmpfs is sized from memory, and a tmpfs size is fixed at creation:
    # a new container on the same data volume.
    assert 'write_config' in bigger['actions'] and 'create' in bigger['actions']
    assert as_bytes(bigger['settings'][engine.memory_setting]) == 2 * as_bytes(expected)
    assert bigger['diff']['before']['resources']['memory'] == 1024 ** 3
    assert bigger['diff']['after']['resources']['memory'] == 2 * 1024 ** 3
    host = container_ip(bigger)
    assert as_bytes(engine.read_setting(host, engine.memory_setting)) == 2 * as_bytes(expected)
    assert engine.count_rows(host) == 5
    assert docker_client.api.inspect_container(name)['HostConfig']['Memory'] == 2 * 1024 ** 3

    # More CPUs only: the limits change in place, the container stays.
    container_id = docker_client.api.inspect_container(name)['Id']
    faster = run_module('db_container', dict(args, memory='2g', cpus=2))
    assert 'update_resources' in faster['actions'] and 'remove' not in faster['actions']
    assert docker_client.api.inspect_container(name)['Id'] == container_id
    assert docker_client.api.inspect_container(name)['HostConfig']['CpuQuota'] == 200000
    assert engine.count_rows(container_ip(faster)) == 5

    # kill -9, start again: rows intact.
    docker_client.api.kill(name, signal='SIGKILL')
    docker_client.api.wait(name, timeout=30)
    again = run_module('db_container', dict(args, memory='2g', cpus=2))
    assert again['changed'] is True and again['actions'] == ['start', 'wait']
    assert engine.count_rows(container_ip(again)) == 5


@pytest.mark.parametrize('engine', ENGINES)
def test_recreate_keeps_data_volume(engine, local_images, docker_client, container_name):
    """A change only a new container can make (a published port) keeps the data."""
    name = container_name()
    args = base_args(name, engine.engine)
    first = run_module('db_container', args)
    engine.write_rows(container_ip(first), 3)
    old_id = first['container']['id']

    moved = run_module('db_container', dict(args, published_ports=['127.0.0.1:0:%d' % (
        5432 if engine.engine == 'postgres' else 3306)]))
    # Port 0 is not a valid host port: refused, the old container still runs.
    assert moved.failed and moved['parameter'] == 'published_ports'
    assert docker_client.api.inspect_container(name)['Id'] == old_id

    recreated = run_module('db_container', dict(args, labels={'test.dbops': 'true', 'tier': 'gold'}))
    assert not recreated.failed, recreated.get('msg')
    assert 'remove' in recreated['actions'] and 'create' in recreated['actions']
    assert 'write_secrets' not in recreated['actions']
    assert recreated['container']['id'] != old_id
    assert engine.count_rows(container_ip(recreated)) == 3


@pytest.mark.parametrize('engine', ENGINES)
def test_check_mode_creates_nothing(engine, local_images, docker_client, container_name):
    name = container_name()
    result = run_module('db_container', base_args(name, engine.engine), check_mode=True, diff=True)
    assert result['changed'] is True
    assert 'create' in result['actions']
    assert result['diff']['before'] == {}
    assert engine.memory_setting in result['diff']['after']['config']
    assert docker_client.containers.list(all=True, filters={'name': '^/%s$' % name}) == []
    assert [v for v in docker_client.volumes.list() if v.name.startswith(name)] == []


@pytest.mark.alone     # counts the Docker host's dangling volumes: another test's removal would change it
@pytest.mark.parametrize('engine', ENGINES)
def test_settings_override_and_stop_absent(engine, local_images, docker_client, container_name):
    name = container_name()
    dangling_before = len(docker_client.volumes.list(filters={'dangling': True}))
    args = base_args(name, engine.engine, settings={'max_connections': 77})
    result = run_module('db_container', args)
    assert not result.failed, result.get('msg')
    assert int(engine.read_setting(container_ip(result), 'max_connections')) == 77

    stopped = run_module('db_container', dict(args, state='stopped'))
    assert stopped['changed'] and stopped['container']['status'] == 'exited'

    gone = run_module('db_container', dict(args, state='absent'))
    assert gone['changed']
    volumes = sorted(v.name for v in docker_client.volumes.list() if v.name.startswith(name))
    # Data and logs stay unless purge_data.
    assert volumes == [name + '-data', name + '-logs']
    purged = run_module('db_container', dict(args, state='absent', purge_data=True))
    assert purged['changed']
    assert [v for v in docker_client.volumes.list() if v.name.startswith(name)] == []
    # Carriers and preflight containers leave no anonymous volumes behind.
    assert len(docker_client.volumes.list(filters={'dangling': True})) == dangling_before


def test_start_failure_reports_logs_and_leaves_nothing(local_images, docker_client, container_name):
    name = container_name()
    result = run_module('db_container', base_args(name, 'mariadb', wait_timeout=60,
                                                  settings={'no_such_variable_dbops': 1}))
    assert result.failed
    assert 'no_such_variable_dbops' in result['msg']  # the server's own log line
    assert docker_client.containers.list(all=True, filters={'name': '^/%s$' % name}) == []
    assert [v for v in docker_client.volumes.list() if v.name.startswith(name)] == []


def test_wait_returns_only_when_queries_work(local_images, container_name):
    name = container_name()
    started = time.time()
    result = run_module('db_container', base_args(name, 'postgres'))
    assert not result.failed, result.get('msg')
    # Immediately after the module returns, a query succeeds on the first try.
    import psycopg2
    conn = psycopg2.connect(host=container_ip(result), user='app', password='app-Pa55', dbname='app',
                            connect_timeout=5)
    conn.close()
    assert time.time() - started < 120
