# -*- coding: utf-8 -*-
"""A change is a transaction; one server per data volume; the real cause of a failed start.

Against real servers: a change the server cannot start with is undone (previous
configuration, limits and container back, every row intact); a volume or host path
another container mounts is refused; a container re-created on kept data with another
root password fails at once, naming root_password, and leaves the data as it was.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest

from conftest import base_args, container_ip, container_names, mysql_query, pg_query, remove_everything, run_module

ROWS = 500


def _config_file(docker_client, name, path):
    code, output = docker_client.containers.get(name).exec_run(['cat', path])
    assert code == 0, output
    return output


def _started_at(docker_client, name):
    container = docker_client.containers.get(name)
    return container.id, container.attrs['State']['StartedAt'], container.status


def _address(client, name):
    """The container's address now: on Docker's default bridge a container that was stopped can come back
    with another one, when a container started meanwhile took its old address (tests run side by side)."""
    networks = client.api.inspect_container(name)['NetworkSettings']['Networks']
    return list(networks.values())[0]['IPAddress']


def _with_ledger(engine, address):
    """A table of ROWS rows; returns a function that reads (count, sum) back, at the container's address of
    the moment (``address()``)."""
    host = address()
    if engine == 'postgres':
        pg_query(host, 'CREATE TABLE ledger (id int PRIMARY KEY, amount int)', database='app')
        pg_query(host, 'INSERT INTO ledger SELECT g, g * 7 FROM generate_series(1, %d) g' % ROWS, database='app')
        return lambda: tuple(pg_query(address(), 'SELECT count(*), sum(amount) FROM ledger', database='app')[0])
    mysql_query(host, 'CREATE TABLE app.ledger (id int PRIMARY KEY, amount int)')
    mysql_query(host, 'INSERT INTO app.ledger WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g '
                      'WHERE n < %d) SELECT n, n * 7 FROM g' % ROWS)
    return lambda: tuple(int(v) for v in mysql_query(address(), 'SELECT count(*), sum(amount) FROM app.ledger')[0])


# (engine, config file, settings the server's own check accepts but the server cannot start with, the setting
# its log blames, log words). The images' servers judge names, types and ranges before any change (and refuse a
# preload library the image lacks), so these fail only at start: files that exist only where the server runs.
FAILING_STARTS = [
    pytest.param('postgres', '/etc/postgresql/postgresql.conf', {'ssl': 'on', 'ssl_cert_file': '/dbops/no/such.crt'},
                 'ssl_cert_file', '/dbops/no/such.crt', id='postgres-missing-certificate'),
    pytest.param('mariadb', '/etc/mysql/conf.d/zz-dbops.cnf', {'log_bin': '/dbops/no/such/dir/binlog'},
                 'log_bin', '/dbops/no/such/dir/binlog', id='mariadb-binlog-in-a-missing-directory'),
    pytest.param('mysql', '/etc/mysql/conf.d/zz-dbops.cnf', {'log_bin': '/dbops/no/such/dir/binlog'},
                 'log_bin', '/dbops/no/such/dir/binlog', id='mysql-binlog-in-a-missing-directory'),
]


@pytest.mark.parametrize('engine,config_path,bad,blamed,words', FAILING_STARTS)
@pytest.mark.parametrize('with_recreate', [False, True], ids=['same-container', 'recreated-container'])
def test_failed_change_is_undone(engine, config_path, bad, blamed, words, with_recreate, docker_client,
                                 local_images, container_name):
    name = container_name(engine)
    first = run_module('db_container', base_args(name, engine))
    assert not first.failed, first.get('msg')
    ledger = _with_ledger(engine, lambda: _address(docker_client, name))
    rows_before = ledger()
    config_before = _config_file(docker_client, name, config_path)
    identity_before = _started_at(docker_client, name)

    # A label is part of the container's spec: with it the change re-creates the container.
    overrides = {'settings': bad}
    if with_recreate:
        overrides['labels'] = dict(base_args(name, engine)['labels'], extra='1')
    started = time.time()
    result = run_module('db_container', base_args(name, engine, **overrides))
    assert result.failed, result
    assert result['parameter'] == 'settings.%s' % blamed, result['msg']
    assert 'change was undone' in result['msg'] and words in result['msg'], result['msg']
    assert 'data volume was not touched' in result['msg']
    assert time.time() - started < 120, 'the failed start was waited out instead of seen'

    container_id, _started, status = _started_at(docker_client, name)
    assert status == 'running'
    assert container_id == identity_before[0], 'the previous container was not the one brought back'
    assert _config_file(docker_client, name, config_path) == config_before
    assert ledger() == rows_before
    assert not container_names(docker_client, name + '-dbops-')
    # The same call again is refused the same way; the server stays up.
    again = run_module('db_container', base_args(name, engine, **overrides))
    assert again.failed and _started_at(docker_client, name)[2] == 'running'
    # And the unchanged definition is idempotent: the server is exactly as before the failed change.
    unchanged = run_module('db_container', base_args(name, engine))
    assert not unchanged.failed and not unchanged['changed'], unchanged.get('actions')


def test_a_good_change_still_applies(docker_client, local_images, container_name):
    name = container_name('pg')
    first = run_module('db_container', base_args(name, 'postgres'))
    assert not first.failed, first.get('msg')
    result = run_module('db_container', base_args(name, 'postgres', settings={'work_mem': '8MB'}))
    assert not result.failed and result['changed'], result.get('msg')
    assert pg_query(container_ip(result), 'SHOW work_mem') == [('8MB',)]


@pytest.mark.parametrize('owner_running', [True, False], ids=['owner-running', 'owner-stopped'])
def test_data_volume_of_another_container_is_refused(owner_running, docker_client, local_images, container_name):
    owner = container_name('owner')
    created = run_module('db_container', base_args(owner, 'postgres'))
    assert not created.failed, created.get('msg')
    if not owner_running:
        assert not run_module('db_container', base_args(owner, 'postgres', state='stopped')).failed
    before = _started_at(docker_client, owner)
    intruder = container_name('intruder')
    for check_mode in (True, False):
        result = run_module('db_container', base_args(intruder, 'postgres', data_volume=owner + '-data'),
                            check_mode=check_mode)
        assert result.failed, result
        assert result['parameter'] == 'data_volume' and owner in result['msg'], result['msg']
        assert ('running' if owner_running else 'stopped') in result['msg']
        assert 'nothing was changed' in result['msg']
    assert not docker_client.containers.list(all=True, filters={'name': intruder})
    assert not [v for v in docker_client.volumes.list() if v.name.startswith(intruder)]
    assert _started_at(docker_client, owner) == before


def test_host_path_of_another_container_is_refused(docker_client, local_images, container_name, tmp_path):
    owner = container_name('owner')
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    created = run_module('db_container', base_args(owner, 'mariadb', data_volume=str(data_dir)))
    assert not created.failed, created.get('msg')
    intruder = container_name('intruder')
    result = run_module('db_container', base_args(intruder, 'mariadb', data_volume=str(data_dir)))
    assert result.failed and result['parameter'] == 'data_volume', result
    assert owner in result['msg'] and str(data_dir) in result['msg']
    assert not docker_client.containers.list(all=True, filters={'name': intruder})
    remove_everything(docker_client, owner)


@pytest.mark.parametrize('engine', ['mariadb', 'postgres'])
def test_kept_data_with_another_root_password(engine, docker_client, local_images, container_name):
    name = container_name(engine)
    first = run_module('db_container', base_args(name, engine))
    assert not first.failed, first.get('msg')
    rows = _with_ledger(engine, lambda: _address(docker_client, name))()
    gone = run_module('db_container', base_args(name, engine, state='absent'))
    assert not gone.failed and (name + '-data') in gone['kept_volumes']

    started = time.time()
    result = run_module('db_container', base_args(name, engine, root_password='An0ther-root-pass'))
    assert result.failed, result
    assert result['parameter'] == 'root_password', result['msg']
    assert 'initialised with another' in result['msg'] and name + '-data' in result['msg']
    assert time.time() - started < 60, 'the wrong password was waited out (wait_timeout) instead of named'
    assert not docker_client.containers.list(all=True, filters={'name': '^/%s$' % name})
    assert docker_client.volumes.get(name + '-data')

    back = run_module('db_container', base_args(name, engine))
    assert not back.failed, back.get('msg')
    host = container_ip(back)
    if engine == 'postgres':
        again = tuple(pg_query(host, 'SELECT count(*), sum(amount) FROM ledger', database='app')[0])
    else:
        again = tuple(int(v) for v in mysql_query(host, 'SELECT count(*), sum(amount) FROM app.ledger')[0])
    assert again == rows
