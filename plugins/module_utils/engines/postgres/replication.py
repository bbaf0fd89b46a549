# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL streaming replication (PostgreSQL 12 and later) between db_container containers.

Three steps, each idempotent:

``configure_primary``
    Checks the primary's settings, creates the replication role, one physical
    slot per standby and the ``host replication`` line of pg_hba.conf.
    ``wal_level``, ``max_wal_senders``, ``max_replication_slots`` and
    ``synchronous_standby_names`` are db_container ``settings``: they are
    rendered into /etc/postgresql/postgresql.conf, and an ALTER SYSTEM here would
    land in postgresql.auto.conf, silently win over what db_container renders,
    and show up nowhere in its diff. So they are checked, never changed: a wrong
    value fails with a DbopsError naming ``settings.<name>`` and the fix.
``seed_standby``
    Fills an empty (or absent) standby data volume with ``pg_basebackup -R``
    (standby.signal + primary_conninfo in postgresql.auto.conf) from a one-shot
    container on the primary's Docker network. db_container then starts the
    standby on that volume: the data directory exists, so no initdb runs.
``status``
    Replication facts of a primary or a standby, a severity and its reasons.

Passwords: the role's password is sent to the server as a SCRAM verifier
computed here, so the clear text is neither in the statement nor in the server
log. The standby reads the replication password from a passfile
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

import base64
import binascii
import datetime
import decimal
import hashlib
import hmac
import os
import re
import time
import unicodedata

try:
    from shlex import quote as shell_quote
except ImportError:  # pragma: no cover - Python 2
    from pipes import quote as shell_quote

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 without the backport
    ipaddress = None

from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import (
    CARRIER_LABEL, APIError, DockerException, FileEntry)
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import SECRETS_DIR
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import query_dicts
from ansible_collections.dbops.containers.plugins.module_utils.engines import base

DATA_DIR = '/var/lib/postgresql/data'
RUNTIME_UID = 999
PASSFILE_NAME = 'replication_pgpass'
PASSFILE_PATH = SECRETS_DIR + '/' + PASSFILE_NAME
SCRAM_ITERATIONS = 4096
LAG_WARNING_BYTES = 16 * 1024 * 1024
REPLAY_DELAY_WARNING_SECONDS = 60

_IDENTIFIER = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,62}$')
_SLOT = re.compile(r'^[a-z0-9_]{1,63}$')
_HBA_KEYWORDS = ('samenet', 'samehost', 'all')


# ------------------------------------------------------------------ passwords
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


# ------------------------------------------------------------------ builders
def check_identifier(value, parameter):
    if not value or not _IDENTIFIER.match(value):
        raise DbopsError('%r is not a plain identifier: use letters, digits and underscores, at most 63 '
                         'characters, not starting with a digit' % (value,), parameter)
    return value


def quote_ident(value):
    return '"%s"' % value.replace('"', '""')


def slot_name_for(standby_name):
    """A valid physical slot name (lower-case letters, digits, underscores) for a standby's name."""
    slot = re.sub(r'[^a-z0-9_]', '_', standby_name.lower())[:63]
    if not slot:
        raise DbopsError('%r gives no replication slot name' % (standby_name,), 'standby_names')
    return slot


def create_role_sql(user, verifier):
    role = quote_ident(check_identifier(user, 'replication_user'))
    return 'CREATE ROLE %s WITH REPLICATION LOGIN PASSWORD %%s' % role, (verifier,)


def alter_role_sql(user, verifier=None):
    sql = 'ALTER ROLE %s WITH REPLICATION LOGIN' % quote_ident(check_identifier(user, 'replication_user'))
    if verifier is None:
        return sql, ()
    return sql + ' PASSWORD %s', (verifier,)


def create_slot_sql(slot):
    if not _SLOT.match(slot or ''):
        raise DbopsError('%r is not a valid replication slot name (lower-case letters, digits, underscores)'
                         % (slot,), 'slot')
    # Reserve WAL at once: the base backup that follows must find its start in pg_wal.
    return 'SELECT pg_create_physical_replication_slot(%s, true)', (slot,)


