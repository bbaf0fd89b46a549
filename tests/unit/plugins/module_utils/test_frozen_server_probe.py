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
    Node, ProbeExchange, server_answers, shell_probe)
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
        self.accepted = 0
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
            self.accepted += 1
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


def _observing(state, driver=None, cluster_class=_Cluster):
    """A Failover whose primary db1's container is in ``state`` (None: gone), beside a replica db2."""
    failover = Failover.__new__(Failover)
    primary = Node('db1', inspect=None if state is None else {'State': state})
    failover.driver = driver or _SlowDriver()
    failover.cluster = cluster_class([primary, Node('db2')])
    failover.params = {'probe_timeout': 1}
    return failover, primary


def test_a_round_ends_at_its_deadline():
    failover = Failover.__new__(Failover)
    # Frozen without Docker knowing (SIGSTOP, a hung disk): only the probes can tell.
    primary = Node('db1', inspect={'State': {'Running': True, 'Paused': False}})
    replica_node = Node('db2')
    failover.driver = _SlowDriver()
    failover.cluster = _Cluster([primary, replica_node])
    failover.params = {'probe_timeout': 1}
    started = time.time()
    views = failover.observe(primary)
    assert views == {'controller': False, 'db2': False}
    assert time.time() - started < 4.5


def test_a_round_is_abandoned_when_the_watcher_hears_of_the_primary():
    # A round under way when the primary is killed: its probes hang on the vanished server. The watcher's Docker
    # event stops the wait at once (None: not counted), instead of its deadline (2.1 s in the fault suite).
    failover, primary = _observing({'Running': True, 'Paused': False})
    heard = threading.Event()
    threading.Timer(0.2, heard.set).start()
    started = time.time()
    assert failover.observe(primary, interrupted=heard.is_set) is None
    assert time.time() - started < 0.6


def test_a_probe_that_failed_in_itself_could_not_be_asked():
    class Broken(_Cluster):
        @staticmethod
        def tcp_probe_from(observer, target, exchange):
            raise RuntimeError('the Docker API refused the exec')

    class Quick(_SlowDriver):
        def controller_probe(self, primary):
            return True
    failover, primary = _observing({'Running': True, 'Paused': False}, Quick(), Broken)
    assert failover.observe(primary) == {'controller': True, 'db2': None}


@pytest.mark.parametrize('state', [{'Running': False, 'Status': 'exited'}, {'Running': False, 'Status': 'dead'}, None])
def test_a_primary_whose_container_docker_reports_stopped_is_not_waited_for(state):
    failover, primary = _observing(state)
    started = time.time()
    assert failover.observe(primary) == {'controller': False, 'docker': False}
    assert time.time() - started < 0.5


def test_a_container_being_restarted_by_docker_is_probed_like_a_running_one():
    failover = Failover.__new__(Failover)
    primary = Node('db1', inspect={'State': {'Running': False, 'Restarting': True}})
    failover.driver = _SlowDriver()
    failover.cluster = _Cluster([primary, Node('db2')])
    failover.params = {'probe_timeout': 1}
    assert failover.observe(primary) == {'controller': False, 'db2': False}


class _SqlCluster(object):
    """What SqlFailoverDriver's controller_probe and fence use of a Cluster; a login fails the test (it
    would cost a frozen server's timeouts) unless ``logins`` allows it."""

    def __init__(self, node, logins=False):
        self.nodes = [node]
        self.params = {'probe_timeout': 1}
        self.logins = logins
        self.connected = []
        self.docker = _Docker()

    @staticmethod
    def refresh(node):
        return node

    def connect(self, node, timeout=None, query_timeout=None):
        self.connected.append(node.name)
        if not self.logins:
            raise AssertionError('logged in to %s, which does not answer' % node.name)
        raise RuntimeError('no server here')


class _Docker(object):
    def __init__(self):
        self.calls = []

    def set_restart_policy(self, container, policy):
        self.calls.append(('restart_policy', container, policy))

    def kill(self, container):
        self.calls.append(('kill', container))


def _sql_node(port, state):
    return Node('db1', host='127.0.0.1', port=port, inspect={'Id': 'id-db1', 'State': state})


