# -*- coding: utf-8 -*-
"""durability required on real PostgreSQL servers (db_container, db_replication, db_failover).

What a DBA relies on: the failover driver reads whether the primary's commits wait for a standby; after a
kill -9 failover with one standby the new primary's commits wait until the old primary is re-joined (no
commit is acknowledged that only one server has), and then return; the old primary's diverged data is
copied into a volume of its own before pg_rewind undoes it, and a node that did not diverge is re-joined
without a copy."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time
import uuid

import docker
import psycopg2
import pytest

from conftest import (IMAGES, NEWEST, TEST_LABEL, base_args, ip_on, nodes_play, pg_query, require_image,
                      run_module, run_playbook, wait_for)
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import DockerHelper
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import slot_name_for
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import Cluster

ROOT_PASSWORD = base_args('x', 'postgres')['root_password']
PG_SETTINGS = {'wal_level': 'replica', 'max_wal_senders': 10, 'max_replication_slots': 10, 'hot_standby': 'on',
               'wal_log_hints': 'on'}
DIVERGED = '-dbops-diverged-'


def connect(ip):
    conn = psycopg2.connect(host=ip, user='postgres', password=ROOT_PASSWORD, dbname='postgres', connect_timeout=5)
    conn.autocommit = True
    return conn


class Writer(threading.Thread):
    """One INSERT on its own session, in the background: when it returned, and how."""

    def __init__(self, ip, row):
        super(Writer, self).__init__(daemon=True)
        self.ip, self.row = ip, row
        self.returned_at = None
        self.error = None

    def run(self):
        try:
            conn = connect(self.ip)
            try:
                with conn.cursor() as cursor:
                    cursor.execute('INSERT INTO ledger VALUES (%s)', (self.row,))
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - the test asserts what happened
            self.error = exc
        self.returned_at = time.time()


def waits_for_standby(ip, row):
    """True when a session of the server at ip waits for a synchronous standby to confirm row's INSERT."""
    return pg_query(ip, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep' "
                        "AND query LIKE 'INSERT INTO ledger VALUES (%d)%%'" % row)[0][0] == 1


def params(names, network, password_file, mode='check', **extra):
    found = {'mode': mode, 'engine': 'postgres', 'nodes': [{'name': name} for name in names], 'network': network,
             'replication_password_file': str(password_file), 'probe_interval': 0.3, 'probe_timeout': 1,
             'probes': 3, 'wait_timeout': 60}
    found.update(extra)
    return found


def failover(mode, names, network, password_file, **extra):
    result = run_module('db_failover', params(names, network, password_file, mode, **extra))
    assert not result.failed, result.get('msg')
    return result


def diverged_volumes(docker_client, name):
    return sorted(v.name for v in docker_client.volumes.list() if v.name.startswith(name + DIVERGED))


def build_pair(docker_client, image, primary, standby, network, password_file):
    """A primary and one streaming standby, each provisioned by db_container and db_replication."""
    for name in (primary, standby):
        if name == standby:
            assert not run_module('db_replication', {
                'role': 'replica', 'engine': 'postgres', 'container': standby, 'primary_container': primary,
                'replication_password_file': str(password_file)}).failed
        result = run_module('db_container', base_args(name, 'postgres', image=image, settings=PG_SETTINGS,
                                                      restart_policy='unless-stopped',
                                                      networks=[{'name': network, 'aliases': [name]}]))
        assert not result.failed, result.get('msg')
        if name == primary:
            assert not run_module('db_replication', {
                'role': 'primary', 'container': primary, 'standby_names': [standby],
                'replication_password_file': str(password_file)}).failed
    result = run_module('db_replication', {'role': 'replica', 'container': standby, 'primary_container': primary,
                                           'replication_password_file': str(password_file)})
    assert not result.failed, result.get('msg')


def require_sync(ip, standby):
    """durability required as the cluster role sets it: commits wait for ANY 1 of the standbys."""
    pg_query(ip, "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (\"%s\")'" % slot_name_for(standby))
    pg_query(ip, 'SELECT pg_reload_conf()')
    wait_for(lambda: pg_query(ip, "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN "
                                  "('sync', 'quorum')")[0][0] == 1, timeout=20, delay=0.2)


