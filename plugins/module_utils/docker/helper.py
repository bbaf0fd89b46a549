# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thin layer over the Docker SDK's low-level API (stable across SDK 5 to 7).

No shelling out to the docker CLI. Files reach volumes through a "carrier": a
container that is created, never started, has the volume mounted read-write,
receives a tar archive and is removed. That works the same on a local engine,
a remote ``docker_host`` and through a mounted socket (Molecule), because no
file is ever written on the machine that runs the module.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import io
import os
import tarfile
import time

try:
    import docker
    from docker.errors import APIError, DockerException, ImageNotFound, NotFound
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = exc
    APIError = DockerException = ImageNotFound = NotFound = Exception

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

MANAGED_LABEL = 'dbops.managed'
CARRIER_LABEL = 'dbops.carrier'
# Where a carrier container mounts the volume it carries files to or from.
CARRIER_MOUNT = '/carrier'


class FileEntry(object):
    """A file (or directory, when ``content`` is None) to put in a tar archive."""

    def __init__(self, name, content=None, mode=0o644, uid=0, gid=0):
        self.name = name
        self.content = content
        self.mode = mode
        self.uid = uid
        self.gid = gid


def make_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.mode = entry.mode
            info.uid, info.gid = entry.uid, entry.gid
            info.mtime = int(time.time())
            if entry.content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = entry.content if isinstance(entry.content, bytes) else entry.content.encode('utf-8')
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def read_tar_member(chunks):
    buf = io.BytesIO(b''.join(chunks))
    with tarfile.open(fileobj=buf, mode='r') as tar:
        for member in tar.getmembers():
            if member.isfile():
                return tar.extractfile(member).read()
    return None


TLS_OPTIONS = ('docker_ca_path', 'docker_client_cert', 'docker_client_key')


def tls_config(docker_host, ca_path=None, client_cert=None, client_key=None):
    """The TLSConfig for a tcp:// engine from the docker_* TLS options, or None when none is set."""
    given = dict((name, value) for name, value in zip(TLS_OPTIONS, (ca_path, client_cert, client_key)) if value)
    if not given:
        return None
    if not docker_host or not docker_host.startswith(('tcp://', 'https://')):
        raise DbopsError('%s needs docker_host set to a tcp:// engine (got %r)'
                         % (', '.join(sorted(given)), docker_host), sorted(given)[0])
    if not ca_path:
        raise DbopsError('TLS without a CA does not verify the Docker engine: set docker_ca_path', 'docker_ca_path')
    if bool(client_cert) != bool(client_key):
        missing = 'docker_client_key' if client_cert else 'docker_client_cert'
        raise DbopsError('docker_client_cert and docker_client_key go together: set %s' % missing, missing)
    for name, path in sorted(given.items()):
        if not os.path.isfile(path):
            raise DbopsError('%s: no file %s' % (name, path), name)
    return docker.tls.TLSConfig(client_cert=(client_cert, client_key) if client_cert else None,
                                ca_cert=ca_path, verify=ca_path)


