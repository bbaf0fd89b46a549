# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover for MySQL and MariaDB (GTID replication, semi-sync AFTER_SYNC).

Position: what a replica has *received* (MariaDB Gtid_IO_Pos, MySQL
Retrieved_Gtid_Set together with gtid_executed): with AFTER_SYNC semi-sync every
acknowledged commit is in at least one replica's relay log, so the replica that
received the most holds every acknowledged commit. It applies its relay log
before it is promoted. Promotion is STOP/RESET of the replica threads and
read_only off: the binary log is never reset (the seed's RESET MASTER erased the
GTID history the other replicas need to follow the new primary).

Fencing: the old primary's container is stopped, its restart policy set to
``no``, and a configuration file that wins over db_container's is written into
its configuration volume: read_only (super_read_only on MySQL; MariaDB has no
super_read_only, so accounts with READ_ONLY ADMIN such as root could still write:
applications must not use them), no replica
threads started, and, on MariaDB, ``rpl_semi_sync_slave_enabled`` at start-up,
which makes crash recovery truncate binary log transactions no replica
acknowledged (MariaDB KB, "Semisynchronous Replication", crash-safe primary,
MDEV-21117), so it can rejoin as a replica without errant transactions.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import FileEntry
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import clone
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replay
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_named
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.startup_config import (
    FENCE_FILE, fence_config, promoted_config, rejoined_config)
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import (
    diverged_volume_labels, diverged_volume_name, node_follows)
from ansible_collections.dbops.containers.plugins.module_utils.failover.sql_driver import SqlFailoverDriver


def _replicating_from(conn):
    """The source host of a replica whose IO and SQL threads both run, else None."""
    status = repl.replica_status(conn)
    if status and status['io_running'] and status['sql_running']:
        return status['source_host']
    return None


# What db_replication's refusal of errant transactions says, and what MariaDB's gtid_strict_mode says when a
# replica applies a GTID below one its own binary log holds (error 1950): both mean a history of its own.
DIVERGED_HISTORY_WORDS = ('transactions its source does not have', 'out-of-order sequence number')


def diverged_history(message):
    """Does a rejoin's error say the node's GTID history diverged from its new source's? Pure."""
    return any(words in (message or '') for words in DIVERGED_HISTORY_WORDS)


def _status_value(status_rows, names):
    """The value of the first of ``names`` among SHOW STATUS rows, else None. Pure."""
    for row in status_rows:
        if row.get('Variable_name') in names:
            return row.get('Value')
    return None


