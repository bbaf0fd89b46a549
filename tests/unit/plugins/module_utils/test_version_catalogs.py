# -*- coding: utf-8 -*-
"""Settings catalogs against the supported server lines (MySQL 8.4 / 9.7 LTS, MariaDB 10.11 / 11.4 / 11.8,
PostgreSQL 15-18, MongoDB 7.0 / 8.0) and the end-of-life dates of those lines."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines import registry as engines
from ansible_collections.dbops.containers.plugins.module_utils.common import lifecycle
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import format_version
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Resources

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
GIB = 1024 ** 3

# The newest release of each supported line, where every removal below applies.
LATEST = {'mysql': (9, 7, 0), 'mariadb': (11, 8, 3), 'postgres': (18, 1), 'mongodb': (8, 0, 12)}
SUPPORTED = {
    'mysql': [(8, 4, 6), (9, 7, 0)],
    'mariadb': [(10, 11, 14), (11, 4, 8), (11, 8, 3)],
    'postgres': [(15, 14), (16, 10), (17, 6), (18, 1)],
    'mongodb': [(7, 0, 24), (8, 0, 12)],
}


def adapter(engine):
    return engines.get_adapter(engine)


# (engine, setting as a user writes it, version that removed it, the release before, words of the advice)
REMOVED = [
    # MySQL 8.3.0 (MySQL 8.4 manual, "Options and Variables Removed in MySQL 8.4")
    ('mysql', 'character_set_client_handshake', (8, 3, 0), (8, 2, 0), ['delete it']),
    ('mysql', 'skip-character-set-client-handshake', (8, 3, 0), (8, 2, 0), ['delete it']),
    ('mysql', 'log_bin_use_v1_row_events', (8, 3, 0), (8, 2, 0), ['version 2 row events']),
    ('mysql', 'master_info_repository', (8, 3, 0), (8, 2, 0), ['InnoDB tables']),
    ('mysql', 'relay_log_info_repository', (8, 3, 0), (8, 2, 0), ['InnoDB tables']),
    ('mysql', 'master-info-file', (8, 3, 0), (8, 2, 0), ['InnoDB tables']),
    ('mysql', 'relay_log_info_file', (8, 3, 0), (8, 2, 0), ['InnoDB tables']),
    ('mysql', 'old-style-user-limits', (8, 3, 0), (8, 2, 0), ['per account']),
    ('mysql', 'skip-host-cache', (8, 3, 0), (8, 2, 0), ['host_cache_size=0']),
    ('mysql', 'slave_rows_search_algorithms', (8, 3, 0), (8, 2, 0), ['INDEX_SCAN,HASH_SCAN']),
    ('mysql', 'transaction_write_set_extraction', (8, 3, 0), (8, 2, 0), ['XXHASH64']),
    # MySQL 8.4.0
    ('mysql', 'avoid_temporal_upgrade', (8, 4, 0), (8, 3, 0), ['no replacement']),
    ('mysql', 'show_old_temporals', (8, 4, 0), (8, 3, 0), ['no replacement']),
    ('mysql', 'binlog_transaction_dependency_tracking', (8, 4, 0), (8, 3, 0), ['WRITESET']),
    ('mysql', 'ssl', (8, 4, 0), (8, 3, 0), ['tls_version']),
    ('mysql', 'skip-ssl', (8, 4, 0), (8, 3, 0), ["tls_version=''"]),
    ('mysql', 'admin-ssl', (8, 4, 0), (8, 3, 0), ['admin_tls_version']),
    ('mysql', 'old', (8, 4, 0), (8, 3, 0), ['no replacement']),
    ('mysql', 'new', (8, 4, 0), (8, 3, 0), ['no replacement']),
    ('mysql', 'language', (8, 4, 0), (8, 3, 0), ['lc_messages_dir']),
    ('mysql', 'no-dd-upgrade', (8, 4, 0), (8, 3, 0), ['upgrade=NONE']),
    ('mysql', 'keyring_file_data', (8, 4, 0), (8, 3, 0), ['component_keyring_file']),
    ('mysql', 'keyring_encrypted_file_data', (8, 4, 0), (8, 3, 0), ['component_keyring_encrypted_file']),
    ('mysql', 'keyring_encrypted_file_password', (8, 4, 0), (8, 3, 0), ['component_keyring_encrypted_file']),
    # MySQL 9.0.0 (Version Reference, "Option and Variable Changes for MySQL 9.0")
    ('mysql', 'mysql-native-password', (9, 0, 0), (8, 4, 6), ['caching_sha2_password']),
    ('mysql', 'mysql_native_password_proxy_users', (9, 0, 0), (8, 4, 6), ['caching_sha2_password']),
    # MySQL 9.5.0 (MySQL 9.5 manual, "Options and Variables Removed in MySQL 9.5")
    ('mysql', 'rpl_semi_sync_master_timeout', (9, 5, 0), (9, 4, 0),
     ['rpl_semi_sync_source_timeout', 'semisync_source.so']),
    ('mysql', 'rpl_semi_sync_master_wait_point', (9, 5, 0), (9, 4, 0), ['rpl_semi_sync_source_wait_point']),
    ('mysql', 'rpl_semi_sync_master_wait_for_slave_count', (9, 5, 0), (9, 4, 0),
     ['rpl_semi_sync_source_wait_for_replica_count']),
    ('mysql', 'rpl_semi_sync_master_trace_level', (9, 5, 0), (9, 4, 0), ['rpl_semi_sync_source_trace_level']),
    ('mysql', 'rpl_semi_sync_slave_trace_level', (9, 5, 0), (9, 4, 0), ['rpl_semi_sync_replica_trace_level']),
    ('mysql', 'replica_parallel_type', (9, 5, 0), (9, 4, 0), ['LOGICAL_CLOCK']),
    ('mysql', 'slave_parallel_type', (9, 5, 0), (9, 4, 0), ['LOGICAL_CLOCK']),
    # MariaDB (mariadb.com "Upgrading from MariaDB 10.11 to 11.0" ... "11.4 to 11.8")
    ('mariadb', 'innodb_change_buffer_max_size', (11, 0, 0), (10, 11, 14), ['change buffer']),
    ('mariadb', 'innodb_defragment', (11, 1, 0), (11, 0, 6), ['defragmentation']),
    ('mariadb', 'innodb_defragment_n_pages', (11, 1, 0), (11, 0, 6), ['defragmentation']),
    ('mariadb', 'innodb_defragment_stats_accuracy', (11, 1, 0), (11, 0, 6), ['defragmentation']),
    ('mariadb', 'innodb_defragment_fill_factor_n_recs', (11, 1, 0), (11, 0, 6), ['defragmentation']),
    ('mariadb', 'innodb_defragment_fill_factor', (11, 1, 0), (11, 0, 6), ['defragmentation']),
    ('mariadb', 'innodb_defragment_frequency', (11, 1, 0), (11, 0, 6), ['defragmentation']),
    ('mariadb', 'old_alter_table', (11, 2, 0), (11, 1, 6), ['alter_algorithm']),
    ('mariadb', 'date_format', (11, 3, 0), (11, 2, 6), ['never used']),
    ('mariadb', 'datetime_format', (11, 3, 0), (11, 2, 6), ['never used']),
    ('mariadb', 'time_format', (11, 3, 0), (11, 2, 6), ['never used']),
    ('mariadb', 'max_tmp_tables', (11, 3, 0), (11, 2, 6), ['never used']),
    ('mariadb', 'wsrep_causal_reads', (11, 3, 0), (11, 2, 6), ['wsrep_sync_wait=1']),
    ('mariadb', 'debug_no_thread_alarm', (11, 4, 0), (11, 3, 2), ['unused']),
    ('mariadb', 'wsrep_load_data_splitting', (11, 5, 0), (11, 4, 8), ['delete it']),
    # PostgreSQL ("Migration to Version 16" / "17")
    ('postgres', 'promote_trigger_file', (16,), (15, 14), ['pg_promote()']),
    ('postgres', 'vacuum_defer_cleanup_age', (16,), (15, 14), ['hot_standby_feedback']),
    ('postgres', 'old_snapshot_threshold', (17,), (16, 10), ['delete it']),
    ('postgres', 'db_user_namespace', (17,), (16, 10), ['delete it']),
    ('postgres', 'trace_recovery_messages', (17,), (16, 10), ['no longer needed']),
    # MongoDB ("Configuration File Settings and Command-Line Options Mapping" change log)
    ('mongodb', 'storage.indexBuildRetry', (4, 4), (4, 2, 25), ['4.4']),
    ('mongodb', 'net.serviceExecutor', (5, 0), (4, 4, 29), ['5.0']),
]
REMOVED_IDS = ['%s-%s' % (row[0], row[1]) for row in REMOVED]


def _refusal(engine, setting, version):
    with pytest.raises(DbopsError) as info:
        adapter(engine).validate_settings({setting: 'ON'}, version)
    return info.value


@pytest.mark.parametrize('engine, setting, removed_in, before, words', REMOVED, ids=REMOVED_IDS)
def test_removed_setting_refused_from_its_release(engine, setting, removed_in, before, words):
    engine_adapter = adapter(engine)
    error = _refusal(engine, setting, removed_in)
    assert error.parameter == 'settings.%s' % setting
    name = engine_adapter.normalize_name(setting)
    assert '%s was removed in %s %s' % (name, engine_adapter.label, format_version(removed_in)) in error.message
    for word in words:
        assert word in error.message


@pytest.mark.parametrize('engine, setting, removed_in, before, words', REMOVED, ids=REMOVED_IDS)
def test_removed_setting_refused_on_the_newest_supported_release(engine, setting, removed_in, before, words):
    error = _refusal(engine, setting, LATEST[engine])
    assert 'removed in' in error.message
    assert format_version(LATEST[engine]) in error.message   # the image's version, for context


@pytest.mark.parametrize('engine, setting, removed_in, before, words', REMOVED, ids=REMOVED_IDS)
def test_removed_setting_accepted_on_the_release_before(engine, setting, removed_in, before, words):
    engine_adapter = adapter(engine)
    result, warnings = engine_adapter.validate_settings({setting: 'ON'}, before)
    assert result == {engine_adapter.normalize_name(setting): 'ON'}
    assert warnings == []


# --- settings renamed earlier and removed later: translated until the removal -------------------
@pytest.mark.parametrize('setting, new_name', [
    ('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled'),
    ('rpl_semi_sync_slave_enabled', 'rpl_semi_sync_replica_enabled'),
])
def test_mysql_semi_sync_names_translated_until_9_5_then_refused(setting, new_name):
    engine_adapter = adapter('mysql')
    assert engine_adapter.validate_settings({setting: 'ON'}, (8, 0, 25)) == ({setting: 'ON'}, [])
    result, warnings = engine_adapter.validate_settings({setting: 'ON'}, (9, 4, 0))
    assert result == {new_name: 'ON'}
    assert len(warnings) == 1 and '%s=ON' % new_name in warnings[0]
    error = _refusal('mysql', setting, (9, 5, 0))
    assert '%s was removed in MySQL 9.5.0' % setting in error.message
    assert new_name in error.message and 'semisync_source.so' in error.message


@pytest.mark.parametrize('setting, new_name', [
    ('log_slave_updates', 'log_replica_updates'),
    ('log-slave-updates', 'log_replica_updates'),
    ('slave_parallel_workers', 'replica_parallel_workers'),
    ('slave_preserve_commit_order', 'replica_preserve_commit_order'),
])
@pytest.mark.parametrize('version', [(8, 4, 6), (9, 7, 0)])
def test_mysql_replica_names_still_translated_on_the_lts_lines(setting, new_name, version):
    # Deprecated since 8.0.26, removed by no release up to 9.7: translated, not refused.
    result, warnings = adapter('mysql').validate_settings({setting: 'ON'}, version)
    assert result == {new_name: 'ON'}
    assert len(warnings) == 1 and new_name in warnings[0]


@pytest.mark.parametrize('version', [(8, 0, 40), (8, 4, 6), (9, 7, 0)])
def test_mysql_innodb_log_files_in_group_is_deprecated_not_removed(version):
    # In no MySQL removal list up to 9.7 (the server ignores it once innodb_redo_log_capacity is set).
    assert adapter('mysql').validate_settings({'innodb_log_files_in_group': 2}, version) == (
        {'innodb_log_files_in_group': 2}, [])


def test_mariadb_keeps_its_own_semi_sync_names():
    # MariaDB has no semisync_source plugin: its rpl_semi_sync_master_* names are current.
    settings = {'rpl_semi_sync_master_enabled': 'ON', 'rpl_semi_sync_slave_enabled': 'ON',
                'rpl_semi_sync_master_timeout': 1000, 'log_slave_updates': 'ON'}
    assert adapter('mariadb').validate_settings(settings, LATEST['mariadb']) == (settings, [])


def test_postgres_ssl_ecdh_curve_translated_from_18():
    engine_adapter = adapter('postgres')
    assert engine_adapter.validate_settings({'ssl_ecdh_curve': 'prime256v1'}, (17, 6)) == (
        {'ssl_ecdh_curve': 'prime256v1'}, [])
    result, warnings = engine_adapter.validate_settings({'ssl_ecdh_curve': 'prime256v1'}, (18, 0))
    assert result == {'ssl_groups': 'prime256v1'}
    assert len(warnings) == 1
    assert 'ssl_groups=prime256v1' in warnings[0] and 'still accepted' in warnings[0]


# --- what the collection itself writes passes the catalog on every supported line ----------------
@pytest.mark.parametrize('engine, version', [(engine, version) for engine in sorted(SUPPORTED)
                                             for version in SUPPORTED[engine]])
@pytest.mark.parametrize('profile', ['oltp', 'web', 'dw', 'mixed'])
@pytest.mark.parametrize('memory, cpus', [(GIB, 1), (16 * GIB, 8)])
def test_derived_settings_pass_the_catalog(engine, version, profile, memory, cpus):
    engine_adapter = adapter(engine)
    settings, warnings = engine_adapter.effective_settings(Resources(memory, cpus, profile, version), {})
    assert warnings == []
    assert engine_adapter.validate_settings(settings, version) == (settings, [])


def _role_defaults(role):
    yaml = pytest.importorskip('yaml')
    with open(os.path.join(ROOT, 'roles', role, 'defaults', 'main.yml')) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize('flavor', ['mysql', 'mariadb'])
def test_mysql_cluster_role_settings_pass_the_catalog(flavor):
    defaults = _role_defaults('mysql_cluster')
    settings = dict(defaults['mysql_cluster_replication_settings'][flavor])
    settings.update(defaults['mysql_cluster_semi_sync_settings'][flavor])
    settings['server_id'] = 1
    for version in SUPPORTED[flavor]:
        assert adapter(flavor).validate_settings(settings, version) == (settings, []), version


def test_postgresql_cluster_role_settings_pass_the_catalog():
    settings = dict(_role_defaults('postgresql_cluster')['postgresql_cluster_replication_settings'])
    settings['synchronous_standby_names'] = 'ANY 1 ("standby1")'
    for version in SUPPORTED['postgres']:
        assert adapter('postgres').validate_settings(settings, version) == (settings, []), version


# --- end-of-life dates (lifecycle.py) ------------------------------------------------------------
@pytest.mark.parametrize('engine, version, end_of_life', [
    ('mysql', (8, 4, 6), '2032-04-30'),
    ('mysql', (9, 7, 0), '2034-04-30'),      # GA April 2026 + 5 years premier + 3 years extended
    ('mariadb', (10, 11, 14), '2028-02-16'),
    ('mariadb', (11, 4, 8), '2029-05-29'),
    ('mariadb', (11, 8, 3), '2028-06-04'),
    ('postgres', (15, 14), '2027-11-11'),
    ('postgres', (16, 10), '2028-11-09'),
    ('postgres', (17, 6), '2029-11-08'),
    ('postgres', (18, 1), '2030-11-14'),
    ('mongodb', (7, 0, 24), '2027-08-31'),
    ('mongodb', (8, 0, 12), '2029-10-31'),
])
def test_supported_lines_have_their_end_of_life(engine, version, end_of_life):
    status = lifecycle.support_status(engine, version, today=datetime.date(2026, 9, 1))
    assert status['end_of_life'] == end_of_life
    assert status['status'] == 'supported'


@pytest.mark.parametrize('engine, version, end_of_life', [
    ('mysql', (8, 0, 44), '2026-04-30'),     # Oracle: Extended Support for 8.0 ended April 2026
    ('mariadb', (10, 6, 23), '2026-07-06'),
    ('postgres', (13, 22), '2025-11-13'),
    ('mongodb', (6, 0, 26), '2025-07-31'),
])
def test_ended_lines_report_end_of_life(engine, version, end_of_life):
    status = lifecycle.support_status(engine, version, today=datetime.date(2026, 9, 1))
    assert (status['end_of_life'], status['status']) == (end_of_life, 'end-of-life')


@pytest.mark.parametrize('engine, version', [('mysql', (9, 6, 0)), ('mariadb', (11, 7, 2)), ('mongodb', (8, 2, 1))])
def test_short_lived_releases_are_unknown(engine, version):
    # Innovation / short-term / rapid releases have no entry: 'unknown', never a made-up date.
    assert lifecycle.support_status(engine, version)['status'] == 'unknown'


def test_end_of_life_dates_are_dates():
    for series in lifecycle.END_OF_LIFE.values():
        for text in series.values():
            datetime.datetime.strptime(text, '%Y-%m-%d')
