# -*- coding: utf-8 -*-
"""MongoDB replica set planning and status, on server answers shaped as the
manual documents them (replSetGetStatus, replSetGetConfig with
commitmentStatus, replSetInitiate, replSetReconfig). The fake server also
enforces the manual's reconfiguration rules, so a plan that breaks them fails
here."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import functools

import pytest
from bson import ObjectId
from pymongo.errors import AutoReconnect, OperationFailure

from ansible_collections.dbops.containers.plugins.module_utils.common import wait
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import replication as rm
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

NOW = datetime.datetime(2026, 11, 24, 12, 0, 0)


def voters(config):
    return set(m['host'] for m in config['members'] if m.get('votes', 1))


class FakeServer(object):
    """One member's answers to admin commands, as documented."""

    def __init__(self, me='db1:27017', set_name='rs0', config=None, states=None, replication=True):
        self.me = me
        self.set_name = set_name
        self.config = copy.deepcopy(config)
        self.states = dict(states or {})
        self.replication = replication
        self.committed = True
        self.sent = []
        self.step_down_closes = False

    # pymongo: client['admin'].command(document)
    def __getitem__(self, name):
        assert name == 'admin'
        return self

    def command(self, document):
        name = next(iter(document))
        self.sent.append(copy.deepcopy(document))
        return getattr(self, '_' + name)(document)

    def _primary(self):
        for host, state in self.states.items():
            if state == 'PRIMARY':
                return host
        return None

    def _hello(self, _doc):
        answer = {'isWritablePrimary': self.states.get(self.me) == 'PRIMARY', 'ok': 1.0}
        if self.config:
            answer.update(setName=self.config['_id'], me=self.me, primary=self._primary(),
                          hosts=[m['host'] for m in self.config['members']])
        return answer

    def _getCmdLineOpts(self, _doc):
        parsed = {'config': '/etc/mongo/mongod.conf', 'net': {'bindIpAll': True}}
        if self.replication:
            parsed['replication'] = {'replSetName': self.set_name}
        return {'argv': ['mongod', '--config', '/etc/mongo/mongod.conf'], 'parsed': parsed, 'ok': 1.0}

    def _replSetGetStatus(self, _doc):
        if not self.replication:
            raise OperationFailure('not running with --replSet', code=76)
        if not self.config:
            raise OperationFailure('no replset config has been received', code=94)
        members = []
        for member in self.config['members']:
            state = self.states.get(member['host'], 'SECONDARY')
            doc = {'_id': member['_id'], 'name': member['host'], 'health': 0.0 if state == '(not reachable/healthy)'
                   else 1.0, 'state': {'PRIMARY': 1, 'SECONDARY': 2, 'ARBITER': 7}.get(state, 8),
                   'stateStr': state, 'uptime': 3600, 'optimeDate': NOW, 'syncSourceHost': '',
                   'configVersion': self.config['version']}
            if state == 'ARBITER':
                del doc['optimeDate']
            if member['host'] == self.me:
                doc['self'] = True
            else:
                doc['pingMs'] = 1
                doc['lastHeartbeat'] = NOW
            members.append(doc)
        return {'set': self.config['_id'], 'date': NOW, 'myState': 1, 'members': members, 'ok': 1.0}

    def _replSetGetConfig(self, doc):
        if not self.config:
            raise OperationFailure('no replset config has been received', code=94)
        answer = {'config': copy.deepcopy(self.config), 'ok': 1.0}
        if doc.get('commitmentStatus'):
            if self.states.get(self.me) != 'PRIMARY':
                raise OperationFailure('commitmentStatus is only supported on the primary', code=10107)
            answer['commitmentStatus'] = self.committed
        return answer

    def _replSetInitiate(self, doc):
        if self.config:
            raise OperationFailure('already initialized', code=23)
        config = doc['replSetInitiate']
        if config['_id'] != self.set_name:
            raise OperationFailure('Attempting to initiate a replica set with name %s, but command line reports %s'
                                   % (config['_id'], self.set_name), code=93)
        if self.me not in [m['host'] for m in config['members']]:
            raise OperationFailure('No host described in new configuration maps to this node', code=93)
        self.config = copy.deepcopy(config)
        self.config['term'] = 1
        self.config['settings'] = {'replicaSetId': ObjectId('5f2b2c3d4e5f6a7b8c9d0e1f')}
        self.states = dict((m['host'], 'ARBITER' if m.get('arbiterOnly') else 'SECONDARY')
                           for m in config['members'])
        self.states[self.me] = 'PRIMARY'
        return {'ok': 1.0}

    def _replSetReconfig(self, doc):
        new = doc['replSetReconfig']
        if self.states.get(self.me) != 'PRIMARY':
            raise OperationFailure('not primary', code=10107)
        if not self.committed:
            raise OperationFailure('current config is not committed', code=308)
        if new['version'] != self.config['version'] + 1:
            raise OperationFailure('version must be %d' % (self.config['version'] + 1), code=103)
        if len(voters(new) ^ voters(self.config)) > 1:
            raise OperationFailure('Non force replica set reconfig can only add or remove at most 1 voting member',
                                   code=103)
        mine = [m for m in new['members'] if m['host'] == self.me]
        if not mine or not mine[0].get('priority', 1) or mine[0].get('hidden') or not mine[0].get('votes', 1):
            raise OperationFailure('This node is not electable under the new configuration', code=84)
        for member in new['members']:
            if member.get('priority', 1) and (member.get('hidden') or not member.get('votes', 1)):
                raise OperationFailure('priority must be 0 when hidden or non-voting', code=103)
        ids = [m['_id'] for m in new['members']]
        assert len(ids) == len(set(ids))
        self.config = copy.deepcopy(new)
        self.config['term'] = 1
        for member in new['members']:
            self.states.setdefault(member['host'], 'SECONDARY')
        for host in list(self.states):
            if host not in [m['host'] for m in new['members']]:
                del self.states[host]
        return {'ok': 1.0}

    def _replSetStepDown(self, _doc):
        others = [h for h, s in self.states.items() if s == 'SECONDARY' and h != self.me]
        self.states[self.me] = 'SECONDARY'
        self.states[others[0]] = 'PRIMARY'
        if self.step_down_closes:
            raise AutoReconnect('connection closed')
        return {'ok': 1.0}


