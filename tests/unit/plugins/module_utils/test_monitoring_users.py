# -*- coding: utf-8 -*-
"""monitoring_users (exporter accounts) and volume_files (files in volumes): the pure parts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import tarfile

import pytest

from ansible_collections.dbops.containers.plugins.module_utils import monitoring_users as users
from ansible_collections.dbops.containers.plugins.module_utils import volume_files
from ansible_collections.dbops.containers.plugins.module_utils.errors import DbopsError


def test_mysql_grants_are_least_privilege():
    grants = users.mysql_grant_statements('mysql', 'dbops_exporter')
    assert grants == ["GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'dbops_exporter'@'%'",
                      "GRANT SELECT ON performance_schema.* TO 'dbops_exporter'@'%'"]
    # MariaDB 10.5+ needs SLAVE MONITOR for SHOW SLAVE STATUS (the replication series).
    assert 'SLAVE MONITOR' in users.mysql_grant_statements('mariadb', 'dbops_exporter')[0]
    assert not any('ALL' in g or 'SUPER' in g for g in grants)


@pytest.mark.parametrize('exists, password_ok, current, expected', [
    (False, False, None, ['create user']),
    (True, True, 3, []),
    (True, False, 3, ['alter user password']),
    (True, True, 0, ['alter user max_user_connections']),
    (True, False, 10, ['alter user password', 'alter user max_user_connections']),
])
def test_mysql_plan(exists, password_ok, current, expected):
    assert users.mysql_plan(exists, password_ok, current, 3) == expected


@pytest.mark.parametrize('args, expected', [
    ((False, False, False, False, None), ['create role', 'grant pg_monitor']),
    ((True, True, True, True, 3), []),
    ((True, False, True, True, 3), ['alter role login password']),
    ((True, True, False, True, 3), ['alter role login password']),
    ((True, True, True, False, -1), ['alter role connection limit', 'grant pg_monitor']),
])
def test_postgres_plan(args, expected):
    exists, can_login, password_ok, member, limit = args
    assert users.postgres_plan(exists, can_login, password_ok, member, limit, 3, False) == expected


def test_postgres_standby_cannot_create_the_role_and_says_why():
    assert users.postgres_plan(True, True, True, True, 3, 3, True) == []
    with pytest.raises(DbopsError) as error:
        users.postgres_plan(False, False, False, False, None, 3, True)
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
        {'path': '/my.cnf', 'content': 'a', 'mode': '0400', 'uid': 65534},
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
