# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category replication: the replica set as replSetGetStatus reports it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import (
    human, option, settings_fix)

# replSetGetStatus members[].state: the states a healthy member may be in.
PRIMARY, SECONDARY, ARBITER = 1, 2, 7
HEALTHY_STATES = (PRIMARY, SECONDARY, ARBITER)
LAG_LIMIT_SECONDS = 10
OPLOG_WINDOW_HOURS = 24
OPLOG_MIN_MB = 990              # replSetResizeOplog refuses anything smaller

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


def replset(facts):
    """replSetGetStatus, or None on a standalone server (the replication checks stay quiet)."""
    return facts['replset']


def member_label(member):
    return '%s %s' % (member['name'], member.get('stateStr', 'state %s' % member.get('state')))


@check(TABLE, 'mongodb.replication.member_state', 'replication', 'critical', 'Replica set members down or not serving',
       'A member that is down or recovering is neither a copy nor a voter: the set has less fault tolerance than '
       'designed.',
       'MongoDB manual: replSetGetStatus; Replica Set Member States')
def unhealthy_members(facts):
    status = replset(facts)
    if status is None:
        return None
    bad = [m for m in status['members'] if m.get('health') != 1 or m.get('state') not in HEALTHY_STATES]
    if not bad:
        return None
    labels = ['%s (health %s%s)' % (member_label(m), m.get('health'),
                                    ', ' + m['lastHeartbeatMessage'] if m.get('lastHeartbeatMessage') else '')
              for m in bad]
    return finding(', '.join(labels), 'every member PRIMARY, SECONDARY or ARBITER with health 1',
                   '%d of %d members of replica set %s are down or not serving'
                   % (len(bad), len(status['members']), status.get('set')),
                   "start or repair %s (its log: docker logs <container>); if it is gone for good: "
                   "mongosh --eval \"rs.remove('%s')\" on the primary" % (bad[0]['name'], bad[0]['name']))


@check(TABLE, 'mongodb.replication.no_primary', 'replication', 'critical', 'Replica set without a primary',
       'Without a primary the set accepts no writes.',
       'MongoDB manual: Replica Set Elections')
def no_primary(facts):
    status = replset(facts)
    if status is None or any(m.get('state') == PRIMARY for m in status['members']):
        return None
    return finding('no PRIMARY: ' + ', '.join(member_label(m) for m in status['members']), 'one PRIMARY',
                   'replica set %s has no primary: writes fail until a majority of voting members elects one'
                   % status.get('set'),
                   'bring the DOWN members back so a majority of the %s voting members can vote '
                   '(rs.status() shows them); only as a last resort: rs.reconfig(cfg, {force: true})'
                   % status.get('votingMembersCount', len(status['members'])))


@check(TABLE, 'mongodb.replication.lag', 'replication', 'warning', 'Secondaries lag behind the primary',
       'Lagging secondaries serve stale reads and lose or roll back writes on failover.',
       'MongoDB manual: Troubleshoot Replica Sets > Check the Replication Lag')
def secondary_lag(facts):
    status = replset(facts)
    if status is None:
        return None
    primary = next((m for m in status['members'] if m.get('state') == PRIMARY), None)
    if primary is None:
        return None  # mongodb.replication.no_primary says it
    lagging = []
    for member in status['members']:
        if member.get('state') == SECONDARY and member.get('optimeDate') is not None:
            seconds = (primary['optimeDate'] - member['optimeDate']).total_seconds()
            if seconds > LAG_LIMIT_SECONDS:
                lagging.append((member['name'], seconds))
    if not lagging:
        return None
    names = ', '.join('%s %d s behind' % (name, seconds) for name, seconds in lagging)
    return finding(names, '<= %d s' % LAG_LIMIT_SECONDS,
                   'optimeDate of the secondaries vs the primary %s: reads from them are stale and a '
                   'failover loses or rolls back the difference' % primary['name'],
                   "on %s: rs.printSecondaryReplicationInfo() and db.currentOp() show the delay; give it the "
                   "primary's disk and CPU (a smaller secondary falls behind)" % lagging[0][0])


@check(TABLE, 'mongodb.replication.oplog_window', 'replication', 'warning', 'Oplog window shorter than 24 hours',
       'A member offline longer than the oplog window cannot catch up and needs an initial sync.',
       'MongoDB manual: Replica Set Oplog > Oplog Size; replSetResizeOplog')
def oplog_window(facts):
    oplog = facts['oplog']
    if replset(facts) is None or not oplog:
        return None
    window = float(oplog['window_hours'])
    # storage.oplogMinRetentionHours keeps entries by age, whatever the size (4.4+).
    retention = float(option(facts, 'storage.oplogMinRetentionHours', 0) or 0)
    # An oplog not yet full has only run for a while: its window still grows.
    not_full = float(oplog['size_bytes']) < 0.9 * float(oplog['max_bytes'])
    if window >= OPLOG_WINDOW_HOURS or retention >= OPLOG_WINDOW_HOURS or not_full:
        return None
    hours_per_mb = max(window, 1 / 60.0) / (oplog['max_bytes'] / MIB)
    wanted_mb = max(OPLOG_MIN_MB, int(math.ceil(OPLOG_WINDOW_HOURS / hours_per_mb)))
    wanted = '>= %d h (an oplog of %d MB at this write rate)' % (OPLOG_WINDOW_HOURS, wanted_mb)
    return finding('%.1f h' % window, wanted,
                   'the oplog (%s) spans %.1f h: a member down longer than that needs a full initial sync'
                   % (human(oplog['max_bytes']), window),
                   "mongosh --eval \"db.adminCommand({replSetResizeOplog: 1, size: %d})\" on every member (MB); "
                   "or %s" % (wanted_mb, settings_fix('storage.oplogMinRetentionHours', OPLOG_WINDOW_HOURS)))


@check(TABLE, 'mongodb.replication.even_voters', 'replication', 'warning', 'Even number of voting members',
       'An even number of voters adds no fault tolerance over one fewer.',
       'MongoDB manual: Replica Set Architectures > Consider Fault Tolerance')
def even_voting_members(facts):
    status = replset(facts)
    if status is None:
        return None
    voters = int(status['votingMembersCount'])
    if voters % 2 == 1:
        return None
    return finding('%d voting members' % voters, voters + 1,
                   'with %d voters a majority is %d: the set tolerates no more failures than with %d, and a '
                   'network split can leave no side with a majority' % (voters, voters // 2 + 1, voters - 1),
                   "add a voting data-bearing member (rs.add('<host>:27017')), or remove the vote of one: "
                   "cfg = rs.conf(); cfg.members[<n>].votes = 0; cfg.members[<n>].priority = 0; rs.reconfig(cfg)")
