# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category joins: joins without an index."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import per_day, status

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.joins.full_join', 'joins', 'warning', 'Joins without indexes',
       'A join without an index on the joined column reads the whole inner table for every outer row.',
       'MySQL manual: Select_full_join; MySQLTuner: joins performed without indexes')
def full_joins(facts):
    # Without the joins of metadata reads (this audit's and other tools': audit.collect subtracts them
    # with the statement digests when performance_schema has them).
    joins = status(facts, 'select_full_join')
    if joins <= 0:
        return None
    daily = per_day(joins, facts)
    return finding('%d joins without an index' % joins, '0',
                   '%d joins scanned a whole table for every row of the other (%.0f a day)' % (joins, daily),
                   'find them: SELECT digest_text FROM performance_schema.events_statements_summary_by_digest '
                   'WHERE sum_select_full_join > 0 ORDER BY sum_select_full_join DESC LIMIT 5; then CREATE INDEX on '
                   'their join columns', severity='info' if daily < 10 else None)
