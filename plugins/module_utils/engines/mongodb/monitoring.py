# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MongoDB exporter user (db_monitoring_user).

A user in ``admin`` with the roles Percona's mongodb_exporter documents
(``clusterMonitor`` on admin, ``read`` on local, for the oplog). MongoDB has no
per-user connection limit. Users are replicated: on a secondary the user comes
from the primary (the same refusal as a PostgreSQL standby).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import (
    AccountFacts, Ownership, marking_needed)
from ansible_collections.dbops.containers.plugins.module_utils.monitoring import can_login, refuse_on_replica

# The database the module logs in to when login_db is not set: none, the client authenticates against admin.
LOGIN_DATABASE = None
# Where the exporter's user lives (and the password check authenticates).
USER_DATABASE = 'admin'
ROLES = ({'role': 'clusterMonitor', 'db': 'admin'}, {'role': 'read', 'db': 'local'})
# The user name when the module's user option is not set.
DEFAULT_USER = 'dbops_exporter'
# The mark in customData (no dot in the key: MongoDB before 5.0 refuses dotted field names).
MARK_KEY = 'dbops_containers'
MARK_DATA = {MARK_KEY: 'monitoring'}
# Roles that make a user an administrator (MongoDB manual, "Built-In Roles").
ADMIN_ROLES = ('root', 'userAdminAnyDatabase', 'userAdmin', 'dbOwner', 'clusterAdmin', 'dbAdminAnyDatabase',
               'restore', '__system')


def roles_of(user_info):
    """The (role, db) pairs of a usersInfo entry (None: no such user)."""
    if not user_info:
        return None
    return sorted((role.get('role'), role.get('db')) for role in user_info.get('roles') or [])


def plan(user_info, password_ok, writable_primary):
    """Which user commands to run: a list of action names (DbopsError on a secondary that needs one).

    ``user_info``: the user's entry of ``usersInfo`` (``{'user', 'db', 'roles': [{'role', 'db'}]}``) or None.
    """
    wanted = sorted((r['role'], r['db']) for r in ROLES)
    roles = roles_of(user_info)
    if roles is None:
        actions = ['create user']
    else:
        actions = []
        if not password_ok:
            actions.append('update user password')
        if roles != wanted:
            # Exactly the documented roles: a role granted by hand (readWriteAnyDatabase, ...) is taken away.
            actions.append('update user roles')
    if actions and not writable_primary:
        refuse_on_replica(actions, 'the server is not the primary of its replica set', 'user',
                          'Users are replicated from the primary')
    return actions


def commands(actions, user, password):
    """The admin commands that carry out the plan (documents for ``client.admin.command``)."""
    roles = [dict(role) for role in ROLES]
    documents = []
    if 'create user' in actions:
        documents.append({'createUser': user, 'pwd': password, 'roles': roles, 'customData': MARK_DATA})
    update = {}
    if 'update user password' in actions:
        update['pwd'] = password
    if 'update user roles' in actions:
        update['roles'] = roles
    if marking_needed(actions):
        update['customData'] = MARK_DATA
    if update:
        documents.append(dict({'updateUser': user}, **update))
    return documents


def marker_of(user_info):
    """The purpose a usersInfo entry's customData names, or None. Pure."""
    data = (user_info or {}).get('customData') or {}
    return data.get(MARK_KEY) if isinstance(data, dict) else None


def admin_roles(user_info):
    """A text naming the administrator roles of a usersInfo entry, or None. Pure."""
    held = sorted('%s@%s' % (role, db) for role, db in roles_of(user_info) or () if role in ADMIN_ROLES)
    return ', '.join(held) or None


def default_ownership():
    """The rules when the caller gives none (the superuser's name alone): used by tests and older callers."""
    return Ownership('monitoring', 'user', 'adopt', 'exporter account', DEFAULT_USER, {'admin': 'the superuser'},
                     changes='its password and roles')


def ensure(client, adapter, host, port, user, password, check_mode, max_connections=None, engine=None,
           ownership=None):
    """Create or repair the user; (changed, actions). ``client`` is a pymongo client logged in as the superuser.

    ``max_connections`` does not apply: MongoDB has no per-user connection limit. ``ownership``
    (common/ownership.py) refuses, before any change, a user the collection did not create; the user it
    creates carries the mark in its customData.
    """
    ownership = ownership or default_ownership()
    ownership.check_name(user)
    admin = client[USER_DATABASE]
    answer = admin.command({'usersInfo': {'user': user, 'db': USER_DATABASE}})
    found = [entry for entry in answer.get('users') or []
             if entry.get('user') == user and entry.get('db') == USER_DATABASE]
    info = found[0] if found else None
    hello = admin.command({'hello': 1})
    writable = bool(hello.get('isWritablePrimary', hello.get('ismaster')))
    login = {}

    def password_ok():
        if 'ok' not in login:
            login['ok'] = info is not None and can_login(adapter, host, port, user, password, USER_DATABASE)
        return login['ok']

    def like_ours():
        return roles_of(info) == sorted((r['role'], r['db']) for r in ROLES) and password_ok()

    owning = ownership.judge(user, AccountFacts(info is not None, marker_of(info), admin_roles(info), like_ours))
    if owning and not writable:
        refuse_on_replica(owning, 'the server is not the primary of its replica set', 'user',
                          'Users are replicated from the primary')
    actions = owning + plan(info, password_ok(), writable)
    if check_mode or not actions:
        return bool(actions), actions
    for command in commands(actions, user, password):
        admin.command(command)
    return True, actions
