# -*- coding: utf-8 -*-
"""Fixtures for integration tests: real database servers in real containers.

Every container a test starts carries the label ``test.dbops=true`` and is
removed, with its volumes, when the test ends, whether it passed or not.

``make integration`` runs the files in two pytest-xdist workers (``--dist loadfile``: a file's
module fixtures are built once, on one worker), then the files marked ``alone`` one at a time with
nothing beside them. Every name a test creates is its own (a uuid prefix) and every published port
is free-picked, so files can run side by side. A file is ``alone`` when what it asserts depends on
the machine being otherwise quiet (a detection-time bound, a benchmark) or on the whole Docker host
(the count of dangling volumes).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
MODULES = os.path.join(ROOT, 'plugins', 'modules')
TEST_LABEL = {'test.dbops': 'true'}
# The project's local images, by engine and version (scripts/build-images.sh builds them all).
IMAGES = {
    'mysql': {'9.7': 'localhost/dbops/mysql:9.7'},
    'mariadb': {'10.11': 'localhost/dbops/mariadb:10.11', '11.8': 'localhost/dbops/mariadb:11.8'},
    'postgres': {'15': 'localhost/dbops/postgres:15', '17': 'localhost/dbops/postgres:17',
                 '18': 'localhost/dbops/postgres:18'},
}
# The suite runs on the newest version of each engine (the collection's own local default).
# DBOPS_TEST_VERSIONS=mariadb=10.11,postgres=15 runs the tests that start single servers
# through base_args on other versions; the core capabilities' tests are parametrised over
# every version in IMAGES whatever it says (see engine_versions).
NEWEST = {'mysql': '9.7', 'mariadb': '11.8', 'postgres': '18'}


def pytest_configure(config):
    config.addinivalue_line('markers', 'alone: run with no other test beside it (make integration runs these '
                                       'after the parallel part)')


def selected_versions(text):
    """DBOPS_TEST_VERSIONS ('engine=version,...') over NEWEST; a clear error for a version not built."""
    chosen = dict(NEWEST)
    for item in filter(None, (part.strip() for part in (text or '').split(','))):
        engine, _sep, version = item.partition('=')
        if version not in IMAGES.get(engine, {}):
            raise pytest.UsageError('DBOPS_TEST_VERSIONS: %r is not one of %s'
                                    % (item, ', '.join('%s=%s' % (e, v) for e in IMAGES for v in IMAGES[e])))
        chosen[engine] = version
    return chosen


SELECTED = selected_versions(os.environ.get('DBOPS_TEST_VERSIONS'))
LOCAL_IMAGES = dict((engine, IMAGES[engine][version]) for engine, version in SELECTED.items())


def engine_versions(*engines):
    """pytest parameters (engine, image), one per local version of each engine, named engine-version."""
    return [pytest.param(engine, IMAGES[engine][version], id='%s-%s' % (engine, version))
            for engine in engines for version in IMAGES[engine]]


if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

docker = pytest.importorskip('docker')


class ModuleResult(dict):
    @property
    def failed(self):
        return bool(self.get('failed'))


def run_module(module, args, check_mode=False, diff=False, env=None):
    """Run a collection module as Ansible does (JSON arguments in, JSON out)."""
    payload = dict(args)
    payload['_ansible_check_mode'] = check_mode
    payload['_ansible_diff'] = diff
    payload['_ansible_tmpdir'] = None
    payload['_ansible_remote_tmp'] = '/tmp'
    argsfile = '/tmp/dbops-args-%s.json' % uuid.uuid4().hex[:8]
    with open(argsfile, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': payload}, handle)
    environment = dict(os.environ, PYTHONPATH=COLLECTIONS)
    environment.update(env or {})
    try:
        proc = subprocess.run([sys.executable, os.path.join(MODULES, module + '.py'), argsfile],
                              capture_output=True, text=True, env=environment, timeout=600, check=False)
    finally:
        os.unlink(argsfile)
    try:
        result = ModuleResult(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        raise AssertionError('module printed no JSON (rc=%s)\nstdout:%s\nstderr:%s'
                             % (proc.returncode, proc.stdout, proc.stderr))
    result['_stdout'] = proc.stdout
    result['_stderr'] = proc.stderr
    return result


@pytest.fixture(scope='session')
def docker_client():
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no engine
        pytest.fail('no Docker engine answers (%s): run `make images` first, it starts dockerd' % exc)
    return client


@pytest.fixture(scope='session')
def local_images(docker_client):
    for image in LOCAL_IMAGES.values():
        try:
            docker_client.images.get(image)
        except docker.errors.ImageNotFound:
            pytest.fail('image %s is missing: run `make images`' % image)
    return LOCAL_IMAGES


def image_available(client, image):
    """True when the image is on the Docker host (or can be pulled from a registry)."""
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.pull(image)
        return True
    except Exception:  # noqa: BLE001 - no registry, or no such image
        return False


def container_names(client, prefix, **filters):
    """Names of the containers whose name starts with ``prefix``, from ONE listing call: containers.list()
    inspects each container it lists, and another test's container removed meanwhile fails it (NotFound)."""
    filters = dict(filters, name=prefix)
    names = [(summary.get('Names') or ['/'])[0].lstrip('/') for summary in client.api.containers(all=True, filters=filters)]
    return sorted(name for name in names if name.startswith(prefix))


