# -*- coding: utf-8 -*-
"""db_failover's MongoDB driver on server answers shaped as the manual documents them
(hello, ping, replSetGetStatus, replSetGetConfig, replSetStepUp, replSetStepDown,
replSetFreeze), with a fake cluster and Docker host. The fake set elects like a
replica set: only with a majority of voting members up, only an unfrozen,
electable, up-to-date secondary."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

import pytest
from bson import Timestamp
from pymongo.errors import AutoReconnect, OperationFailure

from ansible_collections.dbops.containers.plugins.module_utils.failover import cluster
from ansible_collections.dbops.containers.plugins.module_utils.failover import decisions
from ansible_collections.dbops.containers.plugins.module_utils.failover import orchestrator
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import failover as fm
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

STATES = {'PRIMARY': 1, 'SECONDARY': 2, 'RECOVERING': 3, 'STARTUP2': 5, 'DOWN': 8}


class FakeSet(object):
    """The replica set: members by container name; each is reached as '<name>:27017'."""

    def __init__(self, members):
        self.members = {}
        self.order = []
        for member in members:
            entry = {'state': 'SECONDARY', 'optime': (5, 1000, 1), 'running': True, 'priority': 1, 'votes': 1,
                     'delay': 0, 'auth_fail': False, 'heard': None, 'starting_polls': 0}
            entry.update(member)
            self.members[entry['name']] = entry
            self.order.append(entry['name'])
        self.sent = []
        self.frozen = {}
        self.step_down_error = None
        self.step_down_closes = False
        self.step_up_elects = True
        self.elect_after_polls = None     # (name, hello calls): the set elects by itself
        self.hello_calls = 0
        self.named_primary = None         # what secondaries' hello says while the dead primary is not noticed yet

    def member(self, name):
        return '%s:27017' % name

    def primary(self):
        for name in self.order:
            if self.members[name]['running'] and self.members[name]['state'] == 'PRIMARY':
                return name
        return None

    def majority(self):
        voters = [m for m in self.members.values() if m['votes']]
        return len([m for m in voters if m['running']]) >= len(voters) // 2 + 1

    def elect(self, name):
        for other in self.members.values():
            if other['state'] == 'PRIMARY':
                other['state'] = 'SECONDARY'
        winner = self.members[name]
        term = max(m['optime'][0] for m in self.members.values()) + 1
        winner['state'] = 'PRIMARY'
        winner['optime'] = (term, winner['optime'][1] + 1, 1)

    def command(self, me, document):
        key = document if isinstance(document, str) else next(iter(document))
        self.sent.append((me, key, document))
        member = self.members[me]
        if key == 'ping':
            return {'ok': 1.0}
        if key == 'hello':
            self.hello_calls += 1
            if self.elect_after_polls and self.hello_calls >= self.elect_after_polls[1] and self.majority():
                self.elect(self.elect_after_polls[0])
                self.elect_after_polls = None
            answer = {'isWritablePrimary': member['state'] == 'PRIMARY', 'secondary': member['state'] == 'SECONDARY',
                      'setName': 'rs0', 'me': self.member(me), 'ok': 1.0}
            primary = self.named_primary or self.primary()
            if primary:
                answer['primary'] = self.member(primary)
            return answer
        if key == 'replSetGetStatus':
            if member['starting_polls']:
                member['starting_polls'] -= 1
                if not member['starting_polls']:
                    member['state'] = 'SECONDARY'
            return {'set': 'rs0', 'myState': STATES[member['state']], 'ok': 1.0,
                    'members': [self._status_entry(name, name == me) for name in self.order]}
        if key == 'replSetGetConfig':
            return {'config': {'_id': 'rs0', 'version': 3, 'members': [
                {'_id': i, 'host': self.member(name), 'priority': self.members[name]['priority'],
                 'votes': self.members[name]['votes'], 'secondaryDelaySecs': self.members[name]['delay']}
                for i, name in enumerate(self.order)]}, 'ok': 1.0}
        if key == 'replSetStepUp':
            if not self.step_up_elects or member['state'] != 'SECONDARY' or not self.majority() or me in self.frozen:
                raise OperationFailure('Election failed.', 125)
            self.elect(me)
            return {'ok': 1.0}
        if key == 'replSetFreeze':
            if member['state'] == 'PRIMARY':
                raise OperationFailure('cannot freeze node when primary or running for election', 95)
            if document[key]:
                self.frozen[me] = document[key]
            else:
                self.frozen.pop(me, None)
            return {'ok': 1.0}
        if key == 'replSetStepDown':
            if member['state'] != 'PRIMARY':
                raise OperationFailure('not primary so can\'t step down', 10107)
            if self.step_down_error:
                raise self.step_down_error
            member['state'] = 'SECONDARY'
            eligible = [name for name in self.order if name != me and name not in self.frozen
                        and self.members[name]['running'] and self.members[name]['state'] == 'SECONDARY'
                        and self.members[name]['priority'] > 0]
            if eligible:   # election handoff: the most up-to-date eligible secondary
                self.elect(sorted(eligible, key=lambda name: self.members[name]['optime'])[-1])
            if self.step_down_closes:
                raise AutoReconnect('connection closed')
            return {'ok': 1.0}
        raise OperationFailure('no such command: %s' % key, 59)

    def _status_entry(self, name, is_self):
        member = self.members[name]
        if member['running']:
            term, seconds, inc = member['optime']
            entry = {'name': self.member(name), 'health': 1.0, 'state': STATES[member['state']],
                     'stateStr': member['state'], 'optime': {'ts': Timestamp(seconds, inc), 't': term},
                     'optimeDate': datetime.datetime.utcfromtimestamp(seconds), 'syncSourceHost': ''}
        else:
            heard = member['heard']
            entry = {'name': self.member(name), 'health': 0.0, 'state': 8, 'stateStr': '(not reachable/healthy)',
                     'optime': {'ts': Timestamp(heard or 0, 0), 't': -1},
                     'optimeDate': datetime.datetime.utcfromtimestamp(heard or 0)}
        if is_self:
            entry['self'] = True
        return entry


class FakeClient(object):
    def __init__(self, fake_set, me):
        self.fake_set, self.me = fake_set, me
        self.closed = False

    def __getitem__(self, database):
        assert database == 'admin'
        return self

    def command(self, document):
        return self.fake_set.command(self.me, document)

    def close(self):
        self.closed = True


class FakeApi(object):
    def __init__(self, docker):
        self.docker = docker
        self.calls = []

    def update_container(self, container_id, restart_policy=None):
        self.calls.append(('update_container', container_id, restart_policy))

    def kill(self, container_id, signal=None):
        self.calls.append(('kill', container_id))
        self.docker.fake_set.members[container_id[:-3]]['running'] = False


class FakeDocker(object):
    """DockerHelper's calls, recorded (in api.calls) as the Docker API receives them."""

    def __init__(self, fake_set):
        self.fake_set = fake_set
        self.api = FakeApi(self)
        self.started = []

    def set_restart_policy(self, container_id, policy):
        self.api.update_container(container_id, restart_policy={'Name': policy})

    def kill(self, container_id, signal=None):
        self.api.kill(container_id, signal)

    def container(self, name):
        member = self.fake_set.members.get(name)
        if member is None:
            return None
        return {'Id': name + '-id', 'State': {'Running': member['running']},
                'Config': {'Image': 'mongo:8.0', 'Hostname': name[:12]},
                'NetworkSettings': {'Networks': {'net': {'Aliases': [name], 'IPAddress': name + '-ip'}}}}

    def start(self, container_id):
        self.started.append(container_id)
        member = self.fake_set.members[container_id[:-3]]
        member['running'] = True
        member['state'] = 'RECOVERING'
        member['starting_polls'] = member.get('rejoin_polls', 2)


