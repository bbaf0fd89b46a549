# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes of one cluster, as the failover sees them: containers, credentials, probes, the timeline."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time
from collections import namedtuple

from ansible_collections.dbops.containers.plugins.module_utils import targets
from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import MANAGED_LABEL
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter


# What a live server of the engine says when a client connects: ``request`` is sent first (b'' for
# none), then ``answer_bytes`` bytes must arrive. A frozen server's kernel still completes the TCP
# handshake, so a bare connect calls a paused server alive; its server process no longer answers.
ProbeExchange = namedtuple('ProbeExchange', 'request answer_bytes')


def server_answers(host, port, timeout, exchange):
    """Does the server at host:port answer ``exchange`` within timeout seconds (all of it)?"""
    if not host:
        return False
    deadline = time.time() + timeout
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, socket.error):
        return False
    try:
        if exchange.request:
            sock.sendall(exchange.request)
        received = 0
        while received < exchange.answer_bytes:
            remaining = deadline - time.time()
            if remaining <= 0:
                return False
            sock.settimeout(remaining)
            chunk = sock.recv(exchange.answer_bytes - received)
            if not chunk:
                return False        # closed without answering
            received += len(chunk)
        return True
    except (OSError, socket.error):
        return False
    finally:
        sock.close()


def shell_probe(host, port, timeout, exchange):
    """The same exchange as a shell command for an observer's container: prints "answer:ok" when the
    server answered in time, "answer:" otherwise.

    Bash builtins only (no pipe, no command substitution): a process the probe forks and leaves behind
    is adopted by the container's PID 1, and PostgreSQL's postmaster, PID 1 in its image, takes any
    unknown child that dies by a signal for a crashed backend and restarts every session. The first
    byte of the answer is enough to show the server process runs."""
    seconds = max(1, int(round(timeout)))
    request = ''.join('\\x%02x' % byte for byte in bytearray(exchange.request))
    talk = 'exec 3<>/dev/tcp/%s/%d || exit 3' % (host, port)
    if request:
        talk += "; printf '%s' >&3" % request
    if exchange.answer_bytes:
        talk += '; read -r -n 1 -t %d -u 3 answer || exit 4' % seconds
    return 'timeout %d bash -c "%s" 2>/dev/null && echo answer:ok || echo answer:' % (seconds + 1, talk)


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

    @property
    def paused(self):
        """Docker reports the container paused (frozen: it still counts as running, and nothing in it answers)."""
        return bool(self.inspect and (self.inspect.get('State') or {}).get('Paused'))

    def describe(self):
        return {'name': self.name, 'host': self.alias, 'port': self.port}


class Timeline(object):
    """The steps of one failover, switchover or rejoin, in seconds from its start.

    on_mark(entry, timeline): called after every step is recorded (the watcher writes its durable intent
    record there); what it raises is the caller's to handle, it never undoes the step."""

    def __init__(self, started=None, on_mark=None):
        self.started = started or time.time()
        self.events = []
        self.on_mark = on_mark

    def mark(self, event, **details):
        entry = {'event': event, 'at': round(time.time() - self.started, 3)}
        entry.update(details)
        self.events.append(entry)
        if self.on_mark is not None:
            self.on_mark(entry, self)
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
        if not params['nodes']:
            raise DbopsError('nodes is empty: list the cluster\'s database containers, the primary and its '
                             'replicas', 'nodes')
        network = params.get('network')
        if network and not self.docker.network_exists(network):
            raise DbopsError('network %r does not exist on the Docker host: name the network the nodes are on'
                             % network, 'network')
        for entry in params['nodes']:
            inspect = self.docker.container(entry['name'])
            if inspect is None:
                raise DbopsError('no container named %r on the Docker host' % entry['name'], 'nodes')
            # A node of another engine would be probed and judged with this engine's protocol.
            targets.check_engine_label(inspect, self.engine, entry['name'])
            node = Node(entry['name'], entry.get('priority') or 0, port=self.adapter.port, inspect=inspect)
            node.host = entry.get('host') or targets.container_address(inspect, params.get('network'))
            self.nodes.append(node)
        self.by_name = dict((node.name, node) for node in self.nodes)
        if len(self.by_name) != len(self.nodes):
            raise DbopsError('a node is listed twice: list each container once', 'nodes')
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

    def connect(self, node, timeout=None, query_timeout=None):
        """A read-write session on node as the superuser (or login_user): the failover changes servers.
        timeout: seconds to connect (probe_timeout when None); query_timeout: seconds its queries may wait
        for an answer (the adapter's default, room for real work, when None)."""
        if not node.host:
            self.refresh(node)      # not running (or not on the network) when first looked at: maybe now
        if not node.host:
            # No address to connect to: a client library given none would try its local default (libpq a
            # Unix socket) and report "None:5432", naming neither the node nor the reason.
            error = DbopsError('%s has no address%s: its container is not running, or not connected to the '
                               'network' % (node.name, ' on network %s' % self.params['network']
                                            if self.params.get('network') else ''), 'nodes')
            error.cause, error.detail = login_errors.UNREACHABLE, 'no address'
            raise error
        limits = {'query_timeout': query_timeout} if query_timeout else {}
        try:
            return self.adapter.connect(node.host, node.port, self.params.get('login_user') or self.adapter.superuser,
                                        self.superuser_password(node), self.params.get('login_db'),
                                        timeout or self.params.get('probe_timeout') or 1, purpose='admin', **limits)
        except DbopsError as exc:
            error = DbopsError('%s: %s' % (node.name, exc.message), exc.parameter)
            error.cause, error.detail = getattr(exc, 'cause', None), getattr(exc, 'detail', None)
            raise error

    def tcp_probe_from(self, observer, target, exchange=None):
        """Does ``target``'s server answer ``exchange`` (a ProbeExchange; a bare connect when None) from
        inside ``observer``'s container, i.e. from where replication runs? True, False, or None (the
        observer itself cannot be asked)."""
        if not observer.running:
            return None
        command = shell_probe(target.alias, target.port, self.params.get('probe_timeout') or 1,
                              exchange or ProbeExchange(b'', 0))
        try:
            _code, output = self.docker.exec_shell(observer.inspect['Id'], command)
        except Exception:  # noqa: BLE001 - a container that stopped in between
            return None
        if 'answer:ok' in output:
            return True
        if 'answer:' in output:
            return False
        return None


def diverged_volume_name(node_name, now=None):
    """Pure. The volume a diverged old primary's data is copied into: <node>-dbops-diverged-<UTC time>."""
    return '%s-dbops-diverged-%s' % (node_name, time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now)))


def diverged_volume_labels(node_name, source_volume, engine):
    """What marks the copy as the collection's own (and where it came from); no dbops.container label,
    so db_container never adopts it as a node's volume nor purges it with the node."""
    return {MANAGED_LABEL: 'true', 'dbops.engine': engine, 'dbops.kind': 'diverged-data',
            'dbops.diverged_from': node_name, 'dbops.copied_from_volume': source_volume}


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
