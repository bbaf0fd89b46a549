# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which server a module talks to: a container on the Docker host (address,
engine and superuser password found by the module) or a network address.

Shared by db_tune_report, db_replication and db_failover, so every module
reads the login options (doc fragment ``login``) the same way.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import socket

from ansible_collections.dbops.containers.plugins.module_utils.engines.base import ROOT_PASSWORD_FILE
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import ADAPTERS, get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors

PORT_ENGINES = {3306: 'mysql', 5432: 'postgres', 27017: 'mongodb'}


class Target(object):
    """A server to log in to. ``container`` is its docker inspect, when it is a container."""

    def __init__(self, engine, host, port, user, password, database, name, container=None):
        self.engine, self.host, self.port = engine, host, port
        self.user, self.password, self.database = user, password, database
        self.name, self.container = name, container

    @property
    def container_id(self):
        return self.container['Id'] if self.container else None


def read_secret_file(path, parameter):
    """A password file's content without its trailing newline; DbopsError naming parameter."""
    try:
        with open(path) as handle:
            value = handle.read().rstrip('\n')
    except (IOError, OSError) as exc:
        raise DbopsError('cannot read %s: %s' % (path, exc), parameter)
    if not value:
        raise DbopsError('%s is empty: it must hold the password' % path, parameter)
    return value


def login_password(params):
    if params.get('login_password') is not None:
        return params['login_password']
    if params.get('login_password_file'):
        return read_secret_file(params['login_password_file'], 'login_password_file')
    return None


def first_open_port(host, timeout):
    """The first engine port that accepts a TCP connection, or None."""
    for port in sorted(PORT_ENGINES):
        try:
            socket.create_connection((host, port), timeout=min(3, timeout or 3)).close()
            return port
        except (OSError, socket.error):
            continue
    return None


def engine_from_env(inspect):
    names = set(item.split('=', 1)[0] for item in inspect['Config'].get('Env') or [])
    for adapter in ADAPTERS.values():
        if names & set(adapter.version_env):
            return adapter.name
    return None


def container_address(inspect, network=None):
    """The container's IP address (on ``network`` when given), or None."""
    networks = inspect['NetworkSettings'].get('Networks') or {}
    if network:
        return (networks.get(network) or {}).get('IPAddress') or None
    return next((n.get('IPAddress') for n in networks.values() if n.get('IPAddress')), None)


def resolve(params, docker_factory=None):
    """The Target the login options name. ``docker_factory()`` returns a DockerHelper."""
    if params.get('container'):
        return _container_target(params, docker_factory)
    if not params.get('login_host'):
        raise DbopsError('set container (a container on the Docker host) or login_host', 'login_host')
    engine = params.get('engine')
    port = params.get('login_port')
    if not engine:
        port = port or first_open_port(params['login_host'], params.get('connect_timeout'))
        engine = PORT_ENGINES.get(port or 0)
        if not engine:
            raise DbopsError('cannot tell the engine of %s:%s: set engine' % (params['login_host'], port), 'engine')
    adapter = get_adapter(engine)
    port = port or adapter.port
    return Target(engine, params['login_host'], port, params.get('login_user') or adapter.superuser,
                  login_password(params), params.get('login_db'), '%s:%s' % (params['login_host'], port))


def docker_helper(params):
    from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import DockerHelper
    return DockerHelper.from_params(params)


def running_container(docker, name, parameter='container'):
    inspect = docker.container(name)
    if inspect is None:
        raise DbopsError('no container named %r on the Docker host' % name, parameter)
    if not inspect['State'].get('Running'):
        raise DbopsError('container %r is not running (%s): start it first'
                         % (name, inspect['State'].get('Status')), parameter)
    return inspect


def stored_superuser_password(docker, inspect):
    """The superuser password db_container keeps in the container's secrets volume, or None."""
    stored = docker.read_file(inspect['Id'], ROOT_PASSWORD_FILE)
    return stored.decode('utf-8') if stored is not None else None


def check_engine_label(inspect, engine, name, strict=False):
    """Refuse engine when the container's dbops.engine label names another one. Raises DbopsError.

    Not ``strict``: MySQL and MariaDB pass for each other (one protocol, the flavor is read from the
    server); ``strict``: the engine must be the label's (db_monitoring_user grants differ between them).
    """
    labelled = (inspect['Config'].get('Labels') or {}).get('dbops.engine')
    if not engine or not labelled or labelled == engine:
        return
    if not strict and labelled in ADAPTERS and engine in ADAPTERS \
            and get_adapter(labelled).connect is get_adapter(engine).connect:
        return
    raise DbopsError(login_errors.unchanged(
        'container %r runs %s (its dbops.engine label), not %s: set engine to %s, or leave engine out to use the '
        'label' % (name, labelled, engine, labelled)), 'engine')


