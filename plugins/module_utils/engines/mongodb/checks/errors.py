# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category errors: the server's assertion counters."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import server, uptime

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'mongodb.errors.regular_asserts', 'errors', 'warning', 'Regular (server) assertions',
       'Regular asserts are errors inside mongod; they should not happen.',
       'MongoDB manual: serverStatus > asserts')
def regular_asserts(facts):
    regular = float(server(facts, 'asserts', 'regular'))
    per_day = regular * 86400 / uptime(facts)
    if regular == 0 or per_day < 1:
        return None
    return finding('%d regular asserts (%.1f/day)' % (regular, per_day), 0,
                   'asserts.regular counts internal server errors, not client mistakes',
                   "read them in the log: mongosh --eval \"db.adminCommand({getLog: 'global'})\" "
                   "(or docker logs <container> | grep '\"s\":\"E\"')")


@check(TABLE, 'mongodb.errors.user_asserts', 'errors', 'info', 'Many user assertions',
       'User asserts are operations failing on errors the client caused; many means wasted work.',
       'MongoDB manual: serverStatus > asserts.user')
def user_asserts(facts):
    user = float(server(facts, 'asserts', 'user'))
    rate = user / uptime(facts)
    if rate <= 1:
        return None
    return finding('%.1f user asserts/s' % rate, '<= 1/s',
                   '%d user asserts in %d s (asserts.user): operations failing with errors such as duplicate '
                   'keys, validation or authentication failures' % (user, uptime(facts)),
                   "find the failing operations in the log (mongosh --eval \"db.adminCommand({getLog: 'global'})\") "
                   "and fix the application's writes or credentials")
