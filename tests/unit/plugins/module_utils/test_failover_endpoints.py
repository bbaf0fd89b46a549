# -*- coding: utf-8 -*-
"""Moving MySQL Router (static routing) to a new primary: the rewrite of its configuration, the configuration
the mysql_cluster role renders, and how db_failover applies it (the file written into the running container,
then a restart, since Router reads its configuration only when it starts).

The Docker side is a recording stand-in: what is checked here is which calls the mover makes. The integration
test (tests/integration/test_cluster_mysql_router.py) runs the same path against MySQL Router 9.7 and MySQL 9.7."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import configparser
import os

import jinja2
import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.failover import cluster as failover_cluster
from ansible_collections.dbops.containers.plugins.module_utils.failover import endpoints
from ansible_collections.dbops.containers.plugins.module_utils.failover import orchestrator

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))

ROUTER_CONF = """# managed
[DEFAULT]
logging_folder =

[routing:writer]
bind_address = 0.0.0.0
bind_port = 6446
routing_strategy = first-available
destinations = db1:3306
max_connect_errors = 4294967295

[routing:reader]
bind_port = 6447
routing_strategy = round-robin
destinations = db2:3306,db3:3306
"""


def server(name, host=None, port=3306):
    return {'name': name, 'host': host or name, 'port': port}


def routes(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


# ------------------------------------------------------------------ the rewrite
def test_writer_names_the_new_primary_alone_reader_the_replicas():
    text = endpoints.mysqlrouter_with_primary(ROUTER_CONF, server('db2'), [server('db3')])
    parsed = routes(text)
    assert parsed['routing:writer']['destinations'] == 'db2:3306'
    assert parsed['routing:reader']['destinations'] == 'db3:3306'
    # The old primary is named nowhere: neither writes nor reads reach it when it comes back.
    assert 'db1' not in text


def test_every_other_line_stays_and_a_second_rewrite_changes_nothing():
    text = endpoints.mysqlrouter_with_primary(ROUTER_CONF, server('db2'), [server('db3')])
    for kept in ('# managed\n', 'bind_port = 6446\n', 'routing_strategy = first-available\n',
                 'max_connect_errors = 4294967295\n', 'bind_port = 6447\n', 'routing_strategy = round-robin\n'):
        assert kept in text
    assert len(text.splitlines()) == len(ROUTER_CONF.splitlines())
    assert endpoints.mysqlrouter_with_primary(text, server('db2'), [server('db3')]) == text


def test_reader_falls_back_to_the_primary_when_no_replica_runs():
    text = endpoints.mysqlrouter_with_primary(ROUTER_CONF, server('db2'), [])
    assert routes(text)['routing:reader']['destinations'] == 'db2:3306'


def test_multi_host_addresses_and_ports_ipv6_bracketed():
    text = endpoints.mysqlrouter_with_primary(
        ROUTER_CONF, server('db2', '10.0.0.2', 13306), [server('db1', 'fd00::1', 3307), server('db3', '10.0.0.3')])
    parsed = routes(text)
    assert parsed['routing:writer']['destinations'] == '10.0.0.2:13306'
    assert parsed['routing:reader']['destinations'] == '[fd00::1]:3307,10.0.0.3:3306'


def test_a_configuration_without_the_roles_routes_is_refused():
    foreign = ROUTER_CONF.replace('[routing:writer]', '[routing:rw]')
    with pytest.raises(DbopsError) as raised:
        endpoints.mysqlrouter_with_primary(foreign, server('db2'), [server('db3')])
    assert raised.value.parameter == 'endpoint'
    assert '[routing:writer]' in str(raised.value)
    # A destinations line elsewhere (another section) is not taken for the writer's.
    only_default = '[DEFAULT]\ndestinations = db1:3306\n[routing:reader]\ndestinations = db2:3306\n'
    with pytest.raises(DbopsError):
        endpoints.mysqlrouter_with_primary(only_default, server('db2'), [])


# ------------------------------------------------------------------ the role's template, rewritten
def render_role_template(backends, writer_port=6446, reader_port=6447):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', 'mysql_cluster', 'templates')),
                             trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template('mysqlrouter.conf.j2').render(
        mysql_cluster_name='orders', mysql_cluster_backends=backends, mysql_cluster_writer_port=writer_port,
        mysql_cluster_reader_port=reader_port, ansible_managed='managed by Ansible')


BACKENDS = [
    {'name': 'db1', 'role': 'primary', 'host': 'db1', 'port': 3306},
    {'name': 'db2', 'role': 'replica', 'host': 'db2', 'port': 3306},
    {'name': 'db3', 'role': 'replica', 'host': 'fd00::3', 'port': 13306},
]


def test_role_renders_static_routes_writer_primary_only():
    parsed = routes(render_role_template(BACKENDS, 16446, 16447))
    writer, reader = parsed['routing:writer'], parsed['routing:reader']
    assert (writer['bind_port'], writer['routing_strategy'], writer['destinations']) == (
        '16446', 'first-available', 'db1:3306')
    assert (reader['bind_port'], reader['routing_strategy'], reader['destinations']) == (
        '16447', 'round-robin', 'db2:3306,[fd00::3]:13306')
    assert writer['protocol'] == reader['protocol'] == 'classic'
    assert parsed['DEFAULT']['logging_folder'] == ''    # the console: docker logs
    # No InnoDB Cluster: no metadata cache, no bootstrap-generated sections.
    assert not [name for name in parsed.sections() if name.startswith('metadata_cache')]


def test_role_renders_what_the_mover_writes_for_the_same_primary():
    rendered = render_role_template(BACKENDS)
    nodes = dict((b['name'], server(b['name'], b['host'], b['port'])) for b in BACKENDS)
    assert endpoints.mysqlrouter_with_primary(rendered, nodes['db1'], [nodes['db2'], nodes['db3']]) == rendered
    # A single-node cluster reads from its primary.
    alone = routes(render_role_template(BACKENDS[:1]))
    assert alone['routing:reader']['destinations'] == 'db1:3306'


# ------------------------------------------------------------------ applying it: write, then reload
class RecordingDocker(object):
    def __init__(self, files):
        self.files = dict(files)
        self.calls = []

    def container(self, name):
        return {'Id': name + '-id', 'Config': {'Image': 'router'}, 'Mounts': []} if name else None

    def read_file(self, container_id, path):
        return self.files[path].encode('utf-8')

    def put_files(self, container_id, directory, entries):
        for entry in entries:
            self.files[directory + '/' + entry.name] = entry.content.decode('utf-8')
        self.calls.append(('put_files', container_id, directory))

    def restart(self, container_id, timeout):
        self.calls.append(('restart', container_id, timeout))

    def kill(self, container_id, signal=None):
        self.calls.append(('kill', container_id, signal))


class FakeCluster(object):
    engine = 'mysql'

    def __init__(self, docker):
        self.nodes = [failover_cluster.Node(name, port=3306, inspect={'State': {'Running': name != 'db1'}})
                      for name in ('db1', 'db2', 'db3')]
        self.by_name = dict((node.name, node) for node in self.nodes)
        self.docker = docker
        self.driver = None


def move(kind, path, text, new_primary='db2'):
    docker = RecordingDocker({path: text})
    cluster = FakeCluster(docker)
    failover = orchestrator.Failover({'endpoint': {'type': kind, 'container': 'orders-' + kind}}, cluster=cluster)
    plan = failover.plan_endpoint(cluster.by_name[new_primary], cluster.nodes)
    return docker, plan, failover.apply_endpoint(plan)


def test_mover_rewrites_router_then_restarts_it():
    path = endpoints.ENDPOINTS['mysqlrouter'].path
    docker, plan, moved = move('mysqlrouter', path, ROUTER_CONF)
    assert moved == 'mysqlrouter -> db2'
    assert docker.calls == [('put_files', 'orders-mysqlrouter-id', path.rsplit('/', 1)[0]),
                            ('restart', 'orders-mysqlrouter-id', 5)]
    written = routes(docker.files[path])
    assert written['routing:writer']['destinations'] == 'db2:3306'
    # db1 is the dead old primary (not running): out of the reader route too.
    assert written['routing:reader']['destinations'] == 'db3:3306'


def test_mover_leaves_router_running_when_it_already_points_at_the_primary():
    path = endpoints.ENDPOINTS['mysqlrouter'].path
    current = endpoints.mysqlrouter_with_primary(ROUTER_CONF, server('db2'), [server('db3')])
    docker, plan, _moved = move('mysqlrouter', path, current)
    assert plan['content'] is None and docker.calls == []     # no restart, no cut connections


def test_mover_refuses_a_router_configuration_it_cannot_move_before_changing_anything():
    path = endpoints.ENDPOINTS['mysqlrouter'].path
    with pytest.raises(DbopsError):
        move('mysqlrouter', path, '[routing:rw]\ndestinations = db1:3306\n')


def test_signal_kinds_still_reload_on_their_signal():
    path = endpoints.ENDPOINTS['haproxy'].path
    haproxy = 'backend primary\n    server db1 db1:3306 check\nbackend replicas\n'
    docker, _plan, _moved = move('haproxy', path, haproxy)
    assert docker.calls[-1] == ('kill', 'orders-haproxy-id', 'SIGUSR2')
    assert endpoints.ENDPOINTS['pgbouncer'].restart_timeout is None


def test_unknown_endpoint_kind_names_the_supported_ones():
    docker = RecordingDocker({})
    cluster = FakeCluster(docker)
    failover = orchestrator.Failover({'endpoint': {'type': 'nginx', 'container': 'x'}}, cluster=cluster)
    with pytest.raises(DbopsError) as raised:
        failover.plan_endpoint(cluster.by_name['db2'], cluster.nodes)
    assert 'mysqlrouter' in str(raised.value) and 'haproxy' in str(raised.value)


# Which node an endpoint's configuration sends writes to: what a watcher restarted after a crash reads
# to find out whether the failover it was running moved the endpoint.
HAPROXY_CFG = """global
    maxconn 4096
