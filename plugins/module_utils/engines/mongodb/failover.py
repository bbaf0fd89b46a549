# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover for MongoDB replica sets.

A replica set elects its primary by itself: a majority of the voting members
must be up, and a member is only elected when its oplog is at least as recent
as a majority's. The module does not promote anybody by hand; it reports the
same decisions and timeline as for the SQL engines:

* Position: each member's optime (replSetGetStatus ``members[].optime``, term
  then timestamp, the order elections use). Healthy: state SECONDARY (2), or
  PRIMARY (1) when the set already elected it, and electable (priority > 0 in
  the replica set configuration).
* ensure_caught_up: a secondary applies its oplog continuously, there is
  nothing to apply by hand; the failover is refused when the best candidate's
  optime lags the last optime known of the old primary by more than max_lag
  seconds, unless force.
* fence: the old primary's container is stopped and its restart policy set to
  ``no``. No marker is needed: a member that comes back cannot become primary
  without winning an election (a majority, a newer term); it rolls back what no
  majority acknowledged and follows the new primary as a secondary.
* promote: replSetStepUp asks the candidate to call an election at once (a
  normal, majority election, not a reconfig), then the module waits up to
  wait_timeout for a member to report PRIMARY. Without a majority no member can
  be elected: the module says so and never forces a reconfiguration.
* repoint: nothing; the members follow the new primary by themselves.
* switchover: replSetStepDown on the primary (secondaryCatchUpPeriodSecs =
  max_lag): it steps down only once an electable secondary is up to date, so
  acknowledged writes are not rolled back. The other secondaries are frozen
  (replSetFreeze) for the duration so the chosen candidate is the only one that
  can win, and unfrozen once it did.
* rejoin: the container is started again with restart policy
  ``unless-stopped``; the module waits until the member reports SECONDARY.

Server commands used (admin database): hello (isMaster before 4.4.2), ping,
replSetGetStatus, replSetGetConfig, replSetStepUp, replSetStepDown,
replSetFreeze.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.engines import base
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.client import (
    AUTHENTICATION_FAILED, NOT_WRITABLE_PRIMARY, STEP_DOWN_SECONDS, UNAUTHORIZED, OperationFailure, PyMongoError,
    error_code, hello, is_writable_primary, primary_name, self_member, votes_now)
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import restart_policy

PRIMARY = 1
SECONDARY = 2
_EPOCH = datetime.datetime(1970, 1, 1)


# ------------------------------------------------------------------ pure helpers
def optime_position(member):
    """A member entry of replSetGetStatus -> (term, seconds, increment), or None when it reports no optime.

    Elections compare the term first, then the timestamp: so does this tuple."""
    optime = member.get('optime')
    if isinstance(optime, dict):
        stamp, term = optime.get('ts'), optime.get('t')
    else:
        stamp, term = optime, None     # protocol version 0 reported a bare Timestamp
    seconds = int(getattr(stamp, 'time', 0) or 0)
    if not seconds:
        return None
    return (int(term if term is not None else -1), seconds, int(getattr(stamp, 'inc', 0) or 0))


def optime_seconds(member):
    """Seconds since the epoch of a member's last applied operation (optimeDate, else optime.ts), or None."""
    moment = member.get('optimeDate')
    if isinstance(moment, datetime.datetime):
        if moment.tzinfo is not None:
            moment = moment.replace(tzinfo=None) - moment.utcoffset()
        seconds = (moment - _EPOCH).total_seconds()
        if seconds > 0:
            return seconds
    position = optime_position(member)
    return float(position[1]) if position else None


def member_host(name):
    """'db1:27017' / '[::1]:27017' -> 'db1' / '::1'."""
    host = name or ''
    if host.startswith('['):
        return host[1:].split(']', 1)[0]
    if host.count(':') == 1:
        host = host.split(':', 1)[0]
    return host


def majority_report(status_doc, config_doc):
    """(up, voters, needed, description) of the voting members, from replSetGetStatus and its configuration."""
    votes = dict((m.get('host'), m.get('votes', 1)) for m in (config_doc or {}).get('members') or [])
    voters, up, described = 0, 0, []
    for member in (status_doc or {}).get('members') or []:
        described.append('%s %s' % (member.get('name'), member.get('stateStr')))
        if not votes.get(member.get('name'), 1):
            continue
        voters += 1
        if votes_now(member):
            up += 1
    return up, voters, voters // 2 + 1, ', '.join(described)


