#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: db_tune_report
short_description: Audit a running database server and recommend concrete tuning fixes
version_added: 0.1.0
description:
  - Reads a running MySQL, MariaDB, PostgreSQL or MongoDB server and never changes it. It reads settings, status
    counters, the container's memory and CPU limits (cgroup v1 or v2; host values only as a fallback, and the report
    says so), data size, statement statistics, index use, cache hit ratios, connections, replication and security
    basics.
  - Runs the engine's checks (rules kept as data, each with its source) and returns findings with a severity, the
    current and recommended values, the evidence, the reason and a concrete fix (a setting and value, SQL, or a
    M(dbops.containers.db_container) argument). Recommended sizes are what M(dbops.containers.db_container) derives
    for the same limits.
  - Writes the report as JSON, Markdown or HTML to O(dest) when given.
author:
  - dbops.containers contributors (@dbops)
requirements:
  - PyMySQL (MySQL, MariaDB), psycopg2 (PostgreSQL) or pymongo (MongoDB), for the engine audited
  - cryptography (Python library) for MySQL 8.0 and later, whose accounts use caching_sha2_password; PyMySQL
    needs it to log in over a connection without TLS
extends_documentation_fragment:
  - dbops.containers.docker
  - dbops.containers.login
  - dbops.containers.target
attributes:
  check_mode:
    support: full
    description:
      - The audit only reads the server. In check mode the report file is not written, and C(changed) says
        whether O(dest) would change.
  diff_mode:
    support: none
    description: The module changes no server, so there is nothing to diff.
options:
  memory:
    description:
      - The memory the server may use, when it cannot be read from a container (a network target), e.g. V(4g).
      - Given for a container, it overrides what the cgroup says.
    type: str
  cpus:
    description: The CPUs the server may use, with O(memory).
    type: float
  profile:
    description: The workload the recommendations are sized for.
    type: str
    choices: [oltp, web, dw, mixed]
    default: oltp
  format:
    description: Format of the file written to O(dest).
    type: str
    choices: [json, markdown, html]
    default: markdown
  dest:
    description:
      - File to write the report to. Its directory must exist.
      - The file is rewritten, and the task C(changed), only when what the report concludes differs from the
        file's (its fingerprint, see RV(fingerprint)), that is the server, the findings with their severities,
        recommendations and fixes, the checks not evaluated, the notes. The generation time and the values
        measured at that moment (each finding's C(current) and C(evidence), which move with the server's
        counters) are not a change, so a second run leaves the file as the snapshot it was, with its own time.
    type: path
'''

EXAMPLES = r'''
- name: Audit a container made by db_container (address and password found by the module)
  dbops.containers.db_tune_report:
    container: orders-db
    dest: /var/tmp/orders-db-report.md

- name: Audit a server over the network, declaring its limits
  dbops.containers.db_tune_report:
    login_host: 10.0.0.12
    login_port: 5432
    login_user: auditor
    login_password_file: /etc/dbops/auditor.pass
    memory: 16g
    cpus: 8
    format: html
    dest: /var/www/reports/db12.html
  register: audit

- name: Fail the pipeline on a critical finding
  ansible.builtin.assert:
    that: audit.summary.critical == 0
'''

RETURN = r'''
findings:
  description: One entry per problem found, critical first.
  returned: success
  type: list
  elements: dict
  contains:
    id: {description: Stable identifier of the check., type: str, sample: mysql.memory.buffer_pool_small}
    severity: {description: "C(critical), C(warning) or C(info).", type: str}
    category: {description: "memory, cache, connections, indexes, statements, logging, security, replication, ...", type: str}
    title: {description: What is wrong., type: str}
    current: {description: The value now., type: raw}
    recommended: {description: The value to use., type: raw}
    evidence: {description: The numbers that show it., type: str}
    rationale: {description: Why it matters., type: str}
    fix: {description: "The concrete change: a setting and value, SQL, or a db_container argument.", type: str}
    source: {description: Where the rule comes from., type: str}
summary:
  description: Counts per severity, a score out of 100 and how many checks ran.
  returned: success
  type: dict
  sample: {critical: 1, warning: 3, info: 2, score: 63, checks: 62, findings: 6, not_evaluated: 0}
server:
  description: The server audited, its version and support status, and the limits used.
  returned: success
  type: dict
report:
  description: The rendered report in O(format), with its generation time and fingerprint.
  returned: success
  type: str
generated:
  description: When the server was read (UTC).
  returned: success
  type: str
  sample: '2026-12-06T08:00:00Z'
fingerprint:
  description:
    - sha256 of what the report concludes in O(format), without the generation time and the measured values;
      two runs with the same fingerprint found the same things. O(dest) is rewritten only when it differs.
  returned: success
  type: str
not_evaluated:
  description: Checks that could not run (missing facts), with the reason.
  returned: success
  type: list
  elements: dict
notes:
  description: What could not be read and why (e.g. performance_schema off).
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbops.containers.plugins.module_utils.audit.auditor import Auditor, write_report
from ansible_collections.dbops.containers.plugins.module_utils.audit.render import fingerprint, render
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.options import (
    LOGIN_MUTUALLY_EXCLUSIVE, argument_spec as shared_argument_spec)


def argument_spec():
    return shared_argument_spec(
        container=dict(type='str'),
        engine=dict(type='str', choices=['mysql', 'mariadb', 'postgres', 'mongodb']),
        memory=dict(type='str'),
        cpus=dict(type='float'),
        profile=dict(type='str', default='oltp', choices=['oltp', 'web', 'dw', 'mixed']),
        format=dict(type='str', default='markdown', choices=['json', 'markdown', 'html']),
        dest=dict(type='path'),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[('container', 'login_host')],
                           mutually_exclusive=LOGIN_MUTUALLY_EXCLUSIVE)
    try:
        report = Auditor(module.params).run()
        changed = False
        if module.params['dest']:
            changed = write_report(report, module.params['format'], module.params['dest'],
                                   check_mode=module.check_mode)
    except DbopsError as exc:
        module.fail_json(msg=str(exc), parameter=exc.parameter, changed=False)
    report['report'] = render(report, module.params['format'])
    report['fingerprint'] = fingerprint(report, module.params['format'])
    module.exit_json(changed=changed, **report)


if __name__ == '__main__':
    main()
