# -*- coding: utf-8 -*-
"""The MySQL and MariaDB checks on facts shaped like audit_mysql.collect() returns.

healthy('mariadb') is a well-tuned MariaDB 10.11 and healthy('mysql') a MySQL 8.4,
both in a 4 GiB / 2 CPU container with what db_container derives for those limits;
the '-replica' variants are healthy replicas of them. Every check stays quiet on
all four. CASES breaks one thing at a time: the check must fire with the expected
severity and name the concrete setting or statement in its recommendation or fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import audit as audit_mysql
from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import tuning as mysql_tuning
from ansible_collections.dbops.containers.plugins.module_utils.audit.auditor import Auditor
from ansible_collections.dbops.containers.plugins.module_utils.audit.core import SEVERITIES, run_checks
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import setting_fix
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.schema import integer_max
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.table import CHECKS
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB
from ansible_collections.dbops.containers.plugins.module_utils.tuning import SIZE, Resources

MEMORY = 4 * GIB
CPUS = 2
VERSIONS = {'mariadb': (10, 11, 9), 'mysql': (8, 4, 3)}
RULES = {'mariadb': mysql_tuning.MARIADB_RULES, 'mysql': mysql_tuning.MYSQL_RULES}
BY_ID = dict((check.id, check) for check in CHECKS)
BASES = ('mariadb', 'mysql', 'mariadb-replica', 'mysql-replica')


# --- the healthy servers -------------------------------------------------------------
def recommended_for(engine, version, memory=MEMORY, cpus=CPUS, profile='oltp'):
    """As audit.Auditor._recommended: formatted derived settings plus '<name>_bytes' for sizes."""
    adapter = get_adapter(engine)
    derived = tuning.derive(RULES[engine], Resources(memory, cpus, profile, version))
    recommended = adapter.format_settings(derived)
    kinds = adapter.kinds()
    for name, value in derived.items():
        if kinds.get(name) == SIZE:
            recommended[name + '_bytes'] = value
    return recommended


def common_variables(recommended):
    """SHOW GLOBAL VARIABLES values both servers share (strings, as the server returns them)."""
    def size(name):
        return str(recommended[name + '_bytes'])
    return {
        'innodb_buffer_pool_size': size('innodb_buffer_pool_size'),
        'innodb_log_buffer_size': size('innodb_log_buffer_size'),
        'key_buffer_size': str(8 * MIB),
        'join_buffer_size': '262144', 'read_buffer_size': '131072', 'read_rnd_buffer_size': '262144',
        'binlog_cache_size': '32768',
        'tmp_table_size': size('tmp_table_size'), 'max_heap_table_size': size('max_heap_table_size'),
        'max_connections': str(recommended['max_connections']),
        'thread_cache_size': str(recommended['thread_cache_size']),
        'thread_handling': 'one-thread-per-connection',
        'innodb_flush_log_at_trx_commit': '1', 'sync_binlog': '1', 'innodb_doublewrite': 'ON',
        'log_bin': 'ON', 'binlog_format': 'ROW', 'binlog_expire_logs_seconds': '604800',
        'max_binlog_size': '1073741824', 'max_relay_log_size': '0',
        'innodb_file_per_table': 'ON', 'innodb_stats_on_metadata': 'OFF', 'innodb_strict_mode': 'ON',
        'innodb_max_dirty_pages_pct': '90.000000', 'innodb_flush_method': 'O_DIRECT',
        'innodb_buffer_pool_dump_at_shutdown': 'ON', 'innodb_buffer_pool_load_at_startup': 'ON',
        'innodb_print_all_deadlocks': 'ON',
        'open_files_limit': '65536',
        'slow_query_log': 'ON', 'slow_query_log_file': '/var/log/mysql/slow.log', 'long_query_time': '1.000000',
        'log_queries_not_using_indexes': 'OFF',
        'general_log': 'OFF', 'general_log_file': '/var/lib/mysql/db.log',
        'performance_schema': 'ON',
        'skip_name_resolve': 'ON', 'local_infile': 'OFF', 'secure_file_priv': '/var/lib/mysql-files/',
        'max_connect_errors': '1000', 'host_cache_size': '279',
        'wait_timeout': '600', 'interactive_timeout': '600', 'max_allowed_packet': '67108864',
        'character_set_server': 'utf8mb4',
        'server_id': '1', 'read_only': 'OFF', 'relay_log_recovery': 'OFF',
    }


def mariadb_variables(recommended):
    variables = common_variables(recommended)
    variables.update({
        'sort_buffer_size': '2097152', 'thread_stack': '299008',
        'innodb_log_file_size': str(recommended['innodb_log_file_size_bytes']),
        'expire_logs_days': '7.000000',
        'innodb_io_capacity': '200',
        'table_open_cache': '2000', 'table_definition_cache': '1400',
        'collation_server': 'utf8mb4_unicode_ci',
        'sql_mode': 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION',
        'query_cache_type': 'OFF', 'query_cache_size': '1048576',
        'innodb_change_buffering': 'none',
        'log_slave_updates': 'OFF', 'gtid_strict_mode': 'ON', 'slave_parallel_threads': '0',
        'old_passwords': 'OFF', 'have_ssl': 'YES',
    })
    return variables


def mysql_variables(recommended):
    variables = common_variables(recommended)
    variables.update({
        'sort_buffer_size': '262144', 'thread_stack': '1048576',
        'innodb_redo_log_capacity': str(recommended['innodb_redo_log_capacity_bytes']),
        'innodb_log_file_size': '50331648',
        'innodb_buffer_pool_instances': str(recommended['innodb_buffer_pool_instances']),
        'innodb_io_capacity': '10000',
        'table_open_cache': '4000', 'table_definition_cache': '2000',
        'collation_server': 'utf8mb4_0900_ai_ci',
        'sql_mode': 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,'
                    'ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
        'internal_tmp_mem_storage_engine': 'TempTable',
        'log_throttle_queries_not_using_indexes': '0',
        'gtid_mode': 'ON', 'enforce_gtid_consistency': 'ON',
        'log_replica_updates': 'ON', 'log_slave_updates': 'ON', 'replica_parallel_workers': '4',
        'super_read_only': 'OFF',
        'authentication_policy': '*,,', 'ssl_cert': 'server-cert.pem',
    })
    return variables


def healthy_status(engine):
    status = {
        'uptime': '1209600', 'questions': '200000000', 'slow_queries': '20000',
        'innodb_buffer_pool_read_requests': '5000000000', 'innodb_buffer_pool_reads': '200000',
        'innodb_buffer_pool_pages_total': '131072', 'innodb_buffer_pool_pages_dirty': '3000',
        'innodb_buffer_pool_wait_free': '0', 'innodb_log_waits': '0',
        'innodb_row_lock_waits': '150', 'innodb_row_lock_time_avg': '12',
        'max_used_connections': '25', 'connections': '50000', 'aborted_connects': '12', 'aborted_clients': '40',
        'threads_created': '60', 'threads_connected': '12', 'threads_running': '2',
        'table_open_cache_hits': '90000000', 'table_open_cache_misses': '3000',
        'opened_tables': '3000', 'open_tables': '900', 'open_files': '60',
        'open_table_definitions': '150', 'opened_table_definitions': '200',
        'table_locks_waited': '0', 'table_locks_immediate': '500000',
        'created_tmp_tables': '200000', 'created_tmp_disk_tables': '2000',
        'sort_merge_passes': '10', 'sort_scan': '50000', 'sort_range': '150000',
        'select_full_join': '0',
        'handler_read_first': '10000', 'handler_read_key': '400000000', 'handler_read_last': '100',
        'handler_read_next': '300000000', 'handler_read_prev': '1000', 'handler_read_rnd': '100000',
        'handler_read_rnd_next': '5000000',
        'key_read_requests': '1000', 'key_reads': '10',
        'binlog_cache_use': '1000000', 'binlog_cache_disk_use': '120',
    }
    if engine == 'mariadb':
        status.update({'innodb_deadlocks': '2', 'innodb_history_list_length': '40', 'qcache_lowmem_prunes': '0'})
    return status


def table(name, rows, data_mb, index_mb, free_mb=0, engine='InnoDB'):
    return {'schema': 'app', 'table': name, 'engine': engine, 'rows': rows, 'data_length': data_mb * MIB,
            'index_length': index_mb * MIB, 'data_free': free_mb * MIB}


def index(table_name, name, columns, unique=False):
    return {'schema': 'app', 'table': table_name, 'index': name, 'columns': columns,
            'unique': unique or name == 'PRIMARY', 'primary': name == 'PRIMARY', 'predicate': None}


def statement(digest, calls, seconds, examined, sent, no_index=0, tmp_disk=0):
    return {'schema': 'app', 'digest_text': digest, 'count_star': calls, 'total_s': seconds,
            'avg_s': seconds / calls, 'sum_rows_examined': examined, 'sum_rows_sent': sent,
            'sum_no_index_used': no_index, 'sum_created_tmp_disk_tables': tmp_disk}


def account(user, host, plugin, empty_password=False, locked=False):
    return {'user': user, 'host': host, 'plugin': plugin, 'locked': locked, 'empty_password': empty_password}


def healthy(base='mariadb'):
    engine = base.split('-')[0]
    version = VERSIONS[engine]
    recommended = recommended_for(engine, version)
    variables = mariadb_variables(recommended) if engine == 'mariadb' else mysql_variables(recommended)
    plugin = 'mysql_native_password' if engine == 'mariadb' else 'caching_sha2_password'
    tables = [table('orders', 250000, 64, 32, 4), table('customers', 20000, 4, 2),
              table('order_items', 900000, 96, 48, 8)]
    indexes = [index('orders', 'PRIMARY', ['id']), index('orders', 'idx_customer', ['customer_id']),
               index('customers', 'PRIMARY', ['id']), index('customers', 'idx_email', ['email'], unique=True),
               index('order_items', 'PRIMARY', ['id']), index('order_items', 'idx_order', ['order_id'])]
    facts = {
        'engine': engine, 'version': version, 'version_string': '.'.join(str(p) for p in version),
        'variables': variables, 'status': healthy_status(engine), 'notes': [],
        'tables': tables, 'indexes': indexes, 'redundant_indexes': [], 'tables_without_primary_key': [],
        'data_size': sum(t['data_length'] for t in tables), 'index_size': sum(t['index_length'] for t in tables),
        'performance_schema': True,
        'index_usage': [{'schema': i['schema'], 'table': i['table'], 'index': i['index'], 'count_star': 90000,
                         'count_read': 90000} for i in indexes],
        'full_scans': [],
        'statements': [
            statement('SELECT * FROM `orders` WHERE `customer_id` = ?', 500000, 120.0, 2500000, 2500000),
            statement('INSERT INTO `order_items` VALUES (...)', 900000, 80.0, 0, 0),
            statement('SELECT * FROM `customers` WHERE `email` = ?', 200000, 20.0, 200000, 200000),
        ],
        'accounts': [account('root', 'localhost', plugin), account('root', '172.18.0.%', plugin),
                     account('app', '%', plugin)],
        'replication': [],
        'innodb_metrics': {'lock_deadlocks': 2, 'trx_rseg_history_len': 40},
        'innodb_transactions': [{'thread_id': 812, 'state': 'RUNNING', 'age_s': 0, 'rows_locked': 1}],
        'auto_increment': [{'schema': 'app', 'table': 'orders', 'column': 'id', 'column_type': 'int(11)',
                            'auto_increment': 250001},
                           {'schema': 'app', 'table': 'order_items', 'column': 'id',
                            'column_type': 'bigint unsigned', 'auto_increment': 900001}],
        'limits': {'memory': MEMORY, 'cpus': float(CPUS), 'source': 'cgroup v2'},
        'recommended': recommended,
    }
    if base.endswith('-replica'):
        make_replica(facts)
    return facts


def make_replica(facts):
    variables = facts['variables']
    variables.update({'read_only': 'ON', 'relay_log_recovery': 'ON', 'server_id': '2'})
    if facts['engine'] == 'mariadb':
        variables['log_slave_updates'] = 'ON'
        row = {'connection_name': '', 'master_host': '10.0.0.5', 'slave_io_running': 'Yes',
               'slave_sql_running': 'Yes', 'seconds_behind_master': 0, 'using_gtid': 'Slave_Pos'}
    else:
        variables['super_read_only'] = 'ON'
        row = {'channel_name': '', 'source_host': '10.0.0.5', 'replica_io_running': 'Yes',
               'replica_sql_running': 'Yes', 'seconds_behind_source': 0, 'auto_position': 1}
    row.update({'relay_log_space': 50 * MIB, 'last_io_error': '', 'last_sql_error': '', 'last_error': ''})
    facts['replication'] = [row]


# --- mutations ------------------------------------------------------------------------
def setv(**values):
    def mutate(facts):
        facts['variables'].update(dict((k, None if v is None else str(v)) for k, v in values.items()))
    return mutate


def sets(**values):
    def mutate(facts):
        facts['status'].update(dict((k, str(v)) for k, v in values.items()))
    return mutate


def setf(**values):
    def mutate(facts):
        facts.update(copy.deepcopy(values))
    return mutate


def both(*mutations):
    def mutate(facts):
        for mutation in mutations:
            mutation(facts)
    return mutate


def add_account(*accounts):
    return lambda facts: facts['accounts'].extend(accounts)


def add_table(*tables):
    return lambda facts: facts['tables'].extend(tables)


def add_statement(row):
    return lambda facts: facts['statements'].insert(0, row)


def replica(**columns):
    return lambda facts: facts['replication'][0].update(columns)


def unused_index(facts):
    for usage in facts['index_usage']:
        if usage['index'] == 'idx_customer':
            usage['count_star'] = usage['count_read'] = 0


def fragment_orders(facts):
    facts['tables'][0]['data_free'] = 200 * MIB


def drop_cache_counters(facts):
    del facts['status']['table_open_cache_hits']
    del facts['status']['table_open_cache_misses']


def on_version(engine, version):
    """The server at another version, with what db_container derives for that version."""
    return setf(version=version, recommended=recommended_for(engine, version))


def orders_id_at(value):
    return lambda facts: facts['auto_increment'][0].update({'auto_increment': value})


# (check id, base server, mutation, expected severity, text the recommendation or fix must contain)
CASES = [
    ('mysql.memory.buffer_pool_small', 'mariadb', setv(innodb_buffer_pool_size=128 * MIB), 'critical',
     'innodb_buffer_pool_size: 2G'),
    ('mysql.memory.buffer_pool_large', 'mysql', setv(innodb_buffer_pool_size=3584 * MIB), 'warning',
     'SET PERSIST innodb_buffer_pool_size = 2G'),
    ('mysql.memory.worst_case', 'mariadb', sets(max_used_connections=200), 'warning', 'tmp_table_size: 64M'),
    ('mysql.memory.worst_case', 'mysql',
     both(sets(max_used_connections=200), lambda facts: facts['recommended'].pop('tmp_table_size')), 'warning',
     'lower tmp_table_size'),
    ('mysql.cache.buffer_pool_hit_ratio', 'mariadb', sets(innodb_buffer_pool_reads=500000000), 'warning',
     'innodb_buffer_pool_size: 2G'),
    ('mysql.connections.near_peak', 'mariadb', sets(max_used_connections=200), 'warning', 'max_connections: 300'),
    ('mysql.connections.aborted', 'mariadb', sets(aborted_connects=5000), 'warning', 'log_error_verbosity'),
    ('mysql.index.full_scans', 'mariadb',
     setf(full_scans=[{'schema': 'app', 'table': 'events', 'index': None, 'count_star': 500,
                       'count_read': 50000}]), 'warning', 'CREATE INDEX'),
    ('mysql.index.unused', 'mariadb', unused_index, 'info', 'DROP INDEX `idx_customer`'),
    ('mysql.index.duplicate', 'mariadb',
     setf(redundant_indexes=[{'schema': 'app', 'table': 'orders', 'index': 'idx_status', 'kind': 'prefix',
                              'covered_by': 'idx_status_customer'}]), 'warning', 'DROP INDEX `idx_status`'),
    ('mysql.schema.no_primary_key', 'mariadb', setf(tables_without_primary_key=['app.log']), 'warning',
     'ALTER TABLE app.log ADD PRIMARY KEY'),
    ('mysql.logging.general_log', 'mariadb', setv(general_log='ON'), 'warning', 'general_log: OFF'),
    ('mysql.security.anonymous', 'mariadb', add_account(account('', '%', '', empty_password=True)), 'critical',
     "DROP USER ''@'%'"),
    ('mysql.security.no_password', 'mariadb',
     add_account(account('backup', 'localhost', 'mysql_native_password', empty_password=True)), 'critical',
     "ALTER USER 'backup'@'localhost'"),
    # query cache, removed and deprecated settings
    ('mysql.cache.query_cache', 'mariadb', setv(query_cache_type='ON', query_cache_size=64 * MIB), 'warning',
     'query_cache_type: OFF'),
    ('mysql.config.expire_logs_days', 'mysql', both(setf(version=(8, 0, 40)), setv(expire_logs_days=7)),
     'warning', 'binlog_expire_logs_seconds: 604800'),
    ('mysql.config.deprecated_settings', 'mariadb', setv(innodb_change_buffering='all'), 'warning',
     'innodb_change_buffering: delete it'),
    ('mysql.config.deprecated_settings', 'mysql', both(setf(version=(8, 0, 40)), setv(master_info_repository='FILE')),
     'warning', 'master_info_repository: delete it'),
    # durability and the binary log
    ('mysql.durability.flush_log', 'mariadb', setv(innodb_flush_log_at_trx_commit=2), 'warning',
     'innodb_flush_log_at_trx_commit: 1'),
    ('mysql.durability.flush_log', 'mysql', setv(innodb_flush_log_at_trx_commit=0), 'critical',
     'SET PERSIST innodb_flush_log_at_trx_commit = 1'),
    ('mysql.durability.sync_binlog', 'mariadb', setv(sync_binlog=0), 'warning', 'sync_binlog: 1'),
    ('mysql.durability.doublewrite', 'mariadb', setv(innodb_doublewrite='OFF'), 'warning',
     'innodb_doublewrite: ON'),
    ('mysql.durability.doublewrite', 'mysql', setv(innodb_doublewrite='DETECT_ONLY'), 'warning',
     'SET PERSIST_ONLY innodb_doublewrite = ON'),
    ('mysql.binlog.disabled', 'mariadb', setv(log_bin='OFF'), 'warning', 'log_bin: mysql-bin'),
    ('mysql.binlog.format', 'mariadb', setv(binlog_format='MIXED'), 'warning', 'binlog_format: ROW'),
    ('mysql.binlog.expiry', 'mariadb', setv(binlog_expire_logs_seconds=0, expire_logs_days='0.000000'), 'warning',
     'binlog_expire_logs_seconds: 604800'),
    ('mysql.binlog.expiry', 'mysql', setv(binlog_expire_logs_seconds=3600), 'warning',
     'binlog_expire_logs_seconds: 604800'),
    ('mysql.binlog.expiry', 'mysql', setv(binlog_expire_logs_seconds=90 * 86400), 'info',
     'binlog_expire_logs_seconds: 604800'),
    ('mysql.binlog.cache_disk_use', 'mariadb', sets(binlog_cache_disk_use=300000), 'info',
     'binlog_cache_size: 128K'),
    # InnoDB
    ('mysql.innodb.redo_log_small', 'mariadb', setv(innodb_log_file_size=96 * MIB), 'warning',
     'SET GLOBAL innodb_log_file_size = 1G'),
    ('mysql.innodb.redo_log_small', 'mysql', setv(innodb_redo_log_capacity=100 * MIB), 'warning',
     'innodb_redo_log_capacity: 1G'),
    ('mysql.innodb.redo_log_small', 'mysql',
     both(on_version('mysql', (8, 0, 28)), setv(innodb_log_file_size=48 * MIB, innodb_log_files_in_group=2)),
     'warning', 'SET PERSIST_ONLY innodb_log_file_size = 512M, then restart'),
    ('mysql.innodb.log_file_size', 'mysql', setv(innodb_log_file_size=256 * MIB), 'info',
     'innodb_redo_log_capacity: 1G'),
    ('mysql.innodb.log_waits', 'mariadb', sets(innodb_log_waits=25), 'warning', 'innodb_log_buffer_size: 128M'),
    ('mysql.innodb.buffer_pool_wait_free', 'mariadb', sets(innodb_buffer_pool_wait_free=40), 'warning',
     'innodb_io_capacity: 1000'),
    ('mysql.innodb.buffer_pool_wait_free', 'mysql',
     both(setv(innodb_buffer_pool_size=GIB), sets(innodb_buffer_pool_wait_free=40)), 'warning',
     'innodb_buffer_pool_size: 2G'),
    ('mysql.innodb.buffer_pool_instances', 'mysql', setv(innodb_buffer_pool_instances=1), 'info',
     'innodb_buffer_pool_instances: 2'),
    ('mysql.innodb.file_per_table', 'mariadb', setv(innodb_file_per_table='OFF'), 'warning',
     'innodb_file_per_table: ON'),
    ('mysql.innodb.stats_on_metadata', 'mariadb', setv(innodb_stats_on_metadata='ON'), 'warning',
     'innodb_stats_on_metadata: OFF'),
    ('mysql.innodb.io_capacity', 'mariadb', sets(innodb_buffer_pool_pages_dirty=80000), 'info',
     'innodb_io_capacity: 1000'),
    ('mysql.innodb.flush_method', 'mariadb', setv(innodb_flush_method='fsync'), 'warning',
     'innodb_flush_method: O_DIRECT'),
    ('mysql.innodb.buffer_pool_warmup', 'mariadb', setv(innodb_buffer_pool_load_at_startup='OFF'), 'info',
     'innodb_buffer_pool_load_at_startup: ON'),
    ('mysql.innodb.strict_mode', 'mariadb', setv(innodb_strict_mode='OFF'), 'info', 'innodb_strict_mode: ON'),
    ('mysql.innodb.deadlocks_unlogged', 'mariadb', setv(innodb_print_all_deadlocks='OFF'), 'warning',
     'innodb_print_all_deadlocks: ON'),
    ('mysql.innodb.deadlocks_unlogged', 'mysql',
     both(setv(innodb_print_all_deadlocks='OFF'), setf(innodb_metrics={'trx_rseg_history_len': 40})), 'warning',
     'SET PERSIST innodb_print_all_deadlocks = ON'),
    ('mysql.innodb.row_lock_waits', 'mysql', sets(innodb_row_lock_waits=5000, innodb_row_lock_time_avg=2500),
     'warning', 'sys.innodb_lock_waits'),
    ('mysql.innodb.row_lock_waits', 'mariadb', sets(innodb_row_lock_waits=5000, innodb_row_lock_time_avg=2500),
     'warning', 'information_schema.innodb_lock_waits'),
    ('mysql.innodb.purge_lag', 'mariadb', sets(innodb_history_list_length=250000), 'warning',
     'information_schema.innodb_trx'),
    ('mysql.innodb.purge_lag', 'mysql', setf(innodb_metrics={'lock_deadlocks': 0, 'trx_rseg_history_len': 2000000}),
     'critical', 'KILL'),
    ('mysql.innodb.long_transactions', 'mariadb',
     setf(innodb_transactions=[{'thread_id': 4711, 'state': 'RUNNING', 'age_s': 900, 'rows_locked': 12}]),
     'warning', 'KILL 4711'),
    # threads and table caches
    ('mysql.threads.cache_hit', 'mariadb', sets(threads_created=20000), 'warning', 'thread_cache_size: 20'),
    ('mysql.threads.cache_hit', 'mysql', both(setv(thread_cache_size=100), sets(threads_created=20000)), 'warning',
     'connection pool'),
    ('mysql.threads.running', 'mariadb', sets(threads_running=40), 'warning', 'db_container cpus: 10'),
    ('mysql.tables.open_cache', 'mariadb', sets(table_open_cache_misses=20000000), 'warning',
     'table_open_cache: 4000'),
    ('mysql.tables.open_cache', 'mysql', both(drop_cache_counters, sets(opened_tables=50000000)), 'warning',
     'table_open_cache: 8000'),
    ('mysql.tables.definition_cache', 'mariadb', setv(table_definition_cache=2), 'warning',
     'table_definition_cache: 500'),
    ('mysql.tables.open_files', 'mariadb', sets(open_files=60000), 'warning', 'nofile: "131072:131072"'),
    ('mysql.tables.open_files', 'mysql', sets(open_files=64000), 'critical', 'open_files_limit: 131072'),
    ('mysql.tables.lock_contention', 'mariadb', sets(table_locks_waited=20000), 'warning', 'LOCK TABLES'),
    ('mysql.tables.lock_contention', 'mysql',
     both(sets(table_locks_waited=20000), add_table(table('legacy', 1000, 1, 1, engine='MyISAM'))), 'warning',
     'ALTER TABLE `app`.`legacy` ENGINE=InnoDB'),
    # temporary tables, sorts, joins, scans
    ('mysql.temp.disk_tables', 'mariadb', sets(created_tmp_disk_tables=100000), 'warning',
     'sum_created_tmp_disk_tables'),
    ('mysql.temp.disk_tables', 'mysql',
     both(sets(created_tmp_disk_tables=100000), setv(tmp_table_size=16 * MIB, max_heap_table_size=16 * MIB)),
     'warning', 'tmp_table_size: 64M'),
    ('mysql.temp.size_mismatch', 'mariadb', setv(max_heap_table_size=16 * MIB), 'info',
     'max_heap_table_size: 64M'),
    ('mysql.sort.merge_passes', 'mariadb', sets(sort_merge_passes=50000), 'info', 'sort_buffer_size: 4M'),
    ('mysql.joins.full_join', 'mariadb', sets(select_full_join=50000), 'warning', 'sum_select_full_join'),
    ('mysql.joins.full_join', 'mysql', sets(select_full_join=10), 'info', 'CREATE INDEX'),
    ('mysql.scans.read_rnd_next', 'mariadb', sets(handler_read_rnd_next=2000000000), 'warning',
     'table_io_waits_summary_by_index_usage'),
    ('mysql.scans.read_rnd_next', 'mysql',
     both(sets(handler_read_rnd_next=2000000000), setf(performance_schema=False)), 'warning',
     'log_queries_not_using_indexes = ON'),
    # logging and observability
    ('mysql.logging.slow_log', 'mariadb', setv(slow_query_log='OFF'), 'warning', 'slow_query_log: ON'),
    ('mysql.logging.long_query_time', 'mariadb', setv(long_query_time='10.000000'), 'warning',
     'long_query_time: 1'),
    ('mysql.logging.long_query_time', 'mysql', setv(long_query_time='0.000000'), 'warning',
     'SET PERSIST long_query_time = 1'),
    ('mysql.logging.not_using_indexes', 'mariadb', setv(log_queries_not_using_indexes='ON'), 'warning',
     'log_queries_not_using_indexes: OFF'),
    ('mysql.logging.not_using_indexes', 'mysql',
     setv(log_queries_not_using_indexes='ON', log_throttle_queries_not_using_indexes=10), 'info',
     'log_queries_not_using_indexes: OFF'),
    ('mysql.logging.slow_queries_rate', 'mariadb', sets(slow_queries=5000000), 'warning',
     'pt-query-digest /var/log/mysql/slow.log'),
    ('mysql.observability.performance_schema', 'mysql', setv(performance_schema='OFF'), 'warning',
     'SET PERSIST_ONLY performance_schema = ON'),
    ('mysql.observability.performance_schema', 'mariadb', setv(performance_schema='OFF'), 'info',
     'performance_schema: ON'),
    # statement digests
    ('mysql.statements.no_index', 'mariadb',
     add_statement(statement('SELECT * FROM `events` WHERE `kind` = ?', 1000, 500.0, 5000000, 1000,
                             no_index=1000)), 'warning', 'EXPLAIN SELECT * FROM `events` WHERE `kind` = ?'),
    ('mysql.statements.rows_examined', 'mysql',
     add_statement(statement('SELECT COUNT(*) FROM `order_items` WHERE `sku` = ?', 1000, 300.0, 50000000, 1000)),
     'warning', 'EXPLAIN SELECT COUNT(*) FROM `order_items`'),
    ('mysql.statements.tmp_disk', 'mariadb',
     add_statement(statement('SELECT `customer_id`, SUM(`total`) FROM `orders` GROUP BY `customer_id`', 1000,
                             200.0, 250000000, 20000000, tmp_disk=800)), 'warning', 'EXPLAIN SELECT `customer_id`'),
    # schema and storage engines
    ('mysql.schema.myisam', 'mariadb', add_table(table('legacy', 1000, 1, 1, engine='MyISAM')), 'warning',
     'ALTER TABLE `app`.`legacy` ENGINE=InnoDB'),
    ('mysql.memory.key_buffer_unused', 'mariadb', setv(key_buffer_size=128 * MIB), 'info', 'key_buffer_size: 8M'),
    ('mysql.cache.key_buffer_hit_ratio', 'mariadb',
     both(add_table(table('legacy', 100000, 50, 20, engine='MyISAM')),
          sets(key_read_requests=100000, key_reads=5000)), 'warning', 'key_buffer_size: 20M'),
    ('mysql.schema.fragmentation', 'mariadb', fragment_orders, 'info', 'OPTIMIZE TABLE `app`.`orders`'),
    ('mysql.schema.large_table_no_index', 'mysql', add_table(table('audit_log', 5000000, 900, 0)), 'info',
     'ALTER TABLE `app`.`audit_log` ADD INDEX'),
    ('mysql.schema.auto_increment', 'mariadb', orders_id_at(2000000000), 'critical',
     'MODIFY `id` BIGINT UNSIGNED'),
    ('mysql.schema.auto_increment', 'mysql', orders_id_at(1700000000), 'warning', 'MODIFY `id` BIGINT UNSIGNED'),
    # connections
    ('mysql.connections.max_connect_errors', 'mariadb', setv(max_connect_errors=100), 'warning', 'FLUSH HOSTS'),
    ('mysql.connections.max_connect_errors', 'mysql', setv(max_connect_errors=100), 'warning',
     'max_connect_errors: 1000'),
    ('mysql.connections.idle', 'mariadb', both(setv(wait_timeout=28800), sets(threads_connected=150)), 'warning',
     'wait_timeout: 600'),
    ('mysql.connections.overprovisioned', 'mysql', setv(max_connections=2000), 'info', 'max_connections: 224'),
    ('mysql.connections.aborted_clients', 'mariadb', sets(aborted_clients=10000), 'warning',
     'max_allowed_packet: 64M'),
    # security
    ('mysql.security.skip_name_resolve', 'mariadb', setv(skip_name_resolve='OFF'), 'warning',
     'skip_name_resolve: ON'),
    ('mysql.security.skip_name_resolve', 'mysql',
     both(setv(skip_name_resolve='OFF'), add_account(account('app', 'web1.example.com', 'caching_sha2_password'))),
     'warning', 'SET PERSIST_ONLY skip_name_resolve = ON'),
    ('mysql.security.local_infile', 'mariadb', setv(local_infile='ON'), 'warning', 'local_infile: OFF'),
    ('mysql.security.secure_file_priv', 'mariadb', setv(secure_file_priv=''), 'warning',
     'secure_file_priv: /var/lib/mysql-files'),
    ('mysql.security.remote_root', 'mariadb', add_account(account('root', '%', 'mysql_native_password')),
     'warning', "RENAME USER 'root'@'%'"),
    ('mysql.security.wildcard_no_password', 'mariadb',
     add_account(account('report', '%', 'mysql_native_password', empty_password=True)), 'critical',
     "ALTER USER 'report'@'%' IDENTIFIED BY"),
    # guessable_password as the collector decides it (test_audit_mysql_passwords.py tests that decision).
    ('mysql.security.weak_password', 'mariadb',
     add_account(dict(account('analyst', '%', 'mysql_native_password'), guessable_password=True)), 'critical',
     "ALTER USER 'analyst'@'%' IDENTIFIED BY"),
    ('mysql.security.native_password', 'mysql', add_account(account('legacy', '%', 'mysql_native_password')),
     'warning', "ALTER USER 'legacy'@'%' IDENTIFIED WITH caching_sha2_password"),
    ('mysql.security.default_auth_plugin', 'mysql', setv(authentication_policy='mysql_native_password,,'),
     'warning', "authentication_policy: 'caching_sha2_password,,'"),
    ('mysql.security.default_auth_plugin', 'mysql',
     both(setf(version=(8, 0, 40)), setv(default_authentication_plugin='mysql_native_password')), 'warning',
     'delete default_authentication_plugin'),
    ('mysql.security.default_auth_plugin', 'mysql',
     both(setf(version=(8, 0, 20)), setv(default_authentication_plugin='mysql_native_password')), 'warning',
     'default_authentication_plugin = caching_sha2_password, then restart'),
    ('mysql.security.old_password_hash', 'mariadb', setv(old_passwords='ON'), 'critical', 'old_passwords: OFF'),
    ('mysql.security.old_password_hash', 'mariadb', add_account(account('old', 'localhost', 'mysql_old_password')),
     'critical', "ALTER USER 'old'@'localhost' IDENTIFIED VIA mysql_native_password"),
    ('mysql.security.tls', 'mariadb', setv(have_ssl='DISABLED'), 'info', 'ssl_cert'),
    ('mysql.security.tls', 'mysql', setv(ssl_cert=''), 'info', 'ssl_key'),
    ('mysql.charset.server', 'mariadb', setv(character_set_server='latin1'), 'warning',
     'character_set_server: utf8mb4'),
    ('mysql.config.sql_mode', 'mariadb', setv(sql_mode='NO_ENGINE_SUBSTITUTION'), 'warning',
     "sql_mode: 'NO_ENGINE_SUBSTITUTION,STRICT_TRANS_TABLES'"),
    # replication
    ('mysql.replication.io_thread', 'mariadb-replica',
     replica(slave_io_running='Connecting', last_io_error='error connecting to master'), 'critical',
     'START SLAVE IO_THREAD'),
    ('mysql.replication.io_thread', 'mysql-replica', replica(replica_io_running='No'), 'critical',
     'START REPLICA IO_THREAD'),
    ('mysql.replication.sql_thread', 'mysql-replica',
     replica(replica_sql_running='No', last_sql_error='Duplicate entry', channel_name='orders'), 'critical',
     "START REPLICA SQL_THREAD FOR CHANNEL 'orders'"),
    ('mysql.replication.lag', 'mariadb-replica', replica(seconds_behind_master=None), 'critical', 'START SLAVE'),
    ('mysql.replication.lag', 'mariadb-replica', replica(seconds_behind_master=600), 'warning',
     'slave_parallel_threads: 4'),
    ('mysql.replication.lag', 'mysql-replica',
     both(replica(seconds_behind_source=600), setv(replica_parallel_workers=1)), 'warning',
     'replica_parallel_workers: 4'),
    ('mysql.replication.lag', 'mysql-replica', replica(seconds_behind_source=600), 'warning',
     'split the large transactions'),
    ('mysql.replication.relay_log_space', 'mariadb-replica', replica(relay_log_space=5 * GIB), 'warning',
     'slave_parallel_threads: 4'),
    ('mysql.replication.read_only', 'mysql-replica', setv(read_only='OFF', super_read_only='OFF'), 'warning',
     'super_read_only: ON'),
    ('mysql.replication.log_replica_updates', 'mysql-replica', setv(log_replica_updates='OFF'), 'warning',
     'log_replica_updates: ON'),
    ('mysql.replication.log_replica_updates', 'mariadb-replica', setv(log_slave_updates='OFF'), 'warning',
     'log_slave_updates: ON'),
    ('mysql.replication.gtid_mode', 'mysql', setv(gtid_mode='OFF'), 'warning', 'OFF_PERMISSIVE'),
    ('mysql.replication.gtid_strict_mode', 'mariadb', setv(gtid_strict_mode='OFF'), 'info',
     'gtid_strict_mode: ON'),
    ('mysql.replication.gtid_strict_mode', 'mariadb-replica', setv(gtid_strict_mode='OFF'), 'warning',
     'SET GLOBAL gtid_strict_mode = ON'),
    ('mysql.replication.auto_position', 'mariadb-replica', replica(using_gtid='No'), 'warning',
     'CHANGE MASTER TO MASTER_USE_GTID = slave_pos'),
    ('mysql.replication.auto_position', 'mysql-replica', replica(auto_position=0), 'warning',
     'CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1'),
    ('mysql.replication.auto_position', 'mysql-replica',
     both(setf(version=(8, 0, 20)), replica(auto_position=0)), 'warning',
     'STOP SLAVE; CHANGE MASTER TO MASTER_AUTO_POSITION = 1; START SLAVE'),
    ('mysql.replication.server_id', 'mariadb-replica', setv(server_id=1), 'warning', 'server_id: 2'),
    ('mysql.replication.relay_log_recovery', 'mysql-replica', setv(relay_log_recovery='OFF'), 'warning',
     'relay_log_recovery: ON'),
    # server and memory
    ('mysql.server.uptime', 'mariadb', sets(uptime=3600), 'info', 'db_tune_report'),
    ('mysql.memory.per_thread_buffers', 'mysql', setv(join_buffer_size=64 * MIB), 'warning',
     'join_buffer_size: 256K'),
]

# Flavor, version and context awareness: these look like problems and are not.
QUIET_CASES = [
    # HAProxy's TCP health checks close before logging in: MariaDB counts them apart, not failed logins.
    ('mysql.connections.aborted', 'mariadb', sets(connections=6000, aborted_connects=5000,
                                                  aborted_connects_preauth=4990)),
    ('mysql.temp.size_mismatch', 'mysql', setv(max_heap_table_size=16 * MIB)),  # TempTable ignores it
    ('mysql.config.expire_logs_days', 'mariadb', setv(expire_logs_days=7)),  # an alias of the seconds on MariaDB
    ('mysql.connections.max_connect_errors', 'mariadb', setv(max_connect_errors=100, host_cache_size=0)),
    ('mysql.observability.performance_schema', 'mariadb',
     both(setv(performance_schema='OFF'),
          setf(recommended=recommended_for('mariadb', VERSIONS['mariadb'], memory=GIB)))),
    ('mysql.schema.fragmentation', 'mariadb', both(fragment_orders, setv(innodb_file_per_table='OFF'))),
    ('mysql.logging.long_query_time', 'mariadb', setv(slow_query_log='OFF', long_query_time=10)),
    ('mysql.security.secure_file_priv', 'mysql', setv(secure_file_priv=None)),  # NULL: import/export disabled
    ('mysql.security.native_password', 'mariadb', add_account(account('legacy', '%', 'mysql_native_password'))),
    ('mysql.security.remote_root', 'mariadb', add_account(account('root', '10.0.0.%', 'mysql_native_password'))),
    ('mysql.security.no_password', 'mariadb',
     add_account(account('report', '%', 'mysql_native_password', empty_password=True))),  # the critical check's
    ('mysql.security.weak_password', 'mariadb',  # locked: nobody logs in with it
     add_account(dict(account('analyst', '%', 'mysql_native_password', locked=True), guessable_password=True))),
    ('mysql.innodb.buffer_pool_instances', 'mysql', setv(innodb_buffer_pool_size=512 * MIB,
                                                         innodb_buffer_pool_instances=1)),
    # A 1 GiB pool: db_container derives one instance, as MySQL would (seen on MySQL 9.7 at 2 GiB).
    ('mysql.innodb.buffer_pool_instances', 'mysql',
     both(setv(innodb_buffer_pool_size=GIB, innodb_buffer_pool_instances=1),
          lambda facts: facts['recommended'].update(innodb_buffer_pool_instances=1))),
    ('mysql.replication.read_only', 'mysql', setv(read_only='OFF')),  # not a replica
    ('mysql.threads.cache_hit', 'mariadb', both(setv(thread_handling='pool-of-threads'),
                                                sets(threads_created=20000))),
    ('mysql.joins.full_join', 'mariadb', sets(select_full_join=0)),
    ('mysql.durability.flush_log', 'mariadb', setv(innodb_flush_log_at_trx_commit=3)),  # MariaDB's durable 3
]


def case_id(case):
    return '%s-%s' % (case[0], case[1])


def fired(check_id, facts):
    return BY_ID[check_id].evaluate(facts)


# --- the table ----------------------------------------------------------------------------
def test_table_has_at_least_sixty_well_formed_checks():
    assert len(CHECKS) >= 60
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    for check in CHECKS:
        assert re.match(r'^mysql\.[a-z]+\.[a-z0-9_]+$', check.id), check.id
        assert check.severity in SEVERITIES, check.id
        assert check.category and check.title, check.id
        assert check.rationale.strip() and check.source.strip(), check.id
        assert callable(check.evaluate), check.id


def test_every_check_has_a_case_that_makes_it_fire():
    assert set(BY_ID) == set(case[0] for case in CASES)


def test_recommended_is_what_the_auditor_derives():
    for engine in ('mariadb', 'mysql'):
        facts = {'engine': engine, 'version': VERSIONS[engine],
                 'limits': {'memory': MEMORY, 'cpus': CPUS, 'source': 'declared'}}
        assert Auditor({'profile': 'oltp'})._recommended(facts) == healthy(engine)['recommended']


# --- quiet on healthy servers, firing on broken ones -----------------------------------------
@pytest.mark.parametrize('base', BASES)
@pytest.mark.parametrize('check_id', sorted(BY_ID))
def test_check_is_quiet_on_a_healthy_server(check_id, base):
    # Evaluated directly: a KeyError here would mean the healthy facts lack what the check reads.
    assert fired(check_id, healthy(base)) is None


@pytest.mark.parametrize('base', BASES)
def test_healthy_server_has_no_finding_and_nothing_skipped(base):
    findings, skipped = run_checks(CHECKS, healthy(base))
    assert findings == []
    assert skipped == []


@pytest.mark.parametrize('check_id,base,mutate,severity,expected', CASES, ids=[case_id(c) for c in CASES])
def test_check_fires_on_its_problem(check_id, base, mutate, severity, expected):
    facts = healthy(base)
    mutate(facts)
    result = fired(check_id, facts)
    assert result, 'did not fire'
    assert result.get('severity', BY_ID[check_id].severity) == severity
    assert result['evidence'] and result['current'] is not None
    assert expected in '%s | %s' % (result['recommended'], result['fix'])
    # run_checks reports it under its id with the same severity.
    findings = run_checks(CHECKS, facts)[0]
    assert [f['severity'] for f in findings if f['id'] == check_id] == [severity]


@pytest.mark.parametrize('check_id,base,mutate', QUIET_CASES, ids=[case_id(c) for c in QUIET_CASES])
def test_check_stays_quiet_where_the_problem_does_not_apply(check_id, base, mutate):
    facts = healthy(base)
    mutate(facts)
    assert fired(check_id, facts) is None


# --- missing facts: not evaluated, never a crash ---------------------------------------------
def test_missing_facts_are_skipped_not_crashing():
    facts = {'engine': 'mysql', 'version': (8, 4, 3), 'variables': {}, 'status': {}, 'tables': [],
             'indexes': [], 'redundant_indexes': [], 'tables_without_primary_key': [], 'data_size': 0,
             'index_size': 0, 'performance_schema': False, 'index_usage': None, 'full_scans': None,
             'statements': None, 'accounts': None, 'replication': [], 'innodb_metrics': None,
             'innodb_transactions': None, 'auto_increment': None,
             'limits': {'memory': None, 'cpus': None, 'source': 'unknown'}, 'recommended': {}}
    findings, skipped = run_checks(CHECKS, facts)
    assert findings == []
    assert len(skipped) > len(CHECKS) // 2


@pytest.mark.parametrize('base', BASES)
def test_null_variables_and_status_do_not_crash(base):
    facts = healthy(base)
    facts['variables'] = dict((name, None) for name in facts['variables'])
    facts['status'] = dict((name, None) for name in facts['status'])
    for row in facts['replication']:
        row['relay_log_space'] = None
    run_checks(CHECKS, facts)  # any exception but the ones run_checks catches fails the test


# --- helpers ------------------------------------------------------------------------------------
def test_setting_fix_uses_each_flavor_syntax():
    assert setting_fix('sync_binlog', 1) == 'settings: {sync_binlog: 1} (db_container) or SET PERSIST sync_binlog = 1'
    mariadb, mysql = healthy('mariadb'), healthy('mysql')
    assert 'SET GLOBAL sync_binlog = 1' in setting_fix('sync_binlog', 1, mariadb)
    assert 'PERSIST' not in setting_fix('sync_binlog', 1, mariadb)
    assert 'restart' in setting_fix('performance_schema', 'ON', mariadb, restart=True)
    persist_only = setting_fix('performance_schema', 'ON', mysql, restart=True)
    assert 'SET PERSIST_ONLY performance_schema = ON, then restart' in persist_only


@pytest.mark.parametrize('column_type,maximum', [
    ('int(11)', 2147483647), ('int unsigned', 4294967295), ('bigint(20) unsigned', 18446744073709551615),
    ('smallint', 32767), ('tinyint(3) unsigned', 255), ('varchar(20)', None)])
def test_integer_max(column_type, maximum):
    assert integer_max(column_type) == maximum


# --- the collector's added facts --------------------------------------------------------------
class FakeCursor(object):
    """Answers collect()'s statements from (fragment, columns, rows) in order; unknown SQL fails."""

    def __init__(self, answers, log):
        self.answers, self.log = answers, log
        self.description, self._rows = None, []

    def execute(self, sql):
        self.log.append(sql)
        for fragment, columns, rows in self.answers:
            if fragment in sql:
                self.description = [(c,) for c in columns]
                self._rows = rows
                return
        raise RuntimeError('1142: command denied for %s' % sql[:40])

    def fetchall(self):
        return self._rows

    def close(self):
        pass


