# -*- coding: utf-8 -*-
"""The guides' playbooks run as written (docs/examples), so the docs cannot rot."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys
import uuid

from conftest import COLLECTIONS, ROOT, container_names


def playbook(name, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               DBOPS_IMAGE_SOURCE='local')
    command = ['ansible-playbook', '-i', 'localhost,', '-c', 'local',
               '-e', 'ansible_python_interpreter=%s' % sys.executable,
               os.path.join(ROOT, 'docs', 'examples', name)] + list(extra)
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def test_provision_then_audit_guides(local_images, tmp_path):
    prefix = 'dbt-%s-example' % uuid.uuid4().hex[:6]
    secrets = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_root_password=Ex-root-1',
               '-e', 'example_app_password=Ex-app-1']
    try:
        code, output = playbook('provision.yml', *secrets)
        assert code == 0, output[-3000:]
        assert "'innodb_buffer_pool_size': '512M'" in output or '"innodb_buffer_pool_size": "512M"' in output
        code, output = playbook('provision.yml', *secrets)
        assert code == 0 and 'changed=0' in output, output[-2000:]
        code, output = playbook('audit.yml', '-e', 'example_prefix=%s' % prefix,
                                '-e', 'example_report_dir=%s' % tmp_path)
        assert code == 0, output[-3000:]
        assert (tmp_path / 'orders.html').read_text().startswith('<!DOCTYPE html>')
        assert (tmp_path / 'reports.html').exists()
    finally:
        code, output = playbook('provision.yml', *(secrets + ['-e', 'example_state=absent']))
        assert code == 0, output[-2000:]


def test_monitor_guide(local_images, docker_client):
    prefix = 'dbt-%s-example' % uuid.uuid4().hex[:6]
    secrets = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_root_password=Ex-root-1',
               '-e', 'example_app_password=Ex-app-1']
    monitor = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_exporter_password=Ex-exp-1',
               '-e', 'example_prometheus_port=127.0.0.1::9090']
    try:
        code, output = playbook('provision.yml', *secrets)
        assert code == 0, output[-3000:]
        code, output = playbook('monitor.yml', *monitor)
        assert code == 0, output[-3000:]
        assert 'Prometheus is published on 127.0.0.1::9090' in output, output[-2000:]
        prometheus = docker_client.containers.get(prefix + '-monitoring-prometheus')
        assert prometheus.status == 'running'
        assert sorted(c.name for c in docker_client.containers.list(filters={'label': 'dbops.monitors'})
                      if c.name.startswith(prefix)) == [prefix + '-orders-exporter', prefix + '-reports-exporter']
    finally:
        code, output = playbook('monitor.yml', *(monitor + ['-e', 'example_state=absent']))
        assert code == 0, output[-2000:]
        code, output = playbook('provision.yml', *(secrets + ['-e', 'example_state=absent']))
        assert code == 0, output[-2000:]


def test_cluster_guide(local_images, docker_client):
    prefix = 'dbt-%s-ex' % uuid.uuid4().hex[:6]
    args = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_root_password=Ex-root-1',
            '-e', 'example_app_password=Ex-app-1', '-e', 'example_replication_password=Ex-repl-1',
            '-e', 'example_writer_port=36446', '-e', 'example_reader_port=36447', '-e', 'example_pgbouncer_port=36432']
    try:
        code, output = playbook('cluster.yml', *args)
        assert code == 0, output[-4000:]
        assert '== %s-orders ==' % prefix in output and '== %s-billing ==' % prefix in output, output[-3000:]
        table = output[output.index('== %s-orders ==' % prefix):]
        assert table.count(' replica    ok ') == 2 and ' standby    ok ' in table, table[:2000]
        assert 'semi-sync ON (2 clients)' in table and 'sync' in table
        code, output = playbook('cluster.yml', *args)
        assert code == 0 and 'changed=0' in output and 'changed=1' not in output, output[-3000:]
        # The failover guide's playbook: a switchover and back, through the endpoint.
        code, output = playbook('failover.yml', '-e', 'example_prefix=%s' % prefix,
                                '-e', 'example_replication_password=Ex-repl-1')
        assert code == 0, output[-4000:]
        assert 'writes paused' in output and 'failed=0' in output
    finally:
        code, output = playbook('cluster.yml', *(args + ['-e', 'example_state=absent']))
        assert code == 0, output[-2000:]
        assert not container_names(docker_client, prefix)