def read_kept_row(docker_client, image, volume, name, row):
    """Start a server read-only on a copy of the kept volume: does the diverged data hold row?"""
    labels = docker_client.volumes.get(volume).attrs['Labels']
    source = docker_client.api.inspect_volume(labels['dbops.copied_from_volume'])['Name']
    inspect = docker_client.api.inspect_container(labels['dbops.diverged_from'])
    mount_point = [m['Destination'] for m in inspect['Mounts'] if m.get('Name') == source][0]
    pgdata = [e.split('=', 1)[1] for e in inspect['Config']['Env'] if e.startswith('PGDATA=')][0]
    reader = docker_client.containers.run(
        image, entrypoint=['postgres'], command=['-D', pgdata, '-c', 'listen_addresses=', '-c',
                                                 'unix_socket_directories=/tmp'],
        user='postgres', name=name, labels=TEST_LABEL, detach=True, network_mode='none',
        volumes={volume: {'bind': mount_point, 'mode': 'rw'}})
    try:
        def answer():
            code, output = reader.exec_run(['psql', '-h', '/tmp', '-U', 'postgres', '-d', 'postgres', '-Atc',
                                            'SELECT count(*) FROM ledger WHERE id = %d' % row],
                                           user='postgres', environment={'PGPASSWORD': ROOT_PASSWORD})
            return output.decode().strip() if code == 0 else None
        return int(wait_for(answer, timeout=60, delay=0.5))
    finally:
        reader.remove(force=True, v=True)


def test_synchronous_commits_read_on_real_primaries(docker_client, container_name, tmp_path):
    """SqlFailoverDriver.synchronous_commits on every local PostgreSQL version, as the controller probe
    reads it every round (FailoverDriver.synchronous_seen)."""
    network = docker_client.networks.create(container_name('sn') + '-net', labels=TEST_LABEL).name
    names = []
    try:
        for version, image in sorted(IMAGES['postgres'].items()):
            require_image(docker_client, image)
            name = container_name('sync%s' % version)
            names.append(name)
            result = run_module('db_container', base_args(name, 'postgres', image=image,
                                                          networks=[{'name': network, 'aliases': [name]}]))
            assert not result.failed, result.get('msg')
            ip = ip_on(docker_client, name, network)
            cluster = Cluster(params([name], network, tmp_path / 'unused', login_password=ROOT_PASSWORD))
            driver, node = cluster.driver, cluster.nodes[0]

            def state():
                conn = cluster.connect(node, 5)
                try:
                    return driver.synchronous_commits(conn)
                finally:
                    conn.close()

            assert state() is False, version            # no synchronous_standby_names: asynchronous
            for names_value, level, expected in (('ANY 1 (nobody)', 'on', True),
                                                 ('ANY 1 (nobody)', 'local', False),
                                                 ('ANY 1 (nobody)', 'remote_apply', True),
                                                 ('', 'remote_apply', False)):
                pg_query(ip, "ALTER SYSTEM SET synchronous_standby_names = '%s'" % names_value)
                pg_query(ip, "ALTER SYSTEM SET synchronous_commit = '%s'" % level)
                pg_query(ip, 'SELECT pg_reload_conf()')
                assert state() is expected, (version, names_value, level)
                assert driver.controller_probe(node) is True
                assert driver.synchronous_seen[1] is expected, (version, names_value, level)
                assert time.time() - driver.synchronous_seen[0] < 5
            # A query_timeout (what the watcher's probe gives) ends a statement the server does not finish.
            probe = cluster.connect(node, 5, query_timeout=1)
            try:
                started = time.time()
                with pytest.raises(Exception, match='statement timeout'):
                    probe.cursor().execute('SELECT pg_sleep(4)')
                assert time.time() - started < 3, version
            finally:
                probe.close()
    finally:
        for name in names:
            run_module('db_container', base_args(name, 'postgres', state='absent', purge_data=True))
        docker_client.networks.get(network).remove()


