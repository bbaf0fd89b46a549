# -*- coding: utf-8 -*-
"""Every role's argument specs are complete and carry the checks its variables need.

The check_role_variables action refuses a variable the spec does not name, so a default
missing from the spec would make the role refuse its own defaults; it checks what the
``Checked:`` lines say, so a port without one would go unchecked."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.dbops.containers.plugins.action import check_role_variables as crv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
ROLES = sorted(name for name in os.listdir(os.path.join(ROOT, 'roles'))
               if os.path.isfile(os.path.join(ROOT, 'roles', name, 'meta', 'argument_specs.yml')))


def load(role, *parts):
    with open(os.path.join(ROOT, 'roles', role, *parts)) as handle:
        return yaml.safe_load(handle) or {}


def options_of(role):
    return load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def walk(options, prefix=''):
    for name, option in options.items():
        yield prefix + name, option
        yield from walk(option.get('options') or {}, prefix + name + '.')


def test_every_role_is_here():
    assert set(ROLES) >= set(['container', 'failover_watcher', 'mongodb', 'mongodb_replicaset', 'monitoring', 'mysql',
                              'mysql_cluster', 'postgresql', 'postgresql_cluster'])


@pytest.mark.parametrize('role', ROLES)
def test_every_default_is_an_option(role):
    missing = sorted(set(load(role, 'defaults', 'main.yml')) - set(options_of(role)))
    assert not missing, 'roles/%s/defaults/main.yml sets %s, which meta/argument_specs.yml lacks' % (role, missing)


@pytest.mark.parametrize('role', ROLES)
def test_every_option_has_a_type_and_a_description_and_its_checks_parse(role):
    for name, option in walk(options_of(role)):
        assert option.get('type'), '%s: %s has no type' % (role, name)
        assert crv.description_text(option).strip(), '%s: %s has no description' % (role, name)
        crv.parse_checked(option, name)   # raises SpecError for a phrase the check does not know


@pytest.mark.parametrize('role', ROLES)
def test_every_option_is_under_the_roles_prefix(role):
    bad = [name for name in options_of(role) if not name.startswith(role + '_')]
    assert not bad, '%s: options outside the prefix %s_ are never checked for typos: %s' % (role, role, bad)


@pytest.mark.parametrize('role', ROLES)
def test_the_literal_defaults_pass_their_own_checks(role):
    options = options_of(role)
    context = crv.rule_context(os.path.join(ROOT, 'roles', role), None,
                               load(role, 'defaults', 'main.yml').get('monitoring_rule_files') or [])
    for name, value in load(role, 'defaults', 'main.yml').items():
        if '{{' in repr(value):
            continue   # templated: checked at run time, after templating
        assert crv.check_option(name, options[name], value, context) == [], (role, name, value)
        if 'default' in options[name] and '{{' not in repr(options[name]['default']):
            assert options[name]['default'] == value, '%s: %s default differs from defaults/main.yml' % (role, name)


def kinds(option):
    return set(kind[0] for kind in crv.parse_checked(option))


# What a variable's name promises, and the constraint it must then carry.
NAMING = [
    (lambda name, option: name.endswith('_port'), set(['int']), 'a port (1 to 65535)'),
    (lambda name, option: name.endswith('_published_ports'), set(['published_ports']), 'published ports'),
    (lambda name, option: name.endswith(('_memory', '_size')) and option.get('type') == 'str', set(['size']), 'a size'),
    (lambda name, option: name.endswith(('_interval', '_retention')) and option.get('type') == 'str',
     set(['duration']), 'a Prometheus duration'),
    (lambda name, option: option.get('type') in ('int', 'float'), set(['int', 'number', 'range']), 'a range'),
    (lambda name, option: name.endswith(('_container_name', '_endpoint_name')), set(['docker_name']), 'a Docker name'),
]


@pytest.mark.parametrize('role', ROLES)
def test_ports_sizes_durations_and_numbers_carry_a_range(role):
    missing = []
    for name, option in walk(options_of(role)):
        for applies, wanted, words in NAMING:
            if applies(name.split('.')[-1], option) and not kinds(option) & wanted:
                missing.append('%s (%s)' % (name, words))
    assert not missing, '%s: add a "Checked:" line to %s' % (role, ', '.join(missing))


@pytest.mark.parametrize('role', ROLES)
def test_the_check_is_the_roles_first_task(role):
    tasks = load(role, 'tasks', 'main.yml')
    assert 'dbops.containers.check_role_variables' in tasks[0], (role, tasks[0])


def test_a_longer_prefix_belongs_to_its_own_role():
    assert crv.load_role(os.path.join(ROOT, 'roles', 'mysql'))[3] == ['mysql_cluster_']
    assert crv.load_role(os.path.join(ROOT, 'roles', 'postgresql'))[3] == ['postgresql_cluster_']
    assert crv.load_role(os.path.join(ROOT, 'roles', 'mongodb'))[3] == ['mongodb_replicaset_']
