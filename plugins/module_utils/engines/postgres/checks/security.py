# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category security: pg_hba.conf rules, passwords, superusers and TLS."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    is_on, listing, setting, setting_fix)

LOOPBACK_PREFIXES = ('127.', '::1')
EVERYWHERE = ('all', '0.0.0.0', '::')

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


def hba_scope(rule):
    """'local' (socket or loopback), 'everywhere' (any address), or 'network'."""
    if rule['type'] == 'local':
        return 'local'
    address = (rule['address'] or '').lower()
    if address in ('samehost',) or address.startswith(LOOPBACK_PREFIXES):
        return 'local'
    if address in EVERYWHERE and (address == 'all' or rule.get('netmask') in ('0.0.0.0', '::', None)):
        return 'everywhere'
    return 'network'


def describe_rule(rule):
    parts = [rule['type'], ','.join(rule['database'] or []), ','.join(rule['user_name'] or []),
             rule['address'], rule['auth_method']]
    return 'line %s: %s' % (rule['line_number'], ' '.join(p for p in parts if p))


def trust_rules(facts, local):
    if facts['hba'] is None:
        return None
    rules = [r for r in facts['hba'] if r['auth_method'] == 'trust' and (hba_scope(r) == 'local') == local]
    if not rules:
        return None
    where = 'the socket and loopback' if local else 'the network'
    return finding(listing((describe_rule(r) for r in rules), 10), 'scram-sha-256',
                   'trust lets anyone who reaches %s log in as any role, the superuser included, without a password'
                   % where,
                   'in pg_hba.conf change trust to %s on these lines, then SELECT pg_reload_conf()'
                   % ('peer (socket) or scram-sha-256' if local else 'scram-sha-256'))


@check(TABLE, 'postgres.security.trust_remote', 'security', 'critical', 'trust authentication from the network',
       'trust skips authentication for every matching client.',
       'PostgreSQL manual 21.4 Trust Authentication')
def trust_remote(facts):
    return trust_rules(facts, local=False)


@check(TABLE, 'postgres.security.trust_local', 'security', 'warning', 'trust authentication on the socket or loopback',
       'Any local process, or anyone in the container, becomes any role.',
       'PostgreSQL manual 21.4 Trust Authentication')
def trust_local(facts):
    return trust_rules(facts, local=True)


@check(TABLE, 'postgres.security.md5', 'security', 'warning', 'md5 passwords instead of scram-sha-256',
       'SCRAM resists replay and sniffing; md5 is deprecated.',
       'PostgreSQL manual 21.5 Password Authentication')
def md5_passwords(facts):
    encryption = setting(facts, 'password_encryption')
    rules = [r for r in facts['hba'] or [] if r['auth_method'] in ('md5', 'password')]
    hashes = (facts['roles'].get('md5_passwords') or [])
    if encryption != 'md5' and not rules and not hashes:
        return None
    evidence = ['password_encryption = %s' % encryption]
    evidence += [describe_rule(r) for r in rules]
    if hashes:
        evidence.append('md5 password hashes: %s' % listing(hashes))
    return finding(listing(evidence, 10), 'scram-sha-256',
                   'md5 hashes can be replayed from pg_authid and are deprecated; "password" sends it in clear text',
                   setting_fix('password_encryption', 'scram-sha-256') +
                   '; re-set each password (ALTER ROLE <role> PASSWORD ...), then change md5 to scram-sha-256 in '
                   'pg_hba.conf')


@check(TABLE, 'postgres.security.open_to_everyone', 'security', 'info', 'Every address may connect to every database',
       'Narrow pg_hba.conf rules limit who can even try a password.',
       'PostgreSQL manual 21.1 The pg_hba.conf File')
def open_to_everyone(facts):
    if facts['hba'] is None or setting(facts, 'listen_addresses').strip() not in ('*', '0.0.0.0', '::'):
        return None
    rules = [r for r in facts['hba'] if hba_scope(r) == 'everywhere' and r['auth_method'] != 'reject'
             and 'all' in (r['database'] or []) and 'all' in (r['user_name'] or [])]
    if not rules:
        return None
    return finding("listen_addresses = '*'; " + describe_rule(rules[0]),
                   'the application network only (e.g. host app app 10.0.0.0/24 scram-sha-256)',
                   'every role may try every database from any address (passwords still required)',
                   'in pg_hba.conf replace the address on line %s with the clients\' subnet, then SELECT '
                   'pg_reload_conf(); keep the port off public networks' % rules[0]['line_number'])


@check(TABLE, 'postgres.security.hba_errors', 'security', 'warning', 'pg_hba.conf has invalid lines',
       'An unloadable pg_hba.conf is ignored on reload and stops a restart.',
       'PostgreSQL manual 54.9 pg_hba_file_rules')
def hba_errors(facts):
    broken = [r for r in facts['hba'] or [] if r.get('error')]
    if not broken:
        return None
    return finding(listing('line %s: %s' % (r['line_number'], r['error']) for r in broken), 'no errors',
                   'pg_hba.conf has lines the server cannot load: the next reload keeps the old rules, a '
                   'restart refuses connections', 'fix the lines in pg_hba.conf, then SELECT pg_reload_conf()')


@check(TABLE, 'postgres.security.superusers', 'security', 'warning', 'More than two superusers',
       'Superusers bypass every permission; fewer is safer.',
       'PostgreSQL manual 22.2 Role Attributes')
def too_many_superusers(facts):
    superusers = facts['roles']['superusers']
    if len(superusers) <= 2:
        return None
    return finding('%d superusers' % len(superusers), '<= 2',
                   'superusers: %s' % listing(superusers, 10),
                   'ALTER ROLE %s NOSUPERUSER (grant pg_monitor, pg_read_all_data or ownership instead)'
                   % [s for s in superusers if s != 'postgres'][0])


@check(TABLE, 'postgres.security.login_without_password', 'security', 'warning', 'Login roles without a password',
       'A role without a password relies on trust, peer or certificates alone.',
       'PostgreSQL manual 22.2 Role Attributes; 21.5')
def login_without_password(facts):
    roles = facts['roles']['login_without_password']
    if not roles:
        return None
    return finding(listing(roles, 10), 'a password (or a certificate) for every login role',
                   'these roles can log in and have no password: any trust or ident line lets them in',
                   "ALTER ROLE %s PASSWORD '<password>' (or ALTER ROLE %s NOLOGIN)" % (roles[0], roles[0]))


@check(TABLE, 'postgres.security.ssl_off', 'security', 'info', 'SSL off',
       'Without TLS data crosses the network in clear.',
       'PostgreSQL manual 19.9 Secure TCP/IP Connections')
def ssl_off(facts):
    if is_on(facts, 'ssl'):
        return None
    return finding('off', 'on', 'passwords are hashed (SCRAM) but queries and results cross the network in clear',
                   'mount a certificate and key, then ' + setting_fix('ssl', 'on') +
                   ' (ssl_cert_file, ssl_key_file); use hostssl lines in pg_hba.conf')
