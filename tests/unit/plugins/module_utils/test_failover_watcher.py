# -*- coding: utf-8 -*-
"""The watcher's loop (failover.Watcher) on scripted probe rounds: when it fails over, when it must not, the
Docker event hint, the durable failover record and its resumption, the second writable node, the rejoin."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import threading
import time

from ansible_collections.dbops.containers.plugins.module_utils.failover import watcher as watcher_loop
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.failover.sql_driver import SqlFailoverDriver


class Node(object):
    def __init__(self, name):
        self.name = name
        self.running = True


class Conn(object):
    def __init__(self, node):
        self.node = node

    def close(self):
        pass


class FakeCluster(object):
    def __init__(self, names):
        self.nodes = [Node(name) for name in names]
        self.by_name = dict((node.name, node) for node in self.nodes)
        self.refreshed = []
        self.logins = []

    def refresh(self, node):
        self.refreshed.append(node.name)
        return node

    def connect(self, node, timeout=None, query_timeout=None):
        self.logins.append(node.name)
        return Conn(node)


class FakeDriver(object):
    """What the SQL drivers answer: each node's source and whether it takes writes, set by the test."""

    def __init__(self, failover):
        self.failover = failover
        self.writable = set()
        self.read_only = set()      # nodes that follow nobody and take no writes (a promotion cut short)
        self.fenced = []
        self.followed = None

    def configured_source(self, conn):
        if conn.node.name in (self.failover.primary,) or conn.node.name in self.writable | self.read_only:
            return None
        return self.failover.primary

    def takes_writes(self, conn):
        if conn.node.name in self.read_only:
            return False
        return conn.node.name == self.failover.primary or conn.node.name in self.writable

    def discover_primary(self):
        return self.failover.cluster.by_name[self.followed or self.failover.primary]

    def _conn(self, node, timeout=None):
        return self.failover.cluster.connect(node, timeout)

    # The SQL drivers' own role reading, over this fake's sessions.
    read_role = SqlFailoverDriver.read_role
    role_of = SqlFailoverDriver.role_of

    @staticmethod
    def still_answers(node, timeout=None):
        # No server behind the fake nodes to ask the probe exchange of: a running one answers.
        return node.running

    def fence(self, node, silent=False):
        self.fenced.append(node.name)
        self.writable.discard(node.name)


class FakeFailover(object):
    """Answers observe() from a script of rounds; failover() marks the orchestrator's steps and promotes db2."""

    STEPS = (('checked', {}), ('detected', {}), ('candidate_caught_up', {'candidate': 'db2'}),
             ('fenced', {'node': 'db1'}), ('promoted', {'node': 'db2'}), ('repointed', {'nodes': ['db3']}),
             ('endpoint_moved', {'endpoint': 'haproxy -> db2'}))

    def __init__(self, rounds, primary='db1'):
        self.cluster = FakeCluster(['db1', 'db2', 'db3'])
        self.driver = FakeDriver(self)
        self.params = {}
        self.rounds = list(rounds)
        self.primary = primary
        self.failed_over = []
        self.timeline = None
        self.repairs = []
        self.endpoint_unconfirmed = []  # repair()'s endpoint_unconfirmed, per call
        self.leftovers = {}     # what repair() finds left over from an interrupted failover, per primary
        self.fail_after = None  # a step after which failover() raises
        self.seen_at_step = {}  # step -> callback(step) run right after it is marked
        self.rejoins = []
        self.rejoin_error = None
        self.promotions_finished = []

    def current_primary(self):
        return self.driver.discover_primary()

    def observe(self, primary, interrupted=None):
        views = self.rounds.pop(0)
        return views(self) if callable(views) else views

    def failover(self, primary, health):
        self.failed_over.append((primary.name, len(health['rounds'])))
        for step, details in self.STEPS:
            self.timeline.mark(step, **details)
            if step in self.seen_at_step:
                self.seen_at_step[step](step)
            if step == 'promoted':
                self.primary = 'db2'
            if step == self.fail_after:
                raise DbopsError('db3: cannot re-point it', 'nodes')
        return {'old_primary': primary.name, 'new_primary': 'db2', 'timeline': self.timeline.events}

    def finish_promotion(self, candidate):
        self.promotions_finished.append(candidate.name)
        self.driver.read_only.discard(candidate.name)
        self.primary = candidate.name

    def repair(self, primary, endpoint_unconfirmed=False):
        self.repairs.append(primary.name)
        self.endpoint_unconfirmed.append(endpoint_unconfirmed)
        return self.leftovers.pop(primary.name, [])

    def rejoin(self):
        self.rejoins.append((self.params.get('node'), self.params.get('force')))
        if self.rejoin_error:
            raise DbopsError(self.rejoin_error, 'force')
        return {'changed': True, 'node': self.params['node'], 'primary': self.primary, 'reseeded': False}