frontend writer
    bind *:6446
    default_backend primary
backend primary
    server db1 db1:3306 check
backend replicas
    balance leastconn
    server db2 db2:3306 check
    server db1 db1:3306 check backup
"""
PGBOUNCER_INI = """[databases]
; the primary
app = host=pg1 port=5432 dbname=app
* = host=pg1 port=5432
[pgbouncer]
listen_port = 6432
"""


def test_writer_of_each_endpoint_kind():
    assert endpoints.ENDPOINTS['haproxy'].writer(HAPROXY_CFG) == 'db1'
    assert endpoints.ENDPOINTS['pgbouncer'].writer(PGBOUNCER_INI) == 'pg1'
    assert endpoints.ENDPOINTS['mysqlrouter'].writer(ROUTER_CONF) is not None


def test_writer_follows_each_rewrite():
    class Node(object):
        def __init__(self, name):
            self.name, self.alias, self.port = name, name, 3306

        def describe(self):
            return {'name': self.name, 'host': self.alias, 'port': self.port}
    for kind, text in (('haproxy', HAPROXY_CFG), ('pgbouncer', PGBOUNCER_INI), ('mysqlrouter', ROUTER_CONF)):
        entry = endpoints.ENDPOINTS[kind]
        moved = entry.rewrite(text, Node('db9'), [Node('db2')])
        assert entry.writer(moved) == 'db9', kind


def test_writer_of_a_configuration_that_names_none():
    assert endpoints.haproxy_writer('global\n') is None
    assert endpoints.pgbouncer_writer('[pgbouncer]\nlisten_port = 6432\n') is None
    assert endpoints.mysqlrouter_writer('[DEFAULT]\n') is None


# ------------------------------------------------------------------ HAProxy: the old primary's sessions ended
HAPROXY_WITH_API = """global
    log stdout format raw local0 info
    stats socket ipv4@127.0.0.1:9901 level admin

