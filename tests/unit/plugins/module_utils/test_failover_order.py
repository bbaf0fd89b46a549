# -*- coding: utf-8 -*-
"""The order db_failover runs an engine's steps in (failover.py), with a driver that records them.

The steps themselves run against real servers in tests/integration/test_failover.py; here only the
orchestration: what a switchover does before the primary goes read-only, what happens inside the
write pause, and in which order replicas and clients move to the new primary.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.failover import cluster
from ansible_collections.dbops.containers.plugins.module_utils.failover import orchestrator
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import FailoverDriver


class RecordingDriver(FailoverDriver):
    def __init__(self, cluster, ack_needs_replica, fail_at=None):
        self.cluster = cluster
        self.ack_needs_replica = ack_needs_replica
        self.fail_at = fail_at
        self.steps = []
        self.lock = threading.Lock()

    def _record(self, *step):
        with self.lock:
            self.steps.append(step)
        if self.fail_at == step[0]:
            raise DbopsError('%s failed' % step[0], 'nodes')

    def discover_primary(self):
        return self.cluster.by_name['db1']

    def controller_probe(self, primary):
        return True

    def read_position(self, session, node, row):
        raise AssertionError('positions() is scripted here')

    def prepare_switchover(self, primary, target):
        self._record('prepare', primary.name)
        return [{'name': 'db2', 'healthy': True, 'answered': True, 'position': 10, 'priority': 0},
                {'name': 'db3', 'healthy': True, 'answered': True, 'position': 12, 'priority': 0}]

    def positions(self, nodes):
        self._record('positions')
        return [{'name': n.name, 'healthy': True, 'answered': True, 'position': 5, 'priority': 1 if n.name == 'db3' else 0}
                for n in nodes]

    def ensure_caught_up(self, candidate, row, max_lag, force, check_mode=False):
        self._record('ensure_caught_up', candidate.name, check_mode)

    def follows(self, node, primary):
        self._record('follows', node.name, primary.name)
        return node.name in self.cluster.following

    def rejoin(self, node, primary):
        self._record('rejoin', node.name, primary.name)

    def freeze(self, primary):
        self._record('freeze', primary.name)

    def unfreeze(self, primary):
        self._record('unfreeze', primary.name)

    def wait_replicas_caught_up(self, primary, target, timeout):
        self._record('wait_caught_up', target)

    def before_promote(self, primary, candidate):
        self._record('before_promote', primary.name)

    def fence(self, node, silent=False):
        self._record('fence', node.name)

    def promote(self, node):
        self._record('promote', node.name)

    def repoint(self, node, new_primary):
        self._record('repoint', node.name, new_primary.name)

    def demote(self, primary, new_primary):
        self._record('demote', primary.name, new_primary.name)


class FakeCluster(object):
    engine = 'mariadb'

    def __init__(self, ack_needs_replica, fail_at=None):
        self.params = {'endpoint': {'type': 'none'}, 'max_lag': 5}
        self.nodes = [cluster.Node(name, inspect={'State': {'Running': True}}) for name in ('db1', 'db2', 'db3')]
        self.by_name = dict((node.name, node) for node in self.nodes)
        self.driver = RecordingDriver(self, ack_needs_replica, fail_at)
        self.following = set()      # the nodes that already replicate from db1
        self.docker = None

    def refresh(self, node):
        return node


def run(mode, ack_needs_replica=True, check_mode=False, fail_at=None, **params):
    cluster = FakeCluster(ack_needs_replica, fail_at)
    cluster.params.update(params)
    failover = orchestrator.Failover(cluster.params, check_mode=check_mode, cluster=cluster)
    failover.apply_endpoint = lambda plan, steps=cluster.driver: steps._record('endpoint', plan['new_primary']) or 'x'
    result = getattr(failover, mode)() if mode == 'switchover' else failover.failover(
        health={'primary_dead': True, 'rounds': [{}]})
    return cluster.driver.steps, result


def names(steps):
    return [step[0] for step in steps]


def test_switchover_decides_before_the_freeze_and_waits_only_for_the_candidate():
    steps, result = run('switchover')
    assert result['new_primary'] == 'db3'              # the most data at the time of the decision
    order = names(steps)
    assert order.index('prepare') < order.index('freeze')
    assert 'positions' not in order                    # no second reading of positions inside the pause
    assert ('wait_caught_up', 'db3') in steps
    assert order.count('wait_caught_up') == 1
    assert order[order.index('freeze'):order.index('promote')] == ['freeze', 'wait_caught_up', 'before_promote']


def test_switchover_honours_the_candidate_option():
    steps, result = run('switchover', candidate='db2')
    assert result['new_primary'] == 'db2'
    assert ('wait_caught_up', 'db2') in steps


def test_semi_sync_engine_reconnects_replicas_before_clients():
    steps, result = run('switchover', ack_needs_replica=True)
    order = names(steps)
    assert order.index('repoint') < order.index('endpoint')
    assert order.index('demote') < order.index('endpoint')      # the old primary follows at the same time
    assert ('repoint', 'db2', 'db3') in steps and ('demote', 'db1', 'db3') in steps
    events = [event['event'] for event in result['timeline']]
    assert events.index('repointed') < events.index('endpoint_moved')
    assert 'write_pause_s' in result
    # The timeline says what each node's re-point took (a slow failover's time is then accounted for).
    repointed = [event for event in result['timeline'] if event['event'] == 'repointed'][0]
    assert sorted(repointed['seconds']) == ['db1', 'db2'] and all(s >= 0 for s in repointed['seconds'].values())


def test_engine_without_replica_acks_moves_clients_first():
    steps, _result = run('switchover', ack_needs_replica=False)
    order = names(steps)
    assert order.index('endpoint') < order.index('repoint')
    assert order.index('endpoint') < order.index('demote')


def test_switchover_failing_before_promotion_reopens_the_old_primary():
    cluster = FakeCluster(True, 'wait_caught_up')
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    with pytest.raises(DbopsError, match='wait_caught_up failed'):
        failover.switchover()
    steps = names(cluster.driver.steps)
    assert steps[-1] == 'unfreeze' and 'promote' not in steps


def test_switchover_check_mode_changes_nothing():
    steps, result = run('switchover', check_mode=True)
    assert names(steps) == ['prepare']
    assert result['changed'] and result['new_primary'] == 'db3'


def test_failover_fences_before_promoting_and_repoints_the_others():
    steps, result = run('failover')
    order = names(steps)
    assert order.index('fence') < order.index('promote') < order.index('repoint')
    assert result['new_primary'] == 'db3'              # equal positions: the higher priority
    assert result['repointed'] == ['db2']
    assert 'demote' not in order                        # a dead primary is fenced, not demoted


def test_a_failed_repoint_after_the_promotion_still_moves_the_endpoint():
    # Promoted: the clients must reach the new primary although one replica could not follow it.
    steps, result = run('failover', fail_at='repoint')
    order = names(steps)
    assert order.index('promote') < order.index('endpoint')
    assert result['repoint_failed'] == {'db2': 'repoint failed'}
    assert result['repointed'] == []
    assert 'unfreeze' not in order


def test_a_replica_that_never_finishes_following_costs_wait_timeout_not_the_failover():
    cluster = FakeCluster(True)
    cluster.params['wait_timeout'] = 0.2
    release = threading.Event()
    cluster.driver.repoint = lambda node, new_primary: release.wait(5)
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    try:
        result = failover.failover(health={'primary_dead': True, 'rounds': [{}]})
    finally:
        release.set()
    assert 'endpoint' in names(cluster.driver.steps)
    assert 'within wait_timeout' in result['repoint_failed']['db2']


def test_a_candidate_that_dies_while_replicas_wait_for_it_ends_the_wait_at_once():
    # The double fault: db3 promoted, then killed. db2's re-point would wait its whole wait_timeout for a
    # source that is gone; the failover ends as soon as Docker reports db3 stopped, and db2 is reported.
    cluster = FakeCluster(True)
    cluster.params['wait_timeout'] = 30
    release = threading.Event()

    def repoint_then_lose_the_candidate(node, new_primary):
        cluster.by_name['db3'].inspect = {'State': {'Running': False}}
        release.wait(30)
    cluster.driver.repoint = repoint_then_lose_the_candidate
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    started = time.time()
    try:
        result = failover.failover(health={'primary_dead': True, 'rounds': [{}]})
    finally:
        release.set()
    assert time.time() - started < 5
    assert result['new_primary'] == 'db3' and result['repointed'] == []
    assert 'the new primary db3 died' in result['repoint_failed']['db2']


def test_a_candidate_already_dead_is_not_waited_for():
    cluster = FakeCluster(True)
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    original_promote = cluster.driver.promote

    def promote_then_die(node):
        original_promote(node)
        node.inspect = {'State': {'Running': True, 'Paused': True}}
    cluster.driver.promote = promote_then_die
    result = failover.failover(health={'primary_dead': True, 'rounds': [{}]})
    assert 'repoint' not in names(cluster.driver.steps)        # no re-point started towards a frozen node
    assert 'db3 is frozen' in result['repoint_failed']['db2']


def test_a_failed_demote_in_a_switchover_is_reported_and_the_old_primary_stays_read_only():
    cluster = FakeCluster(True, 'demote')
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    result = failover.switchover()
    assert result['repoint_failed'] == {'db1': 'demote failed'}
    assert 'unfreeze' not in names(cluster.driver.steps)     # promoted: the old primary stays read-only


def durability_run(seen=None, positions=None, fenced=(), **params):
    cluster = FakeCluster(True)
    cluster.params.update(params)
    for name in fenced:
        cluster.by_name[name].inspect['HostConfig'] = {'RestartPolicy': {'Name': 'no'}}
    cluster.driver.synchronous_seen = seen
    if positions is not None:
        cluster.driver.positions = lambda nodes: [dict(row) for row in positions]
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    return cluster, lambda: failover.failover(health={'primary_dead': True, 'rounds': [{}]})


UNREAD_DB2 = [{'name': 'db2', 'healthy': False, 'position': None, 'why': 'did not answer within 5 s'},
              {'name': 'db3', 'healthy': True, 'answered': True, 'position': 7, 'priority': 0}]


def test_required_refuses_a_candidate_while_another_replica_could_not_be_read():
    cluster, failover = durability_run(positions=UNREAD_DB2)
    with pytest.raises(DbopsError, match='db2 .did not answer within 5 s.') as caught:
        failover()
    assert caught.value.parameter == 'durability'
    assert not set(names(cluster.driver.steps)) & {'fence', 'promote', 'repoint', 'endpoint'}


@pytest.mark.parametrize('params', [{'durability': 'preferred'}, {'force': True}])
def test_preferred_or_force_promote_the_best_replica_that_answers(params):
    cluster, failover = durability_run(positions=UNREAD_DB2, **params)
    assert failover()['new_primary'] == 'db3'


def test_a_node_that_answered_it_is_no_replica_acknowledged_nothing_and_does_not_block_the_failover():
    not_a_replica = [{'name': 'db2', 'healthy': False, 'answered': True, 'position': None, 'why': 'not a replica'},
                     UNREAD_DB2[1]]
    _cluster, failover = durability_run(positions=not_a_replica)
    assert failover()['new_primary'] == 'db3'


def test_a_fenced_earlier_primary_acknowledged_nothing_and_does_not_block_the_failover():
    _cluster, failover = durability_run(positions=UNREAD_DB2, fenced=('db2',))
    assert failover()['new_primary'] == 'db3'


def test_required_refuses_when_the_primary_was_last_seen_committing_asynchronously():
    cluster, failover = durability_run(seen=(0.0, False))
    with pytest.raises(DbopsError, match='committing asynchronously when last seen'):
        failover()
    assert 'fence' not in names(cluster.driver.steps)


@pytest.mark.parametrize('seen', [None, (0.0, True), (0.0, None)])
def test_required_fails_over_a_primary_seen_synchronous_or_never_seen(seen):
    _cluster, failover = durability_run(seen=seen)
    assert failover()['new_primary'] == 'db3'


def test_durability_outside_its_choices_is_refused_by_name():
    with pytest.raises(DbopsError, match='durability .always.: give required') as caught:
        orchestrator.check_options({'durability': 'always'})
    assert caught.value.parameter == 'durability'


def test_failover_check_mode_asks_the_driver_to_only_read_and_changes_nothing():
    steps, result = run('failover', check_mode=True, force=True)
    assert ('ensure_caught_up', 'db3', True) in steps
    assert not set(names(steps)) & {'fence', 'promote', 'repoint', 'demote', 'endpoint'}
    assert result['changed'] and result['new_primary'] == 'db3'


def test_failover_for_real_lets_the_driver_act():
    steps, _result = run('failover', force=True)
    assert ('ensure_caught_up', 'db3', False) in steps


def rejoin(check_mode, following=()):
    cluster = FakeCluster(True)
    cluster.following.update(following)
    cluster.params['node'] = 'db2'
    result = orchestrator.Failover(cluster.params, check_mode=check_mode, cluster=cluster).rejoin()
    return cluster.driver.steps, result


@pytest.mark.parametrize('check_mode', [True, False])
def test_rejoin_of_a_node_that_already_follows_the_primary_changes_nothing(check_mode):
    steps, result = rejoin(check_mode, following=['db2'])
    assert result['changed'] is False and result['primary'] == 'db1'
    assert names(steps) == ['follows']


def test_rejoin_check_mode_predicts_a_change_without_making_it():
    steps, result = rejoin(True)
    assert result['changed'] is True and result['check_mode']
    assert names(steps) == ['follows']


def test_rejoin_of_a_fenced_node_rejoins_it():
    steps, result = rejoin(False)
    assert result['changed'] is True and ('rejoin', 'db2', 'db1') in steps


class StuckSession(object):
    def close(self):
        pass


class PositionsDriver(FailoverDriver):
    """The base positions(): a frozen node's session never answers its queries."""
    position_read_timeout = 0.3

    def __init__(self, cluster, frozen):
        super(PositionsDriver, self).__init__(cluster)
        self.frozen, self.release = frozen, threading.Event()

    def read_position(self, session, node, row):
        if node.name in self.frozen:
            self.release.wait(5)
        elif node.name == 'broken':
            raise RuntimeError('server has gone away')
        row.update(position=3, healthy=True)

    discover_primary = controller_probe = ensure_caught_up = follows = fence = promote = repoint = None
    prepare_switchover = freeze = unfreeze = wait_replicas_caught_up = before_promote = demote = rejoin = None


