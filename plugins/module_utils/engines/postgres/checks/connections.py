# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category connections: the limit, and sessions that hold transactions open."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    DAY, human, number, setting_fix)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.connections.max_connections_high', 'connections', 'warning',
       'max_connections high for the memory limit',
       'Each backend costs memory and CPU scheduling; a pooler serves many clients with few backends.',
       'PGTune; PostgreSQL wiki: Number Of Database Connections')
def max_connections_high(facts):
    limit = number(facts, 'max_connections')
    target = int(facts['recommended']['max_connections'])
    used = facts['connections']['total']
    if limit <= target * 1.5 or used >= target:
        return None
    return finding(int(limit), target,
                   'max_connections %d in %s of memory (%d in use now): every backend costs memory, '
                   'db_container allows %d' % (limit, human(facts['limits']['memory']), used, target),
                   setting_fix('max_connections', target) + '; put a pooler (PgBouncer) in front for more clients')


@check(TABLE, 'postgres.connections.near_limit', 'connections', 'warning', 'Connections near max_connections',
       'Past the limit clients get "sorry, too many clients already".',
       'PostgreSQL manual 20.3.1 (max_connections); check_postgres backends')
def connections_near_limit(facts):
    limit = number(facts, 'max_connections')
    usable = limit - number(facts, 'superuser_reserved_connections')
    used = facts['connections']['total']
    if used < usable * 0.8:
        return None
    allowed = int(facts['recommended']['max_connections'])
    if limit < allowed:
        target = min(allowed, int(limit * 1.5))
        fix = 'pool connections (PgBouncer) or ' + setting_fix('max_connections', target)
    else:
        # More backends than the memory allows would trade refused connections for the OOM killer.
        target = 'a connection pooler (PgBouncer, transaction mode)'
        fix = ('put PgBouncer in front of the server; max_connections %d is already what %s of memory allows: '
               'raise memory and max_connections together if more backends are needed'
               % (limit, human(facts['limits']['memory'])))
    return finding('%d of %d in use' % (used, limit), target,
                   '%d client connections, %.0f%% of the %d not reserved for superusers'
                   % (used, 100.0 * used / usable, usable), fix,
                   severity='critical' if used >= usable * 0.95 else None)


@check(TABLE, 'postgres.connections.idle_in_transaction', 'connections', 'warning', 'Sessions idle in transaction',
       'An open transaction holds its locks and keeps VACUUM from removing dead rows.',
       'PostgreSQL manual 20.11.1 (idle_in_transaction_session_timeout); check_postgres txn_idle')
def idle_in_transaction(facts):
    old = facts['connections']['idle_in_transaction_old']
    if not old:
        return None
    timeout = int(number(facts, 'idle_in_transaction_session_timeout'))
    timeout = '%dms' % timeout if timeout else '0 (disabled)'
    idle = facts['connections']['idle_in_transaction']
    return finding('%d sessions idle in transaction > 5 min' % old, 'none',
                   '%d sessions idle in transaction (%d older than 5 minutes) hold locks and stop VACUUM; '
                   'idle_in_transaction_session_timeout = %s' % (idle, old, timeout),
                   'fix the application\'s transaction handling; ' +
                   setting_fix('idle_in_transaction_session_timeout', '10min'))


@check(TABLE, 'postgres.connections.long_transactions', 'connections', 'warning', 'Long-running transactions',
       'The oldest transaction sets the xmin horizon: nothing newer can be vacuumed.',
       'PostgreSQL manual 25.1.5; check_postgres txn_time')
def long_transactions(facts):
    age = facts['connections']['oldest_xact_age_s'] or 0
    if age < 3600:
        return None
    oldest = facts['connections']['oldest_xact'] or {}
    return finding('%.1f h' % (age / 3600), '< 1 h',
                   'pid %s (%s@%s, %s) has been in a transaction for %.1f hours: VACUUM cannot remove rows '
                   'dead since then' % (oldest.get('pid'), oldest.get('usename'), oldest.get('datname'),
                                        oldest.get('state'), age / 3600),
                   'SELECT pg_terminate_backend(%s) if it is stuck; ' % oldest.get('pid') +
                   setting_fix('idle_in_transaction_session_timeout', '10min'),
                   severity='critical' if age >= DAY else None)


@check(TABLE, 'postgres.connections.prepared_transactions', 'connections', 'warning', 'Old prepared transactions',
       'A forgotten prepared transaction holds locks and the xmin horizon across restarts.',
       'PostgreSQL manual: PREPARE TRANSACTION; check_postgres prepared_txns')
def prepared_transactions(facts):
    prepared = facts['prepared_xacts']
    if not prepared['count'] or prepared['oldest_s'] < 3600:
        return None
    return finding('%d prepared transactions' % prepared['count'], 'none older than an hour',
                   'the oldest was prepared %.1f hours ago: it holds locks and the xmin horizon'
                   % (prepared['oldest_s'] / 3600),
                   "SELECT gid FROM pg_prepared_xacts; COMMIT PREPARED 'gid' or ROLLBACK PREPARED 'gid'")