ALIVE = {'controller': True, 'db2': True, 'db3': True}
DEAD = {'controller': False, 'db2': False, 'db3': False}
PARTITION = {'controller': True, 'db2': True, 'db3': False}
CONTROLLER_ONLY = {'controller': False, 'db2': None, 'db3': None}
# The primary cut off from the controller and db3, still seen by db2: a strict majority says dead.
ASYMMETRIC = {'controller': False, 'db2': True, 'db3': False}
ALIVE_AFTER = {'controller': True, 'db1': None, 'db3': True}     # db2 primary, db1 fenced
DEAD_AFTER = {'controller': False, 'db1': None, 'db3': False}    # ...and db2 dead in its turn


class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make_watcher(params=None, sleeps=None, clock=None):
    events = []
    settings = {'probes': 3, 'probe_interval': 0}
    settings.update(params or {})
    sleeps = sleeps if sleeps is not None else []
    watcher = watcher_loop.Watcher(settings, events.append, clock=clock or Clock(), sleep=sleeps.append,
                                   spawn=at_once)
    return watcher, events


class _Done(object):
    @staticmethod
    def is_alive():
        return False


def at_once(target):
    """A spawn that runs the rejoin in the loop's thread: the rounds it happens in are deterministic."""
    target()
    return _Done()


def run(rounds, probes=3, fake=None, params=None):
    fake = fake or FakeFailover(rounds)
    settings = {'probes': probes}
    settings.update(params or {})
    watcher, events = make_watcher(settings)
    watcher.run(lambda: fake, rounds=len(fake.rounds))
    return fake, watcher, events


def names(events):
    # The failover's own steps are logged one by one (asserted in the record test); the decisions are the rest.
    return [e['event'] for e in events if e['event'] != 'step']


# ------------------------------------------------------------------ the decision
def test_three_dead_rounds_fail_over_once_and_watch_the_new_primary():
    fake, watcher, events = run([ALIVE, DEAD, DEAD, DEAD, ALIVE_AFTER])
    assert fake.failed_over == [('db1', 3)]
    assert watcher.primary.name == 'db2' and watcher.rounds == [ALIVE_AFTER]
    assert names(events) == ['watching', 'primary_dead', 'failover']


def test_two_dead_rounds_then_alive_is_no_failover():
    fake, watcher, events = run([DEAD, DEAD, ALIVE, DEAD, DEAD])
    assert fake.failed_over == []


def test_an_asymmetric_partition_fails_over_although_one_replica_sees_the_primary():
    fake, watcher, events = run([ASYMMETRIC] * 3)
    assert fake.failed_over == [('db1', 3)]
    assert [e['views'] for e in events if e['event'] == 'primary_dead'] == [ASYMMETRIC]


def test_one_replica_cut_off_is_a_partial_view_logged_once_not_a_failover():
    fake, watcher, events = run([PARTITION] * 6 + [ALIVE] * 2 + [PARTITION])
    assert fake.failed_over == []
    assert names(events) == ['watching', 'partial_view', 'full_view', 'partial_view']
    assert events[1]['views'] == PARTITION


def test_the_controller_alone_never_decides():
    fake, watcher, events = run([CONTROLLER_ONLY] * 5)
    assert fake.failed_over == []


def test_a_healthy_cluster_logs_nothing_per_round():
    fake, watcher, events = run([ALIVE] * 40, params={'rejoin': True})
    assert names(events) == ['watching']
    # The look for a second writable node logs in on the other nodes now and then, not every round.
    assert 0 < fake.cluster.logins.count('db2') <= 40 // watcher_loop.WRITABLE_CHECK_EVERY
    assert fake.driver.fenced == [] and fake.rejoins == []


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
    # Killed after promoting db2 and before moving the endpoint (no record kept): started again, it finds db2
    # the writable primary, sees it alive, and moves the endpoint before it watches on.
    fake = FakeFailover([ALIVE, ALIVE, ALIVE], primary='db2')
    fake.leftovers = {'db2': ['endpoint haproxy moved from db1 to db2']}
    fake, watcher, events = run(None, fake=fake)
    repaired = [e for e in events if e['event'] == 'repaired']
    assert repaired == [{'event': 'repaired', 'primary': 'db2', 'repaired': ['endpoint haproxy moved from db1 to db2']}]
    assert fake.repairs == ['db2']          # once, when the primary was found, not every round
    assert fake.failed_over == []


