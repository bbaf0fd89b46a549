# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeding a fresh MySQL replica with the CLONE plugin (MySQL 8.0.17 and later).

Why: the official mysql image's first start writes its time-zone tables, the
application database and user to the binary log (only the root block runs with
sql_log_bin=0). With GTIDs on, every fresh node therefore holds a few
transactions of its own that its source never had, and GTID auto-positioning
refuses it. MySQL's own answer is to copy the source: CLONE INSTANCE replaces the
recipient's data (accounts included) and its GTID history with the donor's.

Only a node that holds nothing of value is cloned over: it replicates from no
one, its GTIDs are all its own, and it has no table outside the system schemas.
Anything else is refused, as before, with the seeding advice.

MySQL manual: "The Clone Plugin", "Cloning Remote Data", "Cloning for Replication".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, scalar
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import gtid
from ansible_collections.dbops.containers.plugins.module_utils.targets import Target

PLUGIN_STATUS_SQL = "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'clone'"
INSTALL_PLUGIN_SQL = "INSTALL PLUGIN clone SONAME 'mysql_clone.so'"
SYSTEM_SCHEMAS = ('mysql', 'sys', 'information_schema', 'performance_schema')
USER_TABLES_SQL = ('SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN (%s)'
                   % ', '.join("'%s'" % schema for schema in SYSTEM_SCHEMAS))
# CLONE INSTANCE ends with this error when no supervisor restarts mysqld (a container's PID 1):
# the data is cloned, the server must be restarted by whoever runs it (MySQL error 3707).
RESTART_NEEDED = 3707
# The donor refuses a second clone while one runs ("Too many concurrent clone operations").
DONOR_BUSY = '3634'


def plugin_active(conn):
    return scalar(conn, PLUGIN_STATUS_SQL) == 'ACTIVE'


def fresh_node_problem(conn, info, status):
    """None when the server holds nothing but what its image's first start wrote; else why it is not fresh."""
    if status is not None and status['source_host']:
        return 'it is configured to replicate from %s' % status['source_host']
    own = info.get('server_uuid')
    history = gtid.mysql_gtid_intervals(scalar(conn, 'SELECT @@GLOBAL.gtid_executed'))
    foreign = sorted(set(key.split(':')[0] for key in history) - set([own]))
    if foreign:
        return 'it holds transactions of other servers (%s)' % ', '.join(foreign)
    tables = int(scalar(conn, USER_TABLES_SQL) or 0)
    if tables:
        return 'it holds %d table(s) outside the system schemas' % tables
    return None


def donor_problem(source_conn):
    """Why the source cannot be cloned from, or None. (db_replication role primary prepares it.)"""
    if not plugin_active(source_conn):
        return ('the clone plugin is not active on the source: run db_replication role primary on it again '
                '(it installs the plugin and grants BACKUP_ADMIN to the replication account)')
    return None


def clone_statements(source_host, source_port):
    """What cloning runs on the replica, as reported in actions (the password never appears)."""
    return [INSTALL_PLUGIN_SQL, "SET GLOBAL clone_valid_donor_list = '%s:%s'" % (source_host, source_port),
            'CLONE INSTANCE FROM <replication user>@%s:%s' % (source_host, source_port), 'restart the replica']


def clone_from(conn, source_host, source_port, user, password, wait_timeout=60):
    """CLONE INSTANCE from the source; True when the server must now be restarted by its supervisor.

    A donor serves one clone at a time (error 3634): replicas of one cluster are set up in
    parallel, so a busy donor is asked again until wait_timeout."""
    if not plugin_active(conn):
        execute(conn, INSTALL_PLUGIN_SQL)
    execute(conn, 'SET GLOBAL clone_valid_donor_list = %s', ('%s:%s' % (source_host, source_port),))
    outcome = {}

    def attempt():
        try:
            execute(conn, 'CLONE INSTANCE FROM %s@%s:%s IDENTIFIED BY %s',
                    (user, source_host, int(source_port), password))
            outcome['restart'] = False
        except Exception as exc:  # noqa: BLE001 - PyMySQL's error classes are not imported here
            args = getattr(exc, 'args', None) or (None, str(exc))
            if args[0] == RESTART_NEEDED:
                outcome['restart'] = True
            elif DONOR_BUSY in str(args[-1]):
                outcome['busy'] = args[-1]
                return False
            else:
                raise DbopsError('cloning from %s:%s failed: %s (the replica\'s error log says more)'
                                 % (source_host, source_port, args[-1]), 'primary_host')
        return True

    if not wait_until(attempt, wait_timeout, interval=2):
        raise DbopsError('the source %s:%s was busy with another clone for wait_timeout (%ss): %s'
                         % (source_host, source_port, wait_timeout, outcome.get('busy')), 'wait_timeout')
    return outcome['restart']


class CloneSeed(object):
    """Clones a fresh replica that db_replication reaches as a container: the container is restarted
    after CLONE INSTANCE (nothing supervises mysqld inside it), then logged in to again."""

    def __init__(self, context, wait_timeout):
        self.context = context
        self.wait_timeout = wait_timeout

    def login_problem(self, host, port):
        """Cloning gives the replica the source's accounts: its own login must work on the source."""
        target = self.context.target
        try:
            self.context.connect(Target(target.engine, host, port, target.user, target.password, None, None))
        except DbopsError as exc:
            return ('cloning gives the replica the primary\'s accounts, and %r cannot log in to the primary with '
                    'the replica\'s password (%s): give both containers the same root password'
                    % (target.user, exc.message))
        return None

    def run(self, conn, source_host, source_port, user, password):
        """Clone, restart, log in again: the new connection."""
        clone_from(conn, source_host, source_port, user, password, self.wait_timeout)
        target = self.context.target
        self.context.docker.restart(target.container_id, timeout=30)

        def logged_in():
            try:
                return self.context.connect()
            except DbopsError:
                return None
        fresh = wait_until(logged_in, self.wait_timeout, interval=1)
        if fresh is None:
            raise DbopsError('the replica did not accept logins within wait_timeout (%ss) after it was cloned and '
                             'restarted: see its log (docker logs %s)' % (self.wait_timeout, target.name),
                             'wait_timeout')
        return fresh
