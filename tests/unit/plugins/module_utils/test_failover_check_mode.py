# -*- coding: utf-8 -*-
"""db_failover's drivers in check mode: they read, never write.

The drivers run on a connection that records every statement and answers reads as MariaDB and PostgreSQL
answer them; the same call outside check mode issues the write, so the check-mode assertions can fail.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.failover import cluster
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import failover as fm
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import failover as fp
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

READS = ('SELECT', 'SHOW')


class RecordingCursor(object):
    def __init__(self, answers, log):
        self.answers, self.log = answers, log
        self.description, self._rows = None, []

    def execute(self, sql, params=None):
        self.log.append(sql)
        self.description, self._rows = None, []
        for fragment, columns, rows in self.answers:
            if fragment in sql:
                self.description = [(c,) for c in columns]
                self._rows = rows
                return

    def fetchall(self):
        return self._rows

    def close(self):
        pass


class RecordingConnection(object):
    def __init__(self, answers, log):
        self.answers, self.log = answers, log

    def cursor(self):
        return RecordingCursor(self.answers, self.log)

    def close(self):
        pass


class FakeCluster(object):
    def __init__(self, answers, restart='unless-stopped', running=True):
        self.params = {}
        self.answers, self.log = answers, []
        inspect = {'Id': 'x', 'State': {'Running': running}, 'HostConfig': {'RestartPolicy': {'Name': restart}}}
        self.nodes = [cluster.Node(name, inspect=dict(inspect)) for name in ('db1', 'db2')]
        self.by_name = dict((node.name, node) for node in self.nodes)

    def connect(self, node, timeout=None, query_timeout=None):
        return RecordingConnection(self.answers, self.log)

    def refresh(self, node):
        return node


def writes(log):
    return [sql for sql in log if not sql.lstrip().upper().startswith(READS)]


MARIADB = [('VERSION()', ['version', 'server_id', 'hostname'], [('10.11.6-MariaDB-log', 2, 'db2')]),
           ('MASTER_GTID_WAIT', ['w'], [(0,)])]


@pytest.mark.parametrize('check_mode', [True, False])
def test_mysql_forced_candidate_with_a_stopped_sql_thread(check_mode):
    cluster = FakeCluster(MARIADB)
    row = {'name': 'db2', 'flavor': 'mariadb', 'sql_running': False, 'received': '0-1-42'}
    fm.FailoverDriver(cluster).ensure_caught_up(cluster.by_name['db2'], row, 5, True, check_mode=check_mode)
    if check_mode:
        assert writes(cluster.log) == []
        assert not [sql for sql in cluster.log if 'GTID_WAIT' in sql]
    else:
        assert writes(cluster.log) == ['START SLAVE SQL_THREAD']


def test_mysql_check_mode_still_refuses_a_stopped_sql_thread_without_force():
    cluster = FakeCluster(MARIADB)
    row = {'name': 'db2', 'flavor': 'mariadb', 'sql_running': False, 'received': '0-1-42'}
    with pytest.raises(DbopsError) as error:
        fm.FailoverDriver(cluster).ensure_caught_up(cluster.by_name['db2'], row, 5, False, check_mode=True)
    assert error.value.parameter == 'max_lag' and writes(cluster.log) == []


def stopped_row(io_state, source='db1'):
    return {'name': 'db2', 'flavor': 'mariadb', 'sql_running': False, 'io_state': io_state, 'source': source,
            'received': '0-1-42'}


@pytest.mark.parametrize('row, down, paused', [
    # Both threads stopped, following the dead primary: a failover's promotion stopped them (watcher killed).
    (stopped_row('No'), {'db1'}, False),
    # Both stopped, following a candidate that died: the undo of a re-point that failed.
    (stopped_row('No', source='db3'), {'db1', 'db3'}, False),
    # Only the SQL thread stopped: paused on purpose, whether its source lives or died since.
    (stopped_row('Yes'), set(), True),
    (stopped_row('Connecting'), {'db1'}, True),
    (stopped_row('Preparing'), {'db1'}, True),
    # Both stopped while its source still runs: stopped by someone, not by a failover of that source.
    (stopped_row('No'), set(), True),
    (stopped_row('No', source=''), {'db1'}, True),
    # A running SQL thread is never a pause (a delayed replica is judged by max_lag).
    (dict(stopped_row('Yes'), sql_running=True), set(), False),
])
def test_mysql_paused_by_operator(row, down, paused):
    assert fm.paused_by_operator(row, down) is paused


def test_mysql_candidate_whose_threads_a_failover_stopped_applies_and_is_waited_for():
    # The fault suite: the watcher killed between its promotion's STOP SLAVE and RESET SLAVE ALL left db2
    # stopped, following the fenced db1; every later round refused it and the cluster had no primary.
    cluster = FakeCluster(MARIADB)
    cluster.by_name['db1'].inspect = {'Id': 'x', 'State': {'Running': False}}
    fm.FailoverDriver(cluster).ensure_caught_up(cluster.by_name['db2'], stopped_row('No'), 5, False)
    assert writes(cluster.log) == ['START SLAVE SQL_THREAD']
    assert [sql for sql in cluster.log if 'MASTER_GTID_WAIT' in sql]      # its positions judged as usual


def test_mysql_candidate_paused_while_its_io_thread_ran_is_still_refused():
    cluster = FakeCluster(MARIADB)
    cluster.by_name['db1'].inspect = {'Id': 'x', 'State': {'Running': False}}
    with pytest.raises(DbopsError, match='SQL thread stopped while its IO thread runs') as error:
        fm.FailoverDriver(cluster).ensure_caught_up(cluster.by_name['db2'], stopped_row('Connecting'), 5, False)
    assert error.value.parameter == 'max_lag' and writes(cluster.log) == []


def test_mysql_check_mode_leaves_a_failover_stopped_candidate_stopped():
    cluster = FakeCluster(MARIADB)
    cluster.by_name['db1'].inspect = {'Id': 'x', 'State': {'Running': False}}
    fm.FailoverDriver(cluster).ensure_caught_up(cluster.by_name['db2'], stopped_row('No'), 5, False, check_mode=True)
    assert writes(cluster.log) == []


POSTGRES = [('pg_wal_replay_resume', ['r'], [('',)]),
            ('pg_last_wal_replay_lsn', ['lsn'], [('0/3000060',)])]


@pytest.mark.parametrize('check_mode', [True, False])
def test_postgres_forced_candidate_with_paused_replay(check_mode):
    cluster = FakeCluster(POSTGRES)
    row = {'name': 'db2', 'paused': True, 'received': '0/3000060'}
    fp.FailoverDriver(cluster).ensure_caught_up(cluster.by_name['db2'], row, 5, True, check_mode=check_mode)
    resumed = [sql for sql in cluster.log if 'pg_wal_replay_resume' in sql]
    assert resumed == ([] if check_mode else ['SELECT pg_wal_replay_resume()'])


def replica_status(source, io='Yes', sql='Yes'):
    return [('VERSION()', ['version', 'server_id', 'hostname'], [('10.11.6-MariaDB-log', 2, 'db2')]),
            ('SHOW', ['Slave_IO_Running', 'Slave_SQL_Running', 'Master_Host', 'Using_Gtid'],
             [(io, sql, source, 'Slave_Pos')])]


@pytest.mark.parametrize('answers, restart, running, expected', [
    (replica_status('db1'), 'unless-stopped', True, True),
    (replica_status('db3'), 'unless-stopped', True, False),           # follows another node
    (replica_status('db1', sql='No'), 'unless-stopped', True, False),  # SQL thread stopped
    (replica_status('db1'), 'no', True, False),                        # still fenced
    (replica_status('db1'), 'unless-stopped', False, False),           # stopped
    (replica_status(''), 'unless-stopped', True, False),               # not a replica
])
def test_mysql_follows_reads_the_replica_status(answers, restart, running, expected):
    cluster = FakeCluster(answers, restart=restart, running=running)
    driver = fm.FailoverDriver(cluster)
    assert driver.follows(cluster.by_name['db2'], cluster.by_name['db1']) is expected
    assert writes(cluster.log) == []


@pytest.mark.parametrize('standby, sender, expected', [
    (True, 'db1', True), (True, None, False), (True, 'db3', False), (False, None, False)])
def test_postgres_follows_reads_the_wal_receiver(standby, sender, expected):
    cluster = FakeCluster([('pg_is_in_recovery', ['standby', 'sender'], [(standby, sender)])])
    driver = fp.FailoverDriver(cluster)
    assert driver.follows(cluster.by_name['db2'], cluster.by_name['db1']) is expected
    assert writes(cluster.log) == []
