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

from ansible_collections.dbops.containers.plugins.module_utils.monitoring import can_login, refuse_on_replica

# The database the module logs in to when login_db is not set: none, the client authenticates against admin.
LOGIN_DATABASE = None
# Where the exporter's user lives (and the password check authenticates).
USER_DATABASE = 'admin'
ROLES = ({'role': 'clusterMonitor', 'db': 'admin'}, {'role': 'read', 'db': 'local'})


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
        documents.append({'createUser': user, 'pwd': password, 'roles': roles})
    update = {}
    if 'update user password' in actions:
        update['pwd'] = password
    if 'update user roles' in actions:
        update['roles'] = roles
    if update:
        documents.append(dict({'updateUser': user}, **update))
    return documents


def ensure(client, adapter, host, port, user, password, check_mode, max_connections=None, engine=None):
    """Create or repair the user; (changed, actions). ``client`` is a pymongo client logged in as the superuser.

    ``max_connections`` does not apply: MongoDB has no per-user connection limit.
    """
    admin = client[USER_DATABASE]
    answer = admin.command({'usersInfo': {'user': user, 'db': USER_DATABASE}})
    found = [entry for entry in answer.get('users') or []
             if entry.get('user') == user and entry.get('db') == USER_DATABASE]
    info = found[0] if found else None
    hello = admin.command({'hello': 1})
    password_ok = info is not None and can_login(adapter, host, port, user, password, USER_DATABASE)
    actions = plan(info, password_ok, bool(hello.get('isWritablePrimary', hello.get('ismaster'))))
    if check_mode or not actions:
        return bool(actions), actions
    for command in commands(actions, user, password):
        admin.command(command)
    return True, actions
