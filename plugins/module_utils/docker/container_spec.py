# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From db_container's parameters to a validated request and a container spec.

Pure logic (no Docker): every check here runs before anything is created, so
bad input changes nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import ipaddress
import json
import re

from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import SECRETS_DIR
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$')
ULIMIT_NAMES = ('core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile',
                'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack')
# A label's name: Docker's recommended form (letters, digits, . - _ /), no spaces, not empty.
LABEL_KEY_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9._/-]{0,253}[A-Za-z0-9])?$')
# A network alias is a host name the other containers resolve.
ALIAS_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$')
# Docker's own networks: aliases exist only on user-defined ones.
DEFAULT_NETWORKS = ('bridge', 'host', 'none')
MIN_MEMORY = 256 * sizes.MIB  # below this no engine starts with its own defaults
CPU_PERIOD = 100000  # CFS period in microseconds; cpus x period = quota (as docker --cpus)
DEFAULT_ULIMITS = {'nofile': '65536:65536'}  # the seed's production value
SPEC_VERSION = 1     # bump when the spec layout changes (forces one recreate)


class Request(object):
    """db_container's parameters, checked and normalised."""

    def __init__(self, params):
        self.params = params
        self.name = _container_name(params['name'])
        self.engine = params['engine']
        self.state = params['state']
        self.memory = sizes.parse_size(params['memory'], 'memory')
        if self.memory < MIN_MEMORY:
            raise DbopsError('%s is too little for a database server: give it at least 256m' % params['memory'],
                             'memory')
        self.memory_swap = self._memory_swap(params.get('memory_swap'))
        self.cpus = _cpus(params['cpus'])
        self.profile = params['profile']
        self.settings = params.get('settings') or {}
        if not isinstance(self.settings, dict):
            raise DbopsError('expected a dictionary of engine settings', 'settings')
        self.shm_size = sizes.parse_size(params['shm_size'], 'shm_size') if params.get('shm_size') else None
        if self.shm_size is not None and self.shm_size >= self.memory:
            raise DbopsError('shm_size=%s does not fit in memory=%s (/dev/shm pages count against the memory '
                             'limit): lower it' % (params['shm_size'], params['memory']), 'shm_size')
        self.tmpfs_size = (sizes.parse_size(params['tmpfs_size'], 'tmpfs_size') if params.get('tmpfs_size')
                           else max(64 * sizes.MIB, sizes.round_down(self.memory // 4, sizes.MIB)))
        if self.tmpfs_size >= self.memory:
            raise DbopsError('tmpfs_size=%s does not fit in memory=%s (tmpfs pages count against the memory '
                             'limit): lower it' % (params['tmpfs_size'], params['memory']), 'tmpfs_size')
        self.ulimits_default = not params.get('ulimits')
        self.ulimits = _ulimits(params.get('ulimits') or DEFAULT_ULIMITS)
        self.published_ports = [_published_port(p) for p in params.get('published_ports') or []]
        self.networks = [_network(n) for n in params.get('networks') or []]
        names = [network['name'] for network in self.networks]
        twice = sorted(set(name for name in names if names.count(name) > 1))
        if twice:
            raise DbopsError('network %s is listed twice: list each network once, with all its aliases'
                             % ', '.join(twice), 'networks')
        self.labels = dict((str(k), _label_value(k, v)) for k, v in (params.get('labels') or {}).items())
        bad = [k for k in self.labels if not LABEL_KEY_RE.match(k)]
        if bad:
            raise DbopsError('label name %s is not a label name: use letters, digits, and . - _ / inside (for '
                             'example com.example.team)' % ', '.join(repr(k) for k in sorted(bad)), 'labels')
        bad = [k for k in self.labels if k.startswith('dbops.')]
        if bad:
            raise DbopsError('labels starting with "dbops." are reserved for the module: rename %s'
                             % ', '.join(sorted(bad)), 'labels')
        self.volumes = dict((kind, _volume(params.get('%s_volume' % kind), self.name, kind))
                            for kind in ('data', 'config', 'logs'))
        self.volumes['secrets'] = {'type': 'volume', 'source': '%s-secrets' % self.name}
        self.database = params.get('database')
        self.user = params.get('user')
        self.root_password = params.get('root_password')
        self.password = params.get('password')
        self.wait_timeout = params.get('wait_timeout', 300)
        if self.wait_timeout <= 0:
            raise DbopsError('must be a positive number of seconds', 'wait_timeout')
        self.stop_timeout = params.get('stop_timeout', 60)
        if self.stop_timeout <= 0:
            raise DbopsError('must be a positive number of seconds (the server needs time to flush)',
                             'stop_timeout')
        self.cluster_key = None
        if self.state != 'absent':
            self._check_secrets()
            if params.get('cluster_key_file'):
                self.cluster_key = read_cluster_key(params['cluster_key_file'])

    def _memory_swap(self, value):
        if value in (None, ''):
            return self.memory  # equal to memory: the container gets no swap
        if str(value) == '-1':
            return -1
        swap = sizes.parse_size(value, 'memory_swap')
        if swap < self.memory:
            raise DbopsError('memory_swap (%s) is memory plus swap and cannot be below memory (%s); '
                             'set it equal to memory for no swap' % (value, self.params['memory']), 'memory_swap')
        return swap

    def _check_secrets(self):
        if not self.root_password:
            raise DbopsError('is required to create or run a database container: set root_password '
                             '(it is written to a 0600 file in a volume, never to the environment)',
                             'root_password')
        for parameter, value in (('root_password', self.root_password), ('password', self.password)):
            if value is not None and ('\n' in value or '\r' in value or value != value.strip()):
                raise DbopsError('must not contain line breaks or start or end with spaces '
                                 '(the images read password files without them)', parameter)
        if self.user and not self.password:
            raise DbopsError('user %r needs a password: set password' % self.user, 'password')
        if self.password and not self.user:
            raise DbopsError('password is set but user is not: set user (the application account)', 'user')


def cluster_key(text):
    """A MongoDB key file's key, as the server reads it: whitespace removed, then
    6 to 1024 characters of the base64 set (MongoDB manual, internal
    authentication, keyfiles). One key; DbopsError naming cluster_key_file."""
    key = re.sub(r'\s+', '', text or '')
    if not 6 <= len(key) <= 1024:
        raise DbopsError('the key has %d characters; MongoDB needs 6 to 1024 characters of the base64 set '
                         '(e.g. openssl rand -base64 756)' % len(key), 'cluster_key_file')
    if not re.match(r'^[A-Za-z0-9+/=]+$', key):
        raise DbopsError('the key may only contain characters of the base64 set (A-Z a-z 0-9 + / =), one key per '
                         'file (e.g. openssl rand -base64 756)', 'cluster_key_file')
    return key


def read_cluster_key(path):
    try:
        with open(path, 'rb') as handle:
            raw = handle.read(64 * 1024)
    except (IOError, OSError) as exc:
        raise DbopsError('cannot read %s on the host that runs the module (%s)' % (path, exc.strerror or exc),
                         'cluster_key_file')
    try:
        text = raw.decode('ascii')
    except UnicodeDecodeError:
        raise DbopsError('%s is not a text key file: the key may only contain characters of the base64 set'
                         % path, 'cluster_key_file')
    return cluster_key(text)


def _container_name(name):
    if not name or not NAME_RE.match(name):
        raise DbopsError('%r is not a valid container name: letters, digits, _ . and -, starting with a '
                         'letter or digit, at most 63 characters' % (name,), 'name')
    return name


def _cpus(value):
    try:
        cpus = float(value)
    except (TypeError, ValueError):
        raise DbopsError('%r is not a number of CPUs (e.g. 2 or 0.5)' % (value,), 'cpus')
    if cpus < 0.01:
        raise DbopsError('%r must be at least 0.01' % (value,), 'cpus')
    return cpus


def _ulimits(value):
    limits = []
    for name, limit in sorted((value or {}).items()):
        if name not in ULIMIT_NAMES:
            raise DbopsError('unknown ulimit %r: use one of %s' % (name, ', '.join(ULIMIT_NAMES)), 'ulimits')
        text = str(limit)
        parts = text.split(':')
        try:
            soft, hard = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
        except ValueError:
            soft = hard = None
        if soft is None or soft < -1 or hard < -1 or (hard != -1 and soft > hard):
            raise DbopsError('%s=%r: write one number or soft:hard with soft <= hard, e.g. 65536 or '
                             '65536:65536' % (name, limit), 'ulimits')
        limits.append({'name': name, 'soft': soft, 'hard': hard})
    return limits


def _port_number(text, spec):
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise DbopsError('%r: ports are numbers from 1 to 65535' % spec, 'published_ports')
    return port


def _published_port(spec):
    """"3306" | "13306:3306" | "10.0.0.5:13306:3306" -> (host ip, host port, container port).

    Without an address the port binds to 127.0.0.1: a database is not published
    on every interface by accident.
    """
    text = str(spec)
    parts = text.rsplit(':', 2)
    if len(parts) == 1:
        container = _port_number(parts[0], text)
        return ('127.0.0.1', container, container)
    if len(parts) == 2:
        return ('127.0.0.1', _port_number(parts[0], text), _port_number(parts[1], text))
    address = parts[0].strip('[]')
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise DbopsError('%r: %r is not an IP address' % (text, address), 'published_ports')
    return (address, _port_number(parts[1], text), _port_number(parts[2], text))


def _network(value):
    if isinstance(value, dict):
        name, aliases = value.get('name'), value.get('aliases') or []
    else:
        name, aliases = value, []
    if not name:
        raise DbopsError('every network needs a name', 'networks')
    if not isinstance(aliases, list):
        raise DbopsError('aliases of network %s must be a list of names' % name, 'networks')
    aliases = [str(a) for a in aliases]
    bad = [a for a in aliases if not ALIAS_RE.match(a)]
    if bad:
        raise DbopsError('alias %s on network %s is not a host name: use letters, digits, . - and _'
                         % (', '.join(repr(a) for a in bad), name), 'networks')
    if aliases and str(name) in DEFAULT_NETWORKS:
        raise DbopsError('network %s cannot carry aliases: Docker gives aliases on user-defined networks only; '
                         'create one (community.docker.docker_network) and name it' % name, 'networks')
    return {'name': str(name), 'aliases': aliases}


def _label_value(key, value):
    """A label's value as Docker stores it (a string); a list or a dictionary is a mistake, not a label."""
    if isinstance(value, (dict, list, tuple)):
        raise DbopsError('label %s has a %s as its value: a label holds one string'
                         % (key, type(value).__name__), 'labels')
    return str(value)


def _volume(value, container_name, kind):
    if not value:
        return {'type': 'volume', 'source': '%s-%s' % (container_name, kind)}
    value = str(value)
    if value.startswith('/'):
        return {'type': 'bind', 'source': value.rstrip('/') or '/'}
    if not NAME_RE.match(value):
        raise DbopsError('%r is neither a volume name nor an absolute host path' % value, '%s_volume' % kind)
    return {'type': 'volume', 'source': value}


def build_spec(request, adapter, image, version):
    """The container's create-time spec (immutable once created) and its hash."""
    mounts = [
        {'type': request.volumes['data']['type'], 'source': request.volumes['data']['source'],
         'target': adapter.data_mount(version), 'read_only': False},
        {'type': request.volumes['config']['type'], 'source': request.volumes['config']['source'],
         'target': adapter.config_dir, 'read_only': True},
        {'type': 'volume', 'source': request.volumes['secrets']['source'],
         'target': SECRETS_DIR, 'read_only': True},
    ]
    if adapter.log_dir:
        mounts.append({'type': request.volumes['logs']['type'], 'source': request.volumes['logs']['source'],
                       'target': adapter.log_dir, 'read_only': False})
    shm = request.shm_size or adapter.default_shm_size_for(request.memory)
    ports = {}
    for host_ip, host_port, container_port in request.published_ports:
        ports.setdefault('%d/tcp' % container_port, []).append([host_ip, host_port])
    spec = {
        'spec_version': SPEC_VERSION,
        'image': image,
        'command': adapter.server_args(),
        'environment': adapter.environment(request.database, request.user, bool(request.password), version),
        'mounts': mounts,
        'tmpfs': {'/tmp': 'rw,noexec,nosuid,nodev,size=%d' % request.tmpfs_size},
        'ulimits': request.ulimits,
        'security_opt': list(request.params.get('security_opts') or []),
        'shm_size': shm,
        'ports': ports,
        'networks': request.networks,
        'hostname': request.name,
        'stop_timeout': request.stop_timeout,
        'healthcheck': {
            'test': ['CMD-SHELL', adapter.healthcheck()],
            'interval': 10 * 10 ** 9, 'timeout': 5 * 10 ** 9, 'retries': 3,
            # Initialising a large data set (init scripts, upgrades) takes time.
            'start_period': 300 * 10 ** 9,
        },
        'user_labels': request.labels,
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode('utf-8')).hexdigest()[:16]
    return spec, digest


def build_resources(request):
    """What `docker update` can change in place."""
    return {
        'memory': request.memory,
        'memory_swap': request.memory_swap,
        'cpu_period': CPU_PERIOD,
        'cpu_quota': int(round(request.cpus * CPU_PERIOD)),
        'restart_policy': request.params.get('restart_policy') or 'unless-stopped',
    }


def resources_of(inspect):
    host = inspect.get('HostConfig') or {}
    return {
        'memory': host.get('Memory'),
        'memory_swap': host.get('MemorySwap'),
        'cpu_period': host.get('CpuPeriod'),
        'cpu_quota': host.get('CpuQuota'),
        'restart_policy': (host.get('RestartPolicy') or {}).get('Name'),
    }


def labels_for(spec, digest, adapter, version):
    labels = dict(spec['user_labels'])
    labels.update({
        'dbops.managed': 'true',
        'dbops.engine': adapter.name,
        'dbops.version': '.'.join(str(p) for p in version) if version else '',
        'dbops.spec-hash': digest,
        'dbops.spec': json.dumps(dict((k, v) for k, v in spec.items() if k != 'healthcheck'), sort_keys=True),
    })
    return labels


def spec_of(inspect):
    """The spec a managed container was created with (from its label), or {}."""
    labels = (inspect.get('Config') or {}).get('Labels') or {}
    try:
        return json.loads(labels.get('dbops.spec') or '{}')
    except ValueError:
        return {}