def test_no_repair_is_tried_on_a_primary_that_does_not_answer():
    fake, watcher, events = run([DEAD, ALIVE])
    assert fake.repairs == []


# ------------------------------------------------------------------ the Docker event hint
def test_an_event_of_the_primary_runs_the_confirmation_rounds_back_to_back():
    order = []
    watcher, events = make_watcher({'probe_interval': 1}, order)

    def observed(views, event=None):
        def answer(_fake):
            order.append(views['controller'] and 'alive' or 'dead')
            if event:
                watcher.on_docker_event('db1', event)      # the event thread, while this round ran
            return views
        return answer
    fake = FakeFailover([observed(ALIVE), observed(ALIVE, 'die'), observed(DEAD), observed(DEAD), observed(DEAD),
                         observed(ALIVE_AFTER), observed(ALIVE_AFTER)])
    watcher.run(lambda: fake, rounds=7)
    assert fake.failed_over == [('db1', 3)]
    # The wait after the event's round ends at once (the hint is set); none between the dead rounds; after the
    # failover, the interval again.
    assert order == ['alive', 1, 'alive', 1, 'dead', 'dead', 'dead', 1, 'alive', 1, 'alive'], order
    dead = [e for e in events if e['event'] == 'primary_dead'][0]
    assert dead['docker_event'] == 'die' and 'since_docker_event_s' in dead
    assert not watcher.confirming and not watcher.hint.is_set()


def test_a_container_docker_reports_stopped_is_confirmed_back_to_back_without_its_event():
    # No event (the stream was lost, or the watcher started after the kill): Docker's own word in the round
    # runs the next rounds at once; probes that merely time out keep the interval.
    order = []
    watcher, events = make_watcher({'probe_interval': 1}, order)
    stopped = {'controller': False, 'docker': False}

    def observed(views):
        def answer(_fake):
            order.append('docker' in views and 'stopped' or (views['controller'] and 'alive' or 'dead'))
            return views
        return answer
    fake = FakeFailover([observed(ALIVE), observed(DEAD), observed(ALIVE), observed(stopped), observed(stopped),
                         observed(stopped), observed(ALIVE_AFTER)])
    watcher.run(lambda: fake, rounds=7)
    assert fake.failed_over == [('db1', 3)]
    assert order == ['alive', 1, 'dead', 1, 'alive', 1, 'stopped', 'stopped', 'stopped', 1, 'alive'], order


def test_rounds_that_find_the_primary_paused_are_spaced_as_probing_it_would_take():
    # A paused container is not asked (a round that costs nothing): the next round still waits for what a probe
    # would have taken (probe_timeout), after the pause event too, so a brief pause is no failover.
    order = []
    watcher, events = make_watcher({'probe_interval': 0.5, 'probe_timeout': 2}, order)
    paused = {'controller': False, 'paused': False}

    def observed(views, event=None):
        def answer(_fake):
            order.append('paused' if 'paused' in views else 'alive')
            if event:
                watcher.on_docker_event('db1', event)
            return views
        return answer
    fake = FakeFailover([observed(ALIVE, 'pause'), observed(paused), observed(paused), observed(ALIVE),
                         observed(paused), observed(paused), observed(paused), observed(ALIVE_AFTER)])
    watcher.run(lambda: fake, rounds=8)
    assert order == ['alive', 0.5, 'paused', 2, 'paused', 2, 'alive', 0.5, 'paused', 2, 'paused', 2, 'paused',
                     0.5, 'alive'], order
    assert fake.failed_over == [('db1', 3)]     # the pause that lasted three rounds, not the one that ended


def test_an_event_alone_decides_nothing():
    sleeps = []
    watcher, events = make_watcher({'probe_interval': 1}, sleeps)

    def paused_and_resumed(fake):
        watcher.on_docker_event('db1', 'pause')
        return ALIVE
    fake = FakeFailover([paused_and_resumed, ALIVE, ALIVE, ALIVE])
    watcher.run(lambda: fake, rounds=4)
    assert fake.failed_over == []
    assert not watcher.confirming and len(sleeps) == 3


