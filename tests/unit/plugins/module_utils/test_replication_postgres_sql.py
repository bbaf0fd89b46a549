# -*- coding: utf-8 -*-
"""replication_postgres without a server: SCRAM verifiers, SQL and command builders,
the seeding decision and the status severity on rows shaped like PostgreSQL 15's views."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import hba as pg_hba
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import identifiers
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import scram
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import standby as pg_standby
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import values
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

# Made by PostgreSQL 15.18: CREATE ROLE r1 LOGIN REPLICATION PASSWORD 'S3cr:et\pw é'
PG_VERIFIER = ('SCRAM-SHA-256$4096:hBCw/zovnHLuLKL40znisA==$VelN5I6+GE3VWN5DDhZ8VvL3r6mIUJ0MHz2OSlntcOQ='
               ':nSup1QOLhNL5gNKeoC3hRv+C+ARNEuJt11jNoP24Zzk=')
PG_PASSWORD = u'S3cr:et\\pw \u00e9'


def test_scram_matches_a_verifier_postgresql_made():
    assert scram.scram_matches(PG_VERIFIER, PG_PASSWORD)
    # The same characters, decomposed: SASLprep (NFKC) makes them equal, as PostgreSQL does.
    assert scram.scram_matches(PG_VERIFIER, u'S3cr:et\\pw e\u0301')


@pytest.mark.parametrize('password', [u'S3cr:et\\pw e', u'S3cr:et\\pw \u00e9 ', u'', u'x'])
def test_scram_does_not_match_another_password(password):
    assert not scram.scram_matches(PG_VERIFIER, password)


@pytest.mark.parametrize('verifier', [None, '', 'md5abc', 'SCRAM-SHA-256$4096:!!$x:y', PG_VERIFIER.replace('$', '#')])
def test_scram_matches_refuses_what_is_not_a_verifier(verifier):
    assert not scram.scram_matches(verifier, PG_PASSWORD)


def test_scram_verifier_round_trip_and_known_salt():
    made = scram.scram_verifier(PG_PASSWORD, salt=scram.parse_scram_verifier(PG_VERIFIER)[1])
    assert made == PG_VERIFIER  # the same salt and iterations give PostgreSQL's own verifier
    fresh = scram.scram_verifier('another one')
    assert fresh.startswith('SCRAM-SHA-256$4096:') and fresh != scram.scram_verifier('another one')
    assert scram.scram_matches(fresh, 'another one') and not scram.scram_matches(fresh, 'another on')


def test_password_matches_md5_too():
    # md5 || md5(password || user), what password_encryption=md5 stores.
    import hashlib
    stored = 'md5' + hashlib.md5(b'secretreplicator').hexdigest()
    assert scram.password_matches(stored, 'secret', 'replicator')
    assert not scram.password_matches(stored, 'secret', 'other')
    assert scram.password_matches(PG_VERIFIER, PG_PASSWORD, 'r1')


def test_role_and_slot_sql_carry_no_clear_password():
    sql, params = repl.create_role_sql('replicator', 'SCRAM-SHA-256$v')
    assert sql == 'CREATE ROLE "replicator" WITH REPLICATION LOGIN PASSWORD %s' and params == ('SCRAM-SHA-256$v',)
    assert repl.alter_role_sql('replicator') == ('ALTER ROLE "replicator" WITH REPLICATION LOGIN', ())
    assert repl.alter_role_sql('replicator', 'v')[0].endswith('PASSWORD %s')
    assert repl.create_slot_sql('standby1') == ('SELECT pg_create_physical_replication_slot(%s, true)', ('standby1',))
    with pytest.raises(DbopsError) as err:
        repl.create_role_sql('repl"; DROP', 'v')
    assert err.value.parameter == 'replication_user'
    with pytest.raises(DbopsError):
        repl.create_slot_sql('Bad-Slot')


@pytest.mark.parametrize('name, slot', [('standby1', 'standby1'), ('dbt-ab12cd-Standby1', 'dbt_ab12cd_standby1'),
                                        ('x' * 80, 'x' * 63)])
def test_slot_names(name, slot):
    assert identifiers.slot_name_for(name) == slot


@pytest.mark.parametrize('source, expected', [('samenet', 'samenet'), (None, 'samenet'), ('10.1.2.3/8', '10.0.0.0/8'),
                                              ('fd00::/64', 'fd00::/64')])
def test_hba_line(source, expected):
    assert pg_hba.hba_line('replicator', source) == 'host replication replicator %s scram-sha-256' % expected


@pytest.mark.parametrize('source', ['everywhere', '10.0.0.0/33', '; rm -rf /'])
def test_hba_source_refused(source):
    with pytest.raises(DbopsError) as err:
        pg_hba.hba_line('replicator', source)
    assert err.value.parameter == 'hba_source'


def test_hba_append_command_is_idempotent_shell(tmp_path):
    import subprocess
    hba = tmp_path / 'pg_hba.conf'
    hba.write_text(u'local all all peer')  # no final newline
    line = pg_hba.hba_line('replicator', 'samenet')
    command = pg_hba.hba_append_command(str(hba), line).replace('gosu postgres ', '')
    first = subprocess.run(['sh', '-c', command], capture_output=True, text=True, check=True)
    second = subprocess.run(['sh', '-c', command], capture_output=True, text=True, check=True)
    assert first.stdout.strip() == 'appended' and second.stdout.strip() == 'present'
    assert hba.read_text() == u'local all all peer\n%s\n' % line


def test_hba_rule_matching():
    rule = {'type': 'host', 'database': ['replication'], 'user_name': ['replicator'], 'address': 'samenet',
            'netmask': None, 'auth_method': 'scram-sha-256'}
    assert pg_hba.hba_rule_matches(rule, 'replicator', 'samenet')
    assert not pg_hba.hba_rule_matches(rule, 'other', 'samenet')
    assert not pg_hba.hba_rule_matches(dict(rule, auth_method='trust'), 'replicator', 'samenet')
    assert not pg_hba.hba_rule_matches(dict(rule, database=['all']), 'replicator', 'samenet')
    cidr = dict(rule, address='10.0.0.0', netmask='255.0.0.0')
    assert pg_hba.hba_rule_matches(cidr, 'replicator', '10.0.0.0/8')
    assert not pg_hba.hba_rule_matches(cidr, 'replicator', '10.0.0.0/16')
    v6 = dict(rule, address='fd00::', netmask='ffff:ffff:ffff:ffff::')
    assert pg_hba.hba_rule_matches(v6, 'replicator', 'fd00::/64')


def test_hba_rule_matching_without_ipaddress(monkeypatch):
    # Python 2 without the ipaddress backport: IPv4 rules compare as written.
    monkeypatch.setattr(pg_hba, 'ipaddress', None)
    assert pg_hba.normalize_hba_source('10.1.0.0/16') == '10.1.0.0/16'
    rule = {'type': 'host', 'database': ['replication'], 'user_name': ['replicator'], 'address': '10.1.0.0',
            'netmask': '255.255.0.0', 'auth_method': 'scram-sha-256'}
    assert pg_hba.hba_rule_matches(rule, 'replicator', '10.1.0.0/16')
    assert not pg_hba.hba_rule_matches(rule, 'replicator', '10.1.0.0/24')


def test_passfile_line_escapes():
    assert pg_standby.passfile_line('replicator', 'a:b\\c') == '*:*:*:replicator:a\\:b\\\\c\n'


def test_commands_carry_no_password():
    command = pg_standby.basebackup_command('pg-primary', 5432, 'replicator', 'standby1')
    assert command == ['pg_basebackup', '-h', 'pg-primary', '-p', '5432', '-U', 'replicator', '-D',
                       '/var/lib/postgresql/data', '-R', '-X', 'stream', '-S', 'standby1', '-c', 'fast',
                       '--no-password']
    identify = pg_standby.identify_command('pg-primary', 5432, 'replicator')
    assert identify[-1] == 'IDENTIFY_SYSTEM' and '-w' in identify
    assert 'replication=true' in identify[identify.index('-d') + 1]


# ------------------------------------------------------------------ settings
GOOD = {'wal_level': 'replica', 'max_wal_senders': '10', 'max_replication_slots': '10',
        'synchronous_standby_names': '', 'pending_restart': []}


def test_primary_settings_accepted():
    repl.check_primary_settings(dict(GOOD), 2)
    repl.check_primary_settings(dict(GOOD, wal_level='logical'), 8)


@pytest.mark.parametrize('change, standbys, parameter', [
    ({'wal_level': 'minimal'}, 1, 'settings.wal_level'),
    ({'max_wal_senders': '3'}, 2, 'settings.max_wal_senders'),
    ({'max_replication_slots': '1', 'slots_needed': 2}, 2, 'settings.max_replication_slots'),
    ({'pending_restart': ['wal_level']}, 1, 'settings.wal_level'),
])
def test_primary_settings_refused_with_the_fix(change, standbys, parameter):
    with pytest.raises(DbopsError) as err:
        repl.check_primary_settings(dict(GOOD, **change), standbys)
    assert err.value.parameter == parameter
    assert 'db_container' in str(err.value) or 'restart' in str(err.value)


def test_synchronous_standby_names_checked_not_changed():
    repl.check_primary_settings(dict(GOOD, synchronous_standby_names='FIRST 1 (s1)'), 1, 'FIRST 1 (s1)')
    with pytest.raises(DbopsError) as err:
        repl.check_primary_settings(dict(GOOD), 1, 'FIRST 1 (s1)')
    assert err.value.parameter == 'settings.synchronous_standby_names'
    assert 'ALTER SYSTEM' in str(err.value)


# ------------------------------------------------------------------ seeding
def test_probe_output_parsed():
    facts = pg_standby.parse_probe('state=cluster\nsysid=7711814763104059419\nstandby=1\n')
    assert facts == {'state': 'cluster', 'sysid': '7711814763104059419', 'standby': True}
    assert pg_standby.parse_probe('state=empty\n') == {'state': 'empty', 'sysid': None, 'standby': False}


def test_seed_decision():
    assert pg_standby.seed_decision({'state': 'absent'}, None, 's1') == 'seed'
    assert pg_standby.seed_decision({'state': 'empty'}, None, 's1') == 'seed'
    assert pg_standby.seed_decision({'state': 'cluster', 'sysid': '42', 'standby': True}, '42', 's1') == 'nothing'
    for facts, words in (({'state': 'cluster', 'sysid': '41', 'standby': True}, 'pg_rewind'),
                         ({'state': 'cluster', 'sysid': '42', 'standby': False}, 'promoted'),
                         ({'state': 'nonempty'}, 'purge_data')):
        with pytest.raises(DbopsError) as err:
            pg_standby.seed_decision(facts, '42', 's1')
        assert err.value.parameter == 'standby' and words in str(err.value)


# ------------------------------------------------------------------ status
def row(**overrides):
    base = {'application_name': 's1', 'client_addr': '172.20.0.3', 'state': 'streaming', 'sync_state': 'async',
            'sent_lsn': '0/3000148', 'write_lsn': '0/3000148', 'flush_lsn': '0/3000148',
            'replay_lsn': '0/3000148', 'lag_bytes': 0, 'replay_lag_seconds': None}
    base.update(overrides)
    return base


def slot(**overrides):
    base = {'slot_name': 's1', 'slot_type': 'physical', 'active': True, 'retained_bytes': 0}
    base.update(overrides)
    return base


def primary(rows, slots, sync=''):
    return {'role': 'primary', 'replication': rows, 'slots': slots, 'synchronous_standby_names': sync}


def test_healthy_primary_is_ok():
    assert repl.evaluate(primary([row()], [slot()])) == ('ok', [])
    assert repl.evaluate(primary([row(sync_state='sync')], [slot()], 'FIRST 1 (s1)')) == ('ok', [])
    assert repl.evaluate(primary([row(sync_state='quorum')], [slot()], 'ANY 1 (s1, s2)'))[0] == 'ok'


def test_stopped_standby_is_critical_through_its_slot():
    severity, reasons = repl.evaluate(primary([], [slot(active=False, retained_bytes=123)]))
    assert severity == 'critical' and 'inactive' in reasons[0] and '123' in reasons[0]


def test_synchronous_without_a_sync_standby_is_critical():
    severity, reasons = repl.evaluate(primary([row()], [slot()], 'FIRST 1 (s1)'))
    assert severity == 'critical' and 'every commit waits' in reasons[0]


def test_primary_lag_warnings():
    assert repl.evaluate(primary([row(lag_bytes=17 * 1024 * 1024)], [slot()]))[0] == 'warning'
    assert repl.evaluate(primary([row(lag_bytes=1000, replay_lag_seconds=90.0)], [slot()]))[0] == 'warning'
    # An idle primary: an old replay lag with nothing to replay is no lag.
    assert repl.evaluate(primary([row(lag_bytes=0, replay_lag_seconds=90.0)], [slot()]))[0] == 'ok'
    assert repl.evaluate(primary([row(state='catchup')], [slot()]))[0] == 'warning'


def standby(receiver_status='streaming', lag=0, delay=None):
    receiver = None if receiver_status is None else {'status': receiver_status, 'sender_host': 'pg-primary'}
    return {'role': 'standby', 'wal_receiver': receiver, 'lag_bytes': lag, 'replay_delay_seconds': delay,
            'synchronous_standby_names': ''}


def test_standby_severity():
    assert repl.evaluate(standby()) == ('ok', [])
    # No writes on the primary: the last replayed transaction gets old, that is fine.
    assert repl.evaluate(standby(delay=3600.0))[0] == 'ok'
    assert repl.evaluate(standby(delay=120.0, lag=8192))[0] == 'warning'
    assert repl.evaluate(standby(lag=32 * 1024 * 1024))[0] == 'warning'
    severity, reasons = repl.evaluate(standby(receiver_status=None))
    assert severity == 'critical' and 'not running' in reasons[0]
    assert repl.evaluate(standby(receiver_status='waiting'))[0] == 'critical'


def test_plain_values_for_json():
    import datetime
    import decimal
    assert values.plain(decimal.Decimal('16777216')) == 16777216
    assert values.plain(decimal.Decimal('1.5')) == 1.5
    assert values.plain(datetime.timedelta(seconds=2)) == 2.0
    assert values.plain(datetime.datetime(2026, 1, 2, 3, 4, 5)) == '2026-01-02T03:04:05'


# ------------------------------------------------------------------ configure_primary on a fake server
class FakeServer(object):
    """Answers configure_primary's queries the way PostgreSQL 15 would, and records them."""

    def __init__(self, settings=None):
        self.settings = dict({'wal_level': 'replica', 'max_wal_senders': '10', 'max_replication_slots': '10',
                              'synchronous_standby_names': ''}, **(settings or {}))
        self.roles, self.slots, self.hba, self.statements, self.comments = {}, [], [], [], {}
        self.read_only = 'off'  # the adapter's 'admin' session: read-write when opened

    def cursor(self):
        return FakeCursor(self)

    def answer(self, sql, params):
        self.statements.append((sql, params))
        if sql == 'SHOW default_transaction_read_only':
            return ['v'], [(self.read_only,)]
        if sql.startswith('SET SESSION default_transaction_read_only'):
            self.read_only = 'off'
            return None, []
        assert self.read_only == 'off' or sql.startswith('SELECT') or sql.startswith('SHOW'), sql
        if sql == 'SELECT pg_is_in_recovery()':
            return ['v'], [(False,)]
        if 'FROM pg_replication_slots' in sql:
            return ['slot_name', 'slot_type'], [(name, 'physical') for name in self.slots]
        if 'FROM pg_settings' in sql:
            return ['name', 'setting', 'pending_restart'], [(k, v, False) for k, v in self.settings.items()]
        if 'FROM pg_authid' in sql:
            role = self.roles.get(params[0])
            return ['rolreplication', 'rolcanlogin', 'rolpassword'], [role] if role else []
        if 'FROM pg_roles r WHERE r.rolname' in sql:
            # engines/postgres/accounts.py: attributes, the mark (the role's comment) and memberships.
            role = self.roles.get(params[0])
            return (['rolsuper', 'rolcreaterole', 'rolcanlogin', 'rolreplication', 'rolbypassrls', 'rolconnlimit',
                     'comment', 'member_of'],
                    [(False, False, True, True, False, -1, self.comments.get(params[0]), [])] if role else [])
        if sql.startswith('COMMENT ON ROLE'):
            self.comments[sql.split('"')[1]] = params[0]
            return None, []
        if sql.startswith('CREATE ROLE') or sql.startswith('ALTER ROLE'):
            name = sql.split('"')[1]
            self.roles[name] = (True, True, params[0] if params else self.roles[name][2])
            return None, []
        if 'pg_create_physical_replication_slot' in sql:
            self.slots.append(params[0])
            return ['v'], [('(%s,)' % params[0],)]
        if 'WHERE error IS NOT NULL' in sql:
            return ['line_number', 'error'], []
        if 'FROM pg_hba_file_rules' in sql:
            return (['type', 'database', 'user_name', 'address', 'netmask', 'auth_method', 'error'],
                    [tuple(rule) for rule in self.hba])
        if sql == 'SHOW hba_file':
            return ['v'], [('/var/lib/postgresql/data/pg_hba.conf',)]
        if sql == 'SELECT pg_reload_conf()':
            return ['v'], [(True,)]
        raise AssertionError('unexpected SQL: %s' % sql)


