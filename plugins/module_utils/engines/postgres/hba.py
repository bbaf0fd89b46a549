# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The primary's ``host replication`` line of pg_hba.conf: the line, the shell snippet that
appends it, and whether the server's rules (pg_hba_file_rules) hold it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    from shlex import quote as shell_quote
except ImportError:  # pragma: no cover - Python 2
    from pipes import quote as shell_quote

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 without the backport
    ipaddress = None

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sql import rows
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import check_identifier

HBA_KEYWORDS = ('samenet', 'samehost', 'all')


def normalize_hba_source(source):
    source = (source or 'samenet').strip()
    if source in HBA_KEYWORDS:
        return source
    if ipaddress is not None:
        try:
            return str(ipaddress.ip_network(u'%s' % source, strict=False))
        except ValueError:
            pass
    elif re.match(r'^[0-9a-fA-F:.]+/\d{1,3}$', source):
        return source
    raise DbopsError('%r is neither samenet, samehost, all nor a CIDR address (10.0.0.0/8)' % (source,),
                     'hba_source')


def hba_line(user, source):
    return 'host replication %s %s scram-sha-256' % (check_identifier(user, 'replication_user'),
                                                     normalize_hba_source(source))


def hba_append_command(hba_file, line):
    """An idempotent shell snippet: append line to hba_file unless it is there (as user postgres)."""
    snippet = ('F=%s; L=%s; '
               'if grep -qxF "$L" "$F"; then echo present; '
               'else { if [ -s "$F" ] && [ -n "$(tail -c1 "$F")" ]; then echo; fi; printf "%%s\\n" "$L"; } '
               '>> "$F" && echo appended; fi' % (shell_quote(hba_file), shell_quote(line)))
    return ('if [ "$(id -u)" = 0 ]; then exec gosu postgres sh -c %s; else exec sh -c %s; fi'
            % (shell_quote(snippet), shell_quote(snippet)))


def _netmask_prefix(netmask):
    if ipaddress is None:
        if re.match(r'^\d+\.\d+\.\d+\.\d+$', netmask or ''):
            return sum(bin(int(part)).count('1') for part in netmask.split('.'))
        return None
    try:
        packed = ipaddress.ip_address(u'%s' % netmask).packed
    except ValueError:
        return None
    return sum(bin(b if isinstance(b, int) else ord(b)).count('1') for b in packed)


def hba_rule_matches(rule, user, source):
    """rule: a pg_hba_file_rules row as a dict."""
    if rule.get('type') != 'host' or rule.get('auth_method') != 'scram-sha-256':
        return False
    if list(rule.get('database') or []) != ['replication'] or list(rule.get('user_name') or []) != [user]:
        return False
    address, netmask = rule.get('address'), rule.get('netmask')
    if source in HBA_KEYWORDS:
        return address == source
    if address is None:
        return False
    prefix = _netmask_prefix(netmask) if netmask else None
    if ipaddress is None:  # Python 2 without the backport: the address as written
        return '%s/%s' % (address, prefix) == source
    try:
        network = ipaddress.ip_network(u'%s/%s' % (address, prefix) if prefix is not None else u'%s' % address,
                                       strict=False)
        return network == ipaddress.ip_network(u'%s' % source, strict=False)
    except ValueError:
        return False


# ------------------------------------------------------------------ the server's rules
def check_hba_errors(conn):
    errors = rows(conn, 'SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL')
    if errors:
        raise DbopsError('pg_hba.conf has errors, so PostgreSQL keeps its previous rules: %s'
                         % '; '.join('line %s: %s' % (row['line_number'], row['error']) for row in errors),
                         'hba_source')


def hba_has_rule(conn, user, source):
    rules = rows(conn, 'SELECT type, database, user_name, address, netmask, auth_method, error '
                       'FROM pg_hba_file_rules')
    return any(hba_rule_matches(rule, user, source) and not rule.get('error') for rule in rules)
