# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB checks, category connections."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.facts import (
    option, server, settings_fix)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'mongodb.connections.near_limit', 'connections', 'warning', 'Connections near the limit',
       'At the limit mongod refuses new connections; every connection also costs about 1 MB of memory.',
       'MongoDB manual: serverStatus > connections; net.maxIncomingConnections')
def connections_near_limit(facts):
    current = float(server(facts, 'connections', 'current'))
    available = float(server(facts, 'connections', 'available'))
    ratio = current / (current + available)
    if ratio <= 0.8:
        return None
    wanted = int(math.ceil(current * 1.5))
    if option(facts, 'net.maxIncomingConnections') is None:
        # Without the option mongod allows 80% of the open-files ulimit.
        fix = ('raise the container\'s nofile ulimit, or cap with %s; and lower the drivers\' maxPoolSize'
               % settings_fix('net.maxIncomingConnections', wanted))
    else:
        fix = settings_fix('net.maxIncomingConnections', wanted) + '; or lower the drivers\' maxPoolSize'
    return finding('%d of %d in use' % (current, current + available), wanted,
                   '%.0f%% of the connections mongod accepts are open (connections.current / (current + '
                   'available)); new clients are refused at the limit' % (100 * ratio),
                   fix, severity='critical' if ratio >= 0.95 else None)