@pytest.mark.parametrize('version', [NEWEST['postgres'], '15'])
def test_required_commit_waits_for_the_rejoined_old_primary(docker_client, container_name, tmp_path, version):
    image = require_image(docker_client, IMAGES['postgres'][version])
    password_file = tmp_path / 'replication'
    password_file.write_text('Pg:Repl\\pa55;"x\n')
    primary, standby = container_name('pa'), container_name('pb')
    network = docker_client.networks.create(primary + '-net', labels=TEST_LABEL).name
    names = [primary, standby]
    kept = []
    try:
        build_pair(docker_client, image, primary, standby, network, password_file)
        ips = {name: ip_on(docker_client, name, network) for name in names}
        require_sync(ips[primary], standby)
        # A standby whose own configuration lets a commit return locally: promoted under required, it waits.
        pg_query(ips[standby], "ALTER SYSTEM SET synchronous_commit = 'local'")
        pg_query(ips[standby], 'SELECT pg_reload_conf()')
        pg_query(ips[primary], 'CREATE TABLE ledger (id int PRIMARY KEY)')
        pg_query(ips[primary], 'INSERT INTO ledger SELECT generate_series(1, 50)')

        # The old primary diverges: with its standby cut off (a partition; a paused container would still
        # take the WAL into its socket buffers), a commit is written on the primary and waits for the
        # standby (never acknowledged), then the primary is killed -9 and the standby comes back.
        docker_client.networks.get(network).disconnect(standby)
        unacknowledged = Writer(ips[primary], 51)
        unacknowledged.start()
        wait_for(lambda: waits_for_standby(ips[primary], 51), timeout=10, delay=0.1)
        docker_client.api.kill(primary)
        docker_client.networks.get(network).connect(standby, aliases=[standby])
        ips[standby] = ip_on(docker_client, standby, network)
        unacknowledged.join(10)
        assert unacknowledged.error is not None, 'a commit no standby had was acknowledged'

        result = failover('failover', names, network, password_file)
        assert result['new_primary'] == standby
        # durability required (db_failover's default): the new primary waits for the old one, by its slot.
        assert pg_query(ips[standby], 'SHOW synchronous_standby_names') == [
            ('ANY 1 ("%s")' % slot_name_for(primary),)]
        assert pg_query(ips[standby], 'SHOW synchronous_commit') == [('on',)]
        assert pg_query(ips[standby], 'SELECT count(*), max(id) FROM ledger') == [(50, 50)]

        # A commit on the new primary waits: no standby streams until the old primary is re-joined.
        waiting = Writer(ips[standby], 52)
        waiting.start()
        wait_for(lambda: waits_for_standby(ips[standby], 52), timeout=10, delay=0.1)
        time.sleep(2)
        assert waiting.returned_at is None, 'the new primary acknowledged a commit no standby had'

        # The old primary, killed -9 and fenced (stopped, restart policy no), re-joined as it is.
        assert docker_client.api.inspect_container(primary)['State']['Running'] is False
        rejoin_started = time.time()
        result = failover('rejoin', names, network, password_file, node=primary)
        print('\nrejoin of a diverged old primary (PostgreSQL %s): %.1f s, kept in %s'
              % (version, time.time() - rejoin_started, result.get('kept_data_volume')))
        kept = diverged_volumes(docker_client, primary)
        assert result['kept_data_volume'] in kept and len(kept) == 1, (result, kept)
        labels = docker_client.volumes.get(kept[0]).attrs['Labels']
        assert labels['dbops.managed'] == 'true' and labels['dbops.diverged_from'] == primary
        waiting.join(30)
        assert waiting.error is None and waiting.returned_at is not None, waiting.error
        assert waiting.returned_at > rejoin_started
        # The re-joined node is the synchronous standby, and has the new history (not row 51).
        wait_for(lambda: pg_query(ips[standby], "SELECT application_name, sync_state FROM pg_stat_replication")
                 == [(slot_name_for(primary), 'quorum')], timeout=10, delay=0.2)
        ips[primary] = ip_on(docker_client, primary, network)
        wait_for(lambda: pg_query(ips[primary], 'SELECT count(*) FROM ledger WHERE id = 52')[0][0] == 1, 20, 0.2)
        assert pg_query(ips[primary], 'SELECT count(*) FROM ledger WHERE id = 51') == [(0,)]
        # The kept copy holds what was undone: the never-acknowledged row 51.
        assert read_kept_row(docker_client, image, kept[0], container_name('kept'), 51) == 1

        cluster = Cluster(params(names, network, password_file))
        conn = cluster.connect(cluster.by_name[standby], 5)
        try:
            assert cluster.driver.synchronous_commits(conn) is True
        finally:
            conn.close()
        conn = cluster.connect(cluster.by_name[primary], 5)
        try:
            assert cluster.driver.synchronous_commits(conn) is None   # a standby commits nothing
        finally:
            conn.close()

        # Stopped cleanly, the primary sends everything, its shutdown checkpoint included: the standby
        # promoted after it holds its whole history, and the rejoin follows with no copy and no rewind.
        docker_client.api.stop(standby, timeout=30)
        result = failover('failover', names, network, password_file)
        assert result['new_primary'] == primary
        assert pg_query(ips[primary], 'SHOW synchronous_standby_names') == [('ANY 1 ("%s")' % slot_name_for(standby),)]
        result = failover('rejoin', names, network, password_file, node=standby)
        assert 'kept_data_volume' not in result, result
        assert diverged_volumes(docker_client, standby) == []
        started = time.time()
        pg_query(ips[primary], 'INSERT INTO ledger VALUES (53)')
        assert time.time() - started < 5
        wait_for(lambda: pg_query(ips[primary], "SELECT application_name, sync_state FROM pg_stat_replication")
                 == [(slot_name_for(standby), 'quorum')], timeout=10, delay=0.2)
    finally:
        for name in names:
            run_module('db_container', base_args(name, 'postgres', state='absent', purge_data=True))
        for volume in diverged_volumes(docker_client, primary) + diverged_volumes(docker_client, standby):
            docker_client.volumes.get(volume).remove(force=True)
        assert diverged_volumes(docker_client, primary) == []
        docker_client.networks.get(network).remove()


