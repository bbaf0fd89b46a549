# -*- coding: utf-8 -*-
"""The pure parts of db_container's transaction: which setting a failed start blames,
and a refused password told apart from a server that is not up yet."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.provision import (
    blame_setting, first_line, refuses_password)

MYSQL_LOG = """2026-12-06T07:36:06.1Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 9.7.4-2) starting
mysqld: File '/dbops/no/such/dir/binlog.index' not found (OS errno 2 - No such file or directory)
2026-12-06T07:36:06.1Z 0 [ERROR] [MY-010119] [Server] Aborting
"""
POSTGRES_LOG = """2026-12-06 07:35:00.1 UTC [1] LOG:  starting PostgreSQL 18.1
2026-12-06 07:35:00.1 UTC [1] FATAL:  could not access file "dbops_no_such_lib": No such file or directory
2026-12-06 07:35:00.1 UTC [1] LOG:  database system is shut down
"""
MARIADB_UNKNOWN = """2026-12-06  7:35:00 0 [ERROR] mariadbd: unknown variable 'innodb-bufer-pool-size=1G'
2026-12-06  7:35:00 0 [ERROR] Aborting
"""


@pytest.mark.parametrize('log,settings,expected', [
    (MYSQL_LOG, {'log_bin': '/dbops/no/such/dir/binlog', 'max_connections': 100}, 'settings.log_bin'),
    (POSTGRES_LOG, {'work_mem': '8MB', 'shared_preload_libraries': 'dbops_no_such_lib'},
     'settings.shared_preload_libraries'),
    # my.cnf spells names with dashes or underscores; the log may use either.
    (MARIADB_UNKNOWN, {'innodb_bufer_pool_size': '1G'}, 'settings.innodb_bufer_pool_size'),
    (MYSQL_LOG, {'max_connections': 100}, None),
    ('', {'log_bin': 'x'}, None),
])
def test_blame_setting(log, settings, expected):
    parameter, evidence = blame_setting(log, settings)
    assert parameter == expected
    if log:
        assert 'Aborting' in evidence or 'FATAL' in evidence
        assert 'starting' not in evidence  # informational lines are not evidence


def test_a_short_value_is_not_blamed_by_coincidence():
    # "on" appears in many log lines; only values longer than 3 characters are matched.
    assert blame_setting(POSTGRES_LOG, {'fsync': 'on'}) == (None, blame_setting(POSTGRES_LOG, {})[1])


@pytest.mark.parametrize('output,refused', [
    ("ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)", True),
    ('psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication '
     'failed for user "postgres"', True),
    ("ERROR 2003 (HY000): Can't connect to MySQL server on '127.0.0.1:3306' (111)", False),
    ('psql: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused', False),
    ('psql: error: ... FATAL:  the database system is starting up', False),
    ('', False),
    (None, False),
])
def test_refuses_password(output, refused):
    assert refuses_password(output) is refused


def test_first_line():
    assert first_line('  a\nb') == 'a'
    assert first_line('') == '' and first_line(None) == ''
