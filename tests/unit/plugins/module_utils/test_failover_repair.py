# -*- coding: utf-8 -*-
"""Failover.repair: what an interrupted failover left undone, found from the cluster and finished."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import Failover

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
