# -*- coding: utf-8 -*-
"""Accounts the collection does not own are not touched, and a failed login names its real cause.

Against real MySQL 9.7, MariaDB 11.8 and PostgreSQL 18 servers made by db_container:

* db_monitoring_user and db_replication (role primary) refuse the superuser, the application user
  db_container created, an account created by hand with plain SQL (``adopt`` not set), an
  administrator (even with ``adopt``) and the other module's account: the task fails naming the
  parameter and saying nothing was changed, and every account of the server - password hash, plugin,
  connection limit, grants, attributes, role memberships, comments - is byte-identical before and
  after; the superuser still logs in with its password. Check mode refuses the same way.
* The normal path marks what it creates and a second run changes nothing; ``adopt`` takes a foreign
  account over deliberately; an account exactly like one an earlier release made is marked silently.
* A login that fails says why: wrong password (login_password), nothing listening (login_port), an
  address that does not answer (login_host), another engine (engine: from the container's label or
  the server's first answer), a server not ready yet (starting after a restart, or in offline mode).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time
import uuid

import pytest

from conftest import base_args, mysql_query, pg_query, remove_everything, run_module

ROOT_PASSWORD = base_args('x', 'mysql')['root_password']
EXPORTER_PASSWORD = 'Exp;"orter-pw#1'
REPL_PASSWORD = 'Repl-Pa55;w"ord'
FOREIGN_PASSWORD = 'Graf-ana-9'
MYSQL_SETTINGS = {'mysql': {'log_bin': 'mysql-bin', 'gtid_mode': 'ON', 'enforce_gtid_consistency': 'ON',
                            'binlog_format': 'ROW'},
                  'mariadb': {'log_bin': 'mysql-bin'}}
ENGINES = ('mysql', 'mariadb', 'postgres')
# An address on Docker's default bridge that no container holds: ARP finds nobody, "No route to host".
NOBODY = '172.17.255.250'


@pytest.fixture(scope='module')
def servers(docker_client, local_images):
    """One server per engine, made by db_container in parallel: {engine: (container name, address)}."""
    prefix = 'dbt-%s-acc' % uuid.uuid4().hex[:6]
    names = dict((engine, '%s-%s' % (prefix, engine)) for engine in ENGINES)
    results = {}

    def make(engine):
        args = base_args(names[engine], engine, settings=MYSQL_SETTINGS.get(engine, {}))
        results[engine] = run_module('db_container', args)
    threads = [threading.Thread(target=make, args=(engine,)) for engine in ENGINES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        found = {}
        for engine in ENGINES:
            result = results[engine]
            assert not result.failed, result.get('msg')
            found[engine] = (names[engine], list(result['container']['ip_addresses'].values())[0])
        _foreign_accounts(found)
        yield found
    finally:
        for name in names.values():
            remove_everything(docker_client, name)


def _foreign_accounts(found):
    """Accounts made by hand, the way an operator would: the collection never created them."""
    for engine in ('mysql', 'mariadb'):
        ip = found[engine][1]
        for sql in ("CREATE USER 'grafana'@'%%' IDENTIFIED BY '%s' WITH MAX_USER_CONNECTIONS 7" % FOREIGN_PASSWORD,
                    "GRANT SELECT ON app.* TO 'grafana'@'%'",
                    "CREATE USER 'dba'@'%' IDENTIFIED BY 'Dba-pass-1'",
                    "GRANT ALL PRIVILEGES ON *.* TO 'dba'@'%' WITH GRANT OPTION",
                    "CREATE USER 'adoptee'@'%' IDENTIFIED BY 'Old-pass-1'",
                    "GRANT SELECT ON app.* TO 'adoptee'@'%'"):
            mysql_query(ip, sql)
    ip = found['postgres'][1]
    for sql in ("CREATE ROLE grafana LOGIN PASSWORD '%s' CONNECTION LIMIT 7" % FOREIGN_PASSWORD,
                "GRANT pg_read_all_data TO grafana",
                "CREATE ROLE dba SUPERUSER LOGIN PASSWORD 'Dba-pass-1'",
                "CREATE ROLE adoptee LOGIN PASSWORD 'Old-pass-1'",
                "GRANT pg_read_all_data TO adoptee"):
        pg_query(ip, sql)


# ------------------------------------------------------------------ what "nothing changed" means
def accounts_snapshot(engine, ip):
    """Every account of the server, as the server stores it: compared byte for byte."""
    if engine == 'postgres':
        return {
            'roles': pg_query(ip, "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, "
                                  "rolreplication, rolbypassrls, rolconnlimit, coalesce(rolpassword, ''), "
                                  "rolvaliduntil::text, coalesce(shobj_description(oid, 'pg_authid'), '') "
                                  "FROM pg_authid ORDER BY rolname"),
            'members': pg_query(ip, "SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON "
                                    "r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2"),
        }
    if engine == 'mariadb':
        users = mysql_query(ip, 'SELECT User, Host, HEX(Priv) FROM mysql.global_priv ORDER BY User, Host')
        extra = {'roles': mysql_query(ip, 'SELECT * FROM mysql.roles_mapping ORDER BY User, Host, Role')}
    else:
        users = mysql_query(ip, 'SELECT User, Host, plugin, HEX(authentication_string), max_user_connections, '
                                'Super_priv, Grant_priv, Create_user_priv, account_locked, '
                                'CAST(User_attributes AS CHAR) FROM mysql.user ORDER BY User, Host')
        extra = {}
    grants = dict(('%s@%s' % (row[0], row[1]), mysql_query(ip, "SHOW GRANTS FOR '%s'@'%s'" % (row[0], row[1])))
                  for row in users if not row[0].startswith(('mysql.', 'mariadb.')) and row[1] != '')
    return dict(extra, users=users, grants=grants)


def superuser_logs_in(engine, ip):
    if engine == 'postgres':
        return pg_query(ip, 'SELECT current_user')[0][0] == 'postgres'
    return mysql_query(ip, 'SELECT CURRENT_USER()')[0][0].startswith('root@')


def assert_refused(result, parameter, *words):
    assert result.failed, result
    assert result.get('parameter') == parameter, result.get('msg')
    assert result['msg'].startswith(parameter + ': '), result['msg']
    assert result['msg'].endswith('nothing was changed'), result['msg']
    assert result.get('changed') is False
    for word in words:
        assert word in result['msg'], result['msg']


def monitoring(name, user, check_mode=False, **extra):
    return run_module('db_monitoring_user', dict(container=name, user=user, password=EXPORTER_PASSWORD, **extra),
                      check_mode=check_mode)


def replication_primary(engine, name, user, check_mode=False, **extra):
    args = dict(role='primary', container=name, replication_user=user, replication_password=REPL_PASSWORD, **extra)
    if engine == 'postgres':
        args['standby_names'] = []
    return run_module('db_replication', args, check_mode=check_mode)


# ------------------------------------------------------------------ refusals, each leaving every account as it was
SUPERUSER = {'mysql': 'root', 'mariadb': 'root', 'postgres': 'postgres'}
REFUSALS = [
    # (engine, account, adopt, words in the message)
    ('mysql', 'root', False, ["'root' is the superuser"]),
    ('mysql', 'app', False, ['application user']),
    ('mysql', 'grafana', False, ['was not created by dbops.containers', 'adopt: true']),
    ('mysql', 'dba', True, ['administrator rights']),
    ('mariadb', 'root', False, ["'root' is the superuser"]),
    ('mariadb', 'app', False, ['application user']),
    ('mariadb', 'grafana', False, ['was not created by dbops.containers', 'adopt: true']),
    ('mariadb', 'dba', True, ['administrator rights']),
    ('postgres', 'postgres', False, ["'postgres' is the superuser"]),
    ('postgres', 'app', False, ['application user']),
    ('postgres', 'grafana', False, ['was not created by dbops.containers', 'adopt: true']),
    ('postgres', 'dba', True, ['administrator rights', 'SUPERUSER']),
    ('postgres', 'root', False, ['superuser name of MySQL']),
]


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
@pytest.mark.parametrize('engine, account, adopt, words', REFUSALS,
                         ids=['%s-%s' % (case[0], case[1]) for case in REFUSALS])
def test_monitoring_user_refuses_an_account_it_does_not_own(servers, engine, account, adopt, words, check_mode):
    name, ip = servers[engine]
    before = accounts_snapshot(engine, ip)
    result = monitoring(name, account, check_mode=check_mode, adopt=adopt)
    assert_refused(result, 'user', *words)
    assert accounts_snapshot(engine, ip) == before
    assert superuser_logs_in(engine, ip)
    assert EXPORTER_PASSWORD not in result['_stdout']


REPLICATION_REFUSALS = [
    ('mysql', 'root', ["'root' is the superuser"]),
    ('mysql', 'app', ['application user']),
    ('mysql', 'grafana', ['was not created by dbops.containers', 'adopt_replication_user: true']),
    ('mariadb', 'root', ["'root' is the superuser"]),
    ('mariadb', 'grafana', ['was not created by dbops.containers', 'adopt_replication_user: true']),
    ('postgres', 'postgres', ["'postgres' is the superuser"]),
    ('postgres', 'app', ['application user']),
    ('postgres', 'grafana', ['was not created by dbops.containers', 'adopt_replication_user: true']),
]


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
@pytest.mark.parametrize('engine, account, words', REPLICATION_REFUSALS,
                         ids=['%s-%s' % (case[0], case[1]) for case in REPLICATION_REFUSALS])
def test_replication_primary_refuses_an_account_it_does_not_own(servers, engine, account, words, check_mode):
    name, ip = servers[engine]
    before = accounts_snapshot(engine, ip)
    result = replication_primary(engine, name, account, check_mode=check_mode)
    assert_refused(result, 'replication_user', *words)
    assert accounts_snapshot(engine, ip) == before
    assert superuser_logs_in(engine, ip)


@pytest.mark.parametrize('engine', ENGINES)
def test_each_module_keeps_to_its_own_account_and_a_second_run_changes_nothing(servers, engine):
    """The exporter's and the replication account are created, marked, and refused to each other."""
    name, ip = servers[engine]
    first = monitoring(name, 'dbops_exporter')
    assert not first.failed and first['changed'], first.get('msg')
    second = monitoring(name, 'dbops_exporter')
    assert not second.failed and second['changed'] is False and second['actions'] == [], second
    repl_user = 'replicator' if engine == 'postgres' else 'repl'
    made = replication_primary(engine, name, repl_user)
    assert not made.failed and made['changed'], made.get('msg')
    again = replication_primary(engine, name, repl_user)
    assert not again.failed and again['changed'] is False, again
    # The marks the server keeps.
    if engine == 'postgres':
        assert pg_query(ip, "SELECT rolname, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname IN "
                            "('dbops_exporter', 'replicator') ORDER BY 1") == [
            ('dbops_exporter', 'dbops.containers: monitoring'), ('replicator', 'dbops.containers: replication')]
    elif engine == 'mysql':
        assert mysql_query(ip, "SELECT USER, ATTRIBUTE FROM information_schema.USER_ATTRIBUTES WHERE USER IN "
                               "('dbops_exporter', 'repl') ORDER BY 1") == (
            ('dbops_exporter', '{"dbops.containers": "monitoring"}'),
            ('repl', '{"dbops.containers": "replication"}'))
    else:
        assert mysql_query(ip, "SELECT User, Role FROM mysql.roles_mapping WHERE User IN ('dbops_exporter', 'repl') "
                               "ORDER BY 1") == (('dbops_exporter', 'dbops.containers:monitoring:dbops_exporter'),
                                                 ('repl', 'dbops.containers:replication:repl'))
    # Each refuses the other's account, and nothing changes.
    before = accounts_snapshot(engine, ip)
    assert_refused(monitoring(name, repl_user), 'user', 'as the replication account')
    assert_refused(replication_primary(engine, name, 'dbops_exporter'), 'replication_user',
                   'as the monitoring account')
    assert accounts_snapshot(engine, ip) == before


