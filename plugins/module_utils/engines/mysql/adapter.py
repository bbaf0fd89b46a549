# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL adapter (the official ``mysql`` image). MariaDB extends it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import tuning as mysql_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import (
    EngineAdapter, QUERY_TIMEOUT, ROOT_PASSWORD_FILE, USER_PASSWORD_FILE, introduced, removed, renamed)
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors

_QUERY_CACHE_ADVICE = ("MySQL 8.0 removed the query cache; delete the setting "
                       "(cache in the application or in a proxy)")


def _days_to_seconds(value):
    return int(float(value) * 86400)


def _log_file_size_to_capacity(value):
    # Two redo files by default before 8.0.30 (innodb_log_files_in_group = 2).
    return sizes.to_mysql(2 * sizes.parse_size(value, 'settings.innodb_log_file_size'))


# Source: MySQL 8.0 and 8.4 release notes, "Server System Variables" removal tables.
_MYSQL_80_CATALOG = (
    [removed(name, (8, 0, 3), _QUERY_CACHE_ADVICE) for name in (
        'query_cache_size', 'query_cache_type', 'query_cache_limit',
        'query_cache_min_res_unit', 'query_cache_wlock_invalidate')]
    + [
        removed('expire_logs_days', (8, 2), 'use binlog_expire_logs_seconds (days x 86400)'),
        renamed('expire_logs_days', (8, 0), 'binlog_expire_logs_seconds', _days_to_seconds),
        removed('tx_isolation', (8, 0, 3), 'use transaction_isolation'),
        removed('tx_read_only', (8, 0, 3), 'use transaction_read_only'),
        removed('innodb_file_format', (8, 0), 'delete it: Barracuda is the only format'),
        removed('innodb_large_prefix', (8, 0), 'delete it: large prefixes are always on'),
        removed('log_warnings', (8, 0, 3), 'use log_error_verbosity'),
        removed('default_authentication_plugin', (8, 4), 'use authentication_policy'),
        # innodb_log_files_in_group is deprecated since 8.0.30 but still accepted through 9.7 (it is in
        # no removal list below): the server ignores it once innodb_redo_log_capacity is set.
        renamed('innodb_log_file_size', (8, 0, 30), 'innodb_redo_log_capacity', _log_file_size_to_capacity,
                'innodb_redo_log_capacity = innodb_log_file_size x 2 files'),
    ])

_METADATA_TABLES = 'delete it: replication metadata is always kept in crash-safe InnoDB tables'

# Removed in 8.1-8.4. Source: MySQL 8.4 Reference Manual, 1.5 "Server and Status Variables and Options
# Added, Deprecated, or Removed in MySQL 8.4 since 8.0" (Options and Variables Removed) and 1.4 "What Is
# New in MySQL 8.4" (Features Removed), https://dev.mysql.com/doc/refman/8.4/en/added-deprecated-removed.html
# and https://dev.mysql.com/doc/refman/8.4/en/mysql-nutshell.html; Version Reference
# https://dev.mysql.com/doc/mysqld-version-reference/en/optvar-changes-8-3.html, optvar-changes-8-4.html.
_MYSQL_84_CATALOG = (
    removed('character_set_client_handshake', (8, 3, 0),
            'delete it: the server always honours the character set the client sends'),
    removed('skip_character_set_client_handshake', (8, 3, 0),
            'delete it: the server always honours the character set the client sends'),
    removed('log_bin_use_v1_row_events', (8, 3, 0), 'delete it: version 2 row events are always written'),
    removed('master_info_repository', (8, 3, 0), _METADATA_TABLES),
    removed('relay_log_info_repository', (8, 3, 0), _METADATA_TABLES),
    removed('master_info_file', (8, 3, 0), _METADATA_TABLES),
    removed('relay_log_info_file', (8, 3, 0), _METADATA_TABLES),
    removed('old_style_user_limits', (8, 3, 0), 'delete it: limits are always counted per account'),
    removed('skip_host_cache', (8, 3, 0), 'use host_cache_size=0'),
    removed('slave_rows_search_algorithms', (8, 3, 0),
            'delete it: the applier always uses INDEX_SCAN,HASH_SCAN'),
    removed('transaction_write_set_extraction', (8, 3, 0), 'delete it: write sets always use XXHASH64'),
    removed('avoid_temporal_upgrade', (8, 4, 0), 'delete it: it had no effect, there is no replacement'),
    removed('show_old_temporals', (8, 4, 0), 'delete it: it had no effect, there is no replacement'),
    removed('binlog_transaction_dependency_tracking', (8, 4, 0),
            'delete it: the source always tracks dependencies with write sets (as WRITESET did)'),
    removed('ssl', (8, 4, 0), "use tls_version (tls_version='' disables encrypted connections)"),
    removed('skip_ssl', (8, 4, 0), "use tls_version='' to disable encrypted connections"),
    removed('admin_ssl', (8, 4, 0), "use admin_tls_version (admin_tls_version='' disables encryption)"),
    removed('old', (8, 4, 0), 'delete it: there is no replacement'),
    removed('new', (8, 4, 0), 'delete it: there is no replacement'),
    removed('language', (8, 4, 0), 'use lc_messages_dir and lc_messages'),
    removed('no_dd_upgrade', (8, 4, 0), 'use upgrade=NONE'),
    removed('keyring_file_data', (8, 4, 0),
            'the keyring_file plugin was removed: use the component_keyring_file component'),
    removed('keyring_encrypted_file_data', (8, 4, 0),
            'the keyring_encrypted_file plugin was removed: use the component_keyring_encrypted_file component'),
    removed('keyring_encrypted_file_password', (8, 4, 0),
            'the keyring_encrypted_file plugin was removed: use the component_keyring_encrypted_file component'),
)

