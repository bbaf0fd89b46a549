# -*- coding: utf-8 -*-
"""One ``module_defaults: group/dbops.containers.db`` block reaches every module of the collection.

The block sets a Docker engine that does not exist and login options. Every module is invoked with only its own
required options: each must fail naming that engine (the default reached it), and none may refuse the shared
options ("Unsupported parameters"). No Docker engine is needed, so this runs anywhere in a few seconds.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import uuid

import yaml

from conftest import COLLECTIONS, MODULES, ROOT

# Each module's own required options: nothing else, so everything shared comes from the group block.
OWN_OPTIONS = {
    'db_container': {'name': 'dbt-defaults-db', 'engine': 'mariadb', 'image': 'localhost/dbops/mariadb:11.8',
                     'root_password': 'Dflt-root-1'},
    'db_failover': {'mode': 'check', 'engine': 'mariadb',
                    'nodes': [{'name': 'dbt-defaults-db1'}, {'name': 'dbt-defaults-db2'}]},
    'db_monitoring_user': {'container': 'dbt-defaults-db', 'password': 'Dflt-exp-1'},
    'db_replication': {'role': 'status', 'container': 'dbt-defaults-db'},
    'db_tune_report': {'container': 'dbt-defaults-db'},
    'db_volume_files': {'volume': 'dbt-defaults-vol', 'image': 'localhost/dbops/mariadb:11.8',
                        'files': [{'path': 'a.cnf', 'content': '[client]-dflt'}]},
}


def test_one_group_block_sets_docker_and_login_options_for_every_module(tmp_path):
    # check_role_variables documents the roles' own first task (an action plugin), not a group member.
    modules = sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith('.py') and name.startswith('db_'))
    assert sorted(OWN_OPTIONS) == modules, 'add the new module to OWN_OPTIONS'
    socket = 'unix:///tmp/dbops-nope-%s.sock' % uuid.uuid4().hex[:8]
    password_file = tmp_path / 'login.pass'
    password_file.write_text('Dflt-login-1\n')
    play = [{
        'name': 'group defaults', 'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/dbops.containers.db': {
            'docker_host': socket, 'login_user': 'dbops_admin', 'login_password_file': str(password_file),
            'connect_timeout': 3}},
        'tasks': [dict([('name', module), ('dbops.containers.%s' % module, args), ('ignore_errors', True)])
                  for module, args in sorted(OWN_OPTIONS.items())],
    }]
    path = tmp_path / 'defaults.yml'
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_STDOUT_CALLBACK='json', DOCKER_HOST='unix:///var/run/docker.sock')
    proc = subprocess.run(['ansible-playbook', '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable, str(path)],
                          capture_output=True, text=True, env=env, timeout=300, check=False, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    tasks = json.loads(proc.stdout)['plays'][0]['tasks']
    results = dict((task['task']['name'], task['hosts']['localhost']) for task in tasks)
    assert sorted(results) == modules
    for module, result in sorted(results.items()):
        assert result.get('failed'), (module, result)
        assert 'Unsupported parameters' not in result['msg'], (module, result['msg'])
        assert socket in result['msg'], (module, result['msg'])
        assert result.get('parameter') == 'docker_host', (module, result)
        assert 'Dflt-login-1' not in json.dumps(result)
