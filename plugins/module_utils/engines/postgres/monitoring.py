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

from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import (
    AccountFacts, Ownership, marking_needed)
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import accounts
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import quote_ident
from ansible_collections.dbops.containers.plugins.module_utils.monitoring import can_login, refuse_on_replica

# The database the module logs in to when login_db is not set.
LOGIN_DATABASE = 'postgres'
# The role name when the module's user option is not set.
DEFAULT_USER = 'dbops_exporter'


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


def default_ownership():
    """The rules when the caller gives none (the superuser's name alone): used by tests and older callers."""
    return Ownership('monitoring', 'user', 'adopt', 'exporter account', DEFAULT_USER,
                     {'postgres': 'the superuser'}, changes='its password, connection limit and privileges')


def ensure(conn, adapter, host, port, user, password, check_mode, max_connections=3, engine=None, ownership=None):
    """Create or repair the role; (changed, actions). ``conn`` is an admin (read-write) session.

    ``ownership`` (common/ownership.py) refuses, before any change, a role the collection did not create;
    the role it creates carries its mark (engines/postgres/accounts.py).
    """
    ownership = ownership or default_ownership()
    ownership.check_name(user)
    execute(conn, "SET log_statement = 'none'")
    role = accounts.read_role(conn, user)
    in_recovery = scalar(conn, 'SELECT pg_is_in_recovery()')
    exists = role is not None
    role = role or {'rolcanlogin': False, 'member_of': [], 'comment': None}
    can_log_in = role['rolcanlogin']
    login = {}

    def password_ok():
        if 'ok' not in login:
            login['ok'] = exists and can_log_in and can_login(adapter, host, port, user, password, LOGIN_DATABASE)
        return login['ok']

    def like_ours():
        return role['member_of'] == ['pg_monitor'] and not role.get('rolreplication') and password_ok()

    facts = AccountFacts(exists, marker=accounts.purpose_of_comment(role['comment']),
                         admin=accounts.admin_rights(role) if exists else None, like_ours=like_ours)
    owning = ownership.judge(user, facts)
    if owning and in_recovery:
        refuse_on_replica(owning, 'the server is a standby (read-only)', 'role', 'The role comes from the primary')
    actions = owning + plan(exists, can_log_in, password_ok(), 'pg_monitor' in role['member_of'],
                            role.get('rolconnlimit'), max_connections, in_recovery)
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
    if marking_needed(owning):
        # An adopted role keeps no membership and no attribute the exporter does not need.
        for group in role['member_of']:
            if group != 'pg_monitor':
                execute(conn, 'REVOKE %s FROM %s' % (quote_ident(group), quoted))
        execute(conn, 'ALTER ROLE %s NOREPLICATION' % quoted)
    if 'create role' in actions or marking_needed(owning):
        execute(conn, *accounts.mark_statement(user, 'monitoring'))
    return True, actions
