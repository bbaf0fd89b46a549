# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL WAL positions (LSNs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def parse_lsn(text):
    """PostgreSQL 'X/Y' -> int."""
    high, _sep, low = (text or '0/0').partition('/')
    return (int(high, 16) << 32) + int(low or '0', 16)
