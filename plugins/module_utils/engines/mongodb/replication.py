# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB replica sets: initiate, add and remove members, change priorities and
votes safely, and report the set's health.

Written to the MongoDB manual (no MongoDB server runs on the project's build
machine; the planning is unit-tested on documented server responses and the
integration test runs wherever the official image exists):

* replSetInitiate / replSetReconfig / replSetGetConfig / replSetGetStatus
  (database commands, run on the ``admin`` database).
* "Reconfiguration Can Add or Remove No More than One Voting Member at a Time"
  (MongoDB >= 4.4): every change of the number of voters is its own reconfig.
* replSetGetConfig ``commitmentStatus: true`` (>= 4.4, primary only): whether
  the previous reconfig is committed, so the next one may be sent.
* Replica set configuration: at most 50 members and 7 voting members;
  non-voting members, hidden members and arbiters have priority 0; arbiters
  have one vote. A primary that would become unelectable (removed, priority 0,
  hidden, non-voting) must step down first (replSetStepDown).

The planners (``normalize_members``, ``member_documents``, ``plan_steps``,
``plan_reconfig``, ``evaluate``) are pure. ``configure_replicaset`` and
``status`` take a pymongo ``MongoClient`` connected directly
(``directConnection=True``) to one member as a user with clusterAdmin rights.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import re
import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.engines import base
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.client import (
    NO_REPLICATION_ENABLED, NOT_YET_INITIALIZED, STEP_DOWN_SECONDS, OperationFailure, admin_command, error_code,
    primary_name, self_member, votes_now)

MAX_MEMBERS = 50
MAX_VOTING_MEMBERS = 7
MAX_PRIORITY = 1000
LAG_WARNING_SECONDS = 60
DEFAULT_PORT = 27017

# States of a member that is not serving: critical.
DOWN_STATES = ('DOWN', 'UNKNOWN', 'REMOVED', 'FATAL')

_HOST = re.compile(r'^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$')
# The fields this module manages; every other field of a member (buildIndexes,
# secondaryDelaySecs, ...) keeps the value the current configuration has.
MANAGED_FIELDS = ('arbiterOnly', 'hidden', 'priority', 'votes', 'tags')


# ---------------------------------------------------------------------------
# Pure: members and plans
# ---------------------------------------------------------------------------

def _bool(value, where):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', 'yes', 'on', '1'):
        return True
    if text in ('false', 'no', 'off', '0', '', 'none'):
        return False
    raise DbopsError('%s=%r is not a boolean' % (where, value), 'members')


def normalize_host(value):
    """'db1' -> 'db1:27017'; 'db1:27018' stays. DbopsError for anything else."""
    text = str(value or '').strip()
    match = _HOST.match(text)
    port = int(match.group(2)) if match and match.group(2) else DEFAULT_PORT
    if not match or not 1 <= port <= 65535:
        raise DbopsError('%r is not a member address: write host:port, e.g. db1.example.net:27017' % (value,),
                         'members')
    return '%s:%d' % (match.group(1), port)