def _container_target(params, docker_factory):
    docker = docker_factory() if docker_factory else docker_helper(params)
    inspect = running_container(docker, params['container'])
    labels = inspect['Config'].get('Labels') or {}
    check_engine_label(inspect, params.get('engine'), params['container'])
    engine = params.get('engine') or labels.get('dbops.engine') or engine_from_env(inspect)
    if not engine:
        raise DbopsError('cannot tell the engine of container %r: set engine' % params['container'], 'engine')
    adapter = get_adapter(engine)
    host = params.get('login_host') or container_address(inspect)
    if not host:
        raise DbopsError('container %r has no IP address on a Docker network: set login_host and login_port'
                         % params['container'], 'login_host')
    password = login_password(params)
    user = params.get('login_user') or adapter.superuser
    if password is None and user == adapter.superuser:
        password = stored_superuser_password(docker, inspect)
    # PostgreSQL keeps table statistics per database: by default use the
    # application database the container was created with.
    env = dict(item.split('=', 1) for item in inspect['Config'].get('Env') or [] if '=' in item)
    database = params.get('login_db') or (env.get(adapter.login_db_env) if adapter.login_db_env else None)
    return Target(engine, host, params.get('login_port') or adapter.port, user, password, database,
                  params['container'], container=inspect)


# ------------------------------------------------------------------ logging in
def health_of(inspect):
    """The container's health status ('starting', 'healthy', 'unhealthy') or None, and whether it restarts."""
    state = (inspect or {}).get('State') or {}
    return (state.get('Health') or {}).get('Status'), bool(state.get('Restarting'))


def connect(target, timeout=10, purpose=None, docker=None):
    """A connection to target through its engine's adapter; a failure says its real cause (DbopsError).

    For a container, a server that does not answer yet while Docker reports its health check as still
    starting (or the container restarting) is "not ready yet", not "unreachable" or "refused"; a paused
    container is named as such (its kernel accepts the connection, its server never answers).
    """
    adapter = get_adapter(target.engine)
    arguments = (target.host, target.port, target.user, target.password, target.database, timeout)
    try:
        if purpose:
            return adapter.connect(*arguments, purpose=purpose)
        return adapter.connect(*arguments)
    except DbopsError as exc:
        if target.container is None or exc.parameter not in ('login_host', 'login_port', 'engine'):
            raise
        inspect = target.container
        if docker is not None:
            inspect = docker.container(target.container['Id']) or inspect
        if (inspect.get('State') or {}).get('Paused'):
            # The kernel still accepts the connection; the frozen server never answers it.
            raise DbopsError('container %r is paused: its server cannot answer; unpause it (docker unpause %s) and run '
                             'again' % (target.name, target.name), 'container')
        if exc.parameter == 'engine' or getattr(exc, 'cause', None) == login_errors.NOT_READY:
            raise     # another engine, or the server itself said it is not ready: its own words are best
        health, restarting = health_of(inspect)
        if health == 'starting' or restarting:
            raise DbopsError('container %r is not ready yet (Docker reports it %s): its server is still starting '
                             'or recovering; wait until its health check passes (db_container waits for it) and run '
                             'again (%s)' % (target.name, 'restarting' if restarting else 'health: starting',
                                             exc.message), 'container')
        if not (inspect.get('State') or {}).get('Running', True):
            raise DbopsError('container %r stopped (%s): start it (db_container state=started) and run again'
                             % (target.name, (inspect.get('State') or {}).get('Status')), 'container')
        raise


_APP_USER_SCRIPT = re.compile(r'--set app_user=([^\s]+)')


def application_user(docker, inspect):
    """The application account db_container created in this container (environment or init script), or None."""
    env = dict(item.split('=', 1) for item in inspect['Config'].get('Env') or [] if '=' in item)
    for name in ('MYSQL_USER', 'MARIADB_USER'):
        if env.get(name):
            return env[name]
    for path, pattern in (('/docker-entrypoint-initdb.d/10-dbops-app-user.sh', _APP_USER_SCRIPT),
                          ('/docker-entrypoint-initdb.d/10-dbops-app-user.js', re.compile(r'createUser\(\{user: ("[^"]*")'))):
        try:
            content = docker.read_file(inspect['Id'], path)
        except Exception:  # noqa: BLE001 - an unreadable script only loses the nicer message
            content = None
        if content:
            match = pattern.search(content.decode('utf-8', 'replace'))
            if match:
                value = match.group(1)
                return json.loads(value) if value.startswith('"') else value
    return None
