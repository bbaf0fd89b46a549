# -*- coding: utf-8 -*-
"""db_failover's pure decisions (failover.py) and the MySQL driver's pure functions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import gtid
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import lsn
from ansible_collections.dbops.containers.plugins.module_utils.failover import decisions
from ansible_collections.dbops.containers.plugins.module_utils.failover import endpoints
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import failover as fmy
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
U1 = '3E11FA47-71CA-11E1-9E33-C80AA9429562'
U2 = '4f2ab6c0-aaaa-11ee-bbbb-0242ac120002'


# ------------------------------------------------------------------ primary_dead / round_says_dead
# (views, dead?): a strict majority of the observers that answered (None: could not be asked) say
# unreachable, at least two of them, the controller among them.
ROUND_CASES = [
    # two observers (a PostgreSQL primary and one standby): both must say so
    ({'controller': False, 'r1': False}, True),
    ({'controller': False, 'r1': True}, False),
    ({'controller': True, 'r1': False}, False),
    ({'controller': False, 'r1': None}, False),             # the controller alone never decides
    ({'controller': False}, False),
    # three observers
    ({'controller': False, 'r1': False, 'r2': False}, True),
    ({'controller': False, 'r1': False, 'r2': True}, True),  # asymmetric partition: one replica still sees it
    ({'controller': True, 'r1': False, 'r2': True}, False),   # one replica partitioned: no failover
    ({'controller': True, 'r1': False, 'r2': False}, False),  # the controller reaches it: replication trouble
    ({'controller': False, 'r1': True, 'r2': True}, False),   # only the controller lost it
    ({'controller': False, 'r1': False, 'r2': None}, True),   # 2 of the 2 that answered
    ({'controller': False, 'r1': None, 'r2': None}, False),
    ({'controller': False, 'r1': True, 'r2': None}, False),   # 1 of 2 is no majority
    # four observers: three must say so
    ({'controller': False, 'r1': False, 'r2': False, 'r3': True}, True),
    ({'controller': False, 'r1': False, 'r2': True, 'r3': True}, False),   # 2 of 4 is no strict majority
    ({'controller': True, 'r1': False, 'r2': False, 'r3': False}, False),
    ({'controller': False, 'r1': False, 'r2': True, 'r3': None}, True),    # 2 of the 3 that answered
    ({'controller': False, 'r1': False, 'r2': False, 'r3': False}, True),
    ({'r1': False, 'r2': False}, False),                      # no controller's answer: never
]


@pytest.mark.parametrize('views, dead', ROUND_CASES, ids=[decisions.describe_round(v) for v, _d in ROUND_CASES])
def test_round_says_dead_by_strict_majority_with_the_controller(views, dead):
    assert decisions.round_says_dead(views) is dead


def test_primary_dead_needs_consecutive_rounds():
    dead = {'controller': False, 'r1': False}
    alive = {'controller': True, 'r1': False}
    assert not decisions.primary_dead([dead, dead], 3)
    assert decisions.primary_dead([dead, dead, dead], 3)
    assert not decisions.primary_dead([dead, alive, dead], 3)
    assert decisions.primary_dead([alive, dead, dead, dead], 3)     # the last N count
    assert not decisions.primary_dead([dead, dead, dead, alive], 3)
    assert not decisions.primary_dead([dead], 0)


# ------------------------------------------------------------------ choose_candidate
def row(name, position, priority=0, healthy=True):
    return {'name': name, 'position': position, 'priority': priority, 'healthy': healthy}


def test_choose_candidate_by_position_then_priority_then_name():
    assert decisions.choose_candidate([row('a', 10), row('b', 12), row('c', 11)])['name'] == 'b'
    assert decisions.choose_candidate([row('a', 10, 1), row('b', 10, 5), row('c', 9, 100)])['name'] == 'b'
    assert decisions.choose_candidate([row('zed', 10), row('amy', 10), row('bob', 10)])['name'] == 'amy'


def test_choose_candidate_name_prefix_tie():
    assert decisions.choose_candidate([row('db10', 10), row('db1', 10)])['name'] == 'db1'


def test_choose_candidate_skips_unhealthy_and_unknown():
    rows = [row('a', 99, healthy=False), row('b', None), row('c', 3)]
    assert decisions.choose_candidate(rows)['name'] == 'c'
    assert decisions.choose_candidate([row('a', 99, healthy=False), row('b', None)]) is None
    assert decisions.choose_candidate([]) is None


# ------------------------------------------------------------------ positions
def test_parse_lsn():
    assert lsn.parse_lsn('0/0') == 0
    assert lsn.parse_lsn('0/16B3748') == 0x16B3748
    assert lsn.parse_lsn('1/0') == 1 << 32
    assert lsn.parse_lsn('2/A') > lsn.parse_lsn('1/FFFFFFFF')
    assert lsn.parse_lsn(None) == 0 and lsn.parse_lsn('') == 0


def test_mariadb_position():
    assert gtid.mariadb_position('0-1-100') == 100
    assert gtid.mariadb_position('0-1-100,1-2-5') == 105
    assert gtid.mariadb_position('0-1-100,\n1-2-5') == 105
    assert gtid.mariadb_position('') == 0 and gtid.mariadb_position(None) == 0
    assert gtid.mariadb_position('0-1-101') > gtid.mariadb_position('0-2-100')


# ------------------------------------------------------------------ endpoints
HAPROXY = """global
    maxconn 100

