# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the MySQL and MariaDB checks share: reading the facts, the flavor, and the fix text.

Each check reads the facts audit.collect() gathered, plus facts['limits'] (the
container's memory and CPUs) and facts['recommended'] (what db_container would
derive for those limits), and returns None when the server is fine on that point
or a finding() with the fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import KIB, MIB, to_mysql
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_named


def var(facts, name, default=None):
    return facts['variables'].get(name, default)


def num(facts, name, source='variables'):
    value = facts[source].get(name)
    if value in (None, ''):
        raise KeyError(name)
    return float(value)


def status(facts, name):
    return num(facts, name, 'status')


def on(facts, name):
    return str(var(facts, name, '')).upper() in ('ON', '1', 'YES', 'TRUE')


def flag(facts, name):
    """A boolean variable; KeyError (check not evaluated) when the server does not have it."""
    return str(facts['variables'][name]).upper() in ('ON', '1', 'YES', 'TRUE')


def text(facts, name):
    """A variable as text; KeyError when the server does not have it, '' for NULL."""
    value = facts['variables'][name]
    return '' if value is None else str(value)


def first_var(facts, *names):
    """The first of several names the server knows (the replica/slave renames of MySQL 8.0.26)."""
    for name in names:
        if name in facts['variables']:
            return name
    raise KeyError(names[0])


def uptime(facts):
    return status(facts, 'uptime')


def per_day(count, facts):
    return count * 86400.0 / max(uptime(facts), 1)


def ratio(part, whole):
    return part / whole if whole else 0.0


def human(size):
    return to_mysql(int(size)) if size % KIB == 0 else '%.1fM' % (size / MIB)


def recommended_size(facts, name):
    """What db_container derives for the container's limits, in bytes (KeyError without limits)."""
    return int(facts['recommended'][name + '_bytes'])


def limit_cpus(facts):
    cpus = facts['limits'].get('cpus')
    if not cpus:
        raise KeyError('limits.cpus')
    return float(cpus)


def setting_fix(name, value, facts=None, restart=False):
    """The db_container setting and the statement that applies it to a running server.

    MariaDB has no SET PERSIST: a SET GLOBAL is lost at restart, so the setting goes
    in the configuration too. Read-only variables need a restart on both.
    """
    managed = 'settings: {%s: %s} (db_container)' % (name, value)
    if facts is None:
        return '%s or SET PERSIST %s = %s' % (managed, name, value)
    if not flavor(facts).has_set_persist:
        if restart:
            return '%s, then restart (%s is read-only at runtime)' % (managed, name)
        return '%s, and SET GLOBAL %s = %s to apply it now' % (managed, name, value)
    if restart:
        return '%s or SET PERSIST_ONLY %s = %s, then restart' % (managed, name, value)
    return '%s or SET PERSIST %s = %s' % (managed, name, value)


def flavor(facts):
    """The server's Flavor (flavor.py) at its version: facts['engine'] is its name."""
    return flavor_named(facts['engine'], facts.get('version'))


def is_mariadb(facts):
    return flavor(facts).is_mariadb


def is_mysql(facts):
    return not flavor(facts).is_mariadb


def version(facts):
    return facts['version']


def is_replica(facts):
    return bool(facts.get('replication'))


def quoted(account):
    return "'%s'@'%s'" % (account['user'], account['host'])


def wildcard_host(host):
    return '%' in (host or '')


def table_name(row):
    return '`%s`.`%s`' % (row['schema'], row['table'])


def myisam_tables(facts):
    return [t for t in facts['tables'] if (t['engine'] or '').lower() == 'myisam']
