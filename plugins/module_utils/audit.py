# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_tune_report's logic: find the server, read it (never change it), run the
engine's checks, summarise, render."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import socket

from ansible_collections.dbops.containers.plugins.module_utils import audit_core, audit_limits, sizes
from ansible_collections.dbops.containers.plugins.module_utils.audit_core import Check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engine_base import ROOT_PASSWORD_FILE
from ansible_collections.dbops.containers.plugins.module_utils.engines import ADAPTERS, get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.lifecycle import support_status
from ansible_collections.dbops.containers.plugins.module_utils.tuning import SIZE, Resources
from ansible_collections.dbops.containers.plugins.module_utils.versions import format_version

PORT_ENGINES = {3306: 'mysql', 5432: 'postgres', 27017: 'mongodb'}


def version_support(facts):
    status = facts['support']
    if status['status'] == 'supported' or status['status'] == 'unknown':
        return None
    severity = 'critical' if status['status'] == 'end-of-life' else 'warning'
    return finding('%s %s (end of life %s)' % (facts['engine'], status['series'], status['end_of_life']),
                   'a supported release series', '%s days of support left' % status['days_left'],
                   'db_container image: a supported version (e.g. %s)' % facts['default_image'],
                   severity=severity)


def limits_unknown(facts):
    if facts['limits']['memory'] is not None:
        return None
    return finding('unknown', 'the container\'s memory and CPU limits', facts['limits']['source'],
                   'audit by container name, or set the memory and cpus options')


COMMON_CHECKS = (
    Check('common.version.support', 'version', 'warning', 'Release series at or near end of life', version_support,
          'Unsupported releases get no security fixes.', 'vendor lifecycle policies (lifecycle.py)'),
    Check('common.limits.unknown', 'memory', 'info', 'Memory limit unknown: memory checks skipped', limits_unknown,
          'Sizing rules need the memory the server may use, not the host\'s.', 'cgroup v1/v2'),
)


class Target(object):
    def __init__(self, engine, host, port, user, password, database, limits, name, container=None):
        self.engine, self.host, self.port = engine, host, port
        self.user, self.password, self.database = user, password, database
        self.limits, self.name, self.container = limits, name, container


