# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category security: accounts, passwords, file access and TLS."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flag, is_mariadb, is_mysql, on, quoted, setting_fix, text, version, wildcard_host)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []

# Passwords an attacker tries first: the head of the public breached-password lists (NCSC's
# "100,000 most common", Have I Been Pwned) and the names of the software itself. Each is tried
# as written, in lower case, in capitals and capitalised, as is the account's user name.
COMMON_PASSWORDS = (
    '123456', '123456789', '12345678', '1234567', '12345', '1234', '111111', '000000', '123123', '654321',
    '1234567890', '7777777', '121212', '123321', '666666', '1q2w3e4r', '1qaz2wsx', 'qwerty', 'qwertyuiop',
    'qazwsx', 'abc123', 'password', 'password1', 'passw0rd', 'p@ssw0rd', 'letmein', 'welcome', 'iloveyou',
    'monkey', 'dragon', 'football', 'baseball', 'shadow', 'master', 'superman', 'michael', 'mustang', 'secret',
    'changeme', 'default', 'test', 'guest', 'admin', 'root', 'toor', 'mysql', 'mariadb', 'database', 'dbadmin',
)


def native_password_hash(password):
    """mysql_native_password's stored form: '*' and the upper-case hex of SHA1(SHA1(password))."""
    return '*' + hashlib.sha1(hashlib.sha1(password.encode('utf-8')).digest()).hexdigest().upper()


def _variants(word):
    return set((word, word.lower(), word.upper(), word[:1].upper() + word[1:]))


_COMMON_HASHES = frozenset(native_password_hash(v) for word in COMMON_PASSWORDS for v in _variants(word))


def guessable_password(user, plugin, secret):
    """True when an account's stored hash is that of a common password or of its own user name.

    Only mysql_native_password's hash is unsalted, so only it can be compared offline (MariaDB's
    default plugin; legacy accounts of MySQL before 9.0). The audit's collector calls this on each
    account's authentication_string and keeps only the answer: no hash leaves the collector.
    """
    secret = secret.decode('ascii', 'replace') if isinstance(secret, bytes) else str(secret or '')
    if not (plugin in ('mysql_native_password', '') and len(secret) == 41 and secret.startswith('*')):
        return False
    secret = secret.upper()
    return secret in _COMMON_HASHES or any(native_password_hash(v) == secret for v in _variants(user or ''))


def passwordless(facts, on_wildcard_hosts, recommended, evidence):
    """The finding for the named, unlocked accounts without a password, on wildcard hosts or on the others."""
    accounts = [quoted(a) for a in facts['accounts']
                if a['empty_password'] and a['user'] != '' and not a['locked']
                and bool(wildcard_host(a['host'])) == on_wildcard_hosts]
    if not accounts:
        return None
    return finding(', '.join(accounts), recommended, evidence,
                   "ALTER USER %s IDENTIFIED BY '<password>' (or DROP USER)" % accounts[0])


@check(TABLE, 'mysql.security.anonymous', 'security', 'critical', 'Anonymous accounts',
       'An account with an empty user name matches any user name.',
       'MySQL manual: Securing the Initial Accounts')
def anonymous_accounts(facts):
    if facts['accounts'] is None:
        return None
    anonymous = ["''@'%s'" % a['host'] for a in facts['accounts'] if a['user'] == '']
    if not anonymous:
        return None
    return finding(', '.join(anonymous), 'none', 'anonymous accounts let anyone log in',
                   '; '.join("DROP USER %s" % a for a in anonymous))


@check(TABLE, 'mysql.security.no_password', 'security', 'critical', 'Accounts without a password',
       'Anyone who reaches the port logs in.',
       'MySQL manual: Securing the Initial Accounts')
def accounts_without_password(facts):
    if facts['accounts'] is None:
        return None
    # Wildcard hosts have their own, critical check (security.wildcard_no_password).
    return passwordless(facts, False, 'a password (or unix_socket) for every account',
                        'these accounts log in without a password')


@check(TABLE, 'mysql.security.weak_password', 'security', 'critical', 'Accounts with a guessable password',
       'A common password, or the user name as password, falls to the first guesses of any attacker.',
       'MySQL manual: Password Management (validate_password); MariaDB KB: simple_password_check; '
       'MySQLTuner: basic passwords')