def normalize_members(members):
    """The ``members`` parameter, checked, with defaults.

    Defaults: votes 1; priority 1, or 0 for hidden members, arbiters and
    non-voting members (they must have priority 0). An explicit priority above
    0 for those is refused, as the server would refuse it.
    """
    if not members:
        raise DbopsError('at least one member is required', 'members')
    result, seen = [], set()
    for index, item in enumerate(members):
        if isinstance(item, str):
            item = {'host': item}
        if not isinstance(item, dict) or not item.get('host'):
            raise DbopsError('members[%d] needs a host (host:port)' % index, 'members')
        unknown = sorted(set(item) - set(('host', 'priority', 'votes', 'hidden', 'arbiter_only', 'tags')))
        if unknown:
            raise DbopsError('members[%d] has unknown keys %s: use host, priority, votes, hidden, arbiter_only, tags'
                             % (index, ', '.join(unknown)), 'members')
        host = normalize_host(item['host'])
        if host in seen:
            raise DbopsError('%s is listed twice' % host, 'members')
        seen.add(host)
        where = 'members[%d] (%s)' % (index, host)
        hidden = _bool(item.get('hidden', False), where + '.hidden')
        arbiter = _bool(item.get('arbiter_only', False), where + '.arbiter_only')
        try:
            votes = int(item['votes']) if item.get('votes') not in (None, '') else 1
        except (TypeError, ValueError):
            votes = -1
        if votes not in (0, 1):
            raise DbopsError('%s: votes must be 0 or 1' % where, 'members')
        if arbiter and votes != 1:
            raise DbopsError('%s: an arbiter always has 1 vote (it exists to vote): remove votes or set it to 1'
                             % where, 'members')
        explicit = item.get('priority') not in (None, '')
        try:
            priority = float(item['priority']) if explicit else (0.0 if (hidden or arbiter or not votes) else 1.0)
        except (TypeError, ValueError):
            raise DbopsError('%s: priority %r is not a number' % (where, item['priority']), 'members')
        if not 0 <= priority <= MAX_PRIORITY:
            raise DbopsError('%s: priority must be between 0 and %d' % (where, MAX_PRIORITY), 'members')
        if priority > 0:
            for flag, why in ((hidden, 'a hidden member'), (arbiter, 'an arbiter'), (not votes, 'a non-voting member')):
                if flag:
                    raise DbopsError('%s: %s must have priority 0 (the manual: it can never become primary); set '
                                     'priority 0 or leave it out' % (where, why), 'members')
        tags = item.get('tags') or {}
        if not isinstance(tags, dict):
            raise DbopsError('%s: tags must be a dictionary of strings' % where, 'members')
        if arbiter and tags:
            raise DbopsError('%s: arbiters cannot have tags' % where, 'members')
        result.append({'host': host, 'priority': priority, 'votes': votes, 'hidden': hidden,
                       'arbiter_only': arbiter, 'tags': dict((str(k), str(v)) for k, v in tags.items())})
    return result


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number == int(number) else number


def _member_view(doc):
    """The managed fields of a member document, in comparable form."""
    return {
        'arbiterOnly': bool(doc.get('arbiterOnly', False)),
        'hidden': bool(doc.get('hidden', False)),
        'priority': float(doc.get('priority', 0 if doc.get('arbiterOnly') else 1)),
        'votes': int(doc.get('votes', 1)),
        'tags': dict(doc.get('tags') or {}),
    }


def member_documents(members, existing=None):
    """Member documents for ``members`` (normalized or not): a host already in
    ``existing`` (the current config's member documents) keeps its ``_id`` and
    its unmanaged fields; a new host gets the lowest free ``_id``."""
    wanted = normalize_members(members)
    by_host = dict((doc['host'], doc) for doc in existing or ())
    used = set(int(doc['_id']) for doc in existing or ())
    documents, next_id = [], 0
    for member in wanted:
        old = by_host.get(member['host'])
        if old is not None:
            doc = copy.deepcopy(old)
        else:
            while next_id in used:
                next_id += 1
            if next_id > 255:
                raise DbopsError('no free member _id (0-255) is left', 'members')
            doc = {'_id': next_id, 'host': member['host']}
            used.add(next_id)
        doc.update({'arbiterOnly': member['arbiter_only'], 'hidden': member['hidden'],
                    'priority': _number(member['priority']), 'votes': member['votes'], 'tags': member['tags']})
        documents.append(doc)
    return documents


def check_config(config, warnings=None):
    """Hard rules of the manual on a whole configuration (DbopsError naming
    ``members``); advisories are appended to ``warnings``."""
    members = config.get('members') or []
    if len(members) > MAX_MEMBERS:
        raise DbopsError('%d members: a replica set has at most %d' % (len(members), MAX_MEMBERS), 'members')
    voters = [m for m in members if _member_view(m)['votes']]
    if len(voters) > MAX_VOTING_MEMBERS:
        raise DbopsError('%d voting members: a replica set has at most %d; give the others votes 0 (and priority 0)'
                         % (len(voters), MAX_VOTING_MEMBERS), 'members')
    if not voters:
        raise DbopsError('no member votes: at least one member needs votes 1', 'members')
    if not any(_member_view(m)['priority'] > 0 for m in members):
        raise DbopsError('no member can become primary: give at least one voting, not hidden member a priority '
                         'above 0', 'members')
    for member in members:
        view = _member_view(member)
        if view['priority'] > 0 and (view['hidden'] or view['arbiterOnly'] or not view['votes']):
            raise DbopsError('%s: hidden members, arbiters and non-voting members must have priority 0'
                             % member['host'], 'members')
    if warnings is not None and len(voters) % 2 == 0:
        message = ('%d voting members: an even number adds no fault tolerance over %d and can leave no majority '
                   'in a split; add a voting member or an arbiter, or give one member votes 0'
                   % (len(voters), len(voters) - 1))
        if message not in warnings:
            warnings.append(message)