@pytest.mark.parametrize('engine', ENGINES)
def test_adopt_takes_a_foreign_account_over_deliberately(servers, engine):
    name, ip = servers[engine]
    adopted = monitoring(name, 'adoptee', adopt=True)
    assert not adopted.failed and adopted['changed'] and adopted['actions'][0] == 'adopt account', adopted
    # Marked now: the next run needs no adopt and changes nothing.
    again = monitoring(name, 'adoptee')
    assert not again.failed and again['changed'] is False, again
    if engine == 'postgres':
        members = pg_query(ip, "SELECT r.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid "
                               "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = 'adoptee'")
        assert members == [('pg_monitor',)]    # pg_read_all_data, which the exporter does not need, is gone
        assert pg_query(ip, 'SELECT 1', user='adoptee', password=EXPORTER_PASSWORD) == [(1,)]
    else:
        grants = ' '.join(row[0] for row in mysql_query(ip, "SHOW GRANTS FOR 'adoptee'@'%'"))
        assert '`app`' not in grants and 'PROCESS' in grants, grants
        assert mysql_query(ip, 'SELECT 1', user='adoptee', password=EXPORTER_PASSWORD) == ((1,),)


@pytest.mark.parametrize('engine', ENGINES)
def test_adopt_replication_user_takes_a_foreign_account_over(servers, engine):
    name, ip = servers[engine]
    if engine == 'postgres':
        pg_query(ip, "CREATE ROLE old_repl LOGIN PASSWORD 'Old-pass-1'")
    else:
        mysql_query(ip, "CREATE USER 'old_repl'@'%' IDENTIFIED BY 'Old-pass-1'")
        mysql_query(ip, "GRANT SELECT ON app.* TO 'old_repl'@'%'")
    before = accounts_snapshot(engine, ip)
    assert_refused(replication_primary(engine, name, 'old_repl'), 'replication_user', 'adopt_replication_user')
    assert accounts_snapshot(engine, ip) == before
    adopted = replication_primary(engine, name, 'old_repl', adopt_replication_user=True)
    assert not adopted.failed and adopted['changed'] and 'adopt account' in adopted['actions'], adopted
    again = replication_primary(engine, name, 'old_repl')
    assert not again.failed and again['changed'] is False, again
    if engine == 'postgres':
        assert pg_query(ip, "SELECT rolreplication, shobj_description(oid, 'pg_authid') FROM pg_roles "
                            "WHERE rolname = 'old_repl'") == [(True, 'dbops.containers: replication')]
    else:
        grants = ' '.join(row[0] for row in mysql_query(ip, "SHOW GRANTS FOR 'old_repl'@'%'"))
        assert '`app`' not in grants and 'REPLICATION SLAVE' in grants, grants
        assert mysql_query(ip, 'SELECT 1', user='old_repl', password=REPL_PASSWORD) == ((1,),)


