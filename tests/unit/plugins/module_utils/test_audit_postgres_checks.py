# -*- coding: utf-8 -*-
"""The PostgreSQL checks on facts shaped like audit_postgres.collect() returns.

HEALTHY facts describe a well-tuned PostgreSQL 15 in a 2 GiB / 2 CPU container
(settings = what db_container derives for it): every check stays quiet on them.
MUTATIONS breaks one thing per check; the check must fire with its severity and
name the concrete value in its recommendation or fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import audit as audit_postgres
from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import tuning as postgres_tuning
from ansible_collections.dbops.containers.plugins.module_utils.audit.core import run_checks
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import setting_fix
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.security import hba_scope
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.table import CHECKS
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.adapter import PostgresAdapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, KIB, MIB
from ansible_collections.dbops.containers.plugins.module_utils.tuning import SIZE, Resources

MEMORY = 2 * GIB
CPUS = 2
VERSION = (15, 4)
BY_ID = dict((check.id, check) for check in CHECKS)


# --- the healthy server ------------------------------------------------------------
def recommended_for(memory, cpus, version=VERSION, profile='oltp'):
    """What audit.Auditor._recommended gives: formatted settings plus '<name>_bytes' for sizes."""
    adapter = PostgresAdapter()
    derived = tuning.derive(postgres_tuning.POSTGRES_RULES, Resources(memory, cpus, profile, version))
    recommended = adapter.format_settings(derived)
    kinds = adapter.kinds()
    for name, value in derived.items():
        if kinds.get(name) == SIZE:
            recommended[name + '_bytes'] = value
    return recommended


def pg(value, unit=None, source='configuration file'):
    """One pg_settings row as collect() keeps it."""
    return {'setting': str(value), 'unit': unit, 'source': source, 'boot_val': str(value)}


def size_setting(size, unit):
    return pg(size // audit_postgres.SETTING_UNITS[unit], unit)


def healthy_settings(recommended):
    def bytes_of(name):
        return recommended[name + '_bytes']

    settings = {
        'shared_buffers': size_setting(bytes_of('shared_buffers'), '8kB'),
        'effective_cache_size': size_setting(bytes_of('effective_cache_size'), '8kB'),
        'wal_buffers': size_setting(bytes_of('wal_buffers'), '8kB'),
        'work_mem': size_setting(bytes_of('work_mem'), 'kB'),
        'maintenance_work_mem': size_setting(bytes_of('maintenance_work_mem'), 'kB'),
        'max_wal_size': size_setting(bytes_of('max_wal_size'), 'MB'),
        'min_wal_size': size_setting(bytes_of('min_wal_size'), 'MB'),
        'max_connections': pg(recommended['max_connections']),
        'superuser_reserved_connections': pg(3),
        'checkpoint_completion_target': pg(0.9),
        'random_page_cost': pg(1.1),
        'effective_io_concurrency': pg(200),
        'jit': pg('off'),
        'huge_pages': pg('try', source='default'),
        'idle_in_transaction_session_timeout': pg(600000, 'ms'),
        'track_io_timing': pg('on'),
        'track_counts': pg('on', source='default'),
        'log_min_duration_statement': pg(1000, 'ms'),
        'log_checkpoints': pg('on'),
        'log_lock_waits': pg('on'),
        'log_temp_files': pg(0, 'kB'),
        'password_encryption': pg('scram-sha-256'),
        'listen_addresses': pg('*'),
        'ssl': pg('on'),
        'autovacuum': pg('on', source='default'),
        'synchronous_standby_names': pg('', source='default'),
        'primary_conninfo': pg('', source='default'),
        'hot_standby_feedback': pg('off', source='default'),
        'fsync': pg('on', source='default'),
        'full_page_writes': pg('on', source='default'),
        'synchronous_commit': pg('on', source='default'),
        'data_checksums': pg('on', source='override'),
        'shared_preload_libraries': pg('pg_stat_statements'),
    }
    return settings


def table(name, **values):
    row = {'schemaname': 'public', 'relname': name, 'seq_scan': 5, 'seq_tup_read': 5000, 'idx_scan': 100000,
           'n_live_tup': 100000, 'n_dead_tup': 500, 'n_mod_since_analyze': 100, 'n_tup_ins': 100000,
           'n_tup_upd': 2000, 'n_tup_del': 100, 'last_vacuum': None, 'last_autovacuum': '2026-11-20T10:00:00+00:00',
           'last_analyze': None, 'last_autoanalyze': '2026-11-20T10:00:01+00:00', 'total_bytes': 50 * MIB}
    row.update(values)
    return row


def index(name, columns, idx_scan=1000, table_name='orders', **values):
    row = {'schemaname': 'public', 'relname': table_name, 'indexrelname': name, 'idx_scan': idx_scan,
           'size_bytes': 2 * MIB, 'unique': False, 'primary': False, 'exclusion': False, 'valid': True,
           'method': 'btree', 'expression': False, 'columns': list(columns), 'predicate': None}
    row.update(values)
    return row


def hba(line, kind, address, method, netmask=None, database='all', user='all', error=None):
    return {'line_number': line, 'type': kind, 'database': [database], 'user_name': [user], 'address': address,
            'netmask': netmask, 'auth_method': method, 'error': error}


def statement(query, mean_ms=3.5, calls=10000, temp_blks_written=0):
    return {'datname': 'app', 'rolname': 'app', 'queryid': 4242, 'query': query, 'calls': calls,
            'total_ms': mean_ms * calls, 'mean_ms': mean_ms, 'rows': calls, 'shared_blks_hit': 100000,
            'shared_blks_read': 10, 'temp_blks_read': 0, 'temp_blks_written': temp_blks_written}


def healthy_facts():
    recommended = recommended_for(MEMORY, CPUS)
    indexes = [index('orders_pkey', ['id'], idx_scan=90000, unique=True, primary=True),
               index('orders_customer_idx', ['customer_id'], idx_scan=10000),
               index('orders_status_created_idx', ['status', 'created_at'], idx_scan=50)]
    facts = {
        'engine': 'postgres', 'version': VERSION, 'version_num': 150004,
        'version_string': 'PostgreSQL 15.4 on x86_64-pc-linux-gnu', 'database': 'app',
        'settings': healthy_settings(recommended),
        'database_stats': {'blks_hit': 10000000, 'blks_read': 10000, 'temp_files': 0, 'temp_bytes': 0,
                           'deadlocks': 0, 'xact_commit': 100000, 'xact_rollback': 100, 'conflicts': 0},
        'connections': {'total': 20, 'by_state': {'active': 5, 'idle': 15}, 'idle_in_transaction': 0,
                        'idle_in_transaction_old': 0, 'oldest_xact_age_s': 2.0,
                        'oldest_xact': {'pid': 4711, 'usename': 'app', 'datname': 'app', 'state': 'active',
                                        'age_s': 2.0}},
        'prepared_xacts': {'count': 0, 'oldest_s': 0},
        'tables': [table('orders'), table('customers', n_live_tup=5000, total_bytes=2 * MIB)],
        'indexes': indexes,
        'redundant_indexes': audit_postgres.find_redundant_indexes(indexes),
        'statements': [statement('SELECT * FROM orders WHERE id = $1', mean_ms=0.2),
                       statement('UPDATE orders SET status = $1 WHERE id = $2', mean_ms=1.5)],
        'pg_stat_statements': {'preloaded': True, 'installed': True, 'version': '1.10'},
        'hba': [hba(1, 'local', None, 'peer'), hba(2, 'host', '127.0.0.1', 'scram-sha-256', '255.255.255.255'),
                hba(3, 'host', '10.0.0.0', 'scram-sha-256', '255.255.255.0', database='app', user='app')],
        'roles': {'superusers': ['postgres'], 'superuser_count': 1, 'login_without_password': [],
                  'md5_passwords': []},
        'replication': {'in_recovery': False, 'replicas': [], 'slots': [], 'wal_receiver': None},
        'wraparound': {'database': 'app', 'max_age': 50000000},
        'checkpoints': {'timed': 500, 'requested': 5, 'backend_fsync': 0, 'source': 'pg_stat_bgwriter'},
        'uptime_s': 30 * 86400.0,
        'data_size': GIB,
        'notes': [],
        # Added by audit.Auditor:
        'limits': {'memory': MEMORY, 'cpus': CPUS, 'source': 'cgroup v2'},
        'support': {'series': '15', 'end_of_life': '2027-11-11', 'status': 'supported', 'days_left': 352},
        'default_image': 'postgres:17',
        'recommended': recommended,
    }
    return facts


# --- mutations: one broken thing per check ---------------------------------------------
def set_setting(name, value, unit=None):
    def mutate(facts):
        facts['settings'][name] = pg(value, unit)
    return mutate


def set_size(name, size, unit):
    def mutate(facts):
        facts['settings'][name] = size_setting(size, unit)
    return mutate


def update(path, **values):
    """Update facts[path[0]][path[1]]... with values."""
    def mutate(facts):
        target = facts
        for key in path:
            target = target[key]
        target.update(values)
    return mutate


def combine(*mutations):
    def mutate(facts):
        for one in mutations:
            one(facts)
    return mutate


def add(key, row):
    def mutate(facts):
        facts[key].append(row)
    return mutate


def add_index(row):
    def mutate(facts):
        facts['indexes'].append(row)
        facts['redundant_indexes'] = audit_postgres.find_redundant_indexes(facts['indexes'])
    return mutate


def set_fact(key, value):
    def mutate(facts):
        facts[key] = value
    return mutate


def on_table(name, **values):
    def mutate(facts):
        [row for row in facts['tables'] if row['relname'] == name][0].update(values)
    return mutate


def standby(**receiver):
    return combine(update(('replication',), in_recovery=True, wal_receiver=receiver or None),
                   set_setting('primary_conninfo', 'host=primary user=replicator'))


def replica(name, lag, sync_state='async'):
    return {'application_name': name, 'client_addr': '10.0.0.7', 'state': 'streaming', 'sync_state': sync_state,
            'replay_lag_bytes': lag, 'replay_lag_s': 1.0}


def slot(name, retained, active=False):
    return {'slot_name': name, 'slot_type': 'physical', 'database': None, 'active': active,
            'retained_bytes': retained}


# check id -> (mutation, expected severity, {finding field: text it must contain})
MUTATIONS = {
    'postgres.memory.shared_buffers_small': (
        set_size('shared_buffers', 128 * MIB, '8kB'), 'warning',
        {'current': '128MB', 'recommended': '512MB', 'fix': 'settings: {shared_buffers: 512MB}'}),
    'postgres.memory.shared_buffers_large': (
        set_size('shared_buffers', GIB, '8kB'), 'warning', {'current': '1GB', 'recommended': '512MB'}),
    'postgres.memory.effective_cache_size_low': (
        set_size('effective_cache_size', 512 * MIB, '8kB'), 'warning',
        {'recommended': '1536MB', 'fix': "effective_cache_size = '1536MB'"}),
    'postgres.memory.work_mem_high': (
        set_size('work_mem', 8 * MIB, 'kB'), 'warning', {'current': '8MB', 'recommended': '2MB'}),
    'postgres.memory.work_mem_low': (
        combine(set_size('work_mem', MIB, 'kB'), update(('database_stats',), temp_files=10, temp_bytes=50 * MIB)),
        'warning', {'recommended': '2MB', 'fix': "work_mem = '2MB'"}),
    'postgres.memory.maintenance_work_mem_low': (
        set_size('maintenance_work_mem', 16 * MIB, 'kB'), 'warning', {'recommended': '128MB'}),
    'postgres.memory.wal_buffers_small': (
        set_size('wal_buffers', 4 * MIB, '8kB'), 'info', {'recommended': '16MB', 'fix': 'restart'}),
    'postgres.memory.huge_pages': (
        update(('limits',), memory=64 * GIB), 'info', {'recommended': 'on', 'fix': 'vm.nr_hugepages'}),
    'postgres.wal.max_wal_size_small': (
        combine(set_size('max_wal_size', GIB, 'MB'), update(('checkpoints',), timed=100, requested=80)),
        'warning', {'current': '1GB', 'recommended': '8GB', 'fix': "max_wal_size = '8GB'"}),
    'postgres.wal.checkpoint_completion_target': (
        set_setting('checkpoint_completion_target', 0.5), 'info',
        {'recommended': '0.9', 'fix': 'checkpoint_completion_target = 0.9; SELECT pg_reload_conf()'}),
    'postgres.wal.backend_fsync': (
        update(('checkpoints',), backend_fsync=12), 'warning', {'current': '12', 'fix': 'write latency'}),
    'postgres.planner.random_page_cost': (
        set_setting('random_page_cost', 4), 'info', {'recommended': '1.1', 'fix': 'random_page_cost = 1.1'}),
    'postgres.planner.effective_io_concurrency': (
        set_setting('effective_io_concurrency', 1), 'info', {'recommended': '200'}),
    'postgres.planner.jit_oltp': (set_setting('jit', 'on'), 'info', {'recommended': 'off', 'fix': "jit = 'off'"}),
    'postgres.connections.max_connections_high': (
        set_setting('max_connections', 1000), 'warning',
        {'current': '1000', 'recommended': '256', 'fix': 'restart'}),
    'postgres.connections.near_limit': (
        update(('connections',), total=205), 'warning',
        {'current': '205 of 256', 'recommended': 'PgBouncer', 'fix': 'max_connections 256 is already'}),
    'postgres.connections.idle_in_transaction': (
        update(('connections',), idle_in_transaction=3, idle_in_transaction_old=2), 'warning',
        {'current': '2 sessions', 'evidence': 'idle_in_transaction_session_timeout = 600000ms',
         'fix': "idle_in_transaction_session_timeout = '10min'"}),
    'postgres.connections.long_transactions': (
        update(('connections',), oldest_xact_age_s=7200.0), 'warning',
        {'current': '2.0 h', 'fix': 'pg_terminate_backend(4711)'}),
    'postgres.connections.prepared_transactions': (
        update(('prepared_xacts',), count=1, oldest_s=7200.0), 'warning', {'fix': 'ROLLBACK PREPARED'}),
    'postgres.cache.hit_ratio': (
        update(('database_stats',), blks_read=500000), 'warning',
        {'current': '95.24%', 'fix': "raise the container's memory limit"}),
    'postgres.temp.files': (
        update(('database_stats',), temp_files=100, temp_bytes=2 * GIB), 'warning',
        {'current': '2GB', 'fix': 'work_mem'}),
    'postgres.database.deadlocks': (
        update(('database_stats',), deadlocks=5), 'warning', {'current': '5 deadlocks', 'fix': 'same order'}),
    'postgres.database.rollback_ratio': (
        update(('database_stats',), xact_rollback=20000), 'warning', {'current': '16.7%'}),
    'postgres.indexes.seq_scans': (
        add('tables', table('events', seq_scan=20, seq_tup_read=400000, idx_scan=0, n_live_tup=20000)),
        'warning', {'current': 'public.events', 'evidence': 'public.events',
                    'fix': 'CREATE INDEX CONCURRENTLY ON public.events ('}),
    'postgres.indexes.unused': (
        add_index(index('orders_never_used', ['customer_name'], idx_scan=0)), 'info',
        {'current': 'public.orders_never_used', 'fix': 'DROP INDEX CONCURRENTLY public.orders_never_used'}),
    'postgres.indexes.duplicate': (
        add_index(index('orders_status_idx', ['status'])), 'warning',
        {'current': 'public.orders_status_idx (redundant of orders_status_created_idx)',
         'fix': 'DROP INDEX CONCURRENTLY public.orders_status_idx'}),
    'postgres.indexes.invalid': (
        add_index(index('orders_broken_idx', ['note'], valid=False)), 'warning',
        {'fix': 'REINDEX INDEX CONCURRENTLY public.orders_broken_idx'}),
    'postgres.vacuum.dead_tuples': (
        on_table('orders', n_dead_tup=50000), 'warning',
        {'current': 'public.orders (33% dead', 'fix': 'VACUUM (VERBOSE, ANALYZE) public.orders'}),
    'postgres.vacuum.autovacuum_off': (
        set_setting('autovacuum', 'off'), 'critical', {'recommended': 'on', 'fix': "autovacuum = 'on'"}),
    'postgres.vacuum.never_vacuumed': (
        on_table('orders', last_autoanalyze=None, n_mod_since_analyze=50000), 'warning',
        {'current': 'public.orders', 'fix': 'VACUUM (ANALYZE, VERBOSE) public.orders'}),
    'postgres.vacuum.wraparound': (
        update(('wraparound',), max_age=1200000000), 'warning', {'current': '1200000000', 'fix': 'FREEZE'}),
    'postgres.statements.extension_missing': (
        combine(set_setting('shared_preload_libraries', ''),
                update(('pg_stat_statements',), preloaded=False, installed=False), set_fact('statements', None)),
        'warning', {'fix': "shared_preload_libraries = 'pg_stat_statements'; then restart the server"}),
    'postgres.statements.slow': (
        add('statements', statement('SELECT * FROM events WHERE kind = $1', mean_ms=2500.0, calls=40)),
        'warning', {'current': '2500 ms x 40 calls', 'fix': 'EXPLAIN (ANALYZE, BUFFERS)'}),
    'postgres.statements.temp_blocks': (
        add('statements', statement('SELECT * FROM orders ORDER BY note', temp_blks_written=5000)), 'info',
        {'current': '5000 temp blocks', 'fix': "ALTER ROLE app SET work_mem = '64MB'"}),
    'postgres.logging.track_io_timing': (
        set_setting('track_io_timing', 'off'), 'info', {'fix': "track_io_timing = 'on'; SELECT pg_reload_conf()"}),
    'postgres.logging.slow_statements': (
        set_setting('log_min_duration_statement', -1, 'ms'), 'warning',
        {'recommended': '1s', 'fix': "log_min_duration_statement = '1s'"}),
    'postgres.logging.checkpoints': (set_setting('log_checkpoints', 'off'), 'info', {'fix': 'log_checkpoints'}),
    'postgres.logging.lock_waits': (set_setting('log_lock_waits', 'off'), 'info', {'fix': 'log_lock_waits'}),
    'postgres.logging.temp_files': (
        set_setting('log_temp_files', -1, 'kB'), 'info', {'recommended': '0', 'fix': 'log_temp_files = 0'}),
    'postgres.security.trust_remote': (
        add('hba', hba(9, 'host', '10.0.0.0', 'trust', '255.0.0.0')), 'critical',
        {'current': 'line 9: host all all 10.0.0.0 trust', 'recommended': 'scram-sha-256'}),
    'postgres.security.trust_local': (
        add('hba', hba(9, 'local', None, 'trust')), 'warning',
        {'current': 'line 9: local all all trust', 'fix': 'peer'}),
    'postgres.security.md5': (
        set_setting('password_encryption', 'md5'), 'warning',
        {'recommended': 'scram-sha-256', 'fix': "password_encryption = 'scram-sha-256'"}),
    'postgres.security.open_to_everyone': (
        add('hba', hba(9, 'host', '0.0.0.0', 'scram-sha-256', '0.0.0.0')), 'info', {'fix': 'line 9'}),
    'postgres.security.hba_errors': (
        add('hba', hba(9, 'host', '10.0.0.0', 'sha1', '255.0.0.0', error='invalid authentication method "sha1"')),
        'warning', {'current': 'line 9: invalid authentication method'}),
    'postgres.security.superusers': (
        update(('roles',), superusers=['admin', 'ops', 'postgres'], superuser_count=3), 'warning',
        {'current': '3 superusers', 'fix': 'ALTER ROLE admin NOSUPERUSER'}),
    'postgres.security.login_without_password': (
        update(('roles',), login_without_password=['reporting']), 'warning',
        {'current': 'reporting', 'fix': "ALTER ROLE reporting PASSWORD"}),
    'postgres.security.ssl_off': (set_setting('ssl', 'off'), 'info', {'recommended': 'on', 'fix': "ssl = 'on'"}),
    'postgres.replication.standby_not_streaming': (
        standby(), 'critical', {'current': 'not running', 'recommended': 'streaming'}),
    'postgres.replication.lag': (
        update(('replication',), replicas=[replica('standby1', 512 * MIB)]), 'warning',
        {'current': 'standby1 (512MB behind)'}),
    'postgres.replication.inactive_slots': (
        update(('replication',), slots=[slot('old_backup', GIB)]), 'warning',
        {'current': 'old_backup (1GB of WAL retained)',
         'fix': "pg_drop_replication_slot('old_backup') if its consumer is gone; and cap retention: "
                "settings: {max_slot_wal_keep_size: 32GB}"}),
    'postgres.replication.sync_standby_missing': (
        set_setting('synchronous_standby_names', 'standby1'), 'critical',
        {'current': "synchronous_standby_names = 'standby1'", 'fix': "synchronous_standby_names = ''"}),
    'postgres.replication.hot_standby_feedback': (
        combine(standby(status='streaming', last_msg_age_s=0.5), update(('database_stats',), conflicts=12)),
        'warning', {'recommended': 'on', 'fix': "hot_standby_feedback = 'on'"}),
    'postgres.durability.fsync_off': (set_setting('fsync', 'off'), 'critical', {'fix': "fsync = 'on'"}),
    'postgres.durability.full_page_writes_off': (
        set_setting('full_page_writes', 'off'), 'critical', {'fix': "full_page_writes = 'on'"}),
    'postgres.durability.synchronous_commit_off': (
        set_setting('synchronous_commit', 'off'), 'warning', {'fix': "synchronous_commit = 'on'"}),
    'postgres.durability.data_checksums': (
        set_setting('data_checksums', 'off'), 'info', {'fix': 'pg_checksums --enable'}),
    'postgres.server.uptime': (set_fact('uptime_s', 3600.0), 'info', {'current': '1.0 h'}),
}

# Past a limit a finding turns critical.
ESCALATIONS = [
    ('postgres.memory.shared_buffers_large', set_size('shared_buffers', 1600 * MIB, '8kB')),
    ('postgres.memory.work_mem_high', set_size('work_mem', 64 * MIB, 'kB')),
    ('postgres.connections.near_limit', update(('connections',), total=245)),
    ('postgres.connections.long_transactions', update(('connections',), oldest_xact_age_s=2 * 86400.0)),
    ('postgres.vacuum.wraparound', update(('wraparound',), max_age=1600000000)),
    ('postgres.replication.lag', update(('replication',), replicas=[replica('standby1', 40 * GIB)])),
    ('postgres.replication.inactive_slots', update(('replication',), slots=[slot('old_backup', 40 * GIB)])),
]


def mutated(mutation):
    facts = healthy_facts()
    mutation(facts)
    return facts


# --- the table itself -----------------------------------------------------------------
def test_there_are_at_least_40_checks_with_unique_ids():
    ids = [check.id for check in CHECKS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert all(i.startswith('postgres.') and i.count('.') == 2 for i in ids)


@pytest.mark.parametrize('check', CHECKS, ids=lambda c: c.id)
def test_every_check_is_documented(check):
    assert check.severity in ('critical', 'warning', 'info')
    assert check.title and check.rationale and check.source
    assert check.category == check.id.split('.')[1]


def test_every_check_has_a_mutation():
    assert sorted(MUTATIONS) == sorted(BY_ID)


def test_healthy_facts_give_no_findings():
    findings, skipped = run_checks(CHECKS, healthy_facts())
    assert findings == [] and skipped == []


# --- each check: quiet when healthy, fires when broken ---------------------------------------
@pytest.mark.parametrize('check_id', sorted(MUTATIONS))
def test_check_is_quiet_on_healthy_facts(check_id):
    assert BY_ID[check_id].evaluate(healthy_facts()) is None


@pytest.mark.parametrize('check_id', sorted(MUTATIONS))
def test_check_fires_with_a_concrete_fix(check_id):
    mutation, severity, expected = MUTATIONS[check_id]
    findings, skipped = run_checks([BY_ID[check_id]], mutated(mutation))
    assert skipped == []
    assert len(findings) == 1, check_id
    found = findings[0]
    assert found['severity'] == severity
    for field, text in expected.items():
        assert text in str(found[field]), (field, found[field])
    assert found['fix'] and found['evidence']


@pytest.mark.parametrize('check_id, mutation', ESCALATIONS, ids=[e[0] for e in ESCALATIONS])
def test_check_turns_critical_past_its_limit(check_id, mutation):
    findings, _skipped = run_checks([BY_ID[check_id]], mutated(mutation))
    assert [f['severity'] for f in findings] == ['critical']


# --- details of single checks -----------------------------------------------------------
def test_shared_buffers_128mb_in_2g_recommends_the_derived_512mb():
    result = BY_ID['postgres.memory.shared_buffers_small'].evaluate(
        mutated(set_size('shared_buffers', 128 * MIB, '8kB')))
    assert result['current'] == '128MB' and result['recommended'] == '512MB'
    assert 'restart' in result['fix'] and "ALTER SYSTEM SET shared_buffers = '512MB'" in result['fix']


def test_connections_critical_at_95_percent():
    check = BY_ID['postgres.connections.near_limit']
    assert check.evaluate(mutated(update(('connections',), total=240))).get('severity') is None
    assert check.evaluate(mutated(update(('connections',), total=241)))['severity'] == 'critical'


def test_connections_near_a_limit_below_the_memory_allowance_recommend_raising_it():
    facts = mutated(combine(set_setting('max_connections', 100), update(('connections',), total=90)))
    result = BY_ID['postgres.connections.near_limit'].evaluate(facts)
    assert result['recommended'] == 150 and 'ALTER SYSTEM SET max_connections = 150' in result['fix']


def test_cache_hit_ratio_with_small_shared_buffers_recommends_the_derived_value():
    facts = mutated(combine(set_size('shared_buffers', 128 * MIB, '8kB'),
                            update(('database_stats',), blks_read=500000)))
    assert 'settings: {shared_buffers: 512MB}' in BY_ID['postgres.cache.hit_ratio'].evaluate(facts)['fix']


def test_a_slot_reconnecting_with_little_wal_is_not_reported():
    facts = mutated(update(('replication',), slots=[slot('standby_slot', 8 * KIB)]))
    assert BY_ID['postgres.replication.inactive_slots'].evaluate(facts) is None


def test_slot_retention_cap_needs_postgres_13():
    facts = mutated(combine(set_fact('version', (12, 17)), update(('replication',), slots=[slot('old', GIB)])))
    assert 'max_slot_wal_keep_size' not in BY_ID['postgres.replication.inactive_slots'].evaluate(facts)['fix']


def test_extension_preloaded_but_not_installed_asks_only_for_create_extension():
    result = BY_ID['postgres.statements.extension_missing'].evaluate(
        mutated(update(('pg_stat_statements',), installed=False)))
    assert result['fix'] == 'CREATE EXTENSION pg_stat_statements (in database app)'


def test_extension_installed_but_not_preloaded_asks_only_for_the_preload():
    # A standby has the extension (replicated) and cannot CREATE EXTENSION.
    result = BY_ID['postgres.statements.extension_missing'].evaluate(
        mutated(combine(set_setting('shared_preload_libraries', ''), update(('pg_stat_statements',), preloaded=False))))
    assert 'CREATE EXTENSION' not in result['fix'] and "shared_preload_libraries = 'pg_stat_statements'" in result['fix']


def test_extension_fix_keeps_other_preloaded_libraries():
    facts = mutated(combine(set_setting('shared_preload_libraries', 'auto_explain'),
                            update(('pg_stat_statements',), preloaded=False)))
    fix = BY_ID['postgres.statements.extension_missing'].evaluate(facts)['fix']
    assert "shared_preload_libraries = 'auto_explain,pg_stat_statements'" in fix


def test_standby_restoring_from_an_archive_only_is_not_reported():
    facts = mutated(combine(standby(), set_setting('primary_conninfo', '')))
    assert BY_ID['postgres.replication.standby_not_streaming'].evaluate(facts) is None


def test_huge_pages_quiet_below_32g_and_when_on():
    check = BY_ID['postgres.memory.huge_pages']
    assert check.evaluate(mutated(update(('limits',), memory=16 * GIB))) is None
    assert check.evaluate(mutated(combine(update(('limits',), memory=64 * GIB), set_setting('huge_pages', 'on')))) \
        is None


def test_unused_index_ignores_unique_and_primary_indexes():
    facts = mutated(add_index(index('orders_email_key', ['email'], idx_scan=0, unique=True)))
    assert BY_ID['postgres.indexes.unused'].evaluate(facts) is None


def test_memory_checks_are_skipped_when_the_limit_is_unknown():
    facts = mutated(combine(set_fact('recommended', {}), update(('limits',), memory=None),
                            set_size('shared_buffers', 128 * MIB, '8kB')))
    findings, skipped = run_checks([BY_ID['postgres.memory.shared_buffers_small']], facts)
    assert findings == [] and skipped[0][0] == 'postgres.memory.shared_buffers_small'


def test_statement_checks_are_quiet_without_pg_stat_statements():
    facts = mutated(set_fact('statements', None))
    assert BY_ID['postgres.statements.slow'].evaluate(facts) is None
    assert BY_ID['postgres.statements.temp_blocks'].evaluate(facts) is None


def test_hba_checks_are_quiet_when_the_rules_are_unreadable():
    facts = mutated(set_fact('hba', None))
    for check_id in ('postgres.security.trust_remote', 'postgres.security.trust_local',
                     'postgres.security.open_to_everyone', 'postgres.security.hba_errors'):
        assert BY_ID[check_id].evaluate(facts) is None


@pytest.mark.parametrize('rule, scope', [
    (hba(1, 'local', None, 'trust'), 'local'),
    (hba(1, 'host', '127.0.0.1', 'trust', '255.255.255.255'), 'local'),
    (hba(1, 'host', '::1', 'trust', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), 'local'),
    (hba(1, 'host', 'samehost', 'trust'), 'local'),
    (hba(1, 'host', 'all', 'trust'), 'everywhere'),
    (hba(1, 'hostssl', '0.0.0.0', 'trust', '0.0.0.0'), 'everywhere'),
    (hba(1, 'host', '::', 'trust', '::'), 'everywhere'),
    (hba(1, 'host', '0.0.0.0', 'trust', '255.0.0.0'), 'network'),
    (hba(1, 'host', '10.0.0.0', 'trust', '255.0.0.0'), 'network'),
    (hba(1, 'host', 'samenet', 'trust'), 'network'),
    (hba(1, 'host', '.example.com', 'trust'), 'network'),
])
def test_hba_scope(rule, scope):
    assert hba_scope(rule) == scope


def test_setting_fix_says_when_a_restart_is_needed():
    assert setting_fix('work_mem', '2MB') == ("settings: {work_mem: 2MB} (db_container) or "
                                              "ALTER SYSTEM SET work_mem = '2MB'; SELECT pg_reload_conf()")
    assert 'restart the server' in setting_fix('max_connections', 256)
    assert 'ALTER SYSTEM SET max_connections = 256;' in setting_fix('max_connections', 256)


# --- the collector's pure parts ------------------------------------------------------------
def test_statements_sql_uses_exec_time_columns_from_13():
    for version_num in (130000, 150004, 170002):
        sql = audit_postgres.statements_sql(version_num, 'public')
        assert 's.total_exec_time AS total_ms' in sql and 's.mean_exec_time AS mean_ms' in sql
        assert 'ORDER BY s.total_exec_time DESC LIMIT 20' in sql


def test_statements_sql_uses_total_time_before_13():
    sql = audit_postgres.statements_sql(120017, '"my schema"')
    assert 's.total_time AS total_ms' in sql and 's.mean_time AS mean_ms' in sql
    assert 'exec_time' not in sql
    assert 'FROM "my schema".pg_stat_statements' in sql


def test_checkpoints_sql_reads_pg_stat_checkpointer_from_17():
    sql = audit_postgres.checkpoints_sql(170000)
    assert 'FROM pg_stat_checkpointer' in sql and 'num_timed AS timed' in sql and 'num_requested AS requested' in sql
    assert 'pg_stat_bgwriter' not in sql.split('FROM')[1]


def test_checkpoints_sql_reads_pg_stat_bgwriter_before_17():
    sql = audit_postgres.checkpoints_sql(160004)
    assert 'FROM pg_stat_bgwriter' in sql
    assert 'checkpoints_timed AS timed' in sql and 'checkpoints_req AS requested' in sql
    assert 'buffers_backend_fsync AS backend_fsync' in sql


def test_index_sql_counts_key_columns_only_from_11():
    assert 'i.indnkeyatts' in audit_postgres.indexes_sql(110000)
    assert 'i.indnkeyatts' not in audit_postgres.indexes_sql(100023)


def test_lag_is_measured_from_the_replayed_position_on_a_standby():
    assert audit_postgres.current_lsn_sql(True) == 'pg_last_wal_replay_lsn()'
    assert audit_postgres.current_lsn_sql(False) == 'pg_current_wal_lsn()'


@pytest.mark.parametrize('number, version', [(150004, (15, 4)), (170000, (17, 0)), (100023, (10, 23)),
                                             (90624, (9, 6, 24))])
def test_version_from_num(number, version):
    assert audit_postgres.version_from_num(number) == version


@pytest.mark.parametrize('row, size', [
    ({'setting': '16384', 'unit': '8kB'}, 128 * MIB),
    ({'setting': '4096', 'unit': 'kB'}, 4 * MIB),
    ({'setting': '1024', 'unit': 'MB'}, GIB),
    ({'setting': '-1', 'unit': '8kB'}, None),
    ({'setting': '100', 'unit': None}, None),
    ({'setting': '1000', 'unit': 'ms'}, None),
    ({'setting': '64', 'unit': 'kB'}, 64 * KIB),
])
def test_setting_bytes(row, size):
    assert audit_postgres.setting_bytes({'x': row}, 'x') == size


def test_preloaded_libraries():
    settings = {'shared_preload_libraries': {'setting': 'auto_explain, "pg_stat_statements"'}}
    assert audit_postgres.preloaded_libraries(settings) == ['auto_explain', 'pg_stat_statements']
    assert audit_postgres.preloaded_libraries({'shared_preload_libraries': {'setting': ''}}) == []


def test_redundant_indexes_respect_opclass_method_and_predicate():
    indexes = [index('a_idx', ['a']), index('a_b_idx', ['a', 'b']),
               index('a_pattern_idx', ['a text_pattern_ops']),
               index('a_partial_idx', ['a'], predicate='(a > 1)'),
               index('a_hash', ['a'], method='hash'), index('a_hash2', ['a'], method='hash'),
               index('b_gin', ['b'], method='gin'), index('b_c_gin', ['b', 'c'], method='gin'),
               index('c_broken', ['c'], valid=False), index('c_idx', ['c'])]
    found = dict((r['index'], (r['kind'], r['covered_by'])) for r in audit_postgres.find_redundant_indexes(indexes))
    assert found == {'a_idx': ('redundant', 'a_b_idx'), 'a_hash2': ('duplicate', 'a_hash')}


# --- connection and privileges ------------------------------------------------------------
class FakeCursor(object):
    """Answers the privilege queries collect() starts with."""

    def __init__(self, superuser, monitor, version_num=150004):
        self.superuser, self.monitor, self.version_num = superuser, monitor, version_num
        self.description, self._rows = None, []

    def execute(self, sql):
        if 'FROM pg_stat_database' in sql:  # the counters come first, before the audit adds to them
            self._answer(('blks_hit', 'blks_read'), (0, 0))
        elif 'server_version_num' in sql:
            self._answer(('num', 'text', 'db'), (self.version_num, 'PostgreSQL x', 'postgres'))
        elif 'rolsuper' in sql:
            self._answer(('name', 'superuser'), ('"app user"', self.superuser))
        elif 'pg_monitor' in sql:
            self._answer(('member',), (self.monitor,))
        else:
            raise AssertionError('collect() read %r before checking its privileges' % sql)

    def _answer(self, columns, row):
        self.description = [(c,) for c in columns]
        self._rows = [row]

    def fetchall(self):
        return self._rows

    def close(self):
        pass


class FakeConnection(object):
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def cursor(self):
        return FakeCursor(**self.kwargs)


def test_collect_refuses_a_user_without_pg_monitor():
    with pytest.raises(DbopsError) as error:
        audit_postgres.collect(FakeConnection(superuser=False, monitor=False))
    assert error.value.parameter == 'login_user'
    assert 'GRANT pg_monitor TO "app user"' in error.value.message


def test_collect_refuses_postgres_older_than_10():
    with pytest.raises(DbopsError) as error:
        audit_postgres.collect(FakeConnection(superuser=True, monitor=True, version_num=90624))
    assert 'PostgreSQL 10 or later' in error.value.message


def test_adapter_exposes_the_audit_hooks():
    collect, checks = PostgresAdapter().audit_hooks()
    assert collect is audit_postgres.collect and checks is CHECKS


def test_connect_maps_a_bad_password_to_login_password(monkeypatch):
    psycopg2 = pytest.importorskip('psycopg2')

    def refuse(**kwargs):
        assert kwargs['application_name'] == 'dbops-tune-report' and kwargs['dbname'] == 'postgres'
        raise psycopg2.OperationalError('connection to server failed: FATAL:  password authentication failed '
                                        'for user "postgres"')
    monkeypatch.setattr(psycopg2, 'connect', refuse)
    with pytest.raises(DbopsError) as error:
        PostgresAdapter.connect('db.example', 5432, 'postgres', 'wrong', None, 3)
    assert error.value.parameter == 'login_password'


def test_connect_maps_a_closed_port_to_login_port(monkeypatch):
    psycopg2 = pytest.importorskip('psycopg2')

    def refuse(**kwargs):
        raise psycopg2.OperationalError('connection to server at "db.example", port 5433 failed: Connection refused')
    monkeypatch.setattr(psycopg2, 'connect', refuse)
    with pytest.raises(DbopsError) as error:
        PostgresAdapter.connect('db.example', 5433, 'postgres', 'pw', 'app', 3)
    # The host answered, nothing listens on that port (common/login_errors.py tells the causes apart).
    assert error.value.parameter == 'login_port'
    assert 'nothing accepts connections at db.example:5433' in error.value.message
    assert 'check login_port' in error.value.message