backend primary
    server db1 db1:3306 check

backend replicas
    balance leastconn
    server db2 db2:3306 check
    server db3 db3:3306 check
    server db1 db1:3306 check backup
"""


def role_admin_port():
    import yaml
    with open(os.path.join(ROOT, 'roles', 'mysql_cluster', 'vars', 'main.yml')) as handle:
        return yaml.safe_load(handle)['mysql_cluster_haproxy_admin_port']


def render_role_template_of(role, template, variables):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', role, 'templates')),
                             trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template(template).render(dict(variables, ansible_managed='managed'))


def render_haproxy(backends):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, 'roles', 'mysql_cluster', 'templates')),
                             trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.get_template('haproxy.cfg.j2').render(
        ansible_managed='managed', mysql_cluster_name='orders', mysql_cluster_topology='multi_host',
        mysql_cluster_writer_port=6446, mysql_cluster_reader_port=6447, mysql_cluster_haproxy_admin_port=role_admin_port(),
        mysql_cluster_backends=backends)


def test_the_role_opens_the_runtime_api_on_loopback_that_the_mover_reads():
    rendered = render_haproxy([dict(b, role='primary' if b['name'] == 'db1' else 'replica') for b in BACKENDS])
    assert endpoints.haproxy_admin_port(rendered) == role_admin_port()
    assert 'stats socket ipv4@127.0.0.1:%d level admin' % role_admin_port() in rendered


def test_admin_port_only_from_a_loopback_admin_socket_in_global():
    assert endpoints.haproxy_admin_port('global\n    stats socket ipv4@0.0.0.0:9901 level admin\n') is None
    assert endpoints.haproxy_admin_port('global\n    stats socket ipv4@127.0.0.1:9901 level operator\n') is None
    assert endpoints.haproxy_admin_port('defaults\n    stats socket ipv4@127.0.0.1:9901 level admin\n') is None
    assert endpoints.haproxy_admin_port('global\n    stats socket /var/run/haproxy.sock level admin\n') is None


def test_a_failover_ends_the_dropped_servers_sessions_maintenance_first():
    wanted = endpoints.haproxy_with_primary(HAPROXY_WITH_API, server('db2'), [server('db3')])
    assert endpoints.haproxy_sessions_to_end(HAPROXY_WITH_API, wanted) == [
        'set server primary/db1 state maint', 'shutdown sessions server primary/db1',
        'set server replicas/db1 state maint', 'shutdown sessions server replicas/db1']


def test_a_switchover_keeps_the_old_primarys_reader_sessions():
    # The old primary stays as a replica: only its writer sessions end.
    wanted = endpoints.haproxy_with_primary(HAPROXY_WITH_API, server('db2'), [server('db3'), server('db1')])
    assert endpoints.haproxy_sessions_to_end(HAPROXY_WITH_API, wanted) == [
        'set server primary/db1 state maint', 'shutdown sessions server primary/db1']


def test_no_runtime_api_no_commands():
    current = HAPROXY_WITH_API.replace('    stats socket ipv4@127.0.0.1:9901 level admin\n', '')
    wanted = endpoints.haproxy_with_primary(current, server('db2'), [server('db3')])
    assert endpoints.haproxy_sessions_to_end(current, wanted) == []


class RuntimeApi(object):
    """A loopback listener that answers like HAProxy's runtime API: reads one line, answers, closes."""

    def __init__(self, answer=b'\n'):
        import socket
        import threading
        self.received, self.answer = [], answer
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve)
        self.thread.daemon = True
        self.thread.start()

    def serve(self):
        conn, _address = self.sock.accept()
        data = b''
        while not data.endswith(b'\n'):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        self.received.append(data.decode())
        conn.sendall(self.answer)
        conn.close()


