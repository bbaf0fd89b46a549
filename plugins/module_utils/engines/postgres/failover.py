# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_failover for PostgreSQL streaming replication.

Position: the WAL a standby has received (pg_last_wal_receive_lsn); with
synchronous_commit on and synchronous_standby_names set, every acknowledged
commit is flushed on a synchronous standby. pg_promote() replays everything
received before the standby opens for writes.

Fencing: the old primary's container is stopped, its restart policy set to
``no``, and ``standby.signal`` is written into its data directory: if it starts
again it is a read-only standby, never a second primary. Rejoining it runs
pg_rewind against the new primary (wal_log_hints is on in postgresql_cluster)
and points it at the new primary.

Durability (the ``durability`` parameter, default ``required``): under ``required`` the promoted
standby names every other node in synchronous_standby_names (``ANY 1``), the fenced old primary
included, so its commits wait until one of them streams again (with one standby: until the old primary
is re-joined, and it then is the synchronous standby). Under ``preferred`` it takes over synchronous
replication only when it has a standby to wait for (``synchronous``): with none, every commit would
wait, and it commits asynchronously instead (Patroni's non-strict synchronous mode).

Rejoin keeps what it rewinds: when pg_rewind has WAL of the old primary to undo (its history diverged
from the new primary's), the old primary's data volume is first copied into a new volume
``<node>-dbops-diverged-<UTC time>`` (``last_rejoin_kept``): commits a client may have been told of are
never deleted by an automatic step. A node whose history did not diverge follows as it is, with no copy.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import os
import time

from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import (
    CARRIER_LABEL, FileEntry)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.conninfo import (
    conninfo_string, parse_conninfo, point_standby, wait_streaming)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import slot_name_for
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.lsn import parse_lsn
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.replication import create_slot_sql
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.standby import (
    RUNTIME_UID, ensure_passfile, find_network, passfile_line)
from ansible_collections.dbops.containers.plugins.module_utils.failover.cluster import (
    diverged_volume_labels, diverged_volume_name, node_follows)
from ansible_collections.dbops.containers.plugins.module_utils.failover.sql_driver import SqlFailoverDriver


def sync_names_for(slots):
    """synchronous_standby_names waiting for any one of the standbys (their application_name is their slot)."""
    return 'ANY 1 (%s)' % ', '.join('"%s"' % slot for slot in slots) if slots else ''


# synchronous_commit values with which a commit returns only once a synchronous standby has it
# (written, flushed or applied); 'local' and 'off' return before any standby does.
WAITING_COMMIT_LEVELS = ('on', 'remote_write', 'remote_apply')
SYNCHRONOUS_STATE_SQL = ("SELECT pg_is_in_recovery() AS standby, "
                         "current_setting('synchronous_standby_names') AS standby_names, "
                         "current_setting('synchronous_commit') AS synchronous_commit")
# What pg_rewind --dry-run prints when the target's WAL ends where the source's history forked from
# it: nothing to undo (src/bin/pg_rewind/pg_rewind.c), and when it would rewind.
NO_REWIND_REQUIRED = 'no rewind required'
REWIND_REQUIRED = 'rewinding from last common checkpoint'


def commits_wait_for_standby(standby, standby_names, synchronous_commit):
    """Pure. True when a commit returns only once a standby has it, False when it returns without one,
    None when unknown (a standby in recovery, or a setting not read)."""
    if standby or standby_names is None or synchronous_commit is None:
        return None
    return bool(standby_names.strip()) and synchronous_commit.strip().lower() in WAITING_COMMIT_LEVELS


def required_sync_names(node_names, promoted):
    """Pure. durability required: synchronous_standby_names of the promoted node, naming every other node
    (their application_name is their slot), the fenced old primary included."""
    return sync_names_for(sorted(slot_name_for(name) for name in node_names if name != promoted))


def create_missing_slots(conn, slots):
    """The physical slots ``slots`` on ``conn``'s server, the missing ones created."""
    existing = set(row['slot_name'] for row in rows(conn, 'SELECT slot_name FROM pg_replication_slots'))
    for slot in slots:
        if slot not in existing:
            sql, params = create_slot_sql(slot)
            execute(conn, sql, params)


def rewind_needed(output):
    """Pure. From pg_rewind --dry-run's output: False when the target has nothing to undo, True when it
    would rewind; None when the output says neither (the caller keeps a copy then: never guess 'nothing')."""
    if NO_REWIND_REQUIRED in output:
        return False
    if REWIND_REQUIRED in output:
        return True
    return None


def _streaming_from(conn):
    """The host a standby streams WAL from, else None (a primary, or a standby not streaming)."""
    found = rows(conn, "SELECT pg_is_in_recovery() AS standby, (SELECT sender_host FROM "
                       "pg_stat_wal_receiver WHERE status = 'streaming') AS sender")
    return found[0]['sender'] if found and found[0]['standby'] else None


class FailoverDriver(SqlFailoverDriver):
    """db_failover for PostgreSQL. ack_needs_replica stays False (base): the endpoint moves first.
    Under durability preferred, promote() empties synchronous_standby_names until a standby streams
    again, so the new primary's commits wait for nobody. Under required they wait for the first
    re-pointed standby (or the re-joined old primary): a client that writes meanwhile waits, and is
    never told of a commit only the new primary has."""

    def __init__(self, cluster):
        super(FailoverDriver, self).__init__(cluster)
        self.last_rewind_output = ''

    # A plain TCP connect within probe_timeout before the login (libpq's connect_timeout is 2 s at least).
    tcp_check_before_login = True
    # An SSLRequest (length 8, code 80877103): a live postmaster answers one byte, S or N, before any
    # login and logs nothing when the client then hangs up; a frozen one never answers.
    probe_request = login_errors.SSL_REQUEST
    probe_answer_bytes = 1

    # ------------------------------------------------------------------ helpers
    def _value(self, node, sql, timeout=None):
        conn = self._conn(node, timeout)
        try:
            return scalar(conn, sql)
        finally:
            conn.close()

    # ------------------------------------------------------------------ discovery and probes
    def configured_source(self, conn):
        if not scalar(conn, 'SELECT pg_is_in_recovery()'):
            return None
        return parse_conninfo(scalar(conn, "SELECT current_setting('primary_conninfo')")).get('host') or None

    def takes_writes(self, conn):
        return not scalar(conn, 'SELECT pg_is_in_recovery()')

    def synchronous_commits(self, conn):
        """One query on the primary's session: does a commit wait for a synchronous standby? The server's
        settings as this session sees them (a client may still lower synchronous_commit for its own
        session or transaction: that no server-side reading can know)."""
        found = rows(conn, SYNCHRONOUS_STATE_SQL)
        if not found:
            return None
        return commits_wait_for_standby(found[0]['standby'], found[0]['standby_names'],
                                        found[0]['synchronous_commit'])

    def _durability_required(self):
        return (self.params.get('durability') or 'required') == 'required'

    def read_position(self, session, node, row):
        facts = rows(session, 'SELECT pg_is_in_recovery() AS standby, '
                              'pg_last_wal_receive_lsn()::text AS received, '
                              'pg_last_wal_replay_lsn()::text AS replayed, '
                              'CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() '
                              'ELSE false END AS paused')[0]
        if not facts['standby']:
            row['why'] = 'not a standby'
            return
        row.update({'received': facts['received'], 'replayed': facts['replayed'], 'paused': facts['paused']})
        row['position'] = max(parse_lsn(facts['received']), parse_lsn(facts['replayed']))
        row['healthy'] = True

    def ensure_caught_up(self, candidate, row, max_lag, force, check_mode=False):
        """check_mode: read only; WAL replay that force would resume stays paused."""
        wait = float(max_lag if max_lag is not None else 30)
        if row.get('paused'):
            if not force:
                raise DbopsError('the best candidate %s has WAL replay paused (a delayed standby?). Nothing was '
                                 'changed; resume it, or use force' % candidate.name, 'max_lag')
            if check_mode:
                return      # force would resume replay and wait; paused, there is nothing to wait for
            self._value(candidate, 'SELECT pg_wal_replay_resume()')
        received = parse_lsn(row.get('received'))

        def replayed_all():
            return parse_lsn(self._value(candidate, 'SELECT pg_last_wal_replay_lsn()::text', timeout=5)) >= received

        if wait_until(replayed_all, wait, interval=0.05) or force:
            return
        raise DbopsError('the best candidate %s did not replay what it received within max_lag (%ss): it is '
                         'too far behind. Nothing was changed; raise max_lag or use force'
                         % (candidate.name, wait), 'max_lag')

    def follows(self, node, primary):
        """Is node a standby streaming from primary (and not fenced)? Reads only."""
        return node_follows(self.cluster, node, self._conn, _streaming_from,
                            (primary.name, primary.alias, primary.host))

    # ------------------------------------------------------------------ changes
    def _data_layout(self, node):
        """(data volume, its mount point, PGDATA) of a node's container: PostgreSQL 18's image mounts the
        volume at /var/lib/postgresql, above PGDATA (18/docker); earlier ones at PGDATA itself."""
        config = node.inspect.get('Config') or {}
        mount_point, pgdata = self.cluster.adapter.data_layout(config.get('Image'), config.get('Env'))
        for mount in node.inspect.get('Mounts') or []:
            if mount.get('Destination') == mount_point and mount.get('Type') == 'volume':
                return mount['Name'], mount_point, pgdata
        raise DbopsError('container %s has no data volume at %s' % (node.name, mount_point), 'nodes')

    def _data_volume(self, node):
        return self._data_layout(node)[0]

    def stop_writes_now(self, conn):
        execute(conn, 'ALTER SYSTEM SET default_transaction_read_only = on')
        scalar(conn, 'SELECT pg_reload_conf()')

    def mark_fenced(self, node):
        # standby.signal: if it ever starts again, it is a read-only standby.
        volume, mount_point, pgdata = self._data_layout(node)
        signal = (pgdata[len(mount_point):].strip('/') + '/standby.signal').lstrip('/')
        self.cluster.docker.write_to_mount(
            node.inspect['Config']['Image'], {'type': 'volume', 'source': volume},
            [FileEntry(signal, b'', 0o600, RUNTIME_UID, RUNTIME_UID)])

    def promote(self, node):
        conn = self._conn(node, 5)
        try:
            if scalar(conn, 'SELECT pg_is_in_recovery()'):
                if not scalar(conn, 'SELECT pg_promote(true, 60)'):
                    raise DbopsError('pg_promote() on %s did not finish within 60 s' % node.name, 'nodes')
            # The other nodes' slots, so a re-pointed standby (or the rejoined old primary) keeps its WAL.
            create_missing_slots(conn, [slot_name_for(other.name) for other in self.cluster.nodes if other is not node])
            if self._durability_required():
                # Commits wait for one of the other nodes, the fenced old primary included: with one
                # standby, until the old primary is re-joined (it is then the synchronous standby).
                execute(conn, 'ALTER SYSTEM SET synchronous_standby_names = %s',
                        (required_sync_names([other.name for other in self.cluster.nodes], node.name),))
                if scalar(conn, "SELECT current_setting('synchronous_commit')") in ('off', 'local'):
                    execute(conn, "ALTER SYSTEM SET synchronous_commit = 'on'")
            else:
                # No synchronous standby until one streams: otherwise every commit would wait.
                execute(conn, "ALTER SYSTEM SET synchronous_standby_names = ''")
            # A node frozen by an earlier switchover keeps default_transaction_read_only in
            # postgresql.auto.conf through its restart as a standby: promoted, it must take writes.
            execute(conn, 'ALTER SYSTEM RESET default_transaction_read_only')
            scalar(conn, 'SELECT pg_reload_conf()')
        finally:
            conn.close()

    def repoint(self, node, new_primary):
        # The standby streams through its slot on the new primary. The promotion creates the slots, but a
        # promotion cut short (the watcher killed between pg_promote() and the slots) left none: the standby
        # then retried "replication slot does not exist" for the whole wait (30 s in the fault suite).
        self.ensure_slot(new_primary, slot_name_for(node.name))
        conn = self._conn(node, 5)
        try:
            point_standby(conn, new_primary.alias, new_primary.port, self._user(), slot_name_for(node.name))
            wait_streaming(conn, self.params.get('wait_timeout') or 30)
        finally:
            conn.close()
        self.enable_sync(new_primary)

    def ensure_slot(self, primary, slot):
        """The physical slot ``slot`` on ``primary``, created when missing."""
        conn = self._conn(primary, 5)
        try:
            create_missing_slots(conn, [slot])
        finally:
            conn.close()

    def enable_sync(self, primary):
        """synchronous_standby_names on the primary: under durability required every other node (set at the
        promotion; kept), under preferred its streaming standbys when the cluster asks for it (synchronous)."""
        required = self._durability_required()
        if not required and not self.params.get('synchronous'):
            return
        conn = self._conn(primary, 5)
        try:
            if required:
                wanted = required_sync_names([node.name for node in self.cluster.nodes], primary.name)
            else:
                wanted = sync_names_for(sorted(row['application_name'] for row in rows(
                    conn, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")))
            if wanted and scalar(conn, "SELECT current_setting('synchronous_standby_names')") != wanted:
                execute(conn, 'ALTER SYSTEM SET synchronous_standby_names = %s', (wanted,))
                scalar(conn, 'SELECT pg_reload_conf()')
        finally:
            conn.close()

    def _user(self):
        return self.params.get('replication_user') or 'replicator'

    # ------------------------------------------------------------------ switchover
    def prepare_switchover(self, primary, target):
        candidates = self.positions([n for n in self.cluster.nodes if n is not primary])
        healthy = [r['name'] for r in candidates if r['healthy']]
        if not healthy:
            raise DbopsError('no healthy standby to switch over to', 'nodes')
        if target and target not in healthy:
            raise DbopsError('candidate %r is not a healthy standby' % target, 'candidate')
        return candidates

    def freeze(self, primary):
        conn = self._conn(primary, 5)
        try:
            execute(conn, 'ALTER SYSTEM SET default_transaction_read_only = on')
            scalar(conn, 'SELECT pg_reload_conf()')
            # Sessions in a transaction keep writing until they end: end them now.
            rows(conn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = "
                       "'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'")
        finally:
            conn.close()

    def unfreeze(self, primary):
        conn = self._conn(primary, 5)
        try:
            execute(conn, 'ALTER SYSTEM RESET default_transaction_read_only')
            scalar(conn, 'SELECT pg_reload_conf()')
        finally:
            conn.close()

    def wait_replicas_caught_up(self, primary, target, timeout):
        position = parse_lsn(self._value(primary, 'SELECT pg_current_wal_lsn()::text', timeout=5))
        deadline = time.time() + float(timeout)   # one deadline for all the replicas
        for node in self.cluster.nodes:
            if node is primary or not node.running or (target and node.name != target):
                continue

            def caught_up(node=node):
                return parse_lsn(self._value(node, 'SELECT pg_last_wal_replay_lsn()::text', timeout=5)) >= position

            if not wait_until(caught_up, deadline - time.time(), interval=0.02):
                raise DbopsError('%s did not catch up within %ss' % (node.name, timeout), 'max_lag')

    def before_promote(self, primary, candidate):
        """Switchover: stop the old primary cleanly. Its WAL senders send everything, the shutdown
        checkpoint included, before it exits, so the candidate has all of it and the old primary can
        follow the new timeline without pg_rewind."""
        docker = self.cluster.docker
        self.cluster.refresh(primary)
        docker.stop(primary.inspect['Id'], 30)

        def receiver_stopped():
            return self._value(candidate, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'stopped')",
                               timeout=5) != 'streaming'

        wait_until(receiver_stopped, 10, interval=0.02)   # no error: promotion follows either way
        self.cluster.refresh(primary)

    def demote(self, primary, new_primary):
        """Switchover: the cleanly stopped old primary follows the new one. Its WAL ends at its shutdown
        checkpoint, which the new primary received before its promotion, so it can follow the new timeline
        as it is; pg_rewind only when it cannot."""
        try:
            self.rejoin(primary, new_primary, rewind=False, wait=15)
        except DbopsError:
            self.rejoin(primary, new_primary, rewind=True)

    # ------------------------------------------------------------------ rejoin
    def rejoin(self, node, primary, rewind=True, wait=None):
        """Start the old primary as the new primary's standby: pg_rewind first when its history diverged
        (rewind), after a copy of its data into a new volume (last_rejoin_kept).

        What the rejoin needs from the primary and the options is checked before the node is stopped: a
        primary that does not answer is a refusal that changes nothing. A step that fails once the node is
        stopped starts it again, fenced (read-only), when it was running: the cluster's next failover must
        still be able to read it."""
        docker = self.cluster.docker
        self.last_rejoin_kept = None
        self.cluster.refresh(node)
        self.cluster.refresh(primary)
        volume_name, mount_point, data = self._data_layout(node)
        self._clear_earlier_rejoin(node, volume_name)
        self._checkpoint_primary(node, primary)
        password = self.cluster.superuser_password(primary)
        replication_password = self.cluster.replication_password()
        if not replication_password:
            raise DbopsError('set replication_password_file: the rejoined standby needs it in its passfile. '
                             'Nothing was changed', 'replication_password_file')
        was_running = node.running
        if was_running:
            docker.stop(node.inspect['Id'], 30)
        try:
            self._rewind_and_point(node, primary, rewind, password, replication_password,
                                   (volume_name, mount_point, data))
        except Exception as exc:
            if not was_running:
                raise
            not_started = self._start_fenced(node)
            if not isinstance(exc, DbopsError):
                raise
            raise DbopsError('%s; %s' % (exc.message, 'it was started again, fenced (standby.signal: a read-only '
                                         'standby)' if not_started is None
                                         else 'it could not be started again (%s)' % not_started), exc.parameter)
        docker.set_restart_policy(node.inspect['Id'], 'unless-stopped')
        docker.start(node.inspect['Id'])
        if not self._wait_streaming_after_start(node, wait or self.params.get('wait_timeout') or 60):
            # A node that does not follow the new primary must not look like a candidate for the
            # next failover (it would bring back a diverged history): fenced again, stopped. Its restart
            # policy 'no' tells the next failover it acknowledged nothing (durability does not wait for it).
            docker.set_restart_policy(node.inspect['Id'], 'no')
            docker.stop(node.inspect['Id'], 30)
            raise DbopsError('%s does not stream from %s%s' % (
                node.name, primary.name, ' after pg_rewind (its output: %s)' % self.last_rewind_output[-600:]
                if rewind else ''), 'wait_timeout')
        self.enable_sync(primary)

    def _checkpoint_primary(self, node, primary):
        """The primary node will follow answers and is a primary: a CHECKPOINT there, before anything changes.

        A standby promoted moments ago has not written a checkpoint on its new timeline yet, and pg_rewind
        reads the source's timeline from its last checkpoint: it would see the old timeline, say "no rewind
        required" and leave a diverged target (PostgreSQL manual, pg_rewind notes)."""
        try:
            conn = self._conn(primary, 5)
        except DbopsError as exc:
            raise DbopsError('%s cannot follow %s, which does not answer (%s). Nothing was changed: %s is as it was'
                             % (node.name, primary.name, exc.message, node.name), 'nodes')
        try:
            if scalar(conn, 'SELECT pg_is_in_recovery()'):
                raise DbopsError('%s cannot follow %s, which is a standby, not the primary. Nothing was changed'
                                 % (node.name, primary.name), 'nodes')
            execute(conn, 'CHECKPOINT')
        finally:
            conn.close()

    def _clear_earlier_rejoin(self, node, volume_name):
        """What a rejoin interrupted by its process's end (a watcher stopped during pg_rewind) left: its
        one-shot container may still run on the node's data (then nothing is changed: two pg_rewind on one
        data directory would ruin it), its carrier volume (the superuser's passfile) is removed."""
        docker = self.cluster.docker
        busy = [cid[:12] for cid, running in docker.carriers_mounting(volume_name) if running]
        if busy:
            raise DbopsError('%s: a job of an earlier, interrupted rejoin still runs on its data volume %s (container '
                             '%s). Nothing was changed; the rejoin can run once it has ended'
                             % (node.name, volume_name, ', '.join(busy)), 'nodes')
        for stale in docker.carrier_volumes('%s-rewind-' % node.name):
            try:
                users = docker.carriers_mounting(stale)
                if any(running for _cid, running in users):
                    continue
                for cid, _running in users:
                    docker.remove_container(cid)
                docker.remove_volume(stale)
            except Exception:  # noqa: BLE001 - a leftover never stops the rejoin; tried again next time
                continue

    def _rewind_and_point(self, node, primary, rewind, password, replication_password, layout):
        """On the stopped node's data: pg_rewind when needed, primary_conninfo and its slot, and its
        replication passfile; the primary's slot for it. Raises DbopsError on a failed step."""
        docker = self.cluster.docker
        volume_name, mount_point, data = layout
        image = node.inspect['Config']['Image']
        superuser = self.params.get('login_user') or 'postgres'
        volume = '%s-rewind-%s' % (node.name, binascii.hexlify(os.urandom(4)).decode('ascii'))
        docker.create_volume(volume, {CARRIER_LABEL: 'true'})
        slot = slot_name_for(node.name)
        conninfo = conninfo_string(primary.alias, primary.port, self._user(), slot)
        source = '--source-server="host={h} port={p} user={u} dbname=postgres"'.format(
            h=primary.alias, p=primary.port, u=superuser)

        def run(script):
            return docker.run_once(
                image, ['sh', '-c'], [script],
                [{'target': mount_point, 'source': volume_name, 'read_only': False},
                 {'target': '/run/rewind', 'source': volume, 'read_only': True}],
                network=self.params.get('network') or find_network(docker, primary.alias),
                user=str(RUNTIME_UID),
                environment={'PGPASSFILE': '/run/rewind/pgpass', 'CONNINFO': conninfo.replace("'", "''"),
                             'LC_ALL': 'C'},
                timeout=600)

        # standby.signal is the fence: put back whatever happens (trap), so a manual start never brings
        # up a second primary. postmaster.pid of a killed server names PID 1, which in this one-shot
        # container is its own shell: crash recovery would take the data directory for in use.
        unfence = 'set -e; trap "touch {d}/standby.signal" EXIT; rm -f {d}/standby.signal {d}/postmaster.pid; '
        try:
            docker.write_to_mount(image, {'type': 'volume', 'source': volume},
                                  [FileEntry('pgpass', passfile_line(superuser, password).encode('utf-8'),
                                             0o600, RUNTIME_UID, RUNTIME_UID)])
            if rewind:
                rewind = self._keep_if_diverged(node, primary, image, volume_name, run, (unfence + (
                    # What pg_rewind itself runs on a server that was not shut down cleanly (a kill -9),
                    # here before its dry run, which would otherwise refuse it.
                    'state=$(pg_controldata -D {d} | sed -n "s/^Database cluster state: *//p"); '
                    'case "$state" in "shut down"|"shut down in recovery") ;; '
                    '*) echo "crash recovery first (state: $state)"; '
                    'postgres --single -F -D {d} template1 < /dev/null ;; esac; '
                    'touch {d}/standby.signal; pg_rewind --target-pgdata={d} {src} --dry-run'))
                    .format(d=data, src=source))
            rewind_step = 'pg_rewind --target-pgdata={d} {src} --progress; ' if rewind else ''
            code, output = run((unfence + rewind_step +
                                'printf "%s\\n" "primary_conninfo = \'$CONNINFO\'" "primary_slot_name = \'{s}\'" '
                                '>> {d}/postgresql.auto.conf').format(d=data, src=source, s=slot))
        finally:
            docker.remove_volume(volume)
        if code != 0:
            raise DbopsError('pg_rewind of %s against %s failed (exit %s)%s: %s'
                             % (node.name, primary.name, code, '; its data before it is in volume %s'
                                % self.last_rejoin_kept if self.last_rejoin_kept else '',
                                output.strip()[-1500:]), 'nodes')
        self.last_rewind_output = output.strip()[-2000:]
        # The standby's passfile for the replication user, in its own secrets volume.
        ensure_passfile(docker, image, node.name, '%s-secrets' % node.name,
                        passfile_line(self._user(), replication_password).encode('utf-8'), [])
        self.ensure_slot(primary, slot)

    def _start_fenced(self, node):
        """After a rejoin failed on the stopped node: started again, standby.signal written first, so it is a
        read-only standby whatever its configuration says (its restart policy stays as it was). None, or
        why it is not running; never started when the fence could not be written."""
        try:
            self.cluster.refresh(node)
            if node.running:
                return None
            self.mark_fenced(node)
            self.cluster.docker.start(node.inspect['Id'])
            return None
        except Exception as exc:  # noqa: BLE001 - reported with the rejoin's own error
            return '%s: %s' % (type(exc).__name__, exc)

    def _keep_if_diverged(self, node, primary, image, volume_name, run, dry_run_script):
        """pg_rewind --dry-run: does the old primary hold WAL the new primary's history lacks? If so (or if
        the dry run cannot tell), its data volume is copied into a new volume first; returns whether
        pg_rewind must run. Nothing is rewound when the copy fails."""
        code, output = run(dry_run_script)
        if code != 0:
            raise DbopsError('pg_rewind --dry-run of %s against %s failed (exit %s); nothing was rewound: %s'
                             % (node.name, primary.name, code, output.strip()[-1500:]), 'nodes')
        needed = rewind_needed(output)
        if needed is False:
            self.last_rewind_output = output.strip()[-2000:]
            return False
        kept = diverged_volume_name(node.name)
        try:
            self.cluster.docker.copy_volume(image, volume_name, kept,
                                            diverged_volume_labels(node.name, volume_name, 'postgres'))
        except DbopsError as exc:
            raise DbopsError('%s has diverged from %s and its data could not be copied aside, so nothing was '
                             'rewound (it stays fenced): %s' % (node.name, primary.name, exc), 'nodes')
        self.last_rejoin_kept = kept
        return True

    def _wait_streaming_after_start(self, node, timeout):
        """True once the started node streams; it refuses connections while it starts up."""
        deadline = time.time() + timeout

        def streams():
            self.cluster.refresh(node)
            try:
                conn = self._conn(node, 2)
                try:
                    wait_streaming(conn, max(1, deadline - time.time()))
                    return True
                finally:
                    conn.close()
            except DbopsError:
                return False

        return wait_until(streams, timeout, interval=0.5)
