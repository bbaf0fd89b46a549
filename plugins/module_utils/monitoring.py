# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege accounts for Prometheus exporters (db_monitoring_user): the engine-neutral part.

The account name, the container's address, the login, and what every engine's
plan shares (a replica refuses a change its account must get from the
primary). Each engine's account, its statements and its checks live in
``engines/<engine>/monitoring.py``, found through ``registry.monitoring_for``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket

from ansible_collections.dbops.containers.plugins.module_utils import targets
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.login_errors import unchanged
from ansible_collections.dbops.containers.plugins.module_utils.common.ownership import Ownership
from ansible_collections.dbops.containers.plugins.module_utils.common.options import LOGIN_OPTIONS
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter, monitoring_for

# The engines exporter accounts are made for (the module's choices).
ENGINES = ('mysql', 'mariadb', 'postgres', 'mongodb')
NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,31}$')


def check_name(user):
    if not NAME_RE.match(user or ''):
        raise DbopsError(unchanged('%r is not a usable exporter account name: letters, digits and _, at most 32 '
                                   'characters, not starting with a digit' % user), 'user')


def check_values(params):
    """Refuse what no exporter could use, before anything else. Raises DbopsError."""
    limit = params.get('max_connections')
    if limit is not None and limit < 1:
        # MySQL reads MAX_USER_CONNECTIONS 0 as no limit; PostgreSQL reads CONNECTION LIMIT 0 as no login at all.
        raise DbopsError(unchanged('max_connections %s: give at least 1 (the exporter keeps a few connections '
                                   'open; 3 by default)' % limit), 'max_connections')
    password = params.get('password') or ''
    if any(ord(char) < 32 or ord(char) == 127 for char in password):
        raise DbopsError(unchanged('the password holds a line break or another control character, which the '
                                   'exporter\'s configuration (a my.cnf line, a connection string) cannot carry: '
                                   'choose a password without them'), 'password')


def refuse_on_replica(actions, server, account, source):
    """A replica cannot change its exporter account: it comes from the primary. Raises DbopsError."""
    raise DbopsError(unchanged('%s and its exporter %s needs: %s. %s: run db_monitoring_user against the primary '
                               'first, with the same password' % (server, account, ', '.join(actions), source)),
                     'container')


def reachable_address(addresses, port, timeout=2.0):
    """The first address that accepts a TCP connection on port, or None."""
    for address in addresses:
        try:
            socket.create_connection((address, port), timeout=timeout).close()
            return address
        except (OSError, socket.error):
            continue
    return None


def can_login(adapter, host, port, user, password, database):
    """Whether user logs in with password: the password check never reads a hash."""
    try:
        conn = adapter.connect(host, port, user, password, database, 5)
    except DbopsError:
        return False
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a working connection cannot matter
        pass
    return True


def ownership_rules(params, adapter, accounts, login_user, app_user):
    """The accounts the exporter account may never be, and whether an unmarked one may be adopted."""
    rules = Ownership('monitoring', 'user', 'adopt', 'exporter account', getattr(accounts, 'DEFAULT_USER', None)
                      or 'dbops_exporter', adopt=params.get('adopt'),
                      changes='its password, connection limit and privileges')
    rules.reserve(adapter.superuser, 'the superuser of %s (what root_password logs in as)' % adapter.label)
    rules.reserve(login_user, 'the account this module logs in as (login_user)')
    rules.reserve(app_user, 'the application user db_container created in container %r' % params['container'])
    return rules


def run(params, check_mode):
    """Create or repair the exporter account db_monitoring_user's options name -> result dict."""
    check_name(params['user'])
    check_values(params)
    docker = targets.docker_helper(params)
    inspect = targets.running_container(docker, params['container'])
    labels = inspect['Config'].get('Labels') or {}
    targets.check_engine_label(inspect, params['engine'], params['container'], strict=True)
    engine = params['engine'] or labels.get('dbops.engine')
    if engine not in ENGINES:
        raise DbopsError(unchanged('container %r runs engine %r: exporter accounts are made for %s: set engine'
                                   % (params['container'], engine, ', '.join(ENGINES))), 'engine')
    adapter = get_adapter(engine)
    accounts = monitoring_for(engine)
    login = dict((key, params.get(key)) for key in LOGIN_OPTIONS)
    login.update({'container': params['container'], 'engine': engine,
                  'login_db': params.get('login_db') or accounts.LOGIN_DATABASE})
    user = login.get('login_user') or adapter.superuser
    rules = ownership_rules(params, adapter, accounts, user, targets.application_user(docker, inspect))
    # A reserved name is refused before anything else is asked of the server.
    rules.check_name(params['user'])
    try:
        login['login_host'] = params['login_host'] or _container_host(params, inspect, adapter)
        target = targets.resolve(login, docker_factory=lambda: docker)
        conn = targets.connect(target, params.get('connect_timeout') or 10, docker=docker)
    except DbopsError as exc:
        raise DbopsError(unchanged(exc.message), exc.parameter)
    try:
        changed, actions = accounts.ensure(conn, adapter, target.host, target.port, params['user'],
                                           params['password'], check_mode,
                                           max_connections=params['max_connections'], engine=engine,
                                           ownership=rules)
    finally:
        conn.close()
    return dict(changed=changed, actions=actions, engine=engine, user=params['user'])


def _container_host(params, inspect, adapter):
    """The first of the container's addresses that answers on the login port from this host."""
    networks = inspect['NetworkSettings'].get('Networks') or {}
    addresses = [net.get('IPAddress') for _name, net in sorted(networks.items()) if net.get('IPAddress')]
    port = params.get('login_port') or adapter.port
    host = reachable_address(addresses, port)
    if not host:
        health, restarting = targets.health_of(inspect)
        if health == 'starting' or restarting:
            raise DbopsError('container %r is not ready yet (Docker reports it %s): its server is still starting; '
                             'wait until its health check passes and run again'
                             % (params['container'], 'restarting' if restarting else 'health: starting'),
                             'container')
        raise DbopsError('none of the addresses of container %r (%s) answers on port %s from this host: set '
                         'login_host' % (params['container'], ', '.join(addresses) or 'none', port),
                         'login_host')
    return host
