# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category concurrency: the storage engine's tickets."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


def ticket_pools(facts):
    """The read/write ticket pools: queues.execution on 7.0+, wiredTiger.concurrentTransactions before."""
    status = facts['server_status']
    execution = (status.get('queues') or {}).get('execution')
    if execution:
        return 'queues.execution', execution
    concurrent = (status.get('wiredTiger') or {}).get('concurrentTransactions')
    if concurrent:
        return 'wiredTiger.concurrentTransactions', concurrent
    return None, {}


@check(TABLE, 'mongodb.concurrency.tickets_exhausted', 'concurrency', 'warning', 'Read or write tickets exhausted',
       'Operations need a ticket to enter the storage engine; with none left they queue.',
       'MongoDB manual: serverStatus > queues.execution (7.0+), wiredTiger.concurrentTransactions')
def tickets_exhausted(facts):
    where, pools = ticket_pools(facts)
    exhausted = []
    for kind in ('read', 'write'):
        pool = pools.get(kind) or {}
        if pool.get('totalTickets', 0) > 0 and pool.get('available') == 0:
            queued = (pool.get('normalPriority') or {}).get('queueLength')
            exhausted.append('%s: %s of %s out, 0 available%s' % (
                kind, pool.get('out'), pool['totalTickets'],
                ', %s queued' % queued if queued is not None else ''))
    if not exhausted:
        return None
    return finding('; '.join(exhausted), 'tickets available (no operation waits to enter the storage engine)',
                   '%s: every %s ticket is taken; further operations queue'
                   % (where, ' and '.join(e.split(':')[0] for e in exhausted)),
                   "find what holds them: mongosh --eval \"db.currentOp({active: true, secs_running: {\\$gte: 1}})\"; "
                   "index the slow operations, or raise cpus and the disk's throughput (leave the ticket count "
                   "to mongod: 7.0+ adjusts it)")