def member(host, **kw):
    kw['host'] = host
    return kw


THREE = [member('db1:27017'), member('db2:27017'), member('db3:27017')]


def initiated(members=None, **kw):
    members = THREE if members is None else members
    server = FakeServer(**kw)
    rm.configure_replicaset(server, 'rs0', members, wait_timeout=5)
    server.sent = []
    return server


def reconfigs(server):
    return [c['replSetReconfig'] for c in server.sent if 'replSetReconfig' in c]


# ------------------------------------------------------------------ members

def test_normalize_defaults_and_port():
    result = rm.normalize_members(['db1', member('db2:27018', priority=2, tags={'dc': 'east'}),
                                   member('db3', hidden=True), member('db4', arbiter_only=True),
                                   member('db5', votes=0)])
    assert [m['host'] for m in result] == ['db1:27017', 'db2:27018', 'db3:27017', 'db4:27017', 'db5:27017']
    assert [m['priority'] for m in result] == [1.0, 2.0, 0.0, 0.0, 0.0]
    assert result[1]['tags'] == {'dc': 'east'}
    assert result[4]['votes'] == 0


@pytest.mark.parametrize('members, text', [
    ([member('db1', hidden=True, priority=1)], 'hidden member must have priority 0'),
    ([member('db1', arbiter_only=True, priority=1)], 'an arbiter must have priority 0'),
    ([member('db1', votes=0, priority=1)], 'non-voting member must have priority 0'),
    ([member('db1', arbiter_only=True, votes=0)], 'an arbiter always has 1 vote'),
    ([member('db1', votes=2)], 'votes must be 0 or 1'),
    ([member('db1'), member('db1:27017')], 'listed twice'),
    ([member('db1:99999')], 'not a member address'),
    ([member('db1', weight=3)], 'unknown keys weight'),
    ([], 'at least one member'),
])
def test_bad_members_are_refused_naming_members(members, text):
    with pytest.raises(DbopsError) as error:
        rm.normalize_members(members)
    assert error.value.parameter == 'members'
    assert text in error.value.message


