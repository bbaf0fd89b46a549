# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeding a standby: its data volume filled by ``pg_basebackup -R`` from one-shot containers.

``seed_standby`` fills an empty (or absent) standby data volume with
``pg_basebackup -R`` (standby.signal + primary_conninfo in postgresql.auto.conf)
from a one-shot container on the primary's Docker network. db_container then
starts the standby on that volume: the data directory exists, so no initdb runs.

The standby reads the replication password from a passfile
(``/run/secrets/dbops/replication_pgpass``, 0600, uid 999) in its secrets
volume, mounted read-only. libpq keeps a password it read from a passfile out
of the connection options, so ``pg_basebackup -R`` writes only
``passfile=...`` into primary_conninfo: the file has to stay where the standby
sees it, which is why it lives in the standby's secrets volume and not in a
throw-away volume. It never reaches a command line, an environment variable or
``docker inspect`` (only its path, PGPASSFILE, is in the environment).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import os
import time

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import (
    CARRIER_LABEL, APIError, DockerException, FileEntry)
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import SECRETS_DIR
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import (
    check_identifier, is_slot_name)

DATA_DIR = '/var/lib/postgresql/data'
RUNTIME_UID = 999
PASSFILE_NAME = 'replication_pgpass'
PASSFILE_PATH = SECRETS_DIR + '/' + PASSFILE_NAME


# ------------------------------------------------------------------ builders
def passfile_line(user, password):
    """A libpq passfile line valid for any host, port and database ('\\' and ':' escaped)."""
    user, password = [value.replace('\\', '\\\\').replace(':', '\\:') for value in (user, password)]
    return '*:*:*:%s:%s\n' % (user, password)


def basebackup_command(primary_host, primary_port, user, slot, data_dir=DATA_DIR):
    return ['pg_basebackup', '-h', primary_host, '-p', str(int(primary_port)), '-U', user, '-D', data_dir,
            '-R', '-X', 'stream', '-S', slot, '-c', 'fast', '--no-password']


def identify_command(primary_host, primary_port, user):
    conninfo = 'host=%s port=%d user=%s dbname=replication replication=true' % (
        primary_host, int(primary_port), user)
    return ['psql', '-X', '-w', '-At', '-F', '|', '-d', conninfo, '-c', 'IDENTIFY_SYSTEM']


def probe_script(mount, pgdata):
    """Prints what the data volume (mounted at mount) holds: state=empty/nonempty/cluster, sysid=, standby=1."""
    return ('D=%s; V=%s; '
            'if [ -f "$D/PG_VERSION" ]; then echo state=cluster; '
            'pg_controldata "$D" | sed -n "s/^Database system identifier:[[:space:]]*/sysid=/p"; '
            'if [ -f "$D/standby.signal" ]; then echo standby=1; fi; '
            'elif [ -n "$(ls -A "$V" 2>/dev/null)" ]; then echo state=nonempty; '
            'else echo state=empty; fi' % (pgdata, mount))


def parse_probe(output):
    facts = {'state': None, 'sysid': None, 'standby': False}
    for line in (output or '').splitlines():
        key, _sep, value = line.strip().partition('=')
        if key == 'state':
            facts['state'] = value
        elif key == 'sysid':
            facts['sysid'] = value.strip()
        elif key == 'standby':
            facts['standby'] = True
    return facts


def seed_decision(facts, primary_sysid, standby_name):
    """'seed', 'nothing', or a DbopsError for a data volume that holds something else. Pure."""
    state = facts.get('state')
    if state in ('absent', 'empty'):
        return 'seed'
    purge = ('remove it first (db_container state=absent purge_data=true for %r), then seed again'
             % standby_name)
    if state == 'cluster':
        if facts.get('sysid') and primary_sysid and facts['sysid'] != str(primary_sysid):
            raise DbopsError('the data volume of %r holds another cluster (system identifier %s, the primary\'s is '
                             '%s): it cannot follow this primary; %s, or, if it once was a copy of this primary, '
                             'run pg_rewind' % (standby_name, facts['sysid'], primary_sysid, purge), 'standby')
        if facts.get('standby'):
            return 'nothing'
        raise DbopsError('the data volume of %r holds a copy of the primary that is no longer a standby (no '
                         'standby.signal: it was promoted): rewind it with pg_rewind and add standby.signal, or %s'
                         % (standby_name, purge), 'standby')
    raise DbopsError('the data volume of %r is not empty and holds no PostgreSQL cluster: %s'
                     % (standby_name, purge), 'standby')