def _mysql_driver(cluster):
    driver = MySQLDriver.__new__(MySQLDriver)
    driver.cluster, driver.params = cluster, cluster.params
    driver.marked = []
    driver.mark_fenced = driver.marked.append
    return driver


def test_the_controller_probe_of_a_frozen_mysql_server_costs_one_timeout_and_no_login(listener):
    # A login to a silent server would wait for its greeting, then ask it which engine it is: 3 s, not 1.
    server = listener('frozen')
    cluster = _SqlCluster(_sql_node(server.port, {'Running': True}))
    started = time.time()
    assert _mysql_driver(cluster).controller_probe(cluster.nodes[0]) is False
    assert time.time() - started < 1.8
    assert cluster.connected == []


@pytest.mark.parametrize('behaviour,state', [('frozen', {'Running': True}), ('greet', {'Running': True, 'Paused': True})])
def test_the_fence_kills_a_server_that_cannot_be_told_without_a_login(listener, behaviour, state):
    server = listener(behaviour)
    node = _sql_node(server.port, state)
    cluster = _SqlCluster(node)
    driver = _mysql_driver(cluster)
    started = time.time()
    driver.fence(node)
    assert time.time() - started < 1.8
    assert cluster.connected == []
    assert cluster.docker.calls == [('restart_policy', 'id-db1', 'no'), ('kill', 'id-db1')]
    assert driver.marked == [node]


def test_the_fence_still_tells_a_server_that_answers(listener):
    server = listener('greet')
    node = _sql_node(server.port, {'Running': True})
    cluster = _SqlCluster(node, logins=True)
    driver = _mysql_driver(cluster)
    driver.fence(node)
    assert cluster.connected == ['db1']     # the login was tried (read_only at once), then the kill
    assert cluster.docker.calls[-1] == ('kill', 'id-db1')


def test_a_primary_whose_container_docker_reports_paused_is_not_asked():
    failover, primary = _observing({'Running': True, 'Paused': True})
    started = time.time()
    assert failover.observe(primary) == {'controller': False, 'paused': False}
    assert time.time() - started < 0.5


def test_the_controller_probe_bounds_its_query_by_probe_timeout(listener):
    # A server that greets, takes the login, then freezes before it answers: PyMySQL's session would wait the
    # adapter's minute; the probe's query waits probe_timeout.
    server = listener('greet')

    class Session(object):
        closed = False
        query_timeout = None

        def cursor(self):
            raise RuntimeError('frozen after the login (query timeout %s s)' % self.query_timeout)

        def close(self):
            self.closed = True
    session = Session()

    def connect(node, timeout=None, query_timeout=None):
        session.query_timeout = query_timeout
        return session
    cluster = _SqlCluster(_sql_node(server.port, {'Running': True}), logins=True)
    cluster.connect = connect
    assert _mysql_driver(cluster).controller_probe(cluster.nodes[0]) is False
    assert session.query_timeout == 1 and session.closed


def test_a_silent_fence_asks_nothing_of_a_server_that_would_answer(listener):
    # The rounds just found it answering nobody (a partition that heals in this instant): the kill follows
    # anyway, so no probe, no login.
    server = listener('greet')
    node = _sql_node(server.port, {'Running': True})
    cluster = _SqlCluster(node, logins=True)
    driver = _mysql_driver(cluster)
    driver.fence(node, silent=True)
    assert cluster.connected == [] and server.accepted == 0
    assert cluster.docker.calls == [('restart_policy', 'id-db1', 'no'), ('kill', 'id-db1')]


def test_answered_nobody_reads_the_last_round_of_a_dead_verdict():
    from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import answered_nobody
    silent = {'controller': False, 'db2': False, 'db3': None}
    assert answered_nobody({'primary_dead': True, 'rounds': [{'controller': True}, silent]}) is True
    assert answered_nobody({'primary_dead': True, 'rounds': [{'controller': False, 'docker': False}]}) is True
    # One replica still reaches it (an asymmetric partition): it may be told to stop writing first.
    assert answered_nobody({'primary_dead': True, 'rounds': [dict(silent, db3=True)]}) is False
    # A forced failover of a live primary, or no check at all.
    assert answered_nobody({'primary_dead': False, 'rounds': [silent]}) is False
    assert answered_nobody(None) is False
