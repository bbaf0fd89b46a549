# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category replication: standbys, lag, slots and synchronous replication."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import MIB, to_postgres
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    human, is_on, listing, setting, setting_fix, size, stat)

WAL_SEGMENT = 16 * MIB

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.replication.standby_not_streaming', 'replication', 'critical', 'Standby not streaming',
       'A standby that receives no WAL is stale and cannot take over safely.',
       'PostgreSQL manual 28.2 pg_stat_wal_receiver; 27.2 Log-Shipping Standby Servers')
def standby_not_streaming(facts):
    replication = facts['replication']
    if not replication['in_recovery'] or not (setting(facts, 'primary_conninfo') or '').strip():
        return None  # a primary, or a standby restoring from an archive only
    receiver = replication['wal_receiver'] or {}
    if receiver.get('status') == 'streaming':
        return None
    return finding('WAL receiver: %s' % (receiver.get('status') or 'not running'), 'streaming',
                   'this standby has primary_conninfo but receives no WAL: it falls further behind',
                   'read the standby\'s log (connection or authentication errors to the primary), check '
                   'primary_conninfo and the primary\'s pg_hba.conf replication line')


@check(TABLE, 'postgres.replication.lag', 'replication', 'warning', 'Replication lag',
       'A lagging standby serves stale reads and loses data on failover.',
       'PostgreSQL manual 28.2 pg_stat_replication; check_postgres hot_standby_delay')
def replication_lag(facts):
    replicas = [r for r in facts['replication']['replicas'] if (r['replay_lag_bytes'] or 0) >= 256 * MIB]
    if not replicas:
        return None
    limit = size(facts, 'max_wal_size') * 4
    worst = max(r['replay_lag_bytes'] for r in replicas)
    names = listing('%s (%s behind)' % (r['application_name'] or r['client_addr'], human(r['replay_lag_bytes']))
                    for r in replicas)
    return finding(names, '< 256MB', 'standbys replay far behind this server: ' + names,
                   'check the standbys\' I/O and CPU, and long queries on them (max_standby_streaming_delay)',
                   severity='critical' if worst >= limit else None)


@check(TABLE, 'postgres.replication.inactive_slots', 'replication', 'warning',
       'Inactive replication slots retaining WAL',
       'A slot without a consumer keeps WAL until the disk is full.',
       'PostgreSQL manual 27.2.6 Replication Slots; 20.6.1 (max_slot_wal_keep_size)')
def inactive_slots(facts):
    # Under one WAL segment: a consumer reconnecting right now, not a forgotten slot.
    slots = [s for s in facts['replication']['slots'] if not s['active'] and (s['retained_bytes'] or 0) >= WAL_SEGMENT]
    if not slots:
        return None
    limit = size(facts, 'max_wal_size') * 4
    worst = max(s['retained_bytes'] for s in slots)
    names = listing('%s (%s of WAL retained)' % (s['slot_name'], human(s['retained_bytes'])) for s in slots)
    fix = "SELECT pg_drop_replication_slot('%s') if its consumer is gone" % slots[0]['slot_name']
    if tuple(facts['version']) >= (13,):
        # A cap on what a slot may hold: past it the slot is invalidated instead of the disk filling.
        fix += '; and cap retention: ' + setting_fix('max_slot_wal_keep_size', to_postgres(limit))
    return finding(names, 'no inactive slots', 'an inactive slot keeps every WAL segment since its consumer left: '
                   'the disk fills and the server stops', fix, severity='critical' if worst > limit else None)


@check(TABLE, 'postgres.replication.sync_standby_missing', 'replication', 'critical', 'Synchronous standby missing',
       'With synchronous_standby_names set and no synchronous standby, commits hang.',
       'PostgreSQL manual 27.2.8 Synchronous Replication')
def sync_standby_missing(facts):
    names = (setting(facts, 'synchronous_standby_names') or '').strip()
    if not names or facts['replication']['in_recovery']:
        return None
    synchronous = [r for r in facts['replication']['replicas'] if r['sync_state'] in ('sync', 'quorum')]
    if synchronous:
        return None
    return finding("synchronous_standby_names = '%s', no synchronous standby" % names,
                   'a connected synchronous standby, or an empty synchronous_standby_names',
                   '%d standbys connected, none synchronous: every COMMIT waits forever'
                   % len(facts['replication']['replicas']),
                   'bring the standby back, or ' + setting_fix('synchronous_standby_names', ''))


@check(TABLE, 'postgres.replication.hot_standby_feedback', 'replication', 'warning',
       'Standby queries cancelled by recovery conflicts',
       'Vacuum on the primary removes rows standby queries read.',
       'PostgreSQL manual 27.4.2 Handling Query Conflicts')
def hot_standby_feedback(facts):
    if not facts['replication']['in_recovery'] or is_on(facts, 'hot_standby_feedback'):
        return None
    conflicts = stat(facts, 'conflicts')
    if conflicts == 0:
        return None
    return finding('off', 'on', '%d queries on this standby were cancelled by recovery conflicts' % conflicts,
                   setting_fix('hot_standby_feedback', 'on') + ' (the primary then keeps rows these queries need: '
                   'watch its bloat), or raise max_standby_streaming_delay')
