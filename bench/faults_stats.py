# -*- coding: utf-8 -*-
"""The pure arithmetic of bench/bench_faults.py: which faults run, the seconds during which two nodes
were writable, the ledger split into plain and warned acknowledgements, one fault's summary.
No Docker, no clock: tests/unit/test_bench_faults_stats.py checks it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import failover_stats as fs

# Every fault, in the order a full run makes them (bench_faults.FAULTS has one function per name).
FAULT_ORDER = (
    'kill9', 'pause', 'partition_primary', 'partition_asymmetric', 'partition_replica',
    'watcher_killed_after_detect', 'watcher_killed_after_promote', 'double_fault',
    'replicas_down_then_kill', 'slow_primary', 'cycles',
)
# Faults in which the primary keeps serving: a failover there is a false one.
NO_FAILOVER_EXPECTED = frozenset(['partition_replica', 'slow_primary'])
# Faults that need a third node (a candidate to kill next to the primary, or a replica that still sees it).
NEEDS_THREE_NODES = frozenset(['double_fault', 'partition_asymmetric'])
# QUICK=1: one run of each of these (a short subset: what CI can afford).
QUICK_FAULTS = ('kill9', 'partition_replica')

RESULT_KEYS = ('runs', 'acked', 'acked_lost', 'acked_lost_with_warning', 'two_writable_s',
               'unavailable_s_p50', 'unavailable_s_max', 'failovers', 'false_failovers')


def select_faults(text, quick=False):
    """FAULTS ('kill9,pause', spaces and case ignored) -> the faults in FAULT_ORDER's order, each once.
    Empty or unset: every fault (QUICK: QUICK_FAULTS). An unknown name is an error that names FAULTS."""
    if text is None or not text.strip():
        return list(QUICK_FAULTS if quick else FAULT_ORDER)
    chosen = set()
    for name in text.replace(' ', ',').split(','):
        name = name.strip().lower()
        if not name:
            continue
        if name not in FAULT_ORDER:
            raise ValueError('FAULTS: unknown fault %r (choose from %s)' % (name, ', '.join(FAULT_ORDER)))
        chosen.add(name)
    if not chosen:
        raise ValueError('FAULTS: no fault named in %r' % text)
    return [name for name in FAULT_ORDER if name in chosen]


def applicable(fault, node_count):
    """A fault that needs three nodes is not made on a cluster of two (PostgreSQL's primary and standby)."""
    return node_count >= 3 or fault not in NEEDS_THREE_NODES


def two_writable_seconds(samples, end=None):
    """samples: [(time, {node: True (writable) / False (read-only) / None (not reached)})] in time order,
    one every half second. Each sample stands for the time up to the next one (the last: up to end, or
    nothing); the seconds of the samples in which two nodes or more were writable are summed."""
    total = 0.0
    for index, (at, states) in enumerate(samples):
        if index + 1 < len(samples):
            until = samples[index + 1][0]
        else:
            until = end if end is not None else at
        if sum(1 for writable in states.values() if writable is True) >= 2:
            total += max(0.0, until - at)
    return round(total, 3)


def ledger_loss(acked, warned, present):
    """acked: every acknowledged id; warned: those whose commit came back with a warning that the
    synchronous replication wait was cancelled (PostgreSQL); present: the ids on the final primary.
    -> (plain ids lost, warned ids lost): a warned commit that is lost is counted apart."""
    missing = fs.missing_ids(acked, present)
    warned = set(warned)
    return [i for i in missing if i not in warned], [i for i in missing if i in warned]


def summarize_fault(fault, runs):
    """The runs of one fault -> the figures of bench/results/faults.json. A figure no run measured
    (a run that failed before its ledger was read) is None, never a zero that would read as a pass."""
    def total(key):
        values = [r.get(key) for r in runs]
        if not values or None in values:
            return None
        return round(sum(values), 3) if isinstance(sum(values), float) else sum(values)

    gaps = [r.get('unavailable_s') for r in runs if r.get('unavailable_s') is not None]
    failovers = total('failovers')
    summary = {
        'runs': len(runs),
        'acked': total('acked'),
        'acked_lost': total('acked_lost'),
        'acked_lost_with_warning': total('acked_lost_with_warning'),
        'two_writable_s': total('two_writable_s'),
        'unavailable_s_p50': round(fs.percentile(gaps, 0.5), 3) if gaps else None,
        'unavailable_s_max': round(max(gaps), 3) if gaps else None,
        'failovers': failovers,
        'false_failovers': (failovers if fault in NO_FAILOVER_EXPECTED else 0) if failovers is not None else None,
    }
    return summary