def test_more_than_seven_voters_or_fifty_members_are_refused():
    with pytest.raises(DbopsError) as error:
        rm.initial_config('rs0', ['db%d' % i for i in range(8)])
    assert 'at most 7' in error.value.message and error.value.parameter == 'members'
    many = ['db%d' % i for i in range(7)] + [member('x%d' % i, votes=0) for i in range(44)]
    with pytest.raises(DbopsError) as error:
        rm.initial_config('rs0', many)
    assert 'at most 50' in error.value.message


def test_even_number_of_voters_is_a_warning_not_an_error():
    warnings = []
    rm.initial_config('rs0', ['db1', 'db2'], warnings)
    assert len(warnings) == 1 and 'even number' in warnings[0]


def test_no_electable_member_is_refused():
    with pytest.raises(DbopsError) as error:
        rm.initial_config('rs0', [member('db1', priority=0), member('db2', priority=0), member('db3', priority=0)])
    assert 'no member can become primary' in error.value.message


def test_member_ids_are_stable_and_new_ones_fill_gaps():
    existing = [{'_id': 0, 'host': 'db1:27017', 'buildIndexes': True, 'secondaryDelaySecs': 0},
                {'_id': 2, 'host': 'db3:27017'}]
    docs = rm.member_documents(['db3', 'db4', 'db1', 'db5'], existing)
    assert [(d['host'], d['_id']) for d in docs] == [('db3:27017', 2), ('db4:27017', 1), ('db1:27017', 0),
                                                     ('db5:27017', 3)]
    assert docs[2]['buildIndexes'] is True and docs[2]['secondaryDelaySecs'] == 0  # unmanaged fields kept


# -------------------------------------------------------------------- plans

def current(hosts, version=1, **per_host):
    members = []
    for index, host in enumerate(hosts):
        doc = {'_id': index, 'host': host, 'arbiterOnly': False, 'buildIndexes': True, 'hidden': False,
               'priority': 1, 'tags': {}, 'secondaryDelaySecs': 0, 'votes': 1}
        doc.update(per_host.get(host.split(':')[0], {}))
        members.append(doc)
    return {'_id': 'rs0', 'version': version, 'term': 3, 'protocolVersion': 1, 'members': members,
            'settings': {'chainingAllowed': True, 'replicaSetId': ObjectId('5f2b2c3d4e5f6a7b8c9d0e1f')}}


HOSTS3 = ['db1:27017', 'db2:27017', 'db3:27017']


def test_same_members_plan_nothing():
    assert rm.plan_reconfig(current(HOSTS3), ['db1', 'db2', 'db3']) == []


def test_adding_two_voters_takes_two_reconfigs_with_increasing_versions():
    configs = rm.plan_reconfig(current(HOSTS3, version=4), ['db1', 'db2', 'db3', 'db4', 'db5'])
    assert [c['version'] for c in configs] == [5, 6]
    assert [len(voters(c)) for c in configs] == [4, 5]
    assert all('term' not in c for c in configs)  # the primary sets it
    assert configs[-1]['settings']['replicaSetId'] == ObjectId('5f2b2c3d4e5f6a7b8c9d0e1f')


def test_non_voting_members_are_added_in_one_reconfig():
    configs = rm.plan_reconfig(current(HOSTS3), ['db1', 'db2', 'db3', member('r1', votes=0),
                                                 member('r2', votes=0, hidden=True)])
    assert len(configs) == 1
    assert set(m['host'] for m in configs[0]['members']) == set(HOSTS3 + ['r1:27017', 'r2:27017'])


def test_replacing_a_member_adds_before_it_removes():
    steps = rm.plan_steps(current(HOSTS3), ['db1', 'db2', 'db4'])
    assert [d.split(': ', 1)[1] for d, _c in steps] == ['add db4:27017 (votes 1, priority 1)', 'remove db3:27017']


def test_at_seven_voters_a_removal_comes_first():
    hosts = ['db%d:27017' % i for i in range(1, 8)]
    steps = rm.plan_steps(current(hosts), ['db%d' % i for i in range(1, 7)] + ['db9'])
    assert [d.split(': ', 1)[1] for d, _c in steps] == ['remove db7:27017', 'add db9:27017 (votes 1, priority 1)']


