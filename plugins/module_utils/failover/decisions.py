# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover's pure decisions: when a primary is dead, which replica replaces it.

A primary is declared dead when, over ``probes`` consecutive rounds, a strict majority of the
observers that could be asked say they cannot reach it, at least two of them, the controller
among them. The observers are the controller (the process that decides: the watcher, or the
module's host, standing where the clients' endpoint stands; a SQL round trip) and every replica
(the server's answer to a connection from inside the replica's container, i.e. from where
replication runs). So one replica that loses the primary is a partition, not a dead primary (it is
outvoted); a primary cut off from the controller and from most replicas is replaced even while
one replica still sees it (that replica alone no longer vetoes: a cut-off primary stalls every
client behind the endpoint). The controller must be among the dead votes: replicas that lose the
primary while the controller still reaches it are a replication problem, not a failover.

"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# Timeline steps that changed something: an error after one of them reports them.
CHANGING_STEPS = ('frozen', 'fenced', 'promoted', 'repointed', 'endpoint_moved', 'old_primary_follows')


def primary_dead(rounds, probes):
    """True when the last ``probes`` rounds all say dead (round_says_dead).

    A round is {observer: True (reaches the primary), False (does not), None (could
    not be asked)}; the controller's key is ``'controller'``.
    """
    if probes < 1 or len(rounds) < probes:
        return False
    return all(round_says_dead(one) for one in rounds[-probes:])


def round_says_dead(views):
    """One round's verdict: more than half of the observers that answered say the primary is unreachable,
    at least two of them, and the controller is one of them.

    2 observers answered: both must say unreachable; 3: two (the controller and one replica); 4: three.
    An observer that could not be asked (None) is not counted either way.
    """
    answered = [alive for alive in views.values() if alive is not None]
    unreachable = sum(1 for alive in answered if alive is False)
    return views.get('controller') is False and unreachable >= 2 and 2 * unreachable > len(answered)


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


def describe_round(views):
    return ', '.join(_describe_view(name, v) for name, v in sorted(views.items()))


def _describe_view(name, alive):
    if name == 'docker':
        # Not an observer on the network: the Docker engine's own state of the container.
        return 'Docker reports its container %s' % ('running' if alive else 'stopped')
    if name == 'paused':
        return 'Docker reports its container %s' % ('running' if alive else 'paused (frozen)')
    return '%s %s' % (name, {True: 'reaches it', False: 'does not reach it', None: 'cannot be asked'}[alive])


def restart_unproven(restart):
    """Why a replica may lack commits it acknowledged before a restart, else None. ``restart``: its driver's
    {'connected_since_start': bool} (engines whose restart discards the relay log only). Such a replica fetches
    again, first, what the restart discarded as soon as it connects to its source; until it has connected
    since its start, those commits may be on the primary alone. Pure."""
    if not restart or restart.get('connected_since_start', True):
        return None
    return ('has not connected to its source since it last started: a MariaDB replica\'s restart discards the '
            'relay log it had not applied, which may hold commits it acknowledged')
