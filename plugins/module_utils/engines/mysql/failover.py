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

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.gtid import mariadb_position
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import node_follows
from ansible_collections.dbops.containers.plugins.module_utils.engines import base

FENCE_FILE = 'zzz-dbops-fenced.cnf'


def fence_config(flavor):
    """The configuration that keeps a fenced primary from taking writes when it starts again."""
    lines = ['# Written by db_failover: this server was a primary that was failed over.',
             '# It starts read-only with no replica threads; db_failover mode rejoin makes it a replica.',
             '[mysqld]', 'read_only = ON', 'skip_slave_start = ON']
    if flavor == repl.MARIADB:
        # Crash recovery truncates binlog transactions no replica acknowledged (MDEV-21117).
        lines.append('rpl_semi_sync_slave_enabled = ON')
    else:
        lines.append('super_read_only = ON')
    return '\n'.join(lines) + '\n'


def mysql_gtid_intervals(text):
    """'uuid:1-5:7,uuid2:1-3' -> {uuid: set of transaction numbers as (start, end) intervals}."""
    result = {}
    for item in (text or '').replace('\n', '').split(','):
        item = item.strip()
        if not item:
            continue
        uuid, _sep, ranges = item.partition(':')
        source = uuid
        for part in ranges.split(':'):
            if not part or not part[0].isdigit():
                source = '%s:%s' % (uuid, part)      # a tagged GTID (8.3+): uuid:tag:ranges
                continue
            start, _dash, end = part.partition('-')
            result.setdefault(source.lower(), []).append((int(start), int(end or start)))
    return result


def mysql_gtid_count(*sets):
    """How many distinct transactions the union of GTID sets holds (a comparable position)."""
    merged = {}
    for text in sets:
        for source, intervals in mysql_gtid_intervals(text).items():
            merged.setdefault(source, []).extend(intervals)
    total = 0
    for intervals in merged.values():
        last = 0
        for start, end in sorted(intervals):
            start = max(start, last + 1)
            if end >= start:
                total += end - start + 1
                last = end
    return total


def _replicating_from(conn):
    """The source host of a replica whose IO and SQL threads both run, else None."""
    status = repl.replica_status(conn)
    if status and status['io_running'] and status['sql_running']:
        return status['source_host']
    return None