class FakeCursor(object):
    def __init__(self, server):
        self.server, self.description, self.rows = server, None, []

    def execute(self, sql, params=()):
        columns, self.rows = self.server.answer(sql, params)
        self.description = [(c,) for c in columns] if columns else None

    def fetchall(self):
        return self.rows

    def close(self):
        pass


class FakeDocker(object):
    def __init__(self, server):
        self.server, self.commands = server, []

    def exec_shell(self, container, command):
        self.commands.append((container, command))
        self.server.hba.append(('host', ['replication'], ['replicator'], 'samenet', None, 'scram-sha-256', None))
        return 0, 'appended\n'


def test_configure_primary_creates_once_and_never_sends_the_password():
    server = FakeServer()
    docker = FakeDocker(server)
    changed, actions = repl.configure_primary(server, 'replicator', 'Pa55:word', ['dbt-1-standby1'],
                                              docker=docker, container='pg1')
    assert changed and actions == ['create_role', 'create_slot:dbt_1_standby1', 'append_hba', 'reload']
    assert server.comments == {'replicator': 'dbops.containers: replication'}   # the collection's mark
    assert scram.scram_matches(server.roles['replicator'][2], 'Pa55:word')
    assert 'Pa55:word' not in repr(server.statements) and 'Pa55:word' not in repr(docker.commands)
    assert docker.commands[0][0] == 'pg1' and 'host replication replicator samenet scram-sha-256' in \
        docker.commands[0][1]
    assert repl.configure_primary(server, 'replicator', 'Pa55:word', ['dbt-1-standby1'],
                                  docker=docker, container='pg1') == (False, [])
    assert len(docker.commands) == 1
    assert repl.configure_primary(server, 'replicator', 'new', ['dbt-1-standby1'],
                                  docker=docker, container='pg1') == (True, ['alter_role_password'])
    assert scram.scram_matches(server.roles['replicator'][2], 'new')


