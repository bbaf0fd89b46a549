# -*- coding: utf-8 -*-
"""The cluster roles' endpoint configurations, rendered with the roles' own templates.

ProxySQL cannot run here (no image), so its configuration is checked by parsing what
the template renders: hostgroups, the read_only-based replication hostgroups, users and
query rules, in ProxySQL's libconfig syntax. HAProxy's and PgBouncer's are run for real
by the Molecule scenarios; here their structure is checked for every topology."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import configparser
import os
import re

import jinja2
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def render(role, template, variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', role, 'templates')),
                             trim_blocks=True, undefined=jinja2.StrictUndefined)
    return env.get_template(template).render(dict(variables, ansible_managed='managed by Ansible'))


BACKENDS = [
    {'name': 'db1', 'role': 'primary', 'host': 'db1', 'port': 3306},
    {'name': 'db2', 'role': 'replica', 'host': 'db2', 'port': 3306},
    {'name': 'db3', 'role': 'replica', 'host': '10.0.0.3', 'port': 13306},
]
MYSQL_VARS = dict(mysql_cluster_name='orders', mysql_cluster_topology='multi_host', mysql_cluster_backends=BACKENDS, mysql_cluster_writer_port=6446,
                  mysql_cluster_reader_port=6447, mysql_cluster_proxysql_admin_port=6032, mysql_cluster_haproxy_admin_port=9901,
                  mysql_cluster_proxysql_admin_password='adm"in', mysql_cluster_proxysql_monitor_user='monitor',
                  mysql_cluster_proxysql_monitor_password='mon-pw',
                  mysql_cluster_proxysql_users=[{'name': 'app', 'password': 'app-pw'},
                                                {'name': 'report', 'password': 'r-pw', 'default_hostgroup': 20}])


# ------------------------------------------------------------------ a small libconfig reader
TOKEN = re.compile(r'\s*(?:(#[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)|("(?:[^"\\]|\\.)*")|(-?\d+)|([=:;,(){}]))')


def tokens(text):
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip() == '':
                return
            raise ValueError('cannot parse at %r' % text[position:position + 40])
        position = match.end()
        comment, name, string, number, symbol = match.groups()
        if comment:
            continue
        if name:
            yield ('name', name)
        elif string is not None:
            yield ('value', string[1:-1])
        elif number is not None:
            yield ('value', int(number))
        elif symbol:
            yield ('symbol', symbol)


def parse_libconfig(text):
    """libconfig (ProxySQL's configuration syntax) -> dicts and lists. Raises on a syntax error."""
    stream = list(tokens(text))
    index = [0]

    def peek():
        return stream[index[0]] if index[0] < len(stream) else (None, None)

    def take(kind=None, value=None):
        token = peek()
        if token[0] is None or (kind and token[0] != kind) or (value and token[1] != value):
            raise ValueError('expected %s %s, found %r' % (kind, value, token))
        index[0] += 1
        return token[1]

    def parse_value():
        kind, value = peek()
        if kind == 'value':
            return take()
        if value == '{':
            take('symbol', '{')
            group = settings('}')
            take('symbol', '}')
            return group
        if value == '(':
            take('symbol', '(')
            items = []
            while peek()[1] != ')':
                items.append(parse_value())
                if peek()[1] == ',':
                    take()
                    if peek()[1] == ')':
                        raise ValueError('trailing comma in a list')
            take('symbol', ')')
            return items
        raise ValueError('unexpected %r' % (value,))

    def settings(end):
        group = {}
        while peek()[0] is not None and peek()[1] != end:
            name = take('name')
            take('symbol')          # = or :
            group[name] = parse_value()
            if peek()[1] in (';', ','):
                take()
        return group
    result = settings(None)
    if peek()[0] is not None:
        raise ValueError('unparsed input at %r' % (peek(),))
    return result


def test_proxysql_configuration_parses_and_routes_by_read_only():
    config = parse_libconfig(render('mysql_cluster', 'proxysql.cnf.j2', MYSQL_VARS))
    servers = config['mysql_servers']
    assert [(s['address'], s['port'], s['hostgroup']) for s in servers] == [
        ('db1', 3306, 10), ('db2', 3306, 20), ('10.0.0.3', 13306, 20)]
    assert config['mysql_replication_hostgroups'] == [
        {'writer_hostgroup': 10, 'reader_hostgroup': 20, 'check_type': 'read_only', 'comment': 'orders'}]
    assert config['mysql_variables']['monitor_username'] == 'monitor'
    assert config['mysql_variables']['monitor_password'] == 'mon-pw'
    # A double quote in a password is escaped, not the end of the string.
    assert config['admin_variables']['admin_credentials'] == 'admin:adm\\"in'
    users = dict((u['username'], u) for u in config['mysql_users'])
    assert users['app']['default_hostgroup'] == 10 and users['report']['default_hostgroup'] == 20
    assert all(u['transaction_persistent'] == 1 for u in users.values())
    rules = config['mysql_query_rules']
    # FOR UPDATE is matched before plain SELECTs, so locking reads stay on the writer.
    assert [(r['rule_id'], r['destination_hostgroup']) for r in rules] == [(1, 10), (2, 20)]
    assert rules[0]['match_digest'].endswith('FOR UPDATE')


def test_proxysql_configuration_without_users_is_still_valid():
    variables = dict(MYSQL_VARS, mysql_cluster_proxysql_users=[])
    config = parse_libconfig(render('mysql_cluster', 'proxysql.cnf.j2', variables))
    assert config['mysql_users'] == []


def test_libconfig_reader_rejects_broken_input():
    with pytest.raises(ValueError):
        parse_libconfig('mysql_servers = ( { address="a" }, )')
    with pytest.raises(ValueError):
        parse_libconfig('mysql_variables = { threads=4 ')


def haproxy_sections(text):
    sections, current = {}, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if not line.startswith(' '):
            current = line.strip()
            sections[current] = []
        else:
            sections[current].append(line.strip())
    return sections


def test_haproxy_writer_goes_to_the_primary_reader_to_the_replicas():
    sections = haproxy_sections(render('mysql_cluster', 'haproxy.cfg.j2', MYSQL_VARS))
    assert 'bind :6446' in sections['frontend writer'] and 'bind :6447' in sections['frontend reader']
    assert [line for line in sections['backend primary'] if line.startswith('server')] == ['server db1 db1:3306 check']
    replicas = [line for line in sections['backend replicas'] if line.startswith('server')]
    assert replicas == ['server db2 db2:3306 check', 'server db3 10.0.0.3:13306 check',
                        'server db1 db1:3306 check backup']
    defaults = ' '.join(sections['defaults'])
    assert 'mode tcp' in defaults and 'on-marked-down shutdown-sessions' in defaults
    assert 'resolvers docker' not in sections  # addresses across hosts: no Docker DNS


def test_haproxy_follows_container_addresses_on_one_docker_host():
    """Backends are container names: HAProxy must resolve them at run time through Docker's DNS,
    or a recreated node's old address (now another node's) would get the writes."""
    sections = haproxy_sections(render('mysql_cluster', 'haproxy.cfg.j2',
                                       dict(MYSQL_VARS, mysql_cluster_topology='single_host')))
    assert 'nameserver dns 127.0.0.11:53' in sections['resolvers docker']
    assert 'resolvers docker init-addr last,libc,none' in ' '.join(sections['defaults'])


def test_pgbouncer_points_every_database_at_the_primary():
    variables = dict(postgresql_cluster_name='orders', postgresql_cluster_pgbouncer_databases=['orders', 'billing'],
                     postgresql_cluster_primary_host='pg1', postgresql_cluster_primary_port=5432,
                     postgresql_cluster_pgbouncer_pool_mode='transaction',
                     postgresql_cluster_pgbouncer_max_client_conn=500,
                     postgresql_cluster_pgbouncer_default_pool_size=10)
    parser = configparser.ConfigParser(comment_prefixes=(';',), inline_comment_prefixes=None)
    parser.read_string(render('postgresql_cluster', 'pgbouncer.ini.j2', variables))
    assert parser['databases']['orders'] == 'host=pg1 port=5432 dbname=orders'
    assert parser['databases']['billing'] == 'host=pg1 port=5432 dbname=billing'
    bouncer = parser['pgbouncer']
    assert bouncer['auth_type'] == 'scram-sha-256' and bouncer['auth_file'] == '/etc/pgbouncer/userlist.txt'
    assert bouncer['pool_mode'] == 'transaction' and bouncer['listen_port'] == '6432'


def test_pgbouncer_userlist_quotes_double_quotes():
    text = render('postgresql_cluster', 'userlist.txt.j2',
                  {'postgresql_cluster_pgbouncer_users': [{'name': 'app', 'password': 'pa"ss'}]})
    assert text.strip() == '"app" "pa""ss"'
