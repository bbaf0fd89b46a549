# -*- coding: utf-8 -*-
"""Bad input to db_replication, db_failover, db_tune_report, db_volume_files and db_monitoring_user,
against RUNNING replicated servers: a MariaDB 11.8 primary and replica, a PostgreSQL 18 primary and
standby, all made by db_container and db_replication.

Each case is what a user could really write. Each must fail naming the parameter to fix and how,
print no traceback, and leave everything as it was: the containers, volumes and networks, every
server's configuration files, accounts, replication and data (unchanged.Snapshot), and every
server still answering a query."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time
import uuid

import docker
import pytest

from conftest import TEST_LABEL, base_args, run_module
from unchanged import Snapshot, assert_serving, assert_unchanged, server_state, write_ledger

PREFIX = 'dbt-%s-' % uuid.uuid4().hex[:6]
NET = PREFIX + 'net'
MP, MR = PREFIX + 'mp', PREFIX + 'mr'          # MariaDB primary, replica
PP, PS = PREFIX + 'pp', PREFIX + 'ps'          # PostgreSQL primary, standby
FOREIGN = PREFIX + 'foreign'                   # a plain container with a volume of its own
FOREIGN_VOLUME = PREFIX + 'foreign-vol'
SERVERS = (MP, MR, PP, PS)
MISSING = PREFIX + 'nosuch'
REPL_PASSWORD = 'Repl-Pa55;w"ord'
MARIADB_IMAGE = 'localhost/dbops/mariadb:11.8'
POSTGRES_IMAGE = 'localhost/dbops/postgres:18'


def mariadb_settings(server_id):
    return {'server_id': server_id, 'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON'}


PG_SETTINGS = {'wal_level': 'replica', 'max_wal_senders': 10, 'max_replication_slots': 10, 'hot_standby': 'on',
               'wal_log_hints': 'on'}


def provision(name, engine, settings):
    args = base_args(name, engine, settings=settings, restart_policy='unless-stopped',
                     image=MARIADB_IMAGE if engine == 'mariadb' else POSTGRES_IMAGE,
                     networks=[{'name': NET, 'aliases': [name]}])
    result = run_module('db_container', args)
    assert not result.failed, result.get('msg')


def ok(result):
    assert not result.failed, result.get('msg')
    return result


def wait_replicated(docker_client, server, rows):
    deadline = time.time() + 60
    while True:
        try:
            if assert_serving(docker_client, server) == rows:
                return
        except Exception:  # noqa: BLE001 - the table may not have arrived yet
            pass
        assert time.time() < deadline, 'the ledger did not reach %s' % server
        time.sleep(0.5)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """Password files: the right one, a wrong one, an empty one, and a missing path; a report directory."""
    base = tmp_path_factory.mktemp('bad-input-modules')
    paths = {'right': base / 'replication', 'wrong': base / 'wrong', 'empty': base / 'empty',
             'missing': base / 'no-such-file', 'reports': base / 'reports'}
    paths['right'].write_text(REPL_PASSWORD + '\n')
    paths['wrong'].write_text('not-the-password\n')
    paths['empty'].write_text('')
    paths['reports'].mkdir()
    return dict((k, str(v)) for k, v in paths.items())


@pytest.fixture(scope='module')
def cluster(docker_client, local_images, files):
    """The four running servers, replicating, each holding the same ledger; a foreign container."""
    docker_client.networks.create(NET, labels=TEST_LABEL)
    foreign = None
    try:
        for index, name in enumerate((MP, MR)):
            provision(name, 'mariadb', mariadb_settings(index + 1))
        ok(run_module('db_replication', {'role': 'primary', 'container': MP,
                                         'replication_password_file': files['right']}))
        ok(run_module('db_replication', {'role': 'replica', 'container': MR, 'primary_container': MP,
                                         'replication_password_file': files['right']}))
        provision(PP, 'postgres', PG_SETTINGS)
        ok(run_module('db_replication', {'role': 'primary', 'container': PP, 'standby_names': [PS],
                                         'replication_password_file': files['right']}))
        ok(run_module('db_replication', {'role': 'replica', 'engine': 'postgres', 'container': PS,
                                         'primary_container': PP, 'replication_password_file': files['right']}))
        provision(PS, 'postgres', PG_SETTINGS)
        ok(run_module('db_replication', {'role': 'replica', 'container': PS, 'primary_container': PP,
                                         'replication_password_file': files['right']}))
        write_ledger(docker_client, MP)
        write_ledger(docker_client, PP)
        wait_replicated(docker_client, MR, 20)
        wait_replicated(docker_client, PS, 20)
        foreign = docker_client.containers.create(MARIADB_IMAGE, name=FOREIGN, labels=TEST_LABEL,
                                                  entrypoint=['sleep', 'infinity'],
                                                  volumes={FOREIGN_VOLUME: {'bind': '/srv/app'}})
        foreign.start()
        yield files
    finally:
        if foreign is not None:
            foreign.remove(force=True, v=True)
        for name, engine in ((MR, 'mariadb'), (MP, 'mariadb'), (PS, 'postgres'), (PP, 'postgres')):
            run_module('db_container', base_args(name, engine, state='absent', purge_data=True))
        # By summary, not containers.list(): that inspects every container, and other tests' short-lived
        # ones vanish meanwhile.
        for summary in docker_client.api.containers(all=True, filters={'name': PREFIX}):
            try:
                docker_client.api.remove_container(summary['Id'], force=True, v=True)
            except docker.errors.NotFound:
                pass
        for volume in docker_client.volumes.list():
            if volume.name.startswith(PREFIX):
                volume.remove(force=True)
        docker_client.networks.get(NET).remove()


def replication(role, container, password='right', **extra):
    def args(files):
        result = {'role': role, 'container': container}
        if password:
            result['replication_password_file'] = files[password]
        result.update(extra)
        return result
    return 'db_replication', args


def failover(mode, engine, nodes, password='right', **extra):
    def args(files):
        result = {'mode': mode, 'engine': engine, 'nodes': [{'name': n} for n in nodes], 'network': NET,
                  'probe_interval': 0.3}
        if password:
            result['replication_password_file'] = files[password]
        result.update(extra)
        return result
    return 'db_failover', args


def module(name, **fixed):
    def args(files):
        return dict((k, v(files) if callable(v) else v) for k, v in fixed.items())
    return name, args


def report_in(*parts):
    return lambda files: os.path.join(files['reports'], *parts)


MARIADB = [MP, MR]
POSTGRES = [PP, PS]

# (case id, (module, args(files)), the parameter to fix, words the message must hold[, a reported bug])
CASES = [
    # ---------------------------------------------------------------- db_replication, MariaDB
    ('replication: a replica of itself', replication('replica', MR, primary_container=MR),
     'primary_container', ['another server']),
    ('replication: a primary that does not exist', replication('replica', MR, primary_container=MISSING),
     'primary_container', [MISSING]),
    ('replication: a primary of another engine', replication('replica', MR, primary_container=PP),
     'primary_container', ['postgres']),
    ('replication: the wrong replication password', replication('replica', MR, password='wrong',
                                                                primary_container=MP),
     'replication_password', ['Access denied']),
    ('replication: a password file that does not exist',
     replication('replica', MR, password='missing', primary_container=MP),
     'replication_password_file', ['no-such-file']),
    ('replication: an empty password file', replication('primary', MP, password='empty'),
     'replication_password_file', ['empty']),
    ('replication: two primaries (the replica as primary)', replication('primary', MR), 'role', ['one primary']),
    ('replication: an unknown container', replication('status', MISSING, password=None), 'container', [MISSING]),
    ('replication: the engine is not the container\'s', replication('primary', MP, engine='postgres'),
     'engine', ['mariadb']),
    ('replication: a negative semi-sync timeout', replication('primary', MP, semi_sync=True, semi_sync_timeout=-5),
     'semi_sync_timeout', ['milliseconds']),
    ('replication: a replica host with a quote', replication('primary', MP, replica_host="10.0.%' OR '1"),
     'replica_host', ['replica_host']),
    ('replication: a primary port out of range', replication('replica', MR, primary_container=MP,
                                                             primary_port=70000),
     'primary_port', ['65535']),
    ('replication: a replica set on MariaDB', replication('replicaset', MP, replica_set='rs0'), 'role',
     ['MongoDB']),
    ('replication: a negative wait_timeout', replication('replica', MR, primary_container=MP, wait_timeout=-1),
     'wait_timeout', ['seconds']),
    # ---------------------------------------------------------------- db_replication, PostgreSQL
    ('replication: a standby of itself', replication('replica', PS, primary_container=PS),
     'primary_container', ['another server']),
    ('replication: a standby of a MariaDB primary', replication('replica', PS, primary_container=MP),
     'primary_container', ['mariadb']),
    ('replication: the standby as a second primary', replication('primary', PS, standby_names=[PP]),
     'role', ['standby']),
    ('replication: the wrong password for the standby', replication('replica', PS, password='wrong',
                                                                    primary_container=PP),
     'replication_password', ['password authentication failed']),
    ('replication: a standby name that is no slot name', replication('primary', PP, standby_names=['Bad name!']),
     'standby_names', ['Bad name!']),
    ('replication: an hba source that is no address', replication('primary', PP, standby_names=[PS],
                                                                  hba_source='everywhere'),
     'hba_source', ['samenet']),
    ('replication: a slot name that is no slot name', replication('replica', PS, primary_container=PP,
                                                                  slot='my-slot'),
     'slot', ['my-slot']),
    ('replication: a seed on a network that does not exist',
     replication('replica', PREFIX + 'ps2', primary_container=PP, engine='postgres', network=MISSING),
     'network', [MISSING]),
    ('replication: a seed with an image that does not exist',
     replication('replica', PREFIX + 'ps3', primary_container=PP, engine='postgres',
                 image='localhost/dbops/postgres:99'),
     'image', ['postgres:99']),
    # ---------------------------------------------------------------- db_failover
    ('failover: a healthy primary without force', failover('failover', 'mariadb', MARIADB), 'mode',
     ['not dead', 'switchover']),
    ('failover: a switchover to an unknown node', failover('switchover', 'mariadb', MARIADB, candidate=MISSING),
     'candidate', [MISSING]),
    ('failover: a switchover to the primary itself', failover('switchover', 'mariadb', MARIADB, candidate=MP),
     'candidate', [MP]),
    ('failover: the rejoin of the current primary', failover('rejoin', 'mariadb', MARIADB, node=MP), 'node',
     ['current primary']),
    ('failover: the rejoin of a node not in the cluster', failover('rejoin', 'mariadb', MARIADB, node=PP), 'node',
     ['one of the nodes']),
    ('failover: an endpoint container that does not exist',
     failover('switchover', 'mariadb', MARIADB, endpoint={'type': 'haproxy', 'container': MISSING}),
     'endpoint', [MISSING]),
    ('failover: a database container as the haproxy endpoint',
     failover('switchover', 'mariadb', MARIADB, endpoint={'type': 'haproxy', 'container': PP}),
     'endpoint', ['haproxy']),
    ('failover: a negative max_lag', failover('switchover', 'mariadb', MARIADB, max_lag=-1), 'max_lag',
     ['seconds']),
    ('failover: no nodes', failover('check', 'mariadb', []), 'nodes', ['nodes']),
    ('failover: one node only', failover('switchover', 'mariadb', [MP]), 'nodes', ['replica']),
    ('failover: nodes of another engine', failover('check', 'postgres', MARIADB), 'engine', ['mariadb']),
    ('failover: a node listed twice', failover('check', 'mariadb', [MP, MR, MP]), 'nodes', ['twice']),
    ('failover: an unknown node', failover('check', 'mariadb', [MP, MISSING]), 'nodes', [MISSING]),
    ('failover: a probe timeout of 0', failover('failover', 'mariadb', MARIADB, probe_timeout=0),
     'probe_timeout', ['seconds']),
    ('failover: no probe rounds', failover('failover', 'mariadb', MARIADB, probes=0), 'probes', ['1 or more']),
    ('failover: a network that does not exist', failover('check', 'mariadb', MARIADB, network=MISSING),
     'network', [MISSING]),
    ('failover: a switchover without the replication password',
     failover('switchover', 'mariadb', MARIADB, password='missing'),
     'replication_password_file', ['no-such-file']),
    ('failover: PostgreSQL switchover to the primary', failover('switchover', 'postgres', POSTGRES, candidate=PP),
     'candidate', [PP]),
    ('failover: PostgreSQL rejoin of the primary', failover('rejoin', 'postgres', POSTGRES, node=PP), 'node',
     ['current primary']),
    ('failover: primary named as the standby', failover('switchover', 'postgres', POSTGRES, primary=PS,
                                                        candidate=PP),
     'primary', [PS, 'is not the primary']),
    # ---------------------------------------------------------------- db_tune_report
    ('tune report: an unknown container', module('db_tune_report', container=MISSING), 'container', [MISSING]),
    ('tune report: the wrong engine', module('db_tune_report', container=MP, engine='postgres'), 'engine',
     ['mariadb']),
    ('tune report: a format it does not write', module('db_tune_report', container=MP, format='pdf'), 'format',
     ['json', 'markdown']),
    ('tune report: dest in a missing directory', module('db_tune_report', container=PP,
                                                        dest=report_in('no-such-dir', 'r.md')),
     'dest', ['no-such-dir', 'directory']),
    ('tune report: dest is a directory', module('db_tune_report', container=PP, dest=report_in()), 'dest',
     ['directory']),
    ('tune report: dest not writable', module('db_tune_report', container=MP, dest='/proc/dbops-report.md'),
     'dest', ['/proc']),
    ('tune report: memory with junk', module('db_tune_report', container=MP, memory='4gb?'), 'memory',
     ['4gb?']),
    ('tune report: zero CPUs', module('db_tune_report', container=MP, cpus=0), 'cpus', ['cpus']),
    ('tune report: negative memory', module('db_tune_report', container=PP, memory='-2g'), 'memory', ['-2g']),
    ('tune report: an unknown profile', module('db_tune_report', container=PP, profile='olap'), 'profile',
     ['oltp']),
    # ---------------------------------------------------------------- db_volume_files
    ('volume files: a path that leaves the volume',
     module('db_volume_files', volume=PREFIX + 'vf1', image=MARIADB_IMAGE, files=[{'path': '../etc/passwd'}]),
     'files', ['leaves the volume']),
    ('volume files: a path that leaves it further down',
     module('db_volume_files', volume=PREFIX + 'vf1', image=MARIADB_IMAGE, files=[{'path': 'conf/../../x'}]),
     'files', ['leaves the volume']),
    ('volume files: an absolute path',
     module('db_volume_files', volume=PREFIX + 'vf1', image=MARIADB_IMAGE,
            files=[{'path': '/etc/prometheus/prometheus.yml'}]),
     'files', ['absolute', 'relative']),
    ('volume files: a mode that is not octal',
     module('db_volume_files', volume=PREFIX + 'vf1', image=MARIADB_IMAGE, files=[{'path': 'a', 'mode': '0999'}]),
     'files', ['octal']),
    ('volume files: a mode with the file type bits',
     module('db_volume_files', volume=PREFIX + 'vf1', image=MARIADB_IMAGE, files=[{'path': 'a', 'mode': '100644'}]),
     'files', ['0000 to 7777']),
    ('volume files: a negative uid',
     module('db_volume_files', volume=PREFIX + 'vf1', image=MARIADB_IMAGE, files=[{'path': 'a', 'uid': -1}]),
     'files', ['uid']),
    ('volume files: a volume name Docker refuses',
     module('db_volume_files', volume='my volume!', image=MARIADB_IMAGE, files=[{'path': 'a'}]),
     'volume', ['not a valid volume name']),
    ('volume files: an image the host does not have',
     module('db_volume_files', volume=PREFIX + 'vf1', image='localhost/dbops/nosuch:1', files=[{'path': 'a'}]),
     'image', ['not on the Docker host']),
    ('volume files: the data volume of a database',
     module('db_volume_files', volume=MP + '-data', image=MARIADB_IMAGE, files=[{'path': 'x.cnf'}]),
     'volume', ['database container', MP]),
    ('volume files: the configuration volume of a database',
     module('db_volume_files', volume=PP + '-config', image=POSTGRES_IMAGE,
            files=[{'path': 'postgresql.conf', 'content': 'fsync = off\n'}]),
     'volume', ['database container', PP]),
    ('volume files: a volume of a container not ours',
     module('db_volume_files', volume=FOREIGN_VOLUME, image=MARIADB_IMAGE, files=[{'path': 'app.conf'}]),
     'volume', ['not created by db_volume_files', FOREIGN]),
    # ---------------------------------------------------------------- db_monitoring_user
    ('monitoring user: negative max_connections',
     module('db_monitoring_user', container=MP, password='Exp-pa55', max_connections=-1),
     'max_connections', ['at least 1']),
    ('monitoring user: zero max_connections on PostgreSQL',
     module('db_monitoring_user', container=PP, password='Exp-pa55', max_connections=0),
     'max_connections', ['at least 1']),
    ('monitoring user: an unknown container',
     module('db_monitoring_user', container=MISSING, password='Exp-pa55'), 'container', [MISSING]),
    ('monitoring user: the wrong engine',
     module('db_monitoring_user', container=MP, engine='postgres', password='Exp-pa55'), 'engine', ['mariadb']),
    ('monitoring user: on a standby',
     module('db_monitoring_user', container=PS, password='Exp-pa55'), 'container', ['standby']),
    ('monitoring user: a password with a line break',
     module('db_monitoring_user', container=MP, password='a\nb'), 'password', ['line break']),
]


def case_param(case):
    """A pytest parameter; a fifth element is a reported bug the case is expected to fail on."""
    marks = [pytest.mark.xfail(strict=True, reason=case[4])] if len(case) > 4 else []
    return pytest.param(*case[1:4], id=case[0], marks=marks)


@pytest.mark.parametrize('call,parameter,words', [case_param(c) for c in CASES])
def test_refused_and_nothing_changed(call, parameter, words, docker_client, cluster):
    name, make_args = call
    before = Snapshot.take(docker_client, PREFIX, servers=SERVERS)
    result = run_module(name, make_args(cluster))
    after = Snapshot.take(docker_client, PREFIX, servers=SERVERS)
    print('%s refused (%s): %s' % (name, result.get('parameter'), result.get('msg')))
    assert result.failed, 'accepted: %r' % dict((k, v) for k, v in result.items() if not k.startswith('_'))
    assert 'Traceback' not in result.get('msg', '') + result['_stderr'], result['_stderr']
    if 'parameter' in result:
        assert result['parameter'] == parameter, result['msg']
    else:   # refused by Ansible's own argument checks, which name the option in the message
        assert parameter in result['msg'], result['msg']
    for word in words:
        assert word in result['msg'], result['msg']
    assert result.get('changed') is not True
    assert_unchanged(before, after)
    for server in SERVERS:
        assert_serving(docker_client, server)


def test_the_snapshot_sees_a_change(docker_client, cluster):
    """The snapshot is worth something: an account, a config file and a row each show up in its diff."""
    import pymysql
    before = Snapshot.take(docker_client, PREFIX, servers=[MP])
    state = server_state(docker_client, MP)
    assert 'zz-dbops.cnf' in ''.join(state), state.keys()
    assert state['ledger'].split()[0] == '20' and 'repl' in state['accounts'], state
    from unchanged import container_address
    conn = pymysql.connect(host=container_address(docker_client, MP), user='root', password='R00t-pass;word"x',
                           autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE USER 'dbt_probe'@'%' IDENTIFIED BY 'x'")
            cursor.execute("UPDATE app.ledger SET note = 'changed' WHERE id = 1")
        after = Snapshot.take(docker_client, PREFIX, servers=[MP])
        changes = '\n'.join(before.diff(after))
        assert 'accounts' in changes and 'dbt_probe' in changes and 'ledger' in changes, changes
    finally:
        with conn.cursor() as cursor:
            cursor.execute("DROP USER 'dbt_probe'@'%'")
            cursor.execute("UPDATE app.ledger SET note = 'entry 1' WHERE id = 1")
        conn.close()
    wait_replicated(docker_client, MR, 20)


REPOINT_CASES = [
    pytest.param(MR, MP, id='MariaDB replica'),
    pytest.param(PS, PP, id='PostgreSQL standby'),
]


@pytest.mark.parametrize('replica,primary', REPOINT_CASES)
def test_a_primary_host_the_replica_cannot_reach(replica, primary, docker_client, cluster):
    """The module reaches the primary (primary_container), the replica cannot (primary_host is a typo): the
    replica must not be left following nothing. Repaired afterwards whatever happened, so the cases after
    this one start from a replicating pair."""
    before = Snapshot.take(docker_client, PREFIX, servers=SERVERS)
    result = run_module('db_replication', {'role': 'replica', 'container': replica, 'primary_container': primary,
                                           'primary_host': 'dbt-typo.invalid', 'wait_timeout': 10,
                                           'replication_password_file': cluster['right']})
    after = Snapshot.take(docker_client, PREFIX, servers=SERVERS)
    repaired = run_module('db_replication', {'role': 'replica', 'container': replica, 'primary_container': primary,
                                             'primary_host': primary, 'replication_password_file': cluster['right']})
    print('refused (%s): %s' % (result.get('parameter'), result.get('msg')))
    assert not repaired.failed, repaired.get('msg')
    assert result.failed and result['parameter'] == 'primary_host', result.get('msg')
    assert 'dbt-typo.invalid' in result['msg']
    assert_unchanged(before, after)
