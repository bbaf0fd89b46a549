# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege accounts for Prometheus exporters (db_monitoring_user).

MySQL/MariaDB: PROCESS, REPLICATION CLIENT (and SLAVE MONITOR on MariaDB, which
SHOW SLAVE STATUS needs since 10.5), SELECT on performance_schema, at most
``max_user_connections`` connections. Statements run with ``sql_log_bin = 0``:
every server gets its own account, nothing reaches replicas through the binary
log (where a second CREATE USER would stop replication).

PostgreSQL: a LOGIN role in ``pg_monitor`` with a connection limit. The
session runs with ``log_statement = none`` so the password never reaches the
server log. A standby is read-only: the role reaches it from its primary.

MongoDB: a user in ``admin`` with the roles Percona's mongodb_exporter documents
(``clusterMonitor`` on admin, ``read`` on local, for the oplog). MongoDB has no
per-user connection limit. Users are replicated: on a secondary the user comes
from the primary (the same refusal as a PostgreSQL standby).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

MYSQL_ENGINES = ('mysql', 'mariadb')
NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,31}$')


def check_name(user):
    if not NAME_RE.match(user or ''):
        raise DbopsError('%r is not a usable exporter account name: letters, digits and _, at most 32 '
                         'characters, not starting with a digit' % user, 'user')


def mysql_grant_statements(engine, user, host='%'):
    """The GRANT statements the exporter account needs (idempotent by nature)."""
    account = "'%s'@'%s'" % (user, host)
    privileges = 'PROCESS, REPLICATION CLIENT'
    if engine == 'mariadb':
        privileges += ', SLAVE MONITOR'
    return ['GRANT %s ON *.* TO %s' % (privileges, account),
            'GRANT SELECT ON performance_schema.* TO %s' % account]


def mysql_plan(exists, password_ok, current_max_connections, max_connections):
    """Which account statements to run: a list of action names."""
    if not exists:
        return ['create user']
    actions = []
    if not password_ok:
        actions.append('alter user password')
    if current_max_connections is None or int(current_max_connections) != int(max_connections):
        actions.append('alter user max_user_connections')
    return actions


def postgres_plan(exists, can_login, password_ok, member, current_limit, max_connections, in_recovery):
    """Which role statements to run: a list of action names (DbopsError on a standby that needs one)."""
    if not exists:
        actions = ['create role', 'grant pg_monitor']
    else:
        actions = []
        if not can_login or not password_ok:
            actions.append('alter role login password')
        if current_limit is None or int(current_limit) != int(max_connections):
            actions.append('alter role connection limit')
        if not member:
            actions.append('grant pg_monitor')
    if actions and in_recovery:
        raise DbopsError('the server is a standby (read-only) and its exporter role needs: %s. The role comes '
                         'from the primary: run db_monitoring_user against the primary first, with the same '
                         'password' % ', '.join(actions), 'container')
    return actions


MONGODB_ROLES = ({'role': 'clusterMonitor', 'db': 'admin'}, {'role': 'read', 'db': 'local'})


def mongodb_roles(user_info):
    """The (role, db) pairs of a usersInfo entry (None: no such user)."""
    if not user_info:
        return None
    return sorted((role.get('role'), role.get('db')) for role in user_info.get('roles') or [])


def mongodb_plan(user_info, password_ok, writable_primary):
    """Which user commands to run: a list of action names (DbopsError on a secondary that needs one).

    ``user_info``: the user's entry of ``usersInfo`` (``{'user', 'db', 'roles': [{'role', 'db'}]}``) or None.
    """
    wanted = sorted((r['role'], r['db']) for r in MONGODB_ROLES)
    roles = mongodb_roles(user_info)
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
        raise DbopsError('the server is not the primary of its replica set and its exporter user needs: %s. Users '
                         'are replicated from the primary: run db_monitoring_user against the primary first, with '
                         'the same password' % ', '.join(actions), 'container')
    return actions


def mongodb_commands(actions, user, password):
    """The admin commands that carry out the plan (documents for ``client.admin.command``)."""
    roles = [dict(role) for role in MONGODB_ROLES]
    commands = []
    if 'create user' in actions:
        commands.append({'createUser': user, 'pwd': password, 'roles': roles})
    update = {}
    if 'update user password' in actions:
        update['pwd'] = password
    if 'update user roles' in actions:
        update['roles'] = roles
    if update:
        commands.append(dict({'updateUser': user}, **update))
    return commands


