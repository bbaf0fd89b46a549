# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category security: access control."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import (
    parsed_options, settings_fix)

LOOPBACK = ('localhost', '127.0.0.1', '::1')

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


def authorization_enabled(facts):
    security = parsed_options(facts).get('security') or {}
    if security.get('authorization') == 'enabled' or '--auth' in (facts.get('argv') or []):
        return True
    # A keyFile enforces access control too, unless transitionToAuth relaxes it.
    return bool(security.get('keyFile')) and not security.get('transitionToAuth')


def exposed_addresses(facts):
    net = parsed_options(facts).get('net') or {}
    if net.get('bindIpAll') or '--bind_ip_all' in (facts.get('argv') or []):
        return ['all interfaces (bindIpAll)']
    # Unset, mongod listens on localhost only (since 3.6).
    addresses = [a.strip() for a in str(net.get('bindIp', 'localhost')).split(',') if a.strip()]
    return [a for a in addresses if a not in LOOPBACK and not a.startswith('/')]


@check(TABLE, 'mongodb.security.authorization', 'security', 'critical', 'Access control disabled on a network address',
       'Without authorization any client that reaches the port has every privilege.',
       'MongoDB manual: Security Checklist > Enable Access Control; IP Binding')
def authorization_disabled(facts):
    if authorization_enabled(facts):
        return None
    exposed = exposed_addresses(facts)
    if not exposed:
        return None  # localhost only: the localhost exception is the documented way to start
    return finding('authorization disabled, listening on %s' % ', '.join(exposed), 'enabled',
                   'security.authorization is not enabled and mongod accepts connections from the network: '
                   'anyone who reaches the port reads and writes every database',
                   "create an administrator (db.getSiblingDB('admin').createUser({user: 'admin', "
                   "pwd: passwordPrompt(), roles: ['root']})), then %s and restart (db_container-made "
                   "servers run with --auth)" % settings_fix('security.authorization', "'enabled'"))
