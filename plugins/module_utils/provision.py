# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_container's logic: check everything, plan, then apply.

Every check (parameters, host limits, image and version, settings, ports,
networks, ownership, upgrades, secrets) runs before the first change, so bad
input leaves containers and volumes exactly as they were.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import re
import socket
from collections import namedtuple

from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils.common.wait import wait_until
from ansible_collections.dbops.containers.plugins.module_utils.docker.container_spec import (
    Request, build_resources, build_spec, labels_for, resources_of, spec_of)
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import (
    APIError, DockerException, DockerHelper, FileEntry)
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import (
    CLUSTER_KEY_FILE, ROOT_PASSWORD_FILE, USER_PASSWORD_FILE)
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import ADAPTERS, get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Resources
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import format_version, parse_version

INIT_DIR = '/docker-entrypoint-initdb.d'
# engine_version as users write it: digits and dots, nothing else.
_PLAIN_VERSION = re.compile(r'^[0-9]+(\.[0-9]+){0,2}$')
# A container being replaced waits under this name until its successor is healthy.
SET_ASIDE_INFIX = '-dbops-previous-'

# What the container should be: its create-time spec, the limits docker update
# can change, the rendered configuration and the first-start init scripts.
Desired = namedtuple('Desired', 'spec resources config_text init_scripts')


def plan_actions(state, exists, running, same_spec, same_resources, same_config):
    """The ordered actions that bring a container to ``state``. Pure, unit-tested."""
    start = ['start', 'wait'] if state in ('started', 'restarted') else []
    if not exists:
        return ['create_volumes', 'write_config', 'write_secrets', 'create'] + start
    if not same_spec:
        # A new container on the same volumes: the data volume is kept.
        return (['stop'] if running else []) + ['remove', 'create_volumes', 'write_config', 'create'] + start
    actions = []
    if not same_resources or not same_config:
        if running:
            actions.append('stop')  # no server runs with limits its settings were not sized for
        if not same_resources:
            actions.append('update_resources')
        if not same_config:
            actions.append('write_config')
        if state != 'stopped' and (running or state in ('started', 'restarted')):
            actions += start
        return actions
    if state == 'started' and not running:
        return ['start', 'wait']
    if state == 'stopped' and running:
        return ['stop']
    if state == 'restarted':
        return (['stop'] if running else []) + start
    return []


def with_secrets_written(actions, running):
    """``actions`` plus writing the secrets volume, before the configuration
    that needs them is used (an existing container given a cluster key)."""
    if 'write_secrets' in actions:
        return actions
    for anchor in ('write_config', 'create', 'start'):
        if anchor in actions:
            index = actions.index(anchor)
            return actions[:index] + ['write_secrets'] + actions[index:]
    return actions + ['write_secrets'] + (['stop', 'start', 'wait'] if running else [])


# Words with which the engines' own log lines report a failed start.
_FAILURE_WORDS = ('[ERROR]', 'ERROR:', 'FATAL:', 'PANIC:', 'unknown variable', 'Aborting', 'errno', 'Errcode',
                  'not found', "Can't ", 'could not', 'No such file')


_PASSWORD_REFUSED = ('Access denied for user', 'password authentication failed', 'Authentication failed')


def refuses_password(client_output):
    """True when a client's output says the server refused the password (not that it is unreachable)."""
    return any(words in (client_output or '') for words in _PASSWORD_REFUSED)


def first_line(text):
    return (text or '').strip().splitlines()[0] if (text or '').strip() else ''


def blame_setting(log_text, user_settings):
    """(parameter, evidence) from the server's log of a failed start: the user setting its
    error lines name (by name or by value), and those lines. Pure, unit-tested."""
    errors = [line.strip() for line in (log_text or '').splitlines()
              if any(word in line for word in _FAILURE_WORDS)]
    evidence = '\n'.join(errors[-5:])
    for name in sorted(user_settings or {}, key=len, reverse=True):
        spellings = set([name, name.replace('_', '-'), name.replace('-', '_')])
        value = str(user_settings[name])
        for line in errors:
            if any(spelling in line for spelling in spellings) or (len(value) > 3 and value in line):
                return 'settings.%s' % name, evidence
    return None, evidence


