# -*- coding: utf-8 -*-
"""engines/mysql/replay.py: which MariaDB node may be reset to replay its source, and what that runs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replay


class Server(object):
    """Answers replay.py's reads as MariaDB 11.8 does."""

    def __init__(self, server_id=2, binlog_state='', slave_pos='', tables=0, basename='/var/lib/mysql/mysql-bin',
                 first_log_pos=''):
        self.answers = {
            'SELECT @@GLOBAL.server_id': server_id, 'SELECT @@GLOBAL.gtid_binlog_state': binlog_state,
            'SELECT @@GLOBAL.gtid_slave_pos': slave_pos, 'SELECT @@GLOBAL.log_bin_basename': basename}
        self.tables, self.first_log_pos = tables, first_log_pos
        self.asked = []

    def cursor(self):
        return Cursor(self)


class Cursor(object):
    def __init__(self, server):
        self.server, self.description, self.rows = server, [('v',)], []

    def execute(self, sql, params=None):
        self.server.asked.append((sql, params))
        if sql in self.server.answers:
            self.rows = [(self.server.answers[sql],)]
        elif sql.startswith('SELECT COUNT(*) FROM information_schema.tables'):
            self.rows = [(self.server.tables,)]
        elif sql.startswith('SELECT BINLOG_GTID_POS'):
            self.rows = [(self.server.first_log_pos,)]

    def fetchall(self):
        return self.rows

    def close(self):
        pass


@pytest.mark.parametrize('server, status, why', [
    (Server(binlog_state='0-2-3'), None, None),                       # the image's first start only
    (Server(binlog_state=''), None, None),
    (Server(binlog_state='0-2-3,0-1-9'), None, 'other servers (server_id 1)'),
    (Server(binlog_state='0-2-3', slave_pos='0-1-4'), None, 'other servers'),
    (Server(binlog_state='0-2-4', tables=2), None, '2 table(s)'),
    (Server(binlog_state='0-2-3'), {'source_host': 'db1'}, 'configured to replicate from db1'),
])
def test_fresh_node_problem(server, status, why):
    problem = replay.fresh_node_problem(server, status)
    assert (problem is None) if why is None else (why in problem)


def test_the_source_must_still_have_its_first_binary_log():
    complete = Server(first_log_pos='')
    assert replay.source_history_problem(complete) is None
    assert complete.asked[-1] == ('SELECT BINLOG_GTID_POS(%s, 4)', ('mysql-bin.000001',))
    # BINLOG_GTID_POS answers NULL for a purged file.
    assert 'mysql-bin.000001' in replay.source_history_problem(Server(first_log_pos=None))
    assert replay.source_history_problem(Server(basename=None))


def test_reset_statements_are_unlogged_and_quote_names():
    statements = replay.reset_statements(['app', 'we`ird'], [('app', '%'), ("o'brien", '10.0.0.%')])
    assert statements[0] == 'SET SESSION sql_log_bin = 0' and statements[-1] == 'SET SESSION sql_log_bin = 1'
    assert 'DROP DATABASE `we``ird`' in statements and "DROP USER 'o''brien'@'10.0.0.%'" in statements
    assert statements.index('RESET MASTER') > statements.index("DROP USER 'app'@'%'")
    assert "SET GLOBAL gtid_slave_pos = ''" in statements