def weak_passwords(facts):
    if facts['accounts'] is None:
        return None
    # guessable_password is decided by the collector (checked offline, for unsalted hashes only).
    weak = [quoted(a) for a in facts['accounts'] if a.get('guessable_password') and not a['locked']]
    if not weak:
        return None
    return finding(', '.join(weak[:10]), 'a long random password (or unix_socket) for every account',
                   '%d accounts use a common password or their user name as password: a dictionary '
                   'attack logs in at its first tries' % len(weak),
                   "ALTER USER %s IDENTIFIED BY '<long random password>'" % weak[0])


@check(TABLE, 'mysql.security.skip_name_resolve', 'security', 'warning', 'DNS lookups at every connection',
       'Reverse DNS at login delays connections and ties logins to DNS availability.',
       'MySQL manual: DNS Lookups and the Host Cache; MySQLTuner')
def name_resolution_on(facts):
    if flag(facts, 'skip_name_resolve'):
        return None
    by_name = [quoted(a) for a in facts.get('accounts') or []
               if a['host'] not in ('localhost', '%') and any(c.isalpha() for c in a['host'].replace('%', ''))
               and ':' not in a['host']]
    evidence = 'every new connection waits for a reverse DNS lookup; a slow DNS server stalls logins'
    if by_name:
        evidence += '; these accounts use host names and must be re-created by IP first: ' + ', '.join(by_name[:5])
    return finding('OFF', 'ON', evidence, setting_fix('skip_name_resolve', 'ON', facts, restart=True))


@check(TABLE, 'mysql.security.local_infile', 'security', 'warning', 'LOAD DATA LOCAL enabled',
       'LOAD DATA LOCAL lets the server side request files from the client host.',
       'MySQL manual: Security Considerations for LOAD DATA LOCAL')
def local_infile_on(facts):
    if not flag(facts, 'local_infile'):
        return None
    return finding('ON', 'OFF', 'LOAD DATA LOCAL lets a malicious server or an injected statement read files '
                   'from the client host', setting_fix('local_infile', 'OFF', facts))


@check(TABLE, 'mysql.security.secure_file_priv', 'security', 'warning', 'File import and export not confined',
       'An empty secure_file_priv lets FILE-privileged users read and write any file the server can.',
       'MySQL manual: secure_file_priv; CIS MySQL Benchmark')
def secure_file_priv_empty(facts):
    value = facts['variables']['secure_file_priv']
    # NULL disables import/export; a directory confines it; '' allows every file mysqld can read.
    if value is None or str(value).upper() == 'NULL' or str(value) != '':
        return None
    return finding("''", '/var/lib/mysql-files', 'LOAD DATA INFILE and SELECT ... INTO OUTFILE can read and '
                   'write any file the server process can',
                   setting_fix('secure_file_priv', '/var/lib/mysql-files', facts, restart=True))


@check(TABLE, 'mysql.security.remote_root', 'security', 'warning', 'root can log in from any host',
       'The superuser should not be reachable from every network.',
       'MySQL manual: Securing the Initial MySQL Account; MySQLTuner: remote root')
def remote_root(facts):
    if facts['accounts'] is None:
        raise KeyError('accounts')
    roots = [a for a in facts['accounts'] if a['user'] == 'root' and a['host'] == '%' and not a['locked']]
    if not roots:
        return None
    return finding("'root'@'%'", "root from localhost and an admin subnet only",
                   'the superuser accepts logins from any address: a leaked password is enough from anywhere',
                   "RENAME USER 'root'@'%' TO 'root'@'<admin subnet, e.g. 10.0.0.%>' (keep the subnet "
                   "db_tune_report connects from)")


@check(TABLE, 'mysql.security.wildcard_no_password', 'security', 'critical', 'Network accounts without a password',
       'An account with a wildcard host and no password is open to the network.',
       'MySQL manual: Securing the Initial MySQL Account; CIS MySQL Benchmark')
def wildcard_without_password(facts):
    if facts['accounts'] is None:
        raise KeyError('accounts')
    return passwordless(facts, True, 'a password on every account reachable over the network',
                        'anyone who reaches the port logs in as these users')


@check(TABLE, 'mysql.security.native_password', 'security', 'warning', 'Accounts on mysql_native_password',
       'mysql_native_password is deprecated in 8.0.34, off by default in 8.4 and removed in 9.0.',
       'MySQL 8.4 manual: Native Pluggable Authentication')
