# -*- coding: utf-8 -*-
"""The guides' playbooks run as written (docs/examples), so the docs cannot rot."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys
import uuid

from conftest import COLLECTIONS, ROOT


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