@pytest.mark.parametrize('engine', ('mysql', 'mariadb'))
def test_an_account_of_an_earlier_release_is_marked_without_adopt(servers, engine):
    """What db_monitoring_user 0.2 made (the same statements, no mark) is recognised: default name, exactly
    its privileges, the password given logs in. Only the mark is added; the password hash stays."""
    name, ip = servers[engine]
    privileges = 'PROCESS, REPLICATION CLIENT' if engine == 'mysql' else 'PROCESS, BINLOG MONITOR, SLAVE MONITOR'
    user = 'dbops_exporter'
    mysql_query(ip, "DROP USER IF EXISTS '%s'@'%%'" % user)
    if engine == 'mariadb':
        mysql_query(ip, "DROP ROLE IF EXISTS 'dbops.containers:monitoring:%s'" % user)
    mysql_query(ip, "CREATE USER '%s'@'%%' IDENTIFIED BY 'Old;release-1' WITH MAX_USER_CONNECTIONS 3" % user)
    mysql_query(ip, "GRANT %s ON *.* TO '%s'@'%%'" % (privileges, user))
    mysql_query(ip, "GRANT SELECT ON performance_schema.* TO '%s'@'%%'" % user)
    hash_before = mysql_query(ip, "SELECT HEX(authentication_string) FROM mysql.user WHERE User = '%s'" % user)
    result = run_module('db_monitoring_user', dict(container=name, password='Old;release-1'))
    assert not result.failed and result['actions'] == ['mark account created by an earlier release'], result
    assert mysql_query(ip, "SELECT HEX(authentication_string) FROM mysql.user WHERE User = '%s'" % user) == \
        hash_before
    again = run_module('db_monitoring_user', dict(container=name, password='Old;release-1'))
    assert not again.failed and again['changed'] is False, again
    # With another password it is no longer "exactly ours": refused, not taken over.
    mysql_query(ip, "DROP USER '%s'@'%%'" % user)
    mysql_query(ip, "CREATE USER '%s'@'%%' IDENTIFIED BY 'Someone-elses-1'" % user)
    mysql_query(ip, "GRANT %s ON *.* TO '%s'@'%%'" % (privileges, user))
    before = accounts_snapshot(engine, ip)
    assert_refused(run_module('db_monitoring_user', dict(container=name, password='Old;release-1')), 'user',
                   'was not created by dbops.containers')
    assert accounts_snapshot(engine, ip) == before
    mysql_query(ip, "DROP USER '%s'@'%%'" % user)


