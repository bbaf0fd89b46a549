# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover as a long-running process (the failover_watcher role runs it in a container).

Besides the probe rounds (failover/decisions.py decides), the watcher:

- follows the Docker event stream of the node containers in a thread: a ``die``, ``oom``, ``kill``,
  ``pause`` or ``stop`` of the primary wakes the loop at once and the confirmation rounds then run
  back to back; the event alone never decides;
- keeps a durable record of a failover's intent and of every step it took (``state_file``), and at
  start finishes a failover that the record shows begun and not finished;
- fences a node that takes writes next to the recorded primary (an incident, never a reason to stop);
- with ``rejoin``, re-joins the old primary after a failover (never with force), so the cluster can
  fail over again. The rejoin (tens of seconds: a restart, a rewind) runs in a thread of its own, on a
  failover object of its own, while the loop goes on watching the new primary.

A healthy cluster logs nothing per round."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import threading
import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import Timeline
from ansible_collections.dbops.containers.plugins.module_utils.failover.decisions import (
    CHANGING_STEPS, primary_dead, round_says_dead)
from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import endpoint_unconfirmed


REDISCOVER_EVERY = 30     # rounds between two looks at which node is the primary
WRITABLE_CHECK_EVERY = 5  # rounds between two looks for a second writable node (a login on every node)
REJOIN_FIRST_AFTER = 3    # rounds after a failover before the old primary's first rejoin
REJOIN_EVERY = 30         # rounds between two rejoin attempts; doubled after each refusal...
REJOIN_EVERY_MAX = 960    # ...up to this (about a quarter of an hour at one round a second)
# The Docker events of a node container that wake the loop: the server process died, was killed (kill -9,
# the OOM killer), was frozen (docker pause) or is being stopped.
HINT_ACTIONS = ('die', 'oom', 'kill', 'pause', 'stop')
STREAM_RETRY_MAX = 10     # seconds between two reconnections of a broken event stream, at most