def reachable_address(addresses, port, timeout=2.0):
    """The first address that accepts a TCP connection on port, or None."""
    for address in addresses:
        try:
            socket.create_connection((address, port), timeout=timeout).close()
            return address
        except (OSError, socket.error):
            continue
    return None


def _rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _can_login(adapter, host, port, user, password, database):
    try:
        conn = adapter.connect(host, port, user, password, database, 5)
    except DbopsError:
        return False
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a working connection cannot matter
        pass
    return True


def ensure_mysql(conn, adapter, engine, host, port, user, password, max_connections, check_mode):
    """Create or repair the account; (changed, actions)."""
    account_params = (user, '%')
    exists = _rows(conn, "SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", account_params)[0][0] > 0
    current = None
    if exists:
        current = _rows(conn, "SELECT max_user_connections FROM mysql.user WHERE User = %s AND Host = %s",
                        account_params)[0][0]
    password_ok = exists and _can_login(adapter, host, port, user, password, None)
    actions = mysql_plan(exists, password_ok, current, max_connections)
    grants = mysql_grant_statements(engine, user)
    before = _rows(conn, "SHOW GRANTS FOR %s@%s", account_params) if exists else ()
    if check_mode:
        return bool(actions), actions
    _rows(conn, 'SET SESSION sql_log_bin = 0')
    if 'create user' in actions:
        _rows(conn, "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS " +
              str(int(max_connections)), (user, '%', password))
    if 'alter user password' in actions:
        _rows(conn, "ALTER USER %s@%s IDENTIFIED BY %s", (user, '%', password))
    if 'alter user max_user_connections' in actions:
        _rows(conn, "ALTER USER %s@%s WITH MAX_USER_CONNECTIONS " + str(int(max_connections)), account_params)
    for statement in grants:
        _rows(conn, statement)
    after = _rows(conn, "SHOW GRANTS FOR %s@%s", account_params)
    if exists and sorted(before) != sorted(after):
        actions.append('grant privileges')
    elif not exists:
        actions.append('grant privileges')
    return bool(actions), actions


def ensure_postgres(conn, adapter, host, port, user, password, max_connections, check_mode):
    """Create or repair the role; (changed, actions)."""
    # The shared connection helper opens read-only sessions (made for audits).
    _rows(conn, "SET default_transaction_read_only = off")
    _rows(conn, "SET log_statement = 'none'")
    rows = _rows(conn, "SELECT rolcanlogin, rolconnlimit, pg_has_role(rolname, 'pg_monitor', 'MEMBER') "
                       "FROM pg_roles WHERE rolname = %s", (user,))
    in_recovery = _rows(conn, 'SELECT pg_is_in_recovery()')[0][0]
    exists = bool(rows)
    can_login, limit, member = rows[0] if rows else (False, None, False)
    password_ok = exists and can_login and _can_login(adapter, host, port, user, password, 'postgres')
    actions = postgres_plan(exists, can_login, password_ok, member, limit, max_connections, in_recovery)
    if check_mode or not actions:
        return bool(actions), actions
    quoted = '"%s"' % user  # check_name allows no quotes
    if 'create role' in actions:
        _rows(conn, 'CREATE ROLE %s LOGIN PASSWORD %%s CONNECTION LIMIT %d' % (quoted, int(max_connections)),
              (password,))
    if 'alter role login password' in actions:
        _rows(conn, 'ALTER ROLE %s LOGIN PASSWORD %%s' % quoted, (password,))
    if 'alter role connection limit' in actions:
        _rows(conn, 'ALTER ROLE %s CONNECTION LIMIT %d' % (quoted, int(max_connections)))
    if 'grant pg_monitor' in actions:
        _rows(conn, 'GRANT pg_monitor TO %s' % quoted)
    return True, actions


def ensure_mongodb(client, adapter, host, port, user, password, check_mode):
    """Create or repair the user; (changed, actions). ``client`` is a pymongo client logged in as the superuser."""
    admin = client['admin']
    answer = admin.command({'usersInfo': {'user': user, 'db': 'admin'}})
    found = [entry for entry in answer.get('users') or [] if entry.get('user') == user and entry.get('db') == 'admin']
    info = found[0] if found else None
    hello = admin.command({'hello': 1})
    password_ok = info is not None and _can_login(adapter, host, port, user, password, 'admin')
    actions = mongodb_plan(info, password_ok, bool(hello.get('isWritablePrimary', hello.get('ismaster'))))
    if check_mode or not actions:
        return bool(actions), actions
    for command in mongodb_commands(actions, user, password):
        admin.command(command)
    return True, actions