def test_an_event_of_a_replica_does_not_wake_the_loop():
    watcher, events = make_watcher()
    fake = FakeFailover([ALIVE])
    watcher.run(lambda: fake, rounds=1)
    watcher.on_docker_event('db3', 'die')
    assert not watcher.hint.is_set()
    watcher.on_docker_event('db1', 'oom')
    assert watcher.hint.is_set()


def test_the_event_wakes_a_real_wait_at_once():
    """probe_interval 5 s; the primary's container dies 0.2 s into the first wait: the next round starts
    then, not 5 s later."""
    stamps = []
    events = []

    def open_stream(names_, actions):
        assert 'die' in actions and names_ == ['db1', 'db2', 'db3']
        time.sleep(0.2)
        yield {'Action': 'die', 'Actor': {'Attributes': {'name': 'db1'}}}
        time.sleep(30)

    def views(_fake):
        stamps.append(time.time())
        return ALIVE
    fake = FakeFailover([views, views])
    params = {'probes': 3, 'probe_interval': 5, 'nodes': [{'name': 'db1'}, {'name': 'db2'}, {'name': 'db3'}]}
    watcher = watcher_loop.Watcher(params, events.append, events=open_stream)
    started = time.time()
    watcher.run(lambda: fake, rounds=2)
    watcher.hint_thread.stop()
    assert stamps[1] - stamps[0] < 2, stamps
    assert time.time() - started < 4


def test_a_broken_event_stream_is_opened_again_and_logged_once():
    events, seen, pauses = [], [], []
    opened = []

    def open_stream(names_, actions):
        opened.append(1)
        if len(opened) <= 3:
            raise IOError('socket closed')
        return iter([{'Action': 'kill', 'Actor': {'Attributes': {'name': 'db1'}}}])

    hint = watcher_loop.EventHint(open_stream, ['db1'], lambda name, action: seen.append((name, action)),
                                  events.append, sleep=pauses.append)

    def stop_after_the_event(name, action):
        seen.append((name, action))
        hint.stopped = True
    hint.on_event = stop_after_the_event
    hint.follow()
    assert seen == [('db1', 'kill')]
    assert names(events) == ['event_stream_lost', 'event_stream_back']
    assert pauses == [1, 2, 4]


class _Closable(object):
    def __init__(self, events=(), error=None):
        self.events, self.error, self.closed = list(events), error, False

    def __iter__(self):
        yield from self.events
        if self.error:
            raise self.error

    def close(self):
        self.closed = True


def test_every_broken_event_stream_is_closed_with_its_client_before_the_next_is_opened():
    opened = []

    def open_stream(_names, _actions):
        client = _Closable()
        opened.append((watcher_loop.ClientStream(_Closable(error=IOError('connection reset')), client), client))
        return opened[-1][0]
    hint = watcher_loop.EventHint(open_stream, ['db1'], lambda name, action: None, lambda event: None,
                                  sleep=lambda seconds: None)
    original = hint.sleep
    hint.sleep = lambda seconds: (original(seconds), setattr(hint, 'stopped', len(opened) >= 3))
    hint.follow()
    assert len(opened) == 3
    # Each stream and the Docker client it held, closed once it broke: none left open across reconnections.
    assert all(stream.stream.closed and client.closed for stream, client in opened)
    assert hint.stream is None


# ------------------------------------------------------------------ the durable record
def test_the_failover_record_holds_the_intent_before_the_fence_and_every_step(tmp_path):
    state = tmp_path / 'failover.json'
    watcher, events = make_watcher({'state_file': str(state), 'rejoin': True})
    fake = FakeFailover([DEAD, DEAD, DEAD])
    seen = {}
    fake.seen_at_step = {'candidate_caught_up': lambda step: seen.update({step: json.loads(state.read_text())})}
    watcher.run(lambda: fake, rounds=3)
    before_fence = seen['candidate_caught_up']
    assert before_fence['old_primary'] == 'db1' and before_fence['candidate'] == 'db2'
    assert before_fence['finished'] is False
    assert [s['step'] for s in before_fence['steps']] == ['checked', 'detected', 'candidate_caught_up']
    record = json.loads(state.read_text())
    assert record['finished'] is True and record['outcome'] == 'failed_over' and record['new_primary'] == 'db2'
    assert [s['step'] for s in record['steps']][-3:] == ['promoted', 'repointed', 'endpoint_moved']
    assert record['rejoin'] == 'pending'
    assert [p.name for p in tmp_path.iterdir()] == ['failover.json']       # no temporary file left
    logged = [e['step'] for e in events if e['event'] == 'step']
    assert logged == [s['step'] for s in record['steps']]


