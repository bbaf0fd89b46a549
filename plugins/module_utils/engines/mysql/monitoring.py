# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL/MariaDB exporter account (db_monitoring_user).

PROCESS, REPLICATION CLIENT (and SLAVE MONITOR on MariaDB, which SHOW SLAVE
STATUS needs since 10.5), SELECT on performance_schema, at most
``max_user_connections`` connections. Statements run with ``sql_log_bin = 0``:
every server gets its own account, nothing reaches replicas through the binary
log (where a second CREATE USER would stop replication).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_named
from ansible_collections.dbops.containers.plugins.module_utils.monitoring import can_login

# The database the module logs in to when login_db is not set: none, the account is global.
LOGIN_DATABASE = None


def grant_statements(engine, user, host='%'):
    """The GRANT statements the exporter account needs (idempotent by nature)."""
    account = "'%s'@'%s'" % (user, host)
    privileges = flavor_named(engine).monitoring_privileges
    return ['GRANT %s ON *.* TO %s' % (privileges, account),
            'GRANT SELECT ON performance_schema.* TO %s' % account]


def plan(exists, password_ok, current_max_connections, max_connections):
    """Which account statements to run: a list of action names."""
    if not exists:
        return ['create user']
    actions = []
    if not password_ok:
        actions.append('alter user password')
    if current_max_connections is None or int(current_max_connections) != int(max_connections):
        actions.append('alter user max_user_connections')
    return actions


def _grants(conn, account_params):
    """The account's SHOW GRANTS lines, sorted: compared before and after granting."""
    return sorted(tuple(row.values()) for row in rows(conn, "SHOW GRANTS FOR %s@%s", account_params))


def ensure(conn, adapter, host, port, user, password, check_mode, max_connections=3, engine='mysql'):
    """Create or repair the account; (changed, actions). ``engine``: mysql or mariadb (the grants differ)."""
    account_params = (user, '%')
    exists = scalar(conn, "SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", account_params) > 0
    current = None
    if exists:
        current = scalar(conn, "SELECT max_user_connections FROM mysql.user WHERE User = %s AND Host = %s",
                         account_params)
    password_ok = exists and can_login(adapter, host, port, user, password, None)
    actions = plan(exists, password_ok, current, max_connections)
    grants = grant_statements(engine, user)
    before = _grants(conn, account_params) if exists else []
    if check_mode:
        return bool(actions), actions
    execute(conn, 'SET SESSION sql_log_bin = 0')
    if 'create user' in actions:
        execute(conn, "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS " +
                str(int(max_connections)), (user, '%', password))
    if 'alter user password' in actions:
        execute(conn, "ALTER USER %s@%s IDENTIFIED BY %s", (user, '%', password))
    if 'alter user max_user_connections' in actions:
        execute(conn, "ALTER USER %s@%s WITH MAX_USER_CONNECTIONS " + str(int(max_connections)), account_params)
    for statement in grants:
        execute(conn, statement)
    after = _grants(conn, account_params)
    if exists and before != after:
        actions.append('grant privileges')
    elif not exists:
        actions.append('grant privileges')
    return bool(actions), actions