class DockerHelper(object):
    @classmethod
    def from_params(cls, params):
        """The engine the module's docker options (doc fragment docker) name."""
        return cls(params.get('docker_host'), tls=[params.get(name) for name in TLS_OPTIONS])

    def __init__(self, docker_host=None, timeout=120, tls=None):
        if not HAS_DOCKER:
            raise DbopsError("the Python library 'docker' is required on the host that runs the module "
                             "(pip install docker): %s" % DOCKER_IMPORT_ERROR, 'docker_host')
        self.docker_host = docker_host
        tls = tls_config(docker_host, *(tls or ()))
        try:
            if docker_host:
                self.api = docker.APIClient(base_url=docker_host, version='auto', timeout=timeout, tls=tls or False)
            else:
                self.api = docker.from_env(version='auto', timeout=timeout).api
            self.api.ping()
        except (DockerException, APIError, OSError) as exc:
            raise DbopsError("cannot reach the Docker engine at %s (%s): start dockerd or set docker_host "
                             "to a reachable engine" % (docker_host or 'the default socket', exc), 'docker_host')

    # --- engine -----------------------------------------------------------------
    def info(self):
        return self.api.info()

    # --- images -----------------------------------------------------------------
    def image(self, reference):
        try:
            return self.api.inspect_image(reference)
        except (ImageNotFound, NotFound):
            return None

    def pull(self, reference):
        repository, tag = reference, None
        last = reference.rsplit('/', 1)[-1]
        if ':' in last and '@' not in reference:
            repository, tag = reference.rsplit(':', 1)
        try:
            self.api.pull(repository, tag=tag)
        except (APIError, DockerException) as exc:
            raise DbopsError("image %s is not on the Docker host and pulling it failed (%s): pull or load it "
                             "first, or choose another image" % (reference, exc), 'image')
        return self.image(reference)

    # --- containers -------------------------------------------------------------
    def container(self, name):
        try:
            return self.api.inspect_container(name)
        except NotFound:
            return None

    def containers_mounting(self, source):
        """[(name, running)] of every container, running or not, that mounts ``source``
        (a volume name or a host path), the collection's short-lived carriers excepted."""
        found = []
        for summary in self.api.containers(all=True):
            if (summary.get('Labels') or {}).get(CARRIER_LABEL):
                continue
            for mount in summary.get('Mounts') or []:
                if source in (mount.get('Name'), mount.get('Source')):
                    found.append(((summary.get('Names') or ['?'])[0].lstrip('/'), summary.get('State') == 'running'))
                    break
        return found

    def carriers_mounting(self, volume):
        """[(id, running)] of the collection's one-shot carrier containers that mount ``volume``: normally
        none; one left by a process killed mid-job (its own removal never ran) may still be running."""
        return [(summary['Id'], summary.get('State') == 'running')
                for summary in self.api.containers(all=True, filters={'label': CARRIER_LABEL, 'volume': volume})]

    def carrier_volumes(self, prefix):
        """Names of the collection's carrier volumes (CARRIER_LABEL) whose name starts with ``prefix``."""
        listed = self.api.volumes(filters={'label': CARRIER_LABEL}) or {}
        return sorted(v['Name'] for v in listed.get('Volumes') or [] if v['Name'].startswith(prefix))

    def rename(self, container_id, name):
        self.api.rename(container_id, name)

    def containers_with_ports(self):
        """[(container name, host ip, host port)] for every container's published ports."""
        published = []
        for summary in self.api.containers(all=True):
            name = (summary.get('Names') or ['?'])[0].lstrip('/')
            for port in summary.get('Ports') or []:
                if port.get('PublicPort'):
                    published.append((name, port.get('IP') or '0.0.0.0', int(port['PublicPort'])))
        return published

    def create_container(self, name, spec, resources):
        mounts = [docker.types.Mount(m['target'], m['source'], type=m['type'], read_only=m['read_only'])
                  for m in spec['mounts']]
        ulimits = [docker.types.Ulimit(name=u['name'], soft=u['soft'], hard=u['hard']) for u in spec['ulimits']]
        port_bindings = dict((container_port, [tuple(binding) for binding in bindings])
                             for container_port, bindings in spec['ports'].items())
        host_config = self.api.create_host_config(
            mounts=mounts, tmpfs=spec['tmpfs'], ulimits=ulimits, security_opt=spec['security_opt'],
            shm_size=spec['shm_size'], port_bindings=port_bindings,
            mem_limit=resources['memory'], memswap_limit=resources['memory_swap'],
            cpu_period=resources['cpu_period'], cpu_quota=resources['cpu_quota'],
            restart_policy={'Name': resources['restart_policy']},
            network_mode=spec['networks'][0]['name'] if spec['networks'] else None,
        )
        networking_config = None
        if spec['networks']:
            first = spec['networks'][0]
            networking_config = self.api.create_networking_config(
                {first['name']: self.api.create_endpoint_config(aliases=first['aliases'] or None)})
        healthcheck = spec['healthcheck']
        created = self.api.create_container(
            spec['image'], command=spec['command'], name=name, environment=spec['environment'],
            labels=spec['labels'], host_config=host_config, networking_config=networking_config,
            ports=list(spec['ports'].keys()), healthcheck=healthcheck, stop_timeout=spec['stop_timeout'],
            hostname=spec['hostname'], detach=True)
        for network in spec['networks'][1:]:
            self.api.connect_container_to_network(created['Id'], network['name'], aliases=network['aliases'] or None)
        return created['Id']

    def start(self, container_id):
        self.api.start(container_id)

    def stop(self, container_id, timeout):
        self.api.stop(container_id, timeout=timeout)

    def remove_container(self, container_id):
        self.api.remove_container(container_id, force=True, v=True)

    def restart(self, container_id, timeout):
        """Stop (SIGTERM, then SIGKILL after timeout seconds) and start again."""
        self.api.restart(container_id, timeout=timeout)

    def kill(self, container_id, signal=None):
        """SIGKILL (or ``signal``) to the container's main process."""
        if signal is None:
            self.api.kill(container_id)
        else:
            self.api.kill(container_id, signal=signal)

    def set_restart_policy(self, container_id, policy):
        """'no' fences a container (a stopped server stays stopped); 'unless-stopped' lifts the fence."""
        self.api.update_container(container_id, restart_policy={'Name': policy})

    def container_events(self, names, actions):
        """The engine's events for the named containers and actions (die, kill, pause, ...), as they happen:
        an iterator of dicts that blocks until the next one (the stream has no read timeout). Its close()
        ends it; a daemon restart ends it too."""
        return self.api.events(decode=True, filters={'type': 'container', 'container': list(names),
                                                     'event': list(actions)})

    def container_ids(self):
        """The ids of the running containers."""
        return [summary['Id'] for summary in self.api.containers()]

    def run_once(self, image, entrypoint, command, mounts, network=None, user=None, environment=None,
                 timeout=600, files=None):
        """Run a throw-away container to its end: (exit code, output). Always removed, with its anonymous volumes.

        ``mounts``: dicts with target, source (a volume name) and read_only. ``files``: FileEntry objects
        put in the container before it starts, their names relative to / (missing directories are made).
        """
        host_config = self.api.create_host_config(
            mounts=[docker.types.Mount(m['target'], m['source'], type='volume', read_only=m['read_only'])
                    for m in mounts],
            network_mode=network or 'none')
        created = self.api.create_container(
            image, entrypoint=entrypoint, command=command, user=user, environment=environment or {},
            labels={CARRIER_LABEL: 'true'}, host_config=host_config)
        try:
            if files:
                self.put_files(created['Id'], '/', files)
            self.api.start(created['Id'])
            try:
                result = self.api.wait(created['Id'], timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - requests' ReadTimeout, not a Docker error
                raise DbopsError('%s did not finish within %ss (%s)' % (' '.join(entrypoint + command), timeout, exc),
                                 'timeout')
            code = result.get('StatusCode') if isinstance(result, dict) else result
            output = self.api.logs(created['Id']).decode('utf-8', 'replace')
            return code, output
        finally:
            self.api.remove_container(created['Id'], force=True, v=True)

    @contextlib.contextmanager
    def carrier(self, image, source, mount_type='volume', read_only=False, user=None):
        """A container that never starts, with ``source`` mounted at CARRIER_MOUNT: its id, removed afterwards.

        Files reach (and leave) volumes and host paths through it, on any engine.
        """
        host_config = self.api.create_host_config(
            mounts=[docker.types.Mount(CARRIER_MOUNT, source, type=mount_type, read_only=read_only)])
        carrier = self.api.create_container(image, entrypoint=['true'], command=[], labels={CARRIER_LABEL: 'true'},
                                            host_config=host_config, network_disabled=True, user=user)
        try:
            yield carrier['Id']
        finally:
            self.api.remove_container(carrier['Id'], force=True, v=True)

    def read_volume_file(self, image, volume, name):
        """A file's content from a volume (through a container that never starts), or None."""
        with self.carrier(image, volume, read_only=True) as carrier_id:
            return self.read_file(carrier_id, '%s/%s' % (CARRIER_MOUNT, name))

    def update_resources(self, container_id, resources):
        self.api.update_container(
            container_id, mem_limit=resources['memory'], memswap_limit=resources['memory_swap'],
            cpu_period=resources['cpu_period'], cpu_quota=resources['cpu_quota'],
            restart_policy={'Name': resources['restart_policy']})

    def logs_tail(self, container_id, lines=30):
        try:
            return self.api.logs(container_id, tail=lines).decode('utf-8', 'replace')
        except (APIError, NotFound):
            return ''

    def exec_shell(self, container_id, command, timeout=None):
        """Run ``sh -c command`` in the container: (exit code, output)."""
        created = self.api.exec_create(container_id, ['sh', '-c', command])
        output = self.api.exec_start(created['Id'])
        code = self.api.exec_inspect(created['Id']).get('ExitCode')
        return code, output.decode('utf-8', 'replace') if isinstance(output, bytes) else output

    def put_files(self, container_id, directory, entries):
        self.api.put_archive(container_id, directory, make_tar(entries))

    def archive(self, container_id, path):
        """The tar stream of ``path`` in a (running or stopped) container as a list of chunks, or None."""
        try:
            stream, _stat = self.api.get_archive(container_id, path)
            return list(stream)
        except (NotFound, APIError):
            return None

    def read_file(self, container_id, path):
        """A file's content from a (running or stopped) container, or None."""
        chunks = self.archive(container_id, path)
        return read_tar_member(chunks) if chunks is not None else None

    # --- networks ---------------------------------------------------------------
    def network_exists(self, name):
        try:
            self.api.inspect_network(name)
            return True
        except NotFound:
            return False

    # --- volumes ----------------------------------------------------------------
    def volume(self, name):
        try:
            return self.api.inspect_volume(name)
        except NotFound:
            return None

    def create_volume(self, name, labels):
        self.api.create_volume(name=name, labels=labels)

    def remove_volume(self, name):
        try:
            self.api.remove_volume(name)
        except NotFound:
            pass

    def copy_volume(self, image, source, target, labels, timeout=3600):
        """A new volume ``target`` (with ``labels``) holding a copy of volume ``source``, owners, modes and
        times kept (``cp -a`` as root in a one-shot container of ``image``, which must have sh and cp).
        An existing ``target`` is never overwritten; a copy that fails leaves no volume behind."""
        if self.volume(target) is not None:
            raise DbopsError('volume %s exists already, and a copy never overwrites one' % target, 'volume')
        self.create_volume(target, labels)
        try:
            code, output = self.run_once(
                image, ['sh', '-c'], ['cp -a /dbops-copy/from/. /dbops-copy/to/'],
                [{'target': '/dbops-copy/from', 'source': source, 'read_only': True},
                 {'target': '/dbops-copy/to', 'source': target, 'read_only': False}],
                user='0', timeout=timeout)
        except Exception:
            self.remove_volume(target)
            raise
        if code != 0:
            self.remove_volume(target)
            raise DbopsError('copying volume %s into %s failed (exit %s): %s'
                             % (source, target, code, output.strip()[-800:]), 'volume')

    def preflight(self, image, resources, security_opt):
        """Start a throw-away container with the requested limits and ask it the
        engine's hard limit on open files.

        Memory, CPU and security options the engine cannot apply fail here,
        before anything of the database is created. Returns the hard nofile
        limit containers get on this engine.
        """
        host_config = self.api.create_host_config(
            mem_limit=resources['memory'], memswap_limit=resources['memory_swap'],
            cpu_period=resources['cpu_period'], cpu_quota=resources['cpu_quota'],
            security_opt=security_opt, network_mode='none')
        probe = self.api.create_container(image, entrypoint=['sh', '-c', 'ulimit -Hn'], command=[],
                                          labels={CARRIER_LABEL: 'true'}, host_config=host_config)
        try:
            try:
                self.api.start(probe['Id'])
            except APIError as exc:
                cpus = resources['cpu_quota'] / 100000.0
                explanation = str(exc.explanation or exc)
                # The engine names what it could not apply: a security option (a seccomp profile or an
                # AppArmor profile that does not exist) is not a memory problem.
                blamed = 'security_opts' if any(word in explanation.lower() for word in (
                    'seccomp', 'apparmor', 'security', 'selinux', 'no-new-privileges')) else 'memory'
                raise DbopsError('the Docker engine cannot start a container with memory=%s, cpus=%s and '
                                 'security_opts=%s: %s' % (resources['memory'], cpus, security_opt,
                                                           explanation), blamed)
            self.api.wait(probe['Id'], timeout=60)
            output = self.api.logs(probe['Id']).decode('utf-8', 'replace').strip()
        finally:
            self.api.remove_container(probe['Id'], force=True, v=True)
        if output == 'unlimited':
            return None
        try:
            return int(output)
        except ValueError:
            return None

    def write_to_mount(self, image, mount, entries):
        """Write entries into a volume (or host path) through a carrier container."""
        with self.carrier(image, mount['source'], mount_type=mount['type']) as carrier_id:
            self.put_files(carrier_id, CARRIER_MOUNT, entries)
