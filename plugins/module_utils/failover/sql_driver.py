# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the failover drivers of the SQL engines (MySQL/MariaDB, PostgreSQL) share: the controller's
probe and the walk over the candidates; each engine says only how a node's position is read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import abc
import time

from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import FailoverDriver
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import ProbeExchange, server_answers


class SqlFailoverDriver(FailoverDriver):
    """A FailoverDriver whose nodes answer SQL through ``cluster.connect``."""

    # True: the engine's probe exchange (probe_request, probe_answer_bytes) within probe_timeout comes
    # before the login. A frozen server's kernel accepts the connection and its server never answers:
    # the exchange says so in one timeout, where a login costs more (libpq rounds a connect_timeout below
    # 2 s up to 2 s; a failed MySQL login asks the silent server which engine it is, 2 s more).
    tcp_check_before_login = True

    def _conn(self, node, timeout=None, query_timeout=None):
        """A read-write session on node (the cluster's connections are the adapter's 'admin' ones)."""
        return self.cluster.connect(node, timeout, query_timeout)

    def discover_primary(self):
        """One writable node that follows nobody is the primary; otherwise (it is dead) the node the
        replicas follow."""
        followed, writable = {}, []
        for node in self.cluster.nodes:
            # A frozen node (a watcher started while the primary is paused) costs the probe's timeout, not a
            # login's: the failed login would also ask the silent server which engine it is.
            if not self.still_answers(node, self.params.get('probe_timeout') or 1):
                continue
            try:
                conn = self._conn(node, 3)
            except DbopsError:
                continue
            try:
                role, source = self.read_role(conn)
                if source:
                    followed[source] = followed.get(source, 0) + 1
                elif role == 'writable':
                    writable.append(node)
            finally:
                conn.close()
        if len(writable) == 1:
            return writable[0]
        if followed:
            name = sorted(followed.items(), key=lambda item: item[1])[-1][0]
            for node in self.cluster.nodes:
                if name in (node.name, node.alias, node.host):
                    return node
        return None

    def read_role(self, conn):
        """(role, source) from a node's session: ('replica', the host it follows), or ('writable', None) for
        a node that follows nobody and takes writes, ('read_only', None) for one that does not."""
        source = self.configured_source(conn)
        if source:
            return 'replica', source
        return ('writable' if self.takes_writes(conn) else 'read_only'), None

    def role_of(self, node, timeout=None):
        if not self.still_answers(node, timeout or self.params.get('probe_timeout') or 1):
            return None
        try:
            conn = self._conn(node, timeout)
        except DbopsError:
            return None
        try:
            return self.read_role(conn)[0]
        except Exception:  # noqa: BLE001 - a node that stops answering mid-question is not judged
            return None
        finally:
            conn.close()

    def source_of(self, node):
        if not node.running:
            return None
        try:
            conn = self._conn(node, 3)
        except DbopsError:
            return None
        try:
            return self.configured_source(conn)
        finally:
            conn.close()

    @abc.abstractmethod
    def configured_source(self, conn):
        """The host the node is configured to replicate from (running or not), else None."""

    @abc.abstractmethod
    def takes_writes(self, conn):
        """True when the node (which follows nobody) is a writable primary."""

    def fence(self, node, silent=False):
        """No more writes now (if it still answers), never started again by Docker, and a mark on its
        volumes so that a manual start brings it back read-only.

        silent: the rounds that found it dead just had no answer from it (a partition, a freeze). Asking
        again would cost probe_timeout before the kill that follows anyway (1.35 s of a partitioned
        MariaDB primary's fence in the fault suite, of which 1 s waited for the greeting)."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        if node.inspect is None:
            return
        if not silent and self.still_answers(node):
            try:    # it may still answer (force): no more writes, right now
                conn = self._conn(node, 1)
                try:
                    self.stop_writes_now(conn)
                finally:
                    conn.close()
            except Exception:  # noqa: BLE001 - a dead server cannot be told
                pass
        docker.set_restart_policy(node.inspect['Id'], 'no')
        if node.running:
            docker.kill(node.inspect['Id'])
        self.mark_fenced(node)
        self.cluster.refresh(node)

    def still_answers(self, node, timeout=1):
        """Can the node be told anything (worth a login)? Not when its container is stopped or paused
        (Docker says so, at once), nor when its server does not answer the probe exchange within timeout:
        a frozen server would cost the fence a login's timeouts before the kill that follows anyway."""
        if not node.running or node.paused:
            return False
        return server_answers(node.host, node.port, timeout,
                              ProbeExchange(self.probe_request, self.probe_answer_bytes))

    @abc.abstractmethod
    def stop_writes_now(self, conn):
        """Turn the (still answering) old primary read-only at once."""

    @abc.abstractmethod
    def mark_fenced(self, node):
        """Write what makes the stopped node start read-only if anyone starts it again."""

    def controller_probe(self, primary):
        """A SQL round trip to the primary within probe_timeout: True, or False."""
        timeout = self.params.get('probe_timeout') or 1
        if not primary.running and primary.inspect is not None:
            self.cluster.refresh(primary)
        if self.tcp_check_before_login and not server_answers(
                primary.host, primary.port, timeout, ProbeExchange(self.probe_request, self.probe_answer_bytes)):
            return False
        try:
            # The session's queries wait probe_timeout, not the adapter's minute for real work: a server frozen
            # between the login and the answer would otherwise hold the round to its deadline.
            conn = self._conn(primary, timeout, query_timeout=timeout)
        except DbopsError as exc:
            # It answered, only the login failed, or it has no connection slot left: alive (a failover
            # would not give the clients more connections, and would lose what the busy primary holds).
            return exc.parameter == 'login_password' or login_errors.saturated(exc)
        try:
            scalar(conn, 'SELECT 1')
        except Exception:  # noqa: BLE001 - any failure of the round trip
            conn.close()
            return False
        try:
            # Read every round while the primary lives: a primary that went asynchronous may have
            # acknowledged commits no replica has, which the failover must know once it is dead.
            self.synchronous_seen = (time.time(), self.synchronous_commits(conn))
        except Exception:  # noqa: BLE001 - an unreadable state is unknown, and the primary answered
            self.synchronous_seen = (time.time(), None)
        finally:
            conn.close()
        return True

    def synchronous_commits(self, conn):
        """From the primary's session: True when a commit is acknowledged only once a replica holds it,
        False when the primary commits asynchronously, None when unknown (the engine's driver says)."""
        return None