class FakeCluster(object):
    engine = 'mongodb'

    def __init__(self, fake_set, params=None, priorities=None):
        self.fake_set = fake_set
        self.params = dict({'probe_timeout': 1, 'probes': 2, 'probe_interval': 0.001, 'max_lag': 30,
                            'wait_timeout': 0.2}, **(params or {}))
        self.docker = FakeDocker(fake_set)
        self.nodes = [cluster.Node(name, (priorities or {}).get(name, 0), host=name + '-ip', port=27017,
                                   inspect=self.docker.container(name)) for name in fake_set.order]
        self.by_name = dict((node.name, node) for node in self.nodes)
        self.connects = []
        self.driver = fm.FailoverDriver(self)
        self.driver.poll_interval = 0.005

    def refresh(self, node):
        node.inspect = self.docker.container(node.name)
        return node

    def connect(self, node, timeout=None, query_timeout=None):
        self.connects.append((node.name, timeout))
        member = self.fake_set.members[node.name]
        if not member['running']:
            raise DbopsError('cannot connect to MongoDB at %s:27017' % node.host, 'login_host')
        if member['auth_fail']:
            raise DbopsError('authentication failed', 'login_password')
        return FakeClient(self.fake_set, node.name)

    def tcp_probe_from(self, observer, target, exchange=None):
        if not self.fake_set.members[observer.name]['running']:
            return None
        return self.fake_set.members[target.name]['running']