class FakeConnection(object):
    def __init__(self, answers):
        self.answers, self.log = answers, []

    def cursor(self):
        return FakeCursor(self.answers, self.log)


def server_answers(version_string, variables, metrics_columns, metrics_rows, replica_sql):
    return [
        ('VERSION()', ['v'], [(version_string,)]),
        ('SHOW ENGINE INNODB STATUS', ['type', 'name', 'status'], [('InnoDB', '', '...')]),
        ('SHOW GLOBAL VARIABLES', ['Variable_name', 'Value'], list(variables.items())),
        ('SHOW GLOBAL STATUS', ['Variable_name', 'Value'], [('Uptime', '1209600')]),
        ('WHERE extra LIKE', ['schema', 'table', 'column', 'COLUMN_TYPE'], [('app', 'orders', 'id', 'int(11)')]),
        ('WHERE auto_increment IS NOT NULL', ['schema', 'table', 'AUTO_INCREMENT'], [('app', 'orders', 250001)]),
        ('SHOW SESSION STATUS', ['Variable_name', 'Value'], [('Uptime', '1209600')]),
        ('FROM information_schema.tables WHERE', ['schema', 'table', 'engine', 'rows', 'data_length',
                                                  'index_length', 'data_free'],
         [('app', 'orders', 'InnoDB', 10, 16384, 0, 0)]),
        ('information_schema.statistics', ['schema', 'table', 'index', 'non_unique', 'seq_in_index',
                                           'column_name', 'sub_part'],
         [('app', 'orders', 'PRIMARY', 0, 1, 'id', None)]),
        ('mysql.user', ['Host', 'User', 'plugin', 'authentication_string'],
         [('localhost', 'root', 'mysql_native_password', '*ABC')]),
        (replica_sql, ['Slave_IO_Running'], []),
        ('innodb_metrics', metrics_columns, metrics_rows),
        ('innodb_trx', ['thread_id', 'state', 'age_s', 'rows_locked'], [(12, 'RUNNING', 3, 0)]),
    ]