class IntentRecord(object):
    """The watcher's durable record (a JSON file on its state volume): the failover under way, its steps,
    whether it finished, and the old primary's rejoin. Written whole, atomically (a temporary file, fsync,
    rename), so a watcher killed at any moment leaves the previous record or the new one."""

    def __init__(self, path):
        self.path = path

    def read(self):
        """The record, None when there is none; ValueError when it is not JSON."""
        try:
            with open(self.path) as handle:
                text = handle.read()
        except (IOError, OSError):
            return None
        if not text.strip():
            return None
        record = json.loads(text)
        if not isinstance(record, dict):
            raise ValueError('not a JSON object')
        return record

    def write(self, record):
        directory = os.path.dirname(self.path) or '.'
        temporary = os.path.join(directory, '.%s.%d.tmp' % (os.path.basename(self.path), os.getpid()))
        with open(temporary, 'w') as handle:
            handle.write(json.dumps(record, sort_keys=True, default=str))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, self.path)
        # The rename itself is durable once the directory is.
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class EventHint(object):
    """A thread that follows the Docker events of the node containers and calls on_event(name, action).

    open_stream(names, actions) returns an iterable of event dicts (DockerHelper.container_events). When
    the stream breaks it is opened again (after 1, 2, 4... up to STREAM_RETRY_MAX seconds); the loss and
    the return are logged once each, and the watcher probes on its interval meanwhile."""

    def __init__(self, open_stream, names, on_event, log, sleep=time.sleep):
        self.open_stream = open_stream
        self.names = list(names)
        self.on_event = on_event
        self.log = log
        self.sleep = sleep
        self.stopped = False
        self.broken = False
        self.stream = None
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.follow, name='docker-events')
        self.thread.daemon = True      # it blocks on the stream; the watcher's exit ends it
        self.thread.start()
        return self

    def stop(self):
        self.stopped = True
        self.close_stream()

    def close_stream(self):
        """Close the current stream (and with it the Docker client it holds): every reconnection opens a
        new one, and a broken one left open would keep its connection and client for the watcher's life."""
        stream, self.stream = self.stream, None
        close = getattr(stream, 'close', None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 - closing a broken stream
                pass

    def follow(self):
        retry = 1
        while not self.stopped:
            try:
                self.close_stream()
                self.stream = self.open_stream(self.names, HINT_ACTIONS)
                if self.broken:
                    self.log({'event': 'event_stream_back'})
                    self.broken = False
                retry = 1
                for event in self.stream:
                    if self.stopped:
                        return
                    actor = (event.get('Actor') or {}).get('Attributes') or {}
                    self.on_event(actor.get('name') or event.get('from') or '', event.get('Action') or
                                  event.get('status') or '')
                if self.stopped:
                    return
                raise EOFError('the Docker engine ended the event stream')
            except Exception as exc:  # noqa: BLE001 - any break: the probes go on without hints
                self.close_stream()
                if self.stopped:
                    return
                if not self.broken:
                    self.log({'event': 'event_stream_lost', 'error': '%s: %s' % (type(exc).__name__, exc),
                              'retry_s': retry})
                    self.broken = True
                self.sleep(retry)
                retry = min(retry * 2, STREAM_RETRY_MAX)


class ClientStream(object):
    """An event stream and the Docker client it came from: closing it closes both."""

    def __init__(self, stream, client):
        self.stream = stream
        self.client = client

    def __iter__(self):
        return iter(self.stream)

    def close(self):
        for closable in (self.stream, self.client):
            try:
                closable.close()
            except Exception:  # noqa: BLE001 - already broken
                pass


def start_thread(target):
    """Watcher's default spawn: a daemon thread (the watcher's exit ends it)."""
    thread = threading.Thread(target=target, name='rejoin')
    thread.daemon = True
    thread.start()
    return thread


def close_docker_client(failover):
    """Close the Docker client of a failover object made for one job (the rejoin's)."""
    api = getattr(getattr(getattr(failover, 'cluster', None), 'docker', None), 'api', None)
    close = getattr(api, 'close', None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: BLE001 - already closed
            pass


def docker_events(params):
    """open_stream for EventHint: a Docker client of its own per stream (a stream holds its connection),
    closed with the stream."""
    def open_stream(names, actions):
        from ansible_collections.dbops.containers.plugins.module_utils import targets
        helper = targets.docker_helper(params)
        try:
            return ClientStream(helper.container_events(names, actions), helper.api)
        except Exception:
            helper.api.close()
            raise
    return open_stream


class Watcher(object):
    """db_failover as a long-running process: a probe round every probe_interval (at once, back to back,
    after a Docker event of the primary), a failover when ``probes`` consecutive rounds find the primary
    dead. ``log(event_dict)`` receives every event.

    sleep: for tests, called instead of waiting for the next round (a Docker event then wakes nothing).
    events: open_stream for EventHint (see docker_events), or None for no event hint.
    spawn: runs a callable in the background and returns what has is_alive() (a thread by default; tests
    may run it at once)."""

    def __init__(self, params, log, clock=time.time, sleep=None, events=None, spawn=None):
        self.params = params
        self.log = log
        self.clock, self.sleep = clock, sleep
        self.events = events
        self.spawn = spawn or start_thread
        self.make_failover = None
        self.lock = threading.Lock()    # the record and the rejoin's state: the loop and the rejoin thread
        self.rejoin_thread = None
        self.deferred = None        # the rejoin a failover waits for (logged once)
        self.hint = threading.Event()
        self.hint_thread = None
        self.confirming = False     # a Docker event woke the loop: rounds back to back until decided
        self.paced = False          # the last round was Docker's word that the primary is paused
        self.hinted = None          # the event that did, for the log
        self.rounds = []
        self.round_s = []           # how long the last rounds' probes took (in the primary_dead event)
        self.primary = None
        self.announced = None       # the primary the last 'watching' event named
        # (primary name, the driver's synchronous_seen): what the controller's probe last learnt of that primary's
        # commits. Kept here because a round that ends in an error (a refused failover) replaces the failover
        # object and its driver: the next attempt must still know the primary was last seen asynchronous.
        self.seen = (None, None)
        self.failovers = 0
        self.ticks = 0
        self.partial = []           # the observers that did not reach the primary in the last round
        self.record = IntentRecord(params['state_file']) if params.get('state_file') else None
        self.intent = None          # the record as last written (or read at start)
        self.record_error = None
        self.rejoin_due = None      # round at which the old primary's next rejoin is tried
        self.rejoin_every = REJOIN_EVERY
        self.rejoin_refused = None  # the last refusal's reason (logged once)

    # ---------------------------------------------------------------- the loop
    def run(self, make_failover, rounds=None):
        """Probe forever (or ``rounds`` times). Errors are logged and the loop goes on."""
        interval = self.params.get('probe_interval') or 1
        self.make_failover = make_failover
        self.read_record()
        if self.events is not None and self.hint_thread is None:
            names = [entry['name'] for entry in self.params.get('nodes') or []]
            self.hint_thread = EventHint(self.events, names, self.on_docker_event, self.log).start()
        done = 0
        failover = None
        while rounds is None or done < rounds:
            started = self.clock()
            self.paced = False
            try:
                if failover is None:
                    failover = make_failover()
                    self.resume(failover)
                self.step(failover)
            except DbopsError as exc:
                self.log({'event': 'error', 'parameter': exc.parameter, 'error': str(exc)})
                failover, self.primary, self.rounds, self.confirming = None, None, [], False
            except Exception as exc:  # noqa: BLE001 - a watcher must not die on one bad round
                self.log({'event': 'error', 'error': '%s: %s' % (type(exc).__name__, exc)})
                failover, self.primary, self.rounds, self.confirming = None, None, [], False
            done += 1
            if rounds is not None and done >= rounds:
                break
            spacing = interval
            if self.paced:
                # Docker reports the primary paused: that round asked nobody. The next comes when asking would
                # have ended (probe_timeout), so a pause must last about probes x probe_timeout to be failed over.
                spacing = max(interval, self.params.get('probe_timeout') or 1)
            elif self.confirming:
                continue            # the primary looked dead after an event: confirm now, not in a second
            if self.wait(max(0.0, spacing - (self.clock() - started))):
                self.hint.clear()
                self.confirming = True

    def wait(self, seconds):
        """Until the next round; True when a Docker event of the primary cut the wait short."""
        if self.sleep is not None:
            self.sleep(seconds)
            return self.hint.is_set()
        return self.hint.wait(seconds)

    def on_docker_event(self, name, action):
        """From the event thread: an event of the primary's container (or of any node while the primary
        is not known) wakes the loop. The others (a replica restarted, the watcher's own fencing of the
        old primary after a failover) do not."""
        primary = self.primary
        if primary is None or primary.name == name:
            self.hinted = {'node': name, 'action': action, 'at': self.clock()}
            self.hint.set()

    def step(self, failover):
        """One probe round; returns the failover result when one happened."""
        # Every node, every round: a node started, stopped or rejoined since is seen as it is now.
        for node in failover.cluster.nodes:
            failover.cluster.refresh(node)
        self.ticks += 1
        rediscovered = self.learn_primary(failover)
        self.carry_seen(failover)
        observed = self.clock()
        views = failover.observe(self.primary, interrupted=self.hint.is_set)
        self.seen = (self.primary.name, getattr(failover.driver, 'synchronous_seen', None))
        if views is None:
            # A Docker event of the primary arrived while the round waited for its probes: that round is not
            # counted, and the next one starts now (it sees the container as Docker reports it now).
            self.hint.clear()
            self.confirming = True
            return None
        self.round_s = (self.round_s + [round(self.clock() - observed, 3)])[-(self.params.get('probes') or 3):]
        dead_now = round_says_dead(views)
        if rediscovered and not dead_now:
            # A watcher that died in the middle of a failover (or a play stopped there) left the
            # endpoint or a replica on the fenced node: finish it before watching on.
            repaired = failover.repair(self.primary, endpoint_unconfirmed=endpoint_unconfirmed(self.intent))
            if repaired:
                self.log({'event': 'repaired', 'primary': self.primary.name, 'repaired': repaired})
            if self.intent and not self.intent.get('finished') and self.intent.get('steps'):
                self.finish_record(outcome='repaired', new_primary=self.primary.name)
        self.rounds = (self.rounds + [views])[-(self.params.get('probes') or 3):]
        self.paced = 'paused' in views
        if dead_now and 'docker' in views:
            # Docker itself reports the container stopped (a round that asks nobody and costs nothing): the
            # confirmation rounds run back to back, as after its event (a lost event stream, or a watcher
            # started after the kill, must not cost probe_interval per round).
            self.confirming = True
        if not primary_dead(self.rounds, self.params.get('probes') or 3):
            if not dead_now:
                self.confirming = False
                self.report_view(views)
                self.housekeeping(failover)
            return None
        if self.rejoining():
            # The rejoin may still be changing a node the failover would promote (a CHANGE MASTER after the
            # promotion would make the new primary a replica of the dead one): the failover waits for it to end,
            # the rounds go on at their interval, and the first round after it decides (with the last ones).
            rejoined = (self.intent or {}).get('old_primary')
            if self.deferred != rejoined:
                self.log({'event': 'failover_deferred', 'primary': self.primary.name, 'rejoin_running': rejoined})
                self.deferred = rejoined
            self.rounds, self.confirming = self.rounds[:-1], False
            return None
        self.deferred = None
        return self.fail_over(failover)

    def carry_seen(self, failover):
        """A new failover object (after an error) starts with a driver that has not probed anyone: it inherits
        what was last seen of the same primary. Of another primary, nothing."""
        name, seen = self.seen
        driver = failover.driver
        if seen is not None and self.primary is not None and name == self.primary.name \
                and getattr(driver, 'synchronous_seen', None) is None:
            driver.synchronous_seen = seen

    def learn_primary(self, failover):
        """Re-learn the primary now and then (a switchover done by someone else moves it); True when it was."""
        if self.primary is not None and self.ticks % REDISCOVER_EVERY != 0:
            return False
        previous = self.primary
        try:
            self.primary = failover.current_primary()
        except DbopsError:
            if previous is None:
                raise
        if self.primary.name != self.announced:
            # Once per primary: an error that made the loop re-learn it does not announce it again.
            self.log({'event': 'watching', 'primary': self.primary.name})
            self.announced = self.primary.name
        return True

    def report_view(self, views):
        """A change of which observers do not reach the (live) primary is logged once, not every round."""
        missing = sorted(name for name, alive in views.items() if alive is False)
        if missing == self.partial:
            return
        if missing:
            self.log({'event': 'partial_view', 'primary': self.primary.name, 'views': views})
        else:
            self.log({'event': 'full_view', 'primary': self.primary.name})
        self.partial = missing

    def fail_over(self, failover):
        health = {'primary': self.primary.name, 'primary_dead': True, 'rounds': list(self.rounds)}
        event = {'event': 'primary_dead', 'primary': self.primary.name, 'rounds': len(self.rounds),
                 'views': self.rounds[-1], 'round_s': list(self.round_s)}
        if self.confirming and self.hinted:
            event['docker_event'] = self.hinted['action']
            event['since_docker_event_s'] = round(self.clock() - self.hinted['at'], 3)
        self.log(event)
        self.intent = {'kind': 'failover', 'old_primary': self.primary.name, 'candidate': None,
                       'started': round(self.clock(), 3), 'steps': [], 'finished': False}
        failover.timeline = Timeline(on_mark=self.on_step)
        try:
            result = failover.failover(self.primary, health)
        except Exception as exc:
            if not [s for s in self.intent['steps'] if s['step'] in CHANGING_STEPS]:
                # Refused before anything changed (no healthy candidate, durability): nothing to resume; the
                # probe rounds decide again.
                self.intent['error'] = str(exc)[:500]
                self.finish_record(outcome='refused')
            raise
        self.failovers += 1
        self.log({'event': 'failover', 'old_primary': result['old_primary'], 'new_primary': result['new_primary'],
                  'timeline': result['timeline']})
        self.primary = failover.cluster.by_name[result['new_primary']]
        self.rounds, self.partial, self.confirming, self.paced = [], [], False, False
        self.hint.clear()           # the fencing of the old primary sent events of its own
        old = result.get('old_primary')
        rejoin = 'pending' if self.params.get('rejoin') and old and old != result['new_primary'] else None
        self.finish_record(outcome='failed_over', new_primary=result['new_primary'], rejoin=rejoin)
        if rejoin:
            self.rejoin_due, self.rejoin_every, self.rejoin_refused = self.ticks + REJOIN_FIRST_AFTER, REJOIN_EVERY, None
        return result

    # ---------------------------------------------------------------- the durable record
    def on_step(self, entry, _timeline):
        """Timeline.on_mark: every step of the failover lands in the record before the next one starts. The
        candidate is known (and recorded) before the first step that changes anything (the fence)."""
        if self.intent is None:
            return
        if entry['event'] == 'candidate_caught_up':
            self.intent['candidate'] = entry.get('candidate')
        elif entry['event'] == 'promoted':
            self.intent['candidate'] = entry.get('node')
        self.intent['steps'].append({'step': entry['event'], 'at': entry['at'], 'time': round(self.clock(), 3)})
        self.save_record()
        # Logged after the record is written: whoever reads the log (an operator, the fault suite) sees a
        # step only once a restarted watcher would see it too.
        # With the step's details (the nodes re-pointed and the seconds each took, the endpoint's old
        # sessions): the timeline the module returns, which holds no secret.
        details = dict((k, v) for k, v in entry.items() if k not in ('event', 'at'))
        self.log(dict(details, event='step', step=entry['event'], at=entry['at']))

    def save_record(self, intent=None):
        if self.record is None:
            return
        try:
            with self.lock:
                self.record.write(intent or self.intent)
            self.record_error = None
        except Exception as exc:  # noqa: BLE001 - a failover must not stop because its record cannot be written
            message = '%s: %s' % (type(exc).__name__, exc)
            if message != self.record_error:
                self.log({'event': 'error', 'parameter': 'state_file', 'error': 'cannot write the failover record '
                          '%s: %s' % (self.record.path, message)})
            self.record_error = message

    def finish_record(self, outcome, new_primary=None, rejoin=None):
        self.intent['finished'] = True
        self.intent['outcome'] = outcome
        self.intent['finished_at'] = round(self.clock(), 3)
        if new_primary:
            self.intent['new_primary'] = new_primary
        if rejoin:
            self.intent['rejoin'] = rejoin
        self.save_record()

    def read_record(self):
        if self.record is None or self.intent is not None:
            return
        try:
            self.intent = self.record.read()
        except ValueError as exc:
            self.log({'event': 'error', 'parameter': 'state_file',
                      'error': 'the failover record %s is not JSON (%s): ignored' % (self.record.path, exc)})
            return
        if self.intent and self.intent.get('finished') and self.intent.get('rejoin') in ('pending', 'refused'):
            self.rejoin_due = REJOIN_FIRST_AFTER

    def resume(self, failover):
        """A failover the record shows begun and not finished (the watcher was killed, or a step failed):
        repair it from what the cluster shows. The recorded candidate is the primary when it takes writes;
        otherwise the loop re-learns the primary and repairs, or fails over again, from what it finds."""
        record = self.intent
        if not record or record.get('finished') or record.get('kind') != 'failover':
            return
        changed = [s['step'] for s in record.get('steps') or [] if s.get('step') in CHANGING_STEPS]
        self.log({'event': 'resuming', 'old_primary': record.get('old_primary'), 'candidate': record.get('candidate'),
                  'steps': [s.get('step') for s in record.get('steps') or []]})
        if not changed:
            # Refused or stopped before the fence: nothing to finish, the probe rounds decide again.
            self.finish_record(outcome='nothing_changed')
            return
        candidate = failover.cluster.by_name.get(record.get('candidate') or '')
        role = failover.driver.role_of(candidate, failover.params.get('probe_timeout') or 1) if candidate else None
        if (role == 'read_only' and 'fenced' in changed and 'promoted' not in changed
                and candidate.name != record.get('old_primary')):
            # Killed inside the promotion: the candidate no longer follows anyone and does not take writes yet.
            failover.finish_promotion(candidate)
            self.log({'event': 'promotion_finished', 'node': candidate.name})
            role = 'writable'
        if role != 'writable':
            self.primary = None     # re-learnt at the next round, then repaired (or failed over again)
            return
        self.primary = candidate
        repaired = failover.repair(candidate, endpoint_unconfirmed=endpoint_unconfirmed(record))
        self.log({'event': 'repaired', 'primary': candidate.name, 'repaired': repaired, 'resumed': True})
        old = record.get('old_primary')
        rejoin = 'pending' if self.params.get('rejoin') and old and old != candidate.name else None
        self.finish_record(outcome='resumed', new_primary=candidate.name, rejoin=rejoin)
        if rejoin:
            self.rejoin_due, self.rejoin_every, self.rejoin_refused = self.ticks + REJOIN_FIRST_AFTER, REJOIN_EVERY, None

    # ---------------------------------------------------------------- while the primary lives
    def housekeeping(self, failover):
        """What a round that found the primary alive also does, now and then (never while confirming)."""
        if self.ticks % WRITABLE_CHECK_EVERY == 0:
            self.fence_second_writable(failover)
        if self.rejoin_due is not None and self.ticks >= self.rejoin_due and not self.rejoining():
            self.start_rejoin(failover)

    def rejoining(self):
        """Is the old primary's rejoin under way (its thread alive)?"""
        return self.rejoin_thread is not None and self.rejoin_thread.is_alive()

    def start_rejoin(self, failover):
        """The old primary's rejoin, in the background: it restarts and rewinds a server (tens of seconds),
        and meanwhile the loop watches the new primary. It runs on a failover object of its own (its own
        cluster view and Docker client): the loop's is the loop's."""
        name = (self.intent or {}).get('old_primary')
        node = failover.cluster.by_name.get(name or '')
        if node is None or node is self.primary:
            self.rejoin_due = None
            return
        self.rejoin_due = None      # set again by a refusal (later), cleared for good by a rejoin
        intent = self.intent
        make = self.make_failover or (lambda: failover)

        def rejoin():
            try:
                rejoiner = make()
            except Exception as exc:  # noqa: BLE001 - cannot even look: a refusal, tried again later
                self.rejoin_refused_now(name, intent, exc)
                return
            try:
                self.rejoin_old_primary(rejoiner, name, intent)
            finally:
                if rejoiner is not failover:
                    close_docker_client(rejoiner)
        self.rejoin_thread = self.spawn(rejoin)

    def rejoin_old_primary(self, failover, name, intent):
        """The old primary of the last failover, re-joined as a replica of the current one (never with force:
        a node holding transactions its new primary lacks is refused, logged once, and tried again later).
        ``intent``: the record of the failover it follows; a newer failover in the meantime owns the record."""
        failover.timeline = Timeline()          # not the failover's: its record is finished
        forced = failover.params.get('force')
        failover.params['force'] = False
        try:
            if hasattr(failover, 'rejoin_node'):
                result = failover.rejoin_node(name)
            else:
                failover.params['node'] = name
                try:
                    result = failover.rejoin()
                finally:
                    failover.params.pop('node', None)
        except Exception as exc:  # noqa: BLE001 - a refusal or a failure: logged once, tried again later
            self.rejoin_refused_now(name, intent, exc)
            return
        finally:
            if forced is None:
                failover.params.pop('force', None)
            else:
                failover.params['force'] = forced
        event = {'event': 'rejoined', 'node': name, 'primary': (result or {}).get('primary'),
                 'changed': (result or {}).get('changed'), 'reseeded': (result or {}).get('reseeded')}
        if (result or {}).get('kept_data_volume'):
            # Its diverged data, copied aside before the rewind: for a person to look at, then remove.
            event['kept_data_volume'] = result['kept_data_volume']
        self.log(event)
        if intent is self.intent:
            self.rejoin_due = None
            intent['rejoin'] = 'done'
            self.save_record(intent)

    def rejoin_refused_now(self, name, intent, exc):
        reason = str(exc) if isinstance(exc, DbopsError) else '%s: %s' % (type(exc).__name__, exc)
        if reason != self.rejoin_refused:
            self.log({'event': 'rejoin_refused', 'node': name, 'reason': reason,
                      'retry_in_rounds': self.rejoin_every})
            self.rejoin_refused = reason
        if intent is not self.intent:
            return              # a failover since: its own rejoin (if any) is scheduled afresh
        self.rejoin_due = self.ticks + self.rejoin_every
        self.rejoin_every = min(self.rejoin_every * 2, REJOIN_EVERY_MAX)
        if intent.get('rejoin') != 'refused':
            intent['rejoin'] = 'refused'
            self.save_record(intent)

    def fence_second_writable(self, failover):
        """A node other than the recorded primary that takes writes and follows nobody is an incident: it is
        fenced, unless the replicas follow it (then the recorded primary is what is out of date: re-learnt)."""
        for node in failover.cluster.nodes:
            if node is self.primary or failover.driver.role_of(
                    node, failover.params.get('probe_timeout') or 1) != 'writable':
                continue
            incident = {'event': 'incident', 'incident': 'two_writable_nodes', 'primary': self.primary.name,
                        'node': node.name}
            try:
                followed = failover.driver.discover_primary()
            except Exception:  # noqa: BLE001 - undecided: the recorded primary stands
                followed = None
            if followed is node:
                incident['action'] = 'primary re-learnt: the replicas follow %s' % node.name
                self.log(incident)
                self.primary = None
                return
            try:
                failover.driver.fence(node)
                incident['action'] = 'fenced'
            except Exception as exc:  # noqa: BLE001 - logged; the watcher acts on
                incident['action'] = 'fence failed'
                incident['error'] = '%s: %s' % (type(exc).__name__, exc)
            self.log(incident)
