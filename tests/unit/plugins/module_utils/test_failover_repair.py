# -*- coding: utf-8 -*-
"""Failover.repair: what an interrupted failover left undone, found from the cluster and finished."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import (
    Failover, endpoint_unconfirmed)

HAPROXY = """backend primary
    server db1 db1:3306 check
backend replicas
    balance leastconn
    server db2 db2:3306 check
    server db1 db1:3306 check backup
"""


class Node(object):
    def __init__(self, name, running=True):
        self.name, self.alias, self.host, self.port, self.running = name, name, '10.0.0.%s' % name[-1], 3306, running

    def describe(self):
        return {'name': self.name, 'host': self.alias, 'port': self.port}


class Docker(object):
    def __init__(self, text):
        self.text, self.written, self.signals = text, [], []

    def container(self, name):
        return {'Id': name, 'Config': {'Labels': {}, 'Image': 'haproxy'}} if name == 'lb' else None

    def read_file(self, container_id, path):
        return self.text.encode('utf-8')

    def put_files(self, container_id, directory, entries):
        self.written.append(entries[0].content.decode('utf-8') if isinstance(entries[0].content, bytes)
                            else entries[0].content)

    def kill(self, container_id, signal=None):
        self.signals.append(signal)


class Cluster(object):
    def __init__(self, nodes, docker):
        self.nodes, self.docker = nodes, docker
        self.by_name = dict((n.name, n) for n in nodes)

    def refresh(self, node):
        return node


class Driver(object):
    def __init__(self, sources):
        self.sources, self.repointed = sources, []

    def source_of(self, node):
        return self.sources.get(node.name)

    def repoint(self, node, primary):
        self.repointed.append((node.name, primary.name))


def failover(nodes, sources, text=HAPROXY, check_mode=False):
    made = Failover.__new__(Failover)
    made.params = {'endpoint': {'type': 'haproxy', 'container': 'lb'}}
    made.check_mode = check_mode
    made.cluster = Cluster(nodes, Docker(text))
    made.driver = Driver(sources)
    from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import Timeline
    made.timeline = Timeline()
    return made


def test_after_a_promotion_the_endpoint_and_the_stranded_replica_are_finished():
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db1'})      # db2 promoted; db3 still on the dead db1
    repaired = made.repair(db2)
    assert made.driver.repointed == [('db3', 'db2')]
    # Clients first: the endpoint, then the replica.
    assert repaired == ['endpoint lb moved from db1 to db2', 'replica db3 re-pointed at db2']
    assert 'server db2 db2:3306 check' in made.cluster.docker.written[0].split('backend replicas')[0]
    assert made.cluster.docker.signals == ['SIGUSR2']


def test_check_mode_says_what_it_would_do_and_does_nothing():
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db1'}, check_mode=True)
    assert len(made.repair(db2)) == 2
    assert made.driver.repointed == [] and made.cluster.docker.written == []


def test_a_healthy_cluster_needs_nothing():
    db1, db2, db3 = Node('db1'), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db2': 'db1', 'db3': 'db1'})
    assert made.repair(db1) == []
    assert made.cluster.docker.written == []


def test_a_replica_of_a_running_node_is_left_alone():
    # db3 follows db2 (cascading, or a switchover in progress): db2 is up, so nothing is stranded.
    db1, db2, db3 = Node('db1'), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db2': 'db1', 'db3': 'db2'})
    assert made.repair(db1) == []


HAPROXY_ON_DB2 = HAPROXY.replace('server db1 db1:3306 check\n', 'server db2 db2:3306 check\n', 1)
PGBOUNCER_ON_DB2 = """[databases]
app = host=db2 port=3306 dbname=app
[pgbouncer]
listen_port = 6432
"""


def test_a_file_already_naming_the_new_primary_is_reloaded_when_the_move_was_never_recorded():
    # The mover died between writing haproxy.cfg and HAProxy's reload: the file names db2, the running proxy
    # still sends writes to db1. Comparing the file alone repaired nothing (the fault suite: 75 s of errors).
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db2'}, text=HAPROXY_ON_DB2)
    repaired = made.repair(db2, endpoint_unconfirmed=True)
    assert len(repaired) == 1 and repaired[0].startswith('endpoint lb reloaded')
    assert made.cluster.docker.signals == ['SIGUSR2']
    assert [e['event'] for e in made.timeline.events] == ['endpoint_moved']


def test_the_same_file_is_left_alone_when_the_move_was_recorded():
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db2'}, text=HAPROXY_ON_DB2)
    assert made.repair(db2) == []
    assert made.cluster.docker.signals == [] and made.cluster.docker.written == []


def test_an_unconfirmed_move_in_check_mode_is_reported_not_signalled():
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db2'}, text=HAPROXY_ON_DB2, check_mode=True)
    assert len(made.repair(db2, endpoint_unconfirmed=True)) == 1
    assert made.cluster.docker.signals == [] and made.cluster.docker.written == []


def test_pgbouncer_already_naming_the_new_primary_gets_its_sighup():
    db1, db2 = Node('db1', running=False), Node('db2')
    made = failover([db1, db2], {}, text=PGBOUNCER_ON_DB2)
    made.params = {'endpoint': {'type': 'pgbouncer', 'container': 'lb'}}
    repaired = made.repair(db2, endpoint_unconfirmed=True)
    assert len(repaired) == 1 and made.cluster.docker.signals == ['SIGHUP']
    assert made.cluster.docker.written == []     # the file was right: only the reload was missing


@pytest.mark.parametrize('steps, finished, unconfirmed', [
    (['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted', 'repointed'], False, True),
    (['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted', 'repointed', 'endpoint_moved'],
     False, False),
    (['checked', 'detected', 'candidate_caught_up'], False, False),     # nothing changed: nothing to reload
    (['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted', 'repointed'], True, False),
])
def test_endpoint_unconfirmed_from_the_record(steps, finished, unconfirmed):
    record = {'kind': 'failover', 'finished': finished, 'steps': [{'step': step} for step in steps]}
    assert endpoint_unconfirmed(record) is unconfirmed
    assert endpoint_unconfirmed(None) is False


# ------------------------------------------------------------------ asked of the running proxy (no record)
SHOW_SERVERS_STATE = """1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change
3 primary 1 db1 172.20.0.2 2 0 1 1 2 6 3 3 6 0 0 0 db1 3306 - 0 0 - - 0
"""
HAPROXY_API_ON_DB2 = 'global\n    stats socket ipv4@127.0.0.1:9901 level admin\n' + HAPROXY_ON_DB2


class AskingDocker(Docker):
    def __init__(self, text, answer, code=0):
        super(AskingDocker, self).__init__(text)
        self.answer, self.code, self.asked = answer, code, []

    def exec_shell(self, container_id, command, timeout=None):
        self.asked.append(command)
        return self.code, self.answer


def test_the_running_haproxy_and_its_file_compared():
    from ansible_collections.dbops.containers.plugins.module_utils.failover import endpoints
    assert endpoints.haproxy_live_primaries(SHOW_SERVERS_STATE) == ['db1']
    assert endpoints.haproxy_applied(HAPROXY_API_ON_DB2, SHOW_SERVERS_STATE) is False
    assert endpoints.haproxy_applied(HAPROXY_API_ON_DB2, SHOW_SERVERS_STATE.replace(' db1 ', ' db2 ')) is True
    assert endpoints.haproxy_applied(HAPROXY_API_ON_DB2, 'Unknown command.\n') is None


def test_the_running_pgbouncer_and_its_file_compared():
    from ansible_collections.dbops.containers.plugins.module_utils.failover import endpoints
    live = 'app|db1|3306|app||20|0|0||0|0|0|0\npgbouncer||6432|pgbouncer|pgbouncer|2|0|0|statement|0|0|0|0\n'
    assert endpoints.pgbouncer_applied(PGBOUNCER_ON_DB2, live) is False
    assert endpoints.pgbouncer_applied(PGBOUNCER_ON_DB2, live.replace('app|db1', 'app|db2')) is True
    assert endpoints.pgbouncer_applied(PGBOUNCER_ON_DB2, '') is None


def test_by_hand_a_file_the_running_haproxy_never_applied_is_reloaded():
    # db_failover run by hand after a mover died between the write and the reload: no record says so, the
    # runtime API does (backend primary still holds db1 in the running worker).
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db2'}, text=HAPROXY_API_ON_DB2)
    made.cluster.docker = AskingDocker(HAPROXY_API_ON_DB2, SHOW_SERVERS_STATE)
    repaired = made.repair(db2)
    assert repaired == ['endpoint lb reloaded: its file names db2, and the running proxy still sends writes elsewhere']
    assert made.cluster.docker.signals == ['SIGUSR2'] and 'show servers state primary' in made.cluster.docker.asked[0]


def test_by_hand_a_proxy_running_as_written_or_that_cannot_be_asked_is_left_alone():
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    for answer, code in ((SHOW_SERVERS_STATE.replace(' db1 ', ' db2 '), 0), ('', 97), ('boom', 1)):
        made = failover([db1, db2, db3], {'db3': 'db2'}, text=HAPROXY_API_ON_DB2)
        made.cluster.docker = AskingDocker(HAPROXY_API_ON_DB2, answer, code)
        assert made.repair(db2) == []
        assert made.cluster.docker.signals == []


def test_a_replica_that_cannot_follow_yet_does_not_keep_the_endpoint_on_the_old_primary():
    # The watcher killed inside a PostgreSQL promotion: the resumed repair's re-point of db3 waited 30 s (its
    # slot missing) before the endpoint moved. Now the endpoint first, and the failure named after it.
    db1, db2, db3 = Node('db1', running=False), Node('db2'), Node('db3')
    made = failover([db1, db2, db3], {'db3': 'db1'})

    def cannot(node, primary):
        raise DbopsError('the standby does not stream after 30 s', 'primary_host')
    made.driver.repoint = cannot
    with pytest.raises(DbopsError) as raised:
        made.repair(db2)
    assert made.cluster.docker.signals == ['SIGUSR2']          # the endpoint was moved
    assert raised.value.parameter == 'nodes'
    assert 'replica db3 not re-pointed at db2: the standby does not stream after 30 s' in raised.value.message
    assert 'endpoint lb moved from db1 to db2' in raised.value.message