def _electable(doc):
    view = _member_view(doc)
    return (view['priority'] > 0 and view['votes'] == 1 and not view['hidden'] and not view['arbiterOnly'])


def _describe_change(old, new):
    if old is None:
        return 'add %s (votes %s, priority %s%s%s)' % (
            new['host'], new['votes'], _number(new['priority']), ', hidden' if new.get('hidden') else '',
            ', arbiter' if new.get('arbiterOnly') else '')
    if new is None:
        return 'remove %s' % old['host']
    before, after = _member_view(old), _member_view(new)
    parts = ['%s %s -> %s' % (field, _number(before[field]) if field == 'priority' else before[field],
                              _number(after[field]) if field == 'priority' else after[field])
             for field in MANAGED_FIELDS if before[field] != after[field]]
    return '%s: %s' % (new['host'], ', '.join(parts))


def plan_steps(current_config, wanted_members, primary=None, force=False, warnings=None):
    """The reconfigurations from ``current_config`` to ``wanted_members``, as
    a list of ``(description, config)``; empty when nothing differs.

    Order, each step a valid configuration on its own:

    1. changes that keep every member's vote and do not make a member less
       electable (priority raised, tags, hidden removed), and non-voting members
       added: one reconfig;
    2. every change of the number of voters, one per reconfig (the manual's
       rule): additions first while fewer than 7 members vote, so the majority
       grows before it shrinks;
    3. the remaining changes (priority lowered, hidden set) and non-voting
       members removed: one reconfig.

    The current ``primary`` (host:port) is never removed or made unelectable
    unless ``force`` (the caller steps it down first).
    """
    current_members = list(current_config.get('members') or [])
    current_by_host = dict((m['host'], m) for m in current_members)
    wanted_docs = member_documents(wanted_members, current_members)
    wanted_by_host = dict((m['host'], m) for m in wanted_docs)
    check_config({'members': wanted_docs}, warnings)

    for host, doc in wanted_by_host.items():
        old = current_by_host.get(host)
        if old is not None and bool(old.get('arbiterOnly', False)) != bool(doc['arbiterOnly']):
            raise DbopsError('%s cannot switch between arbiter and data-bearing member in a reconfig: remove it '
                             '(and empty its data volume) in one run, then add it back' % host, 'members')
    if primary and primary in current_by_host and not force:
        target = wanted_by_host.get(primary)
        if target is None or not _electable(target):
            raise DbopsError('%s is the current primary; this would %s it. Step it down first (rs.stepDown() or '
                             'replSetStepDown on it), then run again against the new primary, or set force=true '
                             'to have the step-down done' % (
                                 primary, 'remove' if target is None else 'make unelectable (priority 0, hidden, '
                                 'non-voting or arbiter)'), 'members')
    if primary and primary in wanted_by_host and primary in current_by_host and warnings is not None:
        top = max(_member_view(m)['priority'] for m in wanted_docs)
        if _member_view(wanted_by_host[primary])['priority'] < top:
            higher = [m['host'] for m in wanted_docs if _member_view(m)['priority'] == top]
            warnings.append('%s (primary now) gets a lower priority than %s: it will step down once that member '
                            'has caught up (a short write interruption)' % (primary, ', '.join(higher)))

    same_votes, vote_changes, late = [], [], []
    for doc in wanted_docs:
        old = current_by_host.get(doc['host'])
        if old is None:
            (vote_changes if doc['votes'] else same_votes).append((None, doc))
            continue
        before, after = _member_view(old), _member_view(doc)
        if before == after:
            continue
        if before['votes'] != after['votes']:
            vote_changes.append((old, doc))
        elif after['priority'] < before['priority'] or (after['hidden'] and not before['hidden']):
            late.append((old, doc))
        else:
            same_votes.append((old, doc))
    for old in current_members:
        if old['host'] not in wanted_by_host:
            (vote_changes if _member_view(old)['votes'] else late).append((old, None))

    gains = [c for c in vote_changes if c[1] is not None and _member_view(c[1])['votes']]
    losses = [c for c in vote_changes if c not in gains]
    voters = len([m for m in current_members if _member_view(m)['votes']])
    ordered = []
    while gains or losses:
        if gains and (voters < MAX_VOTING_MEMBERS or not losses):
            ordered.append(gains.pop(0))
            voters += 1
        else:
            ordered.append(losses.pop(0))
            voters -= 1

    batches = ([same_votes] if same_votes else []) + [[c] for c in ordered] + ([late] if late else [])
    working = copy.deepcopy(current_config)
    working.pop('term', None)  # the primary sets the term of a new configuration
    version = int(working.get('version') or 1)
    steps = []
    for batch in batches:
        members = working['members']
        for old, new in batch:
            if old is None:
                members.append(copy.deepcopy(new))
            elif new is None:
                members[:] = [m for m in members if m['host'] != old['host']]
            else:
                index = [i for i, m in enumerate(members) if m['host'] == old['host']][0]
                members[index] = copy.deepcopy(new)
        version += 1
        working['version'] = version
        check_config(working)
        steps.append(('reconfig version %d: %s' % (version, '; '.join(_describe_change(o, n) for o, n in batch)),
                      copy.deepcopy(working)))
    if steps:
        # The final configuration lists members in the order they were given.
        order = dict((doc['host'], index) for index, doc in enumerate(wanted_docs))
        steps[-1][1]['members'].sort(key=lambda m: order.get(m['host'], len(order)))
    return steps


