# -*- coding: utf-8 -*-
"""A frozen server's kernel still accepts TCP connections; the probes ask its process to answer.

Real sockets on 127.0.0.1: a listener that greets (a live mysqld), one that answers an SSLRequest
(a live postmaster), and one whose backlog accepts connections but never reads (a paused server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import subprocess
import threading
import time

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.failover import (
    FailoverDriver as MySQLDriver)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.failover import (
    FailoverDriver as PostgresDriver)
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import (
    ProbeExchange, server_answers, shell_probe)
from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import Failover

SSL_REQUEST = b'\x00\x00\x00\x08\x04\xd2\x16\x2f'


class Listener(object):
    """A TCP server on 127.0.0.1: ``behaviour`` is 'greet', 'ssl' or 'frozen'."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received = []
        if behaviour != 'frozen':   # frozen: the kernel completes handshakes, nobody accepts
            thread = threading.Thread(target=self._serve)
            thread.daemon = True
            thread.start()

    def _serve(self):
        while True:
            try:
                conn = self.sock.accept()[0]
            except OSError:
                return
            if self.behaviour == 'greet':
                conn.sendall(b'\x4a\x00\x00\x00\x0a9.7.4')
            else:
                data = conn.recv(8)
                self.received.append(data)
                if data == SSL_REQUEST:
                    conn.sendall(b'N')
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def listener(request):
    made = []

    def make(behaviour):
        made.append(Listener(behaviour))
        return made[-1]
    yield make
    for one in made:
        one.close()


MYSQL = ProbeExchange(MySQLDriver.probe_request, MySQLDriver.probe_answer_bytes)
POSTGRES = ProbeExchange(PostgresDriver.probe_request, PostgresDriver.probe_answer_bytes)


def test_the_engines_exchanges():
    assert MYSQL == ProbeExchange(b'', 4)
    assert POSTGRES == ProbeExchange(SSL_REQUEST, 1)


@pytest.mark.parametrize('behaviour,exchange', [('greet', MYSQL), ('ssl', POSTGRES)])
def test_a_live_server_answers(listener, behaviour, exchange):
    server = listener(behaviour)
    assert server_answers('127.0.0.1', server.port, 1, exchange) is True


@pytest.mark.parametrize('exchange', [MYSQL, POSTGRES])
def test_a_frozen_server_does_not_answer_within_the_timeout(listener, exchange):
    server = listener('frozen')
    # A bare connect calls it alive: that was the bug.
    assert server_answers('127.0.0.1', server.port, 1, ProbeExchange(b'', 0)) is True
    started = time.time()
    assert server_answers('127.0.0.1', server.port, 0.5, exchange) is False
    assert time.time() - started < 1.5


def test_a_closed_port_and_no_host():
    free = socket.socket()
    free.bind(('127.0.0.1', 0))
    port = free.getsockname()[1]
    free.close()
    assert server_answers('127.0.0.1', port, 0.5, MYSQL) is False
    assert server_answers(None, port, 0.5, MYSQL) is False


@pytest.mark.parametrize('behaviour,exchange,expected', [
    ('greet', MYSQL, 'answer:ok'), ('ssl', POSTGRES, 'answer:ok'),
    ('frozen', MYSQL, 'answer:'), ('frozen', POSTGRES, 'answer:')])
def test_the_shell_probe_an_observer_runs(listener, behaviour, exchange, expected):
    # What tcp_probe_from runs with docker exec in a replica's container, run here by sh.
    server = listener(behaviour)
    output = subprocess.run(['sh', '-c', shell_probe('127.0.0.1', server.port, 1, exchange)],
                            capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    assert output == expected
    if behaviour == 'ssl':
        assert server.received and server.received[0] == SSL_REQUEST


@pytest.mark.parametrize('exchange', [MYSQL, POSTGRES])
def test_the_shell_probe_forks_nothing_but_bash(exchange):
    # An orphan the probe left behind would be adopted by PID 1 in the observer's container; a
    # postmaster takes such a child's death by a signal for a crash and restarts every session.
    command = shell_probe('db1', 5432, 1, exchange)
    inner = command.split('bash -c "', 1)[1].split('"', 1)[0]
    assert '$(' not in inner and '`' not in inner
    assert '|' not in inner.replace('||', '')
    assert 'head' not in inner and 'wc' not in inner


class _SlowDriver(object):
    probe_request, probe_answer_bytes = b'', 0

    def controller_probe(self, primary):
        time.sleep(5)       # a client library stuck on a frozen server
        return True


class _Cluster(object):
    def __init__(self, nodes):
        self.nodes = nodes

    @staticmethod
    def refresh(node):
        return node

    @staticmethod
    def tcp_probe_from(observer, target, exchange):
        return False


def test_a_round_ends_at_its_deadline():
    failover = Failover.__new__(Failover)
    primary = type('Node', (), {'name': 'db1', 'inspect': {'State': {'Running': True, 'Paused': True}}})()
    replica_node = type('Node', (), {'name': 'db2'})()
    failover.driver = _SlowDriver()
    failover.cluster = _Cluster([primary, replica_node])
    failover.params = {'probe_timeout': 1}
    started = time.time()
    views = failover.observe(primary)
    assert views == {'controller': False, 'db2': False}
    assert time.time() - started < 4.5


@pytest.mark.parametrize('state', [{'Running': False, 'Status': 'exited'}, {'Running': False, 'Status': 'dead'}, None])
def test_a_primary_whose_container_docker_reports_stopped_is_not_waited_for(state):
    failover = Failover.__new__(Failover)
    primary = type('Node', (), {'name': 'db1', 'inspect': None if state is None else {'State': state}})()
    failover.driver = _SlowDriver()
    failover.cluster = _Cluster([primary, type('Node', (), {'name': 'db2'})()])
    failover.params = {'probe_timeout': 1}
    started = time.time()
    assert failover.observe(primary) == {'controller': False, 'docker': False}
    assert time.time() - started < 0.5


def test_a_container_being_restarted_by_docker_is_probed_like_a_running_one():
    failover = Failover.__new__(Failover)
    primary = type('Node', (), {'name': 'db1', 'inspect': {'State': {'Running': False, 'Restarting': True}}})()
    failover.driver = _SlowDriver()
    failover.cluster = _Cluster([primary, type('Node', (), {'name': 'db2'})()])
    failover.params = {'probe_timeout': 1}
    assert failover.observe(primary) == {'controller': False, 'db2': False}