# ------------------------------------------------------------------ messages naming the real cause
def test_wrong_password_names_login_password(servers):
    for engine in ENGINES:
        name, ip = servers[engine]
        before = accounts_snapshot(engine, ip)
        result = monitoring(name, 'exp2', login_password='not-the-password')
        assert_refused(result, 'login_password', 'wrong password', 'secrets volume')
        assert 'not-the-password' not in result['msg']
        assert accounts_snapshot(engine, ip) == before


def test_a_closed_port_names_login_port_and_an_unanswering_address_login_host(servers):
    name, ip = servers['mariadb']
    result = monitoring(name, 'exp2', login_host=ip, login_port=3307)
    assert_refused(result, 'login_port', 'connection refused')
    started = time.time()
    result = run_module('db_replication', dict(role='status', login_host=NOBODY, login_port=3306, engine='mysql',
                                               login_password=ROOT_PASSWORD, connect_timeout=5))
    assert result.failed and result['parameter'] == 'login_host', result
    assert 'does not answer' in result['msg'] and 'No route to host' in result['msg'], result['msg']
    assert time.time() - started < 30


@pytest.mark.parametrize('engine, wrong', [('mariadb', 'postgres'), ('postgres', 'mysql'), ('mysql', 'postgres')])
def test_the_container_label_tells_another_engine(servers, engine, wrong):
    name, ip = servers[engine]
    for result in (monitoring(name, 'exp2', engine=wrong),
                   run_module('db_replication', dict(role='status', container=name, engine=wrong)),
                   run_module('db_tune_report', dict(container=name, engine=wrong))):
        assert result.failed and result['parameter'] == 'engine', result
        assert 'runs %s (its dbops.engine label), not %s' % (engine, wrong) in result['msg'], result['msg']
        assert 'cannot connect' not in result['msg']