def three(**overrides):
    members = [{'name': 'a', 'state': 'PRIMARY', 'optime': (5, 1000, 9)},
               {'name': 'b', 'optime': (5, 1000, 9)},
               {'name': 'c', 'optime': (5, 1000, 9)}]
    for member in members:
        member.update(overrides.get(member['name'], {}))
    return FakeSet(members)


def kill(cluster, name):
    cluster.fake_set.members[name]['running'] = False
    cluster.refresh(cluster.by_name[name])


def sent(fake_set, key):
    return [(me, document) for me, name, document in fake_set.sent if name == key]


# ------------------------------------------------------------------ pure helpers
def test_optime_position_orders_term_first():
    older_term = fm.optime_position({'optime': {'ts': Timestamp(2000, 1), 't': 4}})
    newer_term = fm.optime_position({'optime': {'ts': Timestamp(1000, 1), 't': 5}})
    assert older_term == (4, 2000, 1) and newer_term > older_term
    assert fm.optime_position({'optime': Timestamp(1000, 3)}) == (-1, 1000, 3)
    assert fm.optime_position({'optime': {'ts': Timestamp(0, 0), 't': -1}}) is None
    assert fm.optime_position({}) is None


def test_optime_seconds_from_date_or_timestamp():
    naive = datetime.datetime(2026, 1, 1, 0, 0, 10)
    assert fm.optime_seconds({'optimeDate': naive}) == fm.optime_seconds(
        {'optimeDate': naive.replace(tzinfo=datetime.timezone.utc)})
    assert fm.optime_seconds({'optimeDate': datetime.datetime(1970, 1, 1),
                              'optime': {'ts': Timestamp(1234, 1), 't': 1}}) == 1234.0
    assert fm.optime_seconds({'optimeDate': datetime.datetime(1970, 1, 1)}) is None


def test_member_host():
    assert fm.member_host('db1:27017') == 'db1'
    assert fm.member_host('[::1]:27017') == '::1'
    assert fm.member_host('db1') == 'db1'


def test_majority_report_counts_voters_only():
    status = {'members': [{'name': 'a:27017', 'health': 0, 'stateStr': '(not reachable/healthy)'},
                          {'name': 'b:27017', 'health': 1, 'stateStr': 'SECONDARY'},
                          {'name': 'c:27017', 'health': 0, 'stateStr': '(not reachable/healthy)'},
                          {'name': 'd:27017', 'health': 1, 'stateStr': 'SECONDARY'}]}
    config = {'members': [{'host': 'a:27017'}, {'host': 'b:27017'}, {'host': 'c:27017'},
                          {'host': 'd:27017', 'votes': 0, 'priority': 0}]}
    up, voters, needed, described = fm.majority_report(status, config)
    assert (up, voters, needed) == (1, 3, 2)
    assert 'a:27017 (not reachable/healthy)' in described


# ------------------------------------------------------------------ discovery and probes
def test_discover_primary_is_the_writable_member():
    cluster = FakeCluster(three(a={'state': 'SECONDARY'}, c={'state': 'PRIMARY'}))
    assert cluster.driver.discover_primary() is cluster.by_name['c']
    assert all(client_timeout == 3 for _name, client_timeout in cluster.connects)