def unfinished(steps, candidate='db2'):
    return {'kind': 'failover', 'old_primary': 'db1', 'candidate': candidate, 'finished': False,
            'steps': [{'step': step, 'at': 0.1, 'time': 1.0} for step in steps]}


def test_a_record_of_a_failover_killed_after_promoting_is_resumed(tmp_path):
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted'])))
    fake = FakeFailover([ALIVE_AFTER, ALIVE_AFTER], primary='db2')
    fake.leftovers = {'db2': ['endpoint haproxy moved from db1 to db2']}
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert names(events)[:2] == ['resuming', 'repaired']
    assert events[0]['candidate'] == 'db2' and events[0]['steps'][-1] == 'promoted'
    assert events[1]['repaired'] == ['endpoint haproxy moved from db1 to db2'] and events[1]['resumed']
    assert fake.repairs[0] == 'db2' and fake.failed_over == []
    record = json.loads(state.read_text())
    assert record['finished'] is True and record['outcome'] == 'resumed' and record['new_primary'] == 'db2'
    assert watcher.primary.name == 'db2'


def test_a_promotion_cut_short_is_finished_on_the_recorded_candidate(tmp_path):
    # Killed between RESET SLAVE ALL and read_only=OFF: db2 follows nobody and takes no writes, db1 is fenced.
    # No other path would promote db2 (it is no replica any more); the resume finishes its promotion.
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected', 'candidate_caught_up', 'fenced'])))
    fake = FakeFailover([ALIVE_AFTER, ALIVE_AFTER], primary='db1')
    fake.driver.read_only.add('db2')
    fake.cluster.by_name['db1'].running = False
    fake.leftovers = {'db2': ['endpoint haproxy moved from db1 to db2']}
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert names(events)[:3] == ['resuming', 'promotion_finished', 'repaired']
    assert fake.promotions_finished == ['db2'] and fake.repairs[0] == 'db2' and fake.failed_over == []
    assert json.loads(state.read_text())['outcome'] == 'resumed' and watcher.primary.name == 'db2'


def test_a_read_only_candidate_is_not_promoted_when_the_record_shows_no_fence(tmp_path):
    # Nothing changed before the kill: the old primary was never fenced, so nothing is finished.
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected', 'candidate_caught_up'])))
    fake = FakeFailover([ALIVE, ALIVE], primary='db1')
    fake.driver.read_only.add('db2')
    fake, _watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert fake.promotions_finished == [] and 'promotion_finished' not in names(events)


def test_a_resumed_failover_that_never_recorded_the_endpoint_moved_reloads_it(tmp_path):
    # Killed after its re-point, between writing the endpoint's file and the proxy's reload signal: the file
    # already names db2, so only a reload makes HAProxy send the writes there (the fault suite, MariaDB).
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted',
                                            'repointed'])))
    fake = FakeFailover([ALIVE_AFTER, ALIVE_AFTER], primary='db2')
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert fake.repairs[0] == 'db2' and fake.endpoint_unconfirmed[0] is True


def test_a_resumed_failover_that_recorded_the_endpoint_moved_only_compares_its_file(tmp_path):
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected', 'candidate_caught_up', 'fenced', 'promoted',
                                            'repointed', 'endpoint_moved'])))
    fake = FakeFailover([ALIVE_AFTER, ALIVE_AFTER], primary='db2')
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert fake.repairs[0] == 'db2' and fake.endpoint_unconfirmed[0] is False


def test_a_recorded_candidate_that_takes_no_writes_is_not_trusted(tmp_path):
    # Killed after the fence, before the promotion: db2 is still a replica. The loop re-learns the primary
    # (the fenced db1, which the replicas follow) and fails over again.
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected', 'candidate_caught_up', 'fenced'])))
    fake = FakeFailover([DEAD, DEAD, DEAD])
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert names(events) == ['resuming', 'watching', 'primary_dead', 'failover']
    assert fake.repairs == [] and fake.failed_over == [('db1', 3)]
    assert json.loads(state.read_text())['outcome'] == 'failed_over'


def test_a_record_with_nothing_changed_is_closed_and_the_probes_decide(tmp_path):
    state = tmp_path / 'failover.json'
    state.write_text(json.dumps(unfinished(['checked', 'detected'], candidate=None)))
    fake, watcher, events = run([ALIVE, ALIVE], params={'state_file': str(state)})
    assert names(events) == ['resuming', 'watching']
    assert json.loads(state.read_text())['outcome'] == 'nothing_changed'