def test_positions_are_read_at_once_and_a_frozen_node_costs_one_timeout():
    import time
    fake = FakeCluster(True)
    fake.connect = lambda node, timeout, query_timeout=None: StuckSession()
    fake.nodes.append(cluster.Node('broken', inspect={'State': {'Running': True}}))
    fake.nodes.append(cluster.Node('stopped', inspect={'State': {'Running': False}}))
    driver = PositionsDriver(fake, frozen=('db2', 'db3'))
    started = time.time()
    try:
        rows = dict((row['name'], row) for row in driver.positions(fake.nodes))
    finally:
        driver.release.set()
    assert time.time() - started < 2              # two frozen nodes: one deadline, not two
    assert rows['db1']['position'] == 3 and rows['db1']['healthy']
    assert 'did not answer within 0.3 s' in rows['db2']['why'] and rows['db3']['position'] is None
    assert 'server has gone away' in rows['broken']['why'] and not rows['broken']['healthy']
    assert rows['stopped']['why'] == 'container not running'


def test_a_primary_still_running_is_fenced_before_the_final_choice_of_candidate():
    # Asymmetric partition: db2 still received commits from the running primary after the first read.
    cluster = FakeCluster(True)
    readings = [[{'name': 'db2', 'healthy': True, 'answered': True, 'position': 5, 'priority': 0},
                 {'name': 'db3', 'healthy': True, 'answered': True, 'position': 6, 'priority': 0}],
                [{'name': 'db2', 'healthy': True, 'answered': True, 'position': 9, 'priority': 0},
                 {'name': 'db3', 'healthy': True, 'answered': True, 'position': 6, 'priority': 0}]]
    cluster.driver.positions = lambda nodes: cluster.driver._record('positions') or readings.pop(0)
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    result = failover.failover(health={'primary_dead': True, 'rounds': [{}]})
    order = names(cluster.driver.steps)
    assert order.index('fence') < len(order) - 1 - order[::-1].index('positions') < order.index('promote')
    assert ('promote', 'db2') in cluster.driver.steps and result['new_primary'] == 'db2'
    assert ('endpoint', 'db2') in cluster.driver.steps and ('repoint', 'db3', 'db2') in cluster.driver.steps