def plan_reconfig(current_config, wanted_members, primary=None, force=False, warnings=None):
    """The configurations to send, in order (see plan_steps)."""
    return [config for _description, config in plan_steps(current_config, wanted_members, primary, force,
                                                          warnings)]


def initial_config(replica_set, members, warnings=None):
    """The replSetInitiate document: version 1, members' ``_id`` 0..n-1 in order."""
    config = {'_id': replica_set, 'version': 1, 'members': member_documents(members)}
    check_config(config, warnings)
    return config


def steps_to_unelectable_primary(steps, primary):
    """Index of the first step whose configuration makes ``primary`` unelectable, or None."""
    for index, (_description, config) in enumerate(steps):
        target = [m for m in config['members'] if m['host'] == primary]
        if not target or not _electable(target[0]):
            return index
    return None


# ---------------------------------------------------------------------------
# Pure: status evaluation
# ---------------------------------------------------------------------------

def _seconds(later, earlier):
    if not isinstance(later, datetime.datetime) or not isinstance(earlier, datetime.datetime):
        return None
    if earlier.year <= 1970:
        return None  # Date(0): no optime reported (an arbiter, a member down)
    return max(0, int((later - earlier).total_seconds()))


def member_facts(status_doc, config_doc=None):
    """replSetGetStatus (and replSetGetConfig's ``config``) -> member facts."""
    votes = dict((m['host'], _member_view(m)['votes']) for m in (config_doc or {}).get('members') or [])
    members = status_doc.get('members') or []
    primary = [m for m in members if m.get('stateStr') == 'PRIMARY']
    primary_optime = primary[0].get('optimeDate') if primary else None
    facts = []
    for member in members:
        state = member.get('stateStr')
        lag = None
        if state != 'ARBITER' and primary_optime is not None:
            lag = _seconds(primary_optime, member.get('optimeDate'))
        facts.append({
            'name': member.get('name'),
            'stateStr': state,
            'health': member.get('health'),
            'votes': votes.get(member.get('name'), 1),
            'lag_seconds': lag,
            'uptime': member.get('uptime'),
            'pingMs': member.get('pingMs'),
            'syncSourceHost': member.get('syncSourceHost') or '',
            'self': bool(member.get('self')),
        })
    return facts