defaults
    mode tcp
    timeout connect 5s

frontend writes
    bind *:3306
    default_backend primary

backend primary
    server db1 db1:3306 check

backend replicas
    balance roundrobin
    server db2 db2:3306 check
    server db3 db3:3306 check

listen stats
    bind *:8404
"""


def test_haproxy_writer_backend_replaced():
    text = endpoints.haproxy_with_primary(HAPROXY, {'name': 'db2', 'host': 'db2', 'port': 3306},
                                          [{'name': 'db3', 'host': 'db3', 'port': 3306}])
    lines = text.splitlines()
    primary = lines[lines.index('backend primary') + 1:lines.index('backend replicas')]
    assert [line for line in primary if line.strip()] == ['    server db2 db2:3306 check']
    replicas = lines[lines.index('backend replicas') + 1:lines.index('listen stats')]
    assert [line for line in replicas if line.strip()] == ['    balance leastconn', '    server db3 db3:3306 check',
                                                           '    server db2 db2:3306 check backup']
    assert 'db1' not in text


def test_haproxy_other_sections_untouched():
    text = endpoints.haproxy_with_primary(HAPROXY, {'name': 'db2', 'host': 'db2', 'port': 3306}, [])
    for section in ('global\n    maxconn 100\n', 'defaults\n    mode tcp\n    timeout connect 5s\n',
                    'frontend writes\n    bind *:3306\n    default_backend primary\n', 'listen stats\n    bind *:8404\n'):
        assert section in text
    assert text.endswith('\n')
    # The same endpoint again changes nothing.
    assert endpoints.haproxy_with_primary(text, {'name': 'db2', 'host': 'db2', 'port': 3306}, []) == text


def test_pgbouncer_with_primary():
    ini = ('[databases]\n'
           'app = host=pg1 port=5432 dbname=app\n'
           '; old = host=pg9 port=5432\n'
           'other = dbname=other port=5432 host=pg1 pool_size=5\n'
           '\n[pgbouncer]\nlisten_port = 6432\nauth_host=keep\n')
    text = endpoints.pgbouncer_with_primary(ini, 'pg2', 5433)
    assert 'app = host=pg2 port=5433 dbname=app\n' in text
    assert 'other = dbname=other port=5433 host=pg2 pool_size=5\n' in text
    assert '; old = host=pg9 port=5432\n' in text                 # a comment stays
    assert '[pgbouncer]\nlisten_port = 6432\nauth_host=keep\n' in text   # other sections stay


# ------------------------------------------------------------------ failover_mysql pure functions
def test_fence_config():
    mariadb = fmy.fence_config(repl.MARIADB)
    mysql = fmy.fence_config(repl.MYSQL)
    for text in (mariadb, mysql):
        assert '[mysqld]' in text and 'read_only = ON' in text and 'skip_slave_start = ON' in text
        assert text.endswith('\n')
    assert 'rpl_semi_sync_slave_enabled = ON' in mariadb and 'super_read_only' not in mariadb
    assert 'super_read_only = ON' in mysql
    # Source-side semi-sync off under both names, loose (the one the server lacks is ignored): a
    # fenced node has no replica, so with it on each first commit after a start would wait out the timeout.
    for text in (mariadb, mysql):
        assert 'loose-rpl_semi_sync_source_enabled = OFF\nloose-rpl_semi_sync_master_enabled = OFF\n' in text
    assert [line for line in mysql.splitlines() if line.startswith('rpl_semi_sync')] == []


def test_rejoined_config():
    mariadb = fmy.rejoined_config(repl.MARIADB)
    mysql = fmy.rejoined_config(repl.MYSQL)
    for text in (mariadb, mysql):
        # Still read-only (a replica), source-side semi-sync off, and no skip_slave_start: a restart must
        # start the replication threads again.
        assert '[mysqld]\nread_only = ON\n' in text and 'skip_slave_start' not in text
        assert 'loose-rpl_semi_sync_source_enabled = OFF\nloose-rpl_semi_sync_master_enabled = OFF\n' in text
        assert text.endswith('\n')
    assert 'super_read_only = ON' in mysql and 'super_read_only' not in mariadb
    assert 'rpl_semi_sync_slave_enabled = ON' in mariadb


def test_promoted_config():
    with_semi_sync = fmy.promoted_config(True)
    assert with_semi_sync.startswith('# ') and with_semi_sync.endswith('\n')
    assert 'loose-rpl_semi_sync_source_enabled = ON\nloose-rpl_semi_sync_master_enabled = ON\n' in with_semi_sync
    # Writable after a restart: it overrides the read_only = ON the role wrote when it was a replica.
    assert '[mysqld]\nread_only = OFF\nloose-super_read_only = OFF\n' in with_semi_sync
    assert 'skip_slave_start' not in with_semi_sync and 'read_only = ON' not in with_semi_sync
    without = fmy.promoted_config(False)
    assert 'read_only = OFF' in without and 'semi_sync' not in without


def test_mysql_gtid_intervals():
    assert gtid.mysql_gtid_intervals('%s:1-5:7,\n%s:1-3' % (U1, U2)) == {
        U1.lower(): [(1, 5), (7, 7)], U2: [(1, 3)]}
    assert gtid.mysql_gtid_intervals('') == {} and gtid.mysql_gtid_intervals(None) == {}
    assert gtid.mysql_gtid_intervals('%s:1-3:web:1-2' % U2) == {U2: [(1, 3)], U2 + ':web': [(1, 2)]}


def test_mysql_gtid_count_overlapping_ranges():
    assert gtid.mysql_gtid_count('%s:1-10' % U1) == 10
    assert gtid.mysql_gtid_count('%s:1-10' % U1, '%s:5-12' % U1) == 12
    assert gtid.mysql_gtid_count('%s:1-10' % U1, '%s:3-4' % U1.lower()) == 10      # contained, any case
    assert gtid.mysql_gtid_count('%s:1-5:7-9' % U1) == 8
    assert gtid.mysql_gtid_count('%s:1-5' % U1, '%s:6-6' % U1) == 6                # adjacent
    assert gtid.mysql_gtid_count('', None) == 0


def test_mysql_gtid_count_several_uuids_and_tags():
    assert gtid.mysql_gtid_count('%s:1-10,%s:1-3' % (U1, U2)) == 13
    assert gtid.mysql_gtid_count('%s:1-10' % U1, '%s:1-3' % U2, '%s:2-11' % U1) == 14
    assert gtid.mysql_gtid_count('%s:1-3:web:1-2' % U2) == 5
    assert gtid.mysql_gtid_count('%s:1-3:web:1-2' % U2, '%s:web:2-4' % U2) == 7


def test_mysql_gtid_count_several_tags_in_one_set():
    assert gtid.mysql_gtid_intervals('%s:a:1-2:b:1-3' % U2) == {U2 + ':a': [(1, 2)], U2 + ':b': [(1, 3)]}
    assert gtid.mysql_gtid_count('%s:a:1-2:b:1-3' % U2, '%s:b:1-5' % U2) == 7


def test_a_round_decided_by_dockers_state_says_so():
    assert decisions.describe_round({'controller': False, 'docker': False}) == (
        'controller does not reach it, Docker reports its container stopped')
    assert decisions.round_says_dead({'controller': False, 'docker': False})


def test_a_restart_is_proven_once_the_replica_connected_to_its_source_since():
    from ansible_collections.dbops.containers.plugins.module_utils.failover.decisions import restart_unproven
    assert 'has not connected to its source since it last started' in restart_unproven(
        {'connected_since_start': False})
    assert restart_unproven({'connected_since_start': True}) is None
    # MySQL keeps its relay log: its driver reports nothing, and nothing is refused.
    assert restart_unproven(None) is None