def test_a_failover_that_fails_after_the_promotion_is_repaired_by_the_next_round(tmp_path):
    state = tmp_path / 'failover.json'
    fake = FakeFailover([DEAD, DEAD, DEAD, ALIVE_AFTER])
    fake.fail_after = 'promoted'
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert names(events) == ['watching', 'primary_dead', 'error', 'resuming', 'repaired']
    assert fake.repairs == ['db2']
    assert json.loads(state.read_text())['outcome'] == 'resumed'


def test_an_unreadable_record_is_reported_and_ignored(tmp_path):
    state = tmp_path / 'failover.json'
    state.write_text('{"kind": "failover", ')
    fake, watcher, events = run([ALIVE], params={'state_file': str(state)})
    assert events[0]['event'] == 'error' and events[0]['parameter'] == 'state_file'
    assert names(events)[1:] == ['watching']


def test_a_record_that_cannot_be_written_does_not_stop_the_failover(tmp_path):
    fake, watcher, events = run([DEAD, DEAD, DEAD], params={'state_file': str(tmp_path / 'missing' / 'f.json')})
    assert fake.failed_over == [('db1', 3)]
    errors = [e for e in events if e['event'] == 'error']
    assert len(errors) == 1 and errors[0]['parameter'] == 'state_file'     # once, not once per step
    assert names(events)[-1] == 'failover'


# ------------------------------------------------------------------ two writable nodes
def test_a_second_writable_node_is_fenced_and_the_watcher_acts_on():
    rounds = watcher_loop.WRITABLE_CHECK_EVERY
    fake = FakeFailover([ALIVE] * rounds + [DEAD] * 3)
    fake.driver.writable.add('db3')
    fake, watcher, events = run(None, fake=fake)
    incidents = [e for e in events if e['event'] == 'incident']
    assert incidents == [{'event': 'incident', 'incident': 'two_writable_nodes', 'primary': 'db1', 'node': 'db3',
                          'action': 'fenced'}]
    assert fake.driver.fenced == ['db3']
    assert fake.failed_over == [('db1', 3)]         # still acting


def test_the_recorded_primary_is_not_fenced_when_the_replicas_follow_the_other():
    # Someone switched over by hand to db3 while the watcher ran, and db1 still takes writes.
    rounds = watcher_loop.WRITABLE_CHECK_EVERY

    def switched_over(fake):
        fake.driver.writable.add('db3')
        fake.driver.followed = 'db3'
        return ALIVE
    fake = FakeFailover([switched_over] + [ALIVE] * rounds)
    fake, watcher, events = run(None, fake=fake)
    assert fake.driver.fenced == []
    incident = [e for e in events if e['event'] == 'incident'][0]
    assert 'the replicas follow db3' in incident['action']
    assert names(events)[-1] == 'watching' and watcher.primary.name == 'db3'


def test_a_fence_that_fails_is_logged_and_the_loop_goes_on():
    rounds = watcher_loop.WRITABLE_CHECK_EVERY
    fake = FakeFailover([ALIVE] * (rounds + 2))
    fake.driver.writable.add('db3')

    def broken(node):
        raise RuntimeError('docker: no such container')
    fake.driver.fence = broken
    fake, watcher, events = run(None, fake=fake)
    incident = [e for e in events if e['event'] == 'incident'][0]
    assert incident['action'] == 'fence failed' and 'no such container' in incident['error']
    assert watcher.ticks == rounds + 2


# ------------------------------------------------------------------ rejoin
def test_the_old_primary_is_rejoined_a_few_rounds_after_the_failover():
    after = watcher_loop.REJOIN_FIRST_AFTER
    fake = FakeFailover([DEAD] * 3 + [ALIVE_AFTER] * (after + 2))
    fake, watcher, events = run(None, fake=fake, params={'rejoin': True})
    assert fake.rejoins == [('db1', False)]         # once, never with force
    rejoined = [e for e in events if e['event'] == 'rejoined']
    assert rejoined == [{'event': 'rejoined', 'node': 'db1', 'primary': 'db2', 'changed': True, 'reseeded': False}]
    assert 'node' not in fake.params and 'force' not in fake.params


