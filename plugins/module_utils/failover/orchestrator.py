# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover: engine-neutral orchestration of check, failover, switchover and rejoin.

Choose the replica with the most data (the engine's received position, ties
broken by priority), refuse when it cannot catch up within ``max_lag`` unless
``force``, promote it, re-point the other replicas, fence the old primary
(stopped, restart policy off, and marked so it can only come back read-only),
move the client endpoint, notify. Each step lands in a timeline.

The engine-specific steps are a FailoverDriver (engines/base.py) from
``adapter.failover_driver()``: engines/<engine>/failover.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import FileEntry
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import (
    Cluster, ProbeExchange, Timeline, restart_policy)
from ansible_collections.dbops.containers.plugins.module_utils.failover.decisions import (
    CHANGING_STEPS, choose_candidate, describe_round, primary_dead, restart_unproven, round_says_dead)
from ansible_collections.dbops.containers.plugins.module_utils.failover.endpoints import ENDPOINTS

# Seconds a probe round may run past probe_timeout: starting a probe in an observer's container
# (docker exec) costs a few hundred milliseconds on a loaded host.
ROUND_GRACE_SECONDS = 2
# How often a round waiting for its observers looks whether the watcher asked it to stop.
OBSERVE_POLL_SECONDS = 0.05
# Seconds between two looks at a just-promoted candidate while replicas wait to follow it: one that died
# ends their wait (a Docker inspect each time, no login).
CANDIDATE_CHECK_SECONDS = 0.5