_NATIVE_PASSWORD_ADVICE = ('delete it: the mysql_native_password plugin was removed, '
                           'accounts must use caching_sha2_password')


def _semi_sync_advice(name):
    return ('use %s: the semisync_master/semisync_slave plugins were removed, '
            'load semisync_source.so/semisync_replica.so' % name)


# Removed in 9.0-9.7 (9.7 LTS itself removed none; the 9.1 and 9.2 lists could not be checked). Sources:
# Version Reference https://dev.mysql.com/doc/mysqld-version-reference/en/optvar-changes-9-0.html (9.0);
# MySQL 9.5 Reference Manual, 1.5 "... Added, Deprecated, or Removed in MySQL 9.5"
# https://dev.mysql.com/doc/refman/9.5/en/added-deprecated-removed.html and 19.4.10.1 "Installing
# Semisynchronous Replication" (the old plugins "have now been removed"); optvar-changes-9-7.html (9.7).
# The 9.5 removals come before the 8.0.26 renames below: the first entry that applies wins.
_MYSQL_97_CATALOG = (
    removed('mysql_native_password', (9, 0, 0), _NATIVE_PASSWORD_ADVICE),
    removed('mysql_native_password_proxy_users', (9, 0, 0), _NATIVE_PASSWORD_ADVICE),
    removed('rpl_semi_sync_master_enabled', (9, 5, 0), _semi_sync_advice('rpl_semi_sync_source_enabled')),
    removed('rpl_semi_sync_master_timeout', (9, 5, 0), _semi_sync_advice('rpl_semi_sync_source_timeout')),
    removed('rpl_semi_sync_master_wait_point', (9, 5, 0), _semi_sync_advice('rpl_semi_sync_source_wait_point')),
    removed('rpl_semi_sync_master_wait_for_slave_count', (9, 5, 0),
            _semi_sync_advice('rpl_semi_sync_source_wait_for_replica_count')),
    removed('rpl_semi_sync_master_trace_level', (9, 5, 0),
            _semi_sync_advice('rpl_semi_sync_source_trace_level')),
    removed('rpl_semi_sync_slave_enabled', (9, 5, 0), _semi_sync_advice('rpl_semi_sync_replica_enabled')),
    removed('rpl_semi_sync_slave_trace_level', (9, 5, 0),
            _semi_sync_advice('rpl_semi_sync_replica_trace_level')),
    removed('replica_parallel_type', (9, 5, 0), 'delete it: the applier always uses LOGICAL_CLOCK'),
    removed('slave_parallel_type', (9, 5, 0), 'delete it: the applier always uses LOGICAL_CLOCK'),
    # Version Reference, optvar-changes-9-5.html (deprecated in 8.4.0, optvar-changes-8-4.html).
    removed('group_replication_allow_local_lower_version_join', (9, 5, 0),
            'delete it: a member of a lower version can no longer join a group'),
)

