# -*- coding: utf-8 -*-
"""engines/mysql/clone.py: which node may be cloned over, and what cloning runs (on documented answers)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import clone

OWN = '3e11fa47-71ca-11e1-9e33-c80aa9429562'
OTHER = '4e11fa47-71ca-11e1-9e33-c80aa9429563'


class Server(object):
    """Answers the statements clone.py runs, as MySQL 9.7 does; records the others."""

    def __init__(self, gtid_executed='', tables=0, plugin=None, clone_errors=()):
        self.gtid_executed, self.tables, self.plugin = gtid_executed, tables, plugin
        self.clone_errors = list(clone_errors)
        self.executed = []

    def cursor(self):
        return Cursor(self)


class Cursor(object):
    def __init__(self, server):
        self.server, self.description, self.rows = server, None, []

    def execute(self, sql, params=None):
        server = self.server
        if sql == 'SELECT @@GLOBAL.gtid_executed':
            self.description, self.rows = [('g',)], [(server.gtid_executed,)]
        elif sql.startswith('SELECT COUNT(*) FROM information_schema.tables'):
            self.description, self.rows = [('n',)], [(server.tables,)]
        elif sql == clone.PLUGIN_STATUS_SQL:
            self.description, self.rows = [('s',)], [(server.plugin,)] if server.plugin else []
        else:
            server.executed.append((sql, params))
            self.description, self.rows = None, []
            if sql == clone.INSTALL_PLUGIN_SQL:
                server.plugin = 'ACTIVE'
            if sql.startswith('CLONE INSTANCE') and server.clone_errors:
                raise server.clone_errors.pop(0)

    def fetchall(self):
        return self.rows

    def close(self):
        pass


INFO = {'server_uuid': OWN}


@pytest.mark.parametrize('server, status, why', [
    (Server('%s:1-8' % OWN), None, None),                                   # the image's first start only
    (Server(''), None, None),
    (Server('%s:1-8,\n%s:1-3' % (OWN, OTHER)), None, 'transactions of other servers (%s)' % OTHER),
    (Server('%s:1-9' % OWN, tables=1), None, '1 table(s) outside the system schemas'),
    (Server('%s:1-8' % OWN), {'source_host': 'db1'}, 'configured to replicate from db1'),
])
def test_fresh_node_problem(server, status, why):
    problem = clone.fresh_node_problem(server, INFO, status)
    assert (problem is None) if why is None else (why in problem)


def test_a_donor_without_the_plugin_is_refused_with_the_fix():
    assert 'run db_replication role primary on it again' in clone.donor_problem(Server(plugin=None))
    assert clone.donor_problem(Server(plugin='ACTIVE')) is None


def test_clone_installs_the_plugin_names_the_donor_and_needs_a_restart():
    restart_needed = Exception(clone.RESTART_NEEDED, 'Restart server failed (mysqld is not managed by supervisor)')
    server = Server(clone_errors=[restart_needed])
    assert clone.clone_from(server, 'db1', 3306, 'repl', 'pw', wait_timeout=1) is True
    statements = [sql for sql, _params in server.executed]
    assert statements[0] == clone.INSTALL_PLUGIN_SQL
    assert server.executed[1] == ('SET GLOBAL clone_valid_donor_list = %s', ('db1:3306',))
    assert server.executed[2] == ('CLONE INSTANCE FROM %s@%s:%s IDENTIFIED BY %s', ('repl', 'db1', 3306, 'pw'))
    # What the module reports never carries the password.
    assert 'pw' not in ' '.join(clone.clone_statements('db1', 3306))


def test_a_busy_donor_is_asked_again():
    busy = Exception(3862, 'Clone Donor Error: 3634 : Too many concurrent clone operations. Maximum allowed - 1.')
    server = Server(plugin='ACTIVE', clone_errors=[busy])
    assert clone.clone_from(server, 'db1', 3306, 'repl', 'pw', wait_timeout=5) is False
    assert [sql for sql, _params in server.executed].count('CLONE INSTANCE FROM %s@%s:%s IDENTIFIED BY %s') == 2


def test_another_clone_error_names_the_source_and_keeps_the_password_out():
    server = Server(plugin='ACTIVE', clone_errors=[Exception(3869, 'Clone system configuration: donor is 9.6.0')])
    with pytest.raises(DbopsError) as error:
        clone.clone_from(server, 'db1', 3306, 'repl', 'pw', wait_timeout=1)
    assert error.value.parameter == 'primary_host' and 'db1:3306' in str(error.value)
    assert 'donor is 9.6.0' in str(error.value) and 'pw' not in str(error.value)
