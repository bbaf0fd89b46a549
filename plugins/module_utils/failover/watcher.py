# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover as a long-running process (the failover_watcher role runs it in a container)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import Timeline
from ansible_collections.dbops.containers.plugins.module_utils.failover.decisions import primary_dead, round_says_dead


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
            rediscovered = True
        else:
            rediscovered = False
        views = failover.observe(self.primary)
        if rediscovered and not round_says_dead(views):
            # A watcher that died in the middle of a failover (or a play stopped there) left the
            # endpoint or a replica on the fenced node: finish it before watching on.
            repaired = failover.repair(self.primary)
            if repaired:
                self.log({'event': 'repaired', 'primary': self.primary.name, 'repaired': repaired})
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