def evaluate(facts):
    """Severity and reasons for node facts (as ``status`` builds them). Pure.

    critical: not a replica set member or not initiated, no primary, a member
    unhealthy or unreachable, a voting majority unavailable. warning:
    replication lag above 60 s, an even number of voters, a member still
    syncing or recovering.
    """
    critical, warning = [], []
    role = facts.get('role')
    if role == 'standalone':
        critical.append('this server does not run as a replica set member (replication.replSetName is not set)')
    elif role == 'not_initiated':
        critical.append('the replica set is not initiated (replSetInitiate has not run)')
    members = facts.get('members') or []
    if members:
        if not any(m.get('stateStr') == 'PRIMARY' for m in members):
            critical.append('no member is PRIMARY: the set accepts no writes')
        for member in members:
            if member.get('health') in (0, 0.0) or member.get('stateStr') in DOWN_STATES:
                critical.append('%s is %s (health %s): unreachable or not serving'
                                % (member.get('name'), member.get('stateStr'), member.get('health')))
            elif member.get('stateStr') in ('STARTUP', 'STARTUP2', 'RECOVERING', 'ROLLBACK'):
                warning.append('%s is %s: not serving reads yet' % (member.get('name'), member.get('stateStr')))
            lag = member.get('lag_seconds')
            if lag is not None and lag > LAG_WARNING_SECONDS:
                warning.append('%s lags the primary by %d s (more than %d s)'
                               % (member.get('name'), lag, LAG_WARNING_SECONDS))
        voters = [m for m in members if m.get('votes')]
        up = [m for m in voters if votes_now(m)]
        needed = len(voters) // 2 + 1
        if voters and len(up) < needed:
            critical.append('only %d of %d voting members are up; %d are needed for a majority (no primary can be '
                            'elected, majority writes block)' % (len(up), len(voters), needed))
        if voters and len(voters) % 2 == 0:
            warning.append('%d voting members: an even number; add a voting member or an arbiter' % len(voters))
    severity = 'critical' if critical else ('warning' if warning else 'ok')
    return {'severity': severity, 'reasons': critical + warning}


# ---------------------------------------------------------------------------
# Server side
# ---------------------------------------------------------------------------

