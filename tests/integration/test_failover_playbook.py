# -*- coding: utf-8 -*-
"""playbooks/failover.yml, the AWX job template's playbook, run as AWX runs it: on the controller, reaching the
cluster's Docker engine through failover_docker_host, on a MariaDB primary and replica behind HAProxy with a
running watcher. The cluster and the watcher come from playbooks/cluster.yml and playbooks/watcher.yml, as
bench/bench_failover.py builds them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import random
import subprocess
import sys
import time
import uuid

import pymysql
import yaml

from conftest import COLLECTIONS, ROOT, container_names

ROOT_PASSWORD = 'Fo-root-%s' % uuid.uuid4().hex[:10]
APP_PASSWORD = 'Fo-app-%s' % uuid.uuid4().hex[:10]
REPLICATION_PASSWORD = 'Fo-repl-%s' % uuid.uuid4().hex[:10]
DOCKER_HOST = os.environ.get('DOCKER_HOST') or 'unix:///var/run/docker.sock'


def inventory(path, prefix, writer_port):
    path.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'dbops_image_source': 'local'},
        'children': {'mysql_cluster': {
            'vars': {'mysql_cluster_name': prefix, 'mysql_flavor': 'mariadb', 'mysql_memory': '1g', 'mysql_cpus': 1,
                     'mysql_published_ports': [], 'mysql_cluster_writer_port': writer_port,
                     'mysql_cluster_reader_port': writer_port + 1, 'mysql_root_password': ROOT_PASSWORD,
                     'mysql_password': APP_PASSWORD, 'mysql_cluster_replication_password': REPLICATION_PASSWORD},
            'hosts': {prefix + '-db1': {'mysql_cluster_role': 'primary'},
                      prefix + '-db2': {'mysql_cluster_role': 'replica'}}}}}}))
    return str(path)


def playbook(inventory_path, name, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               DBOPS_IMAGE_SOURCE='local')
    proc = subprocess.run(['ansible-playbook', '-i', inventory_path, os.path.join(ROOT, 'playbooks', name)]
                          + list(extra), capture_output=True, text=True, env=env, timeout=900, check=False,
                          cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def assert_no_password(output):
    for secret in (ROOT_PASSWORD, APP_PASSWORD, REPLICATION_PASSWORD):
        assert secret not in output


def haproxy_primary(docker_client, prefix):
    """The server of HAProxy's writer backend."""
    code, output = docker_client.containers.get(prefix + '-haproxy').exec_run(
        ['cat', '/usr/local/etc/haproxy/haproxy.cfg'])
    assert code == 0, output
    section = None
    for line in output.decode().splitlines():
        if line.strip() and not line.startswith((' ', '\t')):
            section = line.strip()
        elif section == 'backend primary' and line.split() and line.split()[0] == 'server':
            return line.split()[1]
    return None


def writer_hostname(port):
    """@@hostname of the server behind the writer port, once it answers."""
    deadline = time.time() + 30
    while True:
        try:
            conn = pymysql.connect(host='127.0.0.1', port=port, user='root', password=ROOT_PASSWORD,
                                   connect_timeout=3)
            try:
                with conn.cursor() as cursor:
                    cursor.execute('SELECT @@hostname, @@read_only')
                    return cursor.fetchone()
            finally:
                conn.close()
        except pymysql.MySQLError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def watcher_actions(docker_client, watcher, since, until):
    events = docker_client.events(since=since, until=until, decode=True,
                                  filters={'type': 'container', 'container': watcher})
    return [event.get('Action') or event.get('status') for event in events]


def test_failover_playbook_reaches_docker_through_the_variable_and_switches_over(
        docker_client, local_images, tmp_path):
    prefix = 'dbt-%s-fo' % uuid.uuid4().hex[:6]
    writer_port = random.randint(37000, 37900) // 2 * 2
    inv = inventory(tmp_path / 'inventory.yml', prefix, writer_port)
    db1, db2, watcher = prefix + '-db1', prefix + '-db2', prefix + '-watcher'

    # The variable reaches the modules: an engine that does not exist is named in the failure.
    nope = 'unix:///tmp/%s-nope.sock' % prefix
    code, output = playbook(inv, 'failover.yml', '-e', 'failover_docker_host=%s' % nope)
    assert code != 0 and nope in output, output[-3000:]
    try:
        code, output = playbook(inv, 'cluster.yml')
        assert code == 0, output[-4000:]
        assert_no_password(output)
        code, output = playbook(inv, 'watcher.yml')
        assert code == 0, output[-4000:]
        assert docker_client.containers.get(watcher).status == 'running'
        assert haproxy_primary(docker_client, prefix) == db1

        # The scheduled failover pass: the primary is alive, nothing changes.
        code, output = playbook(inv, 'failover.yml', '-e', 'failover_docker_host=%s' % DOCKER_HOST)
        assert code == 0, output[-4000:]
        assert 'changed=0' in output and 'failed=0' in output, output[-2000:]
        assert haproxy_primary(docker_client, prefix) == db1
        assert_no_password(output)

        # The switchover job template: the watcher is stopped for it and runs again after.
        since = int(time.time()) - 1
        code, output = playbook(inv, 'failover.yml', '-e', 'failover_docker_host=%s' % DOCKER_HOST,
                                '-e', 'failover_mode=switchover', '-e', 'failover_candidate=%s' % db2)
        until = int(time.time()) + 1
        assert code == 0, output[-4000:]
        assert '%s -> %s' % (db1, db2) in output, output[-3000:]
        assert_no_password(output)
        actions = watcher_actions(docker_client, watcher, since, until)
        assert 'stop' in actions and 'start' in actions, actions
        assert actions.index('stop') < len(actions) - 1 - actions[::-1].index('start'), actions
        assert docker_client.containers.get(watcher).status == 'running'
        assert haproxy_primary(docker_client, prefix) == db2
        hostname, read_only = writer_hostname(writer_port)
        assert hostname == docker_client.api.inspect_container(db2)['Config']['Hostname'] and not read_only
        logs = docker_client.containers.get(watcher).logs().decode('utf-8', 'replace')
        assert_no_password(logs)
    finally:
        code, output = playbook(inv, 'watcher.yml', '-e', 'watcher_state=absent')
        code2, output2 = playbook(inv, 'cluster.yml', '-e', 'cluster_state=absent', '-e', 'cluster_purge_data=true')
        assert code == 0 and code2 == 0, (output + output2)[-3000:]
        assert not container_names(docker_client, prefix)
