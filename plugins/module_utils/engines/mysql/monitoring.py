# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL/MariaDB exporter account (db_monitoring_user).

PROCESS, REPLICATION CLIENT (and SLAVE MONITOR on MariaDB, which SHOW SLAVE
STATUS needs since 10.5), SELECT on performance_schema, at most
``max_user_connections`` connections. Statements run with ``sql_log_bin = 0``:
every server gets its own account, nothing reaches replicas through the binary
log (where a second CREATE USER would stop replication).

Where the server has ``caching_sha2_password`` (MySQL 8.0 and later; the only
password plugin MySQL 9.x keeps, mysql_native_password is gone), the account
is made with it whatever the server's default, and an account left with another
plugin (an 8.0 server upgraded to 8.4, where mysql_native_password is off) is
moved to it. mysqld_exporter's Go driver logs in over TCP without TLS: after
the SHA-256 challenge, a full authentication (the first login after a restart)
sends the password encrypted with the server's RSA public key, which the driver
asks the server for; the password never crosses the network in clear text.
MariaDB has no such plugin: the account keeps the server's default.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import (
    MARK, AccountFacts, Ownership, marking_needed)
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import accounts
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_named
from ansible_collections.dbops.containers.plugins.module_utils.monitoring import can_login

# The database the module logs in to when login_db is not set: none, the account is global.
LOGIN_DATABASE = None
# The account name when the module's user option is not set.
DEFAULT_USER = 'dbops_exporter'
# The authentication plugin the account gets where the server has it active.
PREFERRED_PLUGIN = 'caching_sha2_password'


def grant_statements(engine, user, host='%'):
    """The GRANT statements the exporter account needs (idempotent by nature)."""
    account = "'%s'@'%s'" % (user, host)
    privileges = flavor_named(engine).monitoring_privileges
    return ['GRANT %s ON *.* TO %s' % (privileges, account),
            'GRANT SELECT ON performance_schema.* TO %s' % account]


def wanted_plugin(active_plugins):
    """The plugin to create the account with: PREFERRED_PLUGIN when active on the server, else None (the default)."""
    return PREFERRED_PLUGIN if PREFERRED_PLUGIN in set(active_plugins or ()) else None


def plan(exists, password_ok, current_max_connections, max_connections, current_plugin=None, plugin=None):
    """Which account statements to run: a list of action names.

    ``plugin``: the authentication plugin the account must use (None: whatever it has); ``current_plugin``
    the one it has. A wrong password or plugin is repaired by one ALTER USER ... IDENTIFIED [WITH ...] BY.
    """
    if not exists:
        return ['create user']
    actions = []
    if not password_ok:
        actions.append('alter user password')
    elif plugin and current_plugin != plugin:
        actions.append('alter user authentication plugin')
    if current_max_connections is None or int(current_max_connections) != int(max_connections):
        actions.append('alter user max_user_connections')
    return actions


def identified_by(plugin):
    """The IDENTIFIED clause (the password is the statement's parameter)."""
    return 'IDENTIFIED WITH %s BY %%s' % plugin if plugin else 'IDENTIFIED BY %s'


def _grants(conn, account_params):
    """The account's SHOW GRANTS lines, sorted, without the collection's mark: compared before and after granting."""
    return sorted(line for line in accounts.grant_lines(conn, *account_params) if MARK not in line)


def wanted_grants(engine):
    """{object: privileges} the exporter account has, as parse_grants reads SHOW GRANTS. Pure."""
    privileges = accounts.canonical(flavor_named(engine).monitoring_privileges.split(','))
    return {'*.*': privileges, 'performance_schema.*': set(['SELECT'])}


def default_ownership():
    """The rules when the caller gives none (the superuser names alone): used by tests and older callers."""
    return Ownership('monitoring', 'user', 'adopt', 'exporter account', DEFAULT_USER, {'root': 'the superuser'},
                     changes='its password, connection limit and privileges')


def ensure(conn, adapter, host, port, user, password, check_mode, max_connections=3, engine='mysql',
           ownership=None):
    """Create or repair the account; (changed, actions). ``engine``: mysql or mariadb (the grants differ).

    ``ownership`` (common/ownership.py) refuses, before any change, an account the collection did not
    create; the account it creates carries its mark (engines/mysql/accounts.py).
    """
    ownership = ownership or default_ownership()
    ownership.check_name(user)
    account_params = (user, '%')
    found = rows(conn, "SELECT max_user_connections, plugin FROM mysql.user WHERE User = %s AND Host = %s",
                 account_params)
    exists = bool(found)
    current, current_plugin = (found[0]['max_user_connections'], found[0]['plugin']) if found else (None, None)
    style = accounts.marker_style(conn)
    other_hosts = [h for h in accounts.hosts_of(conn, user) if h != '%']
    login = {}

    def password_ok():
        if 'ok' not in login:
            login['ok'] = exists and can_login(adapter, host, port, user, password, None)
        return login['ok']

    def like_ours():
        privileges, roles = accounts.parse_grants(accounts.grant_lines(conn, user, '%'))
        return not roles and not other_hosts and privileges == wanted_grants(engine) and password_ok()

    facts = AccountFacts(exists or bool(other_hosts),
                         marker=accounts.read_marker(conn, user, '%', style) if exists else None,
                         admin=accounts.admin_rights(conn, user), like_ours=like_ours)
    owning = ownership.judge(user, facts)
    plugin = wanted_plugin(row['PLUGIN_NAME'] for row in rows(
        conn, "SELECT PLUGIN_NAME FROM information_schema.PLUGINS WHERE PLUGIN_NAME = %s AND PLUGIN_STATUS = 'ACTIVE'",
        (PREFERRED_PLUGIN,)))
    actions = owning + plan(exists, password_ok(), current, max_connections, current_plugin, plugin)
    grants = grant_statements(engine, user)
    before = _grants(conn, account_params) if exists else []
    if check_mode:
        return bool(actions), actions
    execute(conn, 'SET SESSION sql_log_bin = 0')
    if 'create user' in actions:
        execute(conn, "CREATE USER IF NOT EXISTS %s@%s " + identified_by(plugin) + " WITH MAX_USER_CONNECTIONS " +
                str(int(max_connections)), (user, '%', password))
    if 'alter user password' in actions or 'alter user authentication plugin' in actions:
        execute(conn, "ALTER USER %s@%s " + identified_by(plugin), (user, '%', password))
    if 'alter user max_user_connections' in actions:
        execute(conn, "ALTER USER %s@%s WITH MAX_USER_CONNECTIONS " + str(int(max_connections)), account_params)
    if marking_needed(owning):
        # An adopted account keeps no privilege the exporter does not need.
        _revoke_all(conn, user)
    for statement in grants:
        execute(conn, statement)
    if 'create user' in actions or marking_needed(owning):
        for statement, params in accounts.mark_statements(user, '%', 'monitoring', style):
            execute(conn, statement, params)
    after = _grants(conn, account_params)
    if exists and before != after:
        actions.append('grant privileges')
    elif not exists:
        actions.append('grant privileges')
    return bool(actions), actions


def _revoke_all(conn, user):
    execute(conn, 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s', (user, '%'))