def _count(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def source_flag_off(status_rows):
    """True when the rows of Flavor.synchronous_commits_sql hold the source status flag, and it is OFF. Pure."""
    flags = [str(row.get('Value')).strip().upper() for row in status_rows
             if row.get('Variable_name') in flavor_named('mysql').source_status_names]
    return bool(flags) and all(flag == 'OFF' for flag in flags)


def paused_by_operator(row, nodes_down):
    """Was this replica's stopped SQL thread paused on purpose (keep it behind: refused without force), rather
    than stopped by a failover? row: a positions row (read_position); nodes_down: the names, aliases and
    addresses of the cluster's nodes whose containers do not run or are paused (the dead or fenced primary,
    a candidate that died after its promotion). Pure.

    A pause stops the SQL thread alone (STOP SLAVE SQL_THREAD): the IO thread keeps receiving, or keeps
    trying to reconnect to a source that died (Connecting). A failover stops both threads: its promotion
    (STOP before RESET ... ALL, a watcher killed between the two) and the undo of a re-point that failed
    because its new source died. Such a node, following a node that is down, is still a candidate whose
    positions are judged as usual; the fault suite found it refused at every later round, no primary left."""
    if row.get('sql_running'):
        return False
    io_stopped = str(row.get('io_state') or 'No').strip().lower() == 'no'
    return not (io_stopped and row.get('source') in nodes_down)


def synchronous_from_status(status_rows, source_enabled=None, no_tx_when_last_synchronous=None):
    """(True/False/None, no_tx) from the rows of Flavor.synchronous_commits_sql (see
    FailoverDriver.synchronous_commits). Pure.

    The status flag (Rpl_semi_sync_master_status / _source_status) ON: commits wait for a replica. OFF is not
    proof of an asynchronous acknowledgement: what proves one is the no_tx counter (Rpl_semi_sync_master_no_tx /
    _source_no_tx: commits the source let return without a replica's acknowledgement) having grown. So with the
    flag OFF, the source side enabled (``source_enabled``: True, or None when not read) and no_tx where it was
    when the primary was last seen synchronous (``no_tx_when_last_synchronous``; with no such sighting, 0:
    never since the server's counters started), the primary acknowledged nothing alone: True. The source side
    disabled commits without counting them, so it is False whatever the counter says."""
    flags = [row.get('Value') for row in status_rows
             if row.get('Variable_name') in flavor_named('mysql').source_status_names]
    no_tx = _count(_status_value(status_rows, flavor_named('mysql').source_no_tx_names))
    if not flags:
        return False, no_tx    # no semi-sync plugin loaded: asynchronous
    words = [str(value).strip().upper() if value is not None else None for value in flags]
    if any(word not in ('ON', 'OFF') for word in words):
        return None, no_tx
    if 'ON' in words:
        return True, no_tx
    if source_enabled is False or no_tx is None:
        return False, no_tx
    baseline = no_tx_when_last_synchronous
    if baseline is None or no_tx < baseline:    # never seen synchronous, or the counters were reset
        baseline = 0
    return no_tx == baseline, no_tx


class FailoverDriver(SqlFailoverDriver):
    # The server greets every new connection first (the handshake packet's 4-byte header), before
    # any login: a frozen mysqld accepts the TCP connection but never greets.
    probe_answer_bytes = 4

    def __init__(self, cluster):
        super(FailoverDriver, self).__init__(cluster)
        # Per server (host, port): its no_tx counter when it was last seen synchronous (synchronous_commits).
        self.no_tx_when_synchronous = {}

    @property
    def ack_needs_replica(self):
        """With semi-sync on, the new primary's commits wait for a replica: replicas connect before clients."""
        return bool(self.params.get('semi_sync', True))

    # ------------------------------------------------------------------ helpers
    def _query(self, node, sql, params=None, timeout=None):
        conn = self._conn(node, timeout)
        try:
            return rows(conn, sql, params)
        finally:
            conn.close()

    # ------------------------------------------------------------------ discovery and probes
    def configured_source(self, conn):
        status = repl.replica_status(conn)
        return status['source_host'] if status and status['source_host'] else None

    def takes_writes(self, conn):
        return not int(scalar(conn, 'SELECT @@GLOBAL.read_only') or 0)

    def read_position(self, session, node, row):
        info = repl.server_info(session)
        status = repl.replica_status(session, info)
        if status is None or not status['source_host']:
            row['why'] = 'not a replica'
            return
        row.update({'received': status['gtid_io_pos'], 'applied': status['executed_gtid'],
                    'sql_running': status['sql_running'], 'io_state': status['io_state'],
                    'source': status['source_host'],
                    'last_sql_error': status['last_sql_error'], 'flavor': info['flavor']})
        flavor = info['server_flavor']
        row['position'] = flavor.replica_position(session, status)
        if flavor.restart_discards_relay_log:
            # What the candidate rule needs to tell whether a restart threw away commits it acknowledged.
            row['restart'] = {'connected_since_start': self._connected_since_start(session, flavor)}
        if status['last_sql_errno']:
            row['why'] = 'SQL thread error: %s' % status['last_sql_error']
            return
        row['healthy'] = True

    @staticmethod
    def _connected_since_start(session, flavor):
        """Has the default replication connection connected to its source since the server started?
        Master_Server_Id is 0 until it has (measured on MariaDB 11.8: 0 after a restart while the source is
        unreachable, the source's server_id once connected); it is in SHOW ALL SLAVES STATUS."""
        for connection in rows(session, flavor.all_channels_status_sql()):
            if not connection.get('Connection_name'):
                return int(connection.get('Master_Server_Id') or 0) != 0
        return True     # no default connection: not a replica, nothing of its own discarded

    def ensure_caught_up(self, candidate, row, max_lag, force, check_mode=False):
        """The candidate applies everything it received, within max_lag seconds, before it is promoted.
        check_mode: read only; a stopped SQL thread that force would start is left stopped."""
        wait = float(max_lag if max_lag is not None else 30)
        conn = self._conn(candidate, 5)
        try:
            flavor = flavor_named(row.get('flavor'))
            if not row.get('sql_running'):
                if not force and paused_by_operator(row, self._nodes_down()):
                    raise DbopsError('the best candidate %s has its SQL thread stopped while its IO thread runs, '
                                     'or its source %s is up (a delayed or paused replica?): it may not hold what '
                                     'it received applied. Nothing was changed; start it, or use force'
                                     % (candidate.name, row.get('source') or '(none)'), 'max_lag')
                if check_mode:
                    return      # starting it and waiting would change it; nothing it applies can be waited for now
                # Stopped with its IO thread by an earlier failover (or started with force): it applies what it
                # received, and is waited for as any candidate.
                execute(conn, repl.server_info(conn)['server_flavor'].start_sql('SQL'))
            target = row.get('received') or ''
            done = not target or scalar(conn, flavor.gtid_wait_sql, (target, wait)) == 0
            if not done and not force:
                raise DbopsError('the best candidate %s did not apply what it received within max_lag (%ss): it is '
                                 'too far behind. Nothing was changed; raise max_lag or use force'
                                 % (candidate.name, wait), 'max_lag')
        finally:
            conn.close()

    def _nodes_down(self):
        """The names, aliases and addresses of the nodes whose containers do not run or are paused (frozen),
        as last refreshed."""
        down = set()
        for node in self.cluster.nodes:
            if not node.running or node.paused:
                down.update((node.name, node.alias, node.host))
        down.discard(None)
        return down

    def follows(self, node, primary):
        """Is node a running replica of primary (both threads running, not fenced)? Reads only."""
        return node_follows(self.cluster, node, self._conn, _replicating_from,
                            (primary.name, primary.alias, primary.host))

    # ------------------------------------------------------------------ changes
    def stop_writes_now(self, conn):
        execute(conn, 'SET GLOBAL read_only = ON')

    def mark_fenced(self, node):
        self._write_fence(node, fence_config(self.cluster.engine))

    def _flavor(self):
        """The cluster's flavor (the engine names it); version-free attributes only."""
        return flavor_named(self.cluster.engine)

    def _config_volume(self, node):
        volume = repl.config_volume(node.inspect)
        if volume is None:
            raise DbopsError('container %s has no configuration volume at %s' % (node.name, repl.CONFIG_DIR), 'nodes')
        return volume

    def _write_fence(self, node, content):
        self.cluster.docker.write_to_mount(node.inspect['Config']['Image'],
                                           {'type': 'volume', 'source': self._config_volume(node)},
                                           [FileEntry(FENCE_FILE, content.encode('utf-8'), 0o644, 0, 0)])

    def promote(self, node):
        conn = self._conn(node, 5)
        try:
            info = repl.server_info(conn)
            flavor = info['server_flavor']
            execute(conn, flavor.stop_sql())
            execute(conn, flavor.reset_sql())
            names = flavor.semi_sync_names()
            if self.params.get('semi_sync', True):
                for statement in repl.semi_sync_primary_plan(info['flavor'], info['version'],
                                                             repl.global_variables(conn, 'rpl_semi_sync%'),
                                                             repl.active_plugin_names(conn), True,
                                                             self.params.get('semi_sync_timeout'),
                                                             durability=self._durability()):
                    execute(conn, statement)
            if repl.global_variables(conn, names['replica_enabled']):
                execute(conn, 'SET GLOBAL %s = OFF' % names['replica_enabled'])
            if flavor.has_super_read_only:
                execute(conn, 'SET GLOBAL super_read_only = OFF')
            execute(conn, 'SET GLOBAL read_only = OFF')
        finally:
            conn.close()

    def after_promote(self, node):
        # A promoted node that was fenced once must not come back read-only after a restart
        # (off the clients' critical path: the endpoint has moved already).
        self._write_fence(node, promoted_config(self.params.get('semi_sync', True), self._durability(),
                                                self.params.get('semi_sync_timeout')))

    def _durability(self):
        """required (the default): the promoted node's semi-sync never falls back to asynchronous commits,
        at run time and after a restart; preferred: it falls back after semi_sync_timeout (1000 ms)."""
        return self.params.get('durability') or 'required'

    def synchronous_commits(self, conn):
        """True while the primary acknowledges a commit only once a replica has it, False when it acknowledged
        one without a replica (semi-sync off, not installed, or fallen back after its timeout), None when its
        state cannot be read. See synchronous_from_status: the status flag OFF alone is no proof, the no_tx
        counter grown since the primary was last seen synchronous (on this driver: the watcher keeps it
        across rounds) is.

        One SHOW GLOBAL STATUS statement while the flag is ON (the controller probe asks every round); with
        it OFF, one more for the source side's enabled switch. A server without the plugin has no row."""
        flavor = flavor_named(self.cluster.engine)
        status_rows = rows(conn, flavor.synchronous_commits_sql())
        server = (getattr(conn, 'host', None), getattr(conn, 'port', None))
        baselines = self.no_tx_when_synchronous
        enabled = None
        if source_flag_off(status_rows):
            switches = [row.get('Value') for row in rows(conn, flavor.source_enabled_sql())]
            enabled = any(repl.is_yes(value) for value in switches) if switches else None
        synchronous, no_tx = synchronous_from_status(status_rows, enabled, baselines.get(server))
        if synchronous and no_tx is not None:
            baselines[server] = no_tx
        return synchronous

    def repoint(self, node, new_primary, wait_while_progressing=False, catch_up=False):
        """Make node a replica of new_primary; returns once both its threads run (it acknowledges commits from
        then on, as PostgreSQL's re-point waits for streaming): a failover's endpoint must not wait for a
        replica that lags (a rejoined node 778 s behind held the fault suite's failover for 60 s).
        catch_up: until it also holds what new_primary had (rejoin, the switchover's demoted primary).
        wait_while_progressing: a rebuilt node replays the primary's whole history, for as long as that takes
        while it keeps applying (configure_replica)."""
        conn = self._conn(node, 5)
        try:
            names = repl.server_info(conn)['server_flavor'].semi_sync_names()
            if repl.is_yes(repl.global_variables(conn, names['source_enabled']).get(names['source_enabled'])):
                execute(conn, 'SET GLOBAL %s = OFF' % names['source_enabled'])
            repl.configure_replica(conn, new_primary.alias, new_primary.port,
                                   self.params.get('replication_user') or 'repl', self._replication_password(),
                                   semi_sync=self.params.get('semi_sync', True),
                                   wait_timeout=self.params.get('wait_timeout') or 30,
                                   source_connect_host=new_primary.host, source_connect_port=new_primary.port,
                                   wait_while_progressing=wait_while_progressing,
                                   catch_up=catch_up or wait_while_progressing)
        finally:
            conn.close()

    def _replication_password(self):
        password = self.cluster.replication_password()
        if not password:
            raise DbopsError('set replication_password_file: re-pointing replicas needs the replication password',
                             'replication_password_file')
        return password

    # ------------------------------------------------------------------ switchover
    def prepare_switchover(self, primary, target):
        self._replication_password()
        candidates = self.positions([n for n in self.cluster.nodes if n is not primary])
        unhealthy = [r for r in candidates if not r['healthy']]
        if target and target not in [r['name'] for r in candidates if r['healthy']]:
            raise DbopsError('candidate %r is not a healthy replica of %s' % (target, primary.name), 'candidate')
        if not [r for r in candidates if r['healthy']]:
            raise DbopsError('no healthy replica to switch over to: %s'
                             % '; '.join('%s: %s' % (r['name'], r.get('why')) for r in unhealthy), 'nodes')
        return candidates

    def freeze(self, primary):
        conn = self._conn(primary, 5)
        try:
            execute(conn, 'SET GLOBAL read_only = ON')
            if self._flavor().has_super_read_only:
                execute(conn, 'SET GLOBAL super_read_only = ON')
        finally:
            conn.close()

    def unfreeze(self, primary):
        conn = self._conn(primary, 5)
        try:
            if self._flavor().has_super_read_only:
                execute(conn, 'SET GLOBAL super_read_only = OFF')
            execute(conn, 'SET GLOBAL read_only = OFF')
        finally:
            conn.close()

    def wait_replicas_caught_up(self, primary, target, timeout):
        conn = self._conn(primary, 5)
        try:
            position = repl.server_info(conn)['server_flavor'].source_gtid(conn)
        finally:
            conn.close()
        # One budget for all the replicas: each waits (server side) for what is left of it.
        deadline = time.time() + float(timeout)
        for node in self.cluster.nodes:
            if node is primary or not node.running or (target and node.name != target):
                continue
            answer = self._query(node, self._flavor().gtid_wait_sql + ' AS done',
                                 (position, max(0.1, deadline - time.time())), timeout=5)
            if list(answer[0].values())[0] != 0:
                raise DbopsError('%s did not catch up with the primary within %ss' % (node.name, timeout), 'max_lag')

    def before_promote(self, primary, candidate):
        """Switchover: the read-only primary keeps running; its replicas caught up already."""
        return None

    def demote(self, primary, new_primary):
        """Switchover: the old primary (read-only, caught up) follows the new one, and stays read-only
        with its source-side semi-sync off after a restart (its own configuration still says primary)."""
        self.repoint(primary, new_primary, catch_up=True)
        self._write_fence(primary, rejoined_config(self.cluster.engine))

    # ------------------------------------------------------------------ rejoin
    def rejoin(self, node, primary):
        """Start a fenced old primary read-only and make it a replica of the current primary."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        docker.set_restart_policy(node.inspect['Id'], 'unless-stopped')
        if not node.running:
            docker.start(node.inspect['Id'])
        self._wait_answering(node, self.params.get('wait_timeout') or 60, 0.5,
                             '%s did not come back within wait_timeout')
        try:
            self.repoint(node, primary, catch_up=True)
        except DbopsError as exc:
            if not diverged_history(exc.message) or not self.params.get('force'):
                raise
            # Killed while it waited for a replica's acknowledgement, the old primary kept a transaction
            # no replica received (so no client was told it committed). With force, its data is copied
            # aside, then rebuilt from the new primary (cloned, or emptied and replaying its binlog).
            self.reseed(node, primary)
            self.last_rejoin_reseeded = True
        # A replica now: the fence's skip_slave_start would keep it from replicating after a restart.
        self._write_fence(node, rejoined_config(self.cluster.engine))

    def reseed(self, node, primary):
        """Rebuild the node's data from primary and make it a replica (force only). Its own data is copied
        into a new volume first (last_rejoin_kept): no automatic step deletes what a client may have been
        told is committed."""
        self._keep_data_aside(node)
        if self._flavor_of_server(node).can_clone:
            self._reseed_by_cloning(node, primary)
        else:
            self._reseed_by_initialising(node, primary)

    def _flavor_of_server(self, node):
        conn = self._conn(node, 5)
        try:
            return repl.server_info(conn)['server_flavor']
        finally:
            conn.close()

    def _reseed_by_cloning(self, node, primary):
        """MySQL: CLONE INSTANCE replaces the node's data and GTID history with the primary's. Emptying the
        volume instead would run the image's first start again, whose SQL gives it GTIDs of its own (and the
        fence's read-only setting makes that first start fail)."""
        wait_timeout = self.params.get('wait_timeout') or 60
        conn = self._conn(node, 10)
        try:
            # The fence's super_read_only refuses CLONE INSTANCE; read_only stays on, and the restart after
            # the clone reads the fence file again.
            execute(conn, 'SET GLOBAL super_read_only = OFF')
            clone.clone_from(conn, primary.alias, primary.port, self.params.get('replication_user') or 'repl',
                             self._replication_password(), wait_timeout)
        finally:
            conn.close()
        self.cluster.docker.restart(node.inspect['Id'], 30)
        self._wait_answering(node, wait_timeout, 1, '%s did not come back after it was cloned and restarted')
        self.repoint(node, primary, catch_up=True)

    def _data_volume(self, node):
        data_dir = self.cluster.adapter.data_dir
        volume = [m['Name'] for m in node.inspect.get('Mounts') or []
                  if m.get('Destination') == data_dir and m.get('Type') == 'volume']
        if not volume:
            raise DbopsError('container %s has no data volume at %s' % (node.name, data_dir), 'nodes')
        return volume[0]

    def _keep_data_aside(self, node):
        """Copy the node's data volume into <node>-dbops-diverged-<UTC time>, the server stopped so that the
        copy is consistent, and start it again. A copy that fails leaves the node as it was."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        volume = self._data_volume(node)
        was_running = node.running
        if was_running:
            docker.stop(node.inspect['Id'], 30)
        kept = diverged_volume_name(node.name)
        try:
            docker.copy_volume(node.inspect['Config']['Image'], volume, kept,
                               diverged_volume_labels(node.name, volume, self.cluster.engine))
        except DbopsError as exc:
            raise DbopsError('%s holds transactions its new source does not have, and its data could not be '
                             'copied aside, so it was not rebuilt (nothing was deleted): %s'
                             % (node.name, exc.message), 'force')
        finally:
            if was_running:
                docker.start(node.inspect['Id'])
        self.last_rejoin_kept = kept
        if was_running:
            self._wait_answering(node, self.params.get('wait_timeout') or 60, 0.5,
                                 '%s did not come back after its data was copied aside')

    def _reseed_by_initialising(self, node, primary):
        """MariaDB: empty the data volume, let the image initialise it, replay the primary's binlog."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        if node.running:
            docker.stop(node.inspect['Id'], 30)
        data_dir = self.cluster.adapter.data_dir
        code, output = docker.run_once(
            node.inspect['Config']['Image'], ['sh', '-c'],
            ['rm -rf %s/* %s/.[!.]* 2>/dev/null; true' % (data_dir, data_dir)],
            [{'target': data_dir, 'source': self._data_volume(node), 'read_only': False}])
        if code != 0:
            raise DbopsError('emptying the data volume of %s failed: %s' % (node.name, output), 'nodes')
        docker.start(node.inspect['Id'])
        # Initialising the emptied data directory takes a while on top of the start.
        self._wait_answering(node, (self.params.get('wait_timeout') or 60) + 60, 1,
                             '%s did not come back after it was emptied')
        self._forget_first_start(node)
        self.repoint(node, primary, wait_while_progressing=True)

    def _forget_first_start(self, node):
        """The emptied node's first start gave it GTIDs of its own (0-<server_id>-1..3, replay.py). As an old
        primary its server_id wrote far more in the primary's history, so db_replication's check finds nothing
        errant and it would replicate from gtid_slave_pos '' straight into gtid_strict_mode's out-of-order
        error: it is reset here (what db_replication does for a fresh node whose GTIDs are errant) and replays
        the primary's whole history. Only a node holding nothing but its first start's objects is reset."""
        conn = self._conn(node, 10)
        try:
            problem = replay.fresh_node_problem(conn, repl.replica_status(conn))
            if problem:
                raise DbopsError('%s was emptied to be rebuilt, but %s: it was not reset (nothing was deleted)'
                                 % (node.name, problem), 'nodes')
            replay.reset_fresh_node(conn)
        finally:
            conn.close()

    def answers_query(self, node):
        """Does the node's server answer a query within probe_timeout? Unlike controller_probe, which asks
        the primary and records what its commits are (synchronous_seen), this asks any node and records
        nothing: the watcher's rejoin of an old primary (read-only, its source side off) once left
        synchronous_seen saying "asynchronous" until the next round, and a primary killed meanwhile was then
        refused a failover (the fault suite's cycles, MariaDB 11.8)."""
        timeout = self.params.get('probe_timeout') or 1
        try:
            conn = self._conn(node, timeout, query_timeout=timeout)
        except DbopsError as exc:
            return exc.parameter == 'login_password'    # it answered; only the login failed
        try:
            scalar(conn, 'SELECT 1')
            return True
        except Exception:  # noqa: BLE001 - any failure of the round trip
            return False
        finally:
            conn.close()

    def _wait_answering(self, node, timeout, interval, message):
        """Wait until the node's container runs and its server answers; DbopsError(message % name) if not."""
        def answering():
            self.cluster.refresh(node)
            return node.running and self.answers_query(node)
        if not wait_until(answering, timeout, interval=interval):
            raise DbopsError(message % node.name, 'wait_timeout')
