# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeding a fresh MariaDB replica by replaying its source's binary log from the first one.

Why: the official mariadb image's first start writes the application database, user and grant
to the binary log (only the root accounts are secured with sql_log_bin=0). Every fresh node
therefore holds a few GTIDs of its own (0-<server_id>-1..3), and gtid_strict_mode refuses it as a
replica. MariaDB has no clone plugin; a replica is built by replaying. The fresh node's own
first-start objects (a database with no table, the image's user) would collide with the
source's identical ones in the replay, so they are dropped without being logged, the node's
GTID state is reset, and it replays everything the source ever wrote.

Only a node that holds nothing of value is reset: it replicates from no one, every GTID it has is
its own, and it has no table outside the system schemas. The source must still have its first
binary log (BINLOG_GTID_POS(first log, 4) is '' there; NULL once purged): otherwise the usual
refusal and seeding advice follow, and nothing is changed.

MariaDB KB: "GTID" (gtid_slave_pos, gtid_strict_mode, BINLOG_GTID_POS), "RESET MASTER".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import gtid
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.clone import (
    SYSTEM_SCHEMAS, USER_TABLES_SQL)

# Accounts every MariaDB server has: never dropped.
SYSTEM_USERS = ('root', 'mariadb.sys', 'mysql', 'healthcheck', 'PUBLIC')


def fresh_node_problem(conn, status):
    """None when the server holds nothing but what its image's first start wrote; else why it is not fresh."""
    if status is not None and status['source_host']:
        return 'it is configured to replicate from %s' % status['source_host']
    server_id = int(scalar(conn, 'SELECT @@GLOBAL.server_id'))
    state = gtid.parse_mariadb_gtid_state(scalar(conn, 'SELECT @@GLOBAL.gtid_binlog_state'))
    foreign = sorted(set(server for _domain, server in state if server != server_id))
    if foreign or scalar(conn, 'SELECT @@GLOBAL.gtid_slave_pos'):
        return 'it holds transactions of other servers (server_id %s)' % ', '.join(str(s) for s in foreign)
    tables = int(scalar(conn, USER_TABLES_SQL) or 0)
    if tables:
        return 'it holds %d table(s) outside the system schemas' % tables
    return None


def source_history_problem(source_conn):
    """None when the source still has its first binary log (the whole history can be replayed)."""
    basename = posixpath.basename(scalar(source_conn, 'SELECT @@GLOBAL.log_bin_basename') or '')
    first = '%s.000001' % basename
    if not basename or scalar(source_conn, 'SELECT BINLOG_GTID_POS(%s, 4)', (first,)) != '':
        return 'the source no longer has its first binary log (%s): its history cannot be replayed' % first
    return None


def first_start_objects(conn):
    """(databases, accounts) the image's first start made: the non-system ones, on a fresh node."""
    databases = [row['name'] for row in rows(
        conn, 'SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name NOT IN (%s) '
              'ORDER BY schema_name' % ', '.join("'%s'" % schema for schema in SYSTEM_SCHEMAS))]
    accounts = [(row['user'], row['host']) for row in rows(
        conn, 'SELECT User AS user, Host AS host FROM mysql.user WHERE User NOT IN (%s) ORDER BY User, Host'
              % ', '.join("'%s'" % user for user in SYSTEM_USERS))]
    return databases, accounts


def reset_statements(databases, accounts):
    """What resetting a fresh node runs (and reports): nothing of it reaches the binary log."""
    return (['SET SESSION sql_log_bin = 0']
            + ['DROP DATABASE `%s`' % name.replace('`', '``') for name in databases]
            + ["DROP USER '%s'@'%s'" % (user.replace("'", "''"), host.replace("'", "''")) for user, host in accounts]
            + ['RESET MASTER', "SET GLOBAL gtid_slave_pos = ''", 'SET SESSION sql_log_bin = 1'])


def reset_fresh_node(conn):
    """Drop the first start's empty database and its user, forget the node's own GTIDs: the statements run."""
    statements = reset_statements(*first_start_objects(conn))
    for statement in statements:
        execute(conn, statement)
    return statements
