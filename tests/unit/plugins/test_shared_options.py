# -*- coding: utf-8 -*-
"""One module_defaults block for group/dbops.containers.db must work for every module.

Ansible hands every default of the group to every module of the group, and a module that does not accept one
fails with "Unsupported parameters". So: the action group lists every module, every module documents the shared
docker and login fragments, and every module's argument spec accepts each of their options, with the same type.
tests/integration/test_module_defaults.py runs the group block for real.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import os

import pytest
import yaml

from ansible_collections.dbops.containers.plugins.doc_fragments import docker as docker_fragment
from ansible_collections.dbops.containers.plugins.doc_fragments import login as login_fragment
from ansible_collections.dbops.containers.plugins.module_utils.common import options as shared_options
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
# A module file that only documents an action plugin of the same name (check_role_variables runs on the
# controller, talks to no Docker engine nor database) is not a member of the group.
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                 if name.endswith('.py') and not name.startswith('_')
                 and not os.path.exists(os.path.join(ROOT, 'plugins', 'action', name)))
FRAGMENT_OPTIONS = {}
for _fragment in (docker_fragment, login_fragment):
    FRAGMENT_OPTIONS.update(yaml.safe_load(_fragment.ModuleDocFragment.DOCUMENTATION)['options'])


def _module(name):
    return importlib.import_module('ansible_collections.dbops.containers.plugins.modules.%s' % name)


def test_the_action_group_lists_every_module():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        runtime = yaml.safe_load(handle)
    assert len(MODULES) >= 6
    assert sorted(runtime['action_groups']['db']) == MODULES


def test_the_fragments_document_exactly_the_shared_argument_spec():
    shared = shared_options.argument_spec()
    assert sorted(FRAGMENT_OPTIONS) == sorted(shared)
    for name, doc in FRAGMENT_OPTIONS.items():
        assert doc['type'] == shared[name]['type'], name
        assert doc.get('default') == shared[name].get('default'), name


@pytest.mark.parametrize('name', MODULES)
def test_every_module_accepts_every_shared_option(name):
    module = _module(name)
    spec = module.argument_spec()
    missing = sorted(set(FRAGMENT_OPTIONS) - set(spec))
    assert not missing, '%s does not accept %s' % (name, ', '.join(missing))
    for option, doc in FRAGMENT_OPTIONS.items():
        assert spec[option]['type'] == doc['type'], (name, option)
        assert spec[option].get('default') == doc.get('default'), (name, option)
        assert not spec[option].get('required'), (name, option)
    assert spec['login_password'].get('no_log') is True


@pytest.mark.parametrize('name', MODULES)
def test_every_module_documents_both_fragments(name):
    doc = yaml.safe_load(_module(name).DOCUMENTATION)
    fragments = doc.get('extends_documentation_fragment') or []
    assert 'dbops.containers.docker' in fragments and 'dbops.containers.login' in fragments, name
    # A module's own options never redefine a shared one (the fragment is the one definition).
    assert not set(doc.get('options') or {}) & set(FRAGMENT_OPTIONS), name


@pytest.mark.parametrize('name', MODULES)
def test_every_module_declares_check_and_diff_mode(name):
    attributes = yaml.safe_load(_module(name).DOCUMENTATION).get('attributes') or {}
    for attribute in ('check_mode', 'diff_mode'):
        assert attributes.get(attribute, {}).get('support') in ('full', 'partial', 'none'), (name, attribute)
        assert attributes[attribute].get('description'), (name, attribute)


def test_a_module_cannot_redefine_a_shared_option():
    with pytest.raises(ValueError, match='docker_host'):
        shared_options.argument_spec(docker_host=dict(type='str'))
