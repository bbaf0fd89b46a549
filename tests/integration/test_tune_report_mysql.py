# -*- coding: utf-8 -*-
"""db_tune_report on MySQL 9.7 and MariaDB 11.8 set up with the same known problems.

The server is scenarios.make_misconfigured_mysql's (the one bench/bench_audit.py compares
with MySQLTuner): every problem it makes on purpose must be in the report, on both servers,
except the guessable password on MySQL 9.7, which no audit can see there (salted hashes).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid

import pytest

from conftest import findings_by_id, mysql_query, remove_everything, require_image, run_module
from scenarios import MISCONFIGURED_MYSQL_IMAGES, make_misconfigured_mysql

ROOT_PW = 'R00t-pass;word"x'
# SELECT PASSWORD('password'): the stored hash of the scenario's 'analyst' account on MariaDB.
ANALYST_HASH = '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'
SERVERS = {'mysql': ('mysql', '9.7.'), 'mariadb': ('mariadb', '11.8.')}


@pytest.fixture(scope='module', params=sorted(SERVERS))
def misconfigured(request, docker_client):
    """(engine, address) of a server with the scenario's known problems."""
    engine = request.param
    require_image(docker_client, MISCONFIGURED_MYSQL_IMAGES[engine])
    name = 'dbt-%s-bad%s' % (uuid.uuid4().hex[:6], engine)
    try:
        host = make_misconfigured_mysql(name, ROOT_PW, engine)
        yield engine, host
    finally:
        remove_everything(docker_client, name)


def tune_report(host):
    result = run_module('db_tune_report', {'login_host': host, 'login_password': ROOT_PW, 'memory': '2g',
                                           'cpus': 1, 'format': 'json'})
    assert not result.failed, result.get('msg')
    return result


def test_every_known_problem_is_found(misconfigured):
    engine, host = misconfigured
    result = tune_report(host)
    assert result['server']['engine'] == SERVERS[engine][0]
    assert str(result['server']['version']).startswith(SERVERS[engine][1])
    found = findings_by_id(result)
    pool = found['mysql.memory.buffer_pool_small']
    assert pool['current'] == '128M' and pool['recommended'] == '1G'
    assert found['mysql.connections.near_peak']['current'].startswith('12 (peak 1')
    assert found['mysql.logging.general_log']['recommended'] == 'OFF'
    assert 'app.events' in found['mysql.index.full_scans']['current']
    assert 'app.orders.idx_never_used' in found['mysql.index.unused']['current']
    assert 'app.orders.idx_status ' in found['mysql.index.duplicate']['current'] + ' '
    assert 'app.audit_trail' in found['mysql.schema.no_primary_key']['current']
    assert "DROP USER ''@'%'" in found['mysql.security.anonymous']['fix']
    assert "'reporting'@'%'" in found['mysql.security.wildcard_no_password']['current']
    assert "'root'@'%'" in found['mysql.security.remote_root']['current']
    if engine == 'mariadb':
        weak = found['mysql.security.weak_password']
        assert weak['severity'] == 'critical' and "'analyst'@'%'" in weak['current']
    else:
        # caching_sha2_password's hash is salted: the account exists, and is not (cannot be) reported.
        assert 'mysql.security.weak_password' not in found
    assert result['summary']['critical'] >= 2


def test_no_password_hash_leaves_the_audit(misconfigured):
    _engine, host = misconfigured
    result = tune_report(host)
    assert ANALYST_HASH not in result['_stdout'] and ANALYST_HASH.lower() not in result['_stdout'].lower()
    assert '$A$005$' not in result['_stdout']  # caching_sha2_password's stored form


def test_joins_of_audit_tools_are_not_the_workloads(misconfigured):
    """Select_full_join counts every join without an index, the audit's own information_schema reads
    included: the report counts the workload's only (statement digests), so it does not report itself."""
    _engine, host = misconfigured
    tune_report(host)
    tune_report(host)
    # What MySQLTuner 2.9 reads that MySQL 9.7 counts as full joins (seen in the statement digests).
    mysql_query(host, 'SHOW SCHEMAS', password=ROOT_PW)
    mysql_query(host, 'SELECT COUNT(*) FROM information_schema.tables t JOIN information_schema.columns c '
                'ON t.table_schema = c.table_schema AND t.table_name = c.table_name', password=ROOT_PW)

    def full_joins():
        return int(mysql_query(host, "SHOW GLOBAL STATUS LIKE 'Select_full_join'", password=ROOT_PW)[0][1])
    assert full_joins() > 0  # the audits' own joins are counted by the server...
    assert 'mysql.joins.full_join' not in findings_by_id(tune_report(host))  # ... and not reported
    before = full_joins()
    # A join of the workload on columns without an index: one full join per statement.
    for _statement in range(3):
        mysql_query(host, 'SELECT COUNT(*) FROM app.events e JOIN app.audit_trail a ON a.what = e.kind',
                    password=ROOT_PW)
    assert full_joins() > before
    joins = findings_by_id(tune_report(host))['mysql.joins.full_join']
    assert joins['current'].startswith('3 joins')