def test_no_rejoin_unless_asked():
    fake = FakeFailover([DEAD] * 3 + [ALIVE_AFTER] * 10)
    fake, watcher, events = run(None, fake=fake)
    assert fake.rejoins == []


def test_a_refused_rejoin_is_logged_once_and_tried_again_later_not_every_round():
    after, every = watcher_loop.REJOIN_FIRST_AFTER, watcher_loop.REJOIN_EVERY
    fake = FakeFailover([DEAD] * 3 + [ALIVE_AFTER] * (after + 3 * every + 2))
    fake.rejoin_error = 'db1 has transactions its source does not have: use force to re-seed it'
    fake.params['force'] = True     # even when the options say force, the watcher never uses it
    fake, watcher, events = run(None, fake=fake, params={'rejoin': True})
    assert len(fake.rejoins) == 3, fake.rejoins     # at +3, then 30 and 60 rounds later
    assert set(force for _node, force in fake.rejoins) == {False}
    refused = [e for e in events if e['event'] == 'rejoin_refused']
    assert len(refused) == 1 and 'use force' in refused[0]['reason']
    assert fake.params['force'] is True


def test_rejoin_node_is_used_when_the_orchestrator_has_it():
    calls = []

    class WithRejoinNode(FakeFailover):
        def rejoin_node(self, name):
            calls.append((name, self.params.get('force')))
            return {'changed': True, 'primary': 'db2', 'reseeded': False}
    after = watcher_loop.REJOIN_FIRST_AFTER
    fake = WithRejoinNode([DEAD] * 3 + [ALIVE_AFTER] * (after + 2))
    fake, watcher, events = run(None, fake=fake, params={'rejoin': True})
    assert calls == [('db1', False)] and fake.rejoins == []


def test_a_pending_rejoin_survives_a_restart(tmp_path):
    state = tmp_path / 'failover.json'
    record = unfinished(['fenced', 'promoted', 'endpoint_moved'])
    record.update({'finished': True, 'outcome': 'failed_over', 'new_primary': 'db2', 'rejoin': 'pending'})
    state.write_text(json.dumps(record))
    after = watcher_loop.REJOIN_FIRST_AFTER
    fake = FakeFailover([ALIVE_AFTER] * (after + 1), primary='db2')
    fake, watcher, events = run(None, fake=fake, params={'rejoin': True, 'state_file': str(state)})
    assert fake.rejoins == [('db1', False)]
    assert json.loads(state.read_text())['rejoin'] == 'done'


def test_intent_record_write_is_atomic_under_a_concurrent_reader(tmp_path):
    path = tmp_path / 'failover.json'
    record = watcher_loop.IntentRecord(str(path))
    record.write({'steps': []})
    stop = []
    bad = []

    def read():
        while not stop:
            try:
                record.read()
            except ValueError as exc:
                bad.append(exc)
    reader = threading.Thread(target=read)
    reader.start()
    for number in range(200):
        record.write({'steps': [{'step': 'promoted', 'n': number}] * 50})
    stop.append(1)
    reader.join()
    assert bad == [] and record.read()['steps'][0]['n'] == 199


def test_a_refused_failover_closes_its_record_and_is_not_resumed(tmp_path):
    # Refused before the fence (durability required, no healthy candidate): the record says refused, the next
    # rounds decide again, and the primary is announced once, not after every refusal.
    state = tmp_path / 'failover.json'
    fake = FakeFailover([DEAD] * 6)

    def refuse(primary, health):
        fake.timeline.mark('checked', primary_dead=True)
        fake.timeline.mark('detected')
        raise DbopsError('cannot prove db2 holds every acknowledged commit. Nothing was changed', 'durability')
    fake.failover = refuse
    fake, watcher, events = run(None, fake=fake, params={'state_file': str(state)})
    assert names(events) == ['watching', 'primary_dead', 'error', 'primary_dead', 'error']
    record = json.loads(state.read_text())
    assert record['outcome'] == 'refused' and 'cannot prove' in record['error']


def test_a_rejoin_that_kept_diverged_data_names_the_volume_in_its_event():
    class KeepingRejoin(FakeFailover):
        def rejoin_node(self, name):
            return {'changed': True, 'primary': 'db2', 'reseeded': False,
                    'kept_data_volume': 'db1-dbops-diverged-20261206T120000Z'}
    after = watcher_loop.REJOIN_FIRST_AFTER
    fake = KeepingRejoin([DEAD] * 3 + [ALIVE_AFTER] * (after + 2))
    fake, watcher, events = run(None, fake=fake, params={'rejoin': True})
    rejoined = [e for e in events if e['event'] == 'rejoined']
    assert rejoined[0]['kept_data_volume'] == 'db1-dbops-diverged-20261206T120000Z'


