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
