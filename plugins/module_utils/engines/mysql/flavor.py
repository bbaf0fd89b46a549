# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB: every difference between the two flavors, in one place.

A flavor object is one flavor at one server version (``flavor_of(VERSION())``);
replication, failover and the audit ask it for statements and names instead of
comparing flavor strings. Results still show the flavor by its name, 'mysql' or
'mariadb' (``Flavor.name``).

Names used per flavor and version:

* MariaDB: ``CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos``, ``START/STOP SLAVE``,
  ``SHOW SLAVE STATUS``; semi-sync is built into the server since 10.3.3
  (``rpl_semi_sync_master_*`` / ``rpl_semi_sync_slave_*``), no plugin to install.
* MySQL >= 8.0.23: ``CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION=1,
  GET_SOURCE_PUBLIC_KEY=1`` (caching_sha2_password without TLS needs the key);
  ``START/STOP REPLICA`` and ``SHOW REPLICA STATUS`` since 8.0.22.
* MySQL < 8.0.23: ``CHANGE MASTER TO ... MASTER_AUTO_POSITION=1``.
* MySQL >= 8.0.26: semi-sync plugins ``rpl_semi_sync_source`` (semisync_source.so)
  and ``rpl_semi_sync_replica`` (semisync_replica.so), variables
  ``rpl_semi_sync_source_*`` / ``rpl_semi_sync_replica_*``; older MySQL uses the
  ``semisync_master.so`` / ``semisync_slave.so`` plugins and ``*_master_*`` names.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import abc


from ansible_collections.dbops.containers.plugins.module_utils.common.sql import rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least, parse_version
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import gtid
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import AbstractBase

# The semi-sync source timeout (milliseconds) under durability required: the largest value the servers
# accept, so a commit waits for a replica's acknowledgement for as long as it takes and the source never
# falls back to asynchronous commits. Read from the servers (information_schema.SYSTEM_VARIABLES
# NUMERIC_MAX_VALUE on MariaDB 10.11.18 and 11.8.9; SET GLOBAL kept the value unadjusted on those and on
# MySQL 9.7.4; ``--verbose --help`` and ``--validate-config`` take it in a configuration file). With it, a
# commit on a source with no replica still waited after 600 s: the deadline does not overflow.
SEMI_SYNC_NO_FALLBACK_MS = 18446744073709551615
DURABILITIES = ('required', 'preferred')