# ------------------------------------------------------------------ Docker
def find_network(docker, primary_host):
    """The network on which primary_host (a container name or a network alias) is reachable."""
    found = []
    for container_id in docker.container_ids():
        inspect = docker.container(container_id) or {}
        name = (inspect.get('Name') or '').lstrip('/')
        for network, endpoint in ((inspect.get('NetworkSettings') or {}).get('Networks') or {}).items():
            aliases = (endpoint.get('Aliases') or []) + (endpoint.get('DNSNames') or [])
            if network not in ('bridge', 'host', 'none') and (name == primary_host or primary_host in aliases):
                found.append(network)
    found = sorted(set(found))
    if len(found) != 1:
        raise DbopsError('%s: give the network explicitly' % (
            'no running container is reachable as %r on a user-defined network' % primary_host if not found
            else '%r is reachable on several networks (%s)' % (primary_host, ', '.join(found))), 'network')
    return found[0]


def _volume_labels(standby_name, kind):
    # What db_container puts on the volumes it creates: it then adopts them as its own.
    return {'dbops.managed': 'true', 'dbops.container': standby_name, 'dbops.engine': 'postgres',
            'dbops.kind': kind}


def seed_standby(docker, standby_name, image, primary_host, primary_port, replication_user, replication_password,
                 slot, network=None, timeout=3600, layout=(DATA_DIR, DATA_DIR)):
    """Fill the standby's data volume ``<standby>-data`` with a base backup of the primary. Returns actions.

    ``layout``: (where the volume is mounted, PGDATA) for the image's version: PostgreSQL 18's
    official image mounts the volume at /var/lib/postgresql and keeps PGDATA in 18/docker below it.

    Does nothing when the volume already holds a standby of this primary (its
    passfile is refreshed when the password changed); refuses a volume that
    holds anything else.
    """
    mount, pgdata = layout
    check_identifier(replication_user, 'replication_user')
    if not is_slot_name(slot):
        raise DbopsError('%r is not a valid replication slot name' % (slot,), 'slot')
    container = docker.container(standby_name)
    standby_running = bool(container and (container.get('State') or {}).get('Running'))
    network = network or find_network(docker, primary_host)
    data_volume = '%s-data' % standby_name
    secrets_volume = '%s-secrets' % standby_name
    actions = []
    wanted_passfile = passfile_line(replication_user, replication_password).encode('utf-8')

    if docker.volume(data_volume) is None:
        facts = {'state': 'absent'}
    else:
        code, output = docker.run_once(image, ['sh', '-c', probe_script(mount, pgdata)], [],
                                       [{'target': mount, 'source': data_volume, 'read_only': True}])
        facts = parse_probe(output)
        if code != 0 or facts['state'] is None:
            raise DbopsError('cannot tell what volume %r holds (exit %s): %s' % (data_volume, code, output.strip()),
                             'standby')

    if facts['state'] not in ('absent', 'empty', 'cluster'):
        seed_decision(facts, None, standby_name)  # refuses the volume
    # Asked before anything is created: an unreachable primary, a wrong password or a missing pg_hba.conf line
    # fails here, and the standby's volumes are left as they were (none created).
    primary_sysid = _primary_system_identifier(docker, image, standby_name, network, primary_host, primary_port,
                                               replication_user, wanted_passfile)
    decision = seed_decision(facts, primary_sysid, standby_name)
    if decision == 'nothing':
        # A rotated replication password reaches the standby's passfile here.
        ensure_passfile(docker, image, standby_name, secrets_volume, wanted_passfile, actions)
        return actions
    if standby_running:
        raise DbopsError('container %r runs without a cluster in its data volume: stop it before seeding'
                         % standby_name, 'standby')

    if facts['state'] == 'absent':
        docker.create_volume(data_volume, _volume_labels(standby_name, 'data'))
        actions.append('create_volume:%s' % data_volume)
    # The base backup runs as uid 999: the volume's root must be its own (the server needs 0700).
    docker.write_to_mount(image, {'type': 'volume', 'source': data_volume},
                          [FileEntry('.', None, 0o700, RUNTIME_UID, RUNTIME_UID)])
    ensure_passfile(docker, image, standby_name, secrets_volume, wanted_passfile, actions)
    started = time.time()
    command = basebackup_command(primary_host, primary_port, replication_user, slot, pgdata)
    try:
        code, output = docker.run_once(
            image, command[:1], command[1:],
            [{'target': mount, 'source': data_volume, 'read_only': False},
             {'target': SECRETS_DIR, 'source': secrets_volume, 'read_only': True}],
            network=network, user=str(RUNTIME_UID), timeout=timeout,
            # PGAPPNAME lands in primary_conninfo: the standby shows up under its slot's name in
            # pg_stat_replication, the name synchronous_standby_names can use.
            environment={'PGPASSFILE': PASSFILE_PATH, 'PGAPPNAME': slot})
    except (APIError, DockerException, DbopsError) as exc:
        code, output = None, str(exc)
    if code != 0:
        # Leave no half copy behind: the next run must find the volume empty again.
        docker.run_once(image, ['sh', '-c', 'rm -rf %s/* %s/.[!.]* 2>/dev/null; true' % (mount, mount)],
                        [], [{'target': mount, 'source': data_volume, 'read_only': False}])
        raise DbopsError('pg_basebackup from %s:%s failed (exit %s); the data volume was emptied again. '
                         'Output:\n%s' % (primary_host, primary_port, code, output.strip()), 'primary_host')
    actions.append('basebackup')
    seed_standby.last_duration = time.time() - started
    return actions


