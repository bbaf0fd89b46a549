# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB adapter (the official ``mariadb`` image): MySQL's contract, its own catalog and rules."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import tuning as mysql_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import introduced, removed
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.adapter import MySQLAdapter

_DEFRAGMENT_ADVICE = 'delete it: InnoDB defragmentation was removed in 11.1'

# Source: MariaDB KB, "InnoDB System Variables" (Deprecated/Removed fields) and
# "Replication and Binary Log System Variables".
# 11.0-11.8: mariadb.com/docs "Upgrading from MariaDB 10.11 to MariaDB 11.0", "... 11.0 to 11.1", "... 11.1 to
# 11.2", "... 11.2 to 11.3", "... 11.3 to 11.4", "... 11.4 to 11.8" (Options That Have Been Removed or
# Renamed) and "What is MariaDB 11.x" release notes (11.5: wsrep_load_data_splitting removed).
MARIADB_CATALOG = (
    removed('innodb_buffer_pool_instances', (10, 6), 'delete it: MariaDB uses a single buffer pool since 10.5'),
    removed('innodb_log_files_in_group', (10, 6), 'delete it: MariaDB writes one redo log file since 10.5'),
    removed('innodb_thread_concurrency', (10, 6), 'delete it: InnoDB no longer throttles threads'),
    removed('innodb_undo_logs', (10, 6), 'delete it (innodb_undo_tablespaces sets undo storage)'),
    removed('innodb_log_optimize_ddl', (10, 6), 'delete it'),
    removed('innodb_change_buffering', (11, 0), 'delete it: the change buffer was removed in 11.0'),
    removed('innodb_change_buffer_max_size', (11, 0, 0), 'delete it: the change buffer was removed in 11.0'),
    removed('innodb_defragment', (11, 1, 0), _DEFRAGMENT_ADVICE),
    removed('innodb_defragment_n_pages', (11, 1, 0), _DEFRAGMENT_ADVICE),
    removed('innodb_defragment_stats_accuracy', (11, 1, 0), _DEFRAGMENT_ADVICE),
    removed('innodb_defragment_fill_factor_n_recs', (11, 1, 0), _DEFRAGMENT_ADVICE),
    removed('innodb_defragment_fill_factor', (11, 1, 0), _DEFRAGMENT_ADVICE),
    removed('innodb_defragment_frequency', (11, 1, 0), _DEFRAGMENT_ADVICE),
    # The KB lists tx_isolation as deprecated (not removed) from 11.1; transaction_isolation is the option name.
    removed('tx_isolation', (11, 1), 'use transaction_isolation'),
    removed('old_alter_table', (11, 2, 0), 'use alter_algorithm'),
    removed('date_format', (11, 3, 0), 'delete it: it was never used'),
    removed('datetime_format', (11, 3, 0), 'delete it: it was never used'),
    removed('time_format', (11, 3, 0), 'delete it: it was never used'),
    removed('max_tmp_tables', (11, 3, 0), 'delete it: it was never used'),
    removed('wsrep_causal_reads', (11, 3, 0), 'use wsrep_sync_wait=1'),
    removed('debug_no_thread_alarm', (11, 4, 0), 'delete it: it was unused'),
    removed('wsrep_load_data_splitting', (11, 5, 0), 'delete it (OFF by default since 10.4)'),
    introduced('binlog_expire_logs_seconds', (10, 6, 1), 'use expire_logs_days on this version'),
    introduced('innodb_redo_log_capacity', (99,), 'MariaDB sizes the redo log with innodb_log_file_size'),
)


class MariaDBAdapter(MySQLAdapter):
    name = 'mariadb'
    label = 'MariaDB'
    # 11.8 is the newest long-term series (supported to 2028-06; 11.4 to 2029-05, 10.11 to 2028-02).
    official_image = 'mariadb:11.8'
    local_image = 'localhost/dbops/mariadb:11.8'
    version_env = ('MARIADB_VERSION', 'MARIADB_MAJOR')
    rules = mysql_tuning.MARIADB_RULES
    catalog = MARIADB_CATALOG
    client = 'mariadb'  # MariaDB 11 images no longer ship the mysql name
    plugin_variable_prefixes = ()  # semi-sync is built into the server
    env_prefix = 'MARIADB'
    max_user_length = 80  # MariaDB KB: user names are up to 80 characters

    def environment(self, database, user, has_password, version):
        env = super(MariaDBAdapter, self).environment(database, user, has_password, version)
        # The official image runs mariadb-upgrade (after a backup of the system
        # tables) when the data directory comes from an older release.
        env['MARIADB_AUTO_UPGRADE'] = '1'
        return env

    def derive_settings(self, resources):
        settings = super(MariaDBAdapter, self).derive_settings(resources)
        if resources.version and tuple(resources.version) < (10, 6, 1):
            days = settings.pop('binlog_expire_logs_seconds') // 86400
            settings['expire_logs_days'] = days
        return settings