# ------------------------------------------------------------------ the driver
class FailoverDriver(base.FailoverDriver):
    """The members follow the elected primary by themselves: nothing to re-point before the clients move
    (base's ack_needs_replica False), and no rejoin reseeds."""

    poll_interval = 0.25

    def __init__(self, cluster):
        super(FailoverDriver, self).__init__(cluster)
        self.target = None          # switchover: the candidate asked for
        self.frozen = []            # switchover: secondaries frozen so the candidate wins
        self.stepped_down = None    # switchover: the primary that stepped down
        self.elected = None         # the member that reported PRIMARY after promote
        self._old_primaries = []    # positions(): the nodes not asked about (the old primary)
        self._known_optimes = []    # positions(): every optime heard of, the old primary's last included

    # ------------------------------------------------------------------ helpers
    def _command(self, node, document, timeout=3):
        client = self.cluster.connect(node, timeout)
        try:
            return client['admin'].command(document)
        finally:
            client.close()

    def _answers(self, ask, timeout):
        """(node, ask(client)) for each running member, in order, as it connects and answers; a member that
        cannot be reached or whose command fails is skipped."""
        for node in self.cluster.nodes:
            if not node.running:
                continue
            try:
                client = self.cluster.connect(node, timeout)
            except DbopsError:
                continue
            try:
                answer = ask(client)
            except PyMongoError:
                continue
            finally:
                client.close()
            yield node, answer

    def _node_for(self, member_name):
        """The cluster node a replica set member name (host:port) stands for, or None."""
        host = member_host(member_name)
        for node in self.cluster.nodes:
            names = set([node.name, node.alias, node.host])
            inspect = node.inspect or {}
            names.add((inspect.get('Config') or {}).get('Hostname'))
            for network in ((inspect.get('NetworkSettings') or {}).get('Networks') or {}).values():
                names.update((network or {}).get('Aliases') or [])
                names.add((network or {}).get('IPAddress'))
            if host in names:
                return node
        return None

    def _wait_timeout(self):
        return float(self.params.get('wait_timeout') or 60)

    def _catch_up_seconds(self):
        return max(1, int(round(float(self.params.get('max_lag') or 10))))

    # ------------------------------------------------------------------ discovery and probes
    def discover_primary(self):
        """The member that says it is the writable primary; else the one most members name as PRIMARY."""
        named = {}
        for node, (writable, name) in self._answers(_primary_as_seen, 3):
            if writable:
                return node
            if name:
                named[name] = named.get(name, 0) + 1
        for name, _count in sorted(named.items(), key=lambda item: (-item[1], item[0])):
            node = self._node_for(name)
            if node is not None:
                return node
        return None

    def controller_probe(self, primary):
        """A ping round trip to the primary within probe_timeout: True, or False (a failed login is alive)."""
        if not primary.running and primary.inspect is not None:
            self.cluster.refresh(primary)
        timeout = self.params.get('probe_timeout') or 1
        try:
            client = self.cluster.connect(primary, timeout, query_timeout=timeout)
        except DbopsError as exc:
            return exc.parameter == 'login_password'   # it answered, only the login failed
        try:
            client['admin'].command('ping')
            return True
        except OperationFailure as exc:
            return error_code(exc) in (UNAUTHORIZED, AUTHENTICATION_FAILED)   # it answered
        except Exception:  # noqa: BLE001 - any failure of the round trip
            return False
        finally:
            client.close()

    # ------------------------------------------------------------------ candidates
    def positions(self, nodes):
        """One row per node: its optime as position, healthy when SECONDARY (or already PRIMARY) and electable;
        with lag_s, how far each is behind the last optime any member heard of."""
        wanted = set(node.name for node in nodes)
        self._old_primaries = [node for node in self.cluster.nodes if node.name not in wanted]
        self._known_optimes = []
        found = super(FailoverDriver, self).positions(nodes)
        last = max(self._known_optimes) if self._known_optimes else None
        for row in found:
            if row.get('optime_s') is not None and last is not None:
                row['lag_s'] = round(last - row['optime_s'], 3)
        return found

    def read_position(self, session, node, row):
        try:
            status = session['admin'].command({'replSetGetStatus': 1})
            try:
                config = session['admin'].command({'replSetGetConfig': 1}).get('config') or {}
            except PyMongoError:
                config = {}
        except PyMongoError as exc:
            row['why'] = 'replSetGetStatus failed: %s' % exc
            return
        me = self_member(status)
        state = status.get('myState', me.get('state'))
        row.update({'member': me.get('name'), 'state': me.get('stateStr') or state,
                    'sync_source': me.get('syncSourceHost') or ''})
        position = optime_position(me)
        seconds = optime_seconds(me)
        if position is not None:
            row['position'] = position
            row['optime_s'] = seconds
            self._known_optimes.append(seconds)
        # The old primary's last optime, as this member last heard it (0 when it is reported down).
        for member in status.get('members') or []:
            if member.get('self'):
                continue
            if member.get('stateStr') == 'PRIMARY' or self._node_for(member.get('name')) in self._old_primaries:
                if optime_seconds(member):
                    self._known_optimes.append(optime_seconds(member))
        settings = [m for m in config.get('members') or [] if m.get('host') == me.get('name')]
        electable = settings[0].get('priority', 1) if settings else 1
        if not row['priority'] and settings:
            row['priority'] = electable     # ties: the set's own priorities, as its elections do
        if state not in (PRIMARY, SECONDARY):
            row['why'] = 'state %s, not SECONDARY' % (me.get('stateStr') or state)
        elif position is None:
            row['why'] = 'reports no optime'
        elif not electable:
            row['why'] = 'priority 0 in the replica set configuration: it cannot be elected'
        elif settings and (settings[0].get('secondaryDelaySecs') or settings[0].get('slaveDelay')):
            row['why'] = 'a delayed member'
        elif self.target and node.name != self.target:
            row['why'] = 'switchover to %s was asked' % self.target
        else:
            row['healthy'] = True

    def ensure_caught_up(self, candidate, row, max_lag, force, check_mode=False):
        """Secondaries apply continuously: nothing to apply by hand. Refuse a candidate too far behind."""
        limit = float(max_lag if max_lag is not None else 30)
        lag = row.get('lag_s')
        if lag is not None and lag > limit and not force:
            raise DbopsError('the best candidate %s lags the last known optime of the primary by %ss, more than '
                             'max_lag (%ss): writes the primary acknowledged may be missing on it. Nothing was '
                             'changed; raise max_lag or use force' % (candidate.name, lag, limit), 'max_lag')

    def follows(self, node, primary):
        """Is node a running SECONDARY (and not fenced)? The set makes it follow the primary. Reads only."""
        self.cluster.refresh(node)
        if not node.running or restart_policy(node) == 'no':
            return False
        try:
            client = self.cluster.connect(node, 3)
        except DbopsError:
            return False
        try:
            return bool(hello(client).get('secondary'))
        except PyMongoError:
            return False
        finally:
            client.close()

    # ------------------------------------------------------------------ changes
    def fence(self, node, silent=False):
        """Stopped, restart policy no. A member that comes back cannot take writes without winning an election.
        Nothing is asked of it first, silent or not."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        if node.inspect is None:
            return
        docker.set_restart_policy(node.inspect['Id'], 'no')
        if node.running:
            docker.kill(node.inspect['Id'])
        self.cluster.refresh(node)

    def _find_primary(self):
        """The running member that says it is the writable primary, or None."""
        for node, answer in self._answers(hello, 2):
            if is_writable_primary(answer):
                return node
        return None

    def _new_primary(self):
        """The writable primary, unless it is the one that stepped down (switchover), or None."""
        elected = self._find_primary()
        return elected if elected is not self.stepped_down else None

    def _majority_message(self):
        for _node, (status, config) in self._answers(_status_and_config, 2):
            up, voters, needed, described = majority_report(status, config)
            return '%d of %d voting members are up, %d are needed (%s)' % (up, voters, needed, described)
        return 'no member answers'

    def promote(self, node):
        """The set elects: ask the candidate node to call an election now (replSetStepUp), wait for a PRIMARY."""
        asked = []

        def elected():
            found = self._new_primary()
            if found is None and not asked:
                # Once, when no member is primary yet; then look again at once (no pause): the step-up
                # may have won its election already.
                asked.append(node)
                try:
                    self._command(node, {'replSetStepUp': 1}, 5)
                except Exception:  # noqa: BLE001 - it may be in an election already; the wait decides
                    pass
                found = self._new_primary()
            return found

        found = wait_until(elected, self._wait_timeout(), interval=self.poll_interval)
        if found is None:
            raise DbopsError('no member became PRIMARY within wait_timeout (%ss): a replica set elects a '
                             'primary only while a majority of its voting members are up; %s. Start the '
                             'stopped members again. The replica set configuration was not changed (a forced '
                             'reconfig can lose acknowledged writes: it is left to you)'
                             % (self._wait_timeout(), self._majority_message()), 'nodes')
        self.elected = found
        self._thaw(self.frozen)
        self.frozen = []
        return found

    def repoint(self, node, new_primary):
        """Nothing: the members follow the elected primary by themselves."""
        return None

    # ------------------------------------------------------------------ switchover
    def prepare_switchover(self, primary, target):
        self.target = None
        rows = self.positions([n for n in self.cluster.nodes if n is not primary])
        healthy = [r['name'] for r in rows if r['healthy']]
        if not healthy:
            raise DbopsError('no healthy electable secondary to switch over to: %s'
                             % '; '.join('%s: %s' % (r['name'], r.get('why')) for r in rows), 'nodes')
        if target and target not in healthy:
            raise DbopsError('candidate %r is not a healthy electable secondary of %s' % (target, primary.name),
                             'candidate')
        self.target = target
        return rows

    def freeze(self, primary):
        """Nothing: replSetStepDown (before_promote) waits for an up-to-date electable secondary and steps down in
        one command, so a separate read-only phase would only lengthen the write pause."""
        return None

    def wait_replicas_caught_up(self, primary, target, timeout):
        """Nothing: replSetStepDown's secondaryCatchUpPeriodSecs is this wait, done by the server."""
        return None

    def before_promote(self, primary, candidate):
        """Freeze the other secondaries, then step the primary down; only the candidate can win the election."""
        catch_up = self._catch_up_seconds()
        freeze_seconds = int(catch_up + self._wait_timeout())
        self.frozen = []
        for node in self.cluster.nodes:
            if node in (primary, candidate) or not node.running:
                continue
            try:
                self._command(node, {'replSetFreeze': freeze_seconds}, 5)
                self.frozen.append(node)
            except Exception:  # noqa: BLE001 - an unreachable member cannot win an election either
                pass
        try:
            client = self.cluster.connect(primary, 5)
        except DbopsError:
            self._thaw(self.frozen)
            self.frozen = []
            raise
        try:
            client['admin'].command({'replSetStepDown': max(STEP_DOWN_SECONDS, catch_up + 1),
                                     'secondaryCatchUpPeriodSecs': catch_up})
        except OperationFailure as exc:
            self._thaw(self.frozen)
            self.frozen = []
            if error_code(exc) == NOT_WRITABLE_PRIMARY:
                raise DbopsError('%s is not the primary any more: %s' % (primary.name, exc), 'primary')
            raise DbopsError('%s did not step down: no electable secondary caught up within max_lag (%ss): %s. '
                             'It is still the primary' % (primary.name, catch_up, exc), 'max_lag')
        except PyMongoError:
            pass    # before 4.2 the step-down closes the connections: promote checks the outcome
        finally:
            client.close()
        self.stepped_down = primary

    def demote(self, primary, new_primary):
        """The stepped-down primary is a secondary already: wait until it says so."""
        self._wait_state(primary, SECONDARY)

    def unfreeze(self, primary):
        """A switchover failed: let the frozen secondaries (and a stepped-down primary) stand for election again."""
        nodes = list(self.frozen)
        if self.stepped_down is not None:
            nodes.append(self.stepped_down)
        self._thaw(nodes)
        self.frozen = []

    def _thaw(self, nodes):
        for node in nodes:
            try:
                self._command(node, {'replSetFreeze': 0}, 5)
            except Exception:  # noqa: BLE001 - best effort: the freeze runs out by itself
                pass

    # ------------------------------------------------------------------ rejoin
    def _wait_state(self, node, state):
        last_seen = [None]      # what the member said last (its state, or why it did not answer), for the error

        def reached():
            self.cluster.refresh(node)
            if not node.running:
                return False
            try:
                status = self._command(node, {'replSetGetStatus': 1}, 2)
            except (DbopsError, PyMongoError) as exc:
                last_seen[0] = str(exc)[:200]
                return False
            now = status.get('myState', self_member(status).get('state'))
            if now == state:
                return True
            last_seen[0] = self_member(status).get('stateStr') or now
            return False

        if not wait_until(reached, self._wait_timeout(), interval=self.poll_interval):
            raise DbopsError('%s did not report SECONDARY within wait_timeout (%ss); last seen: %s'
                             % (node.name, self._wait_timeout(), last_seen[0]), 'wait_timeout')

    def rejoin(self, node, primary):
        """Start the old primary again: it rolls back what no majority acknowledged and follows the set."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        if node.inspect is None:
            raise DbopsError('no container named %r on the Docker host' % node.name, 'node')
        docker.set_restart_policy(node.inspect['Id'], 'unless-stopped')
        if not node.running:
            docker.start(node.inspect['Id'])
        self._wait_state(node, SECONDARY)


def _primary_as_seen(client):
    """(is this member the writable primary?, the primary's host:port as it sees it, or None)."""
    answer = hello(client)
    if is_writable_primary(answer):
        return True, None
    return False, answer.get('primary') or primary_name(client['admin'].command({'replSetGetStatus': 1}))


def _status_and_config(client):
    """replSetGetStatus and the configuration, as one member sees them."""
    return (client['admin'].command({'replSetGetStatus': 1}),
            client['admin'].command({'replSetGetConfig': 1}).get('config') or {})