class Flavor(AbstractBase):
    """One flavor at one version. ``version`` may be None: the version-free attributes need none."""

    name = None
    is_mariadb = False
    # The server can be told to refuse writes from SUPER users too (super_read_only).
    has_super_read_only = False
    # The server has a server_uuid (an identity beside server_id).
    has_server_uuid = False
    # GTIDs can be switched off (gtid_mode): a GTID primary must check them.
    has_gtid_mode = False
    # The stored password hash can be compared with PASSWORD(%s) (mysql_native_password).
    can_compare_password = False
    # A replica's restart throws away what it received and had not applied (see MariaDB). MySQL keeps its
    # relay log across a restart (relay_log_recovery OFF, the default) and asks only for what it lacks.
    restart_discards_relay_log = False
    # SET PERSIST writes a setting into the server's own configuration (it survives a restart).
    has_set_persist = False
    # Lines of the fence file (failover) that only this flavor writes.
    fence_settings = ()
    # The privileges of the exporter account (db_monitoring_user).
    monitoring_privileges = 'PROCESS, REPLICATION CLIENT'
    # Waits (server side) until the GTID position %s is applied or %s seconds passed: 0 when applied.
    gtid_wait_sql = None

    @property
    def can_clone(self):
        """A fresh replica can be seeded with CLONE INSTANCE (engines/mysql/clone.py)."""
        return False

    # A fresh replica is reset and replays its source's whole binary log (engines/mysql/replay.py).
    can_replay_from_start = False
    # What a source has written (the position its replicas must reach).
    source_gtid_sql = None

    def __init__(self, version=None):
        self.version = version

    # --- replica threads and status ---------------------------------------------------
    def replica_word(self):
        """REPLICA or SLAVE, as START/STOP/RESET/SHOW ... STATUS spell it on this server."""
        return 'SLAVE'

    @abc.abstractmethod
    def replica_command(self, verb, thread=None, channel=''):
        """``START``/``STOP`` of the replica threads (``thread``: 'IO' or 'SQL' for one) of ``channel``."""

    def start_sql(self, thread=None):
        return self.replica_command('START', thread)

    def stop_sql(self, thread=None):
        return self.replica_command('STOP', thread)

    def reset_sql(self):
        """Forget the source entirely (back to a standalone server)."""
        return 'RESET %s ALL' % self.replica_word()

    def status_sql(self):
        """The status of the default replication channel (the one db_replication configures)."""
        return 'SHOW %s STATUS' % self.replica_word()

    def all_channels_status_sql(self):
        """The status of every replication channel (the audit reads them all)."""
        return self.status_sql()

    # --- pointing a replica at its source ---------------------------------------------
    def change_source_words(self):
        """(statement, option prefix): ('CHANGE MASTER TO', 'MASTER') or its 8.0.23 rename."""
        return 'CHANGE MASTER TO', 'MASTER'

    @abc.abstractmethod
    def gtid_positioning(self):
        """(option, value) that makes a replica follow its source by GTID."""

    def change_source_options(self, keyword):
        """The options after host, port, user and password.

        A connect retry of 1 s (the default is 60): an IO thread that lost its source tries again every
        second instead of sleeping a minute, so a replica re-pointed or healed follows at once. With the
        short replica net timeout the cluster role sets (4 s, heartbeat 2 s; orchestrator's advice for
        failure detection), a connection attempt to a dead source ends within 4 s: STOP SLAVE on a
        candidate waits for its IO thread, and one blocked in a 60 s connect held a promotion for 58 s
        (fault suite, ten cycles, MariaDB 11.8)."""
        return ['%s=%s' % self.gtid_positioning(), '%s_CONNECT_RETRY=1' % keyword]

    def change_source_sql(self, host, port, user, password=None, password_placeholder=True):
        """The statement that points a replica at its source, as ``(sql, params)``.

        Values are passed as parameters (PyMySQL quotes them). With
        ``password_placeholder`` False the password clause is left out (the
        replica keeps the password it has).
        """
        statement, keyword = self.change_source_words()
        clauses = ['%s_HOST=%%s' % keyword, '%s_PORT=%%s' % keyword, '%s_USER=%%s' % keyword]
        params = [host, int(port), user]
        if password_placeholder:
            clauses.append('%s_PASSWORD=%%s' % keyword)
            params.append(password)
        clauses.append(', '.join(self.change_source_options(keyword)))
        return '%s %s' % (statement, ', '.join(clauses)), tuple(params)

    def gtid_positioning_sql(self):
        """The statement that turns GTID positioning on for a replica that has its source already."""
        return '%s %s = %s' % ((self.change_source_words()[0],) + self.gtid_positioning())

    # --- semi-synchronous replication -----------------------------------------------
    def semi_sync_words(self):
        """(source word, replica word, plugins) of semi-sync; plugins maps role -> (plugin, library) or None."""
        return 'master', 'slave', {'primary': ('rpl_semi_sync_master', 'semisync_master.so'),
                                   'replica': ('rpl_semi_sync_slave', 'semisync_slave.so')}

    def semi_sync_names(self):
        """Variable, status and plugin names of semi-sync for this server.

        ``plugins`` maps role -> (plugin name, library) to INSTALL, or None when
        semi-sync is built in (MariaDB >= 10.3.3).
        """
        source, replica, plugins = self.semi_sync_words()
        return {
            'plugins': plugins,
            'source_enabled': 'rpl_semi_sync_%s_enabled' % source,
            'source_wait_point': 'rpl_semi_sync_%s_wait_point' % source,
            'source_timeout': 'rpl_semi_sync_%s_timeout' % source,
            'source_status': 'Rpl_semi_sync_%s_status' % source,
            'source_clients': 'Rpl_semi_sync_%s_clients' % source,
            # ON: the source waits out its timeout even while no replica is connected (OFF: it falls back
            # to asynchronous commits as soon as the last replica disconnects).
            'source_wait_no_replica': 'rpl_semi_sync_%s_wait_no_%s' % (source, replica),
            'replica_enabled': 'rpl_semi_sync_%s_enabled' % replica,
            'replica_status': 'Rpl_semi_sync_%s_status' % replica,
        }

    def semi_sync_source_settings(self, durability, timeout_ms=None):
        """[(variable, value)] the primary's source side needs before it is switched on, in that order.

        ``durability`` required: the timeout at SEMI_SYNC_NO_FALLBACK_MS and wait_no_replica ON, so the
        source never commits without a replica's acknowledgement (``timeout_ms`` is not used). preferred:
        ``timeout_ms`` (1000 when None), after which the source falls back to asynchronous commits;
        wait_no_replica stays as the server has it. The wait point is AFTER_SYNC for both."""
        names = self.semi_sync_names()
        wanted = [(names['source_wait_point'], 'AFTER_SYNC')]
        if durability == 'required':
            wanted.append((names['source_wait_no_replica'], 'ON'))
            wanted.append((names['source_timeout'], SEMI_SYNC_NO_FALLBACK_MS))
        else:
            wanted.append((names['source_timeout'], int(1000 if timeout_ms is None else timeout_ms)))
        return wanted

    # Every name the source side's status may have on any version of the flavor (MySQL 8.0.26 and later can
    # load either plugin): a question about it needs no version.
    source_status_names = ('Rpl_semi_sync_master_status',)
    # The source's count of commits it let return without a replica's acknowledgement (timed out, or
    # semi-sync switched off while enabled); the flag OFF alone does not say one was (see
    # engines/mysql/failover.py synchronous_from_status).
    source_no_tx_names = ('Rpl_semi_sync_master_no_tx',)
    source_enabled_names = ('rpl_semi_sync_master_enabled',)

    def synchronous_commits_sql(self):
        """One cheap statement whose rows (none when semi-sync is not loaded) are the source side's status
        flag (ON while commits wait for a replica's acknowledgement, OFF when off or fallen back) and its
        count of commits acknowledged without a replica."""
        return 'SHOW GLOBAL STATUS WHERE Variable_name IN (%s)' % ', '.join(
            "'%s'" % name for name in self.source_status_names + self.source_no_tx_names)

    def source_enabled_sql(self):
        """The source side's enabled switch (no row when semi-sync is not loaded)."""
        return 'SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s)' % ', '.join(
            "'%s'" % name for name in self.source_enabled_names)

    # --- GTID state (reads the server) --------------------------------------------------
    def source_gtid(self, conn):
        """What this server (a source) has written: the position its replicas must reach."""
        return scalar(conn, self.source_gtid_sql) or ''

    @abc.abstractmethod
    def source_history(self, conn, source_gtid):
        """Every GTID this server (a source) has in its binary logs, to compare a replica's with."""

    @abc.abstractmethod
    def gtid_reached(self, conn, position):
        """True when this server (a replica) has applied ``position``."""

    @abc.abstractmethod
    def seed_problem(self, conn, source_history):
        """Why this server cannot start replicating from a source with ``source_history``: (kind, text), or None."""

    @abc.abstractmethod
    @abc.abstractmethod
    def replica_position(self, conn, status):
        """A number that orders the replicas of one primary by how much of its history they hold."""

    def gtid_state(self, conn):
        """The GTID variables db_replication's status reports."""


