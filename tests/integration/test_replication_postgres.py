# -*- coding: utf-8 -*-
"""PostgreSQL streaming replication on real servers: a primary and a standby made by
db_container, wired by replication_postgres (configure_primary, seed_standby, status)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

import pytest
from conftest import base_args, engine_versions, ip_on, pg_query, run_module, wait_for

from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import adapter as engine_postgres
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import identifiers
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import scram
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import standby as pg_standby
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import DockerHelper
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

SETTINGS = {'wal_level': 'replica', 'max_wal_senders': 10, 'max_replication_slots': 10, 'hot_standby': 'on'}
REPL_USER = 'replicator'
REPL_PASSWORD = 'Repl:pa55\\w;"x'
ROOT_PASSWORD = base_args('x', 'postgres')['root_password']


def status_when(conn, predicate):
    """repl.status(conn) when predicate(status) holds, else None (for wait_for)."""
    facts = repl.status(conn)
    return facts if predicate(facts) else None


@pytest.mark.parametrize('engine, image', engine_versions('postgres'))
def test_primary_and_standby_stream(docker_client, local_images, container_name, engine, image):
    primary, standby = container_name('primary'), container_name('standby1')
    other = broken = container_name('unused')
    network = docker_client.networks.create(primary + '-net', labels={'test.dbops': 'true'})
    conn = None
    try:
        result = run_module('db_container', base_args(primary, engine, image=image, settings=SETTINGS, networks=[
            {'name': network.name, 'aliases': ['pg-primary']}]))
        assert not result.failed, result.get('msg')
        primary_ip = ip_on(docker_client, primary, network.name)
        # The audit's connect(): read-only sessions, configure_primary turns that off for itself.
        conn = engine_postgres.open_session(primary_ip, 5432, 'postgres', ROOT_PASSWORD, 'postgres', 10)
        helper = DockerHelper()
        slot = identifiers.slot_name_for(standby)
        # Where the image keeps its volume and PGDATA (PostgreSQL 18 moved both), as db_replication finds it.
        layout = engine_postgres.PostgresAdapter().data_layout(image, helper.image(image)['Config']['Env'])

        changed, actions = repl.configure_primary(conn, REPL_USER, REPL_PASSWORD, [standby],
                                                  docker=helper, container=primary)
        assert changed
        assert actions == ['create_role', 'create_slot:%s' % slot, 'append_hba', 'reload']
        verifier = pg_query(primary_ip, "SELECT rolpassword FROM pg_authid WHERE rolname = 'replicator'")[0][0]
        assert scram.scram_matches(verifier, REPL_PASSWORD)

        started = time.time()
        seeded = pg_standby.seed_standby(helper, standby, image, 'pg-primary', 5432, REPL_USER, REPL_PASSWORD, slot,
                                         layout=layout)
        print('\nseed_standby: %.1f s (pg_basebackup %.1f s), actions %s'
              % (time.time() - started, pg_standby.seed_standby.last_duration, seeded))
        assert 'basebackup' in seeded and 'write_passfile' in seeded

        # The data directory is a copy of the primary's, so is its postgres role: the
        # standby's root_password must be the primary's (base_args uses the same one).
        started = time.time()
        result = run_module('db_container', base_args(standby, engine, image=image, settings=SETTINGS, networks=[
            {'name': network.name, 'aliases': ['pg-standby1']}]))
        assert not result.failed, result.get('msg')
        ready = time.time()
        standby_ip = ip_on(docker_client, standby, network.name)

        def streaming():
            rows = pg_query(standby_ip, 'SELECT status, sender_host FROM pg_stat_wal_receiver')
            return rows and rows[0][0] == 'streaming' and rows[0]
        receiver = wait_for(streaming)
        streamed = time.time()
        print('standby: db_container %.1f s, streaming %.1f s after the start began (%.1f s after it returned)'
              % (ready - started, streamed - started, streamed - ready))
        assert receiver[1] == 'pg-primary'
        assert pg_query(standby_ip, 'SELECT pg_is_in_recovery()')[0][0] is True

        # primary_conninfo names the passfile; no password in it, in the environment or in docker inspect.
        auto_conf = helper.read_file(standby, layout[1] + '/postgresql.auto.conf').decode()
        assert "passfile=''%s''" % pg_standby.PASSFILE_PATH in auto_conf and 'application_name=%s' % slot in auto_conf
        assert "primary_slot_name = '%s'" % slot in auto_conf
        assert 'Repl:pa55' not in auto_conf
        assert 'Repl:pa55' not in str(docker_client.api.inspect_container(standby))

        rows = pg_query(primary_ip, 'SELECT application_name, state, sync_state FROM pg_stat_replication')
        assert rows == [(slot, 'streaming', 'async')]

        pg_query(primary_ip, 'CREATE TABLE repl_check (id int PRIMARY KEY, note text)')
        pg_query(primary_ip, "INSERT INTO repl_check SELECT g, 'row ' || g FROM generate_series(1, 1000) g")
        started = time.time()
        wait_for(lambda: pg_query(standby_ip, "SELECT count(*) FROM pg_class WHERE relname = 'repl_check'")[0][0]
                 and pg_query(standby_ip, 'SELECT count(*) FROM repl_check')[0][0] == 1000)
        print('1000 rows visible on the standby %.2f s after the insert returned' % (time.time() - started))

        facts = repl.status(conn)
        assert facts['role'] == 'primary' and facts['severity'] == 'ok', facts
        assert facts['replication'][0]['application_name'] == slot
        assert facts['slots'][0]['active'] is True
        print('primary status: %s' % facts)
        standby_conn = engine_postgres.open_session(standby_ip, 5432, 'postgres', ROOT_PASSWORD, 'postgres', 10)
        try:
            standby_facts = repl.status(standby_conn)
        finally:
            standby_conn.close()
        assert standby_facts['role'] == 'standby' and standby_facts['severity'] == 'ok', standby_facts
        assert standby_facts['wal_receiver']['status'] == 'streaming'
        print('standby status: %s' % standby_facts)

        # Idempotence.
        assert repl.configure_primary(conn, REPL_USER, REPL_PASSWORD, [standby],
                                      docker=helper, container=primary) == (False, [])
        assert pg_standby.seed_standby(helper, standby, image, 'pg-primary', 5432, REPL_USER, REPL_PASSWORD, slot,
                                       layout=layout) == []

        # A stopped standby: its row goes, its slot turns inactive, the primary is critical.
        started = time.time()
        docker_client.containers.get(standby).stop(timeout=30)
        facts = wait_for(lambda: status_when(conn, lambda f: f['severity'] == 'critical'), timeout=30)
        print('critical %.1f s after docker stop: %s' % (time.time() - started, facts['reasons']))
        assert facts['replication'] == []
        assert any('inactive' in reason for reason in facts['reasons'])

        # A rotated password: the role gets a new verifier, the standby's passfile follows, the
        # standby streams again after a restart.
        new_password = 'N3w:' + REPL_PASSWORD
        assert repl.configure_primary(conn, REPL_USER, new_password, [standby], docker=helper,
                                      container=primary) == (True, ['alter_role_password'])
        assert pg_standby.seed_standby(helper, standby, image, 'pg-primary', 5432, REPL_USER, new_password,
                                       slot, layout=layout) == ['write_passfile']
        started = time.time()
        docker_client.containers.get(standby).start()
        wait_for(streaming)
        print('restarted standby streaming %.1f s after docker start' % (time.time() - started))
        facts = wait_for(lambda: status_when(conn, lambda f: f['severity'] == 'ok'), timeout=30)
        assert pg_query(standby_ip, 'SELECT count(*) FROM repl_check')[0][0] == 1000

        # Volumes seed_standby refuses, and a base backup that fails.
        with pytest.raises(DbopsError) as err:  # the primary's own data: same cluster, not a standby
            pg_standby.seed_standby(helper, primary, image, 'pg-primary', 5432, REPL_USER, new_password, slot,
                                    layout=layout)
        assert err.value.parameter == 'standby' and 'promoted' in str(err.value)
        other = container_name('other')
        # A server db_container made without WAL for replicas: configure_primary names the setting.
        assert not run_module('db_container', base_args(other, engine, image=image, settings={
            'wal_level': 'minimal', 'max_wal_senders': 0})).failed
        other_ip = list(docker_client.api.inspect_container(other)['NetworkSettings']['Networks'].values())[0]
        other_conn = engine_postgres.open_session(other_ip['IPAddress'], 5432, 'postgres', ROOT_PASSWORD,
                                                  'postgres', 10)
        try:
            with pytest.raises(DbopsError) as err:
                repl.configure_primary(other_conn, REPL_USER, new_password, ['s1'], docker=helper, container=other)
            assert err.value.parameter == 'settings.wal_level' and 'wal_level: replica' in str(err.value)
            assert pg_query(other_ip['IPAddress'], "SELECT count(*) FROM pg_roles WHERE rolname = 'replicator'") \
                == [(0,)]
        finally:
            other_conn.close()
        with pytest.raises(DbopsError) as err:
            pg_standby.seed_standby(helper, other, image, 'pg-primary', 5432, REPL_USER, new_password, slot,
                                    layout=layout)
        assert err.value.parameter == 'standby' and 'pg_rewind' in str(err.value)
        assert not [v for v in docker_client.volumes.list() if '-seedpass-' in v.name]
        broken = container_name('standby2')
        with pytest.raises(DbopsError) as err:
            pg_standby.seed_standby(helper, broken, image, 'pg-primary', 5432, REPL_USER, 'wrong', slot,
                                    layout=layout)
        assert err.value.parameter == 'primary_host' and 'password authentication failed' in str(err.value)
        # The tools image declares no VOLUME, so this look leaves no anonymous volume behind.
        left = docker_client.containers.run('localhost/dbops/tools:bookworm', ['sh', '-c', 'ls -A /d'],
                                            entrypoint=[], remove=True,
                                            volumes={broken + '-data': {'bind': '/d', 'mode': 'ro'}})
        assert left.strip() == b''
        # No one-shot container is left behind.
        ours = (primary, standby, other, broken)
        assert not [summary['Id'] for summary in docker_client.api.containers(all=True, filters={'label': 'dbops.carrier=true'})
                    if any((mount.get('Name') or '').startswith(ours) for mount in summary.get('Mounts') or [])]

        # Synchronous replication, set where it belongs (db_container settings; the primary restarts).
        with pytest.raises(DbopsError) as err:
            repl.configure_primary(conn, REPL_USER, new_password, [standby], synchronous_standby_names=slot,
                                   docker=helper, container=primary)
        assert err.value.parameter == 'settings.synchronous_standby_names'
        conn.close()
        result = run_module('db_container', base_args(primary, engine, image=image, settings=dict(
            SETTINGS, synchronous_standby_names=slot), networks=[{'name': network.name, 'aliases': ['pg-primary']}]))
        assert not result.failed, result.get('msg')
        started = time.time()
        conn = engine_postgres.open_session(primary_ip, 5432, 'postgres', ROOT_PASSWORD, 'postgres', 10)
        assert repl.configure_primary(conn, REPL_USER, new_password, [standby], synchronous_standby_names=slot,
                                      docker=helper, container=primary) == (False, [])
        facts = wait_for(lambda: status_when(conn, lambda f: f['severity'] == 'ok' and f['replication']),
                         timeout=60)
        print('standby back and synchronous %.1f s after the primary restarted' % (time.time() - started))
        assert facts['replication'][0]['sync_state'] == 'sync'
        docker_client.containers.get(standby).stop(timeout=30)
        facts = wait_for(lambda: status_when(conn, lambda f: f['severity'] == 'critical'), timeout=30)
        assert any('every commit waits' in reason for reason in facts['reasons'])
        assert any('inactive' in reason for reason in facts['reasons'])
    finally:
        if conn is not None:
            conn.close()
        for name in (standby, primary, other, broken):
            run_module('db_container', base_args(name, engine, image=image, state='absent', purge_data=True))
        network.remove()
