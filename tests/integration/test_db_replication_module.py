# -*- coding: utf-8 -*-
"""db_replication, the module, on real MariaDB 10.11 and PostgreSQL 15 servers made by db_container.

What a user gets from a task: idempotence (a second run changes nothing and keeps the
replica's connection), check mode, status severities, repair, and bad input refused
with the parameter to fix and nothing half-configured."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


from conftest import TEST_LABEL, base_args, ip_on, mysql_query, pg_query, run_module

REPL_PASSWORD = 'Repl-Pa55;w"ord'


def mariadb_settings(server_id):
    return {'server_id': server_id, 'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON'}


def replication(role, container, password_file, **extra):
    args = {'role': role, 'container': container, 'replication_password_file': str(password_file)}
    args.update(extra)
    return run_module('db_replication', args)


def dump_threads(ip):
    return sorted(row[0] for row in mysql_query(
        ip, "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"))


def slave_status(ip):
    import pymysql
    conn = pymysql.connect(host=ip, user='root', password=base_args('x', 'mariadb')['root_password'],
                           cursorclass=pymysql.cursors.DictCursor)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SHOW SLAVE STATUS')
            return cursor.fetchone()
    finally:
        conn.close()


def assert_refused(result, parameter, text=None):
    assert result.failed, result
    print('refused (%s): %s' % (parameter, result['msg']))
    assert result['parameter'] == parameter, result
    assert result['changed'] is False
    if text:
        assert text in result['msg'], result['msg']


def test_mariadb_primary_two_replicas_through_the_module(docker_client, local_images, container_name, tmp_path):
    password_file = tmp_path / 'replication'
    password_file.write_text(REPL_PASSWORD + '\n')
    wrong_file = tmp_path / 'wrong'
    wrong_file.write_text('not-the-password\n')
    names = [container_name(suffix) for suffix in ('p', 'r1', 'r2', 'x')]
    network = docker_client.networks.create(names[0] + '-net', labels=TEST_LABEL)
    try:
        for index, name in enumerate(names):
            result = run_module('db_container', base_args(
                name, 'mariadb', settings=mariadb_settings(index + 1),
                networks=[{'name': network.name, 'aliases': ['db%d' % (index + 1)]}]))
            assert not result.failed, result.get('msg')
        primary, replica1, replica2, extra = names
        ips = [ip_on(docker_client, name, network.name) for name in names]

        # Check mode: the plan, nothing created.
        result = run_module('db_replication', {'role': 'primary', 'container': primary,
                                               'replication_password_file': str(password_file)}, check_mode=True)
        assert not result.failed and result['changed'] and 'create user' in result['actions'], result
        assert mysql_query(ips[0], "SELECT COUNT(*) FROM mysql.user WHERE User = 'repl'") == ((0,),)

        result = replication('primary', primary, password_file)
        assert not result.failed and result['changed'], result
        assert result['status']['role'] in ('primary', 'standalone') and result['engine'] == 'mariadb'
        again = replication('primary', primary, password_file)
        assert not again.failed and again['changed'] is False and again['actions'] == []

        for replica in (replica1, replica2):
            result = replication('replica', replica, password_file, primary_container=primary, primary_host='db1')
            assert not result.failed and result['changed'], result
            assert result['status']['role'] == 'replica' and result['severity'] == 'ok', result['status']

        mysql_query(ips[0], 'CREATE TABLE app.t (id INT PRIMARY KEY)')
        mysql_query(ips[0], 'INSERT INTO app.t VALUES (1), (2), (3)')
        for ip in ips[1:3]:
            deadline = time.time() + 10
            while mysql_query(ip, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 't'")[0][0] \
                    == 0 or mysql_query(ip, 'SELECT COUNT(*) FROM app.t')[0][0] != 3:
                assert time.time() < deadline, 'rows did not reach %s' % ip
                time.sleep(0.05)

        # Second run: changed=0, same relay log and the same dump connections on the primary.
        relay_before = slave_status(ips[1])['Relay_Log_File']
        dumps_before = dump_threads(ips[0])
        for replica in (replica1, replica2):
            result = replication('replica', replica, password_file, primary_container=primary, primary_host='db1')
            assert not result.failed and result['changed'] is False and result['actions'] == [], result
        assert slave_status(ips[1])['Relay_Log_File'] == relay_before
        assert dump_threads(ips[0]) == dumps_before

        primary_status = run_module('db_replication', {'role': 'status', 'container': primary})
        assert primary_status['status']['semi_sync']['source_clients'] == 2
        assert primary_status['severity'] == 'ok' and primary_status['changed'] is False

        # Replication stopped: critical; the replica role repairs it.
        mysql_query(ips[2], 'STOP SLAVE')
        status = run_module('db_replication', {'role': 'status', 'container': replica2})
        assert status['severity'] == 'critical' and status['status']['lag_seconds'] is None, status
        repaired = replication('replica', replica2, password_file, primary_container=primary, primary_host='db1')
        assert repaired['changed'] and repaired['severity'] == 'ok', repaired

        # Bad input: each refused with its parameter, nothing changed.
        assert_refused(replication('replica', extra, password_file, primary_container=primary, primary_host='db1',
                                   primary_login_port=3399), 'primary_host', 'cannot connect to the source')
        assert_refused(replication('replica', extra, wrong_file, primary_container=primary, primary_host='db1'),
                       'replication_password', 'Access denied')
        assert_refused(replication('replica', extra, password_file, primary_container=extra),
                       'primary_container', 'another server')
        assert_refused(replication('primary', replica1, password_file), 'role', 'one primary')
        assert_refused(replication('replica', extra, password_file, primary_container=replica1, primary_host='db2'),
                       'primary_host', 'read-only')
        assert_refused(replication('replica', replica1, password_file), 'primary_host')
        assert_refused(run_module('db_replication', {'role': 'primary', 'container': primary}),
                       'replication_password_file')
        assert slave_status(ips[3]) is None
        assert mysql_query(ips[3], 'SELECT @@read_only') == ((0,),)
        assert slave_status(ips[1])['Relay_Log_File'] == relay_before

        # Check mode on the fresh server: the plan, still standalone.
        result = run_module('db_replication', {'role': 'replica', 'container': extra, 'primary_container': primary,
                                               'primary_host': 'db1',
                                               'replication_password_file': str(password_file)}, check_mode=True)
        assert result['changed'] and 'START SLAVE' in result['actions'], result
        assert slave_status(ips[3]) is None

        # A server with its own transactions cannot follow the primary as it is (errant GTIDs).
        mysql_query(ips[3], 'CREATE TABLE app.local_only (id INT PRIMARY KEY)')
        result = replication('replica', extra, password_file, primary_container=primary, primary_host='db1')
        assert_refused(result, 'primary_host', 'transactions its source does not have')
        assert 'mariadb-dump' in result['msg']
        assert slave_status(ips[3]) is None
    finally:
        for name in names:
            run_module('db_container', base_args(name, 'mariadb', state='absent', purge_data=True))
        network.remove()


PG_SETTINGS = {'wal_level': 'replica', 'max_wal_senders': 10, 'max_replication_slots': 10, 'hot_standby': 'on'}


def test_postgres_primary_and_standby_through_the_module(docker_client, local_images, container_name, tmp_path):
    password_file = tmp_path / 'replication'
    password_file.write_text('Pg:Repl\\pa55;"x\n')
    primary, standby, spare = container_name('pgp'), container_name('pgs'), container_name('pgx')
    network = docker_client.networks.create(primary + '-net', labels=TEST_LABEL)

    def provision(name):
        result = run_module('db_container', base_args(name, 'postgres', settings=PG_SETTINGS,
                                                      networks=[{'name': network.name}]))
        assert not result.failed, result.get('msg')

    try:
        provision(primary)
        primary_ip = ip_on(docker_client, primary, network.name)
        result = replication('primary', primary, password_file, standby_names=[standby])
        assert not result.failed and result['changed'], result
        assert replication('primary', primary, password_file, standby_names=[standby])['changed'] is False

        # The standby's volume is seeded before its container exists.
        result = replication('replica', standby, password_file, primary_container=primary, engine='postgres')
        assert not result.failed and 'basebackup' in result['actions'], result
        assert result['status'] is None and 'create the standby container' in result['notes'][0]
        provision(standby)
        standby_ip = ip_on(docker_client, standby, network.name)
        result = replication('replica', standby, password_file, primary_container=primary)
        assert not result.failed and result['changed'] is False, result
        assert result['status']['role'] == 'standby' and result['severity'] == 'ok', result['status']
        assert result['status']['wal_receiver']['status'] == 'streaming'

        pg_query(primary_ip, 'CREATE TABLE t (id int PRIMARY KEY)')
        pg_query(primary_ip, 'INSERT INTO t SELECT generate_series(1, 100)')
        deadline = time.time() + 10
        while not pg_query(standby_ip, "SELECT count(*) FROM pg_class WHERE relname = 't'")[0][0] or \
                pg_query(standby_ip, 'SELECT count(*) FROM t')[0][0] != 100:
            assert time.time() < deadline
            time.sleep(0.1)

        # Replication broken on the standby (it follows nothing): critical, and the role repairs it.
        pg_query(standby_ip, "ALTER SYSTEM SET primary_conninfo = 'host=nowhere.invalid user=replicator'")
        pg_query(standby_ip, 'SELECT pg_reload_conf()')
        deadline = time.time() + 20
        while True:
            status = run_module('db_replication', {'role': 'status', 'container': standby})
            if status['severity'] == 'critical':
                break
            assert time.time() < deadline, status
            time.sleep(0.5)
        repaired = replication('replica', standby, password_file, primary_container=primary)
        assert repaired['changed'] and repaired['severity'] == 'ok', repaired
        assert any(action.startswith('primary_conninfo:') for action in repaired['actions'])
        assert replication('replica', standby, password_file, primary_container=primary)['changed'] is False
        primary_status = run_module('db_replication', {'role': 'status', 'container': primary})
        assert primary_status['severity'] == 'ok' and primary_status['status']['replication'][0]['state'] == \
            'streaming', primary_status

        # Refused: the primary as its own standby, a running primary as a standby, a wrong password.
        assert_refused(replication('replica', primary, password_file, primary_container=primary),
                       'primary_container')
        provision(spare)
        assert_refused(replication('replica', spare, password_file, primary_container=primary), 'container',
                       'not a standby')
        wrong = tmp_path / 'wrong'
        wrong.write_text('wrong\n')
        fresh = container_name('pgs2')
        result = replication('replica', fresh, wrong, primary_container=primary, engine='postgres')
        assert_refused(result, 'primary_host', 'password authentication failed')
        left = docker_client.containers.run('localhost/dbops/tools:bookworm', ['sh', '-c', 'ls -A /d'],
                                            entrypoint=[], remove=True, volumes={fresh + '-data': {'bind': '/d'}})
        assert left.strip() == b''
    finally:
        for name in (primary, standby, spare):
            run_module('db_container', base_args(name, 'postgres', state='absent', purge_data=True))
        network.remove()
