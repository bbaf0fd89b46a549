# -*- coding: utf-8 -*-
"""The audit reads the server's counters as its workload left them: what the audit's own statements (this
run's and earlier runs') added is not counted (issue 15: read-only audit)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import audit as mysql_audit
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import audit as pg_audit


# --- MySQL and MariaDB --------------------------------------------------------------------------
def test_the_metadata_sums_and_earlier_runs_come_from_the_digests():
    sql = mysql_audit.metadata_counters_sql()
    for _name, column in mysql_audit.DIGEST_COUNTERS:
        assert 'SUM(%s)' % column in sql
    assert 'earlier_runs' in sql and "LIKE 'SHOW %'" in sql and '%information_schema%' in sql
    # The statement that counts earlier runs finds its own digest by the column names it reads.
    assert '`sum_select_full_join`' in mysql_audit._OWN_DIGEST


def test_metadata_reads_and_earlier_runs_are_subtracted_never_below_zero():
    status = {'select_full_join': '12', 'created_tmp_tables': '500', 'sort_scan': '3', 'handler_read_rnd_next': '90000',
              'connections': '40', 'uptime': '3600', 'questions': None}
    metadata = {'select_full_join': 9, 'created_tmp_tables': 120, 'sort_scan': 30, 'earlier_runs': 10}
    footprint = {'handler_read_rnd_next': 5000, 'questions': 20}
    adjusted = mysql_audit.subtract_audit_reads(status, metadata, footprint)
    assert adjusted['select_full_join'] == '3'       # the workload's joins are left
    assert adjusted['created_tmp_tables'] == '380'
    assert adjusted['sort_scan'] == '0'              # never below zero
    assert adjusted['handler_read_rnd_next'] == '40000'  # 10 earlier runs of 5000 each
    assert adjusted['connections'] == '29'           # one connection per earlier run, and this one
    assert adjusted['uptime'] == '3600' and adjusted['questions'] is None
    assert status['select_full_join'] == '12', 'the raw counters are not modified in place'


def test_without_earlier_runs_only_the_metadata_sums_go():
    adjusted = mysql_audit.subtract_audit_reads({'handler_read_key': '100', 'connections': '5'},
                                                {'earlier_runs': 0}, {'handler_read_key': 50})
    assert adjusted == {'handler_read_key': '100', 'connections': '4'}


def test_the_footprint_adds_what_the_session_does_not_see():
    # Session-scoped counter: the session saw 2172, the server 3205 (the first SHOW GLOBAL STATUS's
    # reads); the two SHOW statements after the end's reading cost as much again each.
    start = {'handler_read_rnd_next': '1000', 'innodb_buffer_pool_read_requests': '30036'}
    end = {'handler_read_rnd_next': '4205', 'innodb_buffer_pool_read_requests': '30752'}
    session = {'handler_read_rnd_next': '2172', 'innodb_buffer_pool_read_requests': '30752'}
    footprint = mysql_audit.own_footprint(start, end, session)
    assert footprint['handler_read_rnd_next'] == 3205 + 2 * (3205 - 2172)
    # A global-only counter: SHOW SESSION STATUS shows the global value, the difference is the run's.
    assert footprint['innodb_buffer_pool_read_requests'] == 716
    assert 'handler_read_key' not in footprint  # not reported by this server: nothing to subtract


def test_a_counter_that_went_down_gives_no_negative_footprint():
    footprint = mysql_audit.own_footprint({'questions': '100'}, {'questions': '90'}, {'questions': '5'})
    assert footprint['questions'] == 0


class Cursor(object):
    def __init__(self, answers):
        self.answers, self.description, self.rows = answers, None, []

    def execute(self, sql):
        for fragment, columns, rows in self.answers:
            if fragment in sql:
                self.description, self.rows = [(c,) for c in columns], rows
                return
        raise RuntimeError('unexpected %s' % sql)

    def fetchall(self):
        return self.rows


def test_auto_increment_counters_are_joined_to_their_columns_here_not_on_the_server():
    cursor = Cursor([
        ('WHERE auto_increment IS NOT NULL', ['schema', 'table', 'auto_increment'],
         [('app', 'orders', 250001), ('app', 'no_column', 7)]),
        ('WHERE extra LIKE', ['schema', 'table', 'column', 'column_type'], [('app', 'orders', 'id', 'int(11)')]),
    ])
    found = mysql_audit._auto_increment(cursor, [])
    assert found == [{'schema': 'app', 'table': 'orders', 'column': 'id', 'column_type': 'int(11)',
                      'auto_increment': 250001}]


def test_no_auto_increment_table_reads_no_column():
    cursor = Cursor([('WHERE auto_increment IS NOT NULL', ['schema', 'table', 'auto_increment'], [])])
    assert mysql_audit._auto_increment(cursor, []) == []


# --- PostgreSQL -------------------------------------------------------------------------------------
def test_every_audit_statement_carries_the_mark_inside_it():
    # pg_stat_statements keeps the text from where the statement starts (a comment before it is lost),
    # as first seen for the statement's shape (the wrapping gives the audit's statements their own).
    assert pg_audit.marked('SELECT 1 AS x') == 'SELECT %s * FROM (SELECT 1 AS x) AS dbops_audit' % pg_audit.AUDIT_MARK
    assert pg_audit.marked(pg_audit.marked('SELECT 1')).count(pg_audit.AUDIT_MARK) == 1
    assert "NOT LIKE 'SELECT %s %%'" % pg_audit.AUDIT_MARK in pg_audit.statements_sql(170000)


def test_earlier_runs_are_counted_by_the_audits_last_statement():
    sql = pg_audit.earlier_runs_sql('public')
    assert "LIKE 'SELECT %s %%'" % pg_audit.AUDIT_MARK in sql and 'pg_stat_force_next_flush' in sql
    assert 'pg_stat_force_next_flush' in pg_audit._FLUSH


def test_earlier_runs_footprints_are_subtracted_from_the_database_counters():
    start = {'blks_hit': 100000, 'blks_read': 900, 'temp_files': 3, 'xact_commit': 5000, 'xact_rollback': 2}
    end = {'blks_hit': 102400, 'blks_read': 910, 'temp_files': 3, 'xact_commit': 5021, 'xact_rollback': 2}
    footprint = pg_audit.run_footprint(start, end)
    assert footprint == {'blks_hit': 2400, 'blks_read': 10, 'xact_commit': 21}
    adjusted = pg_audit.subtract_audit_runs(start, 10, footprint)
    assert adjusted['blks_hit'] == 76000 and adjusted['blks_read'] == 800 and adjusted['xact_commit'] == 4790
    assert adjusted['temp_files'] == 3 and adjusted['xact_rollback'] == 2
    assert pg_audit.subtract_audit_runs(start, 1000, footprint)['blks_read'] == 0  # never below zero
    assert pg_audit.subtract_audit_runs(start, 0, footprint) == start
    assert pg_audit.subtract_audit_runs(start, None, footprint) == start


def test_a_statement_that_names_a_password_is_never_read_into_a_report():
    # pg_stat_statements keeps CREATE ROLE ... PASSWORD 'literal' as written.
    assert "s.query !~* 'password'" in pg_audit.statements_sql(180000)