class Failover(object):
    """mode check / failover / switchover over one Cluster."""

    def __init__(self, params, check_mode=False, cluster=None):
        self.params = params
        self.check_mode = check_mode
        self.cluster = cluster or Cluster(params)
        self.driver = self.cluster.driver
        self.timeline = Timeline()
        self.repoint_failed = {}    # {node: why} of the last failover or switchover

    # ---------------------------------------------------------------- discovery
    def current_primary(self):
        """The node the replicas follow (or the one named by the primary option)."""
        name = self.params.get('primary')
        if name:
            if name not in self.cluster.by_name:
                raise DbopsError('primary %r is not one of the nodes' % name, 'primary')
            named = self.cluster.by_name[name]
            if named.running:
                # A running node named primary that is not the one the cluster says: a replica, so
                # everything decided from it would be wrong. (A dead primary is taken as named.)
                found = self.driver.discover_primary()
                if found is not None and found is not named:
                    raise DbopsError('primary %r is not the primary: %s is (the writable node the replicas '
                                     'follow). Set primary to %s or leave it out. Nothing was changed'
                                     % (name, found.name, found.name), 'primary')
            return named
        found = self.driver.discover_primary()
        if found is None:
            raise DbopsError('cannot tell which node is the primary (no replica names one and no node answers as '
                             'a writable primary): set primary', 'primary')
        return found

    def observe(self, primary, interrupted=None):
        """One probe round: {observer: alive?}. The observers are asked at the same time, and the round
        ends at its deadline: an observer that has not answered by then (a session stuck on a frozen
        server) counts as not reaching the primary, so a round costs one probe_timeout, not the
        slowest client library's own timeouts.

        A primary whose container Docker reports stopped (exited or dead, not restarting) has no server
        process to ask: the controller and Docker both say so, at once, instead of every observer waiting
        out probe_timeout on an address nobody holds any more. Still ``probes`` rounds, each looking again.
        A container Docker reports paused (frozen: its processes cannot answer anyone) is not asked either:
        {'controller': False, 'paused': False}, a round that costs nothing; the watcher still spaces such
        rounds probe_timeout apart (what asking would have taken), so a brief pause is no failover.

        interrupted: a callable; when it says True while the round waits for its observers (the watcher got a
        Docker event of the primary: it died, was killed or frozen meanwhile), the round is abandoned and None
        returned, to be asked again at once. A round under way when the primary was killed otherwise waited
        for its deadline (2.1 s of a PostgreSQL kill -9 in the fault suite) before the next round saw the
        container stopped."""
        from concurrent.futures import ThreadPoolExecutor, FIRST_COMPLETED, wait
        if container_stopped(self.cluster.refresh(primary)):
            return {'controller': False, 'docker': False}
        if primary.paused:
            return {'controller': False, 'paused': False}
        exchange = ProbeExchange(self.driver.probe_request, self.driver.probe_answer_bytes)
        observers = [node for node in self.cluster.nodes if node is not primary]
        timeout = self.params.get('probe_timeout') or 1
        deadline = time.time() + max(1, int(round(timeout))) + ROUND_GRACE_SECONDS
        pool = ThreadPoolExecutor(max_workers=len(observers) + 1)
        try:
            futures = [('controller', pool.submit(self.driver.controller_probe, primary))]
            futures += [(node.name, pool.submit(self.cluster.tcp_probe_from, node, primary, exchange))
                        for node in observers]
            pending = set(future for _name, future in futures)
            while pending and time.time() < deadline:
                if interrupted is not None and interrupted():
                    return None
                pending = wait(pending, timeout=min(OBSERVE_POLL_SECONDS, max(0.0, deadline - time.time())),
                               return_when=FIRST_COMPLETED)[1]
            # An observer that has not answered by the deadline does not reach the primary; one whose probe
            # failed in itself (a Docker API error) could not be asked.
            return dict((name, _view(future)) for name, future in futures)
        finally:
            # A probe stuck on a frozen server ends when that server dies or answers; the round does not wait.
            pool.shutdown(wait=False)

    def check(self, primary=None):
        primary = primary or self.current_primary()
        probes = self.params.get('probes') or 3
        interval = self.params.get('probe_interval') or 0.5
        rounds = []
        for number in range(probes):
            if number:
                # A round that found the container paused asked nobody: wait what asking would have taken.
                paused = 'paused' in rounds[-1]
                time.sleep(max(interval, self.params.get('probe_timeout') or 1) if paused else interval)
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
            # A failover interrupted after its promotion (a watcher killed, a play stopped) left a writable
            # primary that the endpoint or the replicas do not follow yet: finish it instead of refusing.
            repaired = self.repair(primary)
            if repaired:
                return {'changed': True, 'old_primary': None, 'new_primary': primary.name, 'repaired': repaired,
                        'check': health, 'timeline': self.timeline.events}
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
        self._refuse_unproven_candidate(primary, candidate, positions)
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
        primary_was_running = primary.running
        # Fence first: a primary that comes back now must not take writes next to the new one.
        self.driver.fence(primary, silent=answered_nobody(health))
        self.timeline.mark('fenced', node=primary.name)
        if primary_was_running:
            candidate = self._choose_again_after_fence(primary, candidate, result)
        # MongoDB elects by itself: the driver says who won.
        candidate = self.driver.promote(candidate) or candidate
        result['new_primary'] = candidate.name
        self.timeline.mark('promoted', node=candidate.name)
        result['repointed'] = self._open_writes(primary, candidate, endpoint_plan)
        return self._finish(result, primary, candidate, planned=False)

    def _choose_again_after_fence(self, primary, candidate, result):
        """A primary that still ran when it was found dead (frozen, or cut off from most observers but not
        from every replica) may have committed more, and a replica received it, after the positions were
        read. Fenced now, it can add nothing: read again and promote the replica that holds the most. A
        killed primary cannot have moved on, so that path pays no second read."""
        positions = self.driver.positions([n for n in self.cluster.nodes if n is not primary])
        row = choose_candidate(positions)
        if row is None or row['name'] == candidate.name:
            return candidate
        better = self.cluster.by_name[row['name']]
        self.driver.ensure_caught_up(better, row, self.params.get('max_lag'), self.params.get('force'))
        self.timeline.mark('candidate_caught_up', candidate=better.name, instead_of=candidate.name)
        result.update({'positions': positions, 'new_primary': better.name})
        return better

    def finish_promotion(self, candidate):
        """Complete a promotion the record shows begun and cut short: the old primary is fenced, and the
        recorded candidate follows nobody and takes no writes (MySQL/MariaDB: the watcher was killed between
        RESET SLAVE ALL and read_only=OFF). Nobody else would promote it: it is no replica any more, so the
        candidate rule skips it although it may hold the most. It was chosen before the fence, and the fenced
        primary has committed nothing since, so promoting it now loses nothing."""
        self.driver.promote(candidate)
        self.timeline.mark('promoted', node=candidate.name, resumed=True)
        self.driver.after_promote(candidate)

    def repair(self, primary, endpoint_unconfirmed=False):
        """Finish what an interrupted failover began, from what the cluster shows: the endpoint sends
        writes to ``primary`` (the one writable node, alive), and every running replica that still follows
        a node that is down follows ``primary``. Returns what was (or, in check mode, would be) done.

        endpoint_unconfirmed: the failover's record lacks its endpoint_moved step. Its file may name
        ``primary`` already while the proxy never re-read it (the mover died between the write and the
        reload signal, and HAProxy or PgBouncer kept sending writes to the old primary): the endpoint is
        applied again (reloaded), whatever its file says."""
        repaired = []
        others = [n for n in self.cluster.nodes if n is not primary]
        for node in self.cluster.nodes:
            self.cluster.refresh(node)
        gone = set()
        for node in others:
            if not node.running:
                gone.update((node.name, node.alias, node.host))
        gone.discard(None)
        stranded = [n for n in others if n.running and self.driver.source_of(n) in gone]
        # Clients first: the endpoint is put right before any replica is re-pointed, and a replica that cannot
        # follow yet does not keep it on the old primary (a 30 s re-point wait held the resumed endpoint).
        repaired.extend(self._repair_endpoint(primary, others, endpoint_unconfirmed))
        failed = {}
        for node in stranded:
            if self.check_mode:
                repaired.append('replica %s re-pointed at %s' % (node.name, primary.name))
                continue
            try:
                self.driver.repoint(node, primary)
            except DbopsError as exc:
                failed[node.name] = exc.message
                continue
            repaired.append('replica %s re-pointed at %s' % (node.name, primary.name))
            self.timeline.mark('repointed', nodes=[node.name])
        if failed:
            # Named, after the endpoint was put right; the watcher's next look (or a rerun) tries them again.
            raise DbopsError('%s. The endpoint was put right first (%s)' % (
                '; '.join('replica %s not re-pointed at %s: %s' % (name, primary.name, why)
                          for name, why in sorted(failed.items())),
                ', '.join(repaired) or 'nothing to do there'), 'nodes')
        return repaired

    def _repair_endpoint(self, primary, others, endpoint_unconfirmed):
        """What putting the endpoint on ``primary`` takes (done unless check mode): [description] or []."""
        repaired = []
        endpoint = self.params.get('endpoint') or {}
        kind = ENDPOINTS.get(endpoint.get('type') or 'none')
        if kind is not None:
            container = self.cluster.docker.container(endpoint.get('container') or '')
            current = self.cluster.docker.read_file(container['Id'], kind.path) if container else None
            writer = kind.writer(current.decode('utf-8')) if current is not None else None
            if current is not None and writer not in (primary.alias, primary.name, primary.host):
                repaired.append('endpoint %s moved from %s to %s' % (endpoint.get('container'), writer, primary.name))
                if not self.check_mode:
                    self._move_endpoint_now(self.plan_endpoint(primary, others))
            elif current is not None and (endpoint_unconfirmed or kind.running_as_written(
                    self.cluster.docker, container['Id'], current.decode('utf-8')) is False):
                # The record says the move was not finished, or the proxy itself says it still sends writes
                # elsewhere (HAProxy's runtime API, PgBouncer's console): db_failover run by hand has no record.
                repaired.append('endpoint %s reloaded: its file names %s, and the running proxy %s'
                                % (endpoint.get('container'), primary.name,
                                   'was never recorded applying it' if endpoint_unconfirmed
                                   else 'still sends writes elsewhere'))
                if not self.check_mode:
                    plan = self.plan_endpoint(primary, others)
                    plan['reload'] = True
                    self._move_endpoint_now(plan)
        return repaired

    def _candidate_row(self, positions, target):
        """The positions row to promote (the target's, when one is named), or a refusal that changes nothing."""
        row = choose_candidate([p for p in positions if not target or p['name'] == target])
        if row is None:
            raise DbopsError('no healthy candidate: %s. Nothing was changed'
                             % '; '.join('%s: %s' % (p['name'], p.get('why') or 'unusable') for p in positions),
                             'candidate' if target else 'nodes')
        return row

    def _refuse_unproven_candidate(self, primary, candidate, positions):
        """durability required: promote only a candidate that holds every commit a client was told of.

        A commit was acknowledged once one replica held it (semi-sync, synchronous_standby_names ANY 1),
        not necessarily this one: the most advanced of ALL replicas holds every acknowledged commit, so
        every replica that may have acknowledged one must have been read. A fenced node (an earlier
        primary) acknowledged nothing to this primary. And a primary last seen committing asynchronously
        may have acknowledged commits no replica has at all. force decides otherwise, knowingly."""
        if self.params.get('force') or (self.params.get('durability') or 'required') != 'required':
            return
        seen = self.driver.synchronous_seen
        if seen is not None and seen[1] is False:
            raise DbopsError(
                'the primary %s was committing asynchronously when last seen (%.0f s before it died): it may '
                'have acknowledged commits no replica holds, and durability is required. Nothing was changed. '
                'Bring %s back, or fail over with force accepting the loss'
                % (primary.name, max(0.0, time.time() - seen[0]), primary.name), 'durability')
        # A node that answered is known (a replica with its position, or no replica of this primary at all,
        # which acknowledged none of its commits); one that did not may hold what the candidate lacks.
        unread = [row for row in positions if not row.get('answered') and row['name'] != candidate.name
                  and restart_policy(self.cluster.by_name[row['name']]) != 'no']
        if unread:
            raise DbopsError(
                'cannot prove %s holds every acknowledged commit: %s could not be read, and a commit may have been '
                'acknowledged by it alone (durability is required). Nothing was changed. Bring it back (the '
                'failover is tried again), or fail over with force accepting the loss'
                % (candidate.name, '; '.join('%s (%s)' % (row['name'], row.get('why') or 'unknown') for row in unread)),
                'durability')
        # A replica may have lost, by its own restart, a commit it alone acknowledged.
        unproven = [(row['name'], restart_unproven(row.get('restart'))) for row in positions
                    if restart_policy(self.cluster.by_name[row['name']]) != 'no']
        unproven = [(name, why) for name, why in unproven if why]
        if unproven:
            raise DbopsError(
                'cannot prove %s holds every acknowledged commit: %s (durability is required). Nothing was changed. '
                'Bring %s back (its binary log holds them), or fail over with force accepting the loss'
                % (candidate.name, '; '.join('%s %s' % pair for pair in unproven), primary.name), 'durability')

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
            # semi-sync timeout, or for ever under durability required). Replicas connect first, so the
            # clients' first commits are acknowledged at once, and by a replica.
            repointed, failed = self._repoint(running, candidate, also)
            self._move_endpoint_now(endpoint_plan)
        else:
            # Clients first: the endpoint moves as soon as the new primary takes writes; the other
            # replicas are re-pointed after (they only serve reads meanwhile).
            self._move_endpoint_now(endpoint_plan)
            repointed, failed = self._repoint(running, candidate, also)
        self.driver.after_promote(candidate)
        if failed:
            # The clients already write to the new primary: a replica that could not follow now (frozen,
            # gone) is re-pointed by the watcher's repair once it answers, or by a rerun.
            self.repoint_failed.update(failed)
        return repointed

    def _move_endpoint_now(self, endpoint_plan):
        moved = self.apply_endpoint(endpoint_plan)
        details = {'old_sessions': endpoint_plan['sessions']} if endpoint_plan.get('sessions') else {}
        self.timeline.mark('endpoint_moved', endpoint=moved, **details)

    def _repoint(self, nodes, candidate, also=None):
        """Re-point nodes (and demote also) at the candidate, at the same time: each waits for its own
        replication to start, and a switchover's pause must not be the sum of those waits.

        Returns (names re-pointed, {name: why} for the others). A node that has not finished within
        wait_timeout (frozen) is left behind: after the promotion, nothing may keep the endpoint from
        moving. A candidate that dies (Docker reports its container stopped or paused) before or while the
        nodes wait for it ends the wait at once: nothing can follow it, and the failover must end so that
        the next probe rounds find it dead and fail over to a node that lives (the fault suite's double
        fault: a candidate killed right after its promotion held the failover for the whole wait_timeout)."""
        jobs = [(self.driver.repoint, node) for node in nodes]
        if also is not None:
            jobs.append((self.driver.demote, also))
        done, failed, took = [], {}, {}
        dead = self._candidate_dead(candidate) if jobs else None
        if dead:
            failed = dict((node.name, dead) for _action, node in jobs)
        elif jobs:
            done, failed, took = self._repoint_while_candidate_lives(jobs, candidate)
        names = [name for name in done if also is None or name != also.name]
        # The seconds each node took: what a slow failover spent its time on, in its own timeline.
        self.timeline.mark('repointed', nodes=names, seconds=took)
        if also is not None and also.name in done:
            self.timeline.mark('old_primary_follows', node=also.name)
        if failed:
            self.timeline.mark('repoint_failed', nodes=sorted(failed))
        return names, failed

    def _repoint_while_candidate_lives(self, jobs, candidate):
        """Run the jobs in parallel until they end, wait_timeout passes, or the candidate dies:
        (names done, {name: why} failed, {name: seconds} of the nodes that ended)."""
        from concurrent.futures import ThreadPoolExecutor, FIRST_COMPLETED, wait
        done, failed, took = [], {}, {}
        started = time.time()
        deadline = started + (self.params.get('wait_timeout') or 60)
        pool = ThreadPoolExecutor(max_workers=len(jobs))
        try:
            pending = dict((pool.submit(action, node, candidate), node) for action, node in jobs)
            while pending:
                finished, _still = wait(list(pending), timeout=min(CANDIDATE_CHECK_SECONDS,
                                                                   max(0.0, deadline - time.time())),
                                        return_when=FIRST_COMPLETED)
                for future in finished:
                    node = pending.pop(future)
                    took[node.name] = round(time.time() - started, 2)
                    error = future.exception()
                    if error is None:
                        done.append(node.name)
                    else:
                        failed[node.name] = str(getattr(error, 'message', None) or error)
                if not pending:
                    break
                if time.time() >= deadline:
                    why = 'did not follow %s within wait_timeout' % candidate.name
                else:
                    why = self._candidate_dead(candidate)
                if why:
                    failed.update((node.name, why) for node in pending.values())
                    break
        finally:
            # A job left behind ends on its own (its server's timeouts); the failover does not wait for it.
            pool.shutdown(wait=False)
        return done, failed, took

    def _candidate_dead(self, candidate):
        """Why nothing can follow the candidate now (Docker reports its container stopped or paused), else None."""
        self.cluster.refresh(candidate)
        if container_stopped(candidate):
            return 'not re-pointed: the new primary %s died (Docker reports its container stopped)' % candidate.name
        if candidate.paused:
            return 'not re-pointed: the new primary %s is frozen (Docker reports its container paused)' % (
                candidate.name)
        return None

    def _finish(self, result, primary, candidate, planned):
        if self.repoint_failed:
            result['repoint_failed'] = dict(self.repoint_failed)
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
        return self.rejoin_node(self.params.get('node'))

    def rejoin_node(self, name):
        """Make the node ``name`` (a fenced old primary) a replica of the current primary. The watcher
        calls it after a failover, so that a cluster of two can fail over again; never with force."""
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
        self.driver.last_rejoin_kept = None
        self.driver.rejoin(node, primary)
        reseeded = bool(self.driver.last_rejoin_reseeded)
        result = {'changed': True, 'node': name, 'primary': primary.name, 'reseeded': reseeded}
        if self.driver.last_rejoin_kept:
            # Its diverged data, copied aside before anything was rewound or rebuilt.
            result['kept_data_volume'] = self.driver.last_rejoin_kept
        self.timeline.mark('rejoined', node=name, primary=primary.name, reseeded=reseeded)
        result['timeline'] = self.timeline.events
        return result

    # ---------------------------------------------------------------- endpoint
    def plan_endpoint(self, new_primary, replicas):
        """What moving the endpoint to new_primary writes: read and worked out ahead, so that applying it
        (apply_endpoint) is one write and one reload. replicas: the nodes the reader side may use."""
        endpoint = self.params.get('endpoint') or {}
        kind = endpoint.get('type') or 'none'
        plan = {'kind': kind, 'new_primary': new_primary.name}
        if kind == 'none':
            return plan
        docker = self.cluster.docker
        container = docker.container(endpoint.get('container') or '')
        if container is None:
            raise DbopsError('endpoint container %r does not exist' % endpoint.get('container'), 'endpoint')
        kind_of = ENDPOINTS.get(kind)
        if kind_of is None:
            raise DbopsError('endpoint type %r is not supported (%s, none)' % (kind, ', '.join(sorted(ENDPOINTS))),
                             'endpoint')
        path, reload_signal = kind_of.path, kind_of.reload_signal
        if (container['Config'].get('Labels') or {}).get('dbops.engine'):
            raise DbopsError('endpoint container %r is a database server, not a %s endpoint: name the %s container'
                             % (endpoint.get('container'), kind, kind), 'endpoint')
        current = docker.read_file(container['Id'], path)
        if current is None:
            # Found out now, before any node changes: a switchover must not end half done on a wrong endpoint.
            raise DbopsError('endpoint container %r has no %s: it is not a %s endpoint; name the %s container, or '
                             'the type it runs. Nothing was changed' % (endpoint.get('container'), path, kind, kind),
                             'endpoint')
        current = current.decode('utf-8')
        wanted = kind_of.rewrite(current, new_primary, [n for n in replicas if n.running and n is not new_primary])
        plan.update({'container': container, 'path': path, 'signal': reload_signal, 'current': current,
                     'content': wanted if wanted != current else None})
        return plan

    def apply_endpoint(self, plan):
        """Write the planned file and make the proxy apply it. A file that already says what the plan wants
        is not written; with plan['reload'] the proxy is still made to re-read it (a mover that died between
        the write and the reload left a file the running proxy never applied)."""
        if plan['kind'] == 'none':
            return 'none'
        docker, container = self.cluster.docker, plan['container']
        if plan['content'] is not None:
            path = plan['path']
            entry = FileEntry(path.rsplit('/', 1)[1], plan['content'].encode('utf-8'), 0o644, 0, 0)
            try:
                # Straight into the running endpoint (its configuration volume is writable): no helper
                # container on the clients' critical path.
                docker.put_files(container['Id'], path.rsplit('/', 1)[0], [entry])
            except Exception:  # noqa: BLE001 - a read-only mount: through a carrier container
                volume = (self.params.get('endpoint') or {}).get('volume') or _config_volume(container, path)
                docker.write_to_mount(container['Config']['Image'], {'type': 'volume', 'source': volume}, [entry])
        kind = ENDPOINTS[plan['kind']]
        if plan['content'] is not None:
            # Clients stuck on the old primary are let go now: after the reload they would stay with the old
            # worker until their own timeout.
            plan['sessions'] = kind.end_sessions(docker, container['Id'], plan['current'], plan['content'])
        if plan['content'] is not None or plan.get('reload'):
            # A signal, or a restart for a proxy that reads its configuration only at start (MySQL Router).
            kind.reload(docker, container['Id'])
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