@pytest.mark.skipif(not os.path.exists('/bin/bash'), reason='needs bash, as in the official HAProxy image')
def test_the_shell_command_speaks_to_the_runtime_api():
    import subprocess
    api = RuntimeApi()
    commands = ['set server primary/db1 state maint', "shutdown sessions server primary/db'1"]
    done = subprocess.run(['sh', '-c', endpoints.runtime_api_shell(api.port, commands)], capture_output=True,
                          timeout=10, check=False)
    api.thread.join(5)
    assert done.returncode == 0, done.stderr
    assert api.received == ["set server primary/db1 state maint; shutdown sessions server primary/db'1\n"]


class ExecDocker(object):
    def __init__(self, code, output):
        self.code, self.output, self.commands = code, output, []

    def exec_shell(self, container_id, command, timeout=None):
        self.commands.append((container_id, command))
        return self.code, self.output


def test_end_sessions_reports_what_happened_and_never_raises():
    kind = endpoints.ENDPOINTS['haproxy']
    wanted = endpoints.haproxy_with_primary(HAPROXY_WITH_API, server('db2'), [server('db3')])
    assert kind.end_sessions(ExecDocker(0, '\n\n'), 'hx', HAPROXY_WITH_API, wanted) == 'ended: primary/db1, replicas/db1'
    assert 'no client' in kind.end_sessions(ExecDocker(endpoints.NO_CONSOLE_CLIENT, ''), 'hx', HAPROXY_WITH_API, wanted)
    assert 'No such server' in kind.end_sessions(ExecDocker(0, 'No such server.\n'), 'hx', HAPROXY_WITH_API, wanted)

    class Broken(object):
        def exec_shell(self, container_id, command, timeout=None):
            raise RuntimeError('exec refused')
    assert 'exec refused' in kind.end_sessions(Broken(), 'hx', HAPROXY_WITH_API, wanted)
    # Nothing to end (the file already names the new primary): no exec at all.
    docker = ExecDocker(0, '')
    assert kind.end_sessions(docker, 'hx', wanted, wanted) is None and docker.commands == []


