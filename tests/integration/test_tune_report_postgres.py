# -*- coding: utf-8 -*-
"""db_tune_report on real PostgreSQL servers: a misconfigured one and a db_container default."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid

import pytest

from conftest import base_args, findings_by_id, pg_query, remove_everything, run_module
from scenarios import make_misconfigured_postgres

ROOT_PW = 'R00t-pass;word"x'


@pytest.fixture(scope='module')
def misconfigured(docker_client, local_images):
    """PostgreSQL with the usual mistakes, made on purpose (see scenarios.py)."""
    name = 'dbt-%s-badpg' % uuid.uuid4().hex[:6]
    try:
        make_misconfigured_postgres(name, ROOT_PW)
        yield name
    finally:
        remove_everything(docker_client, name)


def test_every_injected_problem_is_found(misconfigured):
    result = run_module('db_tune_report', {'container': misconfigured, 'format': 'json'})
    assert not result.failed, result.get('msg')
    found = findings_by_id(result)
    shared = found['postgres.memory.shared_buffers_small']
    assert shared['current'] == '128MB' and shared['recommended'] == '512MB'
    assert 'shared_buffers' in shared['fix'] and 'restart' in shared['fix'].lower()
    scans = found['postgres.indexes.seq_scans']
    assert 'events' in scans['current'] + scans['evidence']
    assert 'CREATE INDEX' in scans['fix']
    assert 'orders_never_used' in found['postgres.indexes.unused']['current']
    assert 'DROP INDEX' in found['postgres.indexes.unused']['fix']
    missing = found['postgres.statements.extension_missing']
    assert 'shared_preload_libraries' in missing['fix'] and 'CREATE EXTENSION pg_stat_statements' in missing['fix']
    assert result['server']['memory'] == 2 * 1024 ** 3


def test_audit_changes_nothing_on_the_server(misconfigured, docker_client):
    result = run_module('db_tune_report', {'container': misconfigured, 'format': 'markdown'})
    host = result['server']['host']
    before = pg_query(host, 'SELECT name, setting FROM pg_settings ORDER BY name', password=ROOT_PW)
    run_module('db_tune_report', {'container': misconfigured, 'format': 'json'})
    assert pg_query(host, 'SELECT name, setting FROM pg_settings ORDER BY name', password=ROOT_PW) == before
    assert pg_query(host, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'",
                    password=ROOT_PW, database='app')[0][0] == 0
    assert result['report'].startswith('# Tuning report: ')


def test_db_container_defaults_give_no_critical_finding(docker_client, local_images, container_name):
    name = container_name('pg')
    created = run_module('db_container', base_args(name, 'postgres', memory='2g', cpus=1))
    assert not created.failed, created.get('msg')
    # db_container preloads pg_stat_statements and creates the extension in the application database.
    assert pg_query(created['container']['ip_addresses']['bridge'],
                    "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'",
                    password=ROOT_PW, database='app')[0][0] == 1
    result = run_module('db_tune_report', {'container': name, 'format': 'json'})
    assert not result.failed, result.get('msg')
    assert [f['id'] for f in result['findings'] if f['severity'] == 'critical'] == []
    for quiet in ('postgres.memory.shared_buffers_small', 'postgres.statements.extension_missing',
                  'postgres.memory.work_mem_high', 'postgres.security.trust_local'):
        assert quiet not in findings_by_id(result)


BAD = [
    ('wrong password', {'login_password': 'wrong'}, 'login_password'),
    ('missing privilege', {'login_user': 'app', 'login_password': 'app-Pa55'}, 'login_user'),
    ('no such database', {'login_db': 'nope'}, 'login_db'),
]


@pytest.mark.parametrize('overrides,parameter', [pytest.param(*c[1:], id=c[0]) for c in BAD])
def test_bad_input_is_a_clear_error(overrides, parameter, misconfigured):
    args = {'container': misconfigured, 'format': 'json'}
    args.update(overrides)
    result = run_module('db_tune_report', args)
    assert result.failed, result
    assert parameter in result['msg'], result['msg']
    assert 'Traceback' not in result['msg'] + result['_stderr']
