# -*- coding: utf-8 -*-
"""Passwords never appear in task output (even at -vvv), logs or docker inspect."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import COLLECTIONS, ROOT

ROOT_PW = 'Zq9-root-SECRET-7731'
APP_PW = 'Zq9-app-SECRET-4410'


@pytest.mark.parametrize('engine', ['mysql', 'mariadb', 'postgres'])
def test_passwords_absent_from_vvv_output_logs_and_inspect(engine, tmp_path, docker_client, local_images,
                                                           container_name):
    name = container_name(engine)
    playbook = tmp_path / 'play.yml'
    playbook.write_text(textwrap.dedent('''\
        - hosts: localhost
          gather_facts: false
          tasks:
            - dbops.containers.db_container:
                name: %s
                engine: %s
                image_source: local
                root_password: %s
                database: app
                user: app
                password: %s
                labels: {test.dbops: "true"}
              register: created
            - ansible.builtin.debug:
                var: created
        ''' % (name, engine, ROOT_PW, APP_PW)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    proc = subprocess.run(['ansible-playbook', '-vvv', '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
                          capture_output=True, text=True, env=env, timeout=300, check=False,
                          cwd=ROOT)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert 'root_password' in output  # the arguments are echoed at -vvv ...
    assert ROOT_PW not in output and APP_PW not in output  # ... without the secrets
    inspect = json.dumps(docker_client.api.inspect_container(name))
    logs = docker_client.api.logs(name).decode('utf-8', 'replace')
    for secret in (ROOT_PW, APP_PW):
        assert secret not in inspect
        assert secret not in logs
    if engine == 'postgres':
        # pg_stat_statements keeps utility statements as written: the role's CREATE must not be there,
        # where every member of pg_read_all_stats (the monitoring exporter) could read the password.
        code, output = docker_client.containers.get(name).exec_run(
            ['psql', '-X', '-d', 'app', '-tAc', "SELECT count(*) FROM pg_stat_statements WHERE query ILIKE '%password%'"],
            user='postgres')
        assert code == 0 and output.decode().strip() == '0', output
        code, output = docker_client.containers.get(name).exec_run(
            ['sh', '-c', 'cat /var/log/postgresql/* 2>/dev/null || true'])
        assert APP_PW.encode() not in output
