# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Which server a module talks to, for the modules that talk to one server
    # (db_replication, db_tune_report); used with the login fragment.
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
'''
