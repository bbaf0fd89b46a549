# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover and the watcher: engine-neutral orchestration.

A primary is declared dead only when every observer that can be asked agrees,
over ``probes`` consecutive rounds: the controller (this process, a SQL round
trip) and every replica (a TCP connect to the primary from inside the replica's
container, i.e. from where replication runs). One observer that cannot reach the
primary is a network partition, not a dead primary: no failover.

Then: choose the replica with the most data (the engine's received position,
ties broken by priority), refuse when it cannot catch up within ``max_lag``
unless ``force``, promote it, re-point the other replicas, fence the old primary
(stopped, restart policy off, and marked so it can only come back read-only),
move the client endpoint, notify. Each step lands in a timeline.

The engine-specific steps are a FailoverDriver from ``adapter.failover_driver()``
(failover_mysql.py, failover_postgres.py, failover_mongodb.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import socket
import time

from ansible_collections.dbops.containers.plugins.module_utils import targets
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

# Timeline steps that changed something: an error after one of them reports them.
CHANGING_STEPS = ('frozen', 'fenced', 'promoted', 'repointed', 'endpoint_moved', 'old_primary_follows')


# ------------------------------------------------------------------ pure decisions
def primary_dead(rounds, probes):
    """True when the last ``probes`` rounds all say dead.

    A round is {observer: True (reaches the primary), False (does not), None (could
    not be asked)}. A round says dead when at least two observers answered and all
    of them answered False: the controller alone never decides, and one replica
    that lost its link to the primary is outvoted by any observer that still sees it.
    """
    if probes < 1 or len(rounds) < probes:
        return False
    return all(round_says_dead(one) for one in rounds[-probes:])


def round_says_dead(views):
    answered = [alive for alive in views.values() if alive is not None]
    return len(answered) >= 2 and not any(answered)


def choose_candidate(candidates):
    """The healthy candidate with the highest position, then the highest priority, then the name.

    candidates: [{name, healthy, position (comparable, None when unknown), priority}].
    """
    usable = [c for c in candidates if c.get('healthy') and c.get('position') is not None]
    if not usable:
        return None
    return sorted(usable, key=lambda c: (c['position'], c.get('priority') or 0, _negated_name(c['name'])))[-1]


def _negated_name(name):
    # Highest sort key wins; among equal positions and priorities the alphabetically first name
    # (the trailing 1 makes 'db1' beat 'db10').
    return tuple(-ord(ch) for ch in name) + (1,)


def parse_lsn(text):
    """PostgreSQL 'X/Y' -> int."""
    high, _sep, low = (text or '0/0').partition('/')
    return (int(high, 16) << 32) + int(low or '0', 16)


def mariadb_position(gtid_list):
    """A comparable position from a MariaDB GTID list: the sum of sequence numbers over domains.

    Every replica of one primary moves forward in the same domains, so the sum orders them."""
    total = 0
    for item in (gtid_list or '').replace('\n', '').split(','):
        item = item.strip()
        if item:
            total += int(item.split('-')[2])
    return total


def tcp_reachable(host, port, timeout):
    """Does host:port accept a TCP connection within timeout seconds?"""
    if not host:
        return False
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
        return True
    except (OSError, socket.error):
        return False


# ------------------------------------------------------------------ endpoints (pure)
_HAPROXY_SECTION = re.compile(r'^(\S.*)$')


def haproxy_with_primary(text, primary, replicas):
    """The HAProxy configuration with ``backend primary`` pointing at primary and ``backend replicas``
    at replicas (primary as their backup). primary/replicas: {name, host, port}."""
    lines = text.splitlines()
    output, section = [], None
    for line in lines:
        header = _HAPROXY_SECTION.match(line)
        if header and not line.startswith('#'):
            section = header.group(1).strip()
            output.append(line)
            if section == 'backend primary':
                output.append('    server %s %s:%s check' % (primary['name'], primary['host'], primary['port']))
            elif section == 'backend replicas':
                output.append('    balance leastconn')
                for replica in replicas:
                    output.append('    server %s %s:%s check' % (replica['name'], replica['host'], replica['port']))
                output.append('    server %s %s:%s check backup' % (
                    primary['name'], primary['host'], primary['port']))
            continue
        if section in ('backend primary', 'backend replicas') and line.strip().split(' ')[0] in ('server', 'balance'):
            continue  # replaced above
        output.append(line)
    return '\n'.join(output) + '\n'


def pgbouncer_with_primary(text, host, port):
    """pgbouncer.ini with every [databases] entry's host and port set to the new primary."""
    output, section = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('['):
            section = stripped
        elif section == '[databases]' and '=' in line and not stripped.startswith(';'):
            name, _sep, value = line.partition('=')
            value = re.sub(r'\bhost=\S+', 'host=%s' % host, value)
            value = re.sub(r'\bport=\S+', 'port=%s' % port, value)
            line = '%s=%s' % (name, value)
        output.append(line)
    return '\n'.join(output) + '\n'


# ------------------------------------------------------------------ the cluster
class Node(object):
    def __init__(self, name, priority=0, host=None, port=None, inspect=None):
        self.name = name                # container name
        self.priority = priority
        self.host = host                # address the module reaches the server at
        self.port = port
        self.inspect = inspect
        self.alias = name               # how the other nodes and the endpoint reach it

    @property
    def running(self):
        return bool(self.inspect and (self.inspect.get('State') or {}).get('Running'))

    def describe(self):
        return {'name': self.name, 'host': self.alias, 'port': self.port}


class Timeline(object):
    def __init__(self, started=None):
        self.started = started or time.time()
        self.events = []

    def mark(self, event, **details):
        entry = {'event': event, 'at': round(time.time() - self.started, 3)}
        entry.update(details)
        self.events.append(entry)
        return entry

    def as_dict(self):
        return dict((event['event'], event['at']) for event in self.events)


class Cluster(object):
    """The nodes of one cluster on the Docker host, with their credentials and the endpoint."""

    def __init__(self, params, docker=None):
        self.params = params
        self.docker = docker or targets.docker_helper(params)
        self.engine = params['engine']
        self.adapter = get_adapter(self.engine)
        self.nodes = []
        for entry in params['nodes']:
            inspect = self.docker.container(entry['name'])
            if inspect is None:
                raise DbopsError('no container named %r on the Docker host' % entry['name'], 'nodes')
            node = Node(entry['name'], entry.get('priority') or 0, port=self.adapter.port, inspect=inspect)
            node.host = entry.get('host') or targets.container_address(inspect, params.get('network'))
            self.nodes.append(node)
        self.by_name = dict((node.name, node) for node in self.nodes)
        if len(self.by_name) != len(self.nodes):
            raise DbopsError('a node is listed twice', 'nodes')
        self.driver = self.adapter.failover_driver()(self)
        self._passwords = {}

    def refresh(self, node):
        node.inspect = self.docker.container(node.name)
        if node.inspect is not None:
            node.host = (self.params['nodes'][self.nodes.index(node)].get('host')
                         or targets.container_address(node.inspect, self.params.get('network')) or node.host)
        return node

    def superuser_password(self, node):
        """The superuser's password: the login options, else db_container's secrets volume."""
        if self.params.get('login_password') is not None or self.params.get('login_password_file'):
            return targets.login_password(self.params)
        if node.name not in self._passwords:
            if not node.running:
                return None
            self._passwords[node.name] = targets.stored_superuser_password(self.docker, node.inspect)
        return self._passwords[node.name]

    def replication_password(self):
        if self.params.get('replication_password') is not None:
            return self.params['replication_password']
        if self.params.get('replication_password_file'):
            return targets.read_secret_file(self.params['replication_password_file'], 'replication_password_file')
        return None

    def connect(self, node, timeout=None):
        try:
            return self.adapter.connect(node.host, node.port, self.params.get('login_user') or self.adapter.superuser,
                                        self.superuser_password(node), self.params.get('login_db'),
                                        timeout or self.params.get('probe_timeout') or 1)
        except DbopsError as exc:
            raise DbopsError('%s: %s' % (node.name, exc.message), exc.parameter)

    def tcp_probe_from(self, observer, target):
        """Can ``observer``'s container open a TCP connection to ``target``'s server? True, False, or None
        (the observer itself cannot be asked)."""
        if not observer.running:
            return None
        timeout = max(1, int(round(self.params.get('probe_timeout') or 1)))
        command = ('timeout %d bash -c "exec 3<>/dev/tcp/%s/%d" 2>/dev/null && echo reach || echo noreach'
                   % (timeout, target.alias, target.port))
        try:
            code, output = self.docker.exec_shell(observer.inspect['Id'], command)
        except Exception:  # noqa: BLE001 - a container that stopped in between
            return None
        if 'noreach' in output:
            return False
        if 'reach' in output:
            return True
        return None


# ------------------------------------------------------------------ the runner
class Failover(object):
    """mode check / failover / switchover over one Cluster."""

    def __init__(self, params, check_mode=False, cluster=None):
        self.params = params
        self.check_mode = check_mode
        self.cluster = cluster or Cluster(params)
        self.driver = self.cluster.driver
        self.timeline = Timeline()

    # ---------------------------------------------------------------- discovery
    def current_primary(self):
        """The node the replicas follow (or the one named by the primary option)."""
        name = self.params.get('primary')
        if name:
            if name not in self.cluster.by_name:
                raise DbopsError('primary %r is not one of the nodes' % name, 'primary')
            return self.cluster.by_name[name]
        found = self.driver.discover_primary()
        if found is None:
            raise DbopsError('cannot tell which node is the primary (no replica names one and no node answers as '
                             'a writable primary): set primary', 'primary')
        return found

    def observe(self, primary):
        """One probe round: {observer: alive?}. The observers are asked at the same time: a dead primary
        makes every probe wait its whole timeout, and a round must not cost the sum of them."""
        from concurrent.futures import ThreadPoolExecutor
        observers = [node for node in self.cluster.nodes if node is not primary]
        with ThreadPoolExecutor(max_workers=len(observers) + 1) as pool:
            controller = pool.submit(self.driver.controller_probe, primary)
            replicas = [(node.name, pool.submit(self.cluster.tcp_probe_from, node, primary)) for node in observers]
            views = {'controller': controller.result()}
            for name, future in replicas:
                views[name] = future.result()
        return views

    def check(self, primary=None):
        primary = primary or self.current_primary()
        probes = self.params.get('probes') or 3
        interval = self.params.get('probe_interval') or 0.5
        rounds = []
        for number in range(probes):
            if number:
                time.sleep(interval)
            rounds.append(self.observe(primary))
            if not round_says_dead(rounds[-1]):
                break       # one round that sees it alive (or cannot decide) ends the check
        dead = primary_dead(rounds, probes)
        return {'primary': primary.name, 'primary_dead': dead, 'rounds': rounds}

    # ---------------------------------------------------------------- failover
    def failover(self, primary=None, health=None):
        """health: a check already made (the watcher's rounds); else one is made now."""
        primary = primary or self.current_primary()
        health = health or self.check(primary)
        self.timeline.mark('checked', primary_dead=health['primary_dead'])
        if not health['primary_dead'] and not self.params.get('force'):
            raise DbopsError('the primary %s is not dead: %s. Nothing was changed (use mode switchover for a '
                             'planned change, or force)' % (primary.name, describe_round(health['rounds'][-1])),
                             'mode')
        return self._promote_and_rewire(primary, health)

    def _promote_and_rewire(self, primary, health):
        self.timeline.mark('detected')
        for node in self.cluster.nodes:
            self.cluster.refresh(node)
        positions = self.driver.positions([n for n in self.cluster.nodes if n is not primary])
        candidate_row = self._candidate_row(positions, None)
        candidate = self.cluster.by_name[candidate_row['name']]
        result = {'old_primary': primary.name, 'new_primary': candidate.name, 'positions': positions,
                  'check': health, 'changed': True}
        # In check mode the driver only reads: a stopped SQL thread or paused replay stays as it is.
        self.driver.ensure_caught_up(candidate, candidate_row, self.params.get('max_lag'), self.params.get('force'),
                                     check_mode=self.check_mode)
        self.timeline.mark('candidate_caught_up', candidate=candidate.name)
        if self.check_mode:
            result['timeline'] = self.timeline.events
            return result
        endpoint_plan = self.plan_endpoint(candidate, self._others(primary, candidate))
        # Fence first: a primary that comes back now must not take writes next to the new one.
        self.driver.fence(primary)
        self.timeline.mark('fenced', node=primary.name)
        # MongoDB elects by itself: the driver says who won.
        candidate = self.driver.promote(candidate) or candidate
        result['new_primary'] = candidate.name
        self.timeline.mark('promoted', node=candidate.name)
        result['repointed'] = self._open_writes(primary, candidate, endpoint_plan)
        return self._finish(result, primary, candidate, planned=False)

    def _candidate_row(self, positions, target):
        """The positions row to promote (the target's, when one is named), or a refusal that changes nothing."""
        row = choose_candidate([p for p in positions if not target or p['name'] == target])
        if row is None:
            raise DbopsError('no healthy candidate: %s. Nothing was changed'
                             % '; '.join('%s: %s' % (p['name'], p.get('why') or 'unusable') for p in positions),
                             'candidate' if target else 'nodes')
        return row

    def _others(self, primary, candidate):
        return [n for n in self.cluster.nodes if n is not primary and n is not candidate]

    def _open_writes(self, primary, candidate, endpoint_plan, demote_primary=False):
        """Re-point the running replicas at the promoted candidate and move the endpoint, in the order the
        engine needs (see FailoverDriver.ack_needs_replica): the returned list names the re-pointed nodes.
        endpoint_plan was worked out for the candidate chosen; MongoDB's election may have chosen another.
        demote_primary: the (switchover's, still running) old primary follows the candidate too, demoted in
        parallel with the others."""
        also = primary if demote_primary else None
        others = self._others(primary, candidate)
        if endpoint_plan['new_primary'] != candidate.name:
            endpoint_plan = self.plan_endpoint(candidate, others)
        running = [n for n in others if n.running]
        if self.driver.ack_needs_replica:
            # Semi-sync: a commit on the new primary waits for a replica's acknowledgement (up to the
            # semi-sync timeout, then it silently falls back to async). Replicas connect first, so the
            # clients' first commits are acknowledged at once, and by a replica.
            repointed = self._repoint(running, candidate, also)
            self._move_endpoint_now(endpoint_plan)
        else:
            # Clients first: the endpoint moves as soon as the new primary takes writes; the other
            # replicas are re-pointed after (they only serve reads meanwhile).
            self._move_endpoint_now(endpoint_plan)
            repointed = self._repoint(running, candidate, also)
        if hasattr(self.driver, 'after_promote'):
            self.driver.after_promote(candidate)
        return repointed

    def _move_endpoint_now(self, endpoint_plan):
        self.timeline.mark('endpoint_moved', endpoint=self.apply_endpoint(endpoint_plan))

    def _repoint(self, nodes, candidate, also=None):
        """Re-point nodes (and demote also) at the candidate, at the same time: each waits for its own
        replication to start, and a switchover's pause must not be the sum of those waits."""
        jobs = [(self.driver.repoint, node) for node in nodes]
        if also is not None:
            jobs.append((self.driver.demote, also))
        if jobs:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                futures = [pool.submit(action, node, candidate) for action, node in jobs]
            for future in futures:
                future.result()     # the first failure is raised, after every job has ended
        names = [node.name for node in nodes]
        self.timeline.mark('repointed', nodes=names)
        if also is not None:
            self.timeline.mark('old_primary_follows', node=also.name)
        return names

    def _finish(self, result, primary, candidate, planned):
        notified = self.notify('%s %s: %s is the new primary (was %s)' % (
            self.cluster.engine, 'switchover' if planned else 'failover', candidate.name, primary.name))
        if notified:
            self.timeline.mark('notified')
        result['timeline'] = self.timeline.events
        return result

    # ---------------------------------------------------------------- switchover
    def switchover(self):
        """Planned: everything that can be read or decided is done before the primary goes read-only, so
        the write pause holds only the catch-up of one replica, its promotion, and the endpoint's reload."""
        primary = self.current_primary()
        if not primary.running:
            raise DbopsError('the primary %s is not running: use mode failover' % primary.name, 'mode')
        target = self.params.get('candidate')
        positions = self.driver.prepare_switchover(primary, target) or []
        candidate = self.cluster.by_name[self._candidate_row(positions, target)['name']]
        result = {'changed': True, 'old_primary': primary.name, 'new_primary': candidate.name,
                  'positions': positions}
        if self.check_mode:
            result.update({'timeline': [], 'check_mode': True})
            return result
        endpoint_plan = self.plan_endpoint(candidate, self._others(primary, candidate))
        started = time.time()
        self.timeline.started = started
        self.driver.freeze(primary)
        self.timeline.mark('frozen', node=primary.name)
        try:
            # Only the candidate must hold every write before it is promoted; the other replicas
            # fetch what they miss from it once re-pointed (GTID / timeline follow).
            self.driver.wait_replicas_caught_up(primary, candidate.name, self.params.get('max_lag') or 10)
            self.timeline.mark('caught_up', node=candidate.name)
            self.driver.before_promote(primary, candidate)
            self.timeline.mark('primary_read_only')
            candidate = self.driver.promote(candidate) or candidate
        except Exception:
            # Nothing promoted yet: the old primary takes writes again.
            try:
                self.driver.unfreeze(primary)
            except Exception:  # noqa: BLE001 - keep the original error
                pass
            raise
        result['new_primary'] = candidate.name
        self.timeline.mark('promoted', node=candidate.name)
        result['repointed'] = self._open_writes(primary, candidate, endpoint_plan, demote_primary=True)
        # Writes resume when the endpoint points at the new primary.
        moved = [event['at'] for event in self.timeline.events if event['event'] == 'endpoint_moved']
        result['write_pause_s'] = round(moved[0] if moved else time.time() - started, 3)
        return self._finish(result, primary, candidate, planned=True)

    # ---------------------------------------------------------------- rejoin
    def rejoin(self):
        """Make a fenced old primary (params node) a replica of the current primary."""
        name = self.params.get('node')
        if not name or name not in self.cluster.by_name:
            raise DbopsError('set node to the old primary to rejoin (one of the nodes)', 'node')
        node = self.cluster.by_name[name]
        primary = self.current_primary()
        if primary is node:
            raise DbopsError('%s is the current primary: nothing to rejoin' % name, 'node')
        if self.driver.follows(node, primary):
            # Already a running replica of the primary, and it may restart: a rejoin has nothing to do.
            return {'changed': False, 'node': name, 'primary': primary.name, 'reseeded': False, 'timeline': []}
        if self.check_mode:
            return {'changed': True, 'node': name, 'primary': primary.name, 'check_mode': True}
        self.driver.rejoin(node, primary)
        reseeded = bool(getattr(self.driver, 'last_rejoin_reseeded', False))
        self.timeline.mark('rejoined', node=name, primary=primary.name, reseeded=reseeded)
        return {'changed': True, 'node': name, 'primary': primary.name, 'reseeded': reseeded,
                'timeline': self.timeline.events}

    # ---------------------------------------------------------------- endpoint
    def plan_endpoint(self, new_primary, replicas):
        """What moving the endpoint to new_primary writes: read and worked out ahead, so that applying it
        (apply_endpoint) is one write and one signal. replicas: the nodes the reader side may use."""
        endpoint = self.params.get('endpoint') or {}
        kind = endpoint.get('type') or 'none'
        plan = {'kind': kind, 'new_primary': new_primary.name}
        if kind == 'none':
            return plan
        docker = self.cluster.docker
        container = docker.container(endpoint.get('container') or '')
        if container is None:
            raise DbopsError('endpoint container %r does not exist' % endpoint.get('container'), 'endpoint')
        if kind == 'haproxy':
            path, reload_signal = '/usr/local/etc/haproxy/haproxy.cfg', 'SIGUSR2'
            current = (docker.read_file(container['Id'], path) or b'').decode('utf-8')
            wanted = haproxy_with_primary(current, new_primary.describe(),
                                          [n.describe() for n in replicas if n.running and n is not new_primary])
        elif kind == 'pgbouncer':
            path, reload_signal = '/etc/pgbouncer/pgbouncer.ini', 'SIGHUP'
            current = (docker.read_file(container['Id'], path) or b'').decode('utf-8')
            wanted = pgbouncer_with_primary(current, new_primary.alias, new_primary.port)
        else:
            raise DbopsError('endpoint type %r is not supported (haproxy, pgbouncer, none)' % kind, 'endpoint')
        plan.update({'container': container, 'path': path, 'signal': reload_signal,
                     'content': wanted if wanted != current else None})
        return plan

    def apply_endpoint(self, plan):
        if plan['kind'] == 'none':
            return 'none'
        if plan['content'] is not None:
            from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import FileEntry, make_tar
            docker, container, path = self.cluster.docker, plan['container'], plan['path']
            entry = FileEntry(path.rsplit('/', 1)[1], plan['content'].encode('utf-8'), 0o644, 0, 0)
            try:
                # Straight into the running endpoint (its configuration volume is writable): no helper
                # container on the clients' critical path.
                docker.api.put_archive(container['Id'], path.rsplit('/', 1)[0], make_tar([entry]))
            except Exception:  # noqa: BLE001 - a read-only mount: through a carrier container
                volume = (self.params.get('endpoint') or {}).get('volume') or _config_volume(container, path)
                docker.write_to_mount(container['Config']['Image'], {'type': 'volume', 'source': volume}, [entry])
            docker.api.kill(container['Id'], signal=plan['signal'])
        return '%s -> %s' % (plan['kind'], plan['new_primary'])

    # ---------------------------------------------------------------- notification
    def notify(self, text):
        url = self.params.get('notify_url')
        if not url:
            return False
        payload = json.dumps({'text': text, 'timeline': self.timeline.as_dict()}).encode('utf-8')
        try:
            post_json(url, payload, timeout=5)
            return True
        except Exception as exc:  # noqa: BLE001 - a failed notification never undoes a failover
            self.timeline.mark('notify_failed', error=str(exc)[:200])
            return False


REDISCOVER_EVERY = 30     # rounds between two looks at which node is the primary


class Watcher(object):
    """db_failover as a long-running process: a probe round every probe_interval, a failover when
    ``probes`` consecutive rounds find the primary dead. ``log(event_dict)`` receives every event."""

    def __init__(self, params, log, clock=time.time, sleep=time.sleep):
        self.params = params
        self.log = log
        self.clock, self.sleep = clock, sleep
        self.rounds = []
        self.primary = None
        self.failovers = 0
        self.ticks = 0

    def step(self, failover):
        """One probe round; returns the failover result when one happened."""
        # Every node, every round: a node started, stopped or rejoined since is seen as it is now.
        for node in failover.cluster.nodes:
            failover.cluster.refresh(node)
        self.ticks += 1
        if self.primary is None or self.ticks % REDISCOVER_EVERY == 0:
            # Re-learn the primary now and then: a switchover done by someone else moves it.
            previous = self.primary
            try:
                self.primary = failover.current_primary()
            except DbopsError:
                if previous is None:
                    raise
            if previous is None or previous.name != self.primary.name:
                self.log({'event': 'watching', 'primary': self.primary.name})
        views = failover.observe(self.primary)
        self.rounds = (self.rounds + [views])[-(self.params.get('probes') or 3):]
        if not primary_dead(self.rounds, self.params.get('probes') or 3):
            if not round_says_dead(views) and any(v is False for v in views.values()):
                self.log({'event': 'partial_view', 'primary': self.primary.name, 'views': views})
            return None
        health = {'primary': self.primary.name, 'primary_dead': True, 'rounds': list(self.rounds)}
        self.log({'event': 'primary_dead', 'primary': self.primary.name, 'rounds': len(self.rounds)})
        failover.timeline = Timeline()
        result = failover.failover(self.primary, health)
        self.failovers += 1
        self.log({'event': 'failover', 'old_primary': result['old_primary'], 'new_primary': result['new_primary'],
                  'timeline': result['timeline']})
        self.primary = failover.cluster.by_name[result['new_primary']]
        self.rounds = []
        return result

    def run(self, make_failover, rounds=None):
        """Probe forever (or ``rounds`` times). Errors are logged and the loop goes on."""
        interval = self.params.get('probe_interval') or 1
        done = 0
        failover = None
        while rounds is None or done < rounds:
            started = self.clock()
            try:
                failover = failover or make_failover()
                self.step(failover)
            except DbopsError as exc:
                self.log({'event': 'error', 'parameter': exc.parameter, 'error': str(exc)})
                failover, self.primary, self.rounds = None, None, []
            except Exception as exc:  # noqa: BLE001 - a watcher must not die on one bad round
                self.log({'event': 'error', 'error': '%s: %s' % (type(exc).__name__, exc)})
                failover, self.primary, self.rounds = None, None, []
            done += 1
            self.sleep(max(0.0, interval - (self.clock() - started)))


def post_json(url, payload, timeout):
    """POST a JSON body. Ansible's open_url in a module; http.client in the watcher, which has no Ansible."""
    try:
        from ansible.module_utils.urls import open_url
    except ImportError:
        open_url = None
    if open_url is not None:
        open_url(url, data=payload, headers={'Content-Type': 'application/json'}, method='POST', timeout=timeout)
        return
    import http.client
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == 'https' else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request('POST', (parts.path or '/') + ('?' + parts.query if parts.query else ''), body=payload,
                           headers={'Content-Type': 'application/json'})
        response = connection.getresponse()
        if response.status >= 400:
            raise DbopsError('the webhook answered %s %s' % (response.status, response.reason), 'notify_url')
    finally:
        connection.close()


def restart_policy(node):
    """The container's restart policy name ('no' for a fenced node), or None when unknown."""
    return (((node.inspect or {}).get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name')


def node_follows(cluster, node, connect, source_of, primary_names):
    """The drivers' follows(): is node running, not fenced, and reading from one of primary_names?

    source_of(connection) returns the host node replicates from, or None when it does not replicate;
    a node that cannot be reached follows nobody. Reads only: rejoin and its check mode rely on it."""
    cluster.refresh(node)
    if not node.running or restart_policy(node) == 'no':
        return False
    try:
        conn = connect(node, 3)
    except DbopsError:
        return False
    try:
        source = source_of(conn)
    finally:
        conn.close()
    return bool(source) and source in primary_names


def _config_volume(container, path):
    for mount in container.get('Mounts') or []:
        if path.startswith(mount.get('Destination', '') + '/') and mount.get('Type') == 'volume':
            return mount['Name']
    raise DbopsError('the endpoint container has no volume holding %s: set endpoint.volume' % path, 'endpoint')


def describe_round(views):
    return ', '.join('%s %s' % (name, {True: 'reaches it', False: 'does not reach it', None: 'cannot be asked'}[v])
                     for name, v in sorted(views.items()))


def _with_progress(action, timeline):
    """Run action; a DbopsError says how far the failover got (what already changed)."""
    try:
        return action()
    except DbopsError as exc:
        changes = [event['event'] for event in timeline.events if event['event'] in CHANGING_STEPS]
        if changes:
            raise DbopsError('%s [already done: %s]' % (exc.message, ', '.join(changes)), exc.parameter)
        raise


def run(params, check_mode=False):
    failover = Failover(params, check_mode)
    mode = params['mode']
    if mode == 'rejoin':
        return failover.rejoin()
    if mode == 'check':
        result = failover.check()
        result['changed'] = False
        return result
    if mode == 'failover':
        return _with_progress(failover.failover, failover.timeline)
    if mode == 'switchover':
        return _with_progress(failover.switchover, failover.timeline)
    raise DbopsError('mode must be check, failover, switchover or rejoin', 'mode')
