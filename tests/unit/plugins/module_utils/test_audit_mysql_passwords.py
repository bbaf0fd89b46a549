# -*- coding: utf-8 -*-
"""Which stored password hashes the MySQL-family audit calls guessable (security.weak_password).

The hashes are the servers' documented answers: the MySQL 5.7 manual's PASSWORD('mypass')
example, and what MariaDB 11.8 and MySQL 8.0 store for mysql_native_password accounts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import audit as audit_mysql
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.security import (
    guessable_password, native_password_hash)

# SELECT PASSWORD('mypass') in the MySQL 5.7 manual (Encryption and Compression Functions).
MYPASS = '*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4'
# SELECT PASSWORD('password'), as MariaDB answers (the hash of the most common password).
PASSWORD = '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'


def test_hash_is_the_servers_password_function():
    assert native_password_hash('mypass') == MYPASS
    assert native_password_hash('password') == PASSWORD


@pytest.mark.parametrize('user,plugin,secret', [
    ('analyst', 'mysql_native_password', PASSWORD),                               # a common password
    ('analyst', 'mysql_native_password', PASSWORD.lower()),                       # hex case does not matter
    ('analyst', 'mysql_native_password', native_password_hash('Password')),       # capitalised
    ('analyst', 'mysql_native_password', native_password_hash('PASSWORD')),       # capitals
    ('mypass', 'mysql_native_password', MYPASS),                                  # the user name as password
    ('Mypass', 'mysql_native_password', MYPASS.encode()),                         # bytes, a variant of the name
    ('legacy', '', native_password_hash('qwerty')),                               # MariaDB: no plugin, Password column
])
def test_guessable(user, plugin, secret):
    assert guessable_password(user, plugin, secret)


@pytest.mark.parametrize('user,plugin,secret', [
    ('analyst', 'mysql_native_password', MYPASS),                                 # not common, not the name
    ('analyst', 'mysql_native_password', native_password_hash('x7-Vq!rM2#kLpZ')),
    ('analyst', 'mysql_native_password', ''),                                     # no password: another check
    ('analyst', 'mysql_native_password', None),
    ('analyst', 'unix_socket', ''),
    # caching_sha2_password is salted ($A$005$...): not comparable offline, so never called guessable.
    ('analyst', 'caching_sha2_password', '$A$005$' + 'x' * 63),
    ('analyst', 'ed25519', 'ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY'),
])
def test_not_guessable(user, plugin, secret):
    assert not guessable_password(user, plugin, secret)


class Cursor(object):
    """mysql.user as the server answers SELECT * (only the columns the collector reads)."""
    description = [('User',), ('Host',), ('plugin',), ('authentication_string',), ('account_locked',)]

    def __init__(self, rows):
        self.rows = rows

    def execute(self, sql, args=None):
        pass

    def fetchall(self):
        return self.rows


def test_collector_keeps_the_answer_not_the_hash():
    cursor = Cursor([('analyst', '%', 'mysql_native_password', PASSWORD, 'N'),
                     ('app', '%', 'mysql_native_password', MYPASS, 'N')])
    accounts = audit_mysql._accounts(cursor, [])
    assert [(a['user'], a['guessable_password']) for a in accounts] == [('analyst', True), ('app', False)]
    assert PASSWORD not in repr(accounts) and MYPASS not in repr(accounts)