CLUSTER_PLAY = r'''
- name: A PostgreSQL cluster with the case's variables
  hosts: postgresql_cluster
  gather_facts: false
  vars:
    postgresql_cluster_name: "{{ t_prefix }}"
    postgresql_cluster_replication_password: Repl-Pa55word
    postgresql_cluster_endpoint: none
    postgresql_root_password: R00t-Pa55word
    postgresql_password: App-Pa55word
    postgresql_memory: 512m
    postgresql_published_ports: []
    postgresql_labels: {test.dbops: "true"}
  roles:
    - role: dbops.containers.postgresql_cluster
'''


@pytest.mark.parametrize('roles, case, words', [
    (['primary', 'standby'], {'postgresql_cluster_synchronous': False},
     ['postgresql_cluster_synchronous: false asks for asynchronous commits', 'postgresql_cluster_durability is '
      'required (the default)', 'postgresql_cluster_durability: preferred']),
    (['primary'], {},
     ['postgresql_cluster_durability: required makes every commit wait until a standby has it',
      'has no standby']),
    (['primary', 'standby'], {'postgresql_cluster_node_settings': {'synchronous_commit': 'local'}},
     ['postgresql_cluster_node_settings: synchronous_commit local returns before a standby has the commit']),
    (['primary', 'standby'], {'postgresql_cluster_replication_settings': {'wal_level': 'replica',
                                                                          'synchronous_commit': 'off'}},
     ['postgresql_cluster_replication_settings: synchronous_commit off']),
], ids=['synchronous-false', 'no-standby', 'node-commit-local', 'replication-commit-off'])
def test_required_refuses_what_would_acknowledge_alone(docker_client, tmp_path, roles, case, words):
    """Bad combinations with durability required stop the play before any container, naming the variable."""
    prefix = 'dbt-%s-pgd' % uuid.uuid4().hex[:6]
    nodes = ['%s%d' % (prefix, number) for number in range(1, len(roles) + 1)]
    playbook = tmp_path / 'cluster.yml'
    playbook.write_text(nodes_play('postgresql_cluster', 'postgresql_cluster_role', roles) + CLUSTER_PLAY)
    try:
        code, output = run_playbook(playbook, tmp_path / 'vars.json',
                                    dict(case, t_prefix=prefix, t_nodes=nodes))
        assert code != 0, output[-3000:]
        flat = ' '.join(output.split())
        for word in words:
            assert word in flat, '%r not in the output\n%s' % (word, output[-3000:])
        assert not docker_client.containers.list(all=True, filters={'name': prefix})
        assert not [v for v in docker_client.volumes.list() if v.name.startswith(prefix)]
    finally:
        for container in docker_client.containers.list(all=True, filters={'name': prefix}):
            container.remove(force=True, v=True)
        for volume in docker_client.volumes.list():
            if volume.name.startswith(prefix):
                volume.remove(force=True)
        for network in docker_client.networks.list(names=[prefix + '-net']):
            network.remove()


