# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category statements: the statement digests of performance_schema."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import ratio

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


def statement_rows(facts):
    rows = facts['statements']
    if rows is None:
        raise KeyError('statements (performance_schema)')
    return rows


def count(row, name):
    return float(row.get(name) or 0)


def short_digest(row):
    digest = ' '.join(str(row['digest_text']).split())
    return digest if len(digest) <= 200 else digest[:197] + '...'


def explain_fix(row, advice):
    schema = row.get('schema')
    return 'EXPLAIN %s%s; %s' % (short_digest(row), (' (schema %s)' % schema) if schema else '', advice)


@check(TABLE, 'mysql.statements.no_index', 'statements', 'warning', 'Frequent statements use no index',
       'Statement digests show which statements read without an index.',
       'MySQL manual: events_statements_summary_by_digest (SUM_NO_INDEX_USED); sys.statements_with_full_table_scans')
def statements_without_index(facts):
    rows = [r for r in statement_rows(facts)
            if count(r, 'count_star') >= 10 and ratio(count(r, 'sum_no_index_used'), count(r, 'count_star')) >= 0.5]
    if not rows:
        return None
    top = rows[0]  # digests come ordered by total time
    return finding(short_digest(top), 'an index for its WHERE/JOIN columns',
                   '%d statements among the top 20 by time use no index; the first ran %d times for %.1f s'
                   % (len(rows), count(top, 'count_star'), count(top, 'total_s')),
                   explain_fix(top, 'CREATE INDEX on the columns its WHERE/JOIN filter on'))


@check(TABLE, 'mysql.statements.rows_examined', 'statements', 'warning',
       'Statements examine far more rows than they return',
       'Rows examined far above rows sent is work an index would save.',
       'MySQL manual: events_statements_summary_by_digest; pt-query-digest (Rows_examined)')
def statements_examining_many_rows(facts):
    rows = []
    for r in statement_rows(facts):
        calls = max(count(r, 'count_star'), 1)
        examined = count(r, 'sum_rows_examined')
        if examined / calls >= 10000 and examined >= 1000 * max(count(r, 'sum_rows_sent'), 1):
            rows.append(r)
    if not rows:
        return None
    top = rows[0]
    return finding(short_digest(top), 'rows examined close to rows sent',
                   '%d rows examined for %d rows sent over %d executions'
                   % (count(top, 'sum_rows_examined'), count(top, 'sum_rows_sent'), count(top, 'count_star')),
                   explain_fix(top, 'CREATE INDEX so it reads the rows it returns (a composite index on the '
                               'filtered and sorted columns)'))


@check(TABLE, 'mysql.statements.tmp_disk', 'statements', 'warning', 'Statements create on-disk temporary tables',
       'Statements that build on-disk temporary tables at most executions need an index for their grouping or sorting.',
       'MySQL manual: events_statements_summary_by_digest (SUM_CREATED_TMP_DISK_TABLES)')
def statements_with_disk_tmp(facts):
    rows = [r for r in statement_rows(facts)
            if count(r, 'count_star') >= 10
            and ratio(count(r, 'sum_created_tmp_disk_tables'), count(r, 'count_star')) >= 0.5]
    if not rows:
        return None
    top = rows[0]
    return finding(short_digest(top), 'no on-disk temporary table',
                   '%d on-disk temporary tables in %d executions'
                   % (count(top, 'sum_created_tmp_disk_tables'), count(top, 'count_star')),
                   explain_fix(top, 'index its GROUP BY/ORDER BY columns; TEXT/BLOB columns in the select list '
                               'force the temporary table to disk'))
