# -*- coding: utf-8 -*-
"""Accounts the collection does not own are not touched: the judge (common/ownership.py) and the engines'
marks (engines/*/accounts.py, the MongoDB customData), the pure parts. The real servers are in
tests/integration/test_bad_input_accounts.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common import ownership as own
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import monitoring as mongodb_users
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import accounts as mysql_accounts
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as mysql_repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import accounts as pg_accounts


def _rules(adopt=False):
    return own.Ownership('monitoring', 'user', 'adopt', 'exporter account', 'dbops_exporter',
                         {'app': 'the application user'}, adopt=adopt)


@pytest.mark.parametrize('name', ['root', 'ROOT', 'postgres', 'app'])
def test_reserved_names_are_refused_even_with_adopt(name):
    with pytest.raises(DbopsError) as error:
        _rules(adopt=True).judge(name, own.AccountFacts(False))
    assert error.value.parameter == 'user'
    assert error.value.message.endswith('nothing was changed') and 'adopt does not apply' in error.value.message


def test_a_new_account_needs_no_ownership_action():
    assert _rules().judge('exporter', own.AccountFacts(False)) == []


def test_an_account_marked_for_this_purpose_is_ours():
    assert _rules().judge('exporter', own.AccountFacts(True, marker='monitoring')) == []


def test_an_administrator_is_refused_even_with_adopt():
    with pytest.raises(DbopsError) as error:
        _rules(adopt=True).judge('dba', own.AccountFacts(True, admin='SUPER, CREATE USER'))
    assert 'administrator rights (SUPER, CREATE USER)' in error.value.message
    assert error.value.message.endswith('nothing was changed')


def test_an_account_of_another_purpose_is_refused_even_with_adopt():
    with pytest.raises(DbopsError) as error:
        _rules(adopt=True).judge('repl', own.AccountFacts(True, marker='replication'))
    assert 'as the replication account' in error.value.message and error.value.parameter == 'user'


def test_a_foreign_account_is_refused_and_the_message_says_how_to_override():
    asked = []

    def like_ours():
        asked.append(True)
        return True
    with pytest.raises(DbopsError) as error:
        _rules().judge('grafana', own.AccountFacts(True, like_ours=like_ours))
    message = error.value.message
    assert "account 'grafana' exists and was not created by dbops.containers" in message
    assert 'set adopt: true' in message and message.endswith('nothing was changed')
    # Not the default name: no login is tried against it (a failed login may count towards locking it).
    assert asked == []


def test_adopt_takes_an_unmarked_account_over():
    assert _rules(adopt=True).judge('grafana', own.AccountFacts(True)) == [own.ADOPT_ACCOUNT]
    assert own.marking_needed([own.ADOPT_ACCOUNT])


def test_an_account_of_an_earlier_release_is_marked_only_when_it_is_exactly_ours():
    assert _rules().judge('dbops_exporter', own.AccountFacts(True, like_ours=lambda: True)) == [
        own.MARK_EARLIER_RELEASE]
    with pytest.raises(DbopsError):
        _rules().judge('dbops_exporter', own.AccountFacts(True, like_ours=lambda: False))


def test_the_superusers_own_reason_wins_over_the_generic_one():
    rules = _rules()
    rules.reserve('root', 'the superuser of MySQL (what root_password logs in as)')
    rules.reserve('root', 'the account this module logs in as (login_user)')
    with pytest.raises(DbopsError) as error:
        rules.check_name('root')
    assert 'root_password' in error.value.message


# ------------------------------------------------------------------ MySQL and MariaDB
def test_mysql_marks():
    assert mysql_accounts.purpose_of_attribute('{"dbops.containers": "monitoring"}') == 'monitoring'
    assert mysql_accounts.purpose_of_attribute('{"comment": "made by hand"}') is None
    assert mysql_accounts.purpose_of_attribute(None) is None and mysql_accounts.purpose_of_attribute('x') is None
    assert mysql_accounts.purpose_of_roles(['dbops.containers:replication:repl', 'reader']) == 'replication'
    assert mysql_accounts.purpose_of_roles(['reader']) is None
    assert mysql_accounts.mark_statements('exp', '%', 'monitoring', mysql_accounts.ATTRIBUTE) == [
        ('ALTER USER %s@%s ATTRIBUTE %s', ('exp', '%', '{"dbops.containers": "monitoring"}'))]
    # MariaDB: the role is created for the account alone (WITH ADMIN), after any leftover of that name goes.
    assert mysql_accounts.mark_statements('exp', '%', 'monitoring', mysql_accounts.ROLE) == [
        ('DROP ROLE IF EXISTS %s', ('dbops.containers:monitoring:exp',)),
        ('CREATE ROLE %s WITH ADMIN %s@%s', ('dbops.containers:monitoring:exp', 'exp', '%'))]


def test_parse_grants_as_show_grants_prints_them():
    lines = ["GRANT `dbops.containers:monitoring:dbops_exporter` TO `dbops_exporter`@`%` WITH ADMIN OPTION",
             "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `dbops_exporter`@`%` IDENTIFIED BY PASSWORD "
             "'*CE61F0EC4E4A28BE7A6FBBF671D15F6D9DF13DE1' WITH MAX_USER_CONNECTIONS 3",
             "GRANT SELECT ON `performance_schema`.* TO `dbops_exporter`@`%`"]
    privileges, roles = mysql_accounts.parse_grants(lines)
    # BINLOG MONITOR is what MariaDB 10.5+ shows for REPLICATION CLIENT: one privilege, one name.
    assert privileges == {'*.*': set(['PROCESS', 'REPLICATION CLIENT', 'SLAVE MONITOR']),
                          'performance_schema.*': set(['SELECT'])}
    assert roles == set()   # the collection's own mark is not a role the account was given
    privileges, roles = mysql_accounts.parse_grants(["GRANT USAGE ON *.* TO `x`@`%`", "GRANT `reader` TO `x`@`%`"])
    assert privileges == {} and roles == set(['reader'])


@pytest.mark.parametrize('lines, ours', [
    (['GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`'], True),
    (['GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`', 'GRANT BACKUP_ADMIN ON *.* TO `repl`@`%`'], True),
    (['GRANT REPLICATION SLAVE, SUPER ON *.* TO `repl`@`%`'], False),
    (['GRANT REPLICATION REPLICA ON *.* TO `repl`@`%`'], True),
    (['GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`', 'GRANT ALL PRIVILEGES ON `app`.* TO `repl`@`%`'], False),
    (['GRANT USAGE ON *.* TO `repl`@`%`'], False),
])
def test_replication_account_of_an_earlier_release(lines, ours):
    assert mysql_repl.looks_like_replication_account(*mysql_accounts.parse_grants(lines)) is ours


# ------------------------------------------------------------------ PostgreSQL
def test_postgres_marks_and_rights():
    assert pg_accounts.purpose_of_comment('dbops.containers: replication') == 'replication'
    assert pg_accounts.purpose_of_comment('the reporting role') is None
    assert pg_accounts.purpose_of_comment(None) is None
    assert pg_accounts.mark_statement('dbops_exporter', 'monitoring') == (
        'COMMENT ON ROLE "dbops_exporter" IS %s', ('dbops.containers: monitoring',))
    assert pg_accounts.admin_rights({'rolsuper': True, 'rolcreaterole': True}) == 'SUPERUSER, CREATEROLE'
    assert pg_accounts.admin_rights({'rolsuper': False, 'rolcreaterole': False, 'rolbypassrls': False}) is None


# ------------------------------------------------------------------ MongoDB (no server here: the plan only)
class _Admin(object):
    def __init__(self, users):
        self.users, self.ran = users, []

    def command(self, document):
        name = next(iter(document))
        if name == 'usersInfo':
            return {'users': self.users, 'ok': 1.0}
        if name == 'hello':
            return {'isWritablePrimary': True, 'ok': 1.0}
        self.ran.append(document)
        return {'ok': 1.0}


class _Client(object):
    def __init__(self, admin):
        self.admin = admin

    def __getitem__(self, name):
        return self.admin


class _Adapter(object):
    def connect(self, *args):
        raise DbopsError('authentication failed', 'login_password')


def _user(name, roles, custom=None):
    info = {'user': name, 'db': 'admin', 'roles': [{'role': r, 'db': d} for r, d in roles]}
    if custom is not None:
        info['customData'] = custom
    return info


def test_mongodb_refuses_a_foreign_user_and_an_administrator_and_runs_nothing():
    admin = _Admin([_user('grafana', [('clusterMonitor', 'admin')])])
    with pytest.raises(DbopsError) as error:
        mongodb_users.ensure(_Client(admin), _Adapter(), 'h', 27017, 'grafana', 'pw', False)
    assert error.value.parameter == 'user' and 'adopt' in error.value.message and admin.ran == []
    admin = _Admin([_user('ops', [('userAdminAnyDatabase', 'admin')])])
    with pytest.raises(DbopsError) as error:
        mongodb_users.ensure(_Client(admin), _Adapter(), 'h', 27017, 'ops', 'pw', False,
                             ownership=mongodb_users.default_ownership())
    assert 'userAdminAnyDatabase@admin' in error.value.message and admin.ran == []
    with pytest.raises(DbopsError):
        mongodb_users.ensure(_Client(_Admin([])), _Adapter(), 'h', 27017, 'admin', 'pw', False)


def test_mongodb_adopt_marks_and_repairs():
    admin = _Admin([_user('grafana', [('readAnyDatabase', 'admin')])])
    rules = mongodb_users.default_ownership()
    rules.adopt = True
    changed, actions = mongodb_users.ensure(_Client(admin), _Adapter(), 'h', 27017, 'grafana', 'pw', False,
                                            ownership=rules)
    assert changed and actions == ['adopt account', 'update user password', 'update user roles']
    assert admin.ran == [{'updateUser': 'grafana', 'pwd': 'pw', 'roles': [dict(r) for r in mongodb_users.ROLES],
                          'customData': {'dbops_containers': 'monitoring'}}]
    assert mongodb_users.marker_of(_user('x', [], {'dbops_containers': 'monitoring'})) == 'monitoring'
    assert mongodb_users.marker_of(_user('x', [], 'not a document')) is None


def test_the_exporters_grants_read_back_as_granted():
    """SHOW GRANTS as MariaDB 11.8 and MySQL 9.7 printed them for the account db_monitoring_user made."""
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import monitoring as mysql_users
    mariadb = ["GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `dbops_exporter`@`%` IDENTIFIED BY PASSWORD "
               "'*CE61F0EC4E4A28BE7A6FBBF671D15F6D9DF13DE1' WITH MAX_USER_CONNECTIONS 3",
               "GRANT SELECT ON `performance_schema`.* TO `dbops_exporter`@`%`"]
    mysql = ["GRANT PROCESS, REPLICATION CLIENT ON *.* TO `dbops_exporter`@`%`",
             "GRANT SELECT ON `performance_schema`.* TO `dbops_exporter`@`%`"]
    assert mysql_accounts.parse_grants(mariadb)[0] == mysql_users.wanted_grants('mariadb')
    assert mysql_accounts.parse_grants(mysql)[0] == mysql_users.wanted_grants('mysql')


@pytest.mark.parametrize('params, parameter', [
    ({'max_connections': 0, 'password': 'pw'}, 'max_connections'),
    ({'max_connections': -1, 'password': 'pw'}, 'max_connections'),
    ({'max_connections': 3, 'password': 'a\nb'}, 'password'),
    ({'max_connections': 3, 'password': 'a\x00b'}, 'password'),
])
def test_monitoring_refuses_values_no_exporter_can_use(params, parameter):
    from ansible_collections.dbops.containers.plugins.module_utils import monitoring
    with pytest.raises(DbopsError) as error:
        monitoring.check_values(params)
    assert error.value.parameter == parameter and error.value.message.endswith('nothing was changed')
    monitoring.check_values({'max_connections': 1, 'password': 'Exp;"orter-pw#1'})