def test_the_servers_first_answer_tells_another_engine(servers):
    """No container to read a label from: the server's own greeting (or silence) says what it is."""
    _name, mariadb_ip = servers['mariadb']
    result = run_module('db_replication', dict(role='status', login_host=mariadb_ip, login_port=3306,
                                               engine='postgres', login_password=ROOT_PASSWORD))
    assert result.failed and result['parameter'] == 'engine', result
    assert 'is MariaDB' in result['msg'] and 'not PostgreSQL' in result['msg'], result['msg']
    _name, pg_ip = servers['postgres']
    started = time.time()
    result = run_module('db_replication', dict(role='status', login_host=pg_ip, login_port=5432, engine='mysql',
                                               login_password=ROOT_PASSWORD, connect_timeout=3))
    assert result.failed and result['parameter'] == 'engine', result
    assert 'is PostgreSQL' in result['msg'] and 'not MySQL/MariaDB' in result['msg'], result['msg']
    # PostgreSQL never greets: the wait is the connect timeout, not PyMySQL's minute-long read timeout.
    assert time.time() - started < 30


def wait_healthy(docker_client, name, timeout=300):
    deadline = time.time() + timeout
    while docker_client.api.inspect_container(name)['State']['Health']['Status'] != 'healthy':
        assert time.time() < deadline, '%s did not become healthy' % name
        time.sleep(2)


def test_a_server_in_offline_mode_is_not_ready(servers, docker_client):
    """MySQL's offline mode turns every client without CONNECTION_ADMIN away: 'not ready', not 'cannot connect'.
    The server's own words are the message (its container is healthy)."""
    name, ip = servers['mysql']
    wait_healthy(docker_client, name)
    mysql_query(ip, 'SET GLOBAL offline_mode = ON')
    try:
        result = monitoring(name, 'exp2', login_user='app', login_password='app-Pa55')
        assert_refused(result, 'login_host', 'not ready yet', 'offline mode')
    finally:
        mysql_query(ip, 'SET GLOBAL offline_mode = OFF')


def test_a_paused_container_is_named_paused(servers, docker_client):
    """A paused container's kernel accepts the connection and its server never answers: 'paused', naming
    container, not a wrong engine or 'cannot connect'."""
    name, ip = servers['mariadb']
    container = docker_client.containers.get(name)
    container.pause()
    try:
        result = monitoring(name, 'exp2', connect_timeout=3)
        assert_refused(result, 'container', 'is paused', 'docker unpause')
    finally:
        container.unpause()
    assert superuser_logs_in('mariadb', ip)


def test_a_starting_container_is_not_ready_yet(docker_client, container_name, local_images):
    """A server still initialising (db_container with wait: false): 'not ready yet', naming container, not
    'cannot connect'; once Docker's health check passes, the same task works."""
    name = container_name('starting')
    made = run_module('db_container', base_args(name, 'mysql', wait=False))
    assert not made.failed, made.get('msg')
    result = monitoring(name, 'exp2')
    assert result.failed and result['parameter'] == 'container', result
    assert 'is not ready yet' in result['msg'] and 'health' in result['msg'], result['msg']
    assert result['msg'].endswith('nothing was changed')
    wait_healthy(docker_client, name)
    assert not monitoring(name, 'exp2').failed
