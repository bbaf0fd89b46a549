# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mark on the PostgreSQL roles the collection creates, and what a role may not be.

The mark is the role's comment, ``dbops.containers: <purpose>`` (``COMMENT ON ROLE``). Roles and
their comments are cluster-wide (``pg_shdescription``), so a standby made by physical replication
has the same mark as its primary, and a promoted standby still knows the roles are ours. The
comment holds no secret: the statement that writes it may be logged.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import MARK
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import rows
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import quote_ident

ROLE_SQL = ("SELECT r.rolsuper, r.rolcreaterole, r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit, "
            "shobj_description(r.oid, 'pg_authid') AS comment, "
            "ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "WHERE m.member = r.oid ORDER BY 1) AS member_of "
            "FROM pg_roles r WHERE r.rolname = %s")


def comment_for(purpose):
    return '%s: %s' % (MARK, purpose)


def purpose_of_comment(comment):
    """The purpose a role's comment names, or None. Pure."""
    prefix = MARK + ':'
    if not comment or not comment.startswith(prefix):
        return None
    return comment[len(prefix):].strip() or None


def admin_rights(role):
    """A text naming the role's administrator attributes (a ROLE_SQL row), or None. Pure."""
    held = [name for key, name in (('rolsuper', 'SUPERUSER'), ('rolcreaterole', 'CREATEROLE'),
                                   ('rolbypassrls', 'BYPASSRLS')) if role.get(key)]
    return ', '.join(held) or None


def read_role(conn, user):
    """The ROLE_SQL row of the role user, or None."""
    found = rows(conn, ROLE_SQL, (user,))
    if not found:
        return None
    role = dict(found[0])
    role['member_of'] = list(role.get('member_of') or [])
    return role


def mark_statement(user, purpose):
    """(sql, params) that mark the role as the collection's, for purpose."""
    return 'COMMENT ON ROLE %s IS %%s' % quote_ident(user), (comment_for(purpose),)
