# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GTIDs of both flavors: MySQL's uuid:interval sets and MariaDB's domain-server-sequence lists.

Every GTID text the servers print is parsed here (replication, failover and the flavors use it).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def _items(text):
    """The comma-separated entries of a GTID text; the server wraps long ones over lines."""
    for item in (text or '').replace('\n', '').split(','):
        item = item.strip()
        if item:
            yield item


# --- MariaDB: domain-server_id-sequence, one entry per domain (or per domain and server) ------------------

def parse_mariadb_gtids(text):
    """'0-1-100,1-2-5' -> {domain: (server_id, seq_no)} (MariaDB keeps one position per domain)."""
    positions = {}
    for item in _items(text):
        parts = item.split('-')
        if len(parts) != 3:
            raise ValueError('not a MariaDB GTID: %r' % item)
        domain, server, seq = (int(part) for part in parts)
        positions[domain] = (server, seq)
    return positions


def parse_mariadb_gtid_state(text):
    """gtid_binlog_state '0-1-100,0-4-7' -> {(domain, server_id): seq_no} (one entry per pair)."""
    state = {}
    for item in _items(text):
        domain, server, seq = (int(part) for part in item.split('-'))
        state[(domain, server)] = max(seq, state.get((domain, server), 0))
    return state


def mariadb_position(gtid_list):
    """A comparable position from a MariaDB GTID list: the sum of sequence numbers over domains.

    Every replica of one primary moves forward in the same domains, so the sum orders them."""
    total = 0
    for item in _items(gtid_list):
        total += int(item.split('-')[2])
    return total


def mariadb_seed_problem(replica_pos, source_state):
    """Why a MariaDB replica cannot start from its data as it is: (kind, text), or None.

    ``replica_pos``: the replica's gtid_current_pos (its last GTID per domain);
    ``source_state``: the source's gtid_binlog_state (the last GTID of every
    domain and server_id pair in its binary logs). The replica's last GTID must be
    in the source's history: same domain and server_id, a sequence number the
    source reached. Otherwise the replica holds transactions the source never had
    (errant), which gtid_strict_mode stops on (MariaDB KB, "GTID", strict mode).
    """
    replica, source = parse_mariadb_gtids(replica_pos), parse_mariadb_gtid_state(source_state)
    errant = sorted('%d-%d-%d' % (domain, server, seq) for domain, (server, seq) in replica.items()
                    if seq > source.get((domain, server), 0))
    if errant:
        return ('errant', 'the replica has transactions its source does not have (%s): it was written to '
                          'directly or belongs to another cluster' % ', '.join(errant))
    return None


# --- MySQL: uuid[:tag]:interval[:interval...] per source ------------------------------------------------

def mysql_gtid_intervals(text):
    """'uuid:1-5:7,uuid2:1-3' -> {uuid: set of transaction numbers as (start, end) intervals}."""
    result = {}
    for item in _items(text):
        uuid, _sep, ranges = item.partition(':')
        source = uuid
        for part in ranges.split(':'):
            if not part or not part[0].isdigit():
                source = '%s:%s' % (uuid, part)      # a tagged GTID (8.3+): uuid:tag:ranges
                continue
            start, _dash, end = part.partition('-')
            result.setdefault(source.lower(), []).append((int(start), int(end or start)))
    return result


def mysql_gtid_count(*sets):
    """How many distinct transactions the union of GTID sets holds (a comparable position)."""
    merged = {}
    for text in sets:
        for source, intervals in mysql_gtid_intervals(text).items():
            merged.setdefault(source, []).extend(intervals)
    total = 0
    for intervals in merged.values():
        last = 0
        for start, end in sorted(intervals):
            start = max(start, last + 1)
            if end >= start:
                total += end - start + 1
                last = end
    return total


def mysql_seed_problem(subset_of_source):
    """The same for MySQL, from the server's own GTID arithmetic:
    ``subset_of_source`` = GTID_SUBSET(replica gtid_executed, source gtid_executed)."""
    if not subset_of_source:
        return ('errant', 'the replica has transactions its source does not have: it was written to directly '
                          'or belongs to another cluster')
    return None