def test_collect_adds_innodb_metrics_transactions_and_counters_on_mariadb():
    answers = server_answers(
        '10.11.9-MariaDB', {'performance_schema': 'ON'}, ['NAME', 'COUNT', 'ENABLED'],
        [('lock_deadlocks', 3, 1), ('trx_rseg_history_len', 40, 0)], 'SHOW ALL SLAVES STATUS')
    answers += [
        ('table_io_waits_summary_by_index_usage', ['schema', 'table', 'index', 'count_star', 'count_read'],
         [('app', 'orders', 'PRIMARY', 10, 10), ('app', 'orders', None, 50, 500)]),
        ('SUM(sum_select_full_join)', ['select_full_join', 'earlier_runs'], [(7, 2)]),
        ('events_statements_summary_by_digest', ['schema', 'digest_text', 'count_star', 'total_s', 'avg_s',
                                                 'sum_rows_examined', 'sum_rows_sent', 'sum_no_index_used',
                                                 'sum_created_tmp_disk_tables'],
         [('app', 'SELECT ?', 1, 0.1, 0.1, 1, 1, 0, 0)]),
    ]
    connection = FakeConnection(answers)
    facts = audit_mysql.collect(connection)
    assert facts['full_scans'] == [{'schema': 'app', 'table': 'orders', 'index': None, 'count_star': 50,
                                    'count_read': 500}]
    assert facts['statements'][0]['digest_text'] == 'SELECT ?'
    # The status counters are read first; the statement digests leave out metadata reads.
    assert connection.log[0] == 'SHOW GLOBAL STATUS'
    assert any("NOT (digest_text LIKE 'SHOW %'" in sql and "LIKE '%information_schema%'" in sql
               for sql in connection.log)
    assert facts['engine'] == 'mariadb'
    assert 'SHOW ALL SLAVES STATUS' in connection.log
    assert facts['replication'] == []
    assert facts['innodb_metrics'] == {'lock_deadlocks': 3}  # the disabled metric is left out
    assert facts['innodb_transactions'] == [{'thread_id': 12, 'state': 'RUNNING', 'age_s': 3, 'rows_locked': 0}]
    assert facts['auto_increment'][0]['column_type'] == 'int(11)'
    for key in ('variables', 'status', 'tables', 'indexes', 'redundant_indexes', 'tables_without_primary_key',
                'performance_schema', 'index_usage', 'full_scans', 'statements', 'accounts', 'replication',
                'data_size', 'index_size', 'notes', 'version', 'version_string'):
        assert key in facts


def test_collect_on_mysql_reads_replica_status_and_notes_unreadable_facts():
    answers = [a for a in server_answers('8.4.3', {'performance_schema': 'OFF'}, ['NAME', 'COUNT', 'STATUS'],
                                         [('lock_deadlocks', 5, 'enabled'), ('trx_rseg_history_len', 7, 'enabled')],
                                         'SHOW REPLICA STATUS') if a[0] != 'innodb_trx']
    connection = FakeConnection(answers)
    facts = audit_mysql.collect(connection)
    assert 'SHOW REPLICA STATUS' in connection.log
    assert facts['innodb_metrics'] == {'lock_deadlocks': 5, 'trx_rseg_history_len': 7}
    assert facts['innodb_transactions'] is None
    assert any(note.startswith('InnoDB transactions not read') for note in facts['notes'])