def test_configure_primary_changes_nothing_on_wrong_settings():
    server = FakeServer({'wal_level': 'minimal'})
    with pytest.raises(DbopsError) as err:
        repl.configure_primary(server, 'replicator', 'pw', ['s1'], docker=FakeDocker(server), container='pg1')
    assert err.value.parameter == 'settings.wal_level'
    assert not server.roles and not server.slots and not server.hba


def test_configure_primary_without_container_names_the_missing_line():
    server = FakeServer()
    with pytest.raises(DbopsError) as err:
        repl.configure_primary(server, 'replicator', 'pw', ['s1'])
    assert err.value.parameter == 'container' and 'host replication replicator samenet' in str(err.value)
    assert not server.roles and not server.slots


def test_probe_script_looks_for_the_cluster_in_pgdata_and_for_files_in_the_volume():
    script = pg_standby.probe_script('/var/lib/postgresql', '/var/lib/postgresql/18/docker')
    assert script.startswith('D=/var/lib/postgresql/18/docker; V=/var/lib/postgresql; ')
    assert '"$D/PG_VERSION"' in script and 'ls -A "$V"' in script
    assert pg_standby.basebackup_command('pg1', 5432, 'replicator', 'slot1', '/var/lib/postgresql/18/docker')[
        7:9] == ['-D', '/var/lib/postgresql/18/docker']
