# -*- coding: utf-8 -*-
"""postgresql_cluster and db_failover on PostgreSQL 15, 17 and 18, built the official images' way.

PostgreSQL 18's image keeps its volume at /var/lib/postgresql and PGDATA in 18/docker below it:
the standby's base backup, the fence (standby.signal) and pg_rewind must all find the cluster
there. Durability required (the default: synchronous), writes read on the standby, a switchover
there and back, kill -9 of the primary, a commit on the new primary that waits until the old one
is re-joined (with pg_rewind when it diverged), and returns then.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from conftest import free_local_ports, nodes_play, retry, run_module, run_playbook, wait_for

ROOT_PASSWORD = 'R00t-pass;word"x'
REPLICATION_PASSWORD = 'Repl-Pa55;w"ord'

PLAY = nodes_play('postgresql_cluster', 'postgresql_cluster_role', ['primary', 'standby']) + r'''
- name: PostgreSQL, synchronous, behind PgBouncer
  hosts: postgresql_cluster
  gather_facts: false
  vars:
    postgresql_cluster_name: "{{ t_prefix }}"
    postgresql_cluster_state: "{{ t_state }}"
    postgresql_cluster_synchronous: true
    postgresql_cluster_replication_password: "{{ t_replication_password }}"
    postgresql_cluster_pgbouncer_port: "{{ t_pgbouncer_port }}"
    postgresql_cluster_container_name: "{{ inventory_hostname }}"
    postgresql_image: "{{ t_image }}"
    postgresql_memory: 1g
    postgresql_cpus: 1
    postgresql_published_ports: []
    postgresql_root_password: "{{ t_root_password }}"
    postgresql_password: App-Pa55word
    postgresql_labels: {test.dbops: "true"}
    postgresql_purge_data: "{{ t_state == 'absent' }}"
  roles:
    - role: dbops.containers.postgresql_cluster
'''


def psql(docker_client, name, sql):
    """One statement as the postgres OS user inside the container (peer authentication)."""
    code, output = docker_client.containers.get(name).exec_run(['psql', '-XAtc', sql], user='postgres')
    assert code == 0, output
    return output.decode('utf-8').strip()


@pytest.mark.parametrize('image, pgdata', [
    ('localhost/dbops/postgres:15', '/var/lib/postgresql/data'),
    ('localhost/dbops/postgres:17', '/var/lib/postgresql/data'),
    ('localhost/dbops/postgres:18', '/var/lib/postgresql/18/docker'),
], ids=['postgres-15', 'postgres-17', 'postgres-18'])
def test_synchronous_cluster_failover_rewind(docker_client, tmp_path, image, pgdata):
    prefix = 'dbt-%s-pgv' % uuid.uuid4().hex[:6]
    nodes = ['%s1' % prefix, '%s2' % prefix]
    primary, standby = nodes
    playbook = tmp_path / 'cluster.yml'
    playbook.write_text(PLAY)
    variables = tmp_path / 'vars.json'
    pgbouncer_port = free_local_ports(1)[0]

    def play(state):
        return run_playbook(playbook, variables, {
            't_prefix': prefix, 't_nodes': nodes, 't_state': state, 't_image': image,
            't_pgbouncer_port': pgbouncer_port, 't_root_password': ROOT_PASSWORD,
            't_replication_password': REPLICATION_PASSWORD})

    def failover(mode, **extra):
        args = {'mode': mode, 'engine': 'postgres', 'nodes': [{'name': name} for name in nodes],
                'replication_password': REPLICATION_PASSWORD, 'probe_interval': 0.3,
                'endpoint': {'type': 'pgbouncer', 'container': prefix + '-pgbouncer'}}
        args.update(extra)
        result = run_module('db_failover', args)
        assert not result.failed, result.get('msg')
        return result

    try:
        code, output = play('started')
        assert code == 0, output[-5000:]
        assert ROOT_PASSWORD not in output and REPLICATION_PASSWORD not in output
        assert psql(docker_client, standby, 'SHOW data_directory') == pgdata
        assert psql(docker_client, standby, 'SELECT status FROM pg_stat_wal_receiver') == 'streaming'
        assert psql(docker_client, primary, 'SELECT sync_state FROM pg_stat_replication') in ('sync', 'quorum')
        psql(docker_client, primary, 'CREATE TABLE ledger (id int PRIMARY KEY)')
        psql(docker_client, primary, 'INSERT INTO ledger VALUES (1)')
        wait_for(lambda: psql(docker_client, standby, 'SELECT count(*) FROM ledger') == '1')

        # There and back again, then kill -9 of the primary and a rejoin with pg_rewind. A client session held
        # through PgBouncer (session pooling) is ended by the switchover: left open, it would keep its
        # server connection to the old primary, a read-only standby from then on.
        held = retry(lambda: psycopg2.connect(host='127.0.0.1', port=pgbouncer_port, user='appuser',
                                              password='App-Pa55word', dbname='production', connect_timeout=5))
        held.autocommit = True
        with held.cursor() as cursor:
            cursor.execute('SELECT pg_is_in_recovery()')
            assert cursor.fetchone()[0] is False
        switched = failover('switchover')
        assert switched['new_primary'] == standby
        moved = [event for event in switched['timeline'] if event['event'] == 'endpoint_moved'][0]
        assert moved.get('old_sessions') == 'ended: "production"', moved
        with pytest.raises(psycopg2.Error):
            with held.cursor() as cursor:
                cursor.execute('SELECT pg_is_in_recovery()')
        held.close()
        assert failover('switchover')['new_primary'] == primary
        docker_client.api.kill(primary)
        assert failover('failover')['new_primary'] == standby
        # durability required (the role's and db_failover's default): the new primary's commit waits until
        # the old primary, its only possible standby, is re-joined, and returns then.
        writer = ThreadPoolExecutor(max_workers=1)
        try:
            committed = writer.submit(psql, docker_client, standby, 'INSERT INTO ledger VALUES (2)')
            wait_for(lambda: psql(docker_client, standby, "SELECT count(*) FROM pg_stat_activity WHERE "
                                                          "wait_event = 'SyncRep'") == '1', timeout=15)
            assert not committed.done(), 'the new primary acknowledged a commit no standby had'
            failover('rejoin', node=primary)
            committed.result(timeout=30)
        finally:
            writer.shutdown(wait=False)
        assert psql(docker_client, standby, 'SELECT sync_state FROM pg_stat_replication') == 'quorum'
        wait_for(lambda: psql(docker_client, primary, 'SELECT count(*) FROM ledger') == '2')
        assert psql(docker_client, primary, 'SELECT pg_is_in_recovery()') == 't'
        assert psql(docker_client, primary, 'SHOW data_directory') == pgdata
    finally:
        play('absent')
        # Only this test's containers: listing all of them races with other tests removing theirs.
        for container in docker_client.containers.list(all=True, filters={'name': prefix}):
            if container.name.startswith(prefix):
                container.remove(force=True, v=True)
        for volume in docker_client.volumes.list():
            if volume.name.startswith(prefix):
                volume.remove(force=True)
