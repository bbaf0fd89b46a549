# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category scans: rows read by full table scans."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import ratio, status

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


def handler_reads(facts):
    names = ('handler_read_first', 'handler_read_key', 'handler_read_last', 'handler_read_next',
             'handler_read_prev', 'handler_read_rnd', 'handler_read_rnd_next')
    return dict((name, float(facts['status'].get(name) or 0)) for name in names)


@check(TABLE, 'mysql.scans.read_rnd_next', 'scans', 'warning', 'Most rows read by full table scans',
       'Handler_read_rnd_next counts rows read by table scans; a high share means missing indexes, even where '
       'performance_schema is off.',
       'MySQL manual: Handler_read_rnd_next; Percona: handler counters')
def scan_reads_ratio(facts):
    status(facts, 'handler_read_rnd_next')  # KeyError when the server does not report handler counters
    reads = handler_reads(facts)
    total = sum(reads.values())
    scanned = reads['handler_read_rnd_next'] + reads['handler_read_rnd']
    if total < 1000000 or ratio(scanned, total) <= 0.5:
        return None
    if facts.get('performance_schema'):
        fix = ('SELECT object_schema, object_name, count_read FROM '
               'performance_schema.table_io_waits_summary_by_index_usage WHERE index_name IS NULL ORDER BY '
               'count_read DESC LIMIT 5; index the columns their queries filter on')
    else:
        fix = ('log the scanning statements for an hour: SET GLOBAL log_queries_not_using_indexes = ON (back OFF '
               'afterwards), then EXPLAIN and index them; or turn performance_schema on')
    return finding('%.0f%% of rows read by scans' % (100.0 * scanned / total), '< 50%',
                   'Handler_read_rnd_next + Handler_read_rnd = %d of %d row reads: most rows are read by full '
                   'table scans' % (scanned, total), fix)