MYSQL_CATALOG = tuple(_MYSQL_80_CATALOG) + _MYSQL_84_CATALOG + _MYSQL_97_CATALOG + (
    # 8.0.26 renamed master/slave settings. Still accepted through 9.7 (the ones removed in 9.5 are above).
    renamed('log_slave_updates', (8, 0, 26), 'log_replica_updates'),
    renamed('slave_parallel_workers', (8, 0, 26), 'replica_parallel_workers'),
    renamed('slave_preserve_commit_order', (8, 0, 26), 'replica_preserve_commit_order'),
    renamed('rpl_semi_sync_master_enabled', (8, 0, 26), 'rpl_semi_sync_source_enabled'),
    renamed('rpl_semi_sync_slave_enabled', (8, 0, 26), 'rpl_semi_sync_replica_enabled'),
    introduced('innodb_redo_log_capacity', (8, 0, 30), 'use innodb_log_file_size on this version'),
    introduced('binlog_expire_logs_seconds', (8, 0, 1), 'use expire_logs_days on this version'),
)


def mysql_connect(host, port, user, password, database, timeout, purpose='admin', query_timeout=QUERY_TIMEOUT):
    """A PyMySQL connection (autocommit). ``purpose`` ('admin' or 'audit') changes nothing here:
    the audit reads with SELECT and SHOW only, and MySQL has no read-only session to ask for.
    ``query_timeout``: seconds to wait for a query's answer (a probe gives its own short one)."""
    try:
        import pymysql
    except ImportError:
        raise DbopsError("the Python library PyMySQL is required on the host that runs the module "
                         "(pip install PyMySQL)", 'login_host')
    try:
        # The greeting is read within the connect timeout: a server of another engine never greets
        # (PostgreSQL waits for the client), so waiting the whole read timeout would only delay the error.
        connection = pymysql.connect(host=host, port=int(port), user=user, password=password or '',
                                     database=database or None, connect_timeout=timeout,
                                     read_timeout=max(int(timeout or 10), 1), autocommit=True)
    except pymysql.err.MySQLError as exc:
        cause, detail = login_errors.mysql_cause(exc)
        raise login_errors.connect_failure(cause, detail, host, port, user, 'MySQL/MariaDB', bool(password),
                                           database, same_family=('mysql', 'mariadb'), timeout=timeout)
    # The greeting was read within the connect timeout; queries get query_timeout (PyMySQL reads
    # _read_timeout before each read and has no setter for it).
    connection._read_timeout = max(1, int(round(query_timeout)))
    return connection


def _audit_hooks():
    # Imported here: the provisioning path does not need the audit code.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import audit as audit_mysql
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks import table
    return audit_mysql.collect, table.CHECKS


def _failover_driver():
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import failover as failover_mysql
    return failover_mysql.FailoverDriver


def _server_settings():
    # Imported here: only db_container asks the image's server to judge its settings.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import server_settings
    return server_settings


def _replication_driver():
    # Imported here: provisioning and the audit do not need the replication code.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as replication_mysql
    return replication_mysql.Driver


