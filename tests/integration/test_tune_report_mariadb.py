# -*- coding: utf-8 -*-
"""db_tune_report on real MariaDB servers: a misconfigured one and a db_container default."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import uuid

import pytest

from conftest import LOCAL_IMAGES, base_args, findings_by_id, mysql_query, remove_everything, run_module
from scenarios import make_misconfigured_mysql

ROOT_PW = 'R00t-pass;word"x'


@pytest.fixture(scope='module')
def misconfigured(docker_client, local_images):
    """MariaDB with the usual mistakes, made on purpose (see scenarios.py)."""
    name = 'dbt-%s-badmaria' % uuid.uuid4().hex[:6]
    make_misconfigured_mysql(name, ROOT_PW, engine='mariadb', image=LOCAL_IMAGES['mariadb'])
    yield name
    remove_everything(docker_client, name)


def test_every_injected_problem_is_found(misconfigured, tmp_path):
    dest = tmp_path / 'report.json'
    result = run_module('db_tune_report', {'container': misconfigured, 'format': 'json', 'dest': str(dest)})
    assert not result.failed, result.get('msg')
    found = findings_by_id(result)
    pool = found['mysql.memory.buffer_pool_small']
    assert pool['current'] == '128M' and pool['recommended'] == '1G'
    assert 'innodb_buffer_pool_size' in pool['fix']
    assert found['mysql.connections.near_peak']['current'].startswith('12 (peak 1')
    assert 'app.events' in found['mysql.index.full_scans']['current']
    assert 'app.orders.idx_never_used' in found['mysql.index.unused']['current']
    assert 'app.orders.idx_status ' in found['mysql.index.duplicate']['current'] + ' '
    assert 'DROP INDEX `idx_status`' in found['mysql.index.duplicate']['fix']
    assert found['mysql.security.anonymous']['severity'] == 'critical'
    assert "DROP USER ''@'%'" in found['mysql.security.anonymous']['fix']
    assert found['mysql.logging.general_log']['recommended'] == 'OFF'
    assert result['summary']['critical'] >= 1 and result['summary']['score'] < 80
    on_disk = json.loads(dest.read_text())
    assert on_disk['summary'] == result['summary']
    assert result['changed'] is True


def test_report_formats_and_check_mode(misconfigured, tmp_path):
    for fmt, marker in (('markdown', '# Tuning report: '), ('html', '<!DOCTYPE html>')):
        dest = tmp_path / ('report.' + fmt)
        result = run_module('db_tune_report', {'container': misconfigured, 'format': fmt, 'dest': str(dest)},
                            check_mode=True)
        assert not result.failed, result.get('msg')
        assert result['report'].startswith(marker)
        assert 'mysql.security.anonymous' in result['report']
        assert not dest.exists()  # check mode writes nothing
        assert result['changed'] is True  # ... and says the file would change


def test_audit_changes_nothing_on_the_server(misconfigured):
    host = None
    before = run_module('db_tune_report', {'container': misconfigured, 'format': 'json'})
    host = before['server']['host']
    variables_before = mysql_query(host, 'SHOW GLOBAL VARIABLES')
    run_module('db_tune_report', {'container': misconfigured, 'format': 'json'})
    assert mysql_query(host, 'SHOW GLOBAL VARIABLES') == variables_before
    # Still misconfigured: the audit recommends, it does not fix.
    assert mysql_query(host, 'SELECT @@general_log')[0][0] == 1


def test_db_container_defaults_give_no_critical_finding(docker_client, local_images, container_name):
    name = container_name()
    created = run_module('db_container', base_args(name, 'mariadb', memory='2g', cpus=1))
    assert not created.failed, created.get('msg')
    result = run_module('db_tune_report', {'container': name, 'format': 'json'})
    assert not result.failed, result.get('msg')
    critical = [f for f in result['findings'] if f['severity'] == 'critical']
    assert critical == []
    assert 'mysql.memory.buffer_pool_small' not in findings_by_id(result)
    assert result['server']['limits_source'].startswith('cgroup')
    assert result['server']['memory'] == 2 * 1024 ** 3


def test_network_target_with_declared_limits(misconfigured, docker_client):
    host = docker_client.api.inspect_container(misconfigured)['NetworkSettings']['IPAddress']
    result = run_module('db_tune_report', {'login_host': host, 'login_user': 'root', 'login_password': ROOT_PW,
                                           'memory': '2g', 'cpus': 1, 'format': 'json'})
    assert not result.failed, result.get('msg')
    assert result['server']['engine'] == 'mariadb'
    assert result['server']['limits_source'].startswith('declared')
    assert 'mysql.memory.buffer_pool_small' in findings_by_id(result)


def test_network_target_without_limits_says_so(misconfigured, docker_client):
    host = docker_client.api.inspect_container(misconfigured)['NetworkSettings']['IPAddress']
    result = run_module('db_tune_report', {'login_host': host, 'login_password': ROOT_PW, 'format': 'json'})
    assert not result.failed, result.get('msg')
    assert 'common.limits.unknown' in findings_by_id(result)
    assert 'mysql.memory.buffer_pool_small' not in findings_by_id(result)


BAD = [
    ('unreachable host', {'login_host': '10.255.255.1', 'login_port': 3306, 'connect_timeout': 2}, 'login_host'),
    ('nothing listening', {'login_host': '127.0.0.1', 'login_port': 1, 'engine': 'mysql'}, 'login_port'),
    ('wrong password', {'login_password': 'wrong'}, 'login_password'),
    ('no such container', {'container': 'dbt-no-such-container'}, 'container'),
    ('engine not detectable', {'login_host': '127.0.0.1', 'login_port': 1234}, 'engine'),
    ('unsupported engine', {'engine': 'oracle'}, 'engine'),
    ('missing privilege', {'login_user': 'app', 'login_password': 'app-Pa55'}, 'login_user'),
    ('password file missing', {'login_password_file': '/nonexistent/pw'}, 'login_password_file'),
]


@pytest.mark.parametrize('overrides,parameter', [pytest.param(*c[1:], id=c[0]) for c in BAD])
def test_bad_input_is_a_clear_error(overrides, parameter, misconfigured, docker_client):
    args = {'container': misconfigured, 'format': 'json'}
    args.update(overrides)
    if 'login_host' in overrides:
        args.pop('container')
    result = run_module('db_tune_report', args)
    assert result.failed, result
    assert parameter in result['msg'], result['msg']
    assert 'Traceback' not in result['msg'] + result['_stderr']