def plain(value):
    """BSON values as plain data for Ansible (ObjectId, dates, Timestamps as text)."""
    if isinstance(value, dict):
        return dict((str(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _get_status(client):
    """replSetGetStatus, or None when the set is not initiated."""
    try:
        return admin_command(client, {'replSetGetStatus': 1})
    except OperationFailure as exc:
        if error_code(exc) == NOT_YET_INITIALIZED:
            return None
        if error_code(exc) == NO_REPLICATION_ENABLED:
            raise DbopsError('the server does not run as a replica set member: set replication.replSetName in its '
                             'settings (db_container settings) and a cluster_key_file, then restart it',
                             'replica_set')
        raise DbopsError('replSetGetStatus failed: %s' % exc, 'login_host')


def _configured_set_name(client):
    """replication.replSetName the server was started with (getCmdLineOpts)."""
    try:
        parsed = admin_command(client, {'getCmdLineOpts': 1}).get('parsed') or {}
    except OperationFailure:
        return None
    return (parsed.get('replication') or {}).get('replSetName') or (parsed.get('replication') or {}).get('replSet')


def find_primary(client):
    """host:port of the primary as this member sees it (``hello``), or None."""
    try:
        return admin_command(client, {'hello': 1}).get('primary')
    except OperationFailure:
        return None


def _seconds_left(deadline):
    return deadline - time.time()


def _wait_primary(client, deadline):
    """Until a member is PRIMARY: (its host:port, the replSetGetStatus that says so)."""
    last = [None]   # the last replSetGetStatus, for the error

    def elected():
        last[0] = _get_status(client)
        return primary_name(last[0])

    primary = wait_until(elected, _seconds_left(deadline), interval=1)
    if not primary:
        raise DbopsError('no member became PRIMARY in time (members: %s); check that every member reaches the '
                         'others at the listed addresses and uses the same key file'
                         % ', '.join('%s %s' % (m.get('name'), m.get('stateStr'))
                                     for m in (last[0] or {}).get('members') or []), 'wait_timeout')
    return primary, last[0]


def _wait_committed(client, deadline, version):
    """Until replSetGetConfig reports the configuration committed to a majority."""
    def committed_config():
        try:
            answer = admin_command(client, {'replSetGetConfig': 1, 'commitmentStatus': True})
        except OperationFailure as exc:
            raise DbopsError('replSetGetConfig failed while waiting for version %d to commit: %s' % (version, exc),
                             'login_host')
        config = answer.get('config') or {}
        if answer.get('commitmentStatus') and int(config.get('version') or 0) >= version:
            return config
        return None

    config = wait_until(committed_config, _seconds_left(deadline), interval=0.5)
    if config is None:
        raise DbopsError('configuration version %d was not committed by a majority of voting members in time: '
                         'check that the members are up and reachable; run again to continue' % version,
                         'wait_timeout')
    return config


def _finish(config, warnings):
    result = plain(config)
    result['warnings'] = list(warnings)
    return result


def configure_replicaset(client, replica_set, members, wait_timeout=60, check_mode=False, force=False):
    """Initiate the set, or bring its members to ``members``, safely.

    Returns ``(changed, actions, config)``; ``config`` is the configuration
    after the run (the planned one in check mode) with advisories in
    ``config['warnings']``. When ``force`` makes the current primary step down,
    the steps after that are left for the new primary: the result then has
    ``config['pending']`` (descriptions) and ``config['primary']`` (the new
    primary to connect to); running again there completes them.
    """
    if not replica_set or not re.match(r'^[A-Za-z0-9_.-]{1,128}$', str(replica_set)):
        raise DbopsError('%r is not a replica set name: letters, digits, _ . and -' % (replica_set,), 'replica_set')
    warnings = []
    deadline = time.time() + float(wait_timeout)
    current = _get_status(client)
    if current is None:
        configured = _configured_set_name(client)
        if configured and configured != replica_set:
            raise DbopsError('the server was started with replication.replSetName=%s, not %s: use the same name '
                             'in both places' % (configured, replica_set), 'replica_set')
        config = initial_config(replica_set, members, warnings)
        action = 'initiate %s with %s' % (replica_set, ', '.join(m['host'] for m in config['members']))
        if check_mode:
            return True, [action], _finish(config, warnings)
        try:
            admin_command(client, {'replSetInitiate': config}, 'members')
        except OperationFailure as exc:
            raise DbopsError('replSetInitiate refused the configuration: %s. The member this runs on must be '
                             'listed under the address the others reach it by' % exc, 'members')
        _wait_primary(client, deadline)
        return True, [action], _finish(_wait_committed_or_config(client, deadline, 1), warnings)

    if current.get('set') != replica_set:
        raise DbopsError('this server belongs to replica set %s, not %s: a member cannot move to another set; '
                         'fix replica_set or the member list' % (current.get('set'), replica_set), 'replica_set')
    primary = primary_name(current)
    me = self_member(current)
    if me.get('stateStr') != 'PRIMARY':
        raise DbopsError('%s is %s; reconfiguration runs on the primary%s: connect to it (login_host/login_port)'
                         % (me.get('name', 'this member'), me.get('stateStr'),
                            ' (%s)' % primary if primary else ', and none is elected now'), 'login_host')
    try:
        current_config = admin_command(client, {'replSetGetConfig': 1, 'commitmentStatus': True})
    except OperationFailure as exc:
        raise DbopsError('replSetGetConfig failed: %s' % exc, 'login_host')
    config = current_config['config']
    steps = plan_steps(config, members, primary=primary, force=force, warnings=warnings)
    if not steps:
        return False, [], _finish(config, warnings)
    actions = [description for description, _config in steps]
    if check_mode:
        return True, actions, _finish(steps[-1][1], warnings)
    if not current_config.get('commitmentStatus'):
        config = _wait_committed(client, deadline, int(config.get('version') or 0))
    done = []
    stop_at = steps_to_unelectable_primary(steps, primary) if force else None
    for index, (description, wanted) in enumerate(steps):
        if index == stop_at:
            return _step_down_and_hand_over(client, deadline, primary, done, steps[index:], warnings, wanted)
        try:
            admin_command(client, {'replSetReconfig': wanted,
                                   'maxTimeMS': int(max(1, _seconds_left(deadline)) * 1000)}, 'members')
        except OperationFailure as exc:
            raise DbopsError('replSetReconfig refused %s: %s.%s' % (
                description, exc, ' Done before: %s.' % '; '.join(done) if done else ' Nothing was changed.'),
                'members')
        config = _wait_committed(client, deadline, wanted['version'])
        done.append(description)
    return True, done, _finish(config, warnings)


def _wait_committed_or_config(client, deadline, version):
    try:
        return _wait_committed(client, deadline, version)
    except DbopsError:
        # Not primary any more (another member won the first election): its config.
        return admin_command(client, {'replSetGetConfig': 1}).get('config') or {}


def _step_down_and_hand_over(client, deadline, primary, done, remaining, warnings, next_config):
    """force: the primary steps down; the steps left run on the new primary."""
    try:
        admin_command(client, {'replSetStepDown': STEP_DOWN_SECONDS, 'secondaryCatchUpPeriodSecs': 10}, 'members')
    except OperationFailure as exc:
        raise DbopsError('replSetStepDown on %s failed: %s.%s' % (
            primary, exc, ' Done before: %s.' % '; '.join(done) if done else ''), 'force')
    except DbopsError:
        pass  # the step-down closes connections: the next command reconnects
    new_primary, _status = _wait_primary(client, deadline)
    actions = done + ['step down %s (force); %s is primary now' % (primary, new_primary)]
    result = _finish(admin_command(client, {'replSetGetConfig': 1}).get('config') or {}, warnings)
    result['pending'] = [description for description, _config in remaining]
    result['primary'] = new_primary
    warnings.append('%d step(s) are left for the new primary %s: run again against it' % (len(remaining),
                                                                                          new_primary))
    result['warnings'] = list(warnings)
    return True, actions, result


def status(client):
    """Facts about this node and its set, with ``severity`` and ``reasons``."""
    hello = admin_command(client, {'hello': 1})
    facts = {'role': None, 'state': None, 'set': hello.get('setName'), 'me': hello.get('me'),
             'primary': hello.get('primary'), 'members': []}
    try:
        current = admin_command(client, {'replSetGetStatus': 1})
    except OperationFailure as exc:
        if error_code(exc) == NO_REPLICATION_ENABLED:
            facts.update(role='standalone', state='STANDALONE')
        elif error_code(exc) == NOT_YET_INITIALIZED:
            facts.update(role='not_initiated', state='NOT_INITIATED')
        else:
            raise DbopsError('replSetGetStatus failed: %s' % exc, 'login_host')
        facts.update(evaluate(facts))
        return plain(facts)
    try:
        config = (admin_command(client, {'replSetGetConfig': 1}).get('config')) or {}
    except OperationFailure:
        config = {}
    me = self_member(current)
    state = me.get('stateStr') or ''
    facts.update({
        'set': current.get('set'),
        'state': state,
        # primary, secondary, arbiter, or the state's name (startup2, recovering, ...)
        'role': state.lower(),
        'me': me.get('name') or facts['me'],
        'primary': primary_name(current),
        'config_version': config.get('version'),
        'members': member_facts(current, config),
    })
    facts.update(evaluate(facts))
    return plain(facts)


# ---------------------------------------------------------------------------
# db_replication
# ---------------------------------------------------------------------------

class Driver(base.ReplicationDriver):
    """db_replication for MongoDB: role replicaset and role status. ``config`` (base) is the configuration
    after role replicaset, with its warnings."""

    def primary(self):
        raise DbopsError('MongoDB replicates as a replica set: use role replicaset (with replica_set and members)',
                         'role')

    replica = primary

    def replicaset(self):
        replica_set = self.context.require('replica_set', 'for role replicaset')
        members = self.context.require('members', 'for role replicaset (host:port of every member)')
        client = self.context.connect()
        arguments = dict(wait_timeout=self.params.get('wait_timeout') or 60, check_mode=self.context.check_mode,
                         force=bool(self.params.get('force')))
        try:
            changed, actions, config = configure_replicaset(client, replica_set, members, **arguments)
        except DbopsError as exc:
            # Connected to a secondary: try the primary it names, when this host reaches it.
            primary = exc.parameter == 'login_host' and find_primary(client)
            if not primary:
                raise
            target = copy.copy(self.context.target)
            target.host, target.port = primary.rsplit(':', 1)[0].strip('[]'), int(primary.rsplit(':', 1)[1])
            try:
                client = self.context.connect(target)
            except DbopsError:
                raise exc
            changed, actions, config = configure_replicaset(client, replica_set, members, **arguments)
            self.context.notes.append('reconfigured through the primary %s' % primary)
        self.config = config
        self.context.notes.extend(config.get('warnings') or [])
        return changed, actions

    def status(self):
        return status(self.context.connect())
