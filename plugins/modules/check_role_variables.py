#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by plugins/action/check_role_variables.py; this file carries
# its documentation (Ansible reads a module's docs for an action plugin of the same name).

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: check_role_variables
short_description: Refuse a role's unknown variables and out-of-range values before the role changes anything
version_added: 0.3.0
description:
  - The first task of every role of this collection. It runs on the controller and changes nothing.
  - Every variable visible to the task whose name starts with the role's prefix (C(mysql_cluster_) for the
    C(mysql_cluster) role) must be an option of the role's C(meta/argument_specs.yml) or a name the role sets itself;
    an unknown one is refused, naming the closest option. Variables of a role with a longer prefix
    (C(mysql_cluster_*) seen by the C(mysql) role) are left to that role.
  - >-
    An option whose description has a line C(Checked:) is checked against it, for example C(Checked: a port (1 to
    65535).), C(a size such as 512m or 4g), C(a Prometheus duration such as 15s or 1m30s), C(an integer from 1 to
    86400), C(published ports ([address:]host:container[/protocol])); a constraint may end in C(, or empty).
  - Ansible's own role argument validation (types, choices, required) runs before it.
  - Set C(dbops_unchecked_variables) (a list of names or shell patterns) to keep a variable of your own under a
    role's prefix.
author:
  - dbops.containers contributors (@dbops)
options:
  role_path:
    description: The role to check. Defaults to the role the task belongs to.
    type: path
  entry_point:
    description: The entry point of the role's argument specs.
    type: str
    default: main
  roles:
    description:
      - Roles of this collection that the role includes, whose variables are checked too (their prefixes, their
        specs), before the role creates anything. The C(mysql_cluster) role names C(mysql).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: It only reads.
  diff_mode:
    support: none
    description: Nothing to show.
  action:
    support: full
    description: Runs on the controller.
'''

EXAMPLES = r'''
# roles/<role>/tasks/main.yml, before any other task:
- name: Check the role's variables (unknown names, ports, sizes, durations)
  dbops.containers.check_role_variables:
'''

RETURN = r'''
unknown:
  description: The role's variables that are not options of its argument specs.
  returned: always
  type: list
  elements: str
  sample: [mysql_cluster_semisync]
problems:
  description: One message per refused variable, naming it and the fix.
  returned: failed
  type: list
  elements: str
  sample: ["monitoring_scrape_interval: '15 seconds' is not a Prometheus duration ..."]
'''
