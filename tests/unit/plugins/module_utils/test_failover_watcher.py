# -*- coding: utf-8 -*-
"""The watcher's loop (failover.Watcher) on scripted probe rounds: when it fails over, when it must not."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.failover import watcher as watcher_loop
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError


class Node(object):
    def __init__(self, name):
        self.name = name


class FakeCluster(object):
    def __init__(self, names):
        self.nodes = [Node(name) for name in names]
        self.by_name = dict((node.name, node) for node in self.nodes)
        self.refreshed = []

    def refresh(self, node):
        self.refreshed.append(node.name)
        return node


class FakeFailover(object):
    """Answers observe() from a script of rounds; failover() promotes db2."""

    def __init__(self, rounds, primary='db1'):
        self.cluster = FakeCluster(['db1', 'db2', 'db3'])
        self.rounds = list(rounds)
        self.primary = primary
        self.failed_over = []
        self.timeline = None

    def current_primary(self):
        return self.cluster.by_name[self.primary]

    def observe(self, primary):
        return self.rounds.pop(0)

    def failover(self, primary, health):
        self.failed_over.append((primary.name, len(health['rounds'])))
        self.primary = 'db2'
        return {'old_primary': primary.name, 'new_primary': 'db2', 'timeline': []}

    # What repair() would find left over from an interrupted failover, once per primary seen.
    leftovers = {}
    repairs = []

    def repair(self, primary):
        self.repairs.append(primary.name)
        return self.leftovers.pop(primary.name, [])


ALIVE = {'controller': True, 'db2': True, 'db3': True}
DEAD = {'controller': False, 'db2': False, 'db3': False}
PARTITION = {'controller': True, 'db2': True, 'db3': False}
CONTROLLER_ONLY = {'controller': False, 'db2': None, 'db3': None}


def run(rounds, probes=3):
    events = []
    fake = FakeFailover(rounds)
    watcher = watcher_loop.Watcher({'probes': probes, 'probe_interval': 0}, events.append, sleep=lambda seconds: None)
    watcher.run(lambda: fake, rounds=len(rounds))
    return fake, watcher, events


def test_three_dead_rounds_fail_over_once_and_watch_the_new_primary():
    fake, watcher, events = run([ALIVE, DEAD, DEAD, DEAD, ALIVE])
    assert fake.failed_over == [('db1', 3)]
    assert watcher.primary.name == 'db2' and watcher.rounds == [ALIVE]
    assert [e['event'] for e in events] == ['watching', 'primary_dead', 'failover']


def test_two_dead_rounds_then_alive_is_no_failover():
    fake, watcher, events = run([DEAD, DEAD, ALIVE, DEAD, DEAD])
    assert fake.failed_over == []


def test_one_replica_cut_off_is_a_partial_view_not_a_failover():
    fake, watcher, events = run([PARTITION] * 6)
    assert fake.failed_over == []
    assert [e['event'] for e in events].count('partial_view') == 6


def test_the_controller_alone_never_decides():
    fake, watcher, events = run([CONTROLLER_ONLY] * 5)
    assert fake.failed_over == []


def test_every_node_is_refreshed_every_round():
    fake, watcher, events = run([ALIVE, ALIVE])
    assert sorted(fake.cluster.refreshed) == ['db1', 'db1', 'db2', 'db2', 'db3', 'db3']


def test_an_error_is_logged_and_the_loop_goes_on():
    events = []
    calls = []

    def make():
        calls.append(1)
        if len(calls) == 1:
            raise DbopsError('cannot tell which node is the primary', 'primary')
        return FakeFailover([ALIVE])
    watcher = watcher_loop.Watcher({'probes': 3, 'probe_interval': 0}, events.append, sleep=lambda seconds: None)
    watcher.run(make, rounds=2)
    expected = {'event': 'error', 'parameter': 'primary', 'error': 'primary: cannot tell which node is the primary'}
    assert events[0] == expected
    assert events[1]['event'] == 'watching' and len(calls) == 2


def test_a_watcher_started_after_a_crash_finishes_the_failover_first():
    # Killed after promoting db2 and before moving the endpoint: started again, it finds db2 the
    # writable primary, sees it alive, and moves the endpoint before it watches on.
    events = []
    fake = FakeFailover([ALIVE, ALIVE, ALIVE], primary='db2')
    fake.leftovers = {'db2': ['endpoint haproxy moved from db1 to db2']}
    fake.repairs = []
    watcher = watcher_loop.Watcher({'probes': 3, 'probe_interval': 0}, events.append, sleep=lambda seconds: None)
    watcher.run(lambda: fake, rounds=3)
    repaired = [e for e in events if e['event'] == 'repaired']
    assert repaired == [{'event': 'repaired', 'primary': 'db2', 'repaired': ['endpoint haproxy moved from db1 to db2']}]
    assert fake.repairs == ['db2']          # once, when the primary was found, not every round
    assert fake.failed_over == []


def test_no_repair_is_tried_on_a_primary_that_does_not_answer():
    events = []
    fake = FakeFailover([DEAD, ALIVE], primary='db1')
    fake.repairs = []
    watcher = watcher_loop.Watcher({'probes': 3, 'probe_interval': 0}, events.append, sleep=lambda seconds: None)
    watcher.run(lambda: fake, rounds=2)
    assert fake.repairs == []
