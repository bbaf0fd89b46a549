# -*- coding: utf-8 -*-
"""MySQL 8.4 LTS against 9.7 LTS: what the collection's MySQL code says to each, and what each says back.

The official default image is mysql:8.4, which cannot run here; the project's servers are MySQL 9.7.
So the replication code runs here against ``DocumentedServer``: a connection that answers the
way the MySQL manual says each version does, and fails the way it says each version fails, with
the error numbers and texts a real MySQL 9.7.4 server gave for the same statements (measured on
localhost/dbops/mysql:9.7, 2026-12-06: SHOW SLAVE STATUS -> 1064, INSTALL PLUGIN ... semisync_master.so
-> 1126, IDENTIFIED WITH mysql_native_password -> 1524, SET GLOBAL of an unknown variable -> 1193).
The same flows run on a real MySQL 9.7 in tests/integration/test_cluster_mysql.py.

Sources (the manual's differences between the two lines):
- MySQL 8.4.0 release notes, "SQL statements removed" and "Statement options removed"
  https://dev.mysql.com/doc/relnotes/mysql/8.4/en/news-8-4-0.html: START/STOP SLAVE, SHOW SLAVE STATUS,
  SHOW SLAVE HOSTS, RESET SLAVE, CHANGE MASTER TO, RESET MASTER, SHOW MASTER STATUS, PURGE MASTER LOGS,
  SHOW MASTER LOGS and the MASTER_* options of CHANGE REPLICATION SOURCE TO are gone from 8.4.0 on.
- MySQL 8.4 manual, 8.4.1.1 "Native Pluggable Authentication"
  https://dev.mysql.com/doc/refman/8.4/en/native-pluggable-authentication.html: mysql_native_password is
  disabled by default in 8.4 (mysql_native_password=ON, added in 8.4.0, enables it) and removed in 9.0.0;
  "What Is New in MySQL 8.4" https://dev.mysql.com/doc/refman/8.4/en/mysql-nutshell.html.
- Version Reference, "Option and Variable Changes for MySQL 8.4" (default_authentication_plugin removed
  in 8.4.0) and "... for MySQL 9.0" (mysql-native-password, mysql_native_password_proxy_users removed in
  9.0.0): https://dev.mysql.com/doc/mysqld-version-reference/en/optvar-changes-8-4.html, optvar-changes-9-0.html.
- MySQL 9.5 manual, 19.4.10.1 "Installing Semisynchronous Replication"
  https://dev.mysql.com/doc/refman/9.5/en/replication-semisync-installation.html: the semisync_master /
  semisync_slave plugins "have now been removed"; 8.4 still ships them, deprecated since 8.0.26, and an
  instance cannot have both the old and the new plugin of one role installed.
- MySQL 8.0 manual, "Features Removed in MySQL 8.0": the PASSWORD() function was removed in 8.0.11
  (so caching_sha2_password hashes are never compared in SQL on either line).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import re

import pymysql
import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines import registry as engines
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import clone
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_of

# VERSION() as each line's server answers it: the official image's 8.4 and Debian's 9.7 (measured).
VERSIONS = {'8.4': '8.4.6', '9.7': '9.7.4-2'}

# MySQL 8.4.0 release notes, "SQL statements removed" (replacement in the value).
STATEMENTS_REMOVED_IN_84 = {
    'START SLAVE': 'START REPLICA', 'STOP SLAVE': 'STOP REPLICA', 'SHOW SLAVE STATUS': 'SHOW REPLICA STATUS',
    'SHOW SLAVE HOSTS': 'SHOW REPLICAS', 'RESET SLAVE': 'RESET REPLICA',
    'CHANGE MASTER TO': 'CHANGE REPLICATION SOURCE TO', 'RESET MASTER': 'RESET BINARY LOGS AND GTIDS',
    'SHOW MASTER STATUS': 'SHOW BINARY LOG STATUS', 'PURGE MASTER LOGS': 'PURGE BINARY LOGS',
    'SHOW MASTER LOGS': 'SHOW BINARY LOGS',
}
# ... "Statement options removed": every MASTER_* option of CHANGE REPLICATION SOURCE TO / START REPLICA.
REMOVED_OPTION = re.compile(r'\b(MASTER_[A-Z_]+|GET_MASTER_PUBLIC_KEY)\s*=', re.IGNORECASE)

# Plugin libraries in each line's plugin directory (9.7: measured in /usr/lib/mysql/plugin as well).
LIBRARIES = {
    '8.4': {'semisync_source.so': 'rpl_semi_sync_source', 'semisync_replica.so': 'rpl_semi_sync_replica',
            'semisync_master.so': 'rpl_semi_sync_master', 'semisync_slave.so': 'rpl_semi_sync_slave',
            'mysql_clone.so': 'clone'},
    '9.7': {'semisync_source.so': 'rpl_semi_sync_source', 'semisync_replica.so': 'rpl_semi_sync_replica',
            'mysql_clone.so': 'clone'},
}
# The system variables a plugin brings, with their documented defaults.
PLUGIN_VARIABLES = {
    'rpl_semi_sync_source': {'rpl_semi_sync_source_enabled': 'OFF', 'rpl_semi_sync_source_timeout': '10000',
                             'rpl_semi_sync_source_wait_point': 'AFTER_SYNC',
                             'rpl_semi_sync_source_wait_for_replica_count': '1'},
    'rpl_semi_sync_replica': {'rpl_semi_sync_replica_enabled': 'OFF'},
    'rpl_semi_sync_master': {'rpl_semi_sync_master_enabled': 'OFF', 'rpl_semi_sync_master_timeout': '10000',
                             'rpl_semi_sync_master_wait_point': 'AFTER_SYNC'},
    'rpl_semi_sync_slave': {'rpl_semi_sync_slave_enabled': 'OFF'},
    'clone': {'clone_valid_donor_list': ''},
}
NEW_AND_OLD = (('rpl_semi_sync_source', 'rpl_semi_sync_master'), ('rpl_semi_sync_replica', 'rpl_semi_sync_slave'))
SOURCE_UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562'
REPLICA_UUID = '5a1b4ad0-71ca-11e1-9e33-c80aa9429563'


def _syntax_error(near):
    return pymysql.err.ProgrammingError(
        1064, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server "
              "version for the right syntax to use near '%s' at line 1" % near)


class DocumentedServer(object):
    """A PyMySQL-like connection to MySQL ``line`` ('8.4' or '9.7') that knows the statements the
    replication code may send. A statement either line removed fails as that server fails; a query
    it was not taught fails the test (so a new code path must be taught here, with its source)."""

    def __init__(self, line, server_id=1, uuid=SOURCE_UUID, gtid_executed='', subset_of_source=True):
        self.line, self.version = line, VERSIONS[line]
        self.server_id, self.uuid = server_id, uuid
        self.gtid_executed, self.subset_of_source = gtid_executed, subset_of_source
        self.variables = {'read_only': 'OFF', 'super_read_only': 'OFF', 'gtid_mode': 'ON',
                          'enforce_gtid_consistency': 'ON'}
        self.plugins = set()
        self.users, self.grants, self.attributes = set(), [], {}
        self.source = None          # (host, port, user) once CHANGE REPLICATION SOURCE TO ran
        self.threads = False
        self.executed = []

    def cursor(self):
        return _Cursor(self)

    def close(self):
        pass

    # ------------------------------------------------------------------ what the server refuses
    def _refuse_removed(self, sql):
        upper = ' '.join(sql.upper().split())
        for statement in STATEMENTS_REMOVED_IN_84:
            if upper.startswith(statement):
                raise _syntax_error(sql.split(None, 1)[1])
        if upper.startswith('CHANGE REPLICATION SOURCE TO') and REMOVED_OPTION.search(sql):
            raise _syntax_error(REMOVED_OPTION.search(sql).group(0))
        if 'PASSWORD(' in upper:
            raise _syntax_error(sql[upper.index('PASSWORD(') + len('PASSWORD'):])
        if 'WITH MYSQL_NATIVE_PASSWORD' in upper:
            # 8.4: disabled unless mysql_native_password=ON; 9.x: removed.
            raise pymysql.err.OperationalError(1524, "Plugin 'mysql_native_password' is not loaded")

    def _install(self, sql):
        match = re.match(r"INSTALL PLUGIN (\w+) SONAME '([^']+)'$", sql)
        plugin, library = match.groups()
        if LIBRARIES[self.line].get(library) != plugin:
            raise pymysql.err.OperationalError(
                1126, "Can't open shared library '/usr/lib/mysql/plugin/%s' (errno: 0 cannot open shared "
                      "object file: No such file or directory)" % library)
        for new, old in NEW_AND_OLD:
            if plugin in (new, old) and set((new, old)) - set([plugin]) & self.plugins:
                raise pymysql.err.OperationalError(1123, "Can't initialize function '%s'" % plugin)
        self.plugins.add(plugin)
        for name, value in PLUGIN_VARIABLES[plugin].items():
            self.variables.setdefault(name, value)

    def _set_global(self, sql, params):
        name, value = sql[len('SET GLOBAL '):].split(' = ', 1)
        if name not in self.variables:
            raise pymysql.err.OperationalError(1193, "Unknown system variable '%s'" % name)
        self.variables[name] = params[0] if value == '%s' else value

    # ------------------------------------------------------------------ answers
    def answer(self, sql, params):
        self._refuse_removed(sql)
        if sql.startswith('SELECT VERSION()'):
            return ['version', 'server_id', 'hostname'], [(self.version, self.server_id, 'db%d' % self.server_id)]
        if sql == 'SELECT @@server_uuid':
            return ['uuid'], [(self.uuid,)]
        if sql == 'SELECT @@GLOBAL.read_only':
            return ['ro'], [(1 if self.variables['read_only'] == 'ON' else 0,)]
        if sql == 'SELECT @@log_bin':
            return ['log_bin'], [(1,)]
        if sql.startswith('SELECT @@GLOBAL.gtid_mode'):
            return ['gtid_mode', 'enforce_gtid_consistency'], [
                (self.variables['gtid_mode'], self.variables['enforce_gtid_consistency'])]
        if sql == 'SELECT @@GLOBAL.gtid_executed':
            return ['gtid'], [(self.gtid_executed,)]
        if sql == 'SELECT GTID_SUBSET(@@GLOBAL.gtid_executed, %s)':
            return ['subset'], [(1 if self.subset_of_source else 0,)]
        if sql == 'SELECT GTID_SUBSET(%s, @@GLOBAL.gtid_executed)':
            return ['reached'], [(1 if self.threads else 0,)]
        if sql.startswith('SELECT COUNT(*) FROM mysql.user'):
            return ['n'], [(1 if tuple(params) in self.users else 0,)]
        # Account attributes, where the collection's mark lives: MySQL 8.0.21 and later (8.4/9.7 manual,
        # "The INFORMATION_SCHEMA USER_ATTRIBUTES Table", "CREATE USER Statement", User Comments and Attributes).
        if sql.startswith('SELECT COUNT(*) FROM information_schema.TABLES') and 'USER_ATTRIBUTES' in sql:
            return ['n'], [(1,)]
        if sql.startswith('SELECT ATTRIBUTE AS attribute FROM information_schema.USER_ATTRIBUTES'):
            return ['attribute'], [(self.attributes.get(tuple(params)),)] if tuple(params) in self.users else []
        if sql.startswith('SELECT Host AS host FROM mysql.user'):
            return ['host'], [(host,) for user, host in sorted(self.users) if user == params[0]]
        if sql.startswith('SELECT Host AS host, Super_priv'):
            return ['host', 'super_priv', 'create_user_priv', 'grant_priv'], [
                (host, 'N', 'N', 'N') for user, host in sorted(self.users) if user == params[0]]
        if sql.startswith('SHOW GRANTS'):
            return ['Grants for repl@%'], [(line,) for line in self.grants]
        if sql == 'SHOW REPLICA STATUS':
            return self._replica_status()
        if sql == 'SHOW GLOBAL VARIABLES LIKE %s':
            pattern = params[0].replace('%', '*')
            return ['Variable_name', 'Value'], sorted(
                item for item in self.variables.items() if fnmatch.fnmatchcase(item[0], pattern))
        if sql.startswith('SELECT PLUGIN_NAME FROM information_schema.PLUGINS'):
            return ['PLUGIN_NAME'], [(name,) for name in sorted(self.plugins)]
        if sql == clone.PLUGIN_STATUS_SQL:
            return ['PLUGIN_STATUS'], [('ACTIVE',)] if 'clone' in self.plugins else []
        if sql.startswith(('SELECT', 'SHOW')):
            raise AssertionError('DocumentedServer was not taught this query: %s' % sql)
        return self._execute(sql, params)

    def _replica_status(self):
        # SHOW REPLICA STATUS columns (MySQL 8.4 / 9.7 manual, "SHOW REPLICA STATUS Statement").
        columns = ['Replica_IO_Running', 'Replica_SQL_Running', 'Source_Host', 'Source_Port', 'Source_User',
                   'Auto_Position', 'Seconds_Behind_Source', 'Last_IO_Errno', 'Last_IO_Error', 'Last_SQL_Errno',
                   'Last_SQL_Error', 'Retrieved_Gtid_Set', 'Executed_Gtid_Set']
        if self.source is None:
            return columns, []
        running = 'Yes' if self.threads else 'No'
        return columns, [(running, running, self.source[0], self.source[1], self.source[2], 1,
                          0 if self.threads else None, 0, '', 0, '', '', '')]

    def _execute(self, sql, params):
        self.executed.append(sql)
        if sql.startswith('CREATE USER'):
            self.users.add(tuple(params[:2]))
        elif sql.startswith('ALTER USER %s@%s ATTRIBUTE'):
            self.attributes[tuple(params[:2])] = params[2]
        elif sql.startswith('GRANT '):
            self.grants.append(sql.replace('%s@%s', '`repl`@`%`'))
        elif sql.startswith('INSTALL PLUGIN'):
            self._install(sql)
        elif sql.startswith('SET GLOBAL'):
            self._set_global(sql, params)
        elif sql.startswith('CHANGE REPLICATION SOURCE TO'):
            self.source = (params[0], params[1], params[2])
        elif sql == 'START REPLICA':
            self.threads = self.source is not None
        elif sql == 'STOP REPLICA':
            self.threads = False
        elif sql == 'RESET REPLICA ALL':
            self.source = None
        else:
            raise AssertionError('DocumentedServer was not taught this statement: %s' % sql)
        return None, []


class _Cursor(object):
    def __init__(self, server):
        self.server, self.description, self.rows = server, None, []

    def execute(self, sql, params=None):
        columns, self.rows = self.server.answer(sql, params)
        self.description = [(name,) for name in columns] if columns else None

    def fetchall(self):
        return self.rows

    def close(self):
        pass


def _statements_named(statements):
    return [' '.join(statement.split()) for statement in statements]


LINES = sorted(VERSIONS)


# ---------------------------------------------------------------------- the fake refuses what the manual removed
@pytest.mark.parametrize('line', LINES)
def test_documented_server_refuses_what_the_manual_removed(line):
    """The flows below prove something only if the stand-in fails the way the servers do."""
    server = DocumentedServer(line)
    for statement in STATEMENTS_REMOVED_IN_84:
        with pytest.raises(pymysql.err.ProgrammingError) as error:
            server.answer(statement, None)
        assert error.value.args[0] == 1064
    with pytest.raises(pymysql.err.ProgrammingError):
        server.answer('CHANGE REPLICATION SOURCE TO MASTER_AUTO_POSITION=1', None)
    with pytest.raises(pymysql.err.OperationalError) as error:
        server.answer('SET GLOBAL rpl_semi_sync_source_enabled = ON', None)   # no plugin yet
    assert error.value.args[0] == 1193


def test_documented_server_old_semi_sync_plugin_only_on_84():
    old = "INSTALL PLUGIN rpl_semi_sync_master SONAME 'semisync_master.so'"
    DocumentedServer('8.4').answer(old, None)           # deprecated in 8.4, still shipped
    with pytest.raises(pymysql.err.OperationalError) as error:
        DocumentedServer('9.7').answer(old, None)       # removed (9.5 manual)
    assert error.value.args[0] == 1126
    both = DocumentedServer('8.4')
    both.answer(old, None)
    with pytest.raises(pymysql.err.OperationalError):   # never the old and the new of one role together
        both.answer("INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'", None)


# ---------------------------------------------------------------------- what the flavor chooses
@pytest.mark.parametrize('line', LINES)
def test_flavor_statements_are_the_replica_source_forms_on_both_lines(line):
    flavor = flavor_of(VERSIONS[line])
    assert flavor.name == 'mysql' and flavor.version[:2] == tuple(int(p) for p in line.split('.'))
    chosen = {
        'start': flavor.start_sql(), 'stop': flavor.stop_sql(), 'start_io': flavor.start_sql('IO'),
        'stop_io': flavor.stop_sql('IO'), 'start_sql_thread': flavor.start_sql('SQL'),
        'reset': flavor.reset_sql(), 'status': flavor.status_sql(), 'all_status': flavor.all_channels_status_sql(),
        'gtid_positioning': flavor.gtid_positioning_sql(),
    }
    assert chosen == {
        'start': 'START REPLICA', 'stop': 'STOP REPLICA', 'start_io': 'START REPLICA IO_THREAD',
        'stop_io': 'STOP REPLICA IO_THREAD', 'start_sql_thread': 'START REPLICA SQL_THREAD',
        'reset': 'RESET REPLICA ALL', 'status': 'SHOW REPLICA STATUS', 'all_status': 'SHOW REPLICA STATUS',
        'gtid_positioning': 'CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1',
    }
    sql, params = flavor.change_source_sql('db1', 3306, 'repl', 'secret')
    assert sql == ('CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=%s, SOURCE_USER=%s, SOURCE_PASSWORD=%s, '
                   'SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, GET_SOURCE_PUBLIC_KEY=1')
    assert params == ('db1', 3306, 'repl', 'secret')
    for statement in list(chosen.values()) + [sql]:
        assert not any(' '.join(statement.split()).startswith(old) for old in STATEMENTS_REMOVED_IN_84), statement
        assert not REMOVED_OPTION.search(statement), statement
    # GTID waits: WAIT_FOR_EXECUTED_GTID_SET (the function WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS was deprecated for).
    assert flavor.gtid_wait_sql == 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)'
    # Fencing a MySQL primary: super_read_only, on both lines.
    assert flavor.fence_settings == ('super_read_only = ON',)
    # caching_sha2_password (the default on both) cannot be compared in SQL: PASSWORD() is gone.
    assert flavor.can_compare_password is False and flavor.can_clone is True
    assert not flavor.can_replay_from_start     # replay.py runs RESET MASTER: MariaDB only


@pytest.mark.parametrize('line', LINES)
def test_semi_sync_uses_the_source_replica_plugins_on_both_lines(line):
    names = flavor_of(VERSIONS[line]).semi_sync_names()
    assert names == {
        'plugins': {'primary': ('rpl_semi_sync_source', 'semisync_source.so'),
                    'replica': ('rpl_semi_sync_replica', 'semisync_replica.so')},
        'source_enabled': 'rpl_semi_sync_source_enabled', 'source_wait_point': 'rpl_semi_sync_source_wait_point',
        'source_timeout': 'rpl_semi_sync_source_timeout', 'source_status': 'Rpl_semi_sync_source_status',
        'source_clients': 'Rpl_semi_sync_source_clients', 'replica_enabled': 'rpl_semi_sync_replica_enabled',
        'replica_status': 'Rpl_semi_sync_replica_status',
        'source_wait_no_replica': 'rpl_semi_sync_source_wait_no_replica',
    }
    for role, (plugin, library) in names['plugins'].items():
        assert LIBRARIES[line][library] == plugin, role


# ---------------------------------------------------------------------- the flows, against each line's answers
@pytest.mark.parametrize('line', LINES)
def test_configure_primary_runs_on_both_lines(line):
    server = DocumentedServer(line)
    changed, actions = repl.configure_primary(server, 'repl', 'Repl-pass', semi_sync_timeout_ms=10000)
    assert changed and actions == [
        'create user', 'grant replication slave',
        "INSTALL PLUGIN clone SONAME 'mysql_clone.so'", 'grant backup_admin',
        "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'",
        # planned before the plugin brought its variables: all three are set
        'SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC',
        'SET GLOBAL rpl_semi_sync_source_timeout = 10000',
        'SET GLOBAL rpl_semi_sync_source_enabled = ON']
    # The account gets the server's default plugin (caching_sha2_password on both): no WITH clause.
    assert server.executed[0] == 'CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s'
    assert server.variables['rpl_semi_sync_source_enabled'] == 'ON'
    assert server.plugins == set(['clone', 'rpl_semi_sync_source'])
    assert repl.configure_primary(server, 'repl', 'Repl-pass', semi_sync_timeout_ms=10000) == (False, [])


@pytest.mark.parametrize('line', LINES)
def test_configure_replica_runs_on_both_lines(line, monkeypatch):
    source = DocumentedServer(line, gtid_executed=SOURCE_UUID + ':1-12')
    repl.configure_primary(source, 'repl', 'Repl-pass')
    replica = DocumentedServer(line, server_id=2, uuid=REPLICA_UUID)
    monkeypatch.setattr(repl, '_source_connect', lambda *args, **kwargs: source)
    changed, actions = repl.configure_replica(replica, 'db1', 3306, 'repl', 'Repl-pass', wait_timeout=2)
    assert changed and actions == [
        'change source to db1:3306',
        "INSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so'",
        'SET GLOBAL rpl_semi_sync_replica_enabled = ON',
        'SET GLOBAL read_only = ON',
        'START REPLICA']
    assert replica.executed[0] == ('CHANGE REPLICATION SOURCE TO SOURCE_HOST=%s, SOURCE_PORT=%s, SOURCE_USER=%s, '
                                   'SOURCE_PASSWORD=%s, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, GET_SOURCE_PUBLIC_KEY=1')
    assert replica.source == ('db1', 3306, 'repl') and replica.threads
    # A rerun finds it replicating from the same source: nothing to do.
    assert repl.configure_replica(replica, 'db1', 3306, 'repl', 'Repl-pass', wait_timeout=2) == (False, [])


@pytest.mark.parametrize('line', LINES)
def test_an_errant_replica_is_refused_before_any_statement_on_both_lines(line, monkeypatch):
    source = DocumentedServer(line, gtid_executed=SOURCE_UUID + ':1-12')
    replica = DocumentedServer(line, server_id=2, uuid=REPLICA_UUID, gtid_executed=REPLICA_UUID + ':1-5',
                               subset_of_source=False)
    monkeypatch.setattr(repl, '_source_connect', lambda *args, **kwargs: source)
    with pytest.raises(DbopsError) as error:
        repl.configure_replica(replica, 'db1', 3306, 'repl', 'Repl-pass', wait_timeout=2)
    assert 'transactions its source does not have' in error.value.message
    assert replica.executed == []


def test_a_pre_8_0_26_plan_would_fail_on_97_but_not_on_84():
    """Why the version decides the plugin: the old names work on 8.4 and are refused by 9.7."""
    old_plan = repl.semi_sync_primary_plan('mysql', (8, 0, 25), {}, set())
    assert old_plan[0] == "INSTALL PLUGIN rpl_semi_sync_master SONAME 'semisync_master.so'"
    on_84 = DocumentedServer('8.4')
    for statement in old_plan:
        on_84.answer(statement, None)
    with pytest.raises(pymysql.err.OperationalError):
        DocumentedServer('9.7').answer(old_plan[0], None)
    for line in LINES:
        new_plan = repl.semi_sync_primary_plan('mysql', flavor_of(VERSIONS[line]).version, {}, set())
        assert new_plan[0] == "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'"


# ---------------------------------------------------------------------- the settings catalog, 8.4 against 9.7
def _validate(setting, value, line):
    return engines.get_adapter('mysql').validate_settings({setting: value}, flavor_of(VERSIONS[line]).version)


def test_mysql_native_password_switch_exists_on_84_only():
    # 8.4.0 added mysql_native_password=ON to re-enable the disabled plugin; 9.0.0 removed plugin and switch.
    assert _validate('mysql_native_password', 'ON', '8.4')[0] == {'mysql_native_password': 'ON'}
    with pytest.raises(DbopsError) as error:
        _validate('mysql_native_password', 'ON', '9.7')
    assert error.value.parameter == 'settings.mysql_native_password'
    assert 'removed in MySQL 9.0.0' in error.value.message and 'caching_sha2_password' in error.value.message


@pytest.mark.parametrize('line', LINES)
def test_default_authentication_plugin_refused_on_both_lines(line):
    # Removed in 8.4.0 (Version Reference, optvar-changes-8-4): authentication_policy replaces it.
    with pytest.raises(DbopsError) as error:
        _validate('default_authentication_plugin', 'caching_sha2_password', line)
    assert error.value.parameter == 'settings.default_authentication_plugin'
    assert 'authentication_policy' in error.value.message
    assert _validate('authentication_policy', '*,,', line)[0] == {'authentication_policy': '*,,'}


@pytest.mark.parametrize('setting, new_name', [
    ('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled'),
    ('rpl_semi_sync_slave_enabled', 'rpl_semi_sync_replica_enabled'),
])
def test_old_semi_sync_names_translated_on_84_refused_on_97(setting, new_name):
    settings, warnings = _validate(setting, 'ON', '8.4')
    assert settings == {new_name: 'ON'} and any(setting in warning for warning in warnings)
    with pytest.raises(DbopsError) as error:
        _validate(setting, 'ON', '9.7')
    assert new_name in error.value.message and 'semisync_source.so' in error.value.message


@pytest.mark.parametrize('line', LINES)
def test_plugin_variables_are_written_loose_on_both_lines(line):
    # mysqld --initialize (the entrypoint's first start) does not load plugin_load_add's plugins and
    # aborts on their variables unless written with the loose- prefix.
    adapter = engines.get_adapter('mysql')
    settings, _warnings = adapter.validate_settings({
        'plugin_load_add': 'rpl_semi_sync_source=semisync_source.so;rpl_semi_sync_replica=semisync_replica.so',
        'rpl_semi_sync_source_enabled': 'ON', 'rpl_semi_sync_replica_enabled': 'ON',
        'rpl_semi_sync_source_wait_point': 'AFTER_SYNC', 'log_replica_updates': 'ON'},
        flavor_of(VERSIONS[line]).version)
    config = adapter.render_config(settings)
    assert 'loose-rpl_semi_sync_source_enabled = ON' in config
    assert 'loose-rpl_semi_sync_replica_enabled = ON' in config
    assert '\nlog_replica_updates = ON' in config


def test_fence_file_uses_names_both_lines_start_with():
    # A fenced primary must start again (read-only) on either line: every line of its option file must
    # be a name mysqld knows. skip_slave_start is deprecated since 8.0.26 (skip_replica_start) but still
    # read by 8.4 and 9.7 (9.7.4 answers SELECT @@skip_slave_start with warning 1287, "deprecated").
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import failover as mysql_failover
    lines = mysql_failover.fence_config('mysql').splitlines()
    options = [line.split(' = ')[0] for line in lines
               if ' = ' in line and not line.startswith(('#', 'loose-'))]
    assert options == ['read_only', 'skip_slave_start', 'super_read_only']
    # The semi-sync names differ between lines and flavors: only ever written loose-.
    assert [line for line in lines if 'semi_sync' in line and not line.startswith('loose-')] == []
    catalog_names = set(change.setting for change in engines.get_adapter('mysql').catalog
                        if change.kind == 'removed')
    assert not set(options) & catalog_names


def test_group_replication_lower_version_join_accepted_on_84_refused_on_97():
    # Deprecated in 8.4.0, removed in 9.5.0 (Version Reference, optvar-changes-8-4 and optvar-changes-9-5).
    assert _validate('group_replication_allow_local_lower_version_join', 'OFF', '8.4')[0] == {
        'group_replication_allow_local_lower_version_join': 'OFF'}
    with pytest.raises(DbopsError) as error:
        _validate('group_replication_allow_local_lower_version_join', 'OFF', '9.7')
    assert 'removed in MySQL 9.5.0' in error.value.message
