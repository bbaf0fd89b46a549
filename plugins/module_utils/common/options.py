# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every module of the action group ``db`` accepts, defined once.

``module_defaults: group/dbops.containers.db`` passes every default to every
module of the group, and a module that does not accept one fails with
"Unsupported parameters". So each module's argument spec is built with
``argument_spec()`` below: the Docker options (doc fragment ``docker``) and
the login options (doc fragment ``login``), then the module's own options.
tests/unit/plugins/test_shared_options.py checks the doc fragments and every
module against these specs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

DOCKER_OPTIONS = dict(
    docker_host=dict(type='str'),
    docker_ca_path=dict(type='path'),
    docker_client_cert=dict(type='path'),
    docker_client_key=dict(type='path', no_log=False),
)

LOGIN_OPTIONS = dict(
    login_host=dict(type='str'),
    login_port=dict(type='int'),
    login_user=dict(type='str'),
    login_password=dict(type='str', no_log=True),
    login_password_file=dict(type='path', no_log=False),
    login_db=dict(type='str'),
    connect_timeout=dict(type='int', default=10),
)

# For AnsibleModule(mutually_exclusive=...): a password and a password file contradict each other.
LOGIN_MUTUALLY_EXCLUSIVE = [('login_password', 'login_password_file')]


def argument_spec(**module_options):
    """The shared Docker and login options, then the module's own (which may not redefine them)."""
    spec = copy.deepcopy(DOCKER_OPTIONS)
    spec.update(copy.deepcopy(LOGIN_OPTIONS))
    clash = sorted(set(spec) & set(module_options))
    if clash:
        raise ValueError('module options redefine shared options: %s' % ', '.join(clash))
    spec.update(module_options)
    return spec
