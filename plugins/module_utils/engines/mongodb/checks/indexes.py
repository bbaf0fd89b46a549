# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category indexes: queries that read more than they return."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import server

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'mongodb.indexes.scanned_per_returned', 'indexes', 'warning',
       'Queries examine far more documents than they return',
       'Without an index on the filter a query reads the collection.',
       'MongoDB manual: serverStatus > metrics.queryExecutor; Analyze Query Performance')
def scanned_per_returned(facts):
    scanned = float(server(facts, 'metrics', 'queryExecutor', 'scannedObjects'))
    returned = float(server(facts, 'metrics', 'document', 'returned'))
    ratio = scanned / max(returned, 1)
    # A floor of 100k documents: a few scans of a small collection are no problem.
    if scanned < 100000 or ratio <= 1000:
        return None
    return finding('%d documents examined per document returned' % ratio, '< 1000 (an index per query filter)',
                   'metrics.queryExecutor.scannedObjects %d vs metrics.document.returned %d: queries read far '
                   'more documents than they return, the mark of missing indexes' % (scanned, returned),
                   "find them in the slow-operation log (docker logs <container> | grep -E 'COLLSCAN|docsExamined'), "
                   "explain them (db.<collection>.find(<filter>).explain('executionStats')) and "
                   "db.<collection>.createIndex({<filter field>: 1})")


@check(TABLE, 'mongodb.indexes.collection_scans', 'indexes', 'warning', 'Many collection scans',
       'A collection scan reads every document; an index on the filtered fields reads a few.',
       'MongoDB manual: serverStatus > metrics.queryExecutor.collectionScans; Indexes')
def collection_scans(facts):
    scans = server(facts, 'metrics', 'queryExecutor').get('collectionScans')
    if not scans:
        return None  # reported since MongoDB 4.4
    # Tailable scans are replication and change streams reading the oplog: not a query problem.
    count = float(scans.get('nonTailable', scans.get('total', 0)))
    counters = server(facts, 'opcounters')
    operations = sum(float(counters.get(name, 0)) for name in ('query', 'update', 'delete'))
    ratio = count / max(operations, 1)
    if count < 1000 or ratio <= 0.1:
        return None
    return finding('%d collection scans (%.0f%% of queries, updates and deletes)' % (count, 100 * ratio),
                   '< 10% of operations',
                   'metrics.queryExecutor.collectionScans: %d operations read whole collections' % count,
                   "find them: docker logs <container> | grep COLLSCAN (slow operations log their plan), "
                   "then db.<collection>.createIndex({<filter field>: 1})")
