# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a login failed, told apart: a wrong password, nothing listening, an address that does not
answer, another engine on that port, or a server that is not ready yet.

Each driver's exception becomes a (cause, detail) pair by a pure function (``mysql_cause``,
``postgres_cause``, ``mongodb_cause``); ``login_error`` turns the pair into the DbopsError that
names the parameter to fix. When the driver only says the conversation went wrong (a protocol
error, a lost connection), ``probe_engine`` reads what the server says first: a MySQL or MariaDB
server greets every client with its version, PostgreSQL answers an SSL request with one byte.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket
import struct

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

WRONG_PASSWORD = 'wrong password'
REFUSED = 'connection refused'
UNREACHABLE = 'unreachable'
UNKNOWN_HOST = 'unknown host'
NO_DATABASE = 'no such database'
NOT_READY = 'not ready'
PROTOCOL = 'protocol'        # the server answered, but not in the driver's protocol (another engine?)
WRONG_ENGINE = 'wrong engine'
OTHER = 'other'

NOTHING_CHANGED = 'nothing was changed'

# MySQL/MariaDB client and server error codes (MySQL "Server Error Message Reference",
# "Client Error Message Reference"; MariaDB "MariaDB Error Codes").
_MYSQL_CODES = {
    1044: NO_DATABASE,       # ER_DBACCESS_DENIED_ERROR: the account may not use that database
    1045: WRONG_PASSWORD,    # ER_ACCESS_DENIED_ERROR
    1049: NO_DATABASE,       # ER_BAD_DB_ERROR
    1040: NOT_READY,         # ER_CON_COUNT_ERROR: too many connections
    1053: NOT_READY,         # ER_SERVER_SHUTDOWN
    3032: NOT_READY,         # ER_SERVER_OFFLINE_MODE
    4151: NOT_READY,         # ER_SERVER_OFFLINE_MODE_USER (MySQL 8.0.31+)
    2013: PROTOCOL,          # CR_SERVER_LOST: no greeting (another engine) or a hung server
    2027: PROTOCOL,          # CR_MALFORMED_PACKET
}

# PostgreSQL FATAL messages of a server that is not accepting connections yet (postmaster.c, "the
# database system is ...", SQLSTATE 57P03).
_POSTGRES_NOT_READY = ('the database system is starting up', 'the database system is in recovery mode',
                       'the database system is shutting down', 'the database system is not yet accepting',
                       'the database system is not accepting connections', 'too many clients already',
                       'remaining connection slots are reserved')


def _first_line(text):
    text = (text or '').strip()
    return text.splitlines()[0].strip() if text else ''


def _network_cause(text):
    """The cause of a failure told by the operating system's words in the driver's message."""
    lowered = text.lower()
    if 'connection refused' in lowered or 'errno 111' in lowered:
        return REFUSED
    if ('name or service not known' in lowered or 'could not translate host name' in lowered
            or 'nodename nor servname' in lowered or 'temporary failure in name resolution' in lowered
            or 'errno -2' in lowered or 'errno -3' in lowered):
        return UNKNOWN_HOST
    if ('timed out' in lowered or 'timeout expired' in lowered or 'no route to host' in lowered
            or 'network is unreachable' in lowered):
        return UNREACHABLE
    return None


def mysql_cause(exc):
    """(cause, detail) of a PyMySQL exception raised by connect(). Pure."""
    args = getattr(exc, 'args', ()) or ()
    code = args[0] if args and isinstance(args[0], int) else None
    detail = str(args[-1]) if args else str(exc)
    if code == 2003 or code is None:
        return _network_cause(detail) or (OTHER if code is None else UNREACHABLE), detail
    if code == 2013 and _network_cause(detail) in (REFUSED, UNKNOWN_HOST):
        return _network_cause(detail), detail
    return _MYSQL_CODES.get(code, OTHER), detail