class MySQL(Flavor):
    name = 'mysql'
    has_super_read_only = True
    has_server_uuid = True
    has_gtid_mode = True
    has_set_persist = True
    fence_settings = ('super_read_only = ON',)
    gtid_wait_sql = 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)'
    source_gtid_sql = 'SELECT @@GLOBAL.gtid_executed'

    @property
    def can_clone(self):
        # The clone plugin came with MySQL 8.0.17.
        return at_least(self.version, (8, 0, 17))

    def replica_word(self):
        # START/STOP REPLICA and SHOW REPLICA STATUS exist since MySQL 8.0.22.
        return 'REPLICA' if at_least(self.version, (8, 0, 22)) else 'SLAVE'

    def replica_command(self, verb, thread=None, channel=''):
        return '%s %s%s%s' % (verb, self.replica_word(), ' %s_THREAD' % thread if thread else '',
                              " FOR CHANNEL '%s'" % channel if channel else '')

    def change_source_words(self):
        if at_least(self.version, (8, 0, 23)):
            return 'CHANGE REPLICATION SOURCE TO', 'SOURCE'
        return 'CHANGE MASTER TO', 'MASTER'

    def gtid_positioning(self):
        return '%s_AUTO_POSITION' % self.change_source_words()[1], '1'

    def change_source_options(self, keyword):
        options = super(MySQL, self).change_source_options(keyword)
        # caching_sha2_password without TLS: the replica asks the source for its RSA key (8.0.4+).
        if at_least(self.version, (8, 0, 4)):
            options.append('GET_%s_PUBLIC_KEY=1' % keyword)
        return options

    source_status_names = ('Rpl_semi_sync_source_status', 'Rpl_semi_sync_master_status')
    source_no_tx_names = ('Rpl_semi_sync_source_no_tx', 'Rpl_semi_sync_master_no_tx')
    source_enabled_names = ('rpl_semi_sync_source_enabled', 'rpl_semi_sync_master_enabled')

    def semi_sync_words(self):
        if at_least(self.version, (8, 0, 26)):
            return 'source', 'replica', {'primary': ('rpl_semi_sync_source', 'semisync_source.so'),
                                         'replica': ('rpl_semi_sync_replica', 'semisync_replica.so')}
        return super(MySQL, self).semi_sync_words()

    def source_history(self, conn, source_gtid):
        return source_gtid  # gtid_executed is the whole history already

    def gtid_reached(self, conn, position):
        return bool(scalar(conn, 'SELECT GTID_SUBSET(%s, @@GLOBAL.gtid_executed)', (position,)))

    def seed_problem(self, conn, source_history):
        subset = scalar(conn, 'SELECT GTID_SUBSET(@@GLOBAL.gtid_executed, %s)', (source_history,))
        return gtid.mysql_seed_problem(bool(subset))

    def gtid_state(self, conn):
        return {'executed': scalar(conn, 'SELECT @@GLOBAL.gtid_executed')}

    def replica_position(self, conn, status):
        # Transactions received or applied: both sets grow from the same source's history.
        return gtid.mysql_gtid_count(status['retrieved_gtid_set'], scalar(conn, 'SELECT @@GLOBAL.gtid_executed'))


