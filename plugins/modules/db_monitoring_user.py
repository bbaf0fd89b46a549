#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: db_monitoring_user
short_description: A least-privilege account for a Prometheus exporter in a database container
version_added: 0.2.0
description:
  - Creates or repairs the account a Prometheus exporter logs in with, in a MySQL, MariaDB, PostgreSQL or MongoDB container
    made by M(dbops.containers.db_container). The superuser password is read from the container's secrets volume.
  - MySQL and MariaDB get C(PROCESS), C(REPLICATION CLIENT) (and C(SLAVE MONITOR) on MariaDB) on C(*.*), C(SELECT) on
    C(performance_schema) and C(MAX_USER_CONNECTIONS). The statements are not written to the binary log, so each
    server of a replication group gets its own account and replication never sees a duplicate C(CREATE USER).
  - On MySQL 8.0 and later (9.x included, which has no C(mysql_native_password)) the account uses
    C(caching_sha2_password) whatever the server's default; an account with another plugin is moved to it (action
    C(alter user authentication plugin)). mysqld_exporter then logs in without TLS by the plugin's RSA key exchange,
    never sending the password in clear text. MariaDB accounts keep the server's default plugin.
  - PostgreSQL gets a C(LOGIN) role in C(pg_monitor) with a C(CONNECTION LIMIT); the session does not log
    statements, so the password does not reach the server log. On a standby the role must come from the primary.
  - MongoDB gets a user in C(admin) with exactly the roles Percona's mongodb_exporter documents, C(clusterMonitor)
    on C(admin) and C(read) on C(local) (the oplog). MongoDB has no per-user connection limit, so O(max_connections)
    does not apply. Users are replicated, so on a secondary the user must come from the primary.
  - The password is checked by logging in with it; it is never returned.
  - 'Only an account the collection created is changed. The account it creates carries a mark naming its purpose
    (MySQL 8.0.21 and later the account attribute C({"dbops.containers": "monitoring"}); MariaDB, which has no
    account attributes or comments, a role with no privileges C(dbops.containers:monitoring:<user>) granted to the
    account alone; PostgreSQL the role comment C(dbops.containers: monitoring), which replicates to standbys with
    the role; MongoDB C(customData: {dbops_containers: monitoring})).'
  - Refused before any change, whatever O(adopt) says, with a message naming O(user) that ends in
    C(nothing was changed) - the superuser (C(root), C(postgres), C(admin)), the account the module logs in as
    (O(login_user)), the application user M(dbops.containers.db_container) created in the container, any account
    with administrator rights (MySQL/MariaDB C(SUPER), C(CREATE USER) or C(GRANT OPTION); PostgreSQL
    C(SUPERUSER), C(CREATEROLE) or C(BYPASSRLS); MongoDB C(root), C(userAdmin*), C(dbOwner), ...), and an
    account the collection made for another purpose (the replication account).
  - An existing account without the mark is refused unless O(adopt=true). One exception keeps upgrades quiet -
    an account made by a release before the mark existed is marked without O(adopt) when it has the default
    name C(dbops_exporter), exactly the privileges this module grants and the password given already logs in
    (action C(mark account created by an earlier release)); anything else about it differing, it is refused.
author:
  - dbops.containers contributors (@dbops)
extends_documentation_fragment:
  - dbops.containers.docker
  - dbops.containers.login
attributes:
  check_mode:
    support: full
    description: Reports the changes it would make without making them.
  diff_mode:
    support: none
    description: Nothing to diff.
notes:
  - The module logs in to O(container) with the login options. O(login_host) defaults to the first of the
    container's addresses that answers on O(login_port) (the engine's port when not set). O(login_user) defaults
    to the superuser, whose password is read from the container's secrets volume unless O(login_password) or
    O(login_password_file) is given. O(login_db) defaults to V(postgres) on PostgreSQL.
options:
  container:
    description: The database container (made by M(dbops.containers.db_container)).
    type: str
    required: true
  engine:
    description: The engine; read from the container's C(dbops.engine) label when not given.
    type: str
    choices: [mysql, mariadb, postgres, mongodb]
  user:
    description: The exporter's account name.
    type: str
    default: dbops_exporter
  password:
    description:
      - The exporter's password. A line break or another control character is refused - the exporter's
        configuration (a C(my.cnf) line, a connection string) cannot carry it.
    type: str
    required: true
  max_connections:
    description:
      - C(MAX_USER_CONNECTIONS) (MySQL) or C(CONNECTION LIMIT) (PostgreSQL) of the account; unused on MongoDB.
      - At least 1 - MySQL reads 0 as no limit, PostgreSQL as no login at all.
    type: int
    default: 3
  adopt:
    description:
      - Take over an existing account the collection did not create (it has no mark), deliberately - its password,
        connection limit and privileges become the exporter's (MySQL/MariaDB privileges it had are revoked,
        PostgreSQL role memberships other than C(pg_monitor) and C(REPLICATION) are taken away), and it is marked
        as the collection's, so later runs need no O(adopt).
      - Never applies to the superuser, the login user, the application user, an administrator or an account
        marked for another purpose.
    type: bool
    default: false
    version_added: 0.3.0
'''

EXAMPLES = r'''
- name: The account mysqld_exporter logs in with
  dbops.containers.db_monitoring_user:
    container: orders-db
    password: "{{ vault_exporter_password }}"

- name: Take over an exporter account created by hand before (its password and privileges are replaced)
  dbops.containers.db_monitoring_user:
    container: orders-db
    user: exporter
    password: "{{ vault_exporter_password }}"
    adopt: true
'''

RETURN = r'''
actions:
  description:
    - What was done (or would be, in check mode).
    - C(adopt account) or C(mark account created by an earlier release) when an existing account was marked.
  returned: success
  type: list
  elements: str
  sample: [create user, grant privileges]
engine:
  description: The engine of the container.
  returned: success
  type: str
user:
  description: The account name.
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.options import (
    LOGIN_MUTUALLY_EXCLUSIVE, argument_spec as shared_argument_spec)
from ansible_collections.dbops.containers.plugins.module_utils.monitoring import ENGINES, run


def argument_spec():
    return shared_argument_spec(
        container=dict(type='str', required=True),
        engine=dict(type='str', choices=list(ENGINES)),
        user=dict(type='str', default='dbops_exporter'),
        password=dict(type='str', required=True, no_log=True),
        max_connections=dict(type='int', default=3),
        adopt=dict(type='bool', default=False),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=LOGIN_MUTUALLY_EXCLUSIVE)
    try:
        result = run(module.params, module.check_mode)
    except DbopsError as exc:
        module.fail_json(msg=str(exc), parameter=exc.parameter, changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
