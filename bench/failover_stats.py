# -*- coding: utf-8 -*-
"""The pure arithmetic of bench/bench_failover.py: percentiles, the ledger diff, the
watcher's log, RTO from the acknowledged writes, the longest write gap, the timeline
shares. No Docker, no clock: tests/unit/test_bench_failover_stats.py checks it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import json
import math
import time


def percentile(values, fraction):
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values at or below
    it (ceil(fraction * n)-th smallest). p50 of 10 values is the 5th, p99 the 10th (the maximum)."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 < fraction <= 1:
        raise ValueError('fraction must be in (0, 1]')
    rank = max(1, int(math.ceil(round(fraction * len(ordered), 9))))
    return ordered[rank - 1]


def missing_ids(acked, present):
    """Acknowledged ids that are not on the server, sorted."""
    return sorted(set(acked) - set(present))


def parse_ts(text):
    """The watcher's '2026-11-24T20:04:05.123Z' -> seconds since the epoch (UTC)."""
    main, _dot, rest = text.rstrip('Z').partition('.')
    seconds = calendar.timegm(time.strptime(main, '%Y-%m-%dT%H:%M:%S'))
    return seconds + (float('0.' + rest) if rest else 0.0)


def parse_watcher_log(text):
    """docker logs of the watcher (one JSON object per line) -> [event dict with 't' in epoch seconds].
    Lines that are not JSON objects (a traceback, docker's own noise) are skipped."""
    events = []
    for line in (text or '').splitlines():
        line = line.strip()
        if not line.startswith('{'):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or 'event' not in event:
            continue
        if event.get('ts'):
            try:
                event['t'] = parse_ts(event['ts'])
            except ValueError:
                event['t'] = None
        events.append(event)
    return events


def events_named(events, name, after=None):
    return [e for e in events if e.get('event') == name and (after is None or (e.get('t') or 0) >= after)]


def first_ack_after(acks, after, not_server=None):
    """The first acknowledged write (ack time, server) after ``after`` from a server other than
    ``not_server``; acks: [(id, ack_time, server)] in order. None when there is none."""
    for _id, at, server in acks:
        if at > after and (not_server is None or server != not_server):
            return at, server
    return None


def max_gap(times, start, end, stopped=None):
    """The longest gap between consecutive acknowledgement times, counting only gaps that overlap
    [start, end] (so a gap that spans the window's beginning is counted whole).

    stopped: when the load client stopped. Writes that never came back are a gap too: from the
    last acknowledgement (or start) to stopped. Without it a client that hung counts as no pause."""
    ordered = sorted(times)
    best = 0.0
    for earlier, later in zip(ordered, ordered[1:]):
        if later >= start and earlier <= end:
            best = max(best, later - earlier)
    if stopped is not None and not [t for t in ordered if t > end]:
        last = max([t for t in ordered if t <= end] or [start])
        best = max(best, stopped - last)
    return best


def timeline_shares(kill_at, first_ack_at, dead_at, failover_timeline):
    """Where the RTO went: detection (kill -> the watcher's primary_dead), promotion (-> promoted),
    endpoint (promoted -> endpoint moved), client (endpoint moved -> first acknowledged write).

    failover_timeline: the watcher's [{event, at}] with ``at`` seconds after primary_dead."""
    marks = dict((e['event'], e['at']) for e in failover_timeline or [] if 'at' in e)
    shares = {'rto_s': round(first_ack_at - kill_at, 3)}
    if dead_at is None:
        return shares
    shares['detection_s'] = round(dead_at - kill_at, 3)
    promoted = marks.get('promoted')
    moved = marks.get('endpoint_moved')
    if promoted is not None:
        shares['promotion_s'] = round(promoted, 3)
    if moved is not None:
        shares['endpoint_s'] = round(moved - (promoted or 0), 3)
        shares['client_s'] = round(first_ack_at - (dead_at + moved), 3)
    return shares


def summarize(values):
    values = [v for v in values if v is not None]
    if not values:
        return {'p50': None, 'p99': None, 'min': None, 'max': None}
    return {'p50': round(percentile(values, 0.5), 3), 'p99': round(percentile(values, 0.99), 3),
            'min': round(min(values), 3), 'max': round(max(values), 3)}


def median(values):
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


# ------------------------------------------------------------------ which engines, which images
# The newest version of each engine the project builds is the default; an older one is a run away
# (MARIADB_IMAGE=localhost/dbops/mariadb:10.11, POSTGRES_IMAGE=localhost/dbops/postgres:15).
DEFAULT_IMAGES = {
    'mysql': 'localhost/dbops/mysql:9.7',
    'mariadb': 'localhost/dbops/mariadb:11.8',
    'postgres': 'localhost/dbops/postgres:18',
}
ENGINE_ORDER = ('mysql', 'mariadb', 'postgres')
IMAGE_VARIABLES = {'mysql': 'MYSQL_IMAGE', 'mariadb': 'MARIADB_IMAGE', 'postgres': 'POSTGRES_IMAGE'}
ENGINE_NAMES = {'mysql': 'MySQL', 'mariadb': 'MariaDB', 'postgres': 'PostgreSQL'}

# The goals of docs/benchmarks.md ("Failover"), for every engine alike.
GOALS = {'rto_p50_s': 5.0, 'rto_p99_s': 10.0, 'acked_lost': 0, 'switchover_pause_s': 1.0}


def select_engines(text):
    """ENGINES ('mysql,mariadb,postgres', spaces and case ignored) -> the engines in the order given,
    each once. Empty or unset: all of them. An unknown name is an error that names ENGINES."""
    if text is None or not text.strip():
        return list(ENGINE_ORDER)
    chosen = []
    for name in text.replace(' ', ',').split(','):
        name = name.strip().lower()
        if not name:
            continue
        if name not in DEFAULT_IMAGES:
            raise ValueError('ENGINES: unknown engine %r (choose from %s)' % (name, ', '.join(ENGINE_ORDER)))
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValueError('ENGINES: no engine named in %r' % text)
    return chosen


def engine_images(engines, environ):
    """The image of each chosen engine: its *_IMAGE variable when set and not empty, else the default."""
    images = {}
    for engine in engines:
        override = (environ.get(IMAGE_VARIABLES[engine]) or '').strip()
        if override and ':' not in override.rsplit('/', 1)[-1]:
            raise ValueError('%s: %r has no tag (the bench runs local images: name:tag)'
                             % (IMAGE_VARIABLES[engine], override))
        images[engine] = override or DEFAULT_IMAGES[engine]
    return images


def engine_label(engine, image):
    """'mysql', 'localhost/dbops/mysql:9.7' -> 'MySQL 9.7' (the tag is the version for the project's images)."""
    tag = image.rsplit('/', 1)[-1].partition(':')[2]
    return ('%s %s' % (ENGINE_NAMES[engine], tag)).strip()


def worst(values):
    """The worst (largest) of the engines' figures, None when no engine has one: a goal holds for
    each engine, so the headline figure is the worst of them."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def goals_met(figures):
    """One engine's figures -> {goal: True/False/None}; None when the figure was not measured (no
    trials, no switchovers): an unmeasured goal is neither met nor missed."""
    met = {}
    for key, limit in GOALS.items():
        value = figures.get(key)
        met[key] = None if value is None else value <= limit
    return met