class Auditor(object):
    def __init__(self, params):
        self.params = params

    def run(self):
        target = self._target()
        adapter = get_adapter(target.engine)
        connection = adapter.connect(target.host, target.port, target.user, target.password, target.database,
                                     self.params.get('connect_timeout') or 10)
        collect, checks = adapter.audit_hooks()
        try:
            facts = collect(connection)
        finally:
            connection.close()
        facts['limits'] = target.limits
        facts['support'] = support_status(adapter.name if facts['engine'] != 'mariadb' else 'mariadb',
                                          facts['version'])
        facts['default_image'] = get_adapter(facts['engine']).official_image
        facts['workload_profile'] = self.params.get('profile') or 'oltp'
        facts['recommended'] = self._recommended(facts)
        all_checks = COMMON_CHECKS + tuple(checks)
        findings, skipped = audit_core.run_checks(all_checks, facts)
        summary = audit_core.summarize(findings, len(all_checks), skipped)
        memory = target.limits['memory']
        report = {
            'server': {'name': target.name, 'engine': facts['engine'], 'version': format_version(facts['version']),
                       'version_string': facts['version_string'],
                       'support': '%s (end of life %s)' % (facts['support']['status'], facts['support']['end_of_life']),
                       'memory': memory, 'memory_human': sizes.to_docker(sizes.round_down(memory, sizes.MIB))
                       if memory else 'unknown', 'cpus': target.limits['cpus'],
                       'limits_source': target.limits['source'], 'host': target.host, 'port': target.port},
            'generated': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'),
            'summary': summary,
            'findings': findings,
            'not_evaluated': [{'id': i, 'reason': r} for i, r in skipped],
            'notes': facts.get('notes', []),
        }
        return report

    # ------------------------------------------------------------------ target
    def _target(self):
        params = self.params
        if params.get('container'):
            return self._container_target()
        if not params.get('login_host'):
            raise DbopsError('set container (a container on the Docker host) or login_host', 'login_host')
        engine = params.get('engine')
        port = params.get('login_port')
        if not engine:
            port = port or self._first_open_port(params['login_host'])
            engine = PORT_ENGINES.get(port or 0)
            if not engine:
                raise DbopsError('cannot tell the engine of %s:%s: set engine' % (params['login_host'], port),
                                 'engine')
        adapter = get_adapter(engine)
        port = port or adapter.port
        limits = (audit_limits.declared_limits(self._memory(), params.get('cpus')) if params.get('memory')
                  else audit_limits.unknown_limits())
        return Target(engine, params['login_host'], port, params.get('login_user') or adapter.superuser,
                      self._password(), params.get('login_db'), limits, '%s:%s' % (params['login_host'], port))

    def _first_open_port(self, host):
        """The first engine port that accepts a TCP connection, or None."""
        for port in sorted(PORT_ENGINES):
            try:
                socket.create_connection((host, port), timeout=min(3, self.params.get('connect_timeout') or 3)).close()
                return port
            except (OSError, socket.error):
                continue
        return None

    def _container_target(self):
        from ansible_collections.dbops.containers.plugins.module_utils.docker_helper import DockerHelper
        params = self.params
        docker = DockerHelper(params.get('docker_host'))
        inspect = docker.container(params['container'])
        if inspect is None:
            raise DbopsError('no container named %r on the Docker host' % params['container'], 'container')
        if not inspect['State'].get('Running'):
            raise DbopsError('container %r is not running (%s): start it first'
                             % (params['container'], inspect['State'].get('Status')), 'container')
        labels = inspect['Config'].get('Labels') or {}
        engine = params.get('engine') or labels.get('dbops.engine') or self._engine_from_env(inspect)
        if not engine:
            raise DbopsError('cannot tell the engine of container %r: set engine' % params['container'], 'engine')
        adapter = get_adapter(engine)
        networks = inspect['NetworkSettings'].get('Networks') or {}
        host = params.get('login_host') or next((n.get('IPAddress') for n in networks.values() if n.get('IPAddress')),
                                                None)
        if not host:
            raise DbopsError('container %r has no IP address on a Docker network: set login_host and login_port'
                             % params['container'], 'login_host')
        password = self._password()
        user = params.get('login_user') or adapter.superuser
        if password is None and user == adapter.superuser:
            # A db_container-managed server: its superuser password is in the secrets volume.
            stored = docker.read_file(inspect['Id'], ROOT_PASSWORD_FILE)
            password = stored.decode('utf-8') if stored is not None else None
        if params.get('memory'):
            limits = audit_limits.declared_limits(self._memory(), params.get('cpus'))
        else:
            code, output = docker.exec_shell(inspect['Id'], audit_limits.CGROUP_PROBE)
            limits = audit_limits.parse_cgroup_probe(output)
        # PostgreSQL keeps table statistics per database: by default read the
        # application database the container was created with.
        env = dict(item.split('=', 1) for item in inspect['Config'].get('Env') or [] if '=' in item)
        database = params.get('login_db') or (env.get('POSTGRES_DB') if engine == 'postgres' else None)
        return Target(engine, host, params.get('login_port') or adapter.port, user, password, database,
                      limits, params['container'], container=inspect)

    @staticmethod
    def _engine_from_env(inspect):
        names = set(item.split('=', 1)[0] for item in inspect['Config'].get('Env') or [])
        for adapter in ADAPTERS.values():
            if names & set(adapter.version_env):
                return adapter.name
        return None

    def _memory(self):
        return sizes.parse_size(self.params['memory'], 'memory')

    def _password(self):
        params = self.params
        if params.get('login_password') is not None:
            return params['login_password']
        path = params.get('login_password_file')
        if path:
            try:
                with open(path) as handle:
                    return handle.read().rstrip('\n')
            except (IOError, OSError) as exc:
                raise DbopsError('cannot read %s: %s' % (path, exc), 'login_password_file')
        return None

    def _recommended(self, facts):
        """What db_container derives for these limits: the values findings recommend."""
        limits = facts['limits']
        if not limits['memory']:
            return {}
        adapter = get_adapter(facts['engine'])
        resources = Resources(limits['memory'], limits['cpus'] or 1, self.params.get('profile') or 'oltp',
                              facts['version'])
        derived = adapter.derive_settings(resources)
        kinds = adapter.kinds()
        recommended = adapter.format_settings(derived)
        for name, value in derived.items():
            if kinds.get(name) == SIZE:
                recommended[name + '_bytes'] = value
        return recommended


def write_report(report, fmt, dest):
    text = audit_core.render(report, fmt)
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise DbopsError('directory %s does not exist' % directory, 'dest')
    changed = True
    if os.path.exists(dest):
        with open(dest) as handle:
            changed = handle.read() != text
    if changed:
        with open(dest, 'w') as handle:
            handle.write(text)
    return changed
