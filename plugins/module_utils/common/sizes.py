# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory sizes: parse what users write ("4g", "512M", "2GiB") and format for each engine."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
TIB = 1024 * GIB

# Binary units throughout: Docker, MySQL and PostgreSQL all read "1G" as 1024^3.
_UNITS = {
    '': 1, 'b': 1,
    'k': KIB, 'kb': KIB, 'kib': KIB,
    'm': MIB, 'mb': MIB, 'mib': MIB,
    'g': GIB, 'gb': GIB, 'gib': GIB,
    't': TIB, 'tb': TIB, 'tib': TIB,
}
_SIZE_RE = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$')


def parse_size(value, parameter):
    """Return ``value`` in bytes; raise DbopsError naming ``parameter`` otherwise."""
    if isinstance(value, bool):
        raise DbopsError("expected a size such as 4g, 512M or 2GiB, got %r" % (value,), parameter)
    if isinstance(value, int):
        number, unit = value, ''
    else:
        match = _SIZE_RE.match(str(value))
        if not match or match.group(2).lower() not in _UNITS:
            raise DbopsError("%r is not a size: write a number with an optional unit "
                             "(k, m, g, t; KiB, MiB, GiB), e.g. 4g, 512M or 2GiB" % (value,), parameter)
        number, unit = float(match.group(1)), match.group(2)
    size = int(number * _UNITS[unit.lower()])
    if size <= 0:
        raise DbopsError("%r must be greater than zero" % (value,), parameter)
    return size


def _largest_exact_unit(size, units):
    for suffix, factor in units:
        if size % factor == 0:
            return '%d%s' % (size // factor, suffix)
    return str(size)


def to_mysql(size):
    """MySQL/MariaDB option syntax: 2G, 256M, 64K or plain bytes."""
    return _largest_exact_unit(size, (('G', GIB), ('M', MIB), ('K', KIB)))


def to_postgres(size):
    """PostgreSQL memory units (base 1024): 1GB, 256MB, 4096kB.

    kB is PostgreSQL's smallest memory unit: a size that is not a whole number
    of kB is rounded down to one (never written bare, which PostgreSQL would
    read in the setting's own unit).
    """
    if size % KIB:
        return '%dkB' % max(1, size // KIB)
    return _largest_exact_unit(size, (('GB', GIB), ('MB', MIB), ('kB', KIB)))


def to_docker(size):
    """Docker CLI style, as users write it: 4g, 512m."""
    return _largest_exact_unit(size, (('g', GIB), ('m', MIB), ('k', KIB))).lower()


def round_down(size, multiple):
    """Largest multiple of ``multiple`` not above ``size`` (at least one multiple)."""
    return max(multiple, (size // multiple) * multiple)


def parse_engine_size(value):
    """Bytes of a size as MySQL or PostgreSQL print it (``2G``, ``128MB``, ``8kB``, ``1048576``).

    Used to compare settings with what a server reports.
    """
    text = str(value).strip()
    match = re.match(r'^(\d+)\s*([kKmMgGtT]?)[bB]?$', text)
    if not match:
        raise ValueError('not a size: %r' % (value,))
    return int(match.group(1)) * _UNITS[match.group(2).lower()]