def normalize_hba_source(source):
    source = (source or 'samenet').strip()
    if source in _HBA_KEYWORDS:
        return source
    if ipaddress is not None:
        try:
            return str(ipaddress.ip_network(u'%s' % source, strict=False))
        except ValueError:
            pass
    elif re.match(r'^[0-9a-fA-F:.]+/\d{1,3}$', source):
        return source
    raise DbopsError('%r is neither samenet, samehost, all nor a CIDR address (10.0.0.0/8)' % (source,),
                     'hba_source')


def hba_line(user, source):
    return 'host replication %s %s scram-sha-256' % (check_identifier(user, 'replication_user'),
                                                     normalize_hba_source(source))


def hba_append_command(hba_file, line):
    """An idempotent shell snippet: append line to hba_file unless it is there (as user postgres)."""
    snippet = ('F=%s; L=%s; '
               'if grep -qxF "$L" "$F"; then echo present; '
               'else { if [ -s "$F" ] && [ -n "$(tail -c1 "$F")" ]; then echo; fi; printf "%%s\\n" "$L"; } '
               '>> "$F" && echo appended; fi' % (shell_quote(hba_file), shell_quote(line)))
    return ('if [ "$(id -u)" = 0 ]; then exec gosu postgres sh -c %s; else exec sh -c %s; fi'
            % (shell_quote(snippet), shell_quote(snippet)))


def _netmask_prefix(netmask):
    if ipaddress is None:
        if re.match(r'^\d+\.\d+\.\d+\.\d+$', netmask or ''):
            return sum(bin(int(part)).count('1') for part in netmask.split('.'))
        return None
    try:
        packed = ipaddress.ip_address(u'%s' % netmask).packed
    except ValueError:
        return None
    return sum(bin(b if isinstance(b, int) else ord(b)).count('1') for b in packed)


def hba_rule_matches(rule, user, source):
    """rule: a pg_hba_file_rules row as a dict."""
    if rule.get('type') != 'host' or rule.get('auth_method') != 'scram-sha-256':
        return False
    if list(rule.get('database') or []) != ['replication'] or list(rule.get('user_name') or []) != [user]:
        return False
    address, netmask = rule.get('address'), rule.get('netmask')
    if source in _HBA_KEYWORDS:
        return address == source
    if address is None:
        return False
    prefix = _netmask_prefix(netmask) if netmask else None
    if ipaddress is None:  # Python 2 without the backport: the address as written
        return '%s/%s' % (address, prefix) == source
    try:
        network = ipaddress.ip_network(u'%s/%s' % (address, prefix) if prefix is not None else u'%s' % address,
                                       strict=False)
        return network == ipaddress.ip_network(u'%s' % source, strict=False)
    except ValueError:
        return False


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


# Prints what the data volume holds: state=absent/empty/nonempty/cluster, sysid=, standby=1.
PROBE_SCRIPT = (
    'D=%s; '
    'if [ -f "$D/PG_VERSION" ]; then echo state=cluster; '
    'pg_controldata "$D" | sed -n "s/^Database system identifier:[[:space:]]*/sysid=/p"; '
    'if [ -f "$D/standby.signal" ]; then echo standby=1; fi; '
    'elif [ -n "$(ls -A "$D" 2>/dev/null)" ]; then echo state=nonempty; '
    'else echo state=empty; fi' % DATA_DIR)


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


# ------------------------------------------------------------------ SQL helpers
def _rows(conn, sql, params=()):
    return query_dicts(conn, sql, params)


def _value(conn, sql, params=()):
    rows = _rows(conn, sql, params)
    return list(rows[0].values())[0] if rows else None


