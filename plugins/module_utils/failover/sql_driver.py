# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the failover drivers of the SQL engines (MySQL/MariaDB, PostgreSQL) share: the controller's
probe and the walk over the candidates; each engine says only how a node's position is read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import abc

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import FailoverDriver
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import tcp_reachable


class SqlFailoverDriver(FailoverDriver):
    """A FailoverDriver whose nodes answer SQL through ``cluster.connect``."""

    # True: a plain TCP connect within probe_timeout comes before the login. libpq rounds a
    # connect_timeout below 2 s up to 2 s, so its own timeout would not honour probe_timeout.
    tcp_check_before_login = False
    # Seconds allowed to open a session to a candidate while reading positions.
    position_connect_timeout = 3

    def _conn(self, node, timeout=None):
        """A read-write session on node (the cluster's connections are the adapter's 'admin' ones)."""
        return self.cluster.connect(node, timeout)

    def controller_probe(self, primary):
        """A SQL round trip to the primary within probe_timeout: True, or False."""
        timeout = self.params.get('probe_timeout') or 1
        if not primary.running and primary.inspect is not None:
            self.cluster.refresh(primary)
        if self.tcp_check_before_login and not tcp_reachable(primary.host, primary.port, timeout):
            return False
        try:
            conn = self._conn(primary, timeout)
        except DbopsError as exc:
            return exc.parameter == 'login_password'  # it answered, only the login failed: alive
        try:
            scalar(conn, 'SELECT 1')
            return True
        except Exception:  # noqa: BLE001 - any failure of the round trip
            return False
        finally:
            conn.close()

    def positions(self, nodes):
        """One row per node: {name, priority, healthy, position, why?, ...what read_position adds}."""
        found = []
        for node in nodes:
            row = {'name': node.name, 'priority': node.priority, 'healthy': False, 'position': None}
            found.append(row)
            if not node.running:
                row['why'] = 'container not running'
                continue
            try:
                conn = self._conn(node, self.position_connect_timeout)
            except DbopsError as exc:
                row['why'] = str(exc)
                continue
            try:
                self.read_position(conn, row)
            finally:
                conn.close()
        return found

    @abc.abstractmethod
    def read_position(self, conn, row):
        """Fill row from the node's session: 'position' (comparable) and 'healthy', or 'why' it cannot be one."""