def test_discover_primary_named_by_the_secondaries_when_it_is_down():
    fake = three()
    cluster = FakeCluster(fake)
    kill(cluster, 'a')
    fake.named_primary = 'a'   # the heartbeats did not notice yet
    assert cluster.driver.discover_primary() is cluster.by_name['a']


def test_discover_primary_none_without_primary():
    cluster = FakeCluster(three(a={'state': 'SECONDARY'}))
    assert cluster.driver.discover_primary() is None


def test_controller_probe():
    fake = three()
    cluster = FakeCluster(fake, {'probe_timeout': 0.7})
    primary = cluster.by_name['a']
    assert cluster.driver.controller_probe(primary) is True
    assert ('a', 0.7) in cluster.connects and sent(fake, 'ping')
    fake.members['a']['auth_fail'] = True
    assert cluster.driver.controller_probe(primary) is True       # it answered: alive
    fake.members['a']['auth_fail'] = False
    kill(cluster, 'a')
    assert cluster.driver.controller_probe(primary) is False


# ------------------------------------------------------------------ candidates and refusals
def test_positions_and_candidate_choice():
    fake = three(b={'optime': (5, 1000, 3)}, c={'optime': (5, 1000, 7)})
    cluster = FakeCluster(fake)
    kill(cluster, 'a')
    rows = cluster.driver.positions([cluster.by_name['b'], cluster.by_name['c']])
    assert [(r['name'], r['healthy'], r['position']) for r in rows] == [('b', True, (5, 1000, 3)),
                                                                        ('c', True, (5, 1000, 7))]
    assert decisions.choose_candidate(rows)['name'] == 'c'


def test_positions_ties_broken_by_the_set_priorities():
    cluster = FakeCluster(three(b={'priority': 1}, c={'priority': 2}))
    kill(cluster, 'a')
    rows = cluster.driver.positions(cluster.nodes[1:])
    assert [r['priority'] for r in rows] == [1, 2]
    assert decisions.choose_candidate(rows)['name'] == 'c'
    # The node's own priority (the module's option) wins over the set's.
    cluster = FakeCluster(three(b={'priority': 1}, c={'priority': 2}), priorities={'b': 5})
    assert decisions.choose_candidate(cluster.driver.positions(cluster.nodes[1:]))['name'] == 'b'


def test_positions_skip_unusable_members():
    members = [{'name': 'a', 'state': 'PRIMARY'}, {'name': 'b', 'state': 'RECOVERING'},
               {'name': 'c', 'priority': 0}, {'name': 'd', 'running': False}, {'name': 'e', 'delay': 3600},
               {'name': 'f', 'optime': (5, 900, 1)}]
    cluster = FakeCluster(FakeSet(members))
    rows = dict((r['name'], r) for r in cluster.driver.positions(cluster.nodes[1:]))
    assert not rows['b']['healthy'] and 'RECOVERING' in rows['b']['why']
    assert not rows['c']['healthy'] and 'priority 0' in rows['c']['why']
    assert rows['d']['why'] == 'container not running'
    assert not rows['e']['healthy'] and 'delayed' in rows['e']['why']
    assert rows['f']['healthy'] and rows['f']['lag_s'] == 100
    assert decisions.choose_candidate(list(rows.values()))['name'] == 'f'


def test_failover_refused_without_healthy_candidate():
    fake = three(b={'state': 'RECOVERING'}, c={'priority': 0})
    cluster = FakeCluster(fake, {'primary': 'a'})
    kill(cluster, 'a')
    with pytest.raises(DbopsError) as error:
        orchestrator.Failover(cluster.params, cluster=cluster).failover()
    assert error.value.parameter == 'nodes' and 'no healthy candidate' in str(error.value)
    assert cluster.docker.api.calls == [] and not sent(fake, 'replSetStepUp')


