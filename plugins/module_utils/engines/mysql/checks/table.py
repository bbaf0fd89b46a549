# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL and MariaDB audit's CHECKS: every category's rows, in the order of the report.

Each category file (memory.py, innodb.py, ...) writes its rows with the audit.core.check
decorator right above their functions; a new category is a new file, added here. The
report lists the checks in REPORT_ORDER (not grouped by category: the order the table
had before it was split, which the report's not_evaluated list follows).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks import (
    binlog, cache, charset, config, connections, durability, indexes, innodb, joins, memory, observability,
    replication, scans, schema, security, server, server_log, sort, statements, tables, temp, threads)

CATEGORIES = (memory, cache, connections, indexes, schema, server_log, security, config, durability, binlog, innodb,
              threads, tables, temp, sort, joins, scans, observability, statements, charset, replication, server)

REPORT_ORDER = (
    'mysql.memory.buffer_pool_small',
    'mysql.memory.buffer_pool_large',
    'mysql.memory.worst_case',
    'mysql.cache.buffer_pool_hit_ratio',
    'mysql.connections.near_peak',
    'mysql.connections.aborted',
    'mysql.index.full_scans',
    'mysql.index.unused',
    'mysql.index.duplicate',
    'mysql.schema.no_primary_key',
    'mysql.logging.general_log',
    'mysql.security.anonymous',
    'mysql.security.no_password',
    'mysql.security.weak_password',
    'mysql.cache.query_cache',
    'mysql.config.expire_logs_days',
    'mysql.config.deprecated_settings',
    'mysql.durability.flush_log',
    'mysql.durability.sync_binlog',
    'mysql.durability.doublewrite',
    'mysql.binlog.disabled',
    'mysql.binlog.format',
    'mysql.binlog.expiry',
    'mysql.binlog.cache_disk_use',
    'mysql.innodb.redo_log_small',
    'mysql.innodb.log_file_size',
    'mysql.innodb.log_waits',
    'mysql.innodb.buffer_pool_wait_free',
    'mysql.innodb.buffer_pool_instances',
    'mysql.innodb.file_per_table',
    'mysql.innodb.stats_on_metadata',
    'mysql.innodb.io_capacity',
    'mysql.innodb.flush_method',
    'mysql.innodb.buffer_pool_warmup',
    'mysql.innodb.strict_mode',
    'mysql.innodb.deadlocks_unlogged',
    'mysql.innodb.row_lock_waits',
    'mysql.innodb.purge_lag',
    'mysql.innodb.long_transactions',
    'mysql.threads.cache_hit',
    'mysql.threads.running',
    'mysql.tables.open_cache',
    'mysql.tables.definition_cache',
    'mysql.tables.open_files',
    'mysql.tables.lock_contention',
    'mysql.temp.disk_tables',
    'mysql.temp.size_mismatch',
    'mysql.sort.merge_passes',
    'mysql.joins.full_join',
    'mysql.scans.read_rnd_next',
    'mysql.logging.slow_log',
    'mysql.logging.long_query_time',
    'mysql.logging.not_using_indexes',
    'mysql.logging.slow_queries_rate',
    'mysql.observability.performance_schema',
    'mysql.statements.no_index',
    'mysql.statements.rows_examined',
    'mysql.statements.tmp_disk',
    'mysql.schema.myisam',
    'mysql.memory.key_buffer_unused',
    'mysql.cache.key_buffer_hit_ratio',
    'mysql.schema.fragmentation',
    'mysql.schema.large_table_no_index',
    'mysql.schema.auto_increment',
    'mysql.connections.max_connect_errors',
    'mysql.connections.idle',
    'mysql.connections.overprovisioned',
    'mysql.connections.aborted_clients',
    'mysql.security.skip_name_resolve',
    'mysql.security.local_infile',
    'mysql.security.secure_file_priv',
    'mysql.security.remote_root',
    'mysql.security.wildcard_no_password',
    'mysql.security.native_password',
    'mysql.security.default_auth_plugin',
    'mysql.security.old_password_hash',
    'mysql.security.tls',
    'mysql.charset.server',
    'mysql.config.sql_mode',
    'mysql.replication.io_thread',
    'mysql.replication.sql_thread',
    'mysql.replication.lag',
    'mysql.replication.relay_log_space',
    'mysql.replication.read_only',
    'mysql.replication.log_replica_updates',
    'mysql.replication.gtid_mode',
    'mysql.replication.gtid_strict_mode',
    'mysql.replication.auto_position',
    'mysql.replication.server_id',
    'mysql.replication.relay_log_recovery',
    'mysql.server.uptime',
    'mysql.memory.per_thread_buffers',
)


def _in_report_order():
    rows = dict((row.id, row) for category in CATEGORIES for row in category.TABLE)
    if sorted(rows) != sorted(REPORT_ORDER):
        raise ValueError('checks missing from REPORT_ORDER or without a row: %s'
                         % sorted(set(rows).symmetric_difference(REPORT_ORDER)))
    return tuple(rows[check_id] for check_id in REPORT_ORDER)


CHECKS = _in_report_order()