def test_votes_changes_are_one_per_reconfig_and_carry_their_priority():
    configs = rm.plan_reconfig(current(HOSTS3 + ['db4:27017', 'db5:27017']),
                               ['db1', 'db2', 'db3', member('db4', votes=0), member('db5', votes=0)])
    assert len(configs) == 2
    for config in configs:
        for doc in config['members']:
            assert not (doc['votes'] == 0 and doc['priority'] > 0)


def test_priority_changes_go_in_one_reconfig_raises_first_and_lowers_last():
    steps = rm.plan_steps(current(HOSTS3), [member('db1', priority=0.5), member('db2', priority=3), 'db3'],
                          primary='db3:27017')
    assert [d.split(': ', 1)[1] for d, _c in steps] == ['db2:27017: priority 1 -> 3', 'db1:27017: priority 1 -> 0.5']


def test_removing_the_primary_is_refused_with_the_fix():
    with pytest.raises(DbopsError) as error:
        rm.plan_reconfig(current(HOSTS3), ['db2', 'db3', 'db4'], primary='db1:27017')
    assert error.value.parameter == 'members'
    assert 'db1:27017 is the current primary' in error.value.message
    assert 'Step it down first' in error.value.message


@pytest.mark.parametrize('change', [{'priority': 0}, {'hidden': True}, {'votes': 0}])
def test_demoting_the_primary_is_refused_unless_force(change):
    wanted = [member('db1', **change), 'db2', 'db3']
    with pytest.raises(DbopsError) as error:
        rm.plan_reconfig(current(HOSTS3), wanted, primary='db1:27017')
    assert 'make unelectable' in error.value.message
    assert rm.plan_reconfig(current(HOSTS3), wanted, primary='db1:27017', force=True)


def test_lowering_the_primary_below_another_member_warns():
    warnings = []
    rm.plan_reconfig(current(HOSTS3), ['db1', member('db2', priority=5), 'db3'], primary='db1:27017',
                     warnings=warnings)
    assert any('will step down' in w for w in warnings)


def test_switching_a_member_to_arbiter_is_refused():
    with pytest.raises(DbopsError) as error:
        rm.plan_reconfig(current(HOSTS3), ['db1', 'db2', member('db3', arbiter_only=True)])
    assert 'remove it' in error.value.message


def test_final_configuration_keeps_the_given_order():
    configs = rm.plan_reconfig(current(HOSTS3), ['db4', 'db1', 'db2', 'db3'])
    assert [m['host'] for m in configs[-1]['members']] == ['db4:27017'] + HOSTS3


# ------------------------------------------------------- configure_replicaset

def test_initiate_sends_all_members_and_waits_for_a_primary():
    server = FakeServer()
    changed, actions, config = rm.configure_replicaset(server, 'rs0', THREE, wait_timeout=5)
    assert changed and actions == ['initiate rs0 with db1:27017, db2:27017, db3:27017']
    initiate = [c for c in server.sent if 'replSetInitiate' in c][0]['replSetInitiate']
    assert initiate['_id'] == 'rs0' and initiate['version'] == 1
    assert [(m['_id'], m['host']) for m in initiate['members']] == [(0, 'db1:27017'), (1, 'db2:27017'),
                                                                    (2, 'db3:27017')]
    assert config['settings']['replicaSetId'] == '5f2b2c3d4e5f6a7b8c9d0e1f'  # plain data for Ansible
    assert config['warnings'] == []


def test_second_run_changes_nothing():
    server = initiated()
    assert rm.configure_replicaset(server, 'rs0', THREE, wait_timeout=5)[:2] == (False, [])
    assert not reconfigs(server)


def test_check_mode_sends_nothing():
    server = FakeServer()
    changed, actions, config = rm.configure_replicaset(server, 'rs0', THREE, check_mode=True)
    assert changed and actions and config['members'][0]['host'] == 'db1:27017'
    assert not [c for c in server.sent if 'replSetInitiate' in c]
    server = initiated()
    changed, actions, config = rm.configure_replicaset(server, 'rs0', THREE + ['db4', 'db5'], check_mode=True)
    assert changed and len(actions) == 2 and len(config['members']) == 5
    assert not reconfigs(server)