class Provisioner(object):
    def __init__(self, params, check_mode=False, warn=None):
        self.params = params
        self.check_mode = check_mode
        self.warnings = []
        self._warn = warn

    def warn(self, message):
        self.warnings.append(message)
        if self._warn:
            self._warn(message)

    # ------------------------------------------------------------------ run
    def run(self):
        request = Request(self.params)
        adapter = get_adapter(request.engine)
        adapter.validate_identity(request.database, request.user)
        if request.cluster_key:
            request.settings = adapter.cluster_key_settings(request.settings)
        docker = DockerHelper.from_params(self.params)
        current = docker.container(request.name)
        self._check_ownership(request, current)
        if request.state == 'absent':
            return self._absent(request, docker, current)

        self._check_host_limits(request, docker)
        image = self.params.get('image') or adapter.default_image(self.params.get('image_source') or 'official')
        image_info = docker.image(image)
        if image_info is None:
            # Settings are checked against the tag's version before any pull.
            self._effective_settings(request, adapter, self._resolve_version(adapter, image, None))
            image_info = self._pull(docker, image)
        elif self.params.get('pull') == 'always' and not self.check_mode:
            image_info = docker.pull(image)
        version = self._resolve_version(adapter, image, image_info)
        self._check_image_engine(adapter, image, image_info)
        settings = self._effective_settings(request, adapter, version)
        config_text = adapter.render_config(settings)
        spec, digest = build_spec(request, adapter, image, version)
        spec['labels'] = labels_for(spec, digest, adapter, version)
        wanted_resources = build_resources(request)

        self._check_networks(request, docker)
        self._check_ports(request, docker)
        self._check_data_volume(request, adapter, docker, current, version)
        self._check_volumes_unshared(request, docker)
        current_config = self._current_file(docker, current, '%s/%s' % (adapter.config_dir, adapter.config_file))
        self._check_secrets(request, docker, current)
        if current_config != config_text.encode('utf-8'):
            self._check_settings_on_server(adapter, docker, image, image_info, version, settings, config_text,
                                           request.settings)

        running = bool(current and current['State'].get('Running'))
        same_spec = bool(current) and current['Config']['Labels'].get('dbops.spec-hash') == digest
        same_resources = bool(current) and resources_of(current) == wanted_resources
        actions = plan_actions(request.state, bool(current), running, same_spec, same_resources,
                               current_config == config_text.encode('utf-8'))
        if current and request.cluster_key and docker.read_file(current['Id'], CLUSTER_KEY_FILE) is None:
            actions = with_secrets_written(actions, running)
        result = {
            'changed': bool(actions),
            'actions': actions,
            'engine': adapter.name,
            'version': format_version(version),
            'image': image,
            'settings': settings,
            'volumes': dict((kind, mount['source']) for kind, mount in request.volumes.items()),
            'diff': self._diff(current, current_config, spec, wanted_resources, config_text),
        }
        if any(a in actions for a in ('create', 'update_resources')) and not self.check_mode:
            self._check_engine_limits(request, docker, spec, wanted_resources)
        if actions and not self.check_mode:
            desired = Desired(spec, wanted_resources, config_text,
                              adapter.init_scripts(request.database, request.user, settings))
            self._apply_or_roll_back(actions, request, adapter, docker, current, desired, current_config)
        final = docker.container(request.name)
        result['container'] = self._describe(final) if final else {'name': request.name, 'status': 'absent'}
        return result

    # --------------------------------------------------------------- checks
    def _check_ownership(self, request, current):
        if current is None:
            return
        labels = current['Config'].get('Labels') or {}
        if labels.get('dbops.managed') != 'true':
            raise DbopsError('a container named %r exists and was not created by dbops.containers.db_container; '
                             'nothing was changed: choose another name or remove that container yourself'
                             % request.name, 'name')
        if labels.get('dbops.engine') != request.engine:
            raise DbopsError('container %r runs %s and its data volume holds %s data: engine=%s would start '
                             'another engine on it; nothing was changed' % (
                                 request.name, labels.get('dbops.engine'), labels.get('dbops.engine'),
                                 request.engine), 'engine')

    def _check_host_limits(self, request, docker):
        info = docker.info()
        host_cpus = info.get('NCPU') or 0
        if host_cpus and request.cpus > host_cpus:
            raise DbopsError('cpus=%s but the Docker host has %d CPUs: lower cpus' % (request.cpus, host_cpus),
                             'cpus')
        host_memory = info.get('MemTotal') or 0
        if host_memory and request.memory > host_memory:
            raise DbopsError('memory=%s but the Docker host has %s: lower memory' % (
                self.params['memory'], sizes.to_docker(sizes.round_down(host_memory, sizes.MIB))), 'memory')

    def _pull(self, docker, image):
        if (self.params.get('pull') or 'missing') == 'never':
            raise DbopsError('image %s is not on the Docker host and pull=never: load the image or allow '
                             'pulling' % image, 'image')
        return None if self.check_mode else docker.pull(image)

    def _effective_settings(self, request, adapter, version):
        resources = Resources(request.memory, request.cpus, request.profile, version)
        settings, warnings = adapter.effective_settings(resources, request.settings)
        for message in warnings:
            if message not in self.warnings:
                self.warn(message)
        return settings

    def _resolve_version(self, adapter, image, image_info):
        env = ((image_info or {}).get('Config') or {}).get('Env') or []
        image_version = adapter.version_of_image(image, env)
        given = self.params.get('engine_version')
        if given:
            version = parse_version(given) if _PLAIN_VERSION.match(str(given).strip()) else None
            if version is None:
                raise DbopsError('%r is not a version: give digits and dots only (e.g. 8.4 or 15.8)' % given,
                                 'engine_version')
            # The version is written on the data volume: a wrong one would later refuse the right image
            # as a downgrade. It must agree with what the image says of itself, as far as both go.
            if image_version and tuple(image_version[:len(version)]) != tuple(version[:len(image_version)]):
                raise DbopsError('engine_version %s disagrees with image %s, which is %s %s: leave engine_version '
                                 'out or give the image\'s version; nothing was changed'
                                 % (given, image, adapter.label, format_version(image_version)), 'engine_version')
            return version
        version = image_version
        if version is None:
            raise DbopsError('cannot tell the %s version of image %s (no version in its environment or tag); '
                             'settings are checked per version: use a versioned tag or set engine_version'
                             % (adapter.label, image), 'engine_version')
        return version

    def _check_image_engine(self, adapter, image, image_info):
        env = ((image_info or {}).get('Config') or {}).get('Env') or []
        names = set(item.split('=', 1)[0] for item in env)
        if names & set(adapter.version_env):
            return
        for other in ADAPTERS.values():
            if other.name != adapter.name and names & set(other.version_env):
                raise DbopsError('image %s is a %s image but engine=%s: set engine=%s or choose a %s image'
                                 % (image, other.label, adapter.name, other.name, adapter.label), 'image')

    def _check_settings_on_server(self, adapter, docker, image, image_info, version, settings, config_text,
                                  user_settings):
        """The image's own server judges the configuration before anything changes
        (names, types, units, ranges); the image must be on the host for that."""
        if image_info is None:
            self.warn('image %s is not on the Docker host yet: settings were checked against the catalog of '
                      '%s %s only, not against the server itself' % (image, adapter.label, format_version(version)))
            return
        for message in adapter.check_settings_on_server(docker, image, image_info['Id'], version, settings,
                                                        config_text, user_settings or {}):
            if message not in self.warnings:
                self.warn(message)

    def _check_networks(self, request, docker):
        for network in request.networks:
            if not docker.network_exists(network['name']):
                raise DbopsError('network %r does not exist: create it first (community.docker.docker_network)'
                                 % network['name'], 'networks')

    def _check_ports(self, request, docker):
        taken = docker.containers_with_ports()
        for host_ip, host_port, _container_port in request.published_ports:
            for owner, owner_ip, owner_port in taken:
                if owner == request.name or owner_port != host_port:
                    continue
                if '0.0.0.0' in (owner_ip, host_ip) or owner_ip in ('::', host_ip):
                    raise DbopsError('%s:%d is already published by container %r: choose another host port'
                                     % (host_ip, host_port, owner), 'published_ports')
            if not any(owner == request.name and port == host_port for owner, _ip, port in taken):
                self._check_port_free_locally(host_ip, host_port)

    def _check_port_free_locally(self, host_ip, host_port):
        if self.params.get('docker_host') and not str(self.params['docker_host']).startswith('unix://'):
            return  # the engine is elsewhere: only its containers' ports are known
        probe = socket.socket(socket.AF_INET6 if ':' in host_ip else socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.bind((host_ip, host_port))
        except (OSError, socket.error) as exc:
            if exc.errno == errno.EADDRINUSE:
                raise DbopsError('%s:%d is already in use on this host: choose another host port'
                                 % (host_ip, host_port), 'published_ports')
        finally:
            probe.close()

    def _check_data_volume(self, request, adapter, docker, current, version):
        data = request.volumes['data']
        if data['type'] == 'volume':
            volume = docker.volume(data['source'])
            labels = (volume or {}).get('Labels') or {}
            if volume and labels.get('dbops.engine') and labels['dbops.engine'] != adapter.name:
                raise DbopsError('volume %r holds %s data: engine=%s cannot use it; choose another data_volume'
                                 % (data['source'], labels['dbops.engine'], adapter.name), 'data_volume')
        if current:
            old = parse_version(current['Config']['Labels'].get('dbops.version'))
            adapter.check_upgrade(old, version)

    def _check_volumes_unshared(self, request, docker):
        """One server per data directory: two servers on one volume overwrite each
        other's files (a second postgres replaces postmaster.pid and both serve).
        Every volume the container mounts is checked, running or stopped owners alike."""
        for kind in ('data', 'logs', 'config', 'secrets'):
            mount = request.volumes[kind]
            others = [(name, running) for name, running in docker.containers_mounting(mount['source'])
                      if name != request.name]
            if not others:
                continue
            name, running = others[0]
            parameter = 'name' if kind == 'secrets' else '%s_volume' % kind
            if name.startswith(request.name + SET_ASIDE_INFIX):
                raise DbopsError('a change that was interrupted left the previous container set aside as %r; '
                                 'bring it back with `docker rename %s %s` (or remove it if the new one serves); '
                                 'nothing was changed' % (name, name, request.name), 'name')
            raise DbopsError('%s %r is already mounted by container %r (%s): two servers on one %s directory '
                             'corrupt it. Choose another %s, or remove container %r first if it is retired; '
                             'nothing was changed' % (
                                 'host path' if mount['type'] == 'bind' else 'volume', mount['source'], name,
                                 'running' if running else 'stopped', kind, parameter, name), parameter)

    def _check_engine_limits(self, request, docker, spec, resources):
        """Runtime limits the engine cannot grant fail a container's start; find out first."""
        engine_nofile = docker.preflight(spec['image'], resources, spec['security_opt'])
        for limit in spec['ulimits']:
            if limit['name'] != 'nofile' or engine_nofile is None or limit['hard'] <= engine_nofile:
                continue
            if request.ulimits_default:
                # The default is a production value; a smaller engine limit is
                # the operator's choice, not an input error.
                self.warn('the Docker engine allows at most %d open files per container; nofile is set to '
                          '%d instead of %d (raise LimitNOFILE of dockerd for production)'
                          % (engine_nofile, engine_nofile, limit['hard']))
                limit['soft'] = min(limit['soft'], engine_nofile)
                limit['hard'] = engine_nofile
            else:
                raise DbopsError('nofile=%s:%s is above the Docker engine\'s own limit (%d): lower it to at most '
                                 '%d or raise LimitNOFILE of dockerd'
                                 % (limit['soft'], limit['hard'], engine_nofile, engine_nofile), 'ulimits')

    def _current_file(self, docker, current, path):
        return docker.read_file(current['Id'], path) if current else None

    def _check_secrets(self, request, docker, current):
        self._check_cluster_key(request, docker, current)
        self._check_passwords(request, docker, current)

    def _check_cluster_key(self, request, docker, current):
        """A replica set's members share one key: a different key would lock this
        member out of its set, so it is refused like a changed password."""
        if not current or not request.cluster_key:
            return
        stored = docker.read_file(current['Id'], CLUSTER_KEY_FILE)
        if stored is not None and stored != request.cluster_key.encode('ascii'):
            raise DbopsError('holds a different key from the one container %r uses; every member of a replica set '
                             'needs the same key, and db_container does not rotate keys (MongoDB\'s rolling key '
                             'rotation puts both keys in the file); nothing was changed' % request.name,
                             'cluster_key_file')

    def _check_passwords(self, request, docker, current):
        """The server was initialised with the password in the secrets volume; a
        different root_password cannot take effect by rewriting the file."""
        if not current:
            return
        for parameter, path, wanted in (('root_password', ROOT_PASSWORD_FILE, request.root_password),
                                        ('password', USER_PASSWORD_FILE, request.password)):
            stored = docker.read_file(current['Id'], path)
            if stored is not None and wanted is not None and stored != wanted.encode('utf-8'):
                raise DbopsError('differs from the password container %r was initialised with; db_container does '
                                 'not change passwords of a running server: change it in the database first, '
                                 'or pass the current one; nothing was changed' % request.name, parameter)

    # --------------------------------------------------------------- absent
    def _absent(self, request, docker, current):
        purge = bool(self.params.get('purge_data'))
        kinds = ('config', 'secrets') + (('data', 'logs') if purge else ())
        volumes = [request.volumes[kind]['source'] for kind in kinds
                   if request.volumes[kind]['type'] == 'volume' and docker.volume(request.volumes[kind]['source'])]
        actions = (['stop', 'remove'] if current else []) + ['remove_volume:%s' % v for v in volumes]
        if not self.check_mode:
            if current:
                docker.stop(current['Id'], request.stop_timeout)
                docker.remove_container(current['Id'])
            for volume in volumes:
                docker.remove_volume(volume)
        kept = [request.volumes[k]['source'] for k in ('data', 'logs') if not purge]
        if purge and any(request.volumes[k]['type'] == 'bind' for k in ('data', 'logs')):
            self.warn('purge_data does not delete host directories: remove them yourself')
        return {'changed': bool(actions), 'actions': actions, 'engine': request.engine,
                'container': {'name': request.name, 'status': 'absent'}, 'kept_volumes': kept,
                'diff': {'before': {'state': 'present' if current else 'absent'}, 'after': {'state': 'absent'}}}

    # ---------------------------------------------------------------- apply
    def _apply_or_roll_back(self, actions, request, adapter, docker, current, desired, previous_config):
        """Apply as a transaction.

        A first creation that fails is removed with the volumes this run created. A
        change to an existing server that does not come back healthy is undone: the
        previous container (set aside, not removed, while its successor starts), its
        configuration file and its limits are restored and it is started again. The
        data volume is never written by either path.
        """
        self._created = {'container': None, 'volumes': []}
        self._set_aside = None
        try:
            self._apply(actions, request, adapter, docker, current, desired)
        except (DbopsError, APIError, DockerException) as exc:
            if current is None:
                self._remove_created(docker)
                if isinstance(exc, DbopsError):
                    raise DbopsError('%s; what this run created was removed%s' % (
                        exc.message.rstrip('.'), '' if request.volumes['data']['source'] in self._created['volumes']
                        else ', the data volume was not touched'), exc.parameter)
                raise DbopsError('the Docker engine refused a change (%s); what this run created was removed'
                                 % (getattr(exc, 'explanation', None) or exc), 'name')
            raise self._undo_change(exc, request, adapter, docker, current, previous_config)
        if self._set_aside:
            docker.remove_container(self._set_aside)

    def _remove_created(self, docker):
        if self._created['container']:
            docker.remove_container(self._created['container'])
        for volume in self._created['volumes']:
            docker.remove_volume(volume)

    def _undo_change(self, exc, request, adapter, docker, current, previous_config):
        """Bring the previous server back after a failed change; the DbopsError to raise."""
        cause = getattr(exc, 'message', None) or getattr(exc, 'explanation', None) or str(exc)
        failed_id = self._created['container'] or (None if self._set_aside else current['Id'])
        failed_log = docker.logs_tail(failed_id, 60) if failed_id else ''
        parameter, evidence = blame_setting(failed_log, request.settings)
        if parameter is None:
            parameter = getattr(exc, 'parameter', None) or 'settings'
        try:
            if failed_id:
                docker.stop(failed_id, request.stop_timeout)
            if self._set_aside:
                if self._created['container']:
                    docker.remove_container(self._created['container'])
                docker.rename(self._set_aside, request.name)
            if previous_config is not None:
                docker.write_to_mount(current['Config']['Image'], request.volumes['config'],
                                      [FileEntry(adapter.config_file, previous_config, 0o644)])
            if resources_of(docker.container(current['Id'])) != resources_of(current):
                docker.update_resources(current['Id'], resources_of(current))
            if current['State'].get('Running'):
                docker.start(current['Id'])
                self._wait_ready(request, adapter, docker, current['Id'])
        except (DbopsError, APIError, DockerException) as undo_exc:
            undo_cause = getattr(undo_exc, 'explanation', None) or str(undo_exc)
            return DbopsError('the change failed (%s) and bringing back the previous configuration failed too '
                              '(%s); the data volume was not touched. The failed start logged:\n%s'
                              % (first_line(cause), first_line(undo_cause), evidence or failed_log), parameter)
        return DbopsError('%s did not come back healthy with the new configuration, so the change was undone: the '
                          'previous configuration and limits were restored and the server %s; the data volume was '
                          'not touched. The server said:\n%s' % (
                              adapter.label, 'runs again' if current['State'].get('Running') else 'is stopped as before',
                              evidence or first_line(cause) + '\n' + failed_log), parameter)

    def _apply(self, actions, request, adapter, docker, current, desired):
        spec = desired.spec
        container_id = current['Id'] if current else None
        uid = adapter.runtime_uid
        for action in actions:
            if action == 'stop':
                docker.stop(container_id, request.stop_timeout)
            elif action == 'remove':
                # Set aside rather than removed: a successor that fails to start is undone with it.
                docker.rename(container_id, '%s%s%s' % (request.name, SET_ASIDE_INFIX, container_id[:12]))
                self._set_aside = container_id
                container_id = None
            elif action == 'create_volumes':
                self._create_volumes(request, adapter, docker, spec['image'])
            elif action == 'write_config':
                docker.write_to_mount(spec['image'], request.volumes['config'],
                                      [FileEntry(adapter.config_file, desired.config_text, 0o644)])
            elif action == 'write_secrets':
                entries = [FileEntry('root_password', request.root_password, 0o600, uid, uid)]
                if request.password:
                    entries.append(FileEntry('password', request.password, 0o600, uid, uid))
                if request.cluster_key:
                    # mongod refuses a key file that group or others may read.
                    entries.append(FileEntry('cluster_key', request.cluster_key, 0o400, uid, uid))
                docker.write_to_mount(spec['image'], request.volumes['secrets'], entries)
            elif action == 'create':
                container_id = docker.create_container(request.name, spec, desired.resources)
                self._created['container'] = container_id
                if desired.init_scripts:
                    docker.put_files(container_id, INIT_DIR, [FileEntry(name, text, 0o755)
                                                              for name, text in desired.init_scripts.items()])
            elif action == 'update_resources':
                docker.update_resources(container_id, desired.resources)
            elif action == 'start':
                docker.start(container_id)
            elif action == 'wait':
                if self.params.get('wait', True):
                    self._wait_ready(request, adapter, docker, container_id)

    def _create_volumes(self, request, adapter, docker, image):
        for kind, mount in sorted(request.volumes.items()):
            if mount['type'] != 'volume' or docker.volume(mount['source']):
                continue
            docker.create_volume(mount['source'], {'dbops.managed': 'true', 'dbops.container': request.name,
                                                   'dbops.engine': adapter.name, 'dbops.kind': kind})
            self._created['volumes'].append(mount['source'])
            if kind == 'logs' and adapter.log_dir:
                # A new volume is root-owned; the server (uid 999) writes its logs there.
                docker.write_to_mount(image, mount,
                                      [FileEntry('.', None, 0o750, adapter.runtime_uid, adapter.runtime_uid)])

    def _wait_ready(self, request, adapter, docker, container_id):
        command = adapter.healthcheck()

        def accepts_connections():
            inspect = docker.container(container_id) or {}
            state = inspect.get('State') or {}
            # A server that exits is restarted by the restart policy: that is a
            # failed start too, not something to wait out.
            if not state.get('Running') or state.get('Restarting') or inspect.get('RestartCount'):
                raise DbopsError('%s in container %r stopped while starting (exit code %s). Last log lines:\n%s'
                                 % (adapter.label, request.name, state.get('ExitCode'),
                                    docker.logs_tail(container_id)), 'settings')
            try:
                code, output = docker.exec_shell(container_id, command)
            except (APIError, DockerException):
                code, output = None, ''  # the container went away between inspect and exec
            if code != 0 and refuses_password(output):
                # The init-time server listens on its socket only, so a refusal over TCP comes from
                # the real server: the data directory holds another superuser password.
                raise DbopsError('%s in container %r refuses the superuser password: its data volume %r was '
                                 'initialised with another one (the image sets the password only on an empty '
                                 'data directory). Pass the root_password the data was created with'
                                 % (adapter.label, request.name, request.volumes['data']['source']),
                                 'root_password')
            return code == 0

        if not wait_until(accepts_connections, request.wait_timeout, interval=0.5):
            raise DbopsError('%s in %r did not accept connections within %ss (wait_timeout). Last log '
                             'lines:\n%s' % (adapter.label, request.name, request.wait_timeout,
                                             docker.logs_tail(container_id)), 'wait_timeout')

    # --------------------------------------------------------------- output
    def _diff(self, current, current_config, spec, resources, config_text):
        after_spec = dict((k, v) for k, v in spec.items() if k not in ('labels', 'healthcheck'))
        before = {}
        if current:
            before_spec = dict((k, v) for k, v in spec_of(current).items() if k not in ('labels', 'healthcheck'))
            before = {'container': before_spec, 'resources': resources_of(current),
                      'config': (current_config or b'').decode('utf-8', 'replace')}
        return {'before': before, 'after': {'container': after_spec, 'resources': resources, 'config': config_text}}

    @staticmethod
    def _describe(inspect):
        networks = (inspect.get('NetworkSettings') or {}).get('Networks') or {}
        state = inspect.get('State') or {}
        return {
            'name': inspect['Name'].lstrip('/'),
            'id': inspect['Id'],
            'image': inspect['Config']['Image'],
            'status': state.get('Status'),
            'health': (state.get('Health') or {}).get('Status'),
            'ip_addresses': dict((name, net.get('IPAddress')) for name, net in networks.items()),
            'ports': (inspect.get('NetworkSettings') or {}).get('Ports') or {},
        }