class MySQLAdapter(EngineAdapter):
    # db_tune_report: how to connect, and the engine's audit (collector and checks).
    connect = staticmethod(mysql_connect)
    audit_hooks = staticmethod(_audit_hooks)
    replication_driver = staticmethod(_replication_driver)
    failover_driver = staticmethod(_failover_driver)
    name = 'mysql'
    label = 'MySQL'
    port = 3306
    # MySQL 8.0 reached end of life in April 2026; 8.4 is the LTS line.
    official_image = 'mysql:8.4'
    local_image = 'localhost/dbops/mysql:9.7'  # Debian sid's MySQL 9.7 LTS (images/mysql-9.7)
    version_env = ('MYSQL_VERSION', 'MYSQL_MAJOR')
    data_dir = '/var/lib/mysql'
    config_dir = '/etc/mysql/conf.d'      # included by the official images' my.cnf
    config_file = 'zz-dbops.cnf'          # read last: it wins over the image's files
    log_dir = '/var/log/mysql'
    rules = mysql_tuning.MYSQL_RULES
    catalog = MYSQL_CATALOG
    memory_bounded = ('innodb_buffer_pool_size', 'tmp_table_size', 'max_heap_table_size',
                      'innodb_log_buffer_size')
    superuser = 'root'
    client = 'mysql'
    env_prefix = 'MYSQL'
    max_user_length = 32  # MySQL manual: user names are up to 32 characters

    # my.cnf as mysqld reads it (checked with my_print_defaults on MySQL 9.7, MariaDB 10.11 and 11.8):
    # "#" outside quotes starts a comment anywhere on a line, ";" only at its start.
    config_value_forbidden = (
        ('#', 'my.cnf starts a comment at "#", so the server would read the value cut short there'),
        ('\\', 'my.cnf reads a backslash as an escape (\\n is a line break, \\s a space), so the server '
               'would read another value'),
    )

    def check_settings_on_server(self, docker, image, image_id, version, settings, config_text, user_settings):
        # mysqld --validate-config (MySQL) or mariadbd --verbose --help (MariaDB) in a throw-away container.
        return _server_settings().check(self, docker, image, version, settings, config_text, user_settings)

    def normalize_name(self, setting):
        # mysqld treats dashes and underscores in option names alike.
        return setting.strip().replace('-', '_').lower()

    def format_value(self, value, kind):
        if kind == tuning.SIZE:
            return sizes.to_mysql(int(value))
        if isinstance(value, bool):
            return 'ON' if value else 'OFF'
        return value

    def size_in_bytes(self, name, value):
        try:
            return sizes.parse_engine_size(value)
        except ValueError:
            return None

    # Variables that exist only once their plugin is loaded (plugin_load_add). The entrypoint's
    # `mysqld --initialize` ignores plugin_load_add but reads the same file, and aborts on a variable
    # it does not know: written with the `loose-` prefix they are skipped there and set when the
    # plugin loads (MySQL manual, "Program Option Modifiers"; "Installing Semisynchronous Replication").
    plugin_variable_prefixes = ('rpl_semi_sync_source_', 'rpl_semi_sync_replica_', 'clone_')

    def render_config(self, settings):
        lines = ['# Managed by dbops.containers.db_container: edits are overwritten.', '[mysqld]']
        for name in sorted(settings):
            option = 'loose-' + name if name.startswith(self.plugin_variable_prefixes) else name
            lines.append('%s = %s' % (option, self.format_value(settings[name], None)))
        return '\n'.join(lines) + '\n'

    def environment(self, database, user, has_password, version):
        prefix = self.env_prefix
        env = {'%s_ROOT_PASSWORD_FILE' % prefix: ROOT_PASSWORD_FILE}
        if database:
            env['%s_DATABASE' % prefix] = database
        if user:
            env['%s_USER' % prefix] = user
            env['%s_PASSWORD_FILE' % prefix] = USER_PASSWORD_FILE
        return env

    def healthcheck(self):
        # A real query over TCP: the entrypoint's temporary init server listens
        # on the socket only, so this passes once the real server is up.
        # MYSQL_PWD keeps the password out of the command line (and inspect).
        return ('MYSQL_PWD="$(cat %s)" %s --protocol=tcp -h127.0.0.1 -P%d -uroot -N -e "SELECT 1" >/dev/null'
                % (ROOT_PASSWORD_FILE, self.client, self.port))

    def validate_identity(self, database, user):
        if user and user.lower() == 'root':
            raise DbopsError("'root' is the superuser (root_password); name the application user differently",
                             'user')
        for parameter, value, limit in (('database', database, 64), ('user', user, self.max_user_length)):
            if value and ('`' in value or "'" in value or len(value) > limit):
                raise DbopsError("%r is not a usable name: at most %d characters, no quotes or backticks"
                                 % (value, limit), parameter)
