# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GTIDs of both flavors: MySQL's uuid:interval sets and MariaDB's domain-server-sequence lists."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def mariadb_position(gtid_list):
    """A comparable position from a MariaDB GTID list: the sum of sequence numbers over domains.

    Every replica of one primary moves forward in the same domains, so the sum orders them."""
    total = 0
    for item in (gtid_list or '').replace('\n', '').split(','):
        item = item.strip()
        if item:
            total += int(item.split('-')[2])
    return total