def test_failover_refused_when_candidate_lags_past_max_lag():
    fake = three(a={'heard': 1100}, b={'optime': (5, 1000, 1)}, c={'optime': (5, 990, 1)})
    cluster = FakeCluster(fake, {'max_lag': 30, 'primary': 'a'})
    kill(cluster, 'a')                     # its last optime (1100), as the secondaries heard it, stays known
    with pytest.raises(DbopsError) as error:
        orchestrator.Failover(cluster.params, cluster=cluster).failover()
    assert error.value.parameter == 'max_lag' and 'b lags' in str(error.value) and '100' in str(error.value)
    assert cluster.docker.api.calls == [] and not sent(fake, 'replSetStepUp')
    # force: it goes on.
    cluster.params['force'] = True
    result = orchestrator.Failover(cluster.params, cluster=cluster).failover()
    assert result['new_primary'] == 'b'


def test_failover_refused_while_the_primary_lives():
    cluster = FakeCluster(three())
    with pytest.raises(DbopsError) as error:
        orchestrator.Failover(cluster.params, cluster=cluster).failover()
    assert error.value.parameter == 'mode'
    assert cluster.docker.api.calls == []


# ------------------------------------------------------------------ election
def test_failover_waits_for_the_election_and_reports_the_timeline():
    fake = three(b={'optime': (5, 1000, 3)}, c={'optime': (5, 1000, 7)})
    cluster = FakeCluster(fake, {'primary': 'a'})   # once the heartbeats fail, no member names the dead primary
    kill(cluster, 'a')
    result = orchestrator.Failover(cluster.params, cluster=cluster).failover()
    assert (result['old_primary'], result['new_primary']) == ('a', 'c')
    assert fake.primary() == 'c' and cluster.driver.elected is cluster.by_name['c']
    assert [e['event'] for e in result['timeline']] == ['checked', 'detected', 'candidate_caught_up', 'fenced',
                                                        'promoted', 'endpoint_moved', 'repointed']
    assert ('update_container', 'a-id', {'Name': 'no'}) in cluster.docker.api.calls
    assert [me for me, _doc in sent(fake, 'replSetStepUp')] == ['c']
    assert not [key for _me, key, _doc in fake.sent if key == 'replSetReconfig']
    assert result['repointed'] == ['b']


def test_promote_waits_for_the_set_to_elect_by_itself():
    fake = three()
    cluster = FakeCluster(fake, {'wait_timeout': 5})
    kill(cluster, 'a')
    fake.step_up_elects = False            # step-up refused: the set elects on its own after a few polls
    fake.elect_after_polls = ('c', fake.hello_calls + 6)
    assert cluster.driver.promote(cluster.by_name['b']) is cluster.by_name['c']


def test_promote_times_out_without_majority():
    fake = three()
    cluster = FakeCluster(fake, {'wait_timeout': 0.05})
    kill(cluster, 'a')
    kill(cluster, 'c')
    with pytest.raises(DbopsError) as error:
        cluster.driver.promote(cluster.by_name['b'])
    message = str(error.value)
    assert error.value.parameter == 'nodes'
    assert 'majority of its voting members' in message and '1 of 3 voting members are up, 2 are needed' in message
    assert not [key for _me, key, _doc in fake.sent if key == 'replSetReconfig']


def test_fence_kills_and_disables_restart():
    fake = three()
    cluster = FakeCluster(fake)
    cluster.driver.fence(cluster.by_name['a'])
    assert cluster.docker.api.calls == [('update_container', 'a-id', {'Name': 'no'}), ('kill', 'a-id')]
    assert not cluster.by_name['a'].running
    cluster.docker.api.calls[:] = []
    cluster.driver.fence(cluster.by_name['a'])          # stopped already: no kill
    assert cluster.docker.api.calls == [('update_container', 'a-id', {'Name': 'no'})]


def test_repoint_does_nothing():
    fake = three()
    cluster = FakeCluster(fake)
    before = len(fake.sent)
    assert cluster.driver.repoint(cluster.by_name['b'], cluster.by_name['c']) is None
    assert len(fake.sent) == before and cluster.connects == []


