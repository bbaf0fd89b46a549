# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tuning rules, kept as data: the rule, the resources, the evaluation (each engine's table is in
engines/<engine>/tuning.py).

Each rule names a setting, a formula over the container's resources, and the
source of that formula. A formula sees the resources and the values derived so
far (rules are evaluated in table order) and returns a value, or None to leave
the engine's default alone. Values are plain Python: sizes are bytes and are
formatted by the engine adapter (``kind == SIZE``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
from collections import namedtuple


SIZE, NUMBER, TEXT = 'size', 'number', 'text'

PROFILES = ('oltp', 'web', 'dw', 'mixed')

Rule = namedtuple('Rule', 'setting kind formula source')


class Resources(object):
    """What the formulas are computed from."""

    def __init__(self, memory, cpus, profile, version):
        self.memory = memory            # bytes: the container's memory limit
        self.cpus = float(cpus)         # CPUs the container may use
        self.profile = profile          # one of PROFILES
        self.version = version          # engine version tuple

    @property
    def whole_cpus(self):
        return max(1, int(math.floor(self.cpus)))


def derive(rules, resources):
    """Evaluate a rule table: {setting: value} in table order, None results left out."""
    derived = {}
    for rule in rules:
        value = rule.formula(resources, derived)
        if value is not None:
            derived[rule.setting] = value
    return derived


def kinds(rules):
    return dict((rule.setting, rule.kind) for rule in rules)


def clamp(value, low, high):
    return max(low, min(high, value))


def by_profile(r, table):
    return table[r.profile]


def constant(value):
    return lambda r, d: value