seed_standby.last_duration = None


def _primary_system_identifier(docker, image, standby_name, network, primary_host, primary_port, user, passfile):
    """Asked over a replication connection, which also proves role, password and pg_hba.conf.

    The passfile goes to a throw-away volume: the volume under test may not be a standby's at all."""
    volume = '%s-seedpass-%s' % (standby_name, binascii.hexlify(os.urandom(4)).decode('ascii'))
    docker.create_volume(volume, {CARRIER_LABEL: 'true'})
    try:
        docker.write_to_mount(image, {'type': 'volume', 'source': volume},
                              [FileEntry(PASSFILE_NAME, passfile, 0o600, RUNTIME_UID, RUNTIME_UID)])
        command = identify_command(primary_host, primary_port, user)
        code, output = docker.run_once(
            image, command[:1], command[1:], [{'target': '/run/seed', 'source': volume, 'read_only': True}],
            network=network, user=str(RUNTIME_UID), environment={'PGPASSFILE': '/run/seed/' + PASSFILE_NAME},
            timeout=120)
    finally:
        docker.remove_volume(volume)
    if code != 0 or not output.strip():
        raise DbopsError('cannot reach the primary at %s:%s as %r over a replication connection, from a container on '
                         'Docker network %r of the standby\'s Docker host (exit %s): %s. Check primary_host and '
                         'primary_port (across hosts: the address and published port of the primary), the '
                         'replication password and the primary\'s pg_hba.conf (hba_source). Nothing was changed'
                         % (primary_host, primary_port, user, network, code, output.strip()), 'primary_host')
    return output.strip().splitlines()[-1].split('|')[0]


def ensure_passfile(docker, image, standby_name, secrets_volume, wanted, actions):
    """The standby's passfile in its secrets volume holds ``wanted`` (appends to actions when written)."""
    if docker.volume(secrets_volume) is None:
        docker.create_volume(secrets_volume, _volume_labels(standby_name, 'secrets'))
        actions.append('create_volume:%s' % secrets_volume)
    elif docker.read_volume_file(image, secrets_volume, PASSFILE_NAME) == wanted:
        return
    docker.write_to_mount(image, {'type': 'volume', 'source': secrets_volume},
                          [FileEntry(PASSFILE_NAME, wanted, 0o600, RUNTIME_UID, RUNTIME_UID)])
    actions.append('write_passfile')