def test_required_cluster_is_synchronous_and_a_second_run_changes_nothing(docker_client, tmp_path):
    """The role's default: built in the order that never waits on itself, synchronous (ANY 1 of the standbys,
    synchronous_commit on), and a second run changes nothing (it keeps the setting from its start)."""
    prefix = 'dbt-%s-pgr' % uuid.uuid4().hex[:6]
    nodes = [prefix + '1', prefix + '2']
    playbook = tmp_path / 'cluster.yml'
    playbook.write_text(nodes_play('postgresql_cluster', 'postgresql_cluster_role', ['primary', 'standby'])
                        + CLUSTER_PLAY)

    def play(**extra):
        return run_playbook(playbook, tmp_path / 'vars.json', dict(extra, t_prefix=prefix, t_nodes=nodes))

    def psql(name, sql):
        code, output = docker_client.containers.get(name).exec_run(['psql', '-XAtc', sql], user='postgres')
        assert code == 0, output
        return output.decode('utf-8').strip()

    try:
        code, output = play()
        assert code == 0, output[-4000:]
        assert psql(nodes[0], 'SHOW synchronous_standby_names') == 'ANY 1 ("%s")' % slot_name_for(nodes[1])
        assert psql(nodes[0], 'SHOW synchronous_commit') == 'on'
        assert psql(nodes[0], 'SELECT sync_state FROM pg_stat_replication') == 'quorum'
        started = time.time()
        psql(nodes[0], 'CREATE TABLE ledger (id int PRIMARY KEY)')
        assert time.time() - started < 5
        code, output = play()
        recap = [line for line in output.splitlines() if line.startswith(tuple(nodes)) and 'ok=' in line]
        assert code == 0 and len(recap) == 2 and all(' changed=0 ' in line for line in recap), output[-4000:]
    finally:
        code, output = play(postgresql_cluster_state='absent', postgresql_purge_data=True)
        for container in docker_client.containers.list(all=True, filters={'name': prefix}):
            container.remove(force=True, v=True)
        for volume in docker_client.volumes.list():
            if volume.name.startswith(prefix):
                volume.remove(force=True)
        assert code == 0, output[-2000:]


def test_copy_volume_keeps_owners_and_modes_and_never_overwrites(docker_client, container_name):
    """DockerHelper.copy_volume, which keeps a diverged old primary's data: a copy a server can start on
    (owners and modes as they were), an existing volume refused, a failed copy leaves no volume."""
    image = require_image(docker_client, IMAGES['postgres'][NEWEST['postgres']])
    # Named <name>-volume: the container_name fixture removes what starts with a name and a dash.
    source, target, taken = (container_name(role) + '-volume' for role in ('src', 'dst', 'taken'))
    docker_client.volumes.create(source, labels=TEST_LABEL)
    docker_client.volumes.create(taken, labels=TEST_LABEL)
    docker_client.containers.run(image, ['sh', '-c', 'mkdir -m 0700 /v/pgdata && echo 18 > /v/pgdata/PG_VERSION && '
                                               'chmod 0600 /v/pgdata/PG_VERSION && chown -R 999:999 /v/pgdata'],
                                 entrypoint=[], remove=True, volumes={source: {'bind': '/v', 'mode': 'rw'}})
    helper = DockerHelper()
    helper.copy_volume(image, source, target, {'dbops.managed': 'true'})
    listing = docker_client.containers.run(image, ['sh', '-c', 'stat -c "%a %u %g %n" /v/pgdata /v/pgdata/PG_VERSION'],
                                           entrypoint=[], remove=True,
                                           volumes={target: {'bind': '/v', 'mode': 'ro'}}).decode().split('\n')
    assert listing[:2] == ['700 999 999 /v/pgdata', '600 999 999 /v/pgdata/PG_VERSION'], listing
    assert docker_client.volumes.get(target).attrs['Labels'] == {'dbops.managed': 'true'}
    with pytest.raises(DbopsError, match='exists already'):
        helper.copy_volume(image, source, taken, {})
    # A copy that cannot run (here: no such image) leaves no half-made volume behind.
    missing = container_name('missing') + '-volume'
    with pytest.raises(docker.errors.ImageNotFound):
        helper.copy_volume('localhost/dbops/no-such-image:0', source, missing, {})
    assert not [v for v in docker_client.volumes.list() if v.name == missing]