def postgres_cause(exc):
    """(cause, detail) of a psycopg2 OperationalError raised by connect(). Pure."""
    text = str(exc)
    # libpq: 'connection to server at "h", port p failed: FATAL:  ...': the part after 'failed:'.
    detail = _first_line(text.split(' failed: ', 1)[-1]) if ' failed: ' in text else _first_line(text)
    lowered = text.lower()
    if 'password authentication failed' in lowered or 'no password supplied' in lowered \
            or 'authentication failed for user' in lowered:
        return WRONG_PASSWORD, detail
    if 'database "' in lowered and 'does not exist' in lowered:
        return NO_DATABASE, detail
    if any(phrase in lowered for phrase in _POSTGRES_NOT_READY):
        return NOT_READY, detail
    network = _network_cause(text)
    if network:
        return network, detail
    if ('invalid response to ssl negotiation' in lowered or 'server closed the connection unexpectedly' in lowered
            or 'expected authentication request' in lowered or 'invalid length of startup packet' in lowered
            or 'unsupported frontend protocol' in lowered):
        return PROTOCOL, detail
    return OTHER, detail


def mongodb_cause(exc):
    """(cause, detail) of a pymongo exception raised while logging in. Pure: reads the class name."""
    names = set(klass.__name__ for klass in type(exc).__mro__)
    text = str(exc)
    detail = _first_line(text)
    code = getattr(exc, 'code', None)
    if 'OperationFailure' in names and (code == 18 or 'authentication failed' in text.lower()):
        return WRONG_PASSWORD, detail
    if code in (91, 11600, 11602, 189, 13436):   # ShutdownInProgress, InterruptedAtShutdown, PrimarySteppedDown,
        return NOT_READY, detail                # NotPrimaryOrSecondary (starting up)
    if 'ProtocolError' in names:
        return PROTOCOL, detail
    network = _network_cause(text)
    if network:
        return network, detail
    if 'ServerSelectionTimeoutError' in names or 'AutoReconnect' in names:
        return UNREACHABLE, detail
    return OTHER, detail


# ------------------------------------------------------------------ which engine is there
def engine_of_greeting(data):
    """The engine a server's first bytes name: 'mysql', 'mariadb' or None. Pure.

    A MySQL-protocol server speaks first: a packet (3-byte length, 1-byte sequence) holding the protocol
    version 10 and the server's version, NUL-terminated; or an error packet (0xff) when it refuses the
    host (too many connections, blocked host): that is a MySQL-protocol server too.
    """
    if not data or len(data) < 5:
        return None
    body = data[4:]
    if body[:1] == b'\xff':
        return 'mysql'
    if body[:1] != b'\x0a':
        return None
    version = body[1:].split(b'\x00', 1)[0].decode('ascii', 'replace')
    if not re.match(r'^\d+\.\d+', version):
        return None
    return 'mariadb' if 'mariadb' in version.lower() else 'mysql'


def engine_of_ssl_answer(data):
    """'postgres' when the answer to an SSLRequest is PostgreSQL's one byte (S or N), else None. Pure."""
    return 'postgres' if data in (b'S', b'N') else None


# PostgreSQL's SSLRequest: length 8, request code 80877103 ("Message Formats").
SSL_REQUEST = struct.pack('!ii', 8, 80877103)


def probe_engine(host, port, timeout=3.0):
    """The engine listening at host:port as its first bytes tell ('mysql', 'mariadb', 'postgres'), or None.

    Two short TCP conversations at most, and no login: a MySQL-protocol server greets at once; a server
    that stays silent is asked PostgreSQL's SSL question, which PostgreSQL answers with one byte.
    """
    wait = max(0.5, min(float(timeout or 3), 3.0))
    try:
        sock = socket.create_connection((host, int(port)), timeout=wait)
    except (OSError, socket.error, ValueError):
        return None
    try:
        sock.settimeout(min(wait, 1.5))
        try:
            first = sock.recv(256)
        except socket.timeout:
            first = None
        except (OSError, socket.error):
            return None
        if first:
            return engine_of_greeting(first)
        if first is not None:     # closed without a word
            return None
        sock.settimeout(wait)
        try:
            sock.sendall(SSL_REQUEST)
            return engine_of_ssl_answer(sock.recv(1))
        except (OSError, socket.error):
            return None
    finally:
        try:
            sock.close()
        except (OSError, socket.error):
            pass


