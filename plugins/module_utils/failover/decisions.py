# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover's pure decisions: when a primary is dead, which replica replaces it.

A primary is declared dead only when every observer that can be asked agrees,
over ``probes`` consecutive rounds: the controller (this process, a SQL round
trip) and every replica (a TCP connect to the primary from inside the replica's
container, i.e. from where replication runs). One observer that cannot reach the
primary is a network partition, not a dead primary: no failover."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Timeline steps that changed something: an error after one of them reports them.
CHANGING_STEPS = ('frozen', 'fenced', 'promoted', 'repointed', 'endpoint_moved', 'old_primary_follows')


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


def describe_round(views):
    return ', '.join('%s %s' % (name, {True: 'reaches it', False: 'does not reach it', None: 'cannot be asked'}[v])
                     for name, v in sorted(views.items()))