def test_mover_ends_old_sessions_between_the_write_and_the_reload():
    path = endpoints.ENDPOINTS['haproxy'].path

    class Recording(RecordingDocker):
        def exec_shell(self, container_id, command, timeout=None):
            self.calls.append(('exec', container_id))
            return 0, ''
    docker = Recording({path: HAPROXY_WITH_API})
    cluster = FakeCluster(docker)
    failover = orchestrator.Failover({'endpoint': {'type': 'haproxy', 'container': 'orders-haproxy'}}, cluster=cluster)
    plan = failover.plan_endpoint(cluster.by_name['db2'], cluster.nodes)
    failover._move_endpoint_now(plan)
    assert [c[0] for c in docker.calls] == ['put_files', 'exec', 'kill']
    moved = [e for e in failover.timeline.events if e['event'] == 'endpoint_moved'][0]
    assert moved['old_sessions'] == 'ended: primary/db1, replicas/db1'


# ------------------------------------------------------------------ PgBouncer: the old primary's sessions ended
PGBOUNCER_WITH_CONSOLE = """[databases]
production = host=pg1 port=5432 dbname=production
"odd""name" = host=pg1 port=5432 dbname=odd
;; comment = host=x

[pgbouncer]
listen_addr = *
listen_port = 6432
unix_socket_dir = /tmp
"""


def test_pgbouncer_console_from_the_ini_and_its_defaults():
    assert endpoints.pgbouncer_console(PGBOUNCER_WITH_CONSOLE) == ('/tmp', 6432)
    assert endpoints.pgbouncer_console('[pgbouncer]\nlisten_port = 7432\n') == ('/tmp', 7432)
    assert endpoints.pgbouncer_console('[pgbouncer]\nunix_socket_dir =\n') is None


def test_the_role_opens_the_console_socket_that_the_mover_reads():
    text = render_role_template_of('postgresql_cluster', 'pgbouncer.ini.j2', {
        'postgresql_cluster_name': 'orders', 'postgresql_cluster_pgbouncer_databases': ['production'],
        'postgresql_cluster_primary_host': 'pg1', 'postgresql_cluster_primary_port': 5432,
        'postgresql_cluster_pgbouncer_pool_mode': 'session', 'postgresql_cluster_pgbouncer_max_client_conn': 100,
        'postgresql_cluster_pgbouncer_default_pool_size': 20})
    assert endpoints.pgbouncer_console(text) == ('/tmp', 6432)


def test_a_move_reloads_then_kills_and_resumes_each_moved_database():
    wanted = endpoints.pgbouncer_with_primary(PGBOUNCER_WITH_CONSOLE, 'pg2', 5432)
    assert endpoints.pgbouncer_sessions_to_end(PGBOUNCER_WITH_CONSOLE, wanted) == [
        'RELOAD', 'KILL "production"', 'RESUME "production"', 'KILL "odd""name"', 'RESUME "odd""name"']
    # Nothing moved, or no console: no commands.
    assert endpoints.pgbouncer_sessions_to_end(wanted, wanted) == []
    closed = PGBOUNCER_WITH_CONSOLE.replace('unix_socket_dir = /tmp', 'unix_socket_dir =')
    assert endpoints.pgbouncer_sessions_to_end(closed, endpoints.pgbouncer_with_primary(closed, 'pg2', 5432)) == []


def test_the_console_shell_quotes_and_stops_at_the_first_error():
    shell = endpoints.pgbouncer_console_shell(PGBOUNCER_WITH_CONSOLE, ['RELOAD', 'KILL "odd""name"'])
    assert "-v ON_ERROR_STOP=1 -h /tmp -p 6432 -U pgbouncer -d pgbouncer -c RELOAD -c 'KILL \"odd\"\"name\"'" in shell
    assert shell.startswith('command -v psql')


def test_pgbouncer_end_sessions_reports_the_databases():
    kind = endpoints.ENDPOINTS['pgbouncer']
    wanted = endpoints.pgbouncer_with_primary(PGBOUNCER_WITH_CONSOLE, 'pg2', 5432)
    assert kind.end_sessions(ExecDocker(0, ''), 'pgb', PGBOUNCER_WITH_CONSOLE, wanted) == \
        'ended: "production", "odd""name"'
    failed = kind.end_sessions(ExecDocker(3, 'ERROR: not allowed'), 'pgb', PGBOUNCER_WITH_CONSOLE, wanted)
    assert failed == 'not ended (exit 3: ERROR: not allowed)'