# ------------------------------------------------------------------ switchover
def test_switchover_steps_down_and_the_candidate_wins():
    fake = three()
    cluster = FakeCluster(fake, {'max_lag': 10, 'candidate': 'c', 'wait_timeout': 2})
    result = orchestrator.Failover(cluster.params, cluster=cluster).switchover()
    assert (result['old_primary'], result['new_primary']) == ('a', 'c') and fake.primary() == 'c'
    assert list(sent(fake, 'replSetStepDown')) == [
        ('a', {'replSetStepDown': 60, 'secondaryCatchUpPeriodSecs': 10})]
    freezes = sent(fake, 'replSetFreeze')
    assert freezes[0] == ('b', {'replSetFreeze': 12}) and freezes[-1] == ('b', {'replSetFreeze': 0})
    assert fake.frozen == {} and fake.members['a']['state'] == 'SECONDARY'
    events = [e['event'] for e in result['timeline']]
    assert events[-3:] == ['endpoint_moved', 'repointed', 'old_primary_follows'] and 'promoted' in events
    assert cluster.docker.api.calls == []        # nothing stopped in a switchover


def test_switchover_without_candidate_takes_the_best():
    fake = three(b={'optime': (5, 1000, 9)}, c={'optime': (5, 1000, 8)})
    cluster = FakeCluster(fake, {'max_lag': 90})
    result = orchestrator.Failover(cluster.params, cluster=cluster).switchover()
    assert result['new_primary'] == 'b' and fake.primary() == 'b'
    # stepDownSecs must be longer than secondaryCatchUpPeriodSecs.
    assert sent(fake, 'replSetStepDown') == [('a', {'replSetStepDown': 91, 'secondaryCatchUpPeriodSecs': 90})]


def test_switchover_connection_closed_by_step_down_is_fine():
    fake = three()
    fake.step_down_closes = True         # MongoDB before 4.2
    cluster = FakeCluster(fake, {'candidate': 'b', 'wait_timeout': 2})
    assert orchestrator.Failover(cluster.params, cluster=cluster).switchover()['new_primary'] == 'b'


def test_switchover_step_down_refused_unfreezes():
    fake = three()
    fake.step_down_error = OperationFailure('No electable secondaries caught up', 262)
    cluster = FakeCluster(fake, {'candidate': 'c'})
    with pytest.raises(DbopsError) as error:
        orchestrator.Failover(cluster.params, cluster=cluster).switchover()
    assert error.value.parameter == 'max_lag' and 'did not step down' in str(error.value)
    assert fake.frozen == {} and fake.primary() == 'a'
    assert sent(fake, 'replSetFreeze')[-1] == ('b', {'replSetFreeze': 0})


def test_switchover_refuses_unusable_candidate():
    fake = three(c={'priority': 0})
    cluster = FakeCluster(fake, {'candidate': 'c'})
    with pytest.raises(DbopsError) as error:
        orchestrator.Failover(cluster.params, cluster=cluster).switchover()
    assert error.value.parameter == 'candidate'
    assert not sent(fake, 'replSetStepDown')


def test_switchover_refused_when_primary_down():
    cluster = FakeCluster(three(), {'primary': 'a'})
    kill(cluster, 'a')
    with pytest.raises(DbopsError) as error:
        orchestrator.Failover(cluster.params, cluster=cluster).switchover()
    assert error.value.parameter == 'mode'


# ------------------------------------------------------------------ rejoin
def test_rejoin_starts_and_waits_for_secondary():
    fake = three(a={'state': 'SECONDARY'}, b={'state': 'PRIMARY'})
    cluster = FakeCluster(fake, {'node': 'a', 'wait_timeout': 2})
    kill(cluster, 'a')
    result = orchestrator.Failover(cluster.params, cluster=cluster).rejoin()
    assert result['primary'] == 'b' and fake.members['a']['state'] == 'SECONDARY'
    assert cluster.docker.started == ['a-id']
    assert ('update_container', 'a-id', {'Name': 'unless-stopped'}) in cluster.docker.api.calls


def test_rejoin_times_out_when_it_stays_recovering():
    fake = three(a={'state': 'SECONDARY'}, b={'state': 'PRIMARY'})
    fake.members['a']['rejoin_polls'] = 10 ** 6
    cluster = FakeCluster(fake, {'wait_timeout': 0.05})
    kill(cluster, 'a')
    with pytest.raises(DbopsError) as error:
        cluster.driver.rejoin(cluster.by_name['a'], cluster.by_name['b'])
    assert error.value.parameter == 'wait_timeout' and 'RECOVERING' in str(error.value)
