# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mark on the MySQL and MariaDB accounts the collection creates, and what an account may not be.

MySQL 8.0.21 and later keep a JSON object per account (``ATTRIBUTE``, read back from
``information_schema.USER_ATTRIBUTES``); ``ALTER USER ... ATTRIBUTE`` merges into it, so a comment
or another tool's attribute stays. The mark is ``{"dbops.containers": "<purpose>"}``.

MariaDB has no account attributes and no account comment. The mark there is a role with no
privileges, one per account, ``dbops.containers:<purpose>:<user>``, created ``WITH ADMIN`` the
account itself: one statement creates the role and grants it to the account, and no other
account (the superuser who runs the statement included) gets it. It is visible where an
operator looks (``SHOW GRANTS`` shows ``GRANT `dbops.containers:monitoring:...` TO ...``),
travels with the account in a dump of the grants, and replicates like the account does
(with the binary log for the replication account, not at all for the exporter's, which is
made with ``sql_log_bin = 0`` on each server). Other choices were weighed: a row in a table
of ours would replicate and be lost from a grants dump; a key added to ``mysql.global_priv``
by UPDATE works but writes a system table behind the server's back; "grants exactly ours"
alone cannot tell our account from someone else's exporter account.

Which of the two a server has is asked of the server (the USER_ATTRIBUTES view), not decided
from its name.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import MARK
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import rows, scalar

ATTRIBUTE = 'attribute'
ROLE = 'role'
# The privileges that make an account an administrator (mysql.user columns, MySQL and MariaDB alike).
ADMIN_COLUMNS = (('Super_priv', 'SUPER'), ('Create_user_priv', 'CREATE USER'), ('Grant_priv', 'GRANT OPTION'))


def marker_style(conn):
    """ATTRIBUTE where the server keeps account attributes (MySQL 8.0.21+), else ROLE (MariaDB)."""
    found = scalar(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'information_schema' "
                         "AND TABLE_NAME = 'USER_ATTRIBUTES'")
    return ATTRIBUTE if int(found or 0) else ROLE


def role_name(purpose, user):
    return '%s:%s:%s' % (MARK, purpose, user)


def purpose_of_attribute(text):
    """The purpose an account's ATTRIBUTE JSON names, or None. Pure."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value.get(MARK) if isinstance(value, dict) else None


def purpose_of_roles(role_names):
    """The purpose of the first dbops.containers role among role_names, or None. Pure."""
    for name in sorted(role_names or ()):
        if name and name.startswith(MARK + ':'):
            return name.split(':')[1] or None
    return None


def read_marker(conn, user, host, style):
    """The purpose the account user@host is marked with, or None."""
    if style == ATTRIBUTE:
        found = rows(conn, 'SELECT ATTRIBUTE AS attribute FROM information_schema.USER_ATTRIBUTES '
                           'WHERE USER = %s AND HOST = %s', (user, host))
        return purpose_of_attribute(found[0]['attribute']) if found else None
    found = rows(conn, 'SELECT Role AS role FROM mysql.roles_mapping WHERE User = %s AND Host = %s',
                 (user, host))
    return purpose_of_roles(_text(row['role']) for row in found)


def mark_statements(user, host, purpose, style):
    """[(sql, params)] that mark user@host as the collection's account for purpose."""
    if style == ATTRIBUTE:
        return [('ALTER USER %s@%s ATTRIBUTE %s', (user, host, json.dumps({MARK: purpose})))]
    role = role_name(purpose, user)
    # A role left by a dropped account would make CREATE ROLE fail, and only its admin may grant it.
    return [('DROP ROLE IF EXISTS %s', (role,)),
            ('CREATE ROLE %s WITH ADMIN %s@%s', (role, user, host))]


def admin_rights(conn, user):
    """A text naming the administrator privileges of any account called user (any host), or None."""
    columns = ', '.join('%s AS %s' % (column, column.lower()) for column, _name in ADMIN_COLUMNS)
    found = rows(conn, 'SELECT Host AS host, ' + columns + ' FROM mysql.user WHERE User = %s', (user,))
    held = []
    for row in found:
        for column, name in ADMIN_COLUMNS:
            if str(_text(row[column.lower()])).upper() == 'Y' and name not in held:
                held.append(name)
    return ', '.join(held) or None


def hosts_of(conn, user):
    """The hosts an account named user exists for (roles excluded)."""
    return sorted(_text(row['host']) for row in rows(conn, "SELECT Host AS host FROM mysql.user WHERE User = %s "
                                                           "AND Host <> ''", (user,)))


_GRANT_RE = re.compile(r'^GRANT (?P<privileges>.+?) ON (?P<object>\S+) TO ')
# One privilege, two names: MariaDB 10.5+ shows REPLICATION CLIENT as BINLOG MONITOR, and accepts
# REPLICA for SLAVE (MariaDB KB, "GRANT", Global Privileges). Compared by the first name.
PRIVILEGE_ALIASES = {'BINLOG MONITOR': 'REPLICATION CLIENT', 'REPLICA MONITOR': 'SLAVE MONITOR',
                     'REPLICATION REPLICA': 'REPLICATION SLAVE'}


def canonical(privileges):
    """The privilege names with each alias replaced by the name the statements use. Pure."""
    return set(PRIVILEGE_ALIASES.get(name.strip().upper(), name.strip().upper()) for name in privileges)


def parse_grants(lines):
    """SHOW GRANTS lines -> ({object: set of privileges}, set of granted roles). Pure.

    Objects lose their quotes (`performance_schema`.* -> performance_schema.*); aliases become one name
    (``canonical``); USAGE is no privilege;
    the collection's own mark (a dbops.containers role) is not counted as a role.
    """
    privileges, roles = {}, set()
    for line in lines:
        line = _text(line)
        match = _GRANT_RE.match(line)
        if match:
            names = canonical(match.group('privileges').split(',')) - set(['USAGE'])
            if names:
                target = match.group('object').replace('`', '')
                privileges.setdefault(target, set()).update(names)
            continue
        role = re.match(r'^GRANT (.+?) TO ', line)
        if role:
            for name in role.group(1).split(','):
                name = name.strip().strip('`\'"')
                if not name.startswith(MARK + ':'):
                    roles.add(name)
    return privileges, roles


def grant_lines(conn, user, host):
    return [_text(list(row.values())[0]) for row in rows(conn, 'SHOW GRANTS FOR %s@%s', (user, host))]


def _text(value):
    return value.decode('utf-8') if isinstance(value, bytes) else value
