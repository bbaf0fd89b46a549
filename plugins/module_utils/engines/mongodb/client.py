# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the MongoDB replication, failover and audit code share about talking to a mongod: pymongo's
error classes, the server's error codes, admin commands, and readers of replSetGetStatus documents."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

try:
    from pymongo.errors import OperationFailure, PyMongoError
except ImportError:  # pragma: no cover - the adapter's connect reports the missing library
    class PyMongoError(Exception):
        pass

    class OperationFailure(PyMongoError):
        code = None

# Server error codes (src/mongo/base/error_codes.yml).
UNAUTHORIZED = 13
AUTHENTICATION_FAILED = 18
COMMAND_NOT_FOUND = 59
NO_REPLICATION_ENABLED = 76     # standalone mongod: no replica set
NOT_YET_INITIALIZED = 94        # started with a replSetName, rs.initiate() not run yet
NOT_WRITABLE_PRIMARY = 10107

# Member states that can vote (replica set member states, "Votes").
VOTING_STATES = ('PRIMARY', 'SECONDARY', 'STARTUP2', 'RECOVERING', 'ARBITER', 'ROLLBACK')
STEP_DOWN_SECONDS = 60


def error_code(exc):
    """The server's error code of a pymongo error (None for errors that carry none)."""
    return getattr(exc, 'code', None)


def admin_command(client, document, parameter='login_host'):
    """``document`` run on the admin database. OperationFailure (the server refused it) is raised as it is,
    for the caller to read its code; any other pymongo error is a DbopsError naming ``parameter``."""
    try:
        return client['admin'].command(document)
    except OperationFailure:
        raise
    except PyMongoError as exc:
        raise DbopsError('%s failed: %s' % (next(iter(document)), exc), parameter)


def hello(client):
    """The hello command's answer (isMaster on servers before 4.4.2, which do not know hello)."""
    try:
        return client['admin'].command({'hello': 1})
    except OperationFailure as exc:
        if error_code(exc) != COMMAND_NOT_FOUND:
            raise
        return client['admin'].command({'isMaster': 1})


def is_writable_primary(hello_answer):
    return bool(hello_answer.get('isWritablePrimary') or hello_answer.get('ismaster'))


def self_member(status_doc):
    """The member entry of replSetGetStatus for the server that answered, or {}."""
    for member in (status_doc or {}).get('members') or []:
        if member.get('self'):
            return member
    return {}


def primary_name(status_doc):
    """host:port of the member replSetGetStatus reports PRIMARY, or None."""
    for member in (status_doc or {}).get('members') or []:
        if member.get('stateStr') == 'PRIMARY':
            return member.get('name')
    return None


def votes_now(member):
    """Does this member (its stateStr and health as reported) count towards a voting majority now?"""
    return member.get('health') not in (0, 0.0) and member.get('stateStr') in VOTING_STATES
