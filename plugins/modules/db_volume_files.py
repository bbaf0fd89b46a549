#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: db_volume_files
short_description: Files (configuration, credentials) in a Docker volume
version_added: 0.2.0
description:
  - Creates the volume when it is missing and makes the given files in it match their content, mode and owner.
  - The files travel through a carrier container that is created, never started, and removed, so this works on a
    remote Docker engine and through a mounted Docker socket (Molecule), where bind mounts of the controller's paths
    do not.
  - Refuses, before anything is created or written, a volume of a database container made by
    M(dbops.containers.db_container), and an existing volume that another container mounts unless this module
    created it (it labels its volumes C(dbops.volume_files=true)) or every container that mounts it is one
    of the roles' components running O(image) (a volume of the same service made by an earlier release).
  - Paths are relative to the volume's root; an absolute path, a path that leaves the volume (C(..)) and a mode
    outside 0000-7777 are refused.
  - Used by the C(dbops.containers.monitoring) role for Prometheus's configuration and the exporters' credentials,
    which never go to environment variables or the command line.
author:
  - dbops.containers contributors (@dbops)
extends_documentation_fragment:
  - dbops.containers.docker
  - dbops.containers.login
attributes:
  check_mode:
    support: full
    description: Reports which files would change.
  diff_mode:
    support: none
    description: File contents may be secret; no diff is shown.
notes:
  - The login options (O(login_host), O(login_user), O(login_password), O(login_password_file), O(login_port),
    O(login_db), O(connect_timeout)) are accepted so that one C(module_defaults) block for
    C(group/dbops.containers.db) serves every module. This module writes files into a volume and logs in to no
    database server, so it ignores them.
options:
  volume:
    description: The volume's name.
    type: str
    required: true
  image:
    description: An image on the Docker host to create the carrier from (usually the image that mounts the volume).
    type: str
    required: true
  files:
    description: The files, relative to the volume's root. Their contents are hidden from the output.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Path inside the volume.
        type: str
        required: true
      content:
        description: The file's content.
        type: str
        default: ""
      mode:
        description: Octal mode.
        type: str
        default: "0644"
      uid:
        description: Owner uid.
        type: int
        default: 0
      gid:
        description: Owner gid.
        type: int
        default: 0
  labels:
    description: Labels of the volume when it is created (with C(dbops.volume_files=true)).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: The exporter's credentials, readable by its user only
  dbops.containers.db_volume_files:
    volume: orders-db-exporter-secrets
    image: prom/mysqld-exporter:v0.15.1
    files:
      - path: my.cnf
        content: "{{ my_cnf }}"
        mode: "0400"
        uid: 65534
  no_log: true
'''

RETURN = r'''
paths:
  description: The files that were (or would be) written.
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbops.containers.plugins.module_utils.docker import volume_files
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.options import (
    LOGIN_MUTUALLY_EXCLUSIVE, argument_spec as shared_argument_spec)
from ansible_collections.dbops.containers.plugins.module_utils.targets import docker_helper


def argument_spec():
    return shared_argument_spec(
        volume=dict(type='str', required=True),
        image=dict(type='str', required=True),
        files=dict(type='list', elements='dict', required=True, options=dict(
            path=dict(type='str', required=True),
            content=dict(type='str', default='', no_log=True),
            mode=dict(type='str', default='0644'),
            uid=dict(type='int', default=0),
            gid=dict(type='int', default=0),
        )),
        labels=dict(type='dict', default={}),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=LOGIN_MUTUALLY_EXCLUSIVE)
    params = module.params
    try:
        changed, paths = volume_files.sync(docker_helper(params), params['volume'], params['image'], params['files'],
                                           dict((str(k), str(v)) for k, v in params['labels'].items()),
                                           module.check_mode)
    except DbopsError as exc:
        module.fail_json(msg=str(exc), parameter=exc.parameter, changed=False)
    module.exit_json(changed=changed, paths=paths, volume=params['volume'])


if __name__ == '__main__':
    main()