def test_add_two_members_respects_the_server_rules_and_waits_for_commit():
    server = initiated()
    changed, actions, config = rm.configure_replicaset(server, 'rs0', THREE + ['db4', 'db5'], wait_timeout=5)
    assert changed and len(actions) == 2
    assert [c['version'] for c in reconfigs(server)] == [2, 3]
    names = [next(iter(c)) for c in server.sent]
    # Each reconfig is followed by a commitment check before the next one.
    assert names.index('replSetReconfig') < names.index('replSetGetConfig', names.index('replSetReconfig'))
    assert all('maxTimeMS' in c for c in server.sent if 'replSetReconfig' in c)
    assert config['version'] == 3 and len(config['members']) == 5
    assert rm.configure_replicaset(server, 'rs0', THREE + ['db4', 'db5'])[:2] == (False, [])


def test_remove_a_member_and_change_priority():
    server = initiated()
    changed, actions, config = rm.configure_replicaset(server, 'rs0', ['db1', member('db2', priority=2)],
                                                       wait_timeout=5)
    assert changed
    assert [m['host'] for m in config['members']] == ['db1:27017', 'db2:27017']
    assert config['members'][1]['priority'] == 2
    assert any('even number' in w for w in config['warnings'])


def test_waits_until_the_previous_config_is_committed(monkeypatch):
    server = initiated()
    server.committed = False
    calls = []

    def sleep(seconds):
        calls.append(seconds)
        server.committed = True
    # wait_until's sleep is bound when common.wait is imported: hand it the fake one.
    monkeypatch.setattr(rm, 'wait_until', functools.partial(wait.wait_until, sleep=sleep))
    rm.configure_replicaset(server, 'rs0', THREE + ['db4'], wait_timeout=5)
    assert calls and reconfigs(server)


def test_commit_timeout_names_wait_timeout(monkeypatch):
    server = initiated()
    server.committed = False
    monkeypatch.setattr(rm.time, 'sleep', lambda s: None)
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(server, 'rs0', THREE + ['db4'], wait_timeout=0)
    assert error.value.parameter == 'wait_timeout'


def test_other_set_name_is_refused():
    server = initiated()
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(server, 'rs1', THREE)
    assert error.value.parameter == 'replica_set' and 'belongs to replica set rs0' in error.value.message
    server = FakeServer(set_name='other')
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(server, 'rs0', THREE)
    assert error.value.parameter == 'replica_set' and 'replSetName=other' in error.value.message


def test_standalone_server_is_refused_with_the_setting_to_add():
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(FakeServer(replication=False), 'rs0', THREE)
    assert error.value.parameter == 'replica_set' and 'replication.replSetName' in error.value.message


def test_initiate_on_a_host_not_in_the_list_fails_clearly():
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(FakeServer(me='other:27017'), 'rs0', THREE, wait_timeout=1)
    assert error.value.parameter == 'members' and 'must be listed' in error.value.message


def test_reconfig_on_a_secondary_names_the_primary():
    server = initiated()
    server.states = {'db1:27017': 'SECONDARY', 'db2:27017': 'PRIMARY', 'db3:27017': 'SECONDARY'}
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(server, 'rs0', THREE + ['db4'])
    assert error.value.parameter == 'login_host' and '(db2:27017)' in error.value.message


def test_removing_the_connected_primary_is_refused_and_nothing_sent():
    server = initiated()
    with pytest.raises(DbopsError) as error:
        rm.configure_replicaset(server, 'rs0', ['db2', 'db3'])
    assert error.value.parameter == 'members' and 'step it down first' in error.value.message.lower()
    assert not reconfigs(server)


def test_force_steps_the_primary_down_and_hands_the_rest_over():
    server = initiated()
    server.step_down_closes = True
    changed, actions, config = rm.configure_replicaset(server, 'rs0', [member('db1', priority=0), 'db2', 'db3'],
                                                       wait_timeout=5, force=True)
    assert changed and 'step down db1:27017' in actions[-1]
    assert config['primary'] == 'db2:27017' and config['pending']
    assert not reconfigs(server)


# ------------------------------------------------------------------- status

