# -*- coding: utf-8 -*-
"""The YAML in the guides and docs/awx.md: every block parses; a block that says it is a file matches it;
inventories load with ansible-inventory and use only variables the roles know; tasks and module_defaults
blocks pass the modules' own argument specs (and the playbook syntax check)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import importlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
sys.path.insert(0, COLLECTIONS)
DOCS = sorted(glob.glob(os.path.join(ROOT, 'docs', 'guide-*.md'))) + [os.path.join(ROOT, 'docs', 'awx.md')]
BLOCK = re.compile(r'```yaml\n(.*?)```', re.S)
CLAIM = re.compile(r'`([\w./-]+\.ya?ml)`:\s*$')
GROUP = 'group/dbops.containers.db'


def blocks():
    found = []
    for path in DOCS:
        with open(path) as handle:
            text = handle.read()
        for match in BLOCK.finditer(text):
            line = text.count('\n', 0, match.start()) + 1
            before = text[:match.start()].rstrip('\n').splitlines()
            claim = CLAIM.search(before[-1]) if before else None
            found.append(pytest.param(match.group(1), claim.group(1) if claim else None,
                                      id='%s:%d' % (os.path.basename(path), line)))
    return found


BLOCKS = blocks()


def parsed(param):
    """The block's data, or None when it does not parse (test_every_yaml_block_parses... reports that)."""
    try:
        return yaml.safe_load(param.values[0])
    except yaml.YAMLError:
        return None


def known_role_variables():
    names = set()
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')):
        with open(path) as handle:
            for spec in (yaml.safe_load(handle).get('argument_specs') or {}).values():
                names.update((spec.get('options') or {}).keys())
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'defaults', 'main.yml')):
        with open(path) as handle:
            names.update(yaml.safe_load(handle) or {})
    return names


def is_inventory(data):
    """A group tree: groups with hosts/vars/children (the whole inventory or some of its groups)."""
    if not isinstance(data, dict):
        return False
    groups = data['all'].get('children', {}) if 'all' in data else data
    return bool(groups) and all(isinstance(g, dict) and set(g) <= {'hosts', 'vars', 'children'} and g
                                for g in groups.values())


def module_spec(name):
    module = importlib.import_module('ansible_collections.dbops.containers.plugins.modules.%s' % name)
    return module.argument_spec()


def validate_args(module, args):
    result = ArgumentSpecValidator(module_spec(module)).validate(args)
    assert not result.error_messages, (module, result.error_messages)


def test_the_docs_have_yaml_blocks():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize('text, claimed', BLOCKS)
def test_every_yaml_block_parses_and_matches_the_file_it_names(text, claimed):
    data = yaml.safe_load(text)
    assert data is not None
    if claimed:
        path = os.path.join(ROOT, claimed)
        assert os.path.isfile(path), '%s is named but does not exist' % claimed
        with open(path) as handle:
            assert yaml.safe_load(handle) == data, '%s differs from the block that shows it' % claimed


@pytest.mark.parametrize('text, claimed', [b for b in BLOCKS if is_inventory(parsed(b))])
def test_inventory_blocks_load_and_use_known_variables(text, claimed, tmp_path):
    data = yaml.safe_load(text)
    inventory = data if 'all' in data else {'all': {'children': data}}
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i', str(path),
                           '--list'], capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED='true'))
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    variables = listed['_meta']['hostvars']
    assert variables, 'no host in %s' % text
    known = known_role_variables() | {'ansible_host', 'ansible_connection', 'dbops_image_source'}
    for host, host_vars in variables.items():
        unknown = sorted(set(host_vars) - known)
        assert not unknown, '%s: no role knows %s' % (host, ', '.join(unknown))
    # A cluster group has exactly one primary (the role refuses anything else).
    for group in ('mysql_cluster', 'postgresql_cluster'):
        hosts = listed.get(group, {}).get('hosts', [])
        roles = [variables[h].get(group + '_role', 'primary' if h == hosts[0] else None) for h in hosts]
        if hosts:
            assert roles.count('primary') == 1, (group, roles)


def task_blocks():
    return [b for b in BLOCKS if isinstance(parsed(b), list) and all(isinstance(t, dict) for t in parsed(b))]


@pytest.mark.parametrize('text, claimed', task_blocks())
def test_task_blocks_pass_the_modules_argument_specs_and_the_syntax_check(text, claimed, tmp_path):
    tasks = yaml.safe_load(text)
    checked = 0
    for task in tasks:
        for key, args in task.items():
            if key.startswith('dbops.containers.'):
                validate_args(key.split('.')[-1], args)
                checked += 1
    assert checked
    play = tmp_path / 'play.yml'
    play.write_text(yaml.safe_dump([{'name': 'docs', 'hosts': 'localhost', 'gather_facts': False,
                                     'tasks': [dict(task, name=task.get('name', 'docs task')) for task in tasks]}]))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '--syntax-check',
                           '-i', 'localhost,', str(play)], capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize('text, claimed', [b for b in BLOCKS if isinstance(parsed(b), dict)
                                           and GROUP in (parsed(b).get('module_defaults') or {})])
def test_group_module_defaults_are_accepted_by_every_module(text, claimed):
    defaults = yaml.safe_load(text)['module_defaults'][GROUP]
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        modules = yaml.safe_load(handle)['action_groups']['db']
    for module in modules:
        spec = module_spec(module)
        unknown = sorted(set(defaults) - set(spec))
        assert not unknown, '%s does not accept %s' % (module, ', '.join(unknown))
