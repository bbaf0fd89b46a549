# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by the modules that talk to a database server.
    # Set them once with module_defaults group/dbops.containers.db.
    DOCUMENTATION = r'''
options:
  container:
    description:
      - A database container on the Docker host. The module finds its address and engine itself, and for a
        container made by M(dbops.containers.db_container) the superuser's password in its secrets volume.
      - Either O(container) or O(login_host) is required.
    type: str
  engine:
    description:
      - The engine. Detected from the container, or from O(login_port) (3306, 5432, 27017) when not set.
      - MySQL and MariaDB are told apart from the server's version string.
    type: str
    choices: [mysql, mariadb, postgres, mongodb]
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
    description: Password of O(login_user).
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
'''