def endpoint_unconfirmed(record):
    """Does a failover record (the watcher's durable record: {kind, finished, steps: [{step}]}) show a failover
    begun, not finished, that changed something and never recorded moving the endpoint? Then the endpoint's
    file may already name the new primary while the proxy never applied it (see Failover.repair). Pure."""
    if not record or record.get('finished') or record.get('kind', 'failover') != 'failover':
        return False
    steps = [entry.get('step') for entry in record.get('steps') or [] if isinstance(entry, dict)]
    return 'endpoint_moved' not in steps and any(step in CHANGING_STEPS for step in steps)


def _view(future):
    """An observer's answer in a round: its probe's result, False when it has not answered yet, None when the
    probe itself failed."""
    if not future.done():
        return False
    return None if future.exception() is not None else future.result()


def answered_nobody(health):
    """Did the check that found the primary dead end on a round in which it answered no observer (not the
    controller, nor any replica)? A forced failover of a live primary, or no rounds: False. Pure."""
    if not health or not health.get('primary_dead') or not health.get('rounds'):
        return False
    return not any(view is True for view in health['rounds'][-1].values())


def container_stopped(node):
    """True when Docker says the node's container runs no process and is not being restarted, or that
    it no longer exists."""
    if node.inspect is None:
        return True
    state = node.inspect.get('State') or {}
    return not state.get('Running') and not state.get('Restarting')


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


