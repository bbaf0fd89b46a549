# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the PostgreSQL checks share: reading settings and statistics from the facts, and the fix text.

Each check reads the facts audit.collect() gathered, plus facts['limits'] (the
container's memory and CPUs) and facts['recommended'] (what db_container would
derive for those limits, formatted, with '<name>_bytes' for sizes), and returns
None when the server is fine on that point or a finding() with the fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB, to_postgres
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.audit import setting_bytes

# Settings PostgreSQL reads only at server start (pg_settings.context = 'postmaster').
RESTART_SETTINGS = ('shared_buffers', 'max_connections', 'wal_buffers', 'shared_preload_libraries', 'huge_pages',
                    'max_worker_processes', 'listen_addresses', 'wal_level', 'max_wal_senders',
                    'superuser_reserved_connections')
DAY = 86400


def setting(facts, name):
    return facts['settings'][name]['setting']


def number(facts, name):
    return float(setting(facts, name))


def is_on(facts, name):
    return str(setting(facts, name)).lower() in ('on', 'true', 'yes', '1')


def size(facts, name):
    value = setting_bytes(facts['settings'], name)
    if value is None:
        raise ValueError('%s has no size' % name)
    return value


def wanted(facts, name):
    """db_container's value for the container's limits (formatted) and its bytes."""
    return facts['recommended'][name], int(facts['recommended'][name + '_bytes'])


def below_half_of_wanted(facts, name):
    """(current size, value db_container derives) when the setting is below half of that value, else None."""
    current = size(facts, name)
    value, target = wanted(facts, name)
    if current >= target * 0.5:
        return None
    return current, value


def stat(facts, name):
    return float(facts['database_stats'][name])


def human(value):
    value = int(value)
    if value % MIB == 0 or value < MIB:
        return to_postgres(value) if value else '0'
    return '%.1fMB' % (value / MIB) if value < GIB else '%.1fGB' % (value / GIB)


def quoted(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'%s'" % str(value).replace("'", "''")


def setting_fix(name, value):
    """The two ways to apply a setting, and whether the server must restart."""
    sql = 'ALTER SYSTEM SET %s = %s; ' % (name, quoted(value))
    if name in RESTART_SETTINGS:
        sql += 'then restart the server (%s is read at start only)' % name
    else:
        sql += 'SELECT pg_reload_conf()'
    shown = "''" if value == '' else value
    return 'settings: {%s: %s} (db_container) or %s' % (name, shown, sql)


def table_name(row):
    return '%s.%s' % (row['schemaname'], row['relname'])


def uptime_days(facts):
    return max(facts['uptime_s'] / DAY, 1.0 / 24)


def listing(items, limit=5):
    items = list(items)
    text = ', '.join(items[:limit])
    return text + (' (+%d more)' % (len(items) - limit) if len(items) > limit else '')


def setting_off(facts, name, wanted_value, why):
    """The finding of a boolean setting that should be on (None when it is)."""
    if is_on(facts, name):
        return None
    return finding('off', wanted_value, why, setting_fix(name, wanted_value))