def status_doc(states, optimes=None, health=None):
    members = []
    for index, (name, state) in enumerate(states):
        doc = {'_id': index, 'name': name, 'health': (health or {}).get(name, 1.0), 'stateStr': state,
               'uptime': 100, 'optimeDate': (optimes or {}).get(name, NOW), 'syncSourceHost': 'db1:27017',
               'pingMs': 2}
        if state == 'ARBITER':
            del doc['optimeDate']
        members.append(doc)
    members[0]['self'] = True
    return {'set': 'rs0', 'myState': 1, 'members': members, 'ok': 1.0}


def test_member_facts_compute_lag_from_the_primary():
    doc = status_doc([('db1:27017', 'PRIMARY'), ('db2:27017', 'SECONDARY'), ('db3:27017', 'ARBITER')],
                     optimes={'db2:27017': NOW - datetime.timedelta(seconds=75)})
    facts = rm.member_facts(doc, current(HOSTS3))
    assert [f['lag_seconds'] for f in facts] == [0, 75, None]
    assert facts[1]['syncSourceHost'] == 'db1:27017' and facts[1]['pingMs'] == 2


def evaluated(states, **kw):
    return rm.evaluate({'role': 'primary', 'members': rm.member_facts(status_doc(states, **kw), kw.get('config'))})


def test_healthy_set_is_ok():
    result = evaluated([('db1:27017', 'PRIMARY'), ('db2:27017', 'SECONDARY'), ('db3:27017', 'SECONDARY')])
    assert result == {'severity': 'ok', 'reasons': []}


def test_lag_over_a_minute_is_a_warning():
    result = evaluated([('db1:27017', 'PRIMARY'), ('db2:27017', 'SECONDARY'), ('db3:27017', 'SECONDARY')],
                       optimes={'db3:27017': NOW - datetime.timedelta(seconds=61)})
    assert result['severity'] == 'warning' and 'db3:27017 lags the primary by 61 s' in result['reasons'][0]


def test_no_primary_and_unreachable_member_are_critical():
    result = evaluated([('db1:27017', 'SECONDARY'), ('db2:27017', '(not reachable/healthy)'),
                        ('db3:27017', 'SECONDARY')], health={'db2:27017': 0.0})
    assert result['severity'] == 'critical'
    assert any('no member is PRIMARY' in r for r in result['reasons'])
    assert any('db2:27017' in r and 'unreachable' in r for r in result['reasons'])


def test_lost_voting_majority_is_critical():
    result = evaluated([('db1:27017', 'SECONDARY'), ('db2:27017', 'DOWN'), ('db3:27017', 'DOWN')],
                       health={'db2:27017': 0.0, 'db3:27017': 0.0})
    assert any('only 1 of 3 voting members are up' in r for r in result['reasons'])


def test_even_voters_warn_and_non_voters_do_not_count():
    result = evaluated([('db1:27017', 'PRIMARY'), ('db2:27017', 'SECONDARY')])
    assert result['severity'] == 'warning' and 'even number' in result['reasons'][0]
    config = current(HOSTS3, db3={'votes': 0, 'priority': 0})
    result = rm.evaluate({'role': 'primary', 'members': rm.member_facts(
        status_doc([('db1:27017', 'PRIMARY'), ('db2:27017', 'SECONDARY'), ('db3:27017', 'SECONDARY')]), config)})
    assert 'even number' in ' '.join(result['reasons'])


def test_standalone_and_not_initiated_are_critical():
    assert rm.evaluate({'role': 'standalone'})['severity'] == 'critical'
    assert 'not initiated' in rm.evaluate({'role': 'not_initiated'})['reasons'][0]


def test_status_of_a_live_member_and_of_standalone_and_uninitiated_servers():
    server = initiated()
    facts = rm.status(server)
    assert facts['role'] == 'primary' and facts['set'] == 'rs0' and facts['severity'] == 'ok'
    assert [m['name'] for m in facts['members']] == HOSTS3
    assert facts['members'][0]['lag_seconds'] == 0
    assert isinstance(facts['members'][0]['uptime'], int)
    assert rm.status(FakeServer(replication=False))['role'] == 'standalone'
    assert rm.status(FakeServer())['role'] == 'not_initiated'