def test_a_killed_primary_costs_no_second_reading_of_positions():
    cluster = FakeCluster(True)
    cluster.by_name['db1'].inspect = {'State': {'Running': False}}
    failover = orchestrator.Failover(cluster.params, cluster=cluster)
    failover.apply_endpoint = lambda plan: cluster.driver._record('endpoint', plan['new_primary']) or 'x'
    failover.failover(health={'primary_dead': True, 'rounds': [{}]})
    assert names(cluster.driver.steps).count('positions') == 1


# ------------------------------------------------------------------ a replica's restart (MariaDB)
def restarted(name, connected, position=7):
    return {'name': name, 'healthy': True, 'answered': True, 'position': position, 'priority': 0,
            'restart': {'connected_since_start': connected}}


def test_required_refuses_while_a_replica_has_not_connected_since_its_restart():
    # The fault suite's replicas_down_then_kill: both replicas started 0.5 s before the kill, their relay
    # logs (and the commits they had acknowledged in them) gone; the primary alone held 7 acknowledged writes.
    positions = [restarted('db2', False, position=6), restarted('db3', True)]
    cluster, failover = durability_run(positions=positions)
    with pytest.raises(DbopsError, match='db2 has not connected to its source since it last started') as caught:
        failover()
    assert caught.value.parameter == 'durability' and 'Bring db1 back' in caught.value.message
    assert not set(names(cluster.driver.steps)) & {'fence', 'promote', 'repoint', 'endpoint'}


def test_replicas_that_connected_since_their_restart_are_candidates():
    _cluster, failover = durability_run(positions=[restarted('db2', True, position=6), restarted('db3', True)])
    assert failover()['new_primary'] == 'db3'


@pytest.mark.parametrize('params', [{'durability': 'preferred'}, {'force': True}])
def test_preferred_or_force_promote_past_a_recent_restart(params):
    _cluster, failover = durability_run(positions=[restarted('db2', False, position=6), restarted('db3', False)],
                                        **params)
    assert failover()['new_primary'] == 'db3'
