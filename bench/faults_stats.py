# -*- coding: utf-8 -*-
"""The pure arithmetic of bench/bench_faults.py: which engines and faults run, the watcher's log line
that triggers a fault, the seconds during which two nodes were writable, the ledger split into plain
and warned acknowledgements, one fault's summary.
No Docker, no clock: tests/unit/test_bench_faults_stats.py checks it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import failover_stats as fs

# Every fault, in the order a full run makes them (bench_faults.FAULTS has one function per name).
FAULT_ORDER = (
    'kill9', 'pause', 'partition_primary', 'partition_asymmetric', 'partition_replica',
    'watcher_killed_after_detect', 'watcher_killed_after_fence', 'watcher_killed_after_promote',
    'watcher_killed_after_repoint', 'double_fault', 'double_fault_after_promotion',
    'replica_frozen_primary_dies', 'replicas_down_then_kill', 'slow_primary', 'slow_network_primary', 'cycles',
)
# Faults in which the primary keeps serving: a failover there is a false one.
NO_FAILOVER_EXPECTED = frozenset(['partition_replica', 'slow_primary', 'slow_network_primary'])
# Faults that need a third node (a candidate to kill next to the primary, or a replica that still sees it).
NEEDS_THREE_NODES = frozenset(['double_fault', 'double_fault_after_promotion', 'partition_asymmetric'])
# The watcher killed once its log shows this step of the failover (the orchestrator's timeline marks,
# logged by the watcher as {"event": "step", "step": ...} once its failover record holds them).
WATCHER_KILL_STEPS = {
    'watcher_killed_after_detect': 'detected',
    'watcher_killed_after_fence': 'fenced',
    'watcher_killed_after_promote': 'promoted',
    'watcher_killed_after_repoint': 'repointed',
}
# QUICK=1: one run of each of these (a short subset: what CI can afford).
QUICK_FAULTS = ('kill9', 'partition_replica')

RESULT_KEYS = ('runs', 'acked', 'acked_lost', 'acked_lost_with_warning', 'two_writable_s',
               'unavailable_s_p50', 'unavailable_s_max', 'failovers', 'false_failovers')


# The suite's clusters: an engine, or an engine in another shape (ENGINES=postgres-one-standby: PostgreSQL
# with a single synchronous standby, the price of durability required with one standby). The shapes are
# not run unless named.
SUITE_ENGINES = {
    'mysql': 'mysql',
    'mariadb': 'mariadb',
    'postgres': 'postgres',
    'postgres-one-standby': 'postgres',
}
DEFAULT_ENGINES = ('mysql', 'mariadb', 'postgres')
SHAPE_LABELS = {'postgres-one-standby': 'one standby'}


def select_engines(text):
    """ENGINES ('mariadb,postgres', spaces and case ignored) -> the suite's clusters in the order given,
    each once. Empty or unset: DEFAULT_ENGINES. An unknown name is an error that names ENGINES."""
    if text is None or not text.strip():
        return list(DEFAULT_ENGINES)
    chosen = []
    for name in text.replace(' ', ',').split(','):
        name = name.strip().lower()
        if not name:
            continue
        if name not in SUITE_ENGINES:
            raise ValueError('ENGINES: unknown engine %r (choose from %s)' % (name, ', '.join(SUITE_ENGINES)))
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValueError('ENGINES: no engine named in %r' % text)
    return chosen


def engine_images(names, environ):
    """The image of each chosen cluster: its engine's (POSTGRES_IMAGE serves both PostgreSQL shapes)."""
    engines = sorted(set(SUITE_ENGINES[name] for name in names))
    images = fs.engine_images(engines, environ)
    return dict((name, images[SUITE_ENGINES[name]]) for name in names)


def suite_label(name, image):
    """'postgres-one-standby', 'localhost/dbops/postgres:18' -> 'PostgreSQL 18 (one standby)'."""
    label = fs.engine_label(SUITE_ENGINES[name], image)
    return '%s (%s)' % (label, SHAPE_LABELS[name]) if name in SHAPE_LABELS else label


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
    """A fault that needs three nodes is not made on a cluster of two (PostgreSQL with one standby)."""
    return node_count >= 3 or fault not in NEEDS_THREE_NODES


def step_trigger(events, step):
    """The watcher's log so far (parsed events, in order) -> 'step' once it shows the failover ``step``
    ({"event": "step", "step": step}); 'too_late' when the failover ended (its 'failover' event) without
    that step; None while neither is there. The first of the two decides."""
    for event in events:
        if event.get('event') == 'step' and event.get('step') == step:
            return 'step'
        if event.get('event') == 'failover':
            return 'too_late'
    return None


def steps_logged(events):
    """The failover steps the watcher logged, in order."""
    return [e.get('step') for e in events if e.get('event') == 'step']


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


def fault_extras(fault, runs):
    """What a fault's runs say beyond the common figures: whether each fault landed where it was meant to.
    watcher_killed_*: kills that landed at their step (the step seen in the watcher's log before the
    failover ended); double_fault_after_promotion: runs in which the third node ended as the primary;
    slow_network_primary: runs whose delay was applied. Empty for the other faults."""
    if fault in WATCHER_KILL_STEPS:
        return {'kills_at_step': sum(1 for r in runs if r.get('watcher_kill_trigger') == 'step')}
    if fault == 'double_fault_after_promotion':
        return {'second_kill_after_promotion': sum(1 for r in runs if r.get('candidate_killed')),
                'third_node_primary': sum(1 for r in runs if r.get('third_node_primary'))}
    if fault == 'slow_network_primary':
        return {'delay_applied': sum(1 for r in runs if r.get('net_delay', {}).get('applied'))}
    return {}