def _plain(value):
    """A JSON-friendly value (Ansible returns these)."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _plain_row(row):
    return dict((key, _plain(value)) for key, value in row.items())


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
    rows = _rows(conn, 'SELECT name, setting, pending_restart FROM pg_settings WHERE name = ANY(%s)', (list(names),))
    settings = dict((row['name'], row['setting']) for row in rows)
    settings['pending_restart'] = [row['name'] for row in rows if row['pending_restart']
                                   and row['name'] != 'synchronous_standby_names']
    return settings


def configure_primary(conn, replication_user, replication_password, standby_names, hba_source='samenet',
                      synchronous_standby_names=None, docker=None, container=None, dry_run=False):
    """Make the server behind conn (a superuser connection) a primary for standby_names.

    docker (a DockerHelper) and container (the primary's container name or id)
    are needed only when the pg_hba.conf line is missing. Returns (changed, actions).
    ``dry_run``: every check, the planned actions, nothing changed (check mode).
    """
    check_identifier(replication_user, 'replication_user')
    if not replication_password:
        raise DbopsError('the replication role needs a password', 'replication_password')
    source = normalize_hba_source(hba_source)
    standby_names = list(standby_names or [])
    slots = [slot_name_for(name) for name in standby_names]
    actions = []
    # engine_postgres.connect() opens read-only sessions (for the audit): this one writes.
    if _value(conn, 'SHOW default_transaction_read_only') == 'on':
        _rows(conn, 'SET SESSION default_transaction_read_only = off')
    if _value(conn, 'SELECT pg_is_in_recovery()'):
        raise DbopsError('the server is a standby (in recovery): configure the primary', 'login_host')

    existing_slots = dict((row['slot_name'], row) for row in _rows(
        conn, 'SELECT slot_name, slot_type FROM pg_replication_slots'))
    settings = _read_primary_settings(conn)
    settings['slots_needed'] = len(set(existing_slots) | set(slots))
    check_primary_settings(settings, len(standby_names), synchronous_standby_names)
    line = hba_line(replication_user, source)
    hba_present = _hba_has_rule(conn, replication_user, source)
    if not hba_present and (docker is None or container is None):
        # Checked before the first change, like everything else here.
        raise DbopsError('pg_hba.conf has no line %r and no container was given to add it to: pass the '
                         'primary\'s container' % line, 'container')
    _check_hba_errors(conn)
    for slot in slots:
        if slot in existing_slots and existing_slots[slot]['slot_type'] != 'physical':
            raise DbopsError('slot %r exists and is a %s slot: drop it or rename the standby'
                             % (slot, existing_slots[slot]['slot_type']), 'standby_names')

    # The role.
    role = _rows(conn, 'SELECT rolreplication, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s',
                 (replication_user,))

    def execute(sql, params=()):
        if not dry_run:
            _rows(conn, sql, params)

    if not role:
        sql, params = create_role_sql(replication_user, scram_verifier(replication_password))
        execute(sql, params)
        actions.append('create_role')
    else:
        role = role[0]
        same_password = password_matches(role['rolpassword'], replication_password, replication_user)
        if not same_password or not role['rolreplication'] or not role['rolcanlogin']:
            sql, params = alter_role_sql(replication_user,
                                         None if same_password else scram_verifier(replication_password))
            execute(sql, params)
            actions.append('alter_role' if same_password else 'alter_role_password')

    # One physical slot per standby.
    for slot in slots:
        if slot in existing_slots:
            continue
        sql, params = create_slot_sql(slot)
        execute(sql, params)
        actions.append('create_slot:%s' % slot)

    # pg_hba.conf: SQL cannot write it, docker exec can.
    if not hba_present and dry_run:
        actions.extend(['append_hba', 'reload'])
    elif not hba_present:
        hba_file = _value(conn, 'SHOW hba_file')
        code, output = docker.exec_shell(container, hba_append_command(hba_file, line))
        if code != 0:
            raise DbopsError('adding %r to %s in container %r failed (exit %s): %s'
                             % (line, hba_file, container, code, output.strip()), 'container')
        if 'appended' in output:
            actions.append('append_hba')
        _value(conn, 'SELECT pg_reload_conf()')
        actions.append('reload')
        if not _hba_has_rule(conn, replication_user, source):
            raise DbopsError('%s holds %r but PostgreSQL does not read it as such (pg_hba_file_rules): check '
                             'the file' % (hba_file, line), 'hba_source')
        _check_hba_errors(conn)
    return bool(actions), actions


def _check_hba_errors(conn):
    errors = _rows(conn, 'SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')
    if errors:
        raise DbopsError('pg_hba.conf has errors, so PostgreSQL keeps its previous rules: %s'
                         % '; '.join('line %s: %s' % (row['line_number'], row['error']) for row in errors),
                         'hba_source')


def _hba_has_rule(conn, user, source):
    rules = _rows(conn, 'SELECT type, database, user_name, address, netmask, auth_method, error '
                        'FROM pg_hba_file_rules')
    return any(hba_rule_matches(rule, user, source) and not rule.get('error') for rule in rules)


# ------------------------------------------------------------------ standby
def _run_oneshot(docker, image, entrypoint, command, mounts, network=None, user=None, environment=None,
                 timeout=600):
    """Run a throw-away container to its end: (exit code, output). Always removed (v=True)."""
    import docker as docker_sdk
    host_config = docker.api.create_host_config(
        mounts=[docker_sdk.types.Mount(m['target'], m['source'], type='volume', read_only=m['read_only'])
                for m in mounts],
        network_mode=network or 'none')
    created = docker.api.create_container(
        image, entrypoint=entrypoint, command=command, user=user, environment=environment or {},
        labels={CARRIER_LABEL: 'true'}, host_config=host_config)
    try:
        docker.api.start(created['Id'])
        try:
            result = docker.api.wait(created['Id'], timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - requests' ReadTimeout, not a Docker error
            raise DbopsError('%s did not finish within %ss (%s)' % (' '.join(entrypoint + command), timeout, exc),
                             'timeout')
        code = result.get('StatusCode') if isinstance(result, dict) else result
        output = docker.api.logs(created['Id']).decode('utf-8', 'replace')
        return code, output
    finally:
        docker.api.remove_container(created['Id'], force=True, v=True)


def find_network(docker, primary_host):
    """The network on which primary_host (a container name or a network alias) is reachable."""
    found = []
    for summary in docker.api.containers():
        inspect = docker.container(summary['Id']) or {}
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
                 slot, network=None, timeout=3600):
    """Fill the standby's data volume ``<standby>-data`` with a base backup of the primary. Returns actions.

    Does nothing when the volume already holds a standby of this primary (its
    passfile is refreshed when the password changed); refuses a volume that
    holds anything else.
    """
    check_identifier(replication_user, 'replication_user')
    if not _SLOT.match(slot or ''):
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
        code, output = _run_oneshot(docker, image, ['sh', '-c', PROBE_SCRIPT], [],
                                    [{'target': DATA_DIR, 'source': data_volume, 'read_only': True}])
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
        _ensure_passfile(docker, image, standby_name, secrets_volume, wanted_passfile, actions)
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
    _ensure_passfile(docker, image, standby_name, secrets_volume, wanted_passfile, actions)
    started = time.time()
    command = basebackup_command(primary_host, primary_port, replication_user, slot)
    try:
        code, output = _run_oneshot(
            docker, image, command[:1], command[1:],
            [{'target': DATA_DIR, 'source': data_volume, 'read_only': False},
             {'target': SECRETS_DIR, 'source': secrets_volume, 'read_only': True}],
            network=network, user=str(RUNTIME_UID), timeout=timeout,
            # PGAPPNAME lands in primary_conninfo: the standby shows up under its slot's name in
            # pg_stat_replication, the name synchronous_standby_names can use.
            environment={'PGPASSFILE': PASSFILE_PATH, 'PGAPPNAME': slot})
    except (APIError, DockerException, DbopsError) as exc:
        code, output = None, str(exc)
    if code != 0:
        # Leave no half copy behind: the next run must find the volume empty again.
        _run_oneshot(docker, image, ['sh', '-c', 'rm -rf %s/* %s/.[!.]* 2>/dev/null; true' % (DATA_DIR, DATA_DIR)],
                     [], [{'target': DATA_DIR, 'source': data_volume, 'read_only': False}])
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
        code, output = _run_oneshot(
            docker, image, command[:1], command[1:], [{'target': '/run/seed', 'source': volume, 'read_only': True}],
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


def _ensure_passfile(docker, image, standby_name, secrets_volume, wanted, actions):
    if docker.volume(secrets_volume) is None:
        docker.create_volume(secrets_volume, _volume_labels(standby_name, 'secrets'))
        actions.append('create_volume:%s' % secrets_volume)
    elif _read_from_volume(docker, image, secrets_volume, PASSFILE_NAME) == wanted:
        return
    docker.write_to_mount(image, {'type': 'volume', 'source': secrets_volume},
                          [FileEntry(PASSFILE_NAME, wanted, 0o600, RUNTIME_UID, RUNTIME_UID)])
    actions.append('write_passfile')


def _read_from_volume(docker, image, volume, name):
    import docker as docker_sdk
    host_config = docker.api.create_host_config(
        mounts=[docker_sdk.types.Mount('/carrier', volume, type='volume', read_only=True)])
    carrier = docker.api.create_container(image, entrypoint=['true'], command=[], labels={CARRIER_LABEL: 'true'},
                                          host_config=host_config, network_disabled=True)
    try:
        return docker.read_file(carrier['Id'], '/carrier/%s' % name)
    finally:
        docker.api.remove_container(carrier['Id'], force=True, v=True)


# ------------------------------------------------------------------ re-pointing a standby
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
    if not _value(conn, 'SELECT pg_is_in_recovery()'):
        raise DbopsError('the server is not a standby (it is not in recovery): it cannot follow %s'
                         % primary_host, 'container')
    current = _value(conn, "SELECT current_setting('primary_conninfo')")
    current_slot = _value(conn, "SELECT current_setting('primary_slot_name')")
    actions = []
    if conninfo_differs(current, primary_host, primary_port, user):
        actions.append('primary_conninfo:%s:%s' % (primary_host, primary_port))
    if current_slot != slot:
        actions.append('primary_slot_name:%s' % slot)
    if actions and not dry_run:
        application = parse_conninfo(current).get('application_name') or slot
        _rows(conn, 'ALTER SYSTEM SET primary_conninfo = %s',
              (conninfo_string(primary_host, primary_port, user, application),))
        _rows(conn, 'ALTER SYSTEM SET primary_slot_name = %s', (slot,))
        _value(conn, 'SELECT pg_reload_conf()')
        actions.append('reload')
    return bool(actions), actions


def wait_streaming(conn, wait_timeout):
    """Wait until the WAL receiver streams; the last pg_stat_wal_receiver row, or DbopsError."""
    deadline = time.time() + wait_timeout
    while True:
        rows = _rows(conn, 'SELECT status, sender_host, sender_port, slot_name FROM pg_stat_wal_receiver')
        if rows and rows[0]['status'] == 'streaming':
            return _plain_row(rows[0])
        if time.time() >= deadline:
            raise DbopsError('the standby does not stream after %d s (WAL receiver: %s): check the primary\'s '
                             'address, pg_hba.conf and the replication password, and the standby\'s log'
                             % (wait_timeout, rows[0]['status'] if rows else 'not running'), 'primary_host')
        time.sleep(0.2)


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
    facts = {'role': 'standby' if _value(conn, 'SELECT pg_is_in_recovery()') else 'primary',
             'synchronous_standby_names': _value(conn, "SELECT current_setting('synchronous_standby_names')")}
    if facts['role'] == 'primary':
        facts['replication'] = [_plain_row(row) for row in _rows(conn, PRIMARY_ROWS_SQL)]
        facts['slots'] = [_plain_row(row) for row in _rows(conn, SLOTS_SQL)]
    else:
        receivers = _rows(conn, 'SELECT * FROM pg_stat_wal_receiver')
        receiver = _plain_row(receivers[0]) if receivers else None
        if receiver is not None:
            # flushed_lsn is PostgreSQL 13's name for received_lsn.
            receiver['received_lsn'] = receiver.get('flushed_lsn', receiver.get('received_lsn'))
            receiver = dict((key, receiver.get(key)) for key in (
                'status', 'sender_host', 'sender_port', 'slot_name', 'received_lsn', 'latest_end_lsn',
                'latest_end_time', 'last_msg_receipt_time'))
        facts['wal_receiver'] = receiver
        extra = _plain_row(_rows(conn, STANDBY_SQL)[0])
        lag = extra['receive_replay_bytes'] or 0
        if receiver and receiver.get('latest_end_lsn') and extra['replayed_lsn']:
            behind = _value(conn, 'SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)',
                            (receiver['latest_end_lsn'], extra['replayed_lsn']))
            lag = max(lag, _plain(behind) or 0)
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

    rows = facts.get('replication') or []
    if (facts.get('synchronous_standby_names') or '').strip() and not any(
            row.get('sync_state') in ('sync', 'quorum') for row in rows):
        critical.append('synchronous_standby_names is %r but no standby is synchronous: every commit waits '
                        % facts['synchronous_standby_names'])
    for slot in facts.get('slots') or []:
        if not slot.get('active'):
            critical.append('replication slot %r is inactive: its standby is not connected and the primary '
                            'keeps WAL for it (%s bytes so far)' % (slot['slot_name'], slot.get('retained_bytes')))
    for row in rows:
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

    def __init__(self, context):
        self.context = context
        self.params = context.params
        self.standby_exists = True

    def primary(self):
        target = self.context.target
        return configure_primary(
            self.context.connect(), self.context.replication_user(self.default_user),
            self.context.replication_password(), self.params.get('standby_names') or [],
            hba_source=self.params.get('hba_source') or 'samenet',
            synchronous_standby_names=self.params.get('synchronous_standby_names'),
            docker=self.context.docker if target.container else None, container=target.container_id,
            dry_run=self.context.check_mode)

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
            self.standby_exists = inspect is not None
            return True, ['seed_standby' if inspect is None else 'start_standby']
        image = params.get('image') or (inspect or endpoint.container or {}).get('Config', {}).get('Image')
        if not image:
            raise DbopsError('set image: the PostgreSQL image that runs pg_basebackup (the standby container '
                             'does not exist yet and primary_container is not set)', 'image')
        if docker.image(image) is None:
            docker.pull(image)  # a DbopsError naming image when it cannot be had
        actions = seed_standby(docker, name, image, endpoint.host, endpoint.port, user, password, slot,
                               network=self._network(endpoint))
        if inspect is None:
            self.standby_exists = False
            context.notes.append('volume %s-data holds a base backup of %s: create the standby container on it '
                                 '(db_container, same settings as the primary), then run role replica again to '
                                 'confirm it streams' % (name, endpoint.host))
            return bool(actions), actions
        docker.start(inspect['Id'])
        actions.append('start_standby')
        changed, more = self._follow(docker.container(name), endpoint, user, password, slot)
        return True, actions + more

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
        if not _value(conn, 'SELECT pg_is_in_recovery()'):
            raise DbopsError('container %r runs a primary or standalone server, not a standby: it has its own '
                             'data. Nothing was changed. To make it a standby, stop it and move its data volume '
                             'away (it is not deleted for you), then run again' % inspect['Name'].lstrip('/'),
                             'container')
        _rows(conn, 'SET SESSION default_transaction_read_only = off')
        actions = []
        wanted = passfile_line(user, password).encode('utf-8')
        if context.docker.read_file(inspect['Id'], PASSFILE_PATH) != wanted:
            actions.append('write_passfile')
            if not context.check_mode:
                _ensure_passfile(context.docker, inspect['Config']['Image'], inspect['Name'].lstrip('/'),
                                 '%s-secrets' % inspect['Name'].lstrip('/'), wanted, [])
        changed, repointed = point_standby(conn, endpoint.host, endpoint.port, user, slot,
                                           dry_run=context.check_mode)
        actions.extend(repointed)
        if not context.check_mode:
            wait_streaming(conn, self.params.get('wait_timeout') or 60)
        return bool(actions), actions

    def replicaset(self):
        raise DbopsError('role replicaset is for MongoDB: PostgreSQL uses role primary and role replica', 'role')

    def can_report_status(self):
        return self.standby_exists

    def status(self):
        return status(self.context.connect())
