# -*- coding: utf-8 -*-
"""The pure logic of bench/bench_faults.py: which faults run, seconds with two writable nodes, the
ledger split into plain and warned losses, one fault's summary. No Docker and no timing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

BENCH = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'bench'))
if BENCH not in sys.path:
    sys.path.insert(0, BENCH)

import faults_stats as fst  # noqa: E402


def test_select_faults_keeps_the_suite_order_and_refuses_unknown_names():
    assert fst.select_faults(None) == list(fst.FAULT_ORDER)
    assert fst.select_faults('  ', quick=True) == list(fst.QUICK_FAULTS)
    assert fst.select_faults('partition_replica, KILL9 kill9') == ['kill9', 'partition_replica']
    with pytest.raises(ValueError, match='FAULTS: unknown fault .kill_9.'):
        fst.select_faults('kill_9')
    with pytest.raises(ValueError, match='FAULTS: no fault'):
        fst.select_faults(',,')


def test_faults_that_need_a_third_node():
    assert not fst.applicable('double_fault', 2)
    assert not fst.applicable('partition_asymmetric', 2)
    assert fst.applicable('double_fault', 3)
    assert fst.applicable('kill9', 2)


def test_two_writable_seconds_counts_each_sample_up_to_the_next():
    samples = [
        (10.0, {'a': True, 'b': False}),
        (10.5, {'a': True, 'b': True}),       # two writable until 11.2
        (11.2, {'a': True, 'b': None}),       # not reached is not writable
        (11.7, {'a': True, 'b': True, 'c': True}),   # until end
    ]
    assert fst.two_writable_seconds(samples, end=12.0) == pytest.approx(0.7 + 0.3)
    assert fst.two_writable_seconds(samples) == pytest.approx(0.7)     # the last sample without an end
    assert fst.two_writable_seconds([]) == 0


def test_ledger_loss_counts_warned_commits_apart():
    plain, warned = fst.ledger_loss(acked=[1, 2, 3, 4, 5], warned=[4, 5], present=[1, 5])
    assert plain == [2, 3]
    assert warned == [4]


def test_summarize_fault_totals_and_false_failovers():
    runs = [
        {'acked': 100, 'acked_lost': 0, 'acked_lost_with_warning': 0, 'two_writable_s': 0.0,
         'unavailable_s': 3.0, 'failovers': 1},
        {'acked': 50, 'acked_lost': 2, 'acked_lost_with_warning': 1, 'two_writable_s': 0.5,
         'unavailable_s': 9.0, 'failovers': 0},
        {'acked': 70, 'acked_lost': 0, 'acked_lost_with_warning': 0, 'two_writable_s': 0.0,
         'unavailable_s': 4.0, 'failovers': 1},
    ]
    summary = fst.summarize_fault('kill9', runs)
    assert set(summary) == set(fst.RESULT_KEYS)
    assert summary['runs'] == 3 and summary['acked'] == 220
    assert summary['acked_lost'] == 2 and summary['acked_lost_with_warning'] == 1
    assert summary['two_writable_s'] == 0.5
    assert summary['unavailable_s_p50'] == 4.0 and summary['unavailable_s_max'] == 9.0
    assert summary['failovers'] == 2 and summary['false_failovers'] == 0
    assert fst.summarize_fault('partition_replica', runs)['false_failovers'] == 2


def test_summarize_fault_never_turns_an_unmeasured_figure_into_zero():
    runs = [{'acked': 10, 'acked_lost': None, 'acked_lost_with_warning': None, 'two_writable_s': 0.0,
             'unavailable_s': None, 'failovers': 0}]
    summary = fst.summarize_fault('slow_primary', runs)
    assert summary['acked_lost'] is None
    assert summary['unavailable_s_p50'] is None and summary['unavailable_s_max'] is None
    assert summary['false_failovers'] == 0


def test_every_new_fault_is_in_the_suite_order_and_a_watcher_kill_names_a_step():
    for fault in ('watcher_killed_after_fence', 'watcher_killed_after_repoint', 'double_fault_after_promotion',
                  'replica_frozen_primary_dies', 'slow_network_primary'):
        assert fault in fst.FAULT_ORDER
    assert set(fst.WATCHER_KILL_STEPS) == set(f for f in fst.FAULT_ORDER if f.startswith('watcher_killed_'))
    assert fst.WATCHER_KILL_STEPS['watcher_killed_after_fence'] == 'fenced'
    assert fst.WATCHER_KILL_STEPS['watcher_killed_after_repoint'] == 'repointed'
    assert 'slow_network_primary' in fst.NO_FAILOVER_EXPECTED
    assert not fst.applicable('double_fault_after_promotion', 2)
    # One standby frozen while the primary dies still says something: the failover waits for it.
    assert fst.applicable('replica_frozen_primary_dies', 2)


def test_step_trigger_waits_for_the_step_and_says_too_late_after_a_failover_without_it():
    log = [{'event': 'primary_dead'}, {'event': 'step', 'step': 'checked'}, {'event': 'step', 'step': 'detected'}]
    assert fst.step_trigger(log, 'detected') == 'step'
    assert fst.step_trigger(log, 'fenced') is None                    # not yet
    ended = log + [{'event': 'failover', 'new_primary': 'db2'}, {'event': 'step', 'step': 'fenced'}]
    assert fst.step_trigger(ended, 'fenced') == 'too_late'          # a step after the end is another failover's
    assert fst.step_trigger([{'event': 'promoted'}], 'promoted') is None   # only the step event counts
    assert fst.steps_logged(ended) == ['checked', 'detected', 'fenced']


def test_select_engines_knows_the_one_standby_shape_but_runs_it_only_when_named():
    assert fst.select_engines(None) == ['mysql', 'mariadb', 'postgres']
    assert fst.select_engines('postgres-one-standby, MariaDB,postgres') == ['postgres-one-standby', 'mariadb', 'postgres']
    with pytest.raises(ValueError, match='ENGINES: unknown engine .postgres1.'):
        fst.select_engines('postgres1')
    with pytest.raises(ValueError, match='ENGINES: no engine'):
        fst.select_engines(' , ')


def test_both_postgres_shapes_take_postgres_image_and_are_told_apart_in_labels():
    images = fst.engine_images(['postgres', 'postgres-one-standby', 'mariadb'],
                               {'POSTGRES_IMAGE': 'localhost/dbops/postgres:17'})
    assert images == {'postgres': 'localhost/dbops/postgres:17', 'postgres-one-standby': 'localhost/dbops/postgres:17',
                      'mariadb': 'localhost/dbops/mariadb:11.8'}
    assert fst.suite_label('postgres-one-standby', images['postgres']) == 'PostgreSQL 17 (one standby)'
    assert fst.suite_label('postgres', images['postgres']) == 'PostgreSQL 17'


def test_fault_extras_count_the_runs_whose_fault_landed_where_it_was_meant_to():
    kills = [{'watcher_kill_trigger': 'step'}, {'watcher_kill_trigger': 'too_late'}, {'watcher_kill_trigger': None}]
    assert fst.fault_extras('watcher_killed_after_repoint', kills) == {'kills_at_step': 1}
    doubles = [{'candidate_killed': 'db2', 'third_node': 'db3', 'third_node_primary': True},
               {'candidate_killed': 'db2', 'third_node': 'db3', 'third_node_primary': False},
               {'promotion_trigger': None}]
    assert fst.fault_extras('double_fault_after_promotion', doubles) == {
        'second_kill_after_promotion': 2, 'third_node_primary': 1}
    assert fst.fault_extras('slow_network_primary', [{'net_delay': {'applied': True}}, {}]) == {'delay_applied': 1}
    assert fst.fault_extras('kill9', [{}]) == {}
