# -*- coding: utf-8 -*-
"""db_container with the official images (MySQL 8.4, MariaDB 11.8, PostgreSQL 18, MongoDB 8.0).

They run wherever the official image is on the Docker host or can be pulled;
on a machine without registry access they are skipped with that reason.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from conftest import base_args, container_ip, image_available, mysql_query, pg_query, retry, run_module

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, parse_engine_size


def read_mysql(host, args):
    row = mysql_query(host, 'SELECT @@innodb_buffer_pool_size, @@innodb_redo_log_capacity, @@gtid_mode',
                      password=args['root_password'])[0]
    return {'innodb_buffer_pool_size': row[0], 'innodb_redo_log_capacity': row[1], 'gtid_mode': row[2]}


def read_mariadb(host, args):
    row = mysql_query(host, 'SELECT @@innodb_buffer_pool_size', password=args['root_password'])[0]
    return {'innodb_buffer_pool_size': row[0]}


def read_postgres(host, args):
    return {'shared_buffers': pg_query(host, "SELECT current_setting('shared_buffers')",
                                       password=args['root_password'])[0][0]}


def read_mongodb(host, args):
    import pymongo

    def go():
        client = pymongo.MongoClient(host, 27017, username='admin', password=args['root_password'],
                                     serverSelectionTimeoutMS=5000)
        try:
            status = client.admin.command('serverStatus')
            return {'cache_bytes': status['wiredTiger']['cache']['maximum bytes configured']}
        finally:
            client.close()
    return retry(go)


OFFICIAL = [
    pytest.param('mysql', 'mysql:8.4', '2g', read_mysql,
                 {'innodb_buffer_pool_size': GIB, 'innodb_redo_log_capacity': GIB // 2, 'gtid_mode': 'ON'},
                 id='mysql-8.4'),
    pytest.param('mariadb', 'mariadb:11.8', '2g', read_mariadb, {'innodb_buffer_pool_size': GIB}, id='mariadb-11.8'),
    pytest.param('postgres', 'postgres:18', '2g', read_postgres, {'shared_buffers': '512MB'}, id='postgres-18'),
    # WiredTiger cache: max(0.5 x (2 GiB - 1 GiB), 0.25 GB) = 0.5 GiB.
    pytest.param('mongodb', 'mongo:8.0', '2g', read_mongodb, {'cache_bytes': GIB // 2}, id='mongo-8.0'),
]


@pytest.mark.parametrize('engine,image,memory,read,expected', OFFICIAL)
def test_official_image(engine, image, memory, read, expected, docker_client, container_name):
    if not image_available(docker_client, image):
        pytest.skip('official image %s is not on this Docker host and cannot be pulled (no registry access); '
                    'this test runs wherever the image exists' % image)
    name = container_name(engine)
    args = base_args(name, engine, image=image, image_source='official', memory=memory)
    first = run_module('db_container', args)
    assert not first.failed, first.get('msg')
    observed = read(container_ip(first), args)
    for key, value in expected.items():
        got = observed[key]
        if isinstance(value, int) and not isinstance(got, int):
            got = parse_engine_size(got)
        assert got == value, (key, observed)
    inspect = json.dumps(docker_client.api.inspect_container(name))
    assert args['root_password'] not in inspect and args['password'] not in inspect
    assert run_module('db_container', args)['changed'] is False


def test_removed_setting_refused_before_pull_for_mysql_84(docker_client):
    """query_cache_size on MySQL 8.4 is refused from the tag alone: no pull, nothing created."""
    result = run_module('db_container', base_args('dbt-never-created', 'mysql', image='mysql:8.4',
                                                  image_source='official', settings={'query_cache_type': 0}))
    assert result.failed and result['parameter'] == 'settings.query_cache_type'
    assert docker_client.containers.list(all=True, filters={'name': 'dbt-never-created'}) == []
