# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_replication's engine-neutral part: options, the server to log in to, the
primary's address, the replication password. The engine's Driver
(``adapter.replication_driver()``, in engines/<engine>/replication.py) does the rest."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.dbops.containers.plugins.module_utils import targets
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

ROLES = ('primary', 'replica', 'replicaset', 'status')


class Endpoint(object):
    """The primary as the replica reaches it (host, port) and as this module does (connect_*)."""

    def __init__(self, host, port, connect_host, connect_port, container=None):
        self.host, self.port = host, port
        self.connect_host, self.connect_port = connect_host, connect_port
        self.container = container


class Context(object):
    """What a Driver needs: options, check mode, Docker, the login target and its connection."""

    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.notes = []
        self._docker = None
        self._target = None
        self._connections = []

    # ------------------------------------------------------------------ lazy resources
    @property
    def docker(self):
        if self._docker is None:
            self._docker = targets.docker_helper(self.params)
        return self._docker

    @property
    def target(self):
        if self._target is None:
            self._target = targets.resolve(self.params, lambda: self.docker)
        return self._target

    def connect(self, target=None):
        """A connection to target (default: the login target), closed by close()."""
        target = target or self.target
        # targets.connect tells a server still starting in its container from one that is not there.
        connection = targets.connect(target, self.params.get('connect_timeout') or 10,
                                     docker=self._docker if target.container else None)
        self._connections.append(connection)
        return connection

    def account_ownership(self, rules_for):
        """The ownership rules (common/ownership.py) of the account this run creates: ``rules_for(reserved,
        adopt)`` gets the names never to touch - the login user and the container's application user."""
        target = self.target
        adapter = get_adapter(target.engine)
        reserved = {adapter.superuser: 'the superuser of %s (what root_password logs in as)' % adapter.label}
        if target.user and target.user not in reserved:
            reserved[target.user] = 'the account this module logs in as (login_user)'
        if target.container is not None:
            app_user = targets.application_user(self.docker, target.container)
            if app_user and app_user not in reserved:
                reserved[app_user] = 'the application user db_container created in container %r' % target.name
        return rules_for(reserved, bool(self.params.get('adopt_replication_user')))

    def close(self):
        for connection in self._connections:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self._connections = []

    # ------------------------------------------------------------------ options
    def require(self, name, why):
        if self.params.get(name) in (None, '', []):
            raise DbopsError('%s is required %s' % (name, why), name)
        return self.params[name]

    def replication_user(self, default):
        return self.params.get('replication_user') or default

    def replication_password(self):
        if self.params.get('replication_password') is not None:
            return self.params['replication_password']
        path = self.params.get('replication_password_file')
        if not path:
            raise DbopsError('set replication_password_file (a file holding the replication password)',
                             'replication_password_file')
        return targets.read_secret_file(path, 'replication_password_file')

    def primary_endpoint(self, default_port):
        """Where the primary is: primary_container (on this Docker host) and/or primary_host/primary_port."""
        params = self.params
        container_name = params.get('primary_container')
        inspect = None
        if container_name:
            inspect = targets.running_container(self.docker, container_name, 'primary_container')
            if params.get('container') and inspect['Name'].lstrip('/') == params['container']:
                raise DbopsError('primary_container %r is the container being configured: a replica needs '
                                 'another server as its primary' % container_name, 'primary_container')
        host = params.get('primary_host') or container_name
        if not host:
            raise DbopsError('set primary_host (the primary\'s address as the replica reaches it) or '
                             'primary_container', 'primary_host')
        port = params.get('primary_port') or default_port
        connect_host = params.get('primary_login_host') or (
            targets.container_address(inspect) if inspect else host)
        connect_port = params.get('primary_login_port') or (default_port if inspect else port)
        return Endpoint(host, port, connect_host, connect_port, inspect)

    def engine(self):
        """The engine from the options, the container, the primary's container or the login port; a
        container of another engine than the option's, or a primary of another engine than the replica's,
        is refused here, before anything connects."""
        params = self.params
        engine = params.get('engine')
        found = {}
        for option in ('container', 'primary_container'):
            if params.get(option):
                inspect = self.docker.container(params[option])
                if inspect is not None:
                    found[option] = inspect
                    engine = engine or ((inspect['Config'].get('Labels') or {}).get('dbops.engine')
                                        or targets.engine_from_env(inspect))
        if 'container' in found:
            targets.check_engine_label(found['container'], params.get('engine'), params['container'])
        if engine and 'primary_container' in found:
            try:
                targets.check_engine_label(found['primary_container'], engine, params['primary_container'])
            except DbopsError:
                labelled = (found['primary_container']['Config'].get('Labels') or {}).get('dbops.engine')
                raise DbopsError('primary_container %r runs %s, and this replica runs %s: a replica follows a '
                                 'primary of its own engine; name one. Nothing was changed'
                                 % (params['primary_container'], labelled, engine), 'primary_container')
        return engine or self.target.engine


