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

import socket

from ansible_collections.dbops.containers.plugins.module_utils.engines.base import ROOT_PASSWORD_FILE
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import ADAPTERS, get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

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


def _container_target(params, docker_factory):
    docker = docker_factory() if docker_factory else docker_helper(params)
    inspect = running_container(docker, params['container'])
    labels = inspect['Config'].get('Labels') or {}
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
