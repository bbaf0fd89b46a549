# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A running standby's primary: its primary_conninfo read, written and changed, and the wait
until its WAL receiver streams."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.standby import PASSFILE_PATH
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.values import plain_row

WAL_RECEIVER_SQL = 'SELECT status, sender_host, sender_port, slot_name FROM pg_stat_wal_receiver'


def parse_conninfo(conninfo):
    """libpq 'key=value key2=\'quoted value\'' -> dict (the subset primary_conninfo uses)."""
    result = {}
    for match in re.finditer(r"(\w+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)", conninfo or ''):
        value = match.group(3) if match.group(3) is not None else match.group(2)
        result[match.group(1)] = re.sub(r'\\(.)', r'\1', value)
    return result


def conninfo_string(primary_host, primary_port, user, application_name):
    """primary_conninfo as pg_basebackup -R writes it: the password stays in the passfile."""
    def quote(value):
        return "'%s'" % str(value).replace('\\', '\\\\').replace("'", "\\'")
    pairs = [('user', user), ('passfile', PASSFILE_PATH), ('host', primary_host), ('port', int(primary_port)),
             ('application_name', application_name), ('sslmode', 'prefer')]
    return ' '.join('%s=%s' % (key, quote(value)) for key, value in pairs)


def conninfo_differs(current, primary_host, primary_port, user):
    parsed = parse_conninfo(current)
    return (parsed.get('host') != primary_host or str(parsed.get('port', '5432')) != str(int(primary_port))
            or parsed.get('user') != user or parsed.get('passfile') != PASSFILE_PATH)


def point_standby(conn, primary_host, primary_port, user, slot, dry_run=False):
    """Make a running standby stream from primary_host:primary_port -> (changed, actions).

    primary_conninfo and primary_slot_name are reloadable since PostgreSQL 13:
    ALTER SYSTEM and pg_reload_conf() restart the WAL receiver, not the server.
    """
    if not scalar(conn, 'SELECT pg_is_in_recovery()'):
        raise DbopsError('the server is not a standby (it is not in recovery): it cannot follow %s'
                         % primary_host, 'container')
    current = scalar(conn, "SELECT current_setting('primary_conninfo')")
    current_slot = scalar(conn, "SELECT current_setting('primary_slot_name')")
    actions = []
    if conninfo_differs(current, primary_host, primary_port, user):
        actions.append('primary_conninfo:%s:%s' % (primary_host, primary_port))
    if current_slot != slot:
        actions.append('primary_slot_name:%s' % slot)
    if actions and not dry_run:
        application = parse_conninfo(current).get('application_name') or slot
        execute(conn, 'ALTER SYSTEM SET primary_conninfo = %s',
                (conninfo_string(primary_host, primary_port, user, application),))
        execute(conn, 'ALTER SYSTEM SET primary_slot_name = %s', (slot,))
        scalar(conn, 'SELECT pg_reload_conf()')
        actions.append('reload')
    return bool(actions), actions


def wait_streaming(conn, wait_timeout):
    """Wait until the WAL receiver streams; the last pg_stat_wal_receiver row, or DbopsError."""
    last = {'rows': []}

    def streaming_row():
        last['rows'] = rows(conn, WAL_RECEIVER_SQL)
        if last['rows'] and last['rows'][0]['status'] == 'streaming':
            return plain_row(last['rows'][0])
        return None

    row = wait_until(streaming_row, wait_timeout, interval=0.2)
    if row:
        return row
    receiver = last['rows']
    raise DbopsError('the standby does not stream after %d s (WAL receiver: %s): check the primary\'s '
                     'address, pg_hba.conf and the replication password, and the standby\'s log'
                     % (wait_timeout, receiver[0]['status'] if receiver else 'not running'), 'primary_host')
