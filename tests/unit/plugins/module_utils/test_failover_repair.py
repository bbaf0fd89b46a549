# -*- coding: utf-8 -*-
"""Failover.repair: what an interrupted failover left undone, found from the cluster and finished."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

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
    assert repaired == ['replica db3 re-pointed at db2', 'endpoint lb moved from db1 to db2']
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