def _config_volume(container, path):
    for mount in container.get('Mounts') or []:
        if path.startswith(mount.get('Destination', '') + '/') and mount.get('Type') == 'volume':
            return mount['Name']
    raise DbopsError('the endpoint container has no volume holding %s: set endpoint.volume' % path, 'endpoint')


def with_progress(action, timeline):
    """Run action; a DbopsError says how far the failover got (what already changed)."""
    try:
        return action()
    except DbopsError as exc:
        changes = [event['event'] for event in timeline.events if event['event'] in CHANGING_STEPS]
        if changes:
            raise DbopsError('%s [already done: %s]' % (exc.message, ', '.join(changes)), exc.parameter)
        raise


def check_options(params):
    """Refuse the numbers that would change the decisions' meaning (a probe that cannot succeed calls a
    live primary dead), before anything is asked or changed."""
    limits = (('probes', 1, 'probe rounds that must all find the primary dead, 1 or more'),
              ('probe_timeout', 0.1, 'seconds one probe may take, 0.1 or more'),
              ('probe_interval', 0, 'seconds between probe rounds, 0 or more'),
              ('max_lag', 0, 'seconds the candidate may take to catch up, 0 or more'),
              ('wait_timeout', 1, 'seconds to wait for a re-pointed replica or a rejoined node, 1 or more'),
              ('semi_sync_timeout', 0, 'milliseconds the new primary waits for an acknowledgement, 0 or more'))
    for name, lowest, what in limits:
        value = params.get(name)
        if value is not None and value < lowest:
            raise DbopsError('%s %s: give the %s. Nothing was changed' % (name, value, what), name)
    if params.get('durability') not in (None, 'required', 'preferred'):
        raise DbopsError('durability %r: give required (never promote a replica that may lack an acknowledged '
                         'commit) or preferred. Nothing was changed' % params.get('durability'), 'durability')


def run(params, check_mode=False):
    check_options(params)
    failover = Failover(params, check_mode)
    mode = params['mode']
    if mode == 'rejoin':
        return failover.rejoin()
    if mode == 'check':
        result = failover.check()
        result['changed'] = False
        return result
    if mode == 'failover':
        return with_progress(failover.failover, failover.timeline)
    if mode == 'switchover':
        return with_progress(failover.switchover, failover.timeline)
    raise DbopsError('mode must be check, failover, switchover or rejoin', 'mode')