def native_password_accounts(facts):
    # mysql_native_password is deprecated in MySQL 8.0.34, disabled by default in 8.4, removed in 9.0.
    if not is_mysql(facts) or not at_least(version(facts), (8, 0, 34)):
        return None
    if facts['accounts'] is None:
        raise KeyError('accounts')
    legacy = [quoted(a) for a in facts['accounts'] if a['plugin'] == 'mysql_native_password' and not a['locked']]
    if not legacy:
        return None
    return finding(', '.join(legacy[:10]), 'caching_sha2_password',
                   '%d accounts use mysql_native_password (unsalted SHA-1): MySQL 8.4 loads it only with '
                   '--mysql-native-password=ON and 9.0 removed it' % len(legacy),
                   "ALTER USER %s IDENTIFIED WITH caching_sha2_password BY '<password>'" % legacy[0])


@check(TABLE, 'mysql.security.default_auth_plugin', 'security', 'warning',
       'Default authentication plugin is mysql_native_password',
       'New accounts should use caching_sha2_password; default_authentication_plugin is removed in 8.4.',
       'MySQL manual: authentication_policy, default_authentication_plugin')
def default_auth_plugin_legacy(facts):
    if not is_mysql(facts):
        return None
    if 'default_authentication_plugin' in facts['variables']:
        name, plugin = 'default_authentication_plugin', text(facts, 'default_authentication_plugin')
    else:
        name, plugin = 'authentication_policy', text(facts, 'authentication_policy').split(',', 1)[0].strip()
    if plugin != 'mysql_native_password':
        return None
    if at_least(version(facts), (8, 0, 27)):
        fix = ('delete default_authentication_plugin (removed in 8.4); ' if name == 'default_authentication_plugin'
               else '') + setting_fix('authentication_policy', "'caching_sha2_password,,'", facts)
    else:
        fix = setting_fix('default_authentication_plugin', 'caching_sha2_password', facts, restart=True)
    return finding('%s=%s' % (name, plugin), 'caching_sha2_password',
                   'new accounts get the deprecated mysql_native_password plugin', fix)


@check(TABLE, 'mysql.security.old_password_hash', 'security', 'critical', 'Pre-4.1 password hashes',
       'The 16-byte pre-4.1 password hash is trivially broken.',
       'MariaDB KB: mysql_old_password; MySQLTuner')
def old_password_hashes(facts):
    if facts['accounts'] is None:
        raise KeyError('accounts')
    weak = [quoted(a) for a in facts['accounts'] if a['plugin'] == 'mysql_old_password' and not a['locked']]
    old_passwords = on(facts, 'old_passwords')
    if not weak and not old_passwords:
        return None
    if weak:
        fix = ("ALTER USER %s IDENTIFIED VIA mysql_native_password USING PASSWORD('<password>')" % weak[0]
               if is_mariadb(facts) else "ALTER USER %s IDENTIFIED WITH caching_sha2_password BY '<password>'"
               % weak[0])
    else:
        fix = setting_fix('old_passwords', 'OFF', facts)
    return finding(', '.join(weak) or 'old_passwords=ON', 'no pre-4.1 password hashes',
                   'the pre-4.1 16-byte password hash is cracked in seconds', fix)


@check(TABLE, 'mysql.security.tls', 'security', 'info', 'TLS not available',
       'Without TLS, credentials and data travel in clear text between the application and the server.',
       'MySQL manual: Using Encrypted Connections; MariaDB KB: Secure Connections Overview')
def tls_unavailable(facts):
    # have_ssl was removed in MySQL 8.4, which configures TLS from ssl_cert (auto-generated certificates).
    if 'have_ssl' in facts['variables']:
        available = text(facts, 'have_ssl').upper() == 'YES'
    else:
        available = bool(text(facts, 'ssl_cert'))
    if available:
        return None
    return finding('no TLS', 'TLS with a server certificate', 'passwords and data cross the network in clear '
                   'text', 'settings: {ssl_cert: /etc/mysql/tls/server-cert.pem, ssl_key: '
                   '/etc/mysql/tls/server-key.pem} (db_container, with the files mounted), then restart; clients '
                   'use --ssl-mode=REQUIRED (MariaDB: --ssl)')
