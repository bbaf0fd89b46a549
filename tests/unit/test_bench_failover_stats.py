# -*- coding: utf-8 -*-
"""The pure logic of bench/bench_failover.py: percentiles, ledger diff, the watcher's log,
RTO and write gaps from the ledger, timeline shares. No Docker and no timing assertions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

import pytest

BENCH = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'bench'))
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import failover_stats as fs  # noqa: E402


def test_percentile_nearest_rank():
    values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]
    assert fs.percentile(values, 0.5) == 5
    assert fs.percentile(values, 0.99) == 10
    assert fs.percentile(values, 0.1) == 1
    assert fs.percentile([3.2], 0.99) == 3.2
    assert fs.percentile([], 0.5) is None
    assert fs.percentile([1, 2, 3], 1.0) == 3
    with pytest.raises(ValueError):
        fs.percentile([1], 0)


def test_median_and_summary():
    assert fs.median([3, 1, 2]) == 2
    assert fs.median([4, 1, 2, 3]) == 2.5
    assert fs.median([]) is None
    assert fs.summarize([1.0, 2.0, None]) == {'p50': 1.0, 'p99': 2.0, 'min': 1.0, 'max': 2.0}
    assert fs.summarize([])['p50'] is None


def test_missing_ids():
    assert fs.missing_ids([1, 2, 3, 4], [1, 3, 4, 5]) == [2]
    assert fs.missing_ids([], [1]) == []
    assert fs.missing_ids([9, 2, 2], []) == [2, 9]


def test_parse_watcher_log():
    lines = [
        json.dumps({'event': 'started', 'ts': '2026-11-24T20:00:00.250Z'}),
        'Traceback (most recent call last):',
        '{not json',
        json.dumps({'event': 'primary_dead', 'primary': 'bfo-db1', 'ts': '2026-11-24T20:00:03.500Z'}),
        json.dumps({'event': 'failover', 'old_primary': 'bfo-db1', 'new_primary': 'bfo-db2',
                    'timeline': [{'event': 'promoted', 'at': 0.4}], 'ts': '2026-11-24T20:00:04.000Z'}),
        json.dumps([1, 2]),
    ]
    events = fs.parse_watcher_log('\n'.join(lines) + '\n')
    assert [e['event'] for e in events] == ['started', 'primary_dead', 'failover']
    assert events[1]['t'] - events[0]['t'] == pytest.approx(3.25)
    assert fs.parse_ts('1970-01-01T00:00:01.5Z') == pytest.approx(1.5)
    assert [e['new_primary'] for e in fs.events_named(events, 'failover', after=events[1]['t'])] == ['bfo-db2']
    assert fs.events_named(events, 'failover', after=events[2]['t'] + 1) == []


def test_first_ack_after_skips_the_old_server():
    acks = [(1, 10.0, 'a'), (2, 10.2, 'a'), (3, 10.3, 'a'), (4, 13.0, 'b'), (5, 13.1, 'b')]
    assert fs.first_ack_after(acks, 10.1, not_server='a') == (13.0, 'b')
    assert fs.first_ack_after(acks, 10.1) == (10.2, 'a')
    assert fs.first_ack_after(acks, 20.0) is None


def test_max_gap_counts_gaps_overlapping_the_window():
    times = [1.0, 1.1, 1.2, 2.0, 2.05, 5.0, 5.1]
    assert fs.max_gap(times, 1.9, 2.1) == pytest.approx(2.95)   # 2.05 -> 5.0 starts in the window
    assert fs.max_gap(times, 1.0, 1.15) == pytest.approx(0.1)
    assert fs.max_gap([], 0, 1) == 0.0


def test_max_gap_counts_writes_that_never_came_back():
    times = [1.0, 1.1, 1.2]                       # the client hung after 1.2 and the window ended at 3
    assert fs.max_gap(times, 1.15, 3.0) == pytest.approx(0.1)
    assert fs.max_gap(times, 1.15, 3.0, stopped=4.5) == pytest.approx(3.3)
    assert fs.max_gap([], 1.0, 3.0, stopped=4.5) == pytest.approx(3.5)
    assert fs.max_gap(times + [3.2], 1.15, 3.0, stopped=4.5) == pytest.approx(2.0)   # back after the window


def test_timeline_shares():
    timeline = [{'event': 'checked', 'at': 0.0}, {'event': 'promoted', 'at': 0.5},
                {'event': 'endpoint_moved', 'at': 0.8}]
    shares = fs.timeline_shares(100.0, 104.0, 102.5, timeline)
    assert shares == {'rto_s': 4.0, 'detection_s': 2.5, 'promotion_s': 0.5, 'endpoint_s': 0.3, 'client_s': 0.7}
    assert fs.timeline_shares(100.0, 101.0, None, timeline) == {'rto_s': 1.0}


def test_select_engines_defaults_to_all_newest_first_order():
    assert fs.select_engines(None) == ['mysql', 'mariadb', 'postgres']
    assert fs.select_engines('  ') == ['mysql', 'mariadb', 'postgres']
    assert fs.select_engines('postgres, MySQL,postgres') == ['postgres', 'mysql']
    assert fs.select_engines('mariadb') == ['mariadb']


def test_select_engines_refuses_unknown_names_naming_the_variable():
    with pytest.raises(ValueError, match='ENGINES.*mongodb'):
        fs.select_engines('mysql,mongodb')
    with pytest.raises(ValueError, match='ENGINES'):
        fs.select_engines(',,')


def test_engine_images_defaults_are_the_newest_versions_and_overrides_win():
    assert fs.engine_images(['mysql', 'mariadb', 'postgres'], {}) == {
        'mysql': 'localhost/dbops/mysql:9.7', 'mariadb': 'localhost/dbops/mariadb:11.8',
        'postgres': 'localhost/dbops/postgres:18'}
    images = fs.engine_images(['mariadb', 'postgres'], {'MARIADB_IMAGE': 'localhost/dbops/mariadb:10.11',
                                                        'POSTGRES_IMAGE': '', 'MYSQL_IMAGE': 'ignored:1'})
    assert images == {'mariadb': 'localhost/dbops/mariadb:10.11', 'postgres': 'localhost/dbops/postgres:18'}
    with pytest.raises(ValueError, match='POSTGRES_IMAGE'):
        fs.engine_images(['postgres'], {'POSTGRES_IMAGE': 'localhost:5000/dbops/postgres'})
    # a registry port is not a tag; a tag after it is
    assert fs.engine_images(['postgres'], {'POSTGRES_IMAGE': 'localhost:5000/pg:17'})['postgres'] == 'localhost:5000/pg:17'


def test_engine_label_reads_the_version_from_the_tag():
    assert fs.engine_label('mysql', 'localhost/dbops/mysql:9.7') == 'MySQL 9.7'
    assert fs.engine_label('postgres', 'localhost:5000/pg:17') == 'PostgreSQL 17'
    assert fs.engine_label('mariadb', 'mariadb') == 'MariaDB'


def test_worst_and_goals_met():
    assert fs.worst([0.6, None, 0.9]) == 0.9
    assert fs.worst([None]) is None
    met = fs.goals_met({'rto_p50_s': 3.8, 'rto_p99_s': 10.5, 'acked_lost': 0, 'switchover_pause_s': None})
    assert met == {'rto_p50_s': True, 'rto_p99_s': False, 'acked_lost': True, 'switchover_pause_s': None}
    assert fs.goals_met({'acked_lost': 1})['acked_lost'] is False
