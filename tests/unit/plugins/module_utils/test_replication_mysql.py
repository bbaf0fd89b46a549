# -*- coding: utf-8 -*-
"""replication_mysql: SQL builders, semi-sync plans, the status normaliser and the severity."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import gtid
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

MARIADB = ('mariadb', (10, 11, 18))
MYSQL84 = ('mysql', (8, 4, 3))
MYSQL8022 = ('mysql', (8, 0, 22))
MYSQL57 = ('mysql', (5, 7, 44))


@pytest.mark.parametrize('text, expected', [
    ('10.11.18-MariaDB-0+deb12u1-log', ('mariadb', (10, 11, 18))),
    ('11.4.3-MariaDB', ('mariadb', (11, 4, 3))),
    ('8.4.3', ('mysql', (8, 4, 3))),
    ('8.0.40-log', ('mysql', (8, 0, 40))),
])
def test_parse_server_version(text, expected):
    assert repl.parse_server_version(text) == expected


def test_change_source_mariadb():
    sql, params = repl.change_source_sql('mariadb', (10, 11, 18), 'db1', 3306, 'repl', 'pw')
    assert sql == ('CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, '
                   'MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1')
    assert params == ('db1', 3306, 'repl', 'pw')


def test_change_source_mysql_8_0_23_and_later():
    sql, params = repl.change_source_sql('mysql', (8, 4, 3), 'db1', '3307', 'repl', 'pw')
    assert sql == ('CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=%s, SOURCE_USER=%s, '
                   'SOURCE_PASSWORD=%s, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, GET_SOURCE_PUBLIC_KEY=1')
    assert params == ('db1', 3307, 'repl', 'pw')
    assert repl.change_source_sql('mysql', (8, 0, 23), 'h', 1, 'u', 'p')[0].startswith('CHANGE REPLICATION SOURCE')


def test_change_source_older_mysql():
    sql = repl.change_source_sql('mysql', (8, 0, 22), 'h', 3306, 'u', 'p')[0]
    assert sql == ('CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, '
                   'MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1, GET_MASTER_PUBLIC_KEY=1')
    sql = repl.change_source_sql('mysql', (5, 7, 44), 'h', 3306, 'u', 'p')[0]
    assert sql.endswith('MASTER_PASSWORD=%s, MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1')


def test_change_source_without_password_clause():
    sql, params = repl.change_source_sql('mariadb', (10, 11), 'h', 3306, 'u', password_placeholder=False)
    assert 'PASSWORD' not in sql and params == ('h', 3306, 'u')


@pytest.mark.parametrize('server, start, stop, show, reset', [
    (MARIADB, 'START SLAVE', 'STOP SLAVE', 'SHOW SLAVE STATUS', 'RESET SLAVE ALL'),
    (MYSQL84, 'START REPLICA', 'STOP REPLICA', 'SHOW REPLICA STATUS', 'RESET REPLICA ALL'),
    (MYSQL8022, 'START REPLICA', 'STOP REPLICA', 'SHOW REPLICA STATUS', 'RESET REPLICA ALL'),
    (('mysql', (8, 0, 21)), 'START SLAVE', 'STOP SLAVE', 'SHOW SLAVE STATUS', 'RESET SLAVE ALL'),
    (MYSQL57, 'START SLAVE', 'STOP SLAVE', 'SHOW SLAVE STATUS', 'RESET SLAVE ALL'),
])
def test_statements_per_flavor(server, start, stop, show, reset):
    assert repl.start_sql(*server) == start
    assert repl.stop_sql(*server) == stop
    assert repl.status_sql(*server) == show
    assert repl.reset_sql(*server) == reset
    assert repl.start_sql(server[0], server[1], 'IO') == start + ' IO_THREAD'
    assert repl.stop_sql(server[0], server[1], 'SQL') == stop + ' SQL_THREAD'


MARIADB_ROW = {
    'Slave_IO_State': 'Waiting for master to send event', 'Master_Host': 'db1', 'Master_User': 'repl',
    'Master_Port': 3306, 'Relay_Log_File': 'mysqld-relay-bin.000002', 'Slave_IO_Running': 'Yes',
    'Slave_SQL_Running': 'Yes', 'Last_IO_Errno': 0, 'Last_IO_Error': '', 'Last_SQL_Errno': 0,
    'Last_SQL_Error': '', 'Seconds_Behind_Master': 0, 'Using_Gtid': 'Slave_Pos', 'Gtid_IO_Pos': '0-1-7',
    'Gtid_Slave_Pos': '0-1-7',
}
MYSQL_ROW = {
    'Replica_IO_State': 'Waiting for source to send event', 'Source_Host': 'db1', 'Source_User': 'repl',
    'Source_Port': 3306, 'Relay_Log_File': 'relay.000003', 'Replica_IO_Running': 'Yes',
    'Replica_SQL_Running': 'Yes', 'Last_IO_Errno': 0, 'Last_IO_Error': '', 'Last_SQL_Errno': 0,
    'Last_SQL_Error': '', 'Seconds_Behind_Source': 3, 'Auto_Position': 1,
    'Retrieved_Gtid_Set': 'uuid:1-9', 'Executed_Gtid_Set': 'uuid:1-8',
}


def test_normalize_mariadb_row():
    status = repl.normalize_status(MARIADB_ROW)
    assert status['io_running'] and status['sql_running']
    assert status['seconds_behind'] == 0
    assert (status['source_host'], status['source_port'], status['source_user']) == ('db1', 3306, 'repl')
    assert status['using_gtid'] and status['auto_position']
    assert status['gtid_io_pos'] == '0-1-7' and status['executed_gtid'] == '0-1-7'
    assert status['relay_log_file'] == 'mysqld-relay-bin.000002'


def test_normalize_mysql_row():
    status = repl.normalize_status(MYSQL_ROW)
    assert status['io_running'] and status['sql_running'] and status['seconds_behind'] == 3
    assert (status['source_host'], status['source_port'], status['source_user']) == ('db1', 3306, 'repl')
    assert status['auto_position'] and status['using_gtid']
    assert status['retrieved_gtid_set'] == 'uuid:1-9' and status['executed_gtid'] == 'uuid:1-8'


def test_normalize_stopped_and_not_gtid():
    row = dict(MARIADB_ROW, Slave_IO_Running='Connecting', Slave_SQL_Running='No', Seconds_Behind_Master=None,
               Using_Gtid='No', Last_IO_Errno=1045, Last_IO_Error='Access denied')
    status = repl.normalize_status(row)
    assert status['io_running'] is False and status['io_state'] == 'Connecting'
    assert status['sql_running'] is False and status['seconds_behind'] is None
    assert status['using_gtid'] is False and status['last_io_errno'] == 1045
    assert repl.normalize_status(dict(MYSQL_ROW, Auto_Position=0))['auto_position'] is False
    assert repl.normalize_status(None) is None and repl.normalize_status({}) is None


def node(role, replica_row=None, **semi):
    return {'role': role, 'replica': repl.normalize_status(replica_row) if replica_row else None,
            'semi_sync': semi}


def test_assess_healthy_replica_and_primary():
    assert repl.assess(node('replica', MARIADB_ROW)) == ('ok', [])
    assert repl.assess(node('primary', source_enabled=True, source_status=True, source_clients=2)) == ('ok', [])
    assert repl.assess(node('standalone')) == ('ok', [])


def test_assess_null_lag_is_critical():
    severity, reasons = repl.assess(node('replica', dict(MYSQL_ROW, Seconds_Behind_Source=None)))
    assert severity == 'critical' and any('NULL' in reason for reason in reasons)


def test_assess_stopped_thread_is_critical():
    row = dict(MARIADB_ROW, Slave_SQL_Running='No', Seconds_Behind_Master=None, Last_SQL_Error='dup key')
    severity, reasons = repl.assess(node('replica', row))
    assert severity == 'critical' and any('SQL thread' in r and 'dup key' in r for r in reasons)
    severity, reasons = repl.assess(node('replica', dict(MARIADB_ROW, Slave_IO_Running='No')))
    assert severity == 'critical' and any('IO thread' in r for r in reasons)


def test_assess_lag_warning():
    assert repl.assess(node('replica', dict(MYSQL_ROW, Seconds_Behind_Source=60)))[0] == 'ok'
    severity, reasons = repl.assess(node('replica', dict(MYSQL_ROW, Seconds_Behind_Source=61)))
    assert severity == 'warning' and '61 s' in reasons[0]


def test_assess_semi_sync_fell_back_to_async():
    severity, reasons = repl.assess(node('primary', source_enabled=True, source_status=False, source_clients=0))
    assert severity == 'critical' and 'asynchronous' in reasons[0]
    assert repl.assess(node('primary', source_enabled=False, source_status=False))[0] == 'ok'


def test_semi_sync_names():
    names = repl.semi_sync_names(*MARIADB)
    assert names['plugins'] == {'primary': None, 'replica': None}
    assert names['source_enabled'] == 'rpl_semi_sync_master_enabled'
    assert names['replica_status'] == 'Rpl_semi_sync_slave_status'
    names = repl.semi_sync_names(*MYSQL84)
    assert names['plugins']['primary'] == ('rpl_semi_sync_source', 'semisync_source.so')
    assert names['plugins']['replica'] == ('rpl_semi_sync_replica', 'semisync_replica.so')
    assert names['source_timeout'] == 'rpl_semi_sync_source_timeout'
    assert names['source_clients'] == 'Rpl_semi_sync_source_clients'
    names = repl.semi_sync_names('mysql', (8, 0, 25))
    assert names['plugins']['primary'] == ('rpl_semi_sync_master', 'semisync_master.so')
    assert names['replica_enabled'] == 'rpl_semi_sync_slave_enabled'


def test_semi_sync_primary_plan_mariadb_only_differences():
    defaults = {'rpl_semi_sync_master_enabled': 'OFF', 'rpl_semi_sync_master_timeout': '10000',
                'rpl_semi_sync_master_wait_point': 'AFTER_COMMIT'}
    assert repl.semi_sync_primary_plan('mariadb', (10, 11), defaults, set()) == [
        'SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC',
        'SET GLOBAL rpl_semi_sync_master_timeout = 1000',
        'SET GLOBAL rpl_semi_sync_master_enabled = ON']
    done = {'rpl_semi_sync_master_enabled': 'ON', 'rpl_semi_sync_master_timeout': '1000',
            'rpl_semi_sync_master_wait_point': 'AFTER_SYNC'}
    assert repl.semi_sync_primary_plan('mariadb', (10, 11), done, set()) == []
    assert repl.semi_sync_primary_plan('mariadb', (10, 11), done, set(), enabled=False) == [
        'SET GLOBAL rpl_semi_sync_master_enabled = OFF']


def test_semi_sync_primary_plan_mysql_installs_the_plugin():
    assert repl.semi_sync_primary_plan('mysql', (8, 4, 3), {}, set(), timeout_ms=500) == [
        "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'",
        'SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC',
        'SET GLOBAL rpl_semi_sync_source_timeout = 500',
        'SET GLOBAL rpl_semi_sync_source_enabled = ON']
    installed = {'rpl_semi_sync_source_enabled': 'ON', 'rpl_semi_sync_source_timeout': '500',
                 'rpl_semi_sync_source_wait_point': 'AFTER_SYNC'}
    assert repl.semi_sync_primary_plan('mysql', (8, 4, 3), installed, {'rpl_semi_sync_source'},
                                       timeout_ms=500) == []
    # Not installed and not wanted: nothing to do.
    assert repl.semi_sync_primary_plan('mysql', (8, 4, 3), {}, set(), enabled=False) == []
    assert repl.semi_sync_primary_plan('mysql', (5, 7, 44), {}, set())[0] == (
        "INSTALL PLUGIN rpl_semi_sync_master SONAME 'semisync_master.so'")


def test_semi_sync_replica_plan():
    assert repl.semi_sync_replica_plan('mariadb', (10, 11), {'rpl_semi_sync_slave_enabled': 'OFF'}, set()) == [
        'SET GLOBAL rpl_semi_sync_slave_enabled = ON']
    assert repl.semi_sync_replica_plan('mariadb', (10, 11), {'rpl_semi_sync_slave_enabled': 'ON'}, set()) == []
    assert repl.semi_sync_replica_plan('mysql', (8, 4, 3), {}, set()) == [
        "INSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so'",
        'SET GLOBAL rpl_semi_sync_replica_enabled = ON']


@pytest.mark.parametrize('lines, expected', [
    (["GRANT REPLICATION SLAVE ON *.* TO `repl`@`%` IDENTIFIED BY PASSWORD '*AB'"], True),
    (['GRANT REPLICATION SLAVE ADMIN ON *.* TO `repl`@`%`'], False),
    (['GRANT USAGE ON *.* TO `repl`@`%`'], False),
    (['GRANT ALL PRIVILEGES ON *.* TO `root`@`%`'], True),
    (['GRANT REPLICATION SLAVE ADMIN, REPLICATION SLAVE ON *.* TO `r`@`%`'], True),
    (['GRANT SELECT ON `app`.* TO `r`@`%`'], False),
])
def test_has_replication_grant(lines, expected):
    assert repl.has_replication_grant(lines) is expected


def _info(server_id, hostname, uuid=None):
    return {'server_id': server_id, 'hostname': hostname, 'server_uuid': uuid}


def test_identity_check():
    repl._identity_check(_info(2, 'b'), _info(1, 'a'), 'db1')
    with pytest.raises(DbopsError) as error:
        repl._identity_check(_info(2, 'b'), _info(2, 'b'), 'db2')
    assert error.value.parameter == 'primary_host' and 'itself' in error.value.message
    with pytest.raises(DbopsError) as error:
        repl._identity_check(_info(2, 'b'), _info(2, 'a'), 'db1')
    assert error.value.parameter == 'primary_host' and 'same server_id' in error.value.message
    with pytest.raises(DbopsError):
        repl._identity_check(_info(2, 'b', 'u1'), _info(3, 'c', 'u1'), 'db1')


class FakeServer(object):
    """A PyMySQL-like connection: answers the queries configure_primary runs, records the rest."""

    def __init__(self, version, user_exists=False, grants=(), variables=None, plugins=(), same_password=True,
                 source_host=None, mark='replication'):
        self.version = version
        # The purpose the account's dbops.containers mark names (an existing account here was made by the collection).
        self.mark = mark if user_exists else None
        self.source_host = source_host
        self.user_exists = user_exists
        self.grants = list(grants)
        self.variables = dict(variables or {})
        self.plugins = set(plugins)
        self.same_password = same_password
        self.executed = []

    def cursor(self):
        return FakeCursor(self)

    def answer(self, sql, params):
        if sql.startswith('SELECT VERSION()'):
            return ['version', 'server_id', 'hostname'], [(self.version, 1, 'db1')]
        if sql == 'SELECT @@server_uuid':
            return ['uuid'], [('3e11fa47-71ca-11e1-9e33-c80aa9429562',)]
        if sql == 'SELECT @@GLOBAL.read_only':
            return ['ro'], [(1 if self.variables.get('read_only') == 'ON' else 0,)]
        if sql == 'SELECT @@log_bin':
            return ['log_bin'], [(1,)]
        if sql.startswith('SELECT @@GLOBAL.gtid_mode'):
            # MySQL answers the enum names (gtid_mode OFF/OFF_PERMISSIVE/ON_PERMISSIVE/ON, enforce OFF/ON/WARN).
            return ['gtid_mode', 'enforce_gtid_consistency'], [
                (self.variables.get('gtid_mode', 'ON'), self.variables.get('enforce_gtid_consistency', 'ON'))]
        if sql.startswith('SELECT COUNT(*) FROM mysql.user'):
            return ['n'], [(1 if self.user_exists else 0,)]
        if sql.startswith('SELECT authentication_string = PASSWORD'):
            return ['same'], [(1 if self.same_password else 0,)]
        # The mark (engines/mysql/accounts.py): an attribute on MySQL, a role on MariaDB.
        if sql.startswith('SELECT COUNT(*) FROM information_schema.TABLES') and 'USER_ATTRIBUTES' in sql:
            return ['n'], [(0 if 'MariaDB' in self.version else 1,)]
        if sql.startswith('SELECT ATTRIBUTE AS attribute'):
            return ['attribute'], [('{"dbops.containers": "%s"}' % self.mark if self.mark else None,)] \
                if self.user_exists else []
        if sql.startswith('SELECT Role AS role FROM mysql.roles_mapping'):
            return ['role'], [('dbops.containers:%s:repl' % self.mark,)] if self.user_exists and self.mark else []
        if sql.startswith('SELECT Host AS host FROM mysql.user'):
            return ['host'], [('%',)] if self.user_exists else []
        if sql.startswith('SELECT Host AS host, Super_priv'):
            return ['host', 'super_priv', 'create_user_priv', 'grant_priv'], \
                [('%', 'N', 'N', 'N')] if self.user_exists else []
        if sql.startswith('SHOW GRANTS'):
            return ['Grants for repl@%'], [(line,) for line in self.grants]
        if sql in ('SHOW SLAVE STATUS', 'SHOW REPLICA STATUS'):
            if not self.source_host:
                return ['Slave_IO_Running'], []
            return ['Slave_IO_Running', 'Slave_SQL_Running', 'Master_Host', 'Master_Port'], [
                ('Yes', 'Yes', self.source_host, 3306)]
        if sql.startswith('SHOW GLOBAL VARIABLES'):
            return ['Variable_name', 'Value'], sorted(self.variables.items())
        if sql.startswith('SELECT PLUGIN_NAME'):
            return ['PLUGIN_NAME'], [(name,) for name in sorted(self.plugins)]
        if sql.startswith('SELECT PLUGIN_STATUS'):
            return ['PLUGIN_STATUS'], [('ACTIVE',)] if sql.split("'")[1] in self.plugins else []
        self.executed.append(sql)
        # Apply what a real server would, so a second call sees the new state.
        if sql.startswith('CREATE USER'):
            self.user_exists = True
        elif sql.startswith(('ALTER USER %s@%s ATTRIBUTE', 'CREATE ROLE')):
            self.mark = 'replication'
        elif sql.startswith('GRANT REPLICATION SLAVE'):
            self.grants.append('GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`')
        elif sql.startswith('GRANT BACKUP_ADMIN'):
            self.grants.append('GRANT BACKUP_ADMIN ON *.* TO `repl`@`%`')
        elif sql.startswith('INSTALL PLUGIN'):
            self.plugins.add(sql.split()[2])
        elif sql.startswith('SET GLOBAL'):
            name, value = sql[len('SET GLOBAL '):].split(' = ')
            self.variables[name] = value
        return None, []


class FakeCursor(object):
    def __init__(self, server):
        self.server = server
        self.description = None
        self.rows = []

    def execute(self, sql, params=None):
        columns, self.rows = self.server.answer(sql, params)
        self.description = [(name,) for name in columns] if columns else None

    def fetchall(self):
        return self.rows

    def close(self):
        pass


def test_configure_primary_mysql_installs_semi_sync_once():
    server = FakeServer('8.4.3')
    changed, actions = repl.configure_primary(server, 'repl', 'pw')
    assert changed and actions == [
        'create user', 'grant replication slave',
        # the donor side of cloning a fresh replica (engines/mysql/clone.py)
        "INSTALL PLUGIN clone SONAME 'mysql_clone.so'", 'grant backup_admin',
        "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'",
        'SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC',
        'SET GLOBAL rpl_semi_sync_source_timeout = 1000',
        'SET GLOBAL rpl_semi_sync_source_enabled = ON']
    assert server.executed[0] == 'CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s'
    assert repl.configure_primary(server, 'repl', 'pw') == (False, [])
    # caching_sha2 hashes cannot be compared: the password changes only when asked.
    assert repl.configure_primary(server, 'repl', 'pw', reset_password=True) == (True, ['alter user password'])


def test_configure_primary_mariadb_alters_only_a_different_password():
    variables = {'rpl_semi_sync_master_enabled': 'ON', 'rpl_semi_sync_master_timeout': '1000',
                 'rpl_semi_sync_master_wait_point': 'AFTER_SYNC'}
    grants = ['GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`']
    server = FakeServer('10.11.18-MariaDB', user_exists=True, grants=grants, variables=variables)
    assert repl.configure_primary(server, 'repl', 'pw') == (False, [])
    server.same_password = False
    assert repl.configure_primary(server, 'repl', 'new') == (True, ['alter user password'])
    assert server.executed == ['ALTER USER %s@%s IDENTIFIED BY %s']


def test_configure_primary_dry_run_plans_and_changes_nothing():
    server = FakeServer('10.11.18-MariaDB')
    changed, actions = repl.configure_primary(server, 'repl', 'pw', dry_run=True)
    assert changed and actions[:2] == ['create user', 'grant replication slave']
    assert 'SET GLOBAL rpl_semi_sync_master_enabled = ON' in actions
    assert server.executed == [] and not server.user_exists
    # The real call then does what the dry run announced.
    assert repl.configure_primary(server, 'repl', 'pw') == (True, actions)


def test_configure_primary_refuses_a_read_only_server():
    """A fenced old primary (read_only from db_failover's marker) is not made a primary again by a rerun."""
    server = FakeServer('10.11.18-MariaDB', variables={'read_only': 'ON'})
    with pytest.raises(DbopsError) as error:
        repl.configure_primary(server, 'repl', 'pw')
    assert error.value.parameter == 'role' and 'fenced' in str(error.value)
    assert server.executed == []


def test_configure_primary_refuses_a_replica():
    """Two primaries in one cluster: a server that replicates from another is not made a primary."""
    server = FakeServer('10.11.18-MariaDB', source_host='db1')
    with pytest.raises(DbopsError) as error:
        repl.configure_primary(server, 'repl', 'pw')
    assert error.value.parameter == 'role' and 'replicates from db1:3306' in str(error.value)
    assert server.executed == []


@pytest.mark.parametrize('replica, source, kind', [
    ('', '', None),
    ('', '0-1-100', None),
    ('0-1-40', '0-1-100', None),
    ('0-1-100', '0-1-100', None),
    ('0-1-101', '0-1-100', 'errant'),
    ('0-1-100,1-2-3', '0-1-100', 'errant'),
    ('0-1-5,1-2-3', '0-1-100,1-2-9', None),
    # Written locally on server 4: its own GTID is in no history of the source.
    ('0-4-1', '0-1-100', 'errant'),
    # After a failover the new primary's state holds the old primary's GTIDs too.
    ('0-1-100', '0-1-100,0-2-7', None),
    ('0-2-7', '0-1-100,0-2-7', None),
])
def test_mariadb_seed_problem(replica, source, kind):
    problem = gtid.mariadb_seed_problem(replica, source)
    assert (problem[0] if problem else None) == kind


def test_mariadb_gtid_state_parsing():
    assert gtid.parse_mariadb_gtid_state('0-1-100,0-4-7,\n1-1-3') == {(0, 1): 100, (0, 4): 7, (1, 1): 3}


def test_mariadb_gtid_parsing():
    assert gtid.parse_mariadb_gtids('0-1-100,\n1-2-5') == {0: (1, 100), 1: (2, 5)}
    with pytest.raises(ValueError):
        gtid.parse_mariadb_gtids('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5')


def test_mysql_seed_problem():
    assert gtid.mysql_seed_problem(True) is None
    assert gtid.mysql_seed_problem(False)[0] == 'errant'


@pytest.mark.parametrize('row, expected', [
    ({'Master_Log_File': 'b.000002', 'Relay_Master_Log_File': 'b.000002', 'Read_Master_Log_Pos': '900',
      'Exec_Master_Log_Pos': '400'}, 500),
    ({'Source_Log_File': 'b.000002', 'Relay_Source_Log_File': 'b.000002', 'Read_Source_Log_Pos': 10,
      'Exec_Source_Log_Pos': 10}, 0),
    ({'Master_Log_File': 'b.000003', 'Relay_Master_Log_File': 'b.000002', 'Read_Master_Log_Pos': '9',
      'Exec_Master_Log_Pos': '400'}, None),
])
def test_lag_bytes(row, expected):
    row = dict(row, Slave_IO_Running='Yes')
    assert repl.normalize_status(row)['lag_bytes'] == expected


@pytest.mark.parametrize('user, password, parameter', [
    ("re'pl", 'pw', 'replication_user'), ('', 'pw', 'replication_user'), ('repl', '', 'replication_password')])
def test_configure_primary_rejects_bad_input(user, password, parameter):
    with pytest.raises(DbopsError) as error:
        repl.configure_primary(FakeServer('10.11.18-MariaDB'), user, password)
    assert error.value.parameter == parameter


def test_assess_writable_replica_is_a_warning():
    writable = dict(node('replica', MARIADB_ROW), read_only=False)
    severity, reasons = repl.assess(writable)
    assert severity == 'warning' and 'read_only OFF' in reasons[0] and 'role=replica' in reasons[0]
    assert repl.assess(dict(node('replica', MARIADB_ROW), read_only=True)) == ('ok', [])
    # A primary is writable by design; a stopped writable replica stays critical.
    assert repl.assess(dict(node('primary', source_enabled=True, source_status=True), read_only=False))[0] == 'ok'
    stopped = dict(node('replica', dict(MARIADB_ROW, Slave_IO_Running='No')), read_only=False)
    severity, reasons = repl.assess(stopped)
    assert severity == 'critical' and len(reasons) == 2


def test_assess_semi_sync_expected_but_disabled():
    primary = node('primary', source_enabled=False, source_status=False, source_clients=0)
    # Unknown expectation (a status call without semi_sync): an async primary is fine.
    assert repl.assess(primary) == ('ok', [])
    assert repl.assess(primary, expect_semi_sync=False) == ('ok', [])
    severity, reasons = repl.assess(primary, expect_semi_sync=True)
    assert severity == 'critical' and 'expects it' in reasons[0] and 'server settings' in reasons[0]
    assert repl.assess(node('primary', source_enabled=True, source_status=True, source_clients=1),
                       expect_semi_sync=True) == ('ok', [])
    replica = dict(node('replica', MARIADB_ROW, replica_enabled=False), read_only=True)
    assert repl.assess(replica) == ('ok', [])
    severity, reasons = repl.assess(replica, expect_semi_sync=True)
    assert severity == 'warning' and 'replica' in reasons[0] and 'expects it' in reasons[0]
    enabled = dict(node('replica', MARIADB_ROW, replica_enabled=True), read_only=True)
    assert repl.assess(enabled, expect_semi_sync=True) == ('ok', [])


@pytest.mark.parametrize('mode, enforce, wrong', [
    ('ON', 'ON', None),
    ('on', 1, None),
    ('OFF', 'OFF', ['gtid_mode is OFF', 'enforce_gtid_consistency is OFF']),
    ('ON_PERMISSIVE', 'ON', ['gtid_mode is ON_PERMISSIVE']),
    ('OFF_PERMISSIVE', 'ON', ['gtid_mode is OFF_PERMISSIVE']),
    ('ON', 'WARN', ['enforce_gtid_consistency is WARN']),
    ('ON', 2, ['enforce_gtid_consistency is WARN']),
    (None, None, ['gtid_mode is unknown', 'enforce_gtid_consistency is unknown']),
])
def test_mysql_gtid_problem_on_documented_values(mode, enforce, wrong):
    problem = repl.mysql_gtid_problem(mode, enforce)
    if wrong is None:
        assert problem is None
    else:
        assert all(part in problem for part in wrong), problem
        assert 'gtid_mode ON and enforce_gtid_consistency ON' in problem


def test_configure_primary_mysql_without_gtids_is_refused_before_any_change():
    server = FakeServer('8.4.3', variables={'gtid_mode': 'OFF_PERMISSIVE', 'enforce_gtid_consistency': 'WARN'})
    with pytest.raises(DbopsError) as err:
        repl.configure_primary(server, 'repl', 'pw')
    assert err.value.parameter == 'login_host'
    assert 'gtid_mode is OFF_PERMISSIVE and enforce_gtid_consistency is WARN' in str(err.value)
    assert server.executed == [] and not server.user_exists
    # MariaDB has no gtid_mode (its GTIDs are always on): not asked.
    mariadb = FakeServer('10.11.18-MariaDB', variables={'gtid_mode': 'OFF'})
    assert repl.configure_primary(mariadb, 'repl', 'pw')[0] is True


def test_progress_deadline_moves_while_the_position_moves():
    deadline = repl.ProgressDeadline(10, now=0)
    deadline.seen('0-1-5', 0)
    assert not deadline.passed(9)
    deadline.seen('0-1-9', 9)           # it applied more: another 10 s
    assert not deadline.passed(18)
    deadline.seen('0-1-9', 18)          # the same position: the deadline stays
    assert deadline.passed(19)
    stuck = repl.ProgressDeadline(10, now=0)
    stuck.seen('', 5)                   # nothing applied yet is no progress
    assert stuck.passed(10)
    fixed = repl.ProgressDeadline(10, now=0, extend=False)
    fixed.seen('0-1-5', 0)
    fixed.seen('0-1-9', 9)
    assert fixed.passed(10)


def test_a_replica_replaying_for_longer_than_wait_timeout_is_waited_for(monkeypatch):
    """A rebuilt replica replays its source's history: 40 s of progress under a 10 s wait_timeout succeed
    (wait_while_progressing); one whose applied position stops moving fails 10 s after it stopped."""
    now = [0.0]
    applied = iter(['0-1-%d' % n for n in range(1, 41)])

    def status(conn, info=None):
        position = next(applied, '0-1-40')
        caught_up = now[0] >= 40
        return {'io_running': True, 'sql_running': True, 'seconds_behind': 0 if caught_up else 30,
                'executed_gtid': position, 'gtid_io_pos': '0-1-40', 'last_io_errno': 0, 'last_sql_errno': 0,
                'io_state': 'Waiting', 'last_io_error': '', 'last_sql_error': ''}

    def sleep(seconds):
        now[0] += 1.0

    monkeypatch.setattr(repl, 'replica_status', status)
    info = {'server_flavor': None}
    assert repl._wait_replicating(None, info, 10, clock=lambda: now[0], sleep=sleep,
                                  wait_while_progressing=True)['seconds_behind'] == 0

    # Without it (an ordinary re-point, the watcher's rejoin): wait_timeout from the start, progress or not.
    now[0] = 0.0
    applied = iter(['0-1-%d' % n for n in range(1, 41)])
    with pytest.raises(DbopsError):
        repl._wait_replicating(None, info, 10, clock=lambda: now[0], sleep=sleep)
    assert 10 <= now[0] <= 12

    now[0] = 0.0

    def stuck(conn, info=None):
        return dict(status(conn), executed_gtid='0-1-3', seconds_behind=30)

    monkeypatch.setattr(repl, 'replica_status', stuck)
    with pytest.raises(DbopsError) as raised:
        repl._wait_replicating(None, info, 10, clock=lambda: now[0], sleep=sleep, wait_while_progressing=True)
    assert 'replicates but has not caught up with its source after 10 s (lag: 30 s)' in raised.value.message
    assert raised.value.parameter == 'wait_timeout'
    assert 10 <= now[0] <= 12

    # A failover's re-point (catch_up False): both threads running is enough, however far behind.
    now[0] = 0.0
    assert repl._wait_replicating(None, info, 10, clock=lambda: now[0], sleep=sleep, catch_up=False)['sql_running']
    assert now[0] == 0.0

    def connecting(conn, info=None):
        return dict(status(conn), io_running=False, io_state='Connecting')
    monkeypatch.setattr(repl, 'replica_status', connecting)
    with pytest.raises(DbopsError) as raised:
        repl._wait_replicating(None, info, 10, clock=lambda: now[0], sleep=sleep, catch_up=False)
    assert 'not replicating after 10 s (IO thread: Connecting' in raised.value.message