class MariaDB(Flavor):
    name = 'mariadb'
    can_replay_from_start = True
    # A replica's restart discards the relay log it had not applied: with GTID positioning its IO thread
    # fetches again from gtid_slave_pos (Gtid_IO_Pos goes back to it; measured on 11.8). Transactions it
    # acknowledged (semi-sync acks the relay log write) may then be held by the primary alone.
    restart_discards_relay_log = True
    is_mariadb = True
    can_compare_password = True
    # Crash recovery truncates binlog transactions no replica acknowledged (MDEV-21117).
    fence_settings = ('rpl_semi_sync_slave_enabled = ON',)
    # SHOW SLAVE STATUS needs SLAVE MONITOR since 10.5.
    monitoring_privileges = 'PROCESS, REPLICATION CLIENT, SLAVE MONITOR'
    gtid_wait_sql = 'SELECT MASTER_GTID_WAIT(%s, %s)'
    source_gtid_sql = 'SELECT @@GLOBAL.gtid_binlog_pos'

    def replica_command(self, verb, thread=None, channel=''):
        # MariaDB names the connection (multi-source) before the thread.
        return '%s SLAVE%s%s' % (verb, " '%s'" % channel if channel else '', ' %s_THREAD' % thread if thread else '')

    def all_channels_status_sql(self):
        # Every replication connection (multi-source), not only the default one.
        return 'SHOW ALL SLAVES STATUS'

    def gtid_positioning(self):
        return 'MASTER_USE_GTID', 'slave_pos'

    def semi_sync_words(self):
        source, replica, plugins = super(MariaDB, self).semi_sync_words()
        if at_least(self.version, (10, 3, 3)):
            plugins = {'primary': None, 'replica': None}  # built into the server
        return source, replica, plugins

    def source_history(self, conn, source_gtid):
        return scalar(conn, 'SELECT @@GLOBAL.gtid_binlog_state')

    def gtid_reached(self, conn, position):
        # MASTER_GTID_WAIT returns 0 once the position is applied, -1 on timeout.
        return scalar(conn, 'SELECT MASTER_GTID_WAIT(%s, 0)', (position,)) == 0

    def seed_problem(self, conn, source_history):
        replica_pos = scalar(conn, 'SELECT @@GLOBAL.gtid_current_pos') or ''
        return gtid.mariadb_seed_problem(replica_pos, source_history or '')

    def replica_position(self, conn, status):
        return max(gtid.mariadb_position(status['gtid_io_pos']),
                   gtid.mariadb_position(scalar(conn, 'SELECT @@GLOBAL.gtid_slave_pos')))

    def gtid_state(self, conn):
        return rows(conn, 'SELECT @@GLOBAL.gtid_binlog_pos AS binlog_pos, @@GLOBAL.gtid_slave_pos AS slave_pos, '
                          '@@GLOBAL.gtid_current_pos AS current_pos')[0]


FLAVORS = (MySQL, MariaDB)


def flavor_of(version_text):
    """The flavor and version of a server from its ``SELECT VERSION()``: the one place that tells them apart."""
    flavor = MariaDB if 'mariadb' in (version_text or '').lower() else MySQL
    return flavor(parse_version(version_text))


def flavor_named(name, version=None):
    """The flavor results and engines call ``name`` ('mysql' or 'mariadb'), at ``version``."""
    for flavor in FLAVORS:
        if flavor.name == name:
            return flavor(version)
    raise ValueError('not a MySQL flavor: %r' % (name,))
