# -*- coding: utf-8 -*-
"""Engine adapters: settings catalogs, derived settings, config syntax, container contract."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines import registry as engines
from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.mariadb import MariaDBAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.adapter import MongoDBAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.adapter import MySQLAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.adapter import PostgresAdapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Resources

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

SECRETS = '/run/secrets/dbops'
ROOT_FILE = SECRETS + '/root_password'
USER_FILE = SECRETS + '/password'
HEADER = '# Managed by dbops.containers.db_container: edits are overwritten.'

PROFILES = ('oltp', 'web', 'dw', 'mixed')
SIZES = [(1 * GIB, 1), (4 * GIB, 2), (16 * GIB, 8)]
VERSIONS = {
    'mysql': [(8, 0, 40), (8, 4, 3)],
    'mariadb': [(10, 6, 20), (10, 11, 9), (11, 4, 3)],
    'postgres': [(13, 0, 0), (14, 0, 0), (15, 0, 0), (16, 0, 0), (17, 0, 0)],
    'mongodb': [(6, 0, 0), (7, 0, 0), (8, 0, 0)],
}


def adapter(engine):
    return engines.get_adapter(engine)


# --- registry -----------------------------------------------------------------
@pytest.mark.parametrize('engine, cls', [('mysql', MySQLAdapter), ('mariadb', MariaDBAdapter),
                                         ('postgres', PostgresAdapter), ('mongodb', MongoDBAdapter)])
def test_get_adapter(engine, cls):
    got = engines.get_adapter(engine)
    assert type(got) is cls  # pylint: disable=unidiomatic-typecheck  # exactly cls, not a subclass
    assert got.name == engine


def test_get_adapter_unknown_engine():
    with pytest.raises(DbopsError) as info:
        engines.get_adapter('oracle')
    assert info.value.parameter == 'engine'
    assert 'mariadb' in info.value.message


def test_engines_list():
    assert engines.ENGINES == ('mariadb', 'mongodb', 'mysql', 'postgres')


# --- catalogs: refused settings ---------------------------------------------
@pytest.mark.parametrize('engine, version, setting, value, words', [
    ('mysql', (8, 4, 0), 'query_cache_size', '64M', ['removed', 'query cache']),
    ('mysql', (8, 0, 40), 'query_cache_type', 1, ['removed']),
    ('mysql', (8, 4, 0), 'expire_logs_days', 7, ['removed', 'binlog_expire_logs_seconds']),
    ('mysql', (8, 2, 0), 'expire_logs_days', 7, ['removed']),
    ('mysql', (8, 4, 0), 'default_authentication_plugin', 'mysql_native_password', ['authentication_policy']),
    ('mysql', (8, 0, 28), 'innodb_redo_log_capacity', '1G', ['8.0.30']),
    ('mysql', (8, 0, 40), 'tx_isolation', 'READ-COMMITTED', ['transaction_isolation']),
    ('mariadb', (10, 11, 0), 'innodb_buffer_pool_instances', 4, ['single buffer pool']),
    ('mariadb', (11, 4, 3), 'innodb_change_buffering', 'all', ['removed']),
    ('mariadb', (10, 5, 0), 'binlog_expire_logs_seconds', 86400, ['10.6.1']),
    ('mariadb', (11, 4, 3), 'innodb_redo_log_capacity', '1G', ['innodb_log_file_size']),
    ('postgres', (15, 0), 'standby_mode', 'on', ['standby.signal']),
    ('postgres', (15, 0), 'trigger_file', '/tmp/promote', ['pg_promote']),
    ('postgres', (12, 0), 'wal_keep_size', '1GB', ['13', 'wal_keep_segments']),
    ('postgres', (15, 0), 'stats_temp_directory', '/tmp', ['removed']),
    ('postgres', (17, 0), 'old_snapshot_threshold', '1h', ['removed']),
    ('mongodb', (7, 0), 'storage.journal.enabled', True, ['journaling']),
    ('mongodb', (6, 0), 'storage.mmapv1.smallFiles', True, ['MMAPv1']),
])
def test_refused_settings(engine, version, setting, value, words):
    with pytest.raises(DbopsError) as info:
        adapter(engine).validate_settings({setting: value}, version)
    assert info.value.parameter == 'settings.%s' % setting
    for word in words:
        assert word in info.value.message


def test_query_cache_message_names_the_removal_release():
    with pytest.raises(DbopsError) as info:
        adapter('mysql').validate_settings({'query_cache_size': '64M'}, (8, 4, 0))
    assert info.value.parameter == 'settings.query_cache_size'
    assert 'query_cache_size was removed in MySQL 8.0.3' in info.value.message
    assert 'MySQL 8.4.0' in info.value.message     # the image's version, for context


# --- catalogs: accepted as they are -----------------------------------------
@pytest.mark.parametrize('engine, version, settings', [
    ('mariadb', (10, 11, 0), {'query_cache_size': '64M', 'query_cache_type': 1}),
    ('mysql', (8, 0, 28), {'innodb_log_file_size': '512M'}),       # renamed only from 8.0.30
    ('mysql', (8, 0, 40), {'binlog_expire_logs_seconds': 3600}),
    ('mariadb', (10, 5, 0), {'innodb_buffer_pool_instances': 2}),  # removed only in 10.6
    ('mariadb', (10, 11, 0), {'expire_logs_days': 3}),             # not translated for MariaDB
    ('postgres', (12, 0), {'wal_keep_segments': 64}),               # renamed only from 13
    ('postgres', (13, 0), {'wal_keep_size': '1GB'}),
    ('postgres', (15, 0), {'force_parallel_mode': 'on'}),
    ('postgres', (11, 0), {'standby_mode': 'on'}),
    ('mongodb', (6, 0), {'storage.journal.enabled': True}),         # removed in 6.1
])
def test_accepted_settings(engine, version, settings):
    result, warnings = adapter(engine).validate_settings(settings, version)
    assert result == settings
    assert warnings == []


# --- catalogs: translated with a warning -------------------------------------
@pytest.mark.parametrize('engine, version, settings, expected, warning_words', [
    # 3 days x 86400 = 259200 s
    ('mysql', (8, 0, 40), {'expire_logs_days': 3}, {'binlog_expire_logs_seconds': 259200},
     ['expire_logs_days', 'binlog_expire_logs_seconds=259200']),
    # '7' x 86400 = 604800; 1.5 x 86400 = 129600
    ('mysql', (8, 0, 40), {'expire_logs_days': '7'}, {'binlog_expire_logs_seconds': 604800}, ['604800']),
    ('mysql', (8, 1, 0), {'expire_logs_days': 1.5}, {'binlog_expire_logs_seconds': 129600}, ['129600']),
    # 512M x 2 files = 1024M = 1G
    ('mysql', (8, 0, 35), {'innodb_log_file_size': '512M'}, {'innodb_redo_log_capacity': '1G'},
     ['innodb_redo_log_capacity=1G', 'x 2 files']),
    ('mysql', (8, 4, 3), {'innodb_log_file_size': '48M'}, {'innodb_redo_log_capacity': '96M'}, ['96M']),
    ('mysql', (8, 0, 26), {'log_slave_updates': 'ON'}, {'log_replica_updates': 'ON'}, ['log_replica_updates']),
    # 64 segments x 16 MB = 1024 MB = 1GB; 10 x 16 = 160MB
    ('postgres', (13, 0), {'wal_keep_segments': 64}, {'wal_keep_size': '1GB'}, ['wal_keep_size=1GB']),
    ('postgres', (16, 0), {'wal_keep_segments': '10'}, {'wal_keep_size': '160MB'}, ['160MB']),
    ('postgres', (16, 0), {'force_parallel_mode': 'on'}, {'debug_parallel_query': 'on'},
     ['force_parallel_mode', 'debug_parallel_query=on']),
    ('mongodb', (6, 0), {'net.ssl.mode': 'requireSSL'}, {'net.tls.mode': 'requireSSL'}, ['net.tls.mode']),
    ('mongodb', (7, 0), {'net.ssl.PEMKeyFile': '/etc/ssl/k.pem'}, {'net.tls.certificateKeyFile': '/etc/ssl/k.pem'},
     ['net.tls.certificateKeyFile']),
])
def test_translated_settings(engine, version, settings, expected, warning_words):
    result, warnings = adapter(engine).validate_settings(settings, version)
    assert result == expected
    assert len(warnings) == 1
    assert warnings[0].startswith('settings.%s is deprecated' % list(settings)[0])
    for word in warning_words:
        assert word in warnings[0]


@pytest.mark.parametrize('raw, value', [
    ('innodb-buffer-pool-size', '2G'),
    (' Innodb_Buffer_Pool_Size ', '2G'),
    ('INNODB-BUFFER-POOL-SIZE', '2G'),
])
@pytest.mark.parametrize('engine', ['mysql', 'mariadb'])
def test_mysql_names_normalized(engine, raw, value):
    result, warnings = adapter(engine).validate_settings({raw: value}, VERSIONS[engine][-1])
    assert result == {'innodb_buffer_pool_size': value}
    assert warnings == []


def test_mysql_dashed_removed_setting_names_the_raw_parameter():
    with pytest.raises(DbopsError) as info:
        adapter('mysql').validate_settings({'query-cache-size': '1M'}, (8, 4, 3))
    assert info.value.parameter == 'settings.query-cache-size'


def test_mysql_dashed_name_overrides_the_derived_setting():
    settings, _unused = adapter('mysql').effective_settings(Resources(4 * GIB, 2, 'oltp', (8, 4, 3)),
                                                            {'innodb-buffer-pool-size': '1g'})
    assert settings['innodb_buffer_pool_size'] == '1G'
    assert 'innodb-buffer-pool-size' not in settings


def test_postgres_names_lowercased():
    result, _unused = adapter('postgres').validate_settings({' Work_Mem ': '4MB'}, (16, 0))
    assert result == {'work_mem': '4MB'}


# --- derived settings pass the engine's own catalog -------------------------
MATRIX = [(engine, version, profile, memory, cpus)
          for engine in sorted(VERSIONS) for version in VERSIONS[engine]
          for profile in PROFILES for memory, cpus in SIZES]


@pytest.mark.parametrize('engine, version, profile, memory, cpus', MATRIX)
def test_derived_settings_pass_own_catalog(engine, version, profile, memory, cpus):
    engine_adapter = adapter(engine)
    resources = Resources(memory, cpus, profile, version)
    derived = engine_adapter.derive_settings(resources)
    assert derived
    result, warnings = engine_adapter.validate_settings(derived, version)
    assert result == derived
    assert warnings == []
    # The formatted settings fit in memory and render.
    settings, warnings = engine_adapter.effective_settings(resources, {})
    assert warnings == []
    assert engine_adapter.validate_settings(settings, version) == (settings, [])
    text = engine_adapter.render_config(settings)
    assert text.startswith(HEADER + '\n') and text.endswith('\n')


def test_mariadb_before_10_6_1_uses_expire_logs_days():
    engine_adapter = adapter('mariadb')
    derived = engine_adapter.derive_settings(Resources(GIB, 1, 'oltp', (10, 5, 0)))
    assert derived['expire_logs_days'] == 7          # 604800 s // 86400
    assert 'binlog_expire_logs_seconds' not in derived
    assert engine_adapter.validate_settings(derived, (10, 5, 0)) == (derived, [])
    newer = engine_adapter.derive_settings(Resources(GIB, 1, 'oltp', (10, 6, 1)))
    assert newer['binlog_expire_logs_seconds'] == 604800 and 'expire_logs_days' not in newer


# --- effective settings: formatting, coercion, memory bounds ----------------
@pytest.mark.parametrize('engine, version, memory, cpus, expected', [
    # 4g/2: pool 2 GiB, log buffer 64 MiB, tmp_table_size 64 MiB, redo 1 GiB (see test_tuning)
    ('mysql', (8, 4, 3), 4 * GIB, 2, {'innodb_buffer_pool_size': '2G', 'innodb_log_buffer_size': '64M',
                                      'tmp_table_size': '64M', 'innodb_redo_log_capacity': '1G',
                                      'max_connections': 224}),
    # 1g/1: log file 128 MiB
    ('mariadb', (11, 4, 3), GIB, 1, {'innodb_buffer_pool_size': '512M', 'innodb_log_file_size': '512M'}),
    # 1g/1: shared_buffers 256 MiB, wal_buffers 7864 kB, work_mem 2048 kB = 2 MB
    ('postgres', (16, 0), GIB, 1, {'shared_buffers': '256MB', 'effective_cache_size': '768MB',
                                   'wal_buffers': '7864kB', 'work_mem': '2MB', 'min_wal_size': '2GB',
                                   'max_connections': 128}),
    ('mongodb', (7, 0), 4 * GIB, 2, {'storage.wiredTiger.engineConfig.cacheSizeGB': 1.5}),
])
def test_effective_settings_in_engine_syntax(engine, version, memory, cpus, expected):
    settings, _unused = adapter(engine).effective_settings(Resources(memory, cpus, 'oltp', version), {})
    for name, value in expected.items():
        assert settings[name] == value, name


@pytest.mark.parametrize('engine, version, setting, value, expected', [
    ('mysql', (8, 4, 3), 'innodb_buffer_pool_size', '2g', '2G'),
    ('mysql', (8, 4, 3), 'innodb_buffer_pool_size', '1.5g', '1536M'),
    ('mysql', (8, 4, 3), 'innodb_buffer_pool_size', '2GiB', '2G'),
    ('mariadb', (11, 4, 3), 'innodb_log_file_size', '256mb', '256M'),
    ('postgres', (16, 0), 'shared_buffers', '2g', '2GB'),
    ('postgres', (16, 0), 'work_mem', '512k', '512kB'),
    ('postgres', (16, 0), 'work_mem', '64MiB', '64MB'),
    ('mysql', (8, 4, 3), 'max_connections', 200, 200),           # not a size: unchanged
    ('postgres', (16, 0), 'log_line_prefix', '%t ', '%t '),
])
def test_user_size_values_are_coerced(engine, version, setting, value, expected):
    settings, warnings = adapter(engine).effective_settings(Resources(4 * GIB, 2, 'oltp', version),
                                                            {setting: value})
    assert settings[setting] == expected
    assert warnings == []


def test_bad_user_size_names_the_setting():
    with pytest.raises(DbopsError) as info:
        adapter('mysql').effective_settings(Resources(4 * GIB, 2, 'oltp', (8, 4, 3)),
                                            {'innodb_buffer_pool_size': 'lots'})
    assert info.value.parameter == 'settings.innodb_buffer_pool_size'


@pytest.mark.parametrize('engine, version, setting, value', [
    ('mysql', (8, 4, 3), 'innodb_buffer_pool_size', '8g'),
    ('mysql', (8, 4, 3), 'innodb_buffer_pool_size', '1g'),      # equal to memory: no room left
    ('mariadb', (11, 4, 3), 'tmp_table_size', '2G'),
    ('postgres', (16, 0), 'shared_buffers', '2g'),
    ('postgres', (16, 0), 'work_mem', '1GB'),
    ('mongodb', (7, 0), 'storage.wiredTiger.engineConfig.cacheSizeGB', 2),
])
def test_memory_bound(engine, version, setting, value):
    with pytest.raises(DbopsError) as info:
        adapter(engine).effective_settings(Resources(GIB, 1, 'oltp', version), {setting: value})
    assert 'memory' in info.value.message
    assert info.value.parameter == 'settings.%s' % setting


@pytest.mark.parametrize('engine, version, setting, value', [
    ('mysql', (8, 4, 3), 'innodb_buffer_pool_size', '768M'),
    ('postgres', (16, 0), 'shared_buffers', '512MB'),
    ('mongodb', (7, 0), 'storage.wiredTiger.engineConfig.cacheSizeGB', 0.5),
])
def test_memory_bound_allows_what_fits(engine, version, setting, value):
    settings, _unused = adapter(engine).effective_settings(Resources(GIB, 1, 'oltp', version), {setting: value})
    assert setting in settings


def test_postgres_bare_number_is_refused_for_sized_settings():
    """PostgreSQL reads a memory value without a unit in the parameter's own unit (8 kB
    blocks for shared_buffers, kB for work_mem), not in bytes: 1000000 would be 7.6 GiB
    in a 1 GiB container. The module asks for the unit rather than guess."""
    with pytest.raises(DbopsError) as error:
        adapter('postgres').effective_settings(Resources(GIB, 1, 'oltp', (16, 0)), {'shared_buffers': 1000000})
    assert error.value.parameter == 'settings.shared_buffers'
    assert 'unit' in str(error.value)


@pytest.mark.parametrize('value, expected', [
    ('1g', '1GB'), ('512m', '512MB'), ('64mb', '64MB'), ('2GiB', '2GB'), ('256MB', '256MB'), ('on', 'on'),
])
def test_postgres_loose_sizes_written_as_postgres_accepts(value, expected):
    """Any setting, sized by the module or not (autovacuum_work_mem here)."""
    settings, _unused = adapter('postgres').effective_settings(Resources(GIB, 1, 'oltp', (16, 0)),
                                                               {'autovacuum_work_mem': value})
    assert settings['autovacuum_work_mem'] == expected


def test_postgres_size_not_a_whole_kb_is_rounded_to_kb():
    assert sizes.to_postgres(1000000) == '976kB'


@pytest.mark.parametrize('engine, length, ok', [
    ('mysql', 32, True), ('mysql', 33, False), ('mariadb', 80, True), ('mariadb', 81, False)])
def test_user_name_length_per_engine(engine, length, ok):
    name = 'u' * length
    if ok:
        adapter(engine).validate_identity('app', name)
    else:
        with pytest.raises(DbopsError) as error:
            adapter(engine).validate_identity('app', name)
        assert error.value.parameter == 'user'


# --- render_config ----------------------------------------------------------
@pytest.mark.parametrize('engine', ['mysql', 'mariadb'])
def test_render_mysql(engine):
    text = adapter(engine).render_config({'max_connections': 224, 'innodb_buffer_pool_size': '2G',
                                          'skip_name_resolve': 'ON', 'local_infile': False, 'gtid_mode': True})
    assert text == (HEADER + '\n'
                    '[mysqld]\n'
                    'gtid_mode = ON\n'
                    'innodb_buffer_pool_size = 2G\n'
                    'local_infile = OFF\n'
                    'max_connections = 224\n'
                    'skip_name_resolve = ON\n')


def test_render_mysql_plugin_variables_are_loose():
    # mysqld --initialize ignores plugin_load_add but reads the file: a plugin's variable must not abort it.
    settings = {'plugin_load_add': 'rpl_semi_sync_source=semisync_source.so', 'rpl_semi_sync_source_enabled': 'ON',
                'rpl_semi_sync_replica_enabled': 'ON', 'server_id': 2}
    assert adapter('mysql').render_config(settings).splitlines()[2:] == [
        'plugin_load_add = rpl_semi_sync_source=semisync_source.so',
        'loose-rpl_semi_sync_replica_enabled = ON',
        'loose-rpl_semi_sync_source_enabled = ON',
        'server_id = 2']
    # MariaDB's semi-sync is built in: its variables are written as they are.
    assert 'rpl_semi_sync_master_enabled = ON' in adapter('mariadb').render_config(
        {'rpl_semi_sync_master_enabled': 'ON'}).splitlines()


def test_render_postgres():
    text = adapter('postgres').render_config({
        'work_mem': '4MB', 'max_connections': 100, 'random_page_cost': 1.1,
        'log_line_prefix': "it's %m ", 'ssl': True, 'log_temp_files': 0})
    assert text == (HEADER + '\n'
                    "log_line_prefix = 'it''s %m '\n"
                    'log_temp_files = 0\n'
                    'max_connections = 100\n'
                    'random_page_cost = 1.1\n'
                    "ssl = 'on'\n"
                    "work_mem = '4MB'\n")


def test_render_mongodb():
    text = adapter('mongodb').render_config({
        'storage.wiredTiger.engineConfig.cacheSizeGB': 1.5, 'net.port': 27017, 'net.bindIpAll': True,
        'operationProfiling.mode': 'off'})
    assert text == (HEADER + '\n'
                    'net:\n'
                    '  bindIpAll: true\n'
                    '  port: 27017\n'
                    'operationProfiling:\n'
                    '  mode: "off"\n'
                    'storage:\n'
                    '  wiredTiger:\n'
                    '    engineConfig:\n'
                    '      cacheSizeGB: 1.5\n')
    assert 'storage:\n  wiredTiger:\n    engineConfig:\n      cacheSizeGB: 1.5' in text


def test_render_mongodb_is_yaml_of_the_nested_settings():
    yaml = pytest.importorskip('yaml')
    settings, _unused = adapter('mongodb').effective_settings(Resources(4 * GIB, 2, 'oltp', (7, 0)), {})
    loaded = yaml.safe_load(adapter('mongodb').render_config(settings))
    assert loaded == {
        'storage': {'wiredTiger': {'engineConfig': {'cacheSizeGB': 1.5}}},
        'net': {'bindIpAll': True, 'port': 27017},
        'operationProfiling': {'mode': 'off', 'slowOpThresholdMs': 100},
    }


# --- container contract: environment, health check, init scripts ----------
@pytest.mark.parametrize('engine, version, expected', [
    ('mysql', (8, 4, 3), {'MYSQL_ROOT_PASSWORD_FILE': ROOT_FILE, 'MYSQL_DATABASE': 'app',
                          'MYSQL_USER': 'appuser', 'MYSQL_PASSWORD_FILE': USER_FILE}),
    ('mariadb', (11, 4, 3), {'MARIADB_ROOT_PASSWORD_FILE': ROOT_FILE, 'MARIADB_DATABASE': 'app',
                             'MARIADB_USER': 'appuser', 'MARIADB_PASSWORD_FILE': USER_FILE,
                             'MARIADB_AUTO_UPGRADE': '1'}),
    ('postgres', (17, 0), {'POSTGRES_PASSWORD_FILE': ROOT_FILE, 'POSTGRES_USER': 'postgres',
                           'POSTGRES_INITDB_ARGS': '--auth-host=scram-sha-256 --auth-local=peer --data-checksums',
                           'POSTGRES_DB': 'app', 'PGDATA': '/var/lib/postgresql/data'}),
    ('postgres', (18, 0), {'POSTGRES_PASSWORD_FILE': ROOT_FILE, 'POSTGRES_USER': 'postgres',
                           'POSTGRES_INITDB_ARGS': '--auth-host=scram-sha-256 --auth-local=peer --data-checksums',
                           'POSTGRES_DB': 'app'}),
    ('mongodb', (7, 0), {'MONGO_INITDB_ROOT_USERNAME': 'admin', 'MONGO_INITDB_ROOT_PASSWORD_FILE': ROOT_FILE,
                         'MONGO_INITDB_DATABASE': 'app'}),
])
def test_environment(engine, version, expected):
    assert adapter(engine).environment('app', 'appuser', True, version) == expected


@pytest.mark.parametrize('engine', ['mysql', 'mariadb', 'postgres', 'mongodb'])
@pytest.mark.parametrize('database, user', [('app', 'appuser'), (None, None), ('app', None)])
def test_environment_holds_only_password_files(engine, database, user):
    env = adapter(engine).environment(database, user, bool(user), VERSIONS[engine][-1])
    password_keys = [key for key in env if 'PASSWORD' in key or key.endswith('_PWD')]
    assert password_keys                          # the root password file at least
    for key in password_keys:
        assert key.endswith('_FILE'), key
        assert env[key].startswith(SECRETS + '/'), key


@pytest.mark.parametrize('engine', ['mysql', 'mariadb'])
def test_environment_without_user_has_no_user_password(engine):
    env = adapter(engine).environment('app', None, False, VERSIONS[engine][-1])
    assert not [key for key in env if key.endswith('_USER')
                or (key.endswith('_PASSWORD_FILE') and 'ROOT' not in key)]


@pytest.mark.parametrize('engine, client', [('mysql', 'mysql'), ('mariadb', 'mariadb'), ('postgres', 'psql')])
def test_healthcheck_reads_the_secrets_file(engine, client):
    command = adapter(engine).healthcheck()
    assert client in command.split()
    assert '$(cat %s)' % ROOT_FILE in command
    # Every password variable is set from the file, never from a literal.
    assignments = re.findall(r'\b(\w*(?:PWD|PASSWORD)\w*)=("[^"]*"|\S+)', command)
    assert assignments
    for _name, value in assignments:
        assert value == '"$(cat %s)"' % ROOT_FILE
    assert '--password' not in command and not re.search(r'\s-p\S', command)
    assert 'SELECT 1' in command                  # a real query


def test_mongodb_healthcheck_needs_no_credentials():
    command = adapter('mongodb').healthcheck()
    assert 'ping' in command
    assert 'password' not in command.lower() and '-p ' not in command and '--authenticationDatabase' not in command


def test_postgres_init_script_reads_the_password_file():
    scripts = adapter('postgres').init_scripts('appdb', 'appuser')
    assert list(scripts) == ['10-dbops-app-user.sh']
    script = scripts['10-dbops-app-user.sh']
    assert '\\set app_password `cat %s`' % USER_FILE in script
    assert "PASSWORD :'app_password'" in script
    assert '--set app_user=appuser' in script
    assert 'ALTER DATABASE :"app_db" OWNER TO :"app_user"' in script
    assert script.startswith('#!/bin/bash\n') and 'set -euo pipefail' in script


def test_postgres_init_script_without_database_and_without_user():
    script = adapter('postgres').init_scripts(None, 'appuser')['10-dbops-app-user.sh']
    assert 'ALTER DATABASE' not in script
    assert adapter('postgres').init_scripts('appdb', None) == {}


def test_mongodb_init_script_reads_the_password_file():
    script = adapter('mongodb').init_scripts('appdb', 'appuser')['10-dbops-app-user.js']
    assert "readFileSync('%s'" % USER_FILE in script
    assert 'db.getSiblingDB("appdb")' in script and 'user: "appuser"' in script
    assert adapter('mongodb').init_scripts('appdb', None) == {}


@pytest.mark.parametrize('engine', ['mysql', 'mariadb'])
def test_mysql_has_no_init_scripts(engine):
    assert adapter(engine).init_scripts('appdb', 'appuser') == {}


# --- identities -------------------------------------------------------------
@pytest.mark.parametrize('engine, database, user, parameter', [
    ('mysql', 'app', 'root', 'user'),
    ('mysql', 'app', 'ROOT', 'user'),
    ('mariadb', 'app', 'root', 'user'),
    ('mysql', "a'b", 'appuser', 'database'),
    ('mysql', 'app', 'app`user', 'user'),
    ('mysql', 'app', "o'brien", 'user'),
    ('mysql', 'a' * 65, 'appuser', 'database'),
    ('postgres', 'app', 'postgres', 'user'),
    ('postgres', 'app', 'app"user', 'user'),
    ('postgres', "x'y", 'appuser', 'database'),
    ('postgres', 'app', 'a' * 64, 'user'),
    ('postgres', 'app', '1user', 'user'),
    ('postgres', 'app-db', 'appuser', 'database'),
    ('mongodb', 'app', 'app user', 'user'),
    ('mongodb', 'app', "app'user", 'user'),
    ('mongodb', 'a' * 65, 'appuser', 'database'),
])
def test_validate_identity_rejects(engine, database, user, parameter):
    with pytest.raises(DbopsError) as info:
        adapter(engine).validate_identity(database, user)
    assert info.value.parameter == parameter


@pytest.mark.parametrize('engine, database, user', [
    ('mysql', 'app', 'appuser'),
    ('mysql', 'a' * 64, None),
    ('mariadb', 'app_db', 'app-user'),
    ('postgres', 'app_db', 'a' * 63),
    ('postgres', None, None),
    ('mongodb', 'app-db', 'app_user'),
    ('mongodb', 'a' * 64, 'appuser'),
])
def test_validate_identity_accepts(engine, database, user):
    assert adapter(engine).validate_identity(database, user) is None


# --- upgrades, images, versions --------------------------------------------
@pytest.mark.parametrize('engine, old, new, words', [
    ('postgres', (15, 8, 0), (17, 2, 0), ['pg_upgrade', 'PostgreSQL 15']),
    ('postgres', (17, 2, 0), (16, 6, 0), ['downgrade']),
    ('mariadb', (11, 4, 3), (10, 11, 9), ['downgrade', '11.4.3']),
    ('mariadb', (11, 4, 3), (11, 4, 2), ['downgrade']),
    ('mysql', (8, 4, 3), (8, 0, 40), ['downgrade']),
    ('mongodb', (8, 0, 0), (7, 0, 0), ['downgrade']),
])
def test_check_upgrade_refuses(engine, old, new, words):
    with pytest.raises(DbopsError) as info:
        adapter(engine).check_upgrade(old, new)
    assert info.value.parameter == 'image'
    for word in words:
        assert word in info.value.message


@pytest.mark.parametrize('engine, old, new', [
    ('mariadb', (10, 11, 9), (11, 4, 3)),
    ('mariadb', (11, 4, 3), (11, 4)),        # a tag without the patch level
    ('mariadb', (11, 4, 3), (11, 4, 3)),
    ('mysql', (8, 0, 40), (8, 4, 3)),
    ('postgres', (15, 2, 0), (15, 8, 0)),
    ('postgres', None, (17, 2, 0)),          # a new data volume
    ('mongodb', (7, 0, 0), None),            # version unknown
])
def test_check_upgrade_allows(engine, old, new):
    assert adapter(engine).check_upgrade(old, new) is None


@pytest.mark.parametrize('engine', ['mongodb'])
def test_no_local_image(engine):
    with pytest.raises(DbopsError) as info:
        adapter(engine).default_image('local')
    assert info.value.parameter == 'image_source'


@pytest.mark.parametrize('engine, source, image', [
    ('mariadb', 'local', 'localhost/dbops/mariadb:11.8'),
    ('postgres', 'local', 'localhost/dbops/postgres:18'),
    ('mysql', 'local', 'localhost/dbops/mysql:9.7'),
    ('mariadb', 'official', 'mariadb:11.8'),
    ('mysql', 'official', 'mysql:8.4'),
    ('postgres', 'official', 'postgres:18'),
    ('mongodb', 'official', 'mongo:8.0'),
    ('mysql', None, 'mysql:8.4'),
])
def test_default_image(engine, source, image):
    assert adapter(engine).default_image(source) == image


@pytest.mark.parametrize('engine, image, env, expected', [
    ('mariadb', 'mariadb:11.4', ['PATH=/usr/local/bin', 'MARIADB_VERSION=1:11.4.3+maria~ubu2404'], (11, 4, 3)),
    ('mariadb', 'localhost/dbops/mariadb:10.11', [], (10, 11, 0)),       # falls back to the tag
    ('mariadb', 'localhost/dbops/mariadb:10.11', None, (10, 11, 0)),
    ('mariadb', 'mariadb:11.4', ['MARIADB_VERSION=latest', 'NOEQUALS'], (11, 4, 0)),
    ('mariadb', 'localhost/dbops/mariadb', ['MARIADB_MAJOR=10.11'], (10, 11, 0)),
    ('mariadb', 'mariadb', [], None),
    ('mysql', 'mysql:8.4', ['MYSQL_MAJOR=8.4', 'MYSQL_VERSION=8.4.3-1.el9'], (8, 4, 3)),
    ('postgres', 'postgres:17', ['PG_MAJOR=17', 'PG_VERSION=17.2-1.pgdg120+1'], (17, 2, 0)),
    ('postgres', 'postgres:16.1', ['PATH=/usr/bin'], (16, 1, 0)),
    ('mongodb', 'mongo:7.0', ['MONGO_VERSION=7.0.14'], (7, 0, 14)),
    ('mongodb', 'mongo:7.0', ['MARIADB_VERSION=11.4.3'], (7, 0, 0)),  # another engine's variable is ignored
])
def test_version_of_image(engine, image, env, expected):
    assert adapter(engine).version_of_image(image, env) == expected


# --- paths and arguments ----------------------------------------------------
@pytest.mark.parametrize('engine, version, mount', [
    ('postgres', (18, 0), '/var/lib/postgresql'),
    ('postgres', (17, 0), '/var/lib/postgresql/data'),
    ('postgres', None, '/var/lib/postgresql/data'),
    ('mysql', (8, 4, 3), '/var/lib/mysql'),
    ('mariadb', (11, 4, 3), '/var/lib/mysql'),
    ('mongodb', (8, 0), '/data/db'),
])
def test_data_mount(engine, version, mount):
    assert adapter(engine).data_mount(version) == mount


@pytest.mark.parametrize('engine, memory, shm', [
    ('postgres', 4 * GIB, GIB),              # a quarter of memory
    ('postgres', 128 * MIB, 64 * MIB),       # at least Docker's 64 MiB
    ('mysql', 4 * GIB, 64 * MIB),
    ('mongodb', 16 * GIB, 64 * MIB),
])
def test_default_shm_size(engine, memory, shm):
    assert adapter(engine).default_shm_size_for(memory) == shm


@pytest.mark.parametrize('engine, args', [
    ('postgres', ['-c', 'config_file=/etc/postgresql/postgresql.conf']),
    ('mongodb', ['--config', '/etc/mongo/mongod.conf']),
    ('mysql', []),
    ('mariadb', []),
])
def test_server_args(engine, args):
    assert adapter(engine).server_args() == args


def test_postgres_creates_pg_stat_statements_only_when_preloaded():
    preloaded = adapter('postgres').init_scripts('appdb', None, {'shared_preload_libraries': 'pg_stat_statements'})
    assert preloaded == {'05-dbops-pg-stat-statements.sql': preloaded['05-dbops-pg-stat-statements.sql']}
    assert 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' in preloaded['05-dbops-pg-stat-statements.sql']
    assert adapter('postgres').init_scripts('appdb', None, {'shared_preload_libraries': ''}) == {}
    both = adapter('postgres').init_scripts('appdb', 'app', {'shared_preload_libraries': 'pg_stat_statements'})
    assert sorted(both) == ['05-dbops-pg-stat-statements.sql', '10-dbops-app-user.sh']


# --- PostgreSQL 18 keeps its volume above PGDATA ------------------------------------
@pytest.mark.parametrize('version, mount, pgdata', [
    ((15, 8), '/var/lib/postgresql/data', '/var/lib/postgresql/data'),
    ((17, 12), '/var/lib/postgresql/data', '/var/lib/postgresql/data'),
    ((18, 6), '/var/lib/postgresql', '/var/lib/postgresql/18/docker'),
])
def test_postgres_data_layout(version, mount, pgdata):
    assert adapter('postgres').data_mount(version) == mount
    assert adapter('postgres').pgdata(version) == pgdata


def test_postgres_session_options_carry_the_purpose_and_the_callers_query_timeout():
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.adapter import session_options
    assert session_options('audit') == '-c default_transaction_read_only=on -c statement_timeout=60000'
    assert session_options('admin', 0.5) == '-c default_transaction_read_only=off -c statement_timeout=500'
    # A probe's sub-millisecond slip never turns into 0, which PostgreSQL reads as "no timeout".
    assert session_options('admin', 0.0001).endswith('statement_timeout=1')
    with pytest.raises(ValueError):
        session_options('superuser')
