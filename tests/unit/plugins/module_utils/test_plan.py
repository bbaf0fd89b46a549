# -*- coding: utf-8 -*-
"""plan_actions: the ordered actions that bring a container to the wanted state."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.provision import plan_actions

CREATE = ['create_volumes', 'write_config', 'write_secrets', 'create']
RECREATE = ['remove', 'create_volumes', 'write_config', 'create']

# state, exists, running, same_spec, same_resources, same_config, expected actions
CASES = [
    # No container yet.
    ('started', False, False, True, True, True, CREATE + ['start', 'wait']),
    ('stopped', False, False, True, True, True, CREATE),
    ('restarted', False, False, True, True, True, CREATE + ['start', 'wait']),
    # Nothing differs.
    ('started', True, True, True, True, True, []),
    ('started', True, False, True, True, True, ['start', 'wait']),
    ('stopped', True, True, True, True, True, ['stop']),
    ('stopped', True, False, True, True, True, []),
    ('restarted', True, True, True, True, True, ['stop', 'start', 'wait']),
    ('restarted', True, False, True, True, True, ['start', 'wait']),
    # The spec differs: a new container on the same volumes (secrets are not rewritten).
    ('started', True, True, False, True, True, ['stop'] + RECREATE + ['start', 'wait']),
    ('started', True, False, False, True, True, RECREATE + ['start', 'wait']),
    ('stopped', True, True, False, True, True, ['stop'] + RECREATE),
    ('started', True, True, False, False, False, ['stop'] + RECREATE + ['start', 'wait']),
    # Only the config differs.
    ('started', True, True, True, True, False, ['stop', 'write_config', 'start', 'wait']),
    ('started', True, False, True, True, False, ['write_config', 'start', 'wait']),
    ('stopped', True, True, True, True, False, ['stop', 'write_config']),
    ('stopped', True, False, True, True, False, ['write_config']),
    ('restarted', True, True, True, True, False, ['stop', 'write_config', 'start', 'wait']),
    # Only the resources differ: updated in place.
    ('started', True, True, True, False, True, ['stop', 'update_resources', 'start', 'wait']),
    ('stopped', True, False, True, False, True, ['update_resources']),
    # Both.
    ('started', True, True, True, False, False, ['stop', 'update_resources', 'write_config', 'start', 'wait']),
]


@pytest.mark.parametrize('state, exists, running, same_spec, same_resources, same_config, expected', CASES)
def test_plan(state, exists, running, same_spec, same_resources, same_config, expected):
    assert plan_actions(state, exists, running, same_spec, same_resources, same_config) == expected


def test_create_flow_ends_with_start_and_wait():
    actions = plan_actions('started', False, False, True, True, True)
    assert actions[-2:] == ['start', 'wait']
    assert actions.index('write_secrets') < actions.index('create')
    assert actions.index('write_config') < actions.index('create')


@pytest.mark.parametrize('state', ['started', 'restarted'])
def test_spec_change_while_running(state):
    actions = plan_actions(state, True, True, False, True, True)
    assert actions[:2] == ['stop', 'remove']
    assert 'create' in actions
    assert 'write_secrets' not in actions
    assert actions.index('write_config') < actions.index('create') < actions.index('start')


def test_resources_change_contains_update_resources():
    actions = plan_actions('started', True, True, True, False, True)
    assert 'update_resources' in actions
    assert 'remove' not in actions and 'create' not in actions


@pytest.mark.parametrize('running', [True, False])
@pytest.mark.parametrize('same_resources, same_config', [(True, False), (False, True), (False, False)])
def test_stopped_never_starts(running, same_resources, same_config):
    actions = plan_actions('stopped', True, running, True, same_resources, same_config)
    assert 'start' not in actions and 'wait' not in actions
    assert ('stop' in actions) is running


@pytest.mark.parametrize('exists, running, same_spec, same_resources, same_config', [
    (False, False, True, True, True),
    (True, True, True, True, True),
    (True, False, True, True, True),
    (True, True, False, True, True),
    (True, True, True, False, True),
    (True, True, True, True, False),
])
def test_restarted_always_starts(exists, running, same_spec, same_resources, same_config):
    actions = plan_actions('restarted', exists, running, same_spec, same_resources, same_config)
    assert 'start' in actions
    assert actions[-1] == 'wait'
    if running:
        assert actions.index('stop') < actions.index('start')