# Docker's rule for container names (standby_names are container names).
CONTAINER_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
# PostgreSQL's rule for replication slot names.
SLOT_RE = re.compile(r'^[a-z0-9_]{1,63}$')
# A MySQL account's host part: a name, an address, a pattern with % and _, or address/netmask.
ACCOUNT_HOST_RE = re.compile(r'^[A-Za-z0-9_.%:/-]{1,255}$')


def check_durability(params):
    """durability required on a primary: a semi_sync_timeout given is refused (it would look as if it applied,
    and the source never falls back there), and so is semi_sync false (asynchronous commits are acknowledged
    before any replica has them). Nothing has connected yet."""
    if params.get('role') != 'primary' or params.get('durability') != 'required':
        return
    if params.get('semi_sync_timeout') is not None:
        raise DbopsError('semi_sync_timeout %s is set, but durability is required: the primary then never falls '
                         'back to asynchronous commits, so it waits for a replica without a timeout. Remove '
                         'semi_sync_timeout, or set durability: preferred to fall back after it (commits the '
                         'primary then acknowledges alone are lost by a failover)' % params['semi_sync_timeout'],
                         'semi_sync_timeout')
    if params.get('semi_sync') is False:
        raise DbopsError('semi_sync is false, but durability is required: without semi-sync the primary '
                         'acknowledges commits no replica has. Remove semi_sync: false, or set durability: '
                         'preferred', 'semi_sync')


def check_options(params):
    """Refuse the values no server could use, before anything connects or changes."""
    for name in ('primary_port', 'primary_login_port'):
        port = params.get(name)
        if port is not None and not 1 <= port <= 65535:
            raise DbopsError('%s %s is not a TCP port: give a number from 1 to 65535' % (name, port), name)
    if params.get('wait_timeout') is not None and params['wait_timeout'] < 1:
        raise DbopsError('wait_timeout %s: give the seconds to wait, 1 or more' % params['wait_timeout'],
                         'wait_timeout')
    if params.get('semi_sync_timeout') is not None and params['semi_sync_timeout'] < 0:
        raise DbopsError('semi_sync_timeout %s: give the milliseconds the primary waits for an acknowledgement, 0 '
                         'or more (1000 by default)' % params['semi_sync_timeout'], 'semi_sync_timeout')
    check_durability(params)
    host = params.get('replica_host')
    if host is not None and not ACCOUNT_HOST_RE.match(host):
        raise DbopsError('replica_host %r is not a host part of an account: give a host name, an address, a '
                         'pattern such as 10.0.%% or %%, or address/netmask' % host, 'replica_host')
    for name in params.get('standby_names') or []:
        if not CONTAINER_NAME_RE.match(name):
            raise DbopsError('%r is not a container name (letters, digits, and _ . - after the '
                             'first character): name the standbys\' containers' % name, 'standby_names')
    slot = params.get('slot')
    if slot is not None and not SLOT_RE.match(slot):
        raise DbopsError('slot %r is not a replication slot name: use lower case letters, digits and _ (at most '
                         '63), for example %r' % (slot, re.sub('[^a-z0-9_]', '_', slot.lower())[:63]), 'slot')


def run(params, check_mode=False):
    """Run one db_replication call -> result dict (changed, actions, status, ...)."""
    role = params['role']
    if role not in ROLES:
        raise DbopsError('role must be one of %s' % ', '.join(ROLES), 'role')
    check_options(params)
    context = Context(params, check_mode)
    try:
        if params.get('network') and not context.docker.network_exists(params['network']):
            raise DbopsError('network %r does not exist on the Docker host: name the network the primary is on'
                             % params['network'], 'network')
        engine = context.engine()
        driver = get_adapter(engine).replication_driver()(context)
        if role == 'status':
            changed, actions = False, []
        else:
            changes = {'primary': driver.primary, 'replica': driver.replica, 'replicaset': driver.replicaset}
            changed, actions = changes[role]()
        node = driver.status() if driver.reports_status else None
    finally:
        context.close()
    result = {'changed': changed, 'role': role, 'engine': engine, 'actions': actions, 'status': node,
              'notes': context.notes}
    if node is not None:
        result['severity'] = node.get('severity')
    if driver.config is not None:
        result['config'] = driver.config
    return result