# ------------------------------------------------------------------ messages
ENGINE_LABELS = {'mysql': 'MySQL', 'mariadb': 'MariaDB', 'postgres': 'PostgreSQL', 'mongodb': 'MongoDB'}


def unchanged(message):
    """message ending with 'nothing was changed' (once): only for refusals made before any change."""
    text = message.rstrip().rstrip('.')
    return text if text.endswith(NOTHING_CHANGED) else '%s; %s' % (text, NOTHING_CHANGED)


def login_error(cause, detail, host, port, user, label, password_given=True, found_engine=None,
                database=None, same_family=()):
    """The DbopsError for a login that failed with cause. Pure.

    ``label``: the engine the module expected (e.g. 'PostgreSQL'); ``found_engine``: what the probe
    found there; ``same_family``: engine names that speak the expected protocol.
    """
    where = '%s:%s' % (host, port)
    if found_engine and found_engine not in same_family:
        found = ENGINE_LABELS.get(found_engine, found_engine)
        return DbopsError('the server at %s is %s (its first answer says so), not %s: set engine to %s, or '
                          'login_host/login_port to a %s server' % (where, found, label, found_engine, label),
                          'engine')
    if cause == WRONG_PASSWORD:
        return DbopsError('%s at %s refused the login of %r: wrong password (or no such account for this '
                          'client address): check login_user and login_password%s; for a container made by '
                          'db_container without login_password, the superuser password is the one in its '
                          'secrets volume (the root_password it was created with) (%s)'
                          % (label, where, user, '' if password_given else ' (no password was given)', detail),
                          'login_password')
    if cause == NO_DATABASE:
        return DbopsError('%s at %s: %s: check login_db' % (label, where, detail), 'login_db')
    if cause == REFUSED:
        return DbopsError('nothing accepts connections at %s (connection refused): check login_port, and that '
                          'the %s server runs there' % (where, label), 'login_port')
    if cause == UNKNOWN_HOST:
        return DbopsError('cannot resolve the host name %r: check login_host' % (host,), 'login_host')
    if cause == UNREACHABLE:
        return DbopsError('%s does not answer (%s): check login_host (an address this host reaches) and any '
                          'firewall in between' % (where, detail), 'login_host')
    if cause == NOT_READY:
        return DbopsError('the %s server at %s is not ready yet (%s): it is starting up, recovering or shutting '
                          'down; wait until it accepts connections (the container\'s health check) and run '
                          'again' % (label, where, detail), 'login_host')
    if cause == PROTOCOL:
        return DbopsError('the server at %s did not answer as %s does (%s): check engine, login_host and '
                          'login_port' % (where, label, detail), 'engine')
    return DbopsError('cannot log in to %s at %s (%s): check login_host and login_port, and that the server '
                      'runs' % (label, where, detail), 'login_host')


def connect_failure(cause, detail, host, port, user, label, password_given=True, database=None, same_family=(),
                    probe=probe_engine, timeout=None):
    """login_error, asking the server which engine it is when the driver could not tell (``probe``, within
    the caller's connect ``timeout`` when given: a frozen server must cost a failover probe no more).

    The error carries ``cause`` (WRONG_ENGINE when the probe found another engine) and ``detail``, for
    callers that add what they know (targets.connect: the container's health) or decide on them (a
    saturated server is alive).
    """
    found = None
    if cause in (PROTOCOL, OTHER) and probe is not None:
        found = probe(host, port, timeout) if timeout else probe(host, port)
    error = login_error(cause, detail, host, port, user, label, password_given, found, database, same_family)
    error.cause = WRONG_ENGINE if error.parameter == 'engine' and found else cause
    error.detail = detail
    return error


def saturated(error):
    """True when a failed login shows a server that answers but has no connection slot left (too many
    connections, slots reserved): alive and busy, not dead. Pure."""
    detail = (getattr(error, 'detail', None) or '').lower()
    return getattr(error, 'cause', None) == NOT_READY and (
        'too many' in detail or 'reserved' in detail or '1040' in detail)
