# -*- coding: utf-8 -*-
"""common/login_errors.py: each driver's exception told apart (wrong password, nothing listening, an address
that does not answer, another engine, not ready yet), the DbopsError naming the parameter to fix, and the
first bytes a server sends read as its engine. The exceptions are the ones PyMySQL 1.1 and psycopg2 2.9 raised
against the project's MySQL 9.7, MariaDB 11.8 and PostgreSQL 18 containers (texts copied from those runs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import struct
import threading

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors as le
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

pymysql = pytest.importorskip('pymysql')
psycopg2 = pytest.importorskip('psycopg2')


def _mysql(code, text):
    return pymysql.err.OperationalError(code, text)


@pytest.mark.parametrize('exc, cause', [
    (_mysql(1045, "Access denied for user 'root'@'172.17.0.1' (using password: YES)"), le.WRONG_PASSWORD),
    (_mysql(1044, "Access denied for user 'app'@'%' to database 'nope'"), le.NO_DATABASE),
    (_mysql(1049, "Unknown database 'nope'"), le.NO_DATABASE),
    (_mysql(2003, "Can't connect to MySQL server on '172.17.0.3' ([Errno 111] Connection refused)"), le.REFUSED),
    (_mysql(2003, "Can't connect to MySQL server on 'no-such-host.invalid' ([Errno -2] Name or service not "
                  "known)"), le.UNKNOWN_HOST),
    (_mysql(2003, "Can't connect to MySQL server on '10.1.2.3' (timed out)"), le.UNREACHABLE),
    (_mysql(2003, "Can't connect to MySQL server on '10.1.2.3' ([Errno 113] No route to host)"), le.UNREACHABLE),
    # PostgreSQL never greets: PyMySQL gives up reading the handshake.
    (_mysql(2013, 'Lost connection to MySQL server during query'), le.PROTOCOL),
    (_mysql(1040, 'Too many connections'), le.NOT_READY),
    (_mysql(1053, 'Server shutdown in progress'), le.NOT_READY),
    (_mysql(3032, 'The server is currently in offline mode'), le.NOT_READY),
    (_mysql(1130, "Host '172.17.0.1' is not allowed to connect to this MySQL server"), le.OTHER),
])
def test_mysql_causes(exc, cause):
    assert le.mysql_cause(exc)[0] == cause


def _pg(text):
    return psycopg2.OperationalError(text)


@pytest.mark.parametrize('exc, cause', [
    (_pg('connection to server at "172.17.0.8", port 5432 failed: FATAL:  password authentication failed for '
         'user "postgres"\n'), le.WRONG_PASSWORD),
    (_pg('connection to server at "172.17.0.8", port 5432 failed: fe_sendauth: no password supplied\n'),
     le.WRONG_PASSWORD),
    (_pg('connection to server at "172.17.0.8", port 5432 failed: FATAL:  database "nope" does not exist\n'),
     le.NO_DATABASE),
    (_pg('connection to server at "172.17.0.8", port 5433 failed: Connection refused\n\tIs the server running on '
         'that host and accepting TCP/IP connections?\n'), le.REFUSED),
    (_pg('could not translate host name "no-such-host.invalid" to address: Name or service not known\n'),
     le.UNKNOWN_HOST),
    (_pg('connection to server at "10.1.2.3", port 5432 failed: timeout expired\n'), le.UNREACHABLE),
    # A MySQL or MariaDB server answers libpq's SSL request with its greeting.
    (_pg('connection to server at "172.17.0.6", port 3306 failed: received invalid response to SSL negotiation: '
         'l\n'), le.PROTOCOL),
    (_pg('connection to server at "172.17.0.8", port 5432 failed: FATAL:  the database system is starting up\n'),
     le.NOT_READY),
    (_pg('connection to server at "172.17.0.8", port 5432 failed: FATAL:  the database system is not yet accepting '
         'connections\nDETAIL:  Consistent recovery state has not been yet reached.\n'), le.NOT_READY),
    (_pg('connection to server at "172.17.0.8", port 5432 failed: FATAL:  the database system is shutting down\n'),
     le.NOT_READY),
    (_pg('connection to server at "172.17.0.8", port 5432 failed: FATAL:  no pg_hba.conf entry for host '
         '"172.17.0.1", user "x", database "postgres", no encryption\n'), le.OTHER),
])
def test_postgres_causes(exc, cause):
    assert le.postgres_cause(exc)[0] == cause


def test_postgres_detail_is_the_servers_own_line():
    cause, detail = le.postgres_cause(_pg('connection to server at "h", port 5432 failed: FATAL:  the database '
                                          'system is starting up\n'))
    assert detail == 'FATAL:  the database system is starting up'


class OperationFailure(Exception):
    def __init__(self, message, code=None):
        super(OperationFailure, self).__init__(message)
        self.code = code


class ServerSelectionTimeoutError(Exception):
    pass


class ProtocolError(Exception):
    pass


@pytest.mark.parametrize('exc, cause', [
    (OperationFailure('Authentication failed.', 18), le.WRONG_PASSWORD),
    (OperationFailure('interrupted at shutdown', 11600), le.NOT_READY),
    (ServerSelectionTimeoutError('10.1.2.3:27017: [Errno 111] Connection refused'), le.REFUSED),
    (ServerSelectionTimeoutError('10.1.2.3:27017: timed out'), le.UNREACHABLE),
    (ServerSelectionTimeoutError('no servers found yet'), le.UNREACHABLE),
    (ProtocolError('Message length (1195725856) not valid'), le.PROTOCOL),
])
def test_mongodb_causes_by_class_name(exc, cause):
    assert le.mongodb_cause(exc)[0] == cause


@pytest.mark.parametrize('cause, parameter, words', [
    (le.WRONG_PASSWORD, 'login_password', ['wrong password', 'login_password', 'secrets volume']),
    (le.REFUSED, 'login_port', ['connection refused', 'login_port']),
    (le.UNREACHABLE, 'login_host', ['does not answer', 'login_host']),
    (le.UNKNOWN_HOST, 'login_host', ['cannot resolve']),
    (le.NOT_READY, 'login_host', ['not ready yet', 'wait']),
    (le.NO_DATABASE, 'login_db', ['login_db']),
    (le.PROTOCOL, 'engine', ['did not answer as PostgreSQL does', 'engine']),
    (le.OTHER, 'login_host', ['cannot log in']),
])
def test_each_cause_names_its_parameter(cause, parameter, words):
    error = le.login_error(cause, 'detail', 'db1', 5432, 'postgres', 'PostgreSQL')
    assert isinstance(error, DbopsError) and error.parameter == parameter
    for word in words:
        assert word in error.message
    # The message of a failed login never claims anything about changes: only the caller knows.
    assert le.NOTHING_CHANGED not in error.message


def test_another_engine_found_by_the_probe_names_engine():
    error = le.login_error(le.PROTOCOL, 'x', 'db1', 3306, 'postgres', 'PostgreSQL', found_engine='mariadb',
                           same_family=('postgres',))
    assert error.parameter == 'engine' and 'MariaDB' in error.message and 'set engine to mariadb' in error.message
    # The same protocol family is no mismatch: the driver's own words stay.
    error = le.login_error(le.PROTOCOL, 'x', 'db1', 3306, 'root', 'MySQL/MariaDB', found_engine='mariadb',
                           same_family=('mysql', 'mariadb'))
    assert error.parameter == 'engine' and 'did not answer' in error.message


def test_connect_failure_probes_only_when_the_driver_cannot_tell():
    asked = []

    def probe(host, port):
        asked.append((host, port))
        return 'postgres'
    error = le.connect_failure(le.WRONG_PASSWORD, 'x', 'h', 5432, 'u', 'PostgreSQL', probe=probe)
    assert error.parameter == 'login_password' and asked == [] and error.cause == le.WRONG_PASSWORD
    error = le.connect_failure(le.PROTOCOL, 'x', 'h', 5432, 'root', 'MySQL/MariaDB', probe=probe,
                               same_family=('mysql', 'mariadb'))
    assert error.parameter == 'engine' and 'is PostgreSQL' in error.message and asked == [('h', 5432)]
    assert error.cause == le.WRONG_ENGINE


def test_unchanged_is_said_once():
    assert le.unchanged('refused.') == 'refused; nothing was changed'
    assert le.unchanged(le.unchanged('refused')) == 'refused; nothing was changed'


# First bytes, as the project's servers sent them (MariaDB 11.8 and MySQL 9.7 handshakes, first 40 bytes),
# and the error packet a MySQL server sends instead when it refuses the client (header, 0xff, code 1040).
MARIADB_GREETING = b'l\x00\x00\x00\n11.8.9-MariaDB-0+deb13u1 from Debia'
MYSQL_GREETING = (b'K\x00\x00\x00\n9.7.4-2\x00Z\x00\x00\x00Zoa\x16\x069R\x1f\x00\xff\xff\xff\x02\x00\xff\xdf\x15'
                  b'\x00\x00\x00\x00\x00\x00')
MYSQL_TOO_MANY = b'\x17\x00\x00\x00\xff\x10\x04Too many connections'


@pytest.mark.parametrize('data, engine', [
    (MARIADB_GREETING, 'mariadb'),
    (MYSQL_GREETING, 'mysql'),
    (MYSQL_TOO_MANY, 'mysql'),
    (b'HTTP/1.1 400 Bad Request\r\n', None),
    (b'', None),
    (b'\x05\x00\x00\x00\x0aabc', None),
])
def test_engine_of_greeting(data, engine):
    assert le.engine_of_greeting(data) == engine


def test_engine_of_ssl_answer():
    assert le.engine_of_ssl_answer(b'S') == 'postgres' and le.engine_of_ssl_answer(b'N') == 'postgres'
    assert le.engine_of_ssl_answer(b'') is None and le.engine_of_ssl_answer(b'E') is None


def _serve_once(handler):
    """A one-connection TCP server on 127.0.0.1 running handler(conn); its port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(('127.0.0.1', 0))
    server.listen(1)

    def run():
        conn, _addr = server.accept()
        try:
            handler(conn)
        finally:
            conn.close()
            server.close()
    threading.Thread(target=run, daemon=True).start()
    return server.getsockname()[1]