def remove_containers(client, prefix):
    """Remove (with their anonymous volumes) the containers named ``prefix``..., gone ones included."""
    for name in container_names(client, prefix):
        try:
            client.api.remove_container(name, force=True, v=True)
        except docker.errors.NotFound:
            pass


def remove_everything(client, name):
    for container in client.containers.list(all=True, filters={'name': '^/%s$' % name}):
        container.remove(force=True, v=True)
    for volume in client.volumes.list():
        if volume.name.startswith(name + '-'):
            try:
                volume.remove(force=True)
            except docker.errors.APIError:
                pass


@pytest.fixture
def container_name(docker_client, request):
    """Unique container names; everything named after them is removed at the end."""
    names = []

    def make(suffix='db'):
        name = 'dbt-%s-%s' % (uuid.uuid4().hex[:6], suffix)
        names.append(name)
        return name

    yield make
    for name in names:
        remove_everything(docker_client, name)


def base_args(name, engine, **overrides):
    args = {
        'name': name, 'engine': engine, 'image_source': 'local', 'memory': '1g', 'cpus': 1,
        'root_password': 'R00t-pass;word"x', 'database': 'app', 'user': 'app', 'password': 'app-Pa55',
        'labels': dict(TEST_LABEL), 'wait_timeout': 120,
    }
    if SELECTED.get(engine, NEWEST.get(engine)) != NEWEST.get(engine):
        args['image'] = LOCAL_IMAGES[engine]   # DBOPS_TEST_VERSIONS chose another version
    args.update(overrides)
    return args


def findings_by_id(report):
    """db_tune_report's findings keyed by check id."""
    return dict((f['id'], f) for f in report['findings'])


def container_ip(result):
    addresses = result['container']['ip_addresses']
    return next(iter(addresses.values()))


def ip_on(client, name, network):
    """The container's address on one Docker network."""
    return client.api.inspect_container(name)['NetworkSettings']['Networks'][network]['IPAddress']


def wait_for(check, timeout=60, delay=0.5):
    """check()'s first truthy value, polled every delay seconds; AssertionError after timeout seconds."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.time() < deadline, 'gave up waiting after %ss (last value %r)' % (timeout, value)
        time.sleep(delay)


def retry(function, attempts=30, delay=0.5):
    for attempt in range(attempts):
        try:
            return function()
        except Exception:  # noqa: BLE001 - the server may still be starting
            if attempt == attempts - 1:
                raise
            time.sleep(delay)


def mysql_query(host, sql, user='root', password='R00t-pass;word"x', database=None, port=3306):
    import pymysql

    def go():
        conn = pymysql.connect(host=host, port=port, user=user, password=password, database=database,
                               connect_timeout=5, autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()
    return retry(go)


def pg_query(host, sql, user='postgres', password='R00t-pass;word"x', database='postgres', port=5432):
    import psycopg2

    def go():
        conn = psycopg2.connect(host=host, port=port, user=user, password=password, dbname=database, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()
    return retry(go)


def nodes_play(group, role_variable, roles):
    """A play that adds one local inventory host per node (t_nodes) to group, with its role."""
    return r'''
- name: The nodes
  hosts: localhost
  gather_facts: false
  tasks:
    - name: One inventory host per node
      ansible.builtin.add_host:
        name: "{{ item.0 }}"
        groups: [%s]
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
        %s: "{{ item.1 }}"
      loop: "{{ t_nodes | zip(%s) | list }}"
''' % (group, role_variable, [str(role) for role in roles])


def run_playbook(playbook, variables_file, variables):
    """ansible-playbook on localhost with the checkout's collection: (exit code, output)."""
    variables_file.write_text(json.dumps(variables))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               DBOPS_IMAGE_SOURCE='local')
    proc = subprocess.run(['ansible-playbook', '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', '@%s' % variables_file,
                           str(playbook)], capture_output=True, text=True, env=env, timeout=900, check=False,
                          cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def free_local_ports(count):
    """Ports nothing listens on at 127.0.0.1 (for endpoints published there)."""
    sockets = [socket.socket() for _number in range(count)]
    for sock in sockets:
        sock.bind(('127.0.0.1', 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture
def network(docker_client, container_name):
    """A user-defined Docker network of the test's own; its containers go with it."""
    net = docker_client.networks.create(container_name('net'), labels=TEST_LABEL)
    yield net.name
    # This teardown runs before container_name's, which removes the containers' volumes too.
    net.reload()
    for container in net.containers:
        container.remove(force=True, v=True)
    net.remove()


def require_image(docker_client, image):
    """Fail (not skip) when one of the project's own images is missing: `make images` builds it."""
    try:
        docker_client.images.get(image)
    except Exception:  # noqa: BLE001 - not built
        pytest.fail('%s is not built: run `make images`' % image)
    return image
