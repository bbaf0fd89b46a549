# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL exporter role (db_monitoring_user).

A LOGIN role in ``pg_monitor`` with a connection limit. The session runs with
``log_statement = none`` so the password never reaches the server log. A
standby is read-only: the role reaches it from its primary.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.monitoring import can_login, refuse_on_replica

# The database the module logs in to when login_db is not set.
LOGIN_DATABASE = 'postgres'


def plan(exists, can_log_in, password_ok, member, current_limit, max_connections, in_recovery):
    """Which role statements to run: a list of action names (DbopsError on a standby that needs one)."""
    if not exists:
        actions = ['create role', 'grant pg_monitor']
    else:
        actions = []
        if not can_log_in or not password_ok:
            actions.append('alter role login password')
        if current_limit is None or int(current_limit) != int(max_connections):
            actions.append('alter role connection limit')
        if not member:
            actions.append('grant pg_monitor')
    if actions and in_recovery:
        refuse_on_replica(actions, 'the server is a standby (read-only)', 'role', 'The role comes from the primary')
    return actions


def ensure(conn, adapter, host, port, user, password, check_mode, max_connections=3, engine=None):
    """Create or repair the role; (changed, actions). ``conn`` is an admin (read-write) session."""
    execute(conn, "SET log_statement = 'none'")
    found = rows(conn, "SELECT rolcanlogin, rolconnlimit, pg_has_role(rolname, 'pg_monitor', 'MEMBER') "
                       "FROM pg_roles WHERE rolname = %s", (user,))
    in_recovery = scalar(conn, 'SELECT pg_is_in_recovery()')
    exists = bool(found)
    role = found[0] if found else {'rolcanlogin': False, 'rolconnlimit': None, 'pg_has_role': False}
    can_log_in = role['rolcanlogin']
    password_ok = exists and can_log_in and can_login(adapter, host, port, user, password, LOGIN_DATABASE)
    actions = plan(exists, can_log_in, password_ok, role['pg_has_role'], role['rolconnlimit'], max_connections,
                   in_recovery)
    if check_mode or not actions:
        return bool(actions), actions
    quoted = '"%s"' % user  # check_name allows no quotes
    if 'create role' in actions:
        execute(conn, 'CREATE ROLE %s LOGIN PASSWORD %%s CONNECTION LIMIT %d' % (quoted, int(max_connections)),
                (password,))
    if 'alter role login password' in actions:
        execute(conn, 'ALTER ROLE %s LOGIN PASSWORD %%s' % quoted, (password,))
    if 'alter role connection limit' in actions:
        execute(conn, 'ALTER ROLE %s CONNECTION LIMIT %d' % (quoted, int(max_connections)))
    if 'grant pg_monitor' in actions:
        execute(conn, 'GRANT pg_monitor TO %s' % quoted)
    return True, actions