def test_the_loop_watches_the_new_primary_while_the_old_one_rejoins():
    # A rejoin takes tens of seconds (a restart, a rewind): it runs in a thread while the rounds go on. The new
    # primary's death meanwhile is seen at once; its failover waits for the rejoin to end (the rejoin could
    # still re-point the node it would promote), then the rounds decide afresh.
    release = threading.Event()
    made = []

    class SlowRejoin(FakeFailover):
        def rejoin_node(self, name):
            release.wait(10)
            return {'changed': True, 'primary': 'db2', 'reseeded': False}

    fake = SlowRejoin([DEAD, DEAD, DEAD] + [ALIVE_AFTER] * 6 + [DEAD_AFTER] * 5)
    events = []
    watcher = watcher_loop.Watcher({'probes': 3, 'probe_interval': 0, 'rejoin': True}, events.append,
                                   sleep=lambda seconds: None)

    def make():
        made.append(1)
        return fake
    watcher.run(make, rounds=len(fake.rounds))
    assert watcher.rejoining()                      # still rejoining db1...
    assert names(events).count('failover') == 1     # ...db2's death seen, its failover deferred, logged once
    deferred = [e for e in events if e['event'] == 'failover_deferred']
    assert deferred == [{'event': 'failover_deferred', 'primary': 'db2', 'rejoin_running': 'db1'}]
    assert len(made) == 2                           # the rejoin had a failover object of its own
    release.set()
    watcher.rejoin_thread.join(5)
    assert not watcher.rejoining()
    assert names(events)[-1] == 'rejoined'
    fake.rounds = [DEAD_AFTER] * 3                  # the rejoin ended: the next round decides
    watcher.run(make, rounds=3)
    assert names(events).count('failover') == 2


def test_a_refused_failover_does_not_forget_the_primary_was_seen_asynchronous():
    # The round that ends in an error replaces the failover object (a new driver that never probed the live
    # primary): what the old driver saw of it must carry over, or the second attempt promotes past the refusal.
    made = []

    def make():
        fake = FakeFailover([ALIVE] + [DEAD] * 3 if not made else [DEAD] * 3)
        fake.driver.synchronous_seen = None
        if not made:
            fake.driver.synchronous_seen = (990.0, False)      # the live primary's probe: asynchronous
        seen_at_failover = []

        def refuse_unless_unknown(primary, health):
            seen_at_failover.append(fake.driver.synchronous_seen)
            raise DbopsError('the primary db1 was committing asynchronously when last seen', 'durability')
        fake.failover = refuse_unless_unknown
        fake.seen_at_failover = seen_at_failover
        made.append(fake)
        return fake
    watcher, events = make_watcher({'probes': 3})
    watcher.run(make, rounds=4 + 3)
    attempts = [seen for fake in made for seen in fake.seen_at_failover]
    assert len(attempts) == 2 and attempts == [(990.0, False), (990.0, False)]


def test_what_was_seen_of_one_primary_is_not_carried_to_another():
    watcher, _events = make_watcher()
    fake = FakeFailover([ALIVE])
    fake.driver.synchronous_seen = None
    watcher.seen = ('db9', (990.0, False))
    watcher.primary = fake.cluster.by_name['db1']
    watcher.carry_seen(fake)
    assert fake.driver.synchronous_seen is None


def test_a_round_the_docker_event_interrupted_is_not_counted_and_redone_at_once():
    order = []
    watcher, events = make_watcher({'probe_interval': 1}, order)

    class Interrupted(FakeFailover):
        def observe(self, primary, interrupted=None):
            views = self.rounds.pop(0)
            if views == 'killed now':
                watcher.on_docker_event('db1', 'die')      # the event thread, while the probes hang
                order.append('abandoned' if interrupted() else 'waited')
                return None if interrupted() else DEAD
            order.append('dead' if views is DEAD else 'alive')
            return views
    fake = Interrupted([ALIVE, 'killed now', DEAD, DEAD, DEAD, ALIVE_AFTER])
    watcher.run(lambda: fake, rounds=6)
    assert fake.failed_over == [('db1', 3)]
    # The interrupted round: no wait after it, not one of the three dead rounds.
    assert order == ['alive', 1, 'abandoned', 'dead', 'dead', 'dead', 1, 'alive'], order
