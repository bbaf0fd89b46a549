# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes of one cluster, as the failover sees them: containers, credentials, probes, the timeline."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time

from ansible_collections.dbops.containers.plugins.module_utils import targets
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter


def tcp_reachable(host, port, timeout):
    """Does host:port accept a TCP connection within timeout seconds?"""
    if not host:
        return False
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
        return True
    except (OSError, socket.error):
        return False


class Node(object):
    def __init__(self, name, priority=0, host=None, port=None, inspect=None):
        self.name = name                # container name
        self.priority = priority
        self.host = host                # address the module reaches the server at
        self.port = port
        self.inspect = inspect
        self.alias = name               # how the other nodes and the endpoint reach it

    @property
    def running(self):
        return bool(self.inspect and (self.inspect.get('State') or {}).get('Running'))

    def describe(self):
        return {'name': self.name, 'host': self.alias, 'port': self.port}


class Timeline(object):
    def __init__(self, started=None):
        self.started = started or time.time()
        self.events = []

    def mark(self, event, **details):
        entry = {'event': event, 'at': round(time.time() - self.started, 3)}
        entry.update(details)
        self.events.append(entry)
        return entry

    def as_dict(self):
        return dict((event['event'], event['at']) for event in self.events)


class Cluster(object):
    """The nodes of one cluster on the Docker host, with their credentials and the endpoint."""

    def __init__(self, params, docker=None):
        self.params = params
        self.docker = docker or targets.docker_helper(params)
        self.engine = params['engine']
        self.adapter = get_adapter(self.engine)
        self.nodes = []
        for entry in params['nodes']:
            inspect = self.docker.container(entry['name'])
            if inspect is None:
                raise DbopsError('no container named %r on the Docker host' % entry['name'], 'nodes')
            node = Node(entry['name'], entry.get('priority') or 0, port=self.adapter.port, inspect=inspect)
            node.host = entry.get('host') or targets.container_address(inspect, params.get('network'))
            self.nodes.append(node)
        self.by_name = dict((node.name, node) for node in self.nodes)
        if len(self.by_name) != len(self.nodes):
            raise DbopsError('a node is listed twice', 'nodes')
        self.driver = self.adapter.failover_driver()(self)
        self._passwords = {}

    def refresh(self, node):
        node.inspect = self.docker.container(node.name)
        if node.inspect is not None:
            node.host = (self.params['nodes'][self.nodes.index(node)].get('host')
                         or targets.container_address(node.inspect, self.params.get('network')) or node.host)
        return node

    def superuser_password(self, node):
        """The superuser's password: the login options, else db_container's secrets volume."""
        if self.params.get('login_password') is not None or self.params.get('login_password_file'):
            return targets.login_password(self.params)
        if node.name not in self._passwords:
            if not node.running:
                return None
            self._passwords[node.name] = targets.stored_superuser_password(self.docker, node.inspect)
        return self._passwords[node.name]

    def replication_password(self):
        if self.params.get('replication_password') is not None:
            return self.params['replication_password']
        if self.params.get('replication_password_file'):
            return targets.read_secret_file(self.params['replication_password_file'], 'replication_password_file')
        return None

    def connect(self, node, timeout=None):
        """A read-write session on node as the superuser (or login_user): the failover changes servers."""
        try:
            return self.adapter.connect(node.host, node.port, self.params.get('login_user') or self.adapter.superuser,
                                        self.superuser_password(node), self.params.get('login_db'),
                                        timeout or self.params.get('probe_timeout') or 1, purpose='admin')
        except DbopsError as exc:
            raise DbopsError('%s: %s' % (node.name, exc.message), exc.parameter)

    def tcp_probe_from(self, observer, target):
        """Can ``observer``'s container open a TCP connection to ``target``'s server? True, False, or None
        (the observer itself cannot be asked)."""
        if not observer.running:
            return None
        timeout = max(1, int(round(self.params.get('probe_timeout') or 1)))
        command = ('timeout %d bash -c "exec 3<>/dev/tcp/%s/%d" 2>/dev/null && echo reach || echo noreach'
                   % (timeout, target.alias, target.port))
        try:
            code, output = self.docker.exec_shell(observer.inspect['Id'], command)
        except Exception:  # noqa: BLE001 - a container that stopped in between
            return None
        if 'noreach' in output:
            return False
        if 'reach' in output:
            return True
        return None


def restart_policy(node):
    """The container's restart policy name ('no' for a fenced node), or None when unknown."""
    return (((node.inspect or {}).get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name')


def node_follows(cluster, node, connect, source_of, primary_names):
    """The drivers' follows(): is node running, not fenced, and reading from one of primary_names?

    source_of(connection) returns the host node replicates from, or None when it does not replicate;
    a node that cannot be reached follows nobody. Reads only: rejoin and its check mode rely on it."""
    cluster.refresh(node)
    if not node.running or restart_policy(node) == 'no':
        return False
    try:
        conn = connect(node, 3)
    except DbopsError:
        return False
    try:
        source = source_of(conn)
    finally:
        conn.close()
    return bool(source) and source in primary_names
