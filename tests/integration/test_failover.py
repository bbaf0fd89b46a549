# -*- coding: utf-8 -*-
"""db_failover on real MariaDB 10.11 and PostgreSQL 15 clusters made by db_container and db_replication.

Checks what a DBA cares about: no failover while the primary lives (even when one replica
loses it), refusals that change nothing, the most up-to-date replica promoted, the old
primary fenced (it comes back read-only), rejoined as a replica, and a switchover."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pymysql

from conftest import TEST_LABEL, base_args, ip_on, mysql_query, pg_query, run_module

REPL_PASSWORD = 'Repl-Pa55;w"ord'
ROOT_PASSWORD = base_args('x', 'mariadb')['root_password']


def failover(mode, engine, names, network, password_file, **extra):
    args = {'mode': mode, 'engine': engine, 'nodes': [{'name': name} for name in names], 'network': network,
            'replication_password_file': str(password_file), 'probe_interval': 0.3}
    args.update(extra)
    return run_module('db_failover', args)


def slave_host(ip):
    conn = pymysql.connect(host=ip, user='root', password=ROOT_PASSWORD, cursorclass=pymysql.cursors.DictCursor)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SHOW SLAVE STATUS')
            row = cursor.fetchone()
            return row['Master_Host'] if row else None
    finally:
        conn.close()


def wait_rows(ip, expected, query, timeout=15):
    deadline = time.time() + timeout
    while True:
        try:
            if mysql_query(ip, query)[0][0] == expected:
                return
        except Exception:  # noqa: BLE001 - the table may not be there yet
            pass
        assert time.time() < deadline, 'rows did not arrive on %s' % ip
        time.sleep(0.1)


def test_mariadb_failover_fence_rejoin(docker_client, local_images, container_name, tmp_path):
    password_file = tmp_path / 'replication'
    password_file.write_text(REPL_PASSWORD + '\n')
    names = [container_name('fa'), container_name('fb'), container_name('fc')]
    network = docker_client.networks.create(names[0] + '-net', labels=TEST_LABEL).name
    try:
        for index, name in enumerate(names):
            result = run_module('db_container', base_args(name, 'mariadb', restart_policy='unless-stopped', settings={
                'server_id': index + 1, 'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON'},
                networks=[{'name': network, 'aliases': [name]}]))
            assert not result.failed, result.get('msg')
        primary, replica1, replica2 = names
        ips = dict((name, ip_on(docker_client, name, network)) for name in names)
        assert not run_module('db_replication', {'role': 'primary', 'container': primary,
                                                 'replication_password_file': str(password_file)}).failed
        for replica in (replica1, replica2):
            result = run_module('db_replication', {'role': 'replica', 'container': replica, 'primary_container': primary,
                                                   'replication_password_file': str(password_file)})
            assert not result.failed, result.get('msg')
        mysql_query(ips[primary], 'CREATE TABLE app.ledger (id INT PRIMARY KEY)')
        mysql_query(ips[primary], 'INSERT INTO app.ledger VALUES (1), (2), (3)')

        # Alive: check says so, failover refuses and changes nothing.
        result = failover('check', 'mariadb', names, network, password_file)
        assert result['primary'] == primary and result['primary_dead'] is False and result['changed'] is False
        result = failover('failover', 'mariadb', names, network, password_file)
        assert result.failed and result['parameter'] == 'mode' and 'not dead' in result['msg'], result
        assert slave_host(ips[replica1]) == primary and slave_host(ips[replica2]) == primary

        # One replica loses the primary (partition): not dead, no failover.
        docker_client.networks.get(network).disconnect(replica2)
        try:
            result = failover('check', 'mariadb', names, network, password_file)
            assert result['primary_dead'] is False, result
            assert result['rounds'][-1]['controller'] is True
            assert result['rounds'][-1][replica2] in (False, None)
        finally:
            docker_client.networks.get(network).connect(replica2, aliases=[replica2])
        ips[replica2] = ip_on(docker_client, replica2, network)

        # A frozen primary (docker pause) still completes TCP handshakes but never greets: every observer
        # calls it dead within the probe rounds; resumed, it is alive again.
        docker_client.containers.get(primary).pause()
        try:
            started = time.time()
            result = failover('check', 'mariadb', names, network, password_file)
            assert result['primary_dead'] is True, result
            assert time.time() - started < 30, 'a frozen primary took %.1f s to detect' % (time.time() - started)
        finally:
            docker_client.containers.get(primary).unpause()
        assert failover('check', 'mariadb', names, network, password_file)['primary_dead'] is False

        # Dead primary, but the replicas do not apply what they receive: refused, nothing changed.
        for replica in (replica1, replica2):
            mysql_query(ips[replica], 'STOP SLAVE SQL_THREAD')
        mysql_query(ips[primary], 'INSERT INTO app.ledger VALUES (4), (5)')
        docker_client.containers.get(primary).kill()
        result = failover('failover', 'mariadb', names, network, password_file)
        assert result.failed and result['parameter'] == 'max_lag' and 'SQL thread stopped' in result['msg'], result
        assert docker_client.api.inspect_container(primary)['HostConfig']['RestartPolicy']['Name'] == 'unless-stopped'
        assert mysql_query(ips[replica1], 'SELECT @@GLOBAL.read_only') == ((1,),)

        # Applying again: the failover promotes one replica, re-points the other, fences the old primary.
        for replica in (replica1, replica2):
            mysql_query(ips[replica], 'START SLAVE SQL_THREAD')
        started = time.time()
        result = failover('failover', 'mariadb', names, network, password_file)
        elapsed = time.time() - started
        assert not result.failed, result.get('msg')
        new_primary = result['new_primary']
        other = replica2 if new_primary == replica1 else replica1
        assert result['old_primary'] == primary and new_primary in (replica1, replica2)
        # Semi-sync: the other replica follows the new primary before clients are sent to it.
        assert [event['event'] for event in result['timeline']][-4:] == [
            'fenced', 'promoted', 'repointed', 'endpoint_moved']
        print('\nfailover by the module (probes included): %.2f s, timeline %s' % (elapsed, result['timeline']))
        # Every row the old primary committed (semi-sync) is on the new primary.
        assert mysql_query(ips[new_primary], 'SELECT COUNT(*) FROM app.ledger') == ((5,),)
        assert mysql_query(ips[new_primary], 'SELECT @@GLOBAL.read_only') == ((0,),)
        assert slave_host(ips[new_primary]) is None and slave_host(ips[other]) == new_primary
        mysql_query(ips[new_primary], 'INSERT INTO app.ledger VALUES (6)')
        wait_rows(ips[other], 6, 'SELECT COUNT(*) FROM app.ledger')
        assert docker_client.api.inspect_container(primary)['HostConfig']['RestartPolicy']['Name'] == 'no'

        # The fenced old primary, started by hand, takes no writes from the application. (MariaDB has no
        # super_read_only: an account with READ_ONLY ADMIN, such as root, still could.)
        docker_client.containers.get(primary).start()
        ips[primary] = ip_on(docker_client, primary, network)
        assert mysql_query(ips[primary], 'SELECT @@GLOBAL.read_only') == ((1,),)
        try:
            mysql_query(ips[primary], 'INSERT INTO app.ledger VALUES (100)', user='app', password='app-Pa55')
            raise AssertionError('the fenced primary accepted a write')
        except pymysql.err.OperationalError as exc:
            assert exc.args[0] == 1290  # --read-only

        # Rejoin: a replica of the new primary, with every row.
        result = failover('rejoin', 'mariadb', names, network, password_file, node=primary)
        assert not result.failed and result['primary'] == new_primary, result.get('msg')
        assert slave_host(ips[primary]) == new_primary
        wait_rows(ips[primary], 6, 'SELECT COUNT(*) FROM app.ledger')

        # Switchover back to the old primary: write pause reported, old one follows.
        result = failover('switchover', 'mariadb', names, network, password_file, candidate=primary)
        assert not result.failed, result.get('msg')
        assert result['new_primary'] == primary and result['write_pause_s'] < 5
        print('switchover write pause (module): %.3f s' % result['write_pause_s'])
        assert slave_host(ips[new_primary]) == primary and slave_host(ips[other]) == primary
        assert mysql_query(ips[primary], 'SELECT @@GLOBAL.read_only') == ((0,),)

        # No healthy candidate (the replicas are down): refused even with force, nothing fenced.
        for replica in (new_primary, other):
            docker_client.containers.get(replica).stop(timeout=5)
        result = failover('failover', 'mariadb', names, network, password_file, force=True)
        assert result.failed and result['parameter'] == 'nodes' and 'no healthy candidate' in result['msg'], result
        assert mysql_query(ips[primary], 'SELECT @@GLOBAL.read_only') == ((0,),)
    finally:
        for name in names:
            run_module('db_container', base_args(name, 'mariadb', state='absent', purge_data=True))
        docker_client.networks.get(network).remove()


PG_SETTINGS = {'wal_level': 'replica', 'max_wal_senders': 10, 'max_replication_slots': 10, 'hot_standby': 'on',
               'wal_log_hints': 'on'}


def test_postgres_failover_rewind_rejoin(docker_client, local_images, container_name, tmp_path):
    password_file = tmp_path / 'replication'
    password_file.write_text('Pg:Repl\\pa55;"x\n')
    primary, standby = container_name('pa'), container_name('pb')
    network = docker_client.networks.create(primary + '-net', labels=TEST_LABEL).name

    # An asynchronous pair (no synchronous_standby_names): durability preferred. Under required (the default)
    # the new primary's commits wait for the old one until it is re-joined (test_durability_postgres.py).
    def pg_failover(mode, **extra):
        return failover(mode, 'postgres', names, network, password_file, durability='preferred', **extra)

    def provision(name):
        result = run_module('db_container', base_args(name, 'postgres', settings=PG_SETTINGS,
                                                      restart_policy='unless-stopped',
                                                      networks=[{'name': network, 'aliases': [name]}]))
        assert not result.failed, result.get('msg')

    try:
        provision(primary)
        assert not run_module('db_replication', {'role': 'primary', 'container': primary, 'standby_names': [standby],
                                                 'replication_password_file': str(password_file)}).failed
        assert not run_module('db_replication', {'role': 'replica', 'engine': 'postgres', 'container': standby,
                                                 'primary_container': primary,
                                                 'replication_password_file': str(password_file)}).failed
        provision(standby)
        assert not run_module('db_replication', {'role': 'replica', 'container': standby, 'primary_container': primary,
                                                 'replication_password_file': str(password_file)}).failed
        ips = {primary: ip_on(docker_client, primary, network), standby: ip_on(docker_client, standby, network)}
        pg_query(ips[primary], 'CREATE TABLE ledger (id int PRIMARY KEY)')
        pg_query(ips[primary], 'INSERT INTO ledger SELECT generate_series(1, 50)')
        time.sleep(1)

        names = [primary, standby]
        assert pg_failover('check')['primary_dead'] is False
        # A frozen primary (docker pause: a stuck disk or a kernel stall looks the same) still completes
        # TCP handshakes; its postmaster never answers, so it is dead and replaced like a killed one.
        docker_client.containers.get(primary).pause()
        started = time.time()
        result = pg_failover('failover')
        assert not result.failed, result.get('msg')
        assert all(view is False for view in result['check']['rounds'][-1].values()), result['check']
        assert time.time() - started < 30
        assert docker_client.api.inspect_container(primary)['State']['Running'] is False  # fenced: killed
        assert result['new_primary'] == standby and result['old_primary'] == primary
        print('\npostgres failover timeline: %s' % result['timeline'])
        assert pg_query(ips[standby], 'SELECT pg_is_in_recovery(), count(*) FROM ledger GROUP BY 1') == [(False, 50)]
        pg_query(ips[standby], 'INSERT INTO ledger VALUES (51)')

        # Fenced: started again, it is a read-only standby, never a second primary.
        docker_client.containers.get(primary).start()
        ips[primary] = ip_on(docker_client, primary, network)
        deadline = time.time() + 30
        while True:
            try:
                assert pg_query(ips[primary], 'SELECT pg_is_in_recovery()') == [(True,)]
                break
            except Exception:  # noqa: BLE001 - still starting
                assert time.time() < deadline
                time.sleep(0.5)

        # Rejoin with pg_rewind: it streams from the new primary and has the new row.
        result = pg_failover('rejoin', node=primary)
        assert not result.failed, result.get('msg')
        deadline = time.time() + 20
        while pg_query(ips[primary], 'SELECT count(*) FROM ledger') != [(51,)]:
            assert time.time() < deadline
            time.sleep(0.2)
        assert pg_query(ips[standby], "SELECT state FROM pg_stat_replication") == [('streaming',)]

        # Switchover back.
        result = pg_failover('switchover', candidate=primary)
        assert not result.failed, result.get('msg')
        assert result['new_primary'] == primary
        print('postgres switchover write pause (module): %.3f s' % result['write_pause_s'])
        assert pg_query(ips[primary], 'SELECT pg_is_in_recovery()') == [(False,)]
        pg_query(ips[primary], 'INSERT INTO ledger VALUES (52)')

        # Away and back again: the node promoted last was frozen (read-only) by the switchover
        # before; promoted, new sessions must be writable again.
        for target, row in ((standby, 53), (primary, 54)):
            result = pg_failover('switchover', candidate=target)
            assert not result.failed, result.get('msg')
            assert result['new_primary'] == target
            ips[target] = ip_on(docker_client, target, network)
            assert pg_query(ips[target], 'SHOW default_transaction_read_only') == [('off',)]
            pg_query(ips[target], 'INSERT INTO ledger VALUES (%d)' % row)
    finally:
        for name in (primary, standby):
            run_module('db_container', base_args(name, 'postgres', state='absent', purge_data=True))
        docker_client.networks.get(network).remove()
