# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SCRAM-SHA-256 verifiers as PostgreSQL makes them (with its SASLprep), and md5 hashes.

The replication role's password is sent to the server as a verifier computed
here, so the clear text is neither in the statement nor in the server log.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata

SCRAM_ITERATIONS = 4096


def _saslprep(password):
    """RFC 4013 SASLprep as PostgreSQL applies it (src/common/saslprep.c): on a
    string that fails a check PostgreSQL uses the raw bytes, and so does this."""
    if not isinstance(password, type(u'')):
        try:
            password = password.decode('utf-8')
        except UnicodeDecodeError:
            return password
    if all(0x20 <= ord(c) < 0x7f for c in password):
        return password.encode('utf-8')
    import stringprep
    mapped = []
    for char in password:
        if stringprep.in_table_b1(char):
            continue
        mapped.append(u' ' if stringprep.in_table_c12(char) else char)
    prepared = unicodedata.normalize('NFKC', u''.join(mapped))
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
                  stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
                  stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
                  stringprep.in_table_c9, stringprep.in_table_a1)
    if any(check(c) for c in prepared for check in prohibited):
        return password.encode('utf-8')
    if any(stringprep.in_table_d1(c) for c in prepared):
        if any(stringprep.in_table_d2(c) for c in prepared) or not (
                stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1])):
            return password.encode('utf-8')
    return prepared.encode('utf-8')


def _scram_keys(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac('sha256', _saslprep(password), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    return stored_key, server_key


def parse_scram_verifier(verifier):
    """(iterations, salt, stored_key, server_key) of ``SCRAM-SHA-256$i:salt$stored:server``, or None."""
    match = re.match(r'^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$', verifier or '')
    if not match:
        return None
    try:
        return (int(match.group(1)), base64.b64decode(match.group(2)),
                base64.b64decode(match.group(3)), base64.b64decode(match.group(4)))
    except (binascii.Error, TypeError, ValueError):
        return None


def scram_matches(verifier, password):
    """True when a PostgreSQL SCRAM-SHA-256 verifier (pg_authid.rolpassword) was made from password."""
    parsed = parse_scram_verifier(verifier)
    if parsed is None:
        return False
    iterations, salt, stored_key, server_key = parsed
    want_stored, want_server = _scram_keys(password, salt, iterations)
    return hmac.compare_digest(want_stored, stored_key) and hmac.compare_digest(want_server, server_key)


def scram_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """The verifier PostgreSQL itself would store for password (what CREATE ROLE ... PASSWORD accepts)."""
    salt = salt if salt is not None else os.urandom(16)
    stored_key, server_key = _scram_keys(password, salt, iterations)
    parts = [base64.b64encode(raw).decode('ascii') for raw in (salt, stored_key, server_key)]
    return 'SCRAM-SHA-256$%d:%s$%s:%s' % tuple([iterations] + parts)


def password_matches(verifier, password, user):
    """A SCRAM verifier, or the older md5 hash (md5 + md5(password + user))."""
    if verifier and verifier.startswith('md5') and len(verifier) == 35:
        digest = hashlib.md5((password + user).encode('utf-8')).hexdigest()
        return hmac.compare_digest('md5' + digest, verifier)
    return scram_matches(verifier, password)
