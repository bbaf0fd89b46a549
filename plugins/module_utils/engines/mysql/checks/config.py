# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category config: removed, deprecated and lax settings."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least, format_version
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flavor, is_mysql, num, setting_fix, text, version)
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import MariaDB, MySQL

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.config.expire_logs_days', 'config', 'warning', 'expire_logs_days used on MySQL 8',
       'MySQL 8.0 deprecated expire_logs_days for binlog_expire_logs_seconds and 8.2 removed it: the configuration '
       'breaks the next upgrade.',
       'MySQL 8.0 manual: binlog_expire_logs_seconds; MySQL Server Version Reference 8.2')
def expire_logs_days_used(facts):
    # MySQL deprecated expire_logs_days in 8.0 and removed it in 8.2: a configuration that
    # still sets it stops the server from starting after the upgrade to 8.4. On MariaDB it is
    # an alias of binlog_expire_logs_seconds.
    if not is_mysql(facts) or not at_least(version(facts), (8, 0)) or at_least(version(facts), (8, 2)):
        return None
    days = num(facts, 'expire_logs_days')
    if days <= 0:
        return None
    seconds = int(days * 86400)
    return finding('expire_logs_days=%g' % days, 'binlog_expire_logs_seconds=%d' % seconds,
                   'expire_logs_days is deprecated since MySQL 8.0 and removed in 8.2; mysqld 8.4 refuses '
                   'to start with it', 'delete expire_logs_days from the configuration; '
                   + setting_fix('binlog_expire_logs_seconds', seconds, facts))


def _is(*neutral):
    """A predicate: the variable still has one of its neutral values (the setting is not used)."""
    values = set(v.upper() for v in neutral)
    return lambda value: str(value).upper() in values


# (flavor class, deprecated since, removed in, variable, its neutral value(s), what to do instead).
# A deprecated variable stays visible in SHOW VARIABLES with its default value; a value away
# from the default means the configuration sets it. expire_logs_days and innodb_log_file_size
# have their own checks.
# Sources: MySQL Server Version Reference (option and variable changes for 8.0, 8.3, 8.4);
# MariaDB KB, InnoDB System Variables (Deprecated/Removed fields).
DEPRECATED_SETTINGS = (
    (MySQL, (8, 0, 18), (8, 3), 'log_bin_use_v1_row_events', _is('OFF', '0'),
     'delete it: replicas older than MySQL 5.6.6 are long unsupported'),
    (MySQL, (8, 0, 23), (8, 3), 'master_info_repository', _is('TABLE'),
     'delete it: the connection metadata repository is always a crash-safe table'),
    (MySQL, (8, 0, 23), (8, 3), 'relay_log_info_repository', _is('TABLE'),
     'delete it: the applier metadata repository is always a crash-safe table'),
    (MySQL, (8, 0), (8, 4), 'avoid_temporal_upgrade', _is('OFF', '0'),
     'delete it and ALTER TABLE ... FORCE the tables with pre-5.6.4 temporal columns'),
    (MariaDB, (10, 5, 1), (10, 6), 'innodb_buffer_pool_instances', _is('1'),
     'delete it: MariaDB has one buffer pool since 10.5 and ignores the setting'),
    (MariaDB, (10, 5, 2), (10, 6), 'innodb_log_files_in_group', _is('1'),
     'delete it: MariaDB writes one redo log file since 10.5 (size it with innodb_log_file_size)'),
    (MariaDB, (10, 5, 5), (10, 6), 'innodb_thread_concurrency', _is('0'),
     'delete it: InnoDB no longer throttles threads'),
    (MariaDB, (10, 9), (11, 0), 'innodb_change_buffering', _is('none'),
     'delete it: the change buffer is ignored since 10.9 and removed in 11.0'),
    (MariaDB, (11, 0, 1), (11, 1), 'innodb_defragment', _is('OFF', '0'),
     'delete it: use OPTIMIZE TABLE to rebuild fragmented tables'),
)


@check(TABLE, 'mysql.config.deprecated_settings', 'config', 'warning', 'Deprecated settings in use',
       'A deprecated setting is ignored or soon removed; the release that removes it refuses to start with it in the '
       'configuration.',
       'MySQL Server Version Reference (8.0, 8.3, 8.4 changes); MariaDB KB: InnoDB System Variables')
def deprecated_settings_in_use(facts):
    current, removal, advice = [], [], []
    server = flavor(facts)
    for flavor_class, since, removed_in, name, neutral, instead in DEPRECATED_SETTINGS:
        if (not isinstance(server, flavor_class) or not at_least(version(facts), since)
                or at_least(version(facts), removed_in)):
            continue
        if name in facts['variables'] and not neutral(facts['variables'][name]):
            current.append('%s=%s' % (name, facts['variables'][name]))
            removal.append('%s is removed in %s %s' % (name, server.name, format_version(removed_in)))
            advice.append('%s: %s' % (name, instead))
    if not current:
        return None
    return finding(', '.join(current), 'not set',
                   '; '.join(removal) + ': the server refuses to start with them after the upgrade',
                   '; '.join(advice))


@check(TABLE, 'mysql.config.sql_mode', 'config', 'warning', 'sql_mode without strict mode',
       'Non-strict modes silently truncate or adjust invalid values.',
       'MySQL manual: Strict SQL Mode')
def sql_mode_not_strict(facts):
    modes = [m for m in text(facts, 'sql_mode').upper().split(',') if m]
    if 'STRICT_TRANS_TABLES' in modes or 'STRICT_ALL_TABLES' in modes:
        return None
    wanted = modes + ['STRICT_TRANS_TABLES']
    return finding(','.join(modes) or "''", 'with STRICT_TRANS_TABLES',
                   'without a strict mode, out-of-range or too long values are silently truncated with a warning',
                   setting_fix('sql_mode', "'%s'" % ','.join(wanted), facts))
