# -*- coding: utf-8 -*-
"""The collection's execution-environment metadata, as ansible-builder reads it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
BUILDER = os.path.join(os.path.dirname(sys.executable), 'ansible-builder')
TEST_TOOLS = ('pytest', 'molecule', 'ansible-lint', 'antsibull', 'ansible-builder')


@pytest.fixture(scope='module')
def introspected():
    if not os.path.exists(BUILDER):
        subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', 'ansible-builder'])
    output = subprocess.check_output([BUILDER, 'introspect', '--sanitize', COLLECTIONS], text=True)
    return yaml.safe_load(output.split('\n', 1)[1])


def test_python_requirements_are_the_modules_runtime_needs(introspected):
    names = sorted(line.split('>=')[0].split()[0].lower() for line in introspected['python'])
    assert names == ['docker', 'psycopg2-binary', 'pymongo', 'pymysql']
    assert not [line for line in introspected['python'] if any(tool in line for tool in TEST_TOOLS)]


def test_system_requirements_for_both_package_families(introspected):
    system = ' '.join(introspected['system'])
    assert 'libpq5 [platform:dpkg]' in system and 'libpq [platform:rpm]' in system


def test_builder_creates_a_build_context(tmp_path):
    definition = tmp_path / 'execution-environment.yml'
    definition.write_text(yaml.safe_dump({
        'version': 3,
        'images': {'base_image': {'name': 'quay.io/ansible/awx-ee:latest'}},
        'dependencies': {'galaxy': {'collections': [{'name': ROOT, 'type': 'dir'}]},
                         'python': os.path.join(ROOT, 'requirements.txt'),
                         'system': os.path.join(ROOT, 'bindep.txt')},
    }))
    context = tmp_path / 'context'
    subprocess.check_call([BUILDER, 'create', '-f', str(definition), '-c', str(context),
                           '--output-filename', 'Containerfile'],
                          stdout=subprocess.DEVNULL)
    containerfile = (context / 'Containerfile').read_text()
    assert 'FROM' in containerfile and 'assemble' in containerfile
    python_reqs = (context / '_build' / 'requirements.txt').read_text()
    assert 'pymysql' in python_reqs.lower() and 'pytest' not in python_reqs
