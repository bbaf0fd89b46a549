# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Login options. Every module of the action group db accepts them (the argument
    # spec is plugins/module_utils/common/options.py), so one module_defaults
    # group/dbops.containers.db block can set them for all modules; a module that
    # does not log in to a server says in its notes that it ignores them.
    DOCUMENTATION = r'''
options:
  login_host:
    description: Address of the server (network target), or an address that overrides the container's.
    type: str
  login_port:
    description: Port of the server. Defaults to the engine's port.
    type: int
  login_user:
    description: User to log in as. Defaults to the engine's superuser (C(root), C(postgres), C(admin)).
    type: str
  login_password:
    description:
      - Password of O(login_user). Prefer O(login_password_file).
      - When neither is set and O(login_user) is the superuser, the password of a container made by
        M(dbops.containers.db_container) is read from its secrets volume.
    type: str
  login_password_file:
    description: A file holding the password of O(login_user) (trailing newline ignored).
    type: path
  login_db:
    description: Database to connect to.
    type: str
  connect_timeout:
    description: Seconds to wait for a connection.
    type: int
    default: 10
notes:
  - Every module of the action group C(dbops.containers.db) accepts the login and O(docker_host) options, so a single
    C(module_defaults) block for C(group/dbops.containers.db) sets them for all modules.
'''
