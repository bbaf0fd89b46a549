# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL streaming replication (PostgreSQL 12 and later) between db_container containers.

Three steps, each idempotent:

``configure_primary``
    Checks the primary's settings, creates the replication role, one physical
    slot per standby and the ``host replication`` line of pg_hba.conf (hba.py).
    ``wal_level``, ``max_wal_senders``, ``max_replication_slots`` and
    ``synchronous_standby_names`` are db_container ``settings``: they are
    rendered into /etc/postgresql/postgresql.conf, and an ALTER SYSTEM here would
    land in postgresql.auto.conf, silently win over what db_container renders,
    and show up nowhere in its diff. So they are checked, never changed: a wrong
    value fails with a DbopsError naming ``settings.<name>`` and the fix.
``seed_standby`` (standby.py)
    Fills an empty standby data volume with a base backup; a running standby
    is pointed at its primary with ``point_standby`` (conninfo.py).
``status``
    Replication facts of a primary or a standby, a severity and its reasons.

Passwords: the role's password is sent to the server as a SCRAM verifier
computed here (scram.py), so the clear text is neither in the statement nor in
the server log; the standby reads it from a passfile (standby.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import (
    AccountFacts, Ownership, marking_needed)
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import execute, rows, scalar
from ansible_collections.dbops.containers.plugins.module_utils.engines import base
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import accounts
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.adapter import PostgresAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.conninfo import (
    point_standby, wait_streaming)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.hba import (
    check_hba_errors, hba_append_command, hba_has_rule, hba_line, normalize_hba_source)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import (
    check_identifier, is_slot_name, quote_ident, slot_name_for)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.scram import (
    password_matches, scram_verifier)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.standby import (
    PASSFILE_PATH, ensure_passfile, find_network, passfile_line, seed_standby)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.standby import (
    _primary_system_identifier as primary_system_identifier)
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.values import plain, plain_row

LAG_WARNING_BYTES = 16 * 1024 * 1024
REPLAY_DELAY_WARNING_SECONDS = 60


# ------------------------------------------------------------------ builders
def create_role_sql(user, verifier):
    role = quote_ident(check_identifier(user, 'replication_user'))
    return 'CREATE ROLE %s WITH REPLICATION LOGIN PASSWORD %%s' % role, (verifier,)


def alter_role_sql(user, verifier=None):
    sql = 'ALTER ROLE %s WITH REPLICATION LOGIN' % quote_ident(check_identifier(user, 'replication_user'))
    if verifier is None:
        return sql, ()
    return sql + ' PASSWORD %s', (verifier,)


def create_slot_sql(slot):
    if not is_slot_name(slot):
        raise DbopsError('%r is not a valid replication slot name (lower-case letters, digits, underscores)'
                         % (slot,), 'slot')
    # Reserve WAL at once: the base backup that follows must find its start in pg_wal.
    return 'SELECT pg_create_physical_replication_slot(%s, true)', (slot,)


# ------------------------------------------------------------------ primary
def check_primary_settings(settings, standby_count, synchronous_standby_names=None):
    """settings: name -> current value (and 'pending_restart' names). Raises the first problem. Pure."""
    wal_level = settings.get('wal_level')
    if wal_level not in ('replica', 'logical'):
        raise DbopsError('wal_level is %r: streaming replication needs replica (or logical); set it in '
                         'db_container settings (wal_level: replica) and restart the primary' % (wal_level,),
                         'settings.wal_level')
    needed = standby_count + 2
    senders = int(settings.get('max_wal_senders') or 0)
    if senders < needed:
        raise DbopsError('max_wal_senders is %d: %d standbys need at least %d (one sender each, plus one for a '
                         'base backup and one spare); set it in db_container settings and restart the primary'
                         % (senders, standby_count, needed), 'settings.max_wal_senders')
    slots = int(settings.get('max_replication_slots') or 0)
    if slots < settings.get('slots_needed', standby_count):
        raise DbopsError('max_replication_slots is %d: the primary needs %d slots (one per standby, plus the '
                         'slots it already has); set it in db_container settings and restart the primary'
                         % (slots, settings.get('slots_needed', standby_count)), 'settings.max_replication_slots')
    if synchronous_standby_names is not None:
        current = settings.get('synchronous_standby_names') or ''
        if current.strip() != synchronous_standby_names.strip():
            raise DbopsError('synchronous_standby_names is %r, not %r: it is a db_container setting (changing it '
                             'here with ALTER SYSTEM would override the rendered configuration behind '
                             'db_container\'s back); set settings.synchronous_standby_names in db_container. '
                             'Name only standbys that stream, or commits wait forever'
                             % (current, synchronous_standby_names), 'settings.synchronous_standby_names')
    pending = settings.get('pending_restart') or []
    if pending:
        raise DbopsError('%s changed in the configuration but the running server still uses the old value: '
                         'restart the primary (db_container state=restarted)' % ', '.join(sorted(pending)),
                         'settings.%s' % sorted(pending)[0])


def _read_primary_settings(conn):
    names = ('wal_level', 'max_wal_senders', 'max_replication_slots', 'synchronous_standby_names')
    found = rows(conn, 'SELECT name, setting, pending_restart FROM pg_settings WHERE name = ANY(%s)', (list(names),))
    settings = dict((row['name'], row['setting']) for row in found)
    settings['pending_restart'] = [row['name'] for row in found if row['pending_restart']
                                   and row['name'] != 'synchronous_standby_names']
    return settings


def replication_ownership(reserved=None, adopt=False):
    """The rules for the replication role (common/ownership.py): which roles it may never be."""
    return Ownership('replication', 'replication_user', 'adopt_replication_user', 'replication role',
                     Driver.default_user, reserved, adopt=adopt, changes='its password and attributes')


def configure_primary(conn, replication_user, replication_password, standby_names, hba_source='samenet',
                      synchronous_standby_names=None, docker=None, container=None, dry_run=False, ownership=None):
    """Make the server behind conn (a superuser connection) a primary for standby_names.

    docker (a DockerHelper) and container (the primary's container name or id)
    are needed only when the pg_hba.conf line is missing. Returns (changed, actions).
    ``dry_run``: every check, the planned actions, nothing changed (check mode).
    ``ownership``: a role the collection did not create (no mark, engines/postgres/accounts.py), the
    superuser, an administrator or the application role is refused before anything changes; the role
    created here is marked (its comment replicates to the standbys with it).
    """
    check_identifier(replication_user, 'replication_user')
    ownership = ownership or replication_ownership()
    ownership.check_name(replication_user)
    if not replication_password:
        raise DbopsError('the replication role needs a password', 'replication_password')
    source = normalize_hba_source(hba_source)
    standby_names = list(standby_names or [])
    slots = [slot_name_for(name) for name in standby_names]
    actions = []
    if scalar(conn, 'SELECT pg_is_in_recovery()'):
        raise DbopsError('the server is a standby (in recovery), and a cluster has one primary: run role primary '
                         'on the primary, role replica on a standby. Nothing was changed', 'role')

    existing_slots = dict((row['slot_name'], row) for row in rows(
        conn, 'SELECT slot_name, slot_type FROM pg_replication_slots'))
    settings = _read_primary_settings(conn)
    settings['slots_needed'] = len(set(existing_slots) | set(slots))
    check_primary_settings(settings, len(standby_names), synchronous_standby_names)
    line = hba_line(replication_user, source)
    hba_present = hba_has_rule(conn, replication_user, source)
    if not hba_present and (docker is None or container is None):
        # Checked before the first change, like everything else here.
        raise DbopsError('pg_hba.conf has no line %r and no container was given to add it to: pass the '
                         'primary\'s container' % line, 'container')
    check_hba_errors(conn)
    for slot in slots:
        if slot in existing_slots and existing_slots[slot]['slot_type'] != 'physical':
            raise DbopsError('slot %r exists and is a %s slot: drop it or rename the standby'
                             % (slot, existing_slots[slot]['slot_type']), 'standby_names')

    # The role.
    role = rows(conn, 'SELECT rolreplication, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s',
                (replication_user,))
    facts = accounts.read_role(conn, replication_user) or {}

    def like_ours():
        return (role[0]['rolreplication'] and role[0]['rolcanlogin'] and not facts.get('member_of')
                and password_matches(role[0]['rolpassword'], replication_password, replication_user))

    owning = ownership.judge(replication_user, AccountFacts(
        bool(role), accounts.purpose_of_comment(facts.get('comment')),
        accounts.admin_rights(facts) if role else None, like_ours))
    actions.extend(owning)

    def change(sql, params):
        if not dry_run:
            execute(conn, sql, params)

    if not role:
        sql, params = create_role_sql(replication_user, scram_verifier(replication_password))
        change(sql, params)
        actions.append('create_role')
    else:
        role = role[0]
        same_password = password_matches(role['rolpassword'], replication_password, replication_user)
        if not same_password or not role['rolreplication'] or not role['rolcanlogin']:
            sql, params = alter_role_sql(replication_user,
                                         None if same_password else scram_verifier(replication_password))
            change(sql, params)
            actions.append('alter_role' if same_password else 'alter_role_password')
    if not role or marking_needed(owning):
        change(*accounts.mark_statement(replication_user, 'replication'))

    # One physical slot per standby.
    for slot in slots:
        if slot in existing_slots:
            continue
        sql, params = create_slot_sql(slot)
        change(sql, params)
        actions.append('create_slot:%s' % slot)

    # pg_hba.conf: SQL cannot write it, docker exec can.
    if not hba_present and dry_run:
        actions.extend(['append_hba', 'reload'])
    elif not hba_present:
        hba_file = scalar(conn, 'SHOW hba_file')
        code, output = docker.exec_shell(container, hba_append_command(hba_file, line))
        if code != 0:
            raise DbopsError('adding %r to %s in container %r failed (exit %s): %s'
                             % (line, hba_file, container, code, output.strip()), 'container')
        if 'appended' in output:
            actions.append('append_hba')
        scalar(conn, 'SELECT pg_reload_conf()')
        actions.append('reload')
        if not hba_has_rule(conn, replication_user, source):
            raise DbopsError('%s holds %r but PostgreSQL does not read it as such (pg_hba_file_rules): check '
                             'the file' % (hba_file, line), 'hba_source')
        check_hba_errors(conn)
    return bool(actions), actions


# ------------------------------------------------------------------ status
PRIMARY_ROWS_SQL = (
    'SELECT application_name, host(client_addr) AS client_addr, state, sync_state, '
    'sent_lsn::text AS sent_lsn, write_lsn::text AS write_lsn, flush_lsn::text AS flush_lsn, '
    'replay_lsn::text AS replay_lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag_bytes, '
    'extract(epoch FROM replay_lag) AS replay_lag_seconds FROM pg_stat_replication ORDER BY application_name')
SLOTS_SQL = (
    'SELECT slot_name, slot_type, active, '
    'pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained_bytes FROM pg_replication_slots '
    'ORDER BY slot_name')
STANDBY_SQL = (
    'SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) AS receive_replay_bytes, '
    'extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS replay_delay_seconds, '
    'pg_last_wal_receive_lsn()::text AS received_lsn, pg_last_wal_replay_lsn()::text AS replayed_lsn')


def status(conn):
    """Replication facts of the server behind conn, with 'severity' (ok, warning, critical) and 'reasons'."""
    facts = {'role': 'standby' if scalar(conn, 'SELECT pg_is_in_recovery()') else 'primary',
             'synchronous_standby_names': scalar(conn, "SELECT current_setting('synchronous_standby_names')")}
    if facts['role'] == 'primary':
        facts['replication'] = [plain_row(row) for row in rows(conn, PRIMARY_ROWS_SQL)]
        facts['slots'] = [plain_row(row) for row in rows(conn, SLOTS_SQL)]
    else:
        receivers = rows(conn, 'SELECT * FROM pg_stat_wal_receiver')
        receiver = plain_row(receivers[0]) if receivers else None
        if receiver is not None:
            # flushed_lsn is PostgreSQL 13's name for received_lsn.
            receiver['received_lsn'] = receiver.get('flushed_lsn', receiver.get('received_lsn'))
            receiver = dict((key, receiver.get(key)) for key in (
                'status', 'sender_host', 'sender_port', 'slot_name', 'received_lsn', 'latest_end_lsn',
                'latest_end_time', 'last_msg_receipt_time'))
        facts['wal_receiver'] = receiver
        extra = plain_row(rows(conn, STANDBY_SQL)[0])
        lag = extra['receive_replay_bytes'] or 0
        if receiver and receiver.get('latest_end_lsn') and extra['replayed_lsn']:
            behind = scalar(conn, 'SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)',
                            (receiver['latest_end_lsn'], extra['replayed_lsn']))
            lag = max(lag, plain(behind) or 0)
        facts['lag_bytes'] = lag
        facts['replay_delay_seconds'] = extra['replay_delay_seconds']
        facts['received_lsn'] = extra['received_lsn']
        facts['replayed_lsn'] = extra['replayed_lsn']
    facts['severity'], facts['reasons'] = evaluate(facts)
    return facts


def evaluate(facts):
    """(severity, reasons) of status facts. Pure, unit-tested."""
    critical, warning = [], []
    if facts['role'] == 'standby':
        receiver = facts.get('wal_receiver')
        if not receiver or receiver.get('status') != 'streaming':
            critical.append('the WAL receiver is %s, not streaming: the standby falls behind (check '
                            'primary_conninfo, the network and the primary\'s log)'
                            % ((receiver or {}).get('status') or 'not running'))
        lag = facts.get('lag_bytes') or 0
        delay = facts.get('replay_delay_seconds')
        if lag > LAG_WARNING_BYTES:
            warning.append('the standby is %d bytes behind (more than 16MB)' % lag)
        elif delay is not None and delay > REPLAY_DELAY_WARNING_SECONDS and lag > 0:
            warning.append('replay is %.0f s behind while the primary writes' % delay)
        return _severity(critical, warning)

    standbys = facts.get('replication') or []
    if (facts.get('synchronous_standby_names') or '').strip() and not any(
            row.get('sync_state') in ('sync', 'quorum') for row in standbys):
        critical.append('synchronous_standby_names is %r but no standby is synchronous: every commit waits '
                        % facts['synchronous_standby_names'])
    for slot in facts.get('slots') or []:
        if not slot.get('active'):
            critical.append('replication slot %r is inactive: its standby is not connected and the primary '
                            'keeps WAL for it (%s bytes so far)' % (slot['slot_name'], slot.get('retained_bytes')))
    for row in standbys:
        name = row.get('application_name') or row.get('client_addr')
        lag = row.get('lag_bytes') or 0
        replay_lag = row.get('replay_lag_seconds')
        if row.get('state') != 'streaming':
            warning.append('standby %s is %s, not streaming' % (name, row.get('state')))
        if lag > LAG_WARNING_BYTES:
            warning.append('standby %s is %d bytes behind (more than 16MB)' % (name, lag))
        elif replay_lag is not None and replay_lag > REPLAY_DELAY_WARNING_SECONDS and lag > 0:
            warning.append('standby %s replays %.0f s behind while the primary writes' % (name, replay_lag))
    return _severity(critical, warning)


def _severity(critical, warning):
    if critical:
        return 'critical', critical + warning
    if warning:
        return 'warning', warning
    return 'ok', []


# ------------------------------------------------------------------ db_replication
class Driver(base.ReplicationDriver):
    """db_replication for PostgreSQL: a primary with slots, standbys seeded by pg_basebackup."""

    default_user = 'replicator'
    # reports_status (base: True) turns False when role replica leaves no standby container to ask:
    # the base backup is in its volume, the container is not created yet.

    def primary(self):
        target = self.context.target
        return configure_primary(
            self.context.connect(), self.context.replication_user(self.default_user),
            self.context.replication_password(), self.params.get('standby_names') or [],
            hba_source=self.params.get('hba_source') or 'samenet',
            synchronous_standby_names=self.params.get('synchronous_standby_names'),
            docker=self.context.docker if target.container else None, container=target.container_id,
            dry_run=self.context.check_mode, ownership=self.context.account_ownership(replication_ownership))

    def replica(self):
        context, params = self.context, self.params
        name = context.require('container', 'for a PostgreSQL standby: the standby\'s container name (its data '
                                            'volume is <container>-data)')
        endpoint = context.primary_endpoint(5432)
        user = context.replication_user(self.default_user)
        password = context.replication_password()
        slot = params.get('slot') or slot_name_for(name)
        docker = context.docker
        inspect = docker.container(name)
        if inspect is not None and (inspect.get('State') or {}).get('Running'):
            return self._follow(inspect, endpoint, user, password, slot)
        if context.check_mode:
            self.reports_status = inspect is not None
            return True, ['seed_standby' if inspect is None else 'start_standby']
        image = params.get('image') or (inspect or endpoint.container or {}).get('Config', {}).get('Image')
        if not image:
            raise DbopsError('set image: the PostgreSQL image that runs pg_basebackup (the standby container '
                             'does not exist yet and primary_container is not set)', 'image')
        if docker.image(image) is None:
            docker.pull(image)  # a DbopsError naming image when it cannot be had
        actions = seed_standby(docker, name, image, endpoint.host, endpoint.port, user, password, slot,
                               network=self._network(endpoint), layout=self._data_layout(docker, image))
        if inspect is None:
            self.reports_status = False
            context.notes.append('volume %s-data holds a base backup of %s: create the standby container on it '
                                 '(db_container, same settings as the primary), then run role replica again to '
                                 'confirm it streams' % (name, endpoint.host))
            return bool(actions), actions
        docker.start(inspect['Id'])
        actions.append('start_standby')
        changed, more = self._follow(docker.container(name), endpoint, user, password, slot)
        return True, actions + more

    @staticmethod
    def _data_layout(docker, image):
        """(volume mount point, PGDATA) in containers of image: PostgreSQL 18 moved both."""
        return PostgresAdapter().data_layout(image, ((docker.image(image) or {}).get('Config') or {}).get('Env'))

    def _network(self, endpoint):
        """The Docker network pg_basebackup runs on: the option, the primary's alias's network, or bridge
        (an address outside this Docker host)."""
        if self.params.get('network'):
            return self.params['network']
        try:
            return find_network(self.context.docker, endpoint.host)
        except DbopsError:
            if endpoint.container is not None:
                raise
            return 'bridge'

    def _follow(self, inspect, endpoint, user, password, slot):
        """A running standby: same primary, slot and passfile, then wait until it streams."""
        context = self.context
        conn = context.connect()
        if not scalar(conn, 'SELECT pg_is_in_recovery()'):
            raise DbopsError('container %r runs a primary or standalone server, not a standby: it has its own '
                             'data. Nothing was changed. To make it a standby, stop it and move its data volume '
                             'away (it is not deleted for you), then run again' % inspect['Name'].lstrip('/'),
                             'container')
        actions = []
        wanted = passfile_line(user, password).encode('utf-8')
        new_password = context.docker.read_file(inspect['Id'], PASSFILE_PATH) != wanted
        _same, planned = point_standby(conn, endpoint.host, endpoint.port, user, slot, dry_run=True)
        if new_password or planned:
            # A new password or primary is proved from the standby's network before the standby gets
            # it: a wrong one (a typo in primary_host) would leave a streaming standby following nothing.
            try:
                network = self._network(endpoint)
            except DbopsError:
                # primary_host is no container alias here (a typo, or a host outside Docker): ask from
                # the standby's own network, so the answer names what is wrong.
                network = next(iter(inspect['NetworkSettings'].get('Networks') or {'bridge': None}))
            try:
                primary_system_identifier(context.docker, inspect['Config']['Image'], inspect['Name'].lstrip('/'),
                                          network, endpoint.host, endpoint.port, user, wanted)
            except DbopsError as exc:
                if 'password authentication failed' in exc.message:
                    raise DbopsError('%s' % exc.message, 'replication_password')
                raise
        if new_password:
            actions.append('write_passfile')
            if not context.check_mode:
                ensure_passfile(context.docker, inspect['Config']['Image'], inspect['Name'].lstrip('/'),
                                '%s-secrets' % inspect['Name'].lstrip('/'), wanted, [])
        changed, repointed = point_standby(conn, endpoint.host, endpoint.port, user, slot,
                                           dry_run=context.check_mode)
        actions.extend(repointed)
        if not context.check_mode:
            wait_streaming(conn, self.params.get('wait_timeout') or 60)
        return bool(actions), actions

    def replicaset(self):
        raise DbopsError('role replicaset is for MongoDB: PostgreSQL uses role primary and role replica', 'role')

    def status(self):
        return status(self.context.connect())