def test_probe_reads_a_greeting_and_asks_a_silent_server_the_ssl_question():
    port = _serve_once(lambda conn: conn.sendall(MARIADB_GREETING))
    assert le.probe_engine('127.0.0.1', port, 2) == 'mariadb'

    def postgres_like(conn):
        request = conn.recv(8)
        assert request == struct.pack('!ii', 8, 80877103)
        conn.sendall(b'N')
    port = _serve_once(postgres_like)
    assert le.probe_engine('127.0.0.1', port, 2) == 'postgres'


def test_probe_of_a_closed_port_is_none():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    assert le.probe_engine('127.0.0.1', port, 1) is None


def test_the_probe_honours_the_callers_timeout():
    # A frozen server never greets: asking it which engine it is must not cost a failover probe more
    # than the connect timeout it was given.
    asked = []
    le.connect_failure(le.PROTOCOL, 'timed out', 'h', 3306, 'root', 'MySQL/MariaDB',
                       probe=lambda host, port, timeout=3.0: asked.append(timeout), timeout=1)
    assert asked == [1]


def test_a_saturated_server_is_told_apart_from_one_not_ready():
    too_many = le.connect_failure(le.NOT_READY, '(1040, "Too many connections")', 'h', 3306, 'root', 'MySQL',
                                  probe=None)
    slots = le.connect_failure(le.NOT_READY, 'FATAL:  sorry, too many clients already', 'h', 5432, 'postgres',
                               'PostgreSQL', probe=None)
    starting = le.connect_failure(le.NOT_READY, 'FATAL:  the database system is starting up', 'h', 5432,
                                  'postgres', 'PostgreSQL', probe=None)
    wrong = le.connect_failure(le.WRONG_PASSWORD, 'Access denied', 'h', 3306, 'root', 'MySQL', probe=None)
    assert le.saturated(too_many) and le.saturated(slots)
    assert not le.saturated(starting) and not le.saturated(wrong)