class FailoverDriver(base.FailoverDriver):
    def __init__(self, cluster):
        self.cluster = cluster
        self.params = cluster.params

    @property
    def ack_needs_replica(self):
        """With semi-sync on, the new primary's commits wait for a replica: replicas connect before clients."""
        return bool(self.params.get('semi_sync', True))

    # ------------------------------------------------------------------ helpers
    def _conn(self, node, timeout=None):
        return self.cluster.connect(node, timeout)

    def _query(self, node, sql, params=None, timeout=None):
        conn = self._conn(node, timeout)
        try:
            return repl._rows(conn, sql, params)
        finally:
            conn.close()

    # ------------------------------------------------------------------ discovery and probes
    def discover_primary(self):
        followed, writable = {}, []
        for node in self.cluster.nodes:
            if not node.running:
                continue
            try:
                conn = self._conn(node, 3)
            except DbopsError:
                continue
            try:
                status = repl.replica_status(conn)
                if status and status['source_host']:
                    followed[status['source_host']] = followed.get(status['source_host'], 0) + 1
                elif not int(repl._scalar(conn, 'SELECT @@GLOBAL.read_only') or 0):
                    writable.append(node)
            finally:
                conn.close()
        # One writable node that follows nobody is the primary; otherwise (it is dead) the node the
        # replicas follow.
        if len(writable) == 1:
            return writable[0]
        if followed:
            name = sorted(followed.items(), key=lambda item: item[1])[-1][0]
            for node in self.cluster.nodes:
                if name in (node.name, node.alias, node.host):
                    return node
        return None

    def controller_probe(self, primary):
        """A SQL round trip to the primary within probe_timeout: True, or False."""
        if not primary.running and primary.inspect is not None:
            self.cluster.refresh(primary)
        try:
            conn = self._conn(primary, self.params.get('probe_timeout') or 1)
        except DbopsError as exc:
            return exc.parameter == 'login_password'  # it answered, only the login failed: alive
        try:
            repl._scalar(conn, 'SELECT 1')
            return True
        except Exception:  # noqa: BLE001 - any failure of the round trip
            return False
        finally:
            conn.close()

    # ------------------------------------------------------------------ candidates
    def positions(self, nodes):
        rows = []
        for node in nodes:
            row = {'name': node.name, 'priority': node.priority, 'healthy': False, 'position': None}
            rows.append(row)
            if not node.running:
                row['why'] = 'container not running'
                continue
            try:
                conn = self._conn(node, 3)
            except DbopsError as exc:
                row['why'] = str(exc)
                continue
            try:
                info = repl.server_info(conn)
                status = repl.replica_status(conn, info)
                if status is None or not status['source_host']:
                    row['why'] = 'not a replica'
                    continue
                row.update({'received': status['gtid_io_pos'], 'applied': status['executed_gtid'],
                            'sql_running': status['sql_running'], 'source': status['source_host'],
                            'last_sql_error': status['last_sql_error'], 'flavor': info['flavor']})
                if info['flavor'] == repl.MARIADB:
                    row['position'] = max(mariadb_position(status['gtid_io_pos']),
                                          mariadb_position(repl._scalar(conn, 'SELECT @@GLOBAL.gtid_slave_pos')))
                else:
                    row['position'] = mysql_gtid_count(status['retrieved_gtid_set'],
                                                       repl._scalar(conn, 'SELECT @@GLOBAL.gtid_executed'))
                if status['last_sql_errno']:
                    row['why'] = 'SQL thread error: %s' % status['last_sql_error']
                    continue
                row['healthy'] = True
            finally:
                conn.close()
        return rows

    def ensure_caught_up(self, candidate, row, max_lag, force, check_mode=False):
        """The candidate applies everything it received, within max_lag seconds, before it is promoted.
        check_mode: read only; a stopped SQL thread that force would start is left stopped."""
        wait = float(max_lag if max_lag is not None else 30)
        conn = self._conn(candidate, 5)
        try:
            flavor = row.get('flavor')
            if not row.get('sql_running'):
                if not force:
                    raise DbopsError('the best candidate %s has its SQL thread stopped (a delayed or paused '
                                     'replica?): it may not hold what it received applied. Nothing was changed; '
                                     'start it, or use force' % candidate.name, 'max_lag')
                if check_mode:
                    return      # force would start it and wait; nothing it applies can be waited for now
                repl._execute(conn, repl.start_sql(flavor, repl.server_info(conn)['version'], 'SQL'))
            if flavor == repl.MARIADB:
                target = row.get('received') or ''
                done = not target or repl._scalar(conn, 'SELECT MASTER_GTID_WAIT(%s, %s)', (target, wait)) == 0
            else:
                target = row.get('received') or ''
                done = not target or repl._scalar(conn, 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)',
                                                  (target, wait)) == 0
            if not done and not force:
                raise DbopsError('the best candidate %s did not apply what it received within max_lag (%ss): it is '
                                 'too far behind. Nothing was changed; raise max_lag or use force'
                                 % (candidate.name, wait), 'max_lag')
        finally:
            conn.close()

    def follows(self, node, primary):
        """Is node a running replica of primary (both threads running, not fenced)? Reads only."""
        return node_follows(self.cluster, node, self._conn, _replicating_from,
                            (primary.name, primary.alias, primary.host))

    # ------------------------------------------------------------------ changes
    def fence(self, node):
        docker = self.cluster.docker
        self.cluster.refresh(node)
        if node.inspect is None:
            return
        if node.running:
            try:    # it may still answer (force): no more writes, right now
                conn = self._conn(node, 1)
                try:
                    repl._execute(conn, 'SET GLOBAL read_only = ON')
                finally:
                    conn.close()
            except Exception:  # noqa: BLE001 - a dead server cannot be told
                pass
        docker.api.update_container(node.inspect['Id'], restart_policy={'Name': 'no'})
        if node.running:
            docker.api.kill(node.inspect['Id'])
        self._write_fence(node, fence_config(self._flavor()))
        self.cluster.refresh(node)

    def _flavor(self):
        return repl.MARIADB if self.cluster.engine == 'mariadb' else repl.MYSQL

    def _config_volume(self, node):
        directory = self.cluster.adapter.config_dir
        for mount in node.inspect.get('Mounts') or []:
            if mount.get('Destination') == directory and mount.get('Type') == 'volume':
                return mount['Name']
        raise DbopsError('container %s has no configuration volume at %s' % (node.name, directory), 'nodes')

    def _write_fence(self, node, content):
        from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import FileEntry
        self.cluster.docker.write_to_mount(node.inspect['Config']['Image'],
                                           {'type': 'volume', 'source': self._config_volume(node)},
                                           [FileEntry(FENCE_FILE, content.encode('utf-8'), 0o644, 0, 0)])

    def promote(self, node):
        conn = self._conn(node, 5)
        try:
            info = repl.server_info(conn)
            flavor, version = info['flavor'], info['version']
            repl._execute(conn, repl.stop_sql(flavor, version))
            repl._execute(conn, repl.reset_sql(flavor, version))
            names = repl.semi_sync_names(flavor, version)
            if self.params.get('semi_sync', True):
                for statement in repl.semi_sync_primary_plan(flavor, version, repl._variables(conn, 'rpl_semi_sync%'),
                                                             repl._active_plugins(conn), True,
                                                             self.params.get('semi_sync_timeout') or 1000):
                    repl._execute(conn, statement)
            if repl._variables(conn, names['replica_enabled']):
                repl._execute(conn, 'SET GLOBAL %s = OFF' % names['replica_enabled'])
            if flavor == repl.MYSQL:
                repl._execute(conn, 'SET GLOBAL super_read_only = OFF')
            repl._execute(conn, 'SET GLOBAL read_only = OFF')
        finally:
            conn.close()

    def after_promote(self, node):
        # A promoted node that was fenced once must not come back read-only after a restart
        # (off the clients' critical path: the endpoint has moved already).
        self._write_fence(node, '# db_failover: promoted, not fenced.\n')

    def repoint(self, node, new_primary):
        conn = self._conn(node, 5)
        try:
            info = repl.server_info(conn)
            names = repl.semi_sync_names(info['flavor'], info['version'])
            if repl._yes(repl._variables(conn, names['source_enabled']).get(names['source_enabled'])):
                repl._execute(conn, 'SET GLOBAL %s = OFF' % names['source_enabled'])
            repl.configure_replica(conn, new_primary.alias, new_primary.port,
                                   self.params.get('replication_user') or 'repl', self._replication_password(),
                                   semi_sync=self.params.get('semi_sync', True),
                                   wait_timeout=self.params.get('wait_timeout') or 30,
                                   source_connect_host=new_primary.host, source_connect_port=new_primary.port)
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
        rows = self.positions([n for n in self.cluster.nodes if n is not primary])
        unhealthy = [r for r in rows if not r['healthy']]
        if target and target not in [r['name'] for r in rows if r['healthy']]:
            raise DbopsError('candidate %r is not a healthy replica of %s' % (target, primary.name), 'candidate')
        if not [r for r in rows if r['healthy']]:
            raise DbopsError('no healthy replica to switch over to: %s'
                             % '; '.join('%s: %s' % (r['name'], r.get('why')) for r in unhealthy), 'nodes')
        return rows

    def freeze(self, primary):
        conn = self._conn(primary, 5)
        try:
            repl._execute(conn, 'SET GLOBAL read_only = ON')
            if self._flavor() == repl.MYSQL:
                repl._execute(conn, 'SET GLOBAL super_read_only = ON')
        finally:
            conn.close()

    def unfreeze(self, primary):
        conn = self._conn(primary, 5)
        try:
            if self._flavor() == repl.MYSQL:
                repl._execute(conn, 'SET GLOBAL super_read_only = OFF')
            repl._execute(conn, 'SET GLOBAL read_only = OFF')
        finally:
            conn.close()

    def wait_replicas_caught_up(self, primary, target, timeout):
        conn = self._conn(primary, 5)
        try:
            position = repl._source_gtid(conn, repl.server_info(conn))
        finally:
            conn.close()
        deadline = time.time() + float(timeout)
        for node in self.cluster.nodes:
            if node is primary or not node.running or (target and node.name != target):
                continue
            sql = ('SELECT MASTER_GTID_WAIT(%s, %s)' if self._flavor() == repl.MARIADB
                   else 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)')
            rows = self._query(node, sql + ' AS done', (position, max(0.1, deadline - time.time())), timeout=5)
            if list(rows[0].values())[0] != 0:
                raise DbopsError('%s did not catch up with the primary within %ss' % (node.name, timeout), 'max_lag')

    def before_promote(self, primary, candidate):
        """Switchover: the read-only primary keeps running; its replicas caught up already."""
        return None

    def demote(self, primary, new_primary):
        """Switchover: the old primary (read-only, caught up) follows the new one."""
        self.repoint(primary, new_primary)

    # ------------------------------------------------------------------ rejoin
    def rejoin(self, node, primary):
        """Start a fenced old primary read-only and make it a replica of the current primary."""
        docker = self.cluster.docker
        self.cluster.refresh(node)
        docker.api.update_container(node.inspect['Id'], restart_policy={'Name': 'unless-stopped'})
        if not node.running:
            docker.start(node.inspect['Id'])
        deadline = time.time() + (self.params.get('wait_timeout') or 60)
        while True:
            self.cluster.refresh(node)
            if node.running and self.controller_probe(node):
                break
            if time.time() > deadline:
                raise DbopsError('%s did not come back within wait_timeout' % node.name, 'wait_timeout')
            time.sleep(0.5)
        try:
            self.repoint(node, primary)
        except DbopsError as exc:
            if 'transactions its source does not have' not in exc.message or not self.params.get('force'):
                raise
            # Killed while it waited for a replica's acknowledgement, the old primary kept a transaction
            # no replica received (so no client was told it committed). With force, its data is rebuilt
            # from the new primary: emptied, initialised again, then it replays the new primary's binlog.
            self.reseed(node, primary)
            self.last_rejoin_reseeded = True

    def reseed(self, node, primary):
        """Empty the node's data volume and make it a fresh replica of primary (force only: data is discarded)."""
        from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import replication as one_shot
        docker = self.cluster.docker
        self.cluster.refresh(node)
        if node.running:
            docker.api.stop(node.inspect['Id'], timeout=30)
        data_dir = self.cluster.adapter.data_dir
        volume = [m['Name'] for m in node.inspect.get('Mounts') or []
                  if m.get('Destination') == data_dir and m.get('Type') == 'volume']
        if not volume:
            raise DbopsError('container %s has no data volume at %s' % (node.name, data_dir), 'nodes')
        code, output = one_shot._run_oneshot(
            docker, node.inspect['Config']['Image'], ['sh', '-c'],
            ['rm -rf %s/* %s/.[!.]* 2>/dev/null; true' % (data_dir, data_dir)],
            [{'target': data_dir, 'source': volume[0], 'read_only': False}])
        if code != 0:
            raise DbopsError('emptying the data volume of %s failed: %s' % (node.name, output), 'nodes')
        docker.start(node.inspect['Id'])
        deadline = time.time() + (self.params.get('wait_timeout') or 60) + 60
        while True:
            self.cluster.refresh(node)
            if node.running and self.controller_probe(node):
                break
            if time.time() > deadline:
                raise DbopsError('%s did not come back after it was emptied' % node.name, 'wait_timeout')
            time.sleep(1)
        self.repoint(node, primary)
