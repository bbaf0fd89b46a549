# -*- coding: utf-8 -*-
"""monitoring_users (exporter accounts) and volume_files (files in volumes): the pure parts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import tarfile

import pytest

from ansible_collections.dbops.containers.plugins.module_utils import monitoring as users
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import monitoring as mongodb_users
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import monitoring as mysql_users
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import monitoring as postgres_users
from ansible_collections.dbops.containers.plugins.module_utils.docker import volume_files
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError


def test_mysql_grants_are_least_privilege():
    grants = mysql_users.grant_statements('mysql', 'dbops_exporter')
    assert grants == ["GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'dbops_exporter'@'%'",
                      "GRANT SELECT ON performance_schema.* TO 'dbops_exporter'@'%'"]
    # MariaDB 10.5+ needs SLAVE MONITOR for SHOW SLAVE STATUS (the replication series).
    assert 'SLAVE MONITOR' in mysql_users.grant_statements('mariadb', 'dbops_exporter')[0]
    assert not any('ALL' in g or 'SUPER' in g for g in grants)


@pytest.mark.parametrize('exists, password_ok, current, expected', [
    (False, False, None, ['create user']),
    (True, True, 3, []),
    (True, False, 3, ['alter user password']),
    (True, True, 0, ['alter user max_user_connections']),
    (True, False, 10, ['alter user password', 'alter user max_user_connections']),
])
def test_mysql_plan(exists, password_ok, current, expected):
    assert mysql_users.plan(exists, password_ok, current, 3) == expected


SHA2 = 'caching_sha2_password'


@pytest.mark.parametrize('password_ok, current_plugin, plugin, expected', [
    # MySQL 8.0+: an account in place with the wanted plugin needs nothing.
    (True, SHA2, SHA2, []),
    # An 8.0 account left with mysql_native_password (off in 8.4, gone in 9.x): moved, the password kept.
    (True, 'mysql_native_password', SHA2, ['alter user authentication plugin']),
    # A wrong password is repaired by the same ALTER USER ... IDENTIFIED WITH, counted once.
    (False, 'mysql_native_password', SHA2, ['alter user password']),
    # MariaDB (no caching_sha2_password): whatever plugin the account has is kept.
    (True, 'mysql_native_password', None, []),
    (True, 'ed25519', None, []),
])
def test_mysql_plan_moves_the_account_to_the_wanted_plugin(password_ok, current_plugin, plugin, expected):
    assert mysql_users.plan(True, password_ok, 3, 3, current_plugin, plugin) == expected


def test_mysql_plan_creates_with_the_wanted_plugin_in_one_statement():
    assert mysql_users.plan(False, False, None, 3, None, SHA2) == ['create user']
    assert mysql_users.identified_by(SHA2) == 'IDENTIFIED WITH caching_sha2_password BY %s'
    # MariaDB: the server's default plugin; the password stays a statement parameter either way.
    assert mysql_users.identified_by(None) == 'IDENTIFIED BY %s'


@pytest.mark.parametrize('active, expected', [
    (['caching_sha2_password', 'mysql_native_password'], SHA2),   # MySQL 8.0 / 8.4
    (['caching_sha2_password'], SHA2),                            # MySQL 9.x (native password removed)
    ([], None),                                                   # MariaDB: no such plugin
    (iter(['caching_sha2_password']), SHA2),                      # any iterable of names (rows read lazily)
])
def test_mysql_wanted_plugin_is_caching_sha2_where_the_server_has_it(active, expected):
    assert mysql_users.wanted_plugin(active) == expected


@pytest.mark.parametrize('args, expected', [
    ((False, False, False, False, None), ['create role', 'grant pg_monitor']),
    ((True, True, True, True, 3), []),
    ((True, False, True, True, 3), ['alter role login password']),
    ((True, True, False, True, 3), ['alter role login password']),
    ((True, True, True, False, -1), ['alter role connection limit', 'grant pg_monitor']),
])
def test_postgres_plan(args, expected):
    exists, can_login, password_ok, member, limit = args
    assert postgres_users.plan(exists, can_login, password_ok, member, limit, 3, False) == expected


def test_postgres_standby_cannot_create_the_role_and_says_why():
    assert postgres_users.plan(True, True, True, True, 3, 3, True) == []
    with pytest.raises(DbopsError) as error:
        postgres_users.plan(False, False, False, False, None, 3, True)
    assert 'standby' in error.value.message and 'primary' in error.value.message


@pytest.mark.parametrize('name', ['dbops_exporter', 'exp1', '_x'])
def test_good_names(name):
    users.check_name(name)


@pytest.mark.parametrize('name', ['', '1abc', "a'b", 'a"b', 'a b', 'x' * 33, None])
def test_bad_names(name):
    with pytest.raises(DbopsError) as error:
        users.check_name(name)
    assert error.value.parameter == 'user'


def test_reachable_address_skips_closed_ports():
    assert users.reachable_address(['127.0.0.1'], 1, timeout=0.5) is None
    assert users.reachable_address([], 3306) is None


def _tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, content, mode, uid in files:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
                continue
            info.size, info.mode, info.uid = len(content), mode, uid
            tar.addfile(info, io.BytesIO(content))
    return [buf.getvalue()]


def test_volume_files_compare_content_mode_and_owner():
    wanted = volume_files.normalise([
        {'path': './my.cnf', 'content': 'a', 'mode': '0400', 'uid': 65534},
        {'path': 'rules/x.yml', 'content': 'b'},
        {'path': 'same.yml', 'content': 'c'},
    ])
    assert [w['path'] for w in wanted] == ['my.cnf', 'rules/x.yml', 'same.yml']
    state = volume_files.current_state(_tar([('./', None, 0, 0), ('./my.cnf', b'a', 0o644, 65534),
                                             ('./rules', None, 0, 0), ('./rules/x.yml', b'old', 0o644, 0),
                                             ('./same.yml', b'c', 0o644, 0)]))
    changed = volume_files.differences(wanted, state)
    assert [c['path'] for c in changed] == ['my.cnf', 'rules/x.yml']  # mode of my.cnf, content of x.yml
    entries = volume_files.entries_for(changed)
    expected = [('rules', True), ('my.cnf', False), ('rules/x.yml', False)]
    assert [(e.name, e.content is None) for e in entries] == expected


@pytest.mark.parametrize('files', [[{'path': '../etc/passwd'}], [{'path': ''}],
                                   [{'path': 'a'}, {'path': '/a'}], [{'path': 'a', 'mode': 'rw'}]])
def test_volume_files_refuse_bad_paths(files):
    with pytest.raises(DbopsError) as error:
        volume_files.normalise(files)
    assert error.value.parameter == 'files'


# MongoDB: usersInfo and hello answers in the shapes the MongoDB manual documents
# (https://www.mongodb.com/docs/manual/reference/command/usersInfo/, .../command/hello/).
EXPORTER_INFO = {'_id': 'admin.dbops_exporter', 'userId': 'x', 'user': 'dbops_exporter', 'db': 'admin',
                 'roles': [{'role': 'read', 'db': 'local'}, {'role': 'clusterMonitor', 'db': 'admin'}],
                 'mechanisms': ['SCRAM-SHA-1', 'SCRAM-SHA-256'],
                 # The mark db_monitoring_user leaves on the user it creates (common/ownership.py).
                 'customData': {'dbops_containers': 'monitoring'}}


class _Admin(object):
    def __init__(self, users_answer, hello_answer):
        self.users_answer, self.hello_answer, self.ran = users_answer, hello_answer, []

    def command(self, document):
        name = next(iter(document))
        if name == 'usersInfo':
            assert document == {'usersInfo': {'user': 'dbops_exporter', 'db': 'admin'}}
            return self.users_answer
        if name == 'hello':
            return self.hello_answer
        self.ran.append(document)
        return {'ok': 1.0}


class _Client(object):
    def __init__(self, admin):
        self.admin = admin

    def __getitem__(self, name):
        assert name == 'admin'
        return self.admin

    def close(self):
        pass


class _Adapter(object):
    def __init__(self, login_ok):
        self.login_ok, self.logins = login_ok, []

    def connect(self, host, port, user, password, database, timeout):
        self.logins.append((user, database))
        if not self.login_ok:
            raise DbopsError('authentication failed', 'login_password')
        return _Client(None)


def _client_and_close(users_answer, hello_answer):
    admin = _Admin(users_answer, hello_answer)
    return _Client(admin), admin


PRIMARY = {'isWritablePrimary': True, 'setName': 'rs0', 'ok': 1.0}
SECONDARY = {'isWritablePrimary': False, 'secondary': True, 'setName': 'rs0', 'ok': 1.0}


def test_mongodb_roles_are_the_documented_least_privilege():
    assert mongodb_users.plan(EXPORTER_INFO, True, True) == []
    for role in mongodb_users.ROLES:
        assert role['role'] in ('clusterMonitor', 'read')
    assert not any(r['role'].startswith(('readWrite', 'root', 'dbAdmin')) for r in mongodb_users.ROLES)


def test_mongodb_creates_the_user_on_the_primary():
    client, admin = _client_and_close({'users': [], 'ok': 1.0}, PRIMARY)
    adapter = _Adapter(login_ok=False)
    changed, actions = mongodb_users.ensure(client, adapter, '10.0.0.2', 27017, 'dbops_exporter', 'pw-1', False)
    assert changed and actions == ['create user']
    assert admin.ran == [{'createUser': 'dbops_exporter', 'pwd': 'pw-1',
                          'roles': [{'role': 'clusterMonitor', 'db': 'admin'}, {'role': 'read', 'db': 'local'}],
                          'customData': {'dbops_containers': 'monitoring'}}]
    assert adapter.logins == []  # no user: no login attempt


def test_mongodb_user_in_place_changes_nothing():
    client, admin = _client_and_close({'users': [EXPORTER_INFO], 'ok': 1.0}, PRIMARY)
    adapter = _Adapter(login_ok=True)
    assert mongodb_users.ensure(client, adapter, 'h', 27017, 'dbops_exporter', 'pw-1', False) == (False, [])
    assert admin.ran == [] and adapter.logins == [('dbops_exporter', 'admin')]


def test_mongodb_repairs_password_and_extra_roles():
    info = dict(EXPORTER_INFO, roles=EXPORTER_INFO['roles'] + [{'role': 'readWriteAnyDatabase', 'db': 'admin'}])
    client, admin = _client_and_close({'users': [info], 'ok': 1.0}, PRIMARY)
    changed, actions = mongodb_users.ensure(client, _Adapter(login_ok=False), 'h', 27017, 'dbops_exporter', 'pw-2',
                                            False)
    assert changed and actions == ['update user password', 'update user roles']
    assert admin.ran == [{'updateUser': 'dbops_exporter', 'pwd': 'pw-2',
                          'roles': [{'role': 'clusterMonitor', 'db': 'admin'}, {'role': 'read', 'db': 'local'}]}]


def test_mongodb_check_mode_runs_no_command():
    client, admin = _client_and_close({'users': [], 'ok': 1.0}, PRIMARY)
    assert mongodb_users.ensure(client, _Adapter(False), 'h', 27017, 'dbops_exporter', 'pw', True) == (
        True, ['create user'])
    assert admin.ran == []


def test_mongodb_secondary_refuses_and_says_why_but_accepts_a_replicated_user():
    client, admin = _client_and_close({'users': [EXPORTER_INFO], 'ok': 1.0}, SECONDARY)
    assert mongodb_users.ensure(client, _Adapter(True), 'h', 27017, 'dbops_exporter', 'pw', False) == (False, [])
    client, admin = _client_and_close({'users': [], 'ok': 1.0}, SECONDARY)
    with pytest.raises(DbopsError) as error:
        mongodb_users.ensure(client, _Adapter(False), 'h', 27017, 'dbops_exporter', 'pw', False)
    assert 'primary' in error.value.message and error.value.parameter == 'container' and admin.ran == []


def test_mongodb_ignores_a_same_named_user_of_another_database():
    other = dict(EXPORTER_INFO, db='app', _id='app.dbops_exporter')
    client, admin = _client_and_close({'users': [other], 'ok': 1.0}, PRIMARY)
    assert mongodb_users.ensure(client, _Adapter(False), 'h', 27017, 'dbops_exporter', 'pw', False)[1] == [
        'create user']
