#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: db_replication
short_description: Set up and check MySQL, MariaDB, PostgreSQL and MongoDB replication between containers
version_added: 0.2.0
description:
  - O(role=primary) prepares a primary. On MySQL and MariaDB it creates a replication account (password from a
    file) and enables semi-synchronous replication with the AFTER_SYNC wait point. The binary log, GTIDs and a
    unique C(server_id) are M(dbops.containers.db_container) settings, and the module checks them. On PostgreSQL it
    creates a replication role, one physical replication slot per standby and the C(host replication) line of
    C(pg_hba.conf). C(wal_level), C(max_wal_senders) and C(synchronous_standby_names) are checked, not changed.
  - O(role=replica) makes a server follow the primary and waits until it has caught up. MySQL uses GTID
    auto-positioning (C(CHANGE REPLICATION SOURCE TO) and C(START REPLICA) from 8.0.23); MariaDB uses
    C(CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos). A replica that already replicates from the same primary
    is left alone. Its connection and relay log are kept, and the task reports no change.
  - On MySQL and MariaDB containers made by M(dbops.containers.db_container), O(role=replica) and O(role=primary)
    also write C(zzz-dbops-fenced.cnf) into the configuration volume, read after the container's own file. A
    replica starts read-only (and C(super_read_only) on MySQL) after any restart, not only until one; a primary
    starts writable. M(dbops.containers.db_failover) rewrites the file when it fences, promotes or rejoins a node.
  - On PostgreSQL, O(role=replica) fills the standby's empty data volume with C(pg_basebackup -R). The password
    comes from a passfile in the standby's secrets volume, so nothing prompts for it. The module then starts the
    standby and waits until C(pg_stat_wal_receiver) says C(streaming). A running standby is re-pointed with
    C(primary_conninfo) and a reload when the primary changed.
  - O(role=replicaset) initiates a MongoDB replica set, then adds or removes members and changes priorities and
    votes. Each reconfiguration changes at most one voting member and waits for a majority to commit it.
  - O(role=status) reads one node. It returns the node's role, its health, the replication lag in seconds and in
    bytes, GTID or LSN, the thread states and the semi-sync or synchronous state, with a severity and its reasons.
    A replica whose replication stopped (lag unknown) is critical, and so is a primary whose semi-sync fell back
    to asynchronous. A MySQL or MariaDB replica that is writable (C(read_only) OFF) is a warning.
  - Bad input fails before anything changes, with the parameter to fix. This covers an unreachable primary, a
    wrong replication password, a replica pointed at itself or at another replica, a second primary, and a replica
    holding transactions the primary never had. A MySQL or MariaDB replica that fails to start replicating is put
    back as it was.
  - A login that fails says why - a wrong password (O(login_password), or the superuser password in the container's
    secrets volume), nothing listening (O(login_port)), an address that does not answer (O(login_host)), another
    engine on that port or in that container (O(engine), from the server's first answer or the container's
    C(dbops.engine) label), or a server still starting (O(container), wait and run again).
author:
  - dbops.containers contributors (@dbops)
extends_documentation_fragment:
  - dbops.containers.docker
  - dbops.containers.login
  - dbops.containers.target
attributes:
  check_mode:
    support: full
    description:
      - Every check runs against the servers, and RV(actions) lists what would be done. Nothing is changed and no
        base backup is taken.
  diff_mode:
    support: none
    description: RV(actions) lists the changes; there is no before/after text to diff.
notes:
  - The login options name the server being configured. For O(role=replica) that is the replica. For a
    PostgreSQL standby that is not running yet, O(container) names the standby container to seed.
  - 'Seeding: a MySQL or MariaDB replica starts from its own data. When that data has transactions the primary
    never had, or the primary purged binary logs the replica still needs, the module fails and changes nothing.
    Its message says how to seed the replica from a consistent dump (docs/guide-cluster.md).'
requirements:
  - PyMySQL (MySQL, MariaDB), psycopg2 (PostgreSQL) or pymongo (MongoDB)
  - cryptography (Python library) for MySQL 8.0 and later, whose accounts use caching_sha2_password; PyMySQL
    needs it to log in over a connection without TLS
options:
  role:
    description: What to do on this server.
    type: str
    required: true
    choices: [primary, replica, replicaset, status]
  replication_user:
    description:
      - The account replicas log in with. Defaults to V(repl) on MySQL and MariaDB and V(replicator) on
        PostgreSQL.
      - 'O(role=primary) creates it with a mark naming its purpose (MySQL 8.0.21 and later the account attribute
        C({"dbops.containers": "replication"}), MariaDB a role with no privileges
        C(dbops.containers:replication:<user>) granted to the account alone, PostgreSQL the role comment
        C(dbops.containers: replication)). The mark replicates with the account, so a promoted replica knows it.'
      - Refused before any change, whatever O(adopt_replication_user) says, with a message that names this option
        and ends in C(nothing was changed) - the superuser (C(root), C(postgres)), the account the module logs in
        as, the application user M(dbops.containers.db_container) created, an account with administrator rights
        (C(SUPER), C(CREATE USER), C(GRANT OPTION); C(SUPERUSER), C(CREATEROLE), C(BYPASSRLS)) and an account the
        collection made for another purpose (the exporter account of M(dbops.containers.db_monitoring_user)).
      - An existing account without the mark is refused unless O(adopt_replication_user=true). An account made by a
        release before the mark existed is marked without it when it has the default name, only the replication
        privileges and the password given (on MariaDB and PostgreSQL the stored hash matches; on MySQL the password
        is not reset).
    type: str
  adopt_replication_user:
    description:
      - Take over an existing O(replication_user) the collection did not create, deliberately. Its password is set,
        its other privileges are revoked (MySQL, MariaDB), and it is marked as the collection's replication account.
      - Never applies to the superuser, the login user, the application user, an administrator or an account
        marked for another purpose.
    type: bool
    default: false
    version_added: 0.3.0
  replication_password_file:
    description:
      - A file on the host that runs the module holding the replication password. It is read, never logged.
      - Required for O(role=primary) and O(role=replica) unless O(replication_password) is given.
    type: path
  replication_password:
    description: The replication password itself. Prefer O(replication_password_file).
    type: str
  primary_host:
    description:
      - The primary's address as the replica reaches it, for example a Docker network alias or a host name.
      - Defaults to O(primary_container).
    type: str
  primary_port:
    description: The primary's port as the replica reaches it. Defaults to the engine's port.
    type: int
  primary_container:
    description:
      - The primary's container, when it runs on the same Docker host. The module reaches the primary at its
        container address.
    type: str
  primary_login_host:
    description:
      - How the module itself reaches the primary, when that differs from O(primary_host), for example an alias
        that only resolves inside a Docker network.
    type: str
  primary_login_port:
    description: Port that goes with O(primary_login_host).
    type: int
  semi_sync:
    description:
      - MySQL and MariaDB. Turns semi-synchronous replication on with the AFTER_SYNC wait point. A commit is then
        acknowledged only after a replica has it, so a failover loses no acknowledged commit.
      - Not set means V(true) for O(role=primary) and O(role=replica).
      - With O(role=status), V(true) says the cluster runs semi-sync. A primary with semi-sync disabled is then
        critical, and a replica with it disabled is a warning. Not set, a disabled semi-sync is not reported.
      - C(SET GLOBAL) does not survive a restart. Put semi-sync in the server settings too (the
        C(dbops.containers.mysql_cluster) role does).
    type: bool
  durability:
    description:
      - MySQL and MariaDB, O(role=primary). What the primary's semi-sync does when no replica acknowledges a
        commit.
      - V(required) never acknowledges a commit no replica has. The source timeout
        (C(rpl_semi_sync_master_timeout) or C(rpl_semi_sync_source_timeout)) is set to 18446744073709551615 ms,
        the largest value the servers accept, and C(rpl_semi_sync_master_wait_no_slave) or
        C(rpl_semi_sync_source_wait_no_replica) to C(ON), so the primary never falls back to asynchronous
        commits. The price is that commits on the primary wait for as long as no replica can acknowledge them
        (every replica stopped or cut off, or none set up yet). They return as soon as one replica is back.
        Reads go on, and so do writes that are not binary-logged.
      - V(preferred) (the default) keeps the primary taking writes when no replica acknowledges. After O(semi_sync_timeout) it
        falls back to asynchronous commits, which it acknowledges alone. A failover then loses them. Thousands
        of acknowledged writes were lost in a partition of a few seconds with the former 1000 ms default.
      - The default is V(preferred), the module's behaviour before this option, on purpose. Playbooks that call
        the module directly often set up a primary and write to it before any replica follows it. Under
        V(required) those writes would wait for ever. The C(dbops.containers.mysql_cluster) role passes
        V(required) by default (C(mysql_cluster_durability)), and M(dbops.containers.db_failover) defaults to
        V(required). Set V(required) wherever the primary is set up for a cluster that must not lose
        acknowledged commits.
      - Semi-sync is switched on after the replication account is written, so a first set-up never waits on
        itself. O(semi_sync=false) with V(required) is refused.
      - The node's start-up file carries the timeout, so a restart keeps it.
    type: str
    choices: [required, preferred]
    default: preferred
  semi_sync_timeout:
    description:
      - MySQL and MariaDB, O(durability=preferred) only. Milliseconds the primary waits for a replica's
        acknowledgement before it falls back to asynchronous replication (C(rpl_semi_sync_master_timeout) or
        C(rpl_semi_sync_source_timeout)). Not set means 1000.
      - With O(durability=required) and O(role=primary), setting it is refused, naming it. The timeout there is
        the no-fallback one, and a number given would otherwise look as if it applied.
      - O(role=status) reports the fallback as critical.
    type: int
  replica_host:
    description: MySQL and MariaDB. The host part of the replication account, for example V(10.0.%).
    type: str
    default: '%'
  reset_password:
    description:
      - MySQL 8 stores salted C(caching_sha2_password) hashes, which cannot be compared with the wanted password.
        When V(true), the replication password is set again, and the task always reports a change.
      - MariaDB compares the hash and changes the password only when it differs.
    type: bool
    default: false
  standby_names:
    description: PostgreSQL primary. The standbys' container names. Each gets a physical replication slot.
    type: list
    elements: str
  hba_source:
    description:
      - PostgreSQL primary. Where standbys connect from in the C(host replication) line of C(pg_hba.conf). This
        can be V(samenet), V(samehost), an address or a CIDR.
    type: str
    default: samenet
  synchronous_standby_names:
    description:
      - PostgreSQL primary. The wanted C(synchronous_standby_names). The value itself is a
        M(dbops.containers.db_container) setting, and the module checks that the server runs with it.
    type: str
  slot:
    description: PostgreSQL standby. Its replication slot. Defaults to the container name made a valid slot name.
    type: str
  image:
    description:
      - PostgreSQL standby. The image that runs C(pg_basebackup). Defaults to the standby's image, then the
        primary container's image.
    type: str
  network:
    description:
      - PostgreSQL standby. The Docker network C(pg_basebackup) runs on. Defaults to the user-defined network
        where O(primary_host) is a container alias, else C(bridge).
    type: str
  replica_set:
    description: MongoDB. The replica set name (C(replication.replSetName) of every member).
    type: str
  members:
    description: MongoDB. The wanted members, in order. Member C(_id)s stay stable across runs.
    type: list
    elements: dict
    suboptions:
      host:
        description: The member's C(host:port) as the other members reach it.
        type: str
        required: true
      priority:
        description:
          - Election priority. V(0) means the member never becomes primary.
          - Defaults to V(1), and to V(0) for hidden, non-voting and arbiter members.
        type: float
      votes:
        description: V(1) for a voting member, V(0) for a non-voting one.
        type: int
        default: 1
      hidden:
        description: A hidden member, which needs priority V(0).
        type: bool
        default: false
      arbiter_only:
        description: An arbiter. It holds no data.
        type: bool
        default: false
      tags:
        description: Replica set tags.
        type: dict
  force:
    description: MongoDB. Allows a reconfiguration that removes or demotes the current primary.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for a replica to catch up, for a standby to stream, or for a reconfiguration to commit.
    type: int
    default: 60
seealso:
  - module: dbops.containers.db_container
  - name: community.mysql issue 80 (changeprimary always reports a change)
    description: Why the replica role compares before it changes.
    link: https://github.com/ansible-collections/community.mysql/issues/80
'''

EXAMPLES = r'''
- name: Make db1 the primary (binary log, GTIDs and server_id come from db_container settings)
  dbops.containers.db_replication:
    role: primary
    container: db1
    replication_password_file: /etc/dbops/secrets/replication

- name: Make db1 a primary that never acknowledges a commit no replica has (its writes wait while none can)
  dbops.containers.db_replication:
    role: primary
    container: db1
    durability: required
    replication_password_file: /etc/dbops/secrets/replication

- name: Make db2 a semi-synchronous replica of db1 (same Docker network, alias db1)
  dbops.containers.db_replication:
    role: replica
    container: db2
    primary_container: db1
    replication_password_file: /etc/dbops/secrets/replication

- name: A replica on another Docker host follows the primary's published port
  dbops.containers.db_replication:
    role: replica
    container: db3
    primary_host: db1.example.com
    primary_port: 13306
    replication_password_file: /etc/dbops/secrets/replication

- name: PostgreSQL primary with a slot per standby
  dbops.containers.db_replication:
    role: primary
    container: pg1
    standby_names: [pg2]
    replication_password_file: /etc/dbops/secrets/pg-replication

- name: Seed the standby's volume with pg_basebackup (then create pg2 with db_container and run this again)
  dbops.containers.db_replication:
    role: replica
    engine: postgres
    container: pg2
    primary_container: pg1
    replication_password_file: /etc/dbops/secrets/pg-replication

- name: Initiate a MongoDB replica set of three members
  dbops.containers.db_replication:
    role: replicaset
    container: mongo1
    replica_set: rs0
    members:
      - host: mongo1:27017
      - host: mongo2:27017
      - host: mongo3:27017
        priority: 0.5

- name: Read one node's replication state
  dbops.containers.db_replication:
    role: status
    container: db2
  register: node

- name: Fail when replication is broken
  ansible.builtin.assert:
    that: node.severity != 'critical'
    fail_msg: "{{ node.status.reasons | join('; ') }}"
'''

RETURN = r'''
role:
  description: The role that ran.
  returned: always
  type: str
  sample: replica
engine:
  description: The engine of the server.
  returned: always
  type: str
  sample: mariadb
actions:
  description: What was done, or what would be done in check mode. The list is empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ['change source to db1:3306', 'SET GLOBAL rpl_semi_sync_slave_enabled = ON', 'START SLAVE']
status:
  description:
    - The node's replication state after the task, as O(role=status) returns it. Its keys depend on the engine.
    - MySQL and MariaDB return C(role), C(read_only), C(io_running), C(sql_running), C(lag_seconds),
      C(replica.lag_bytes), C(gtid), C(semi_sync) and C(replicas_connected).
    - PostgreSQL returns C(role), C(replication) with each standby's C(state), C(sync_state) and C(lag_bytes),
      C(slots), C(wal_receiver), C(lag_bytes), C(received_lsn) and C(replayed_lsn).
    - MongoDB returns C(role), C(set), and C(members) with each member's state and C(lag_seconds).
    - Every engine adds C(severity) and C(reasons).
    - The value is null for a PostgreSQL standby whose container does not exist yet.
  returned: always
  type: dict
severity:
  description: The node's severity, one of V(ok), V(warning) or V(critical).
  returned: when status is not null
  type: str
  sample: ok
config:
  description: MongoDB. The replica set configuration after the task, with C(warnings) (advice such as an even
    number of voting members) and, after a forced primary step-down, C(pending).
  returned: role is replicaset
  type: dict
notes:
  description: What the user should do next, for example create the standby container on a freshly seeded volume.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.options import (
    LOGIN_MUTUALLY_EXCLUSIVE, argument_spec as shared_argument_spec)
from ansible_collections.dbops.containers.plugins.module_utils.replication import ROLES, run


def argument_spec():
    return shared_argument_spec(
        role=dict(type='str', required=True, choices=list(ROLES)),
        container=dict(type='str'),
        engine=dict(type='str', choices=['mysql', 'mariadb', 'postgres', 'mongodb']),
        replication_user=dict(type='str'),
        adopt_replication_user=dict(type='bool', default=False),
        replication_password_file=dict(type='path', no_log=False),
        replication_password=dict(type='str', no_log=True),
        primary_host=dict(type='str'),
        primary_port=dict(type='int'),
        primary_container=dict(type='str'),
        primary_login_host=dict(type='str'),
        primary_login_port=dict(type='int'),
        semi_sync=dict(type='bool'),
        durability=dict(type='str', default='preferred', choices=['required', 'preferred']),
        semi_sync_timeout=dict(type='int'),
        replica_host=dict(type='str', default='%'),
        reset_password=dict(type='bool', default=False, no_log=False),
        standby_names=dict(type='list', elements='str'),
        hba_source=dict(type='str', default='samenet'),
        synchronous_standby_names=dict(type='str'),
        slot=dict(type='str'),
        image=dict(type='str'),
        network=dict(type='str'),
        replica_set=dict(type='str'),
        members=dict(type='list', elements='dict', options=dict(
            host=dict(type='str', required=True),
            priority=dict(type='float'),
            votes=dict(type='int', default=1),
            hidden=dict(type='bool', default=False),
            arbiter_only=dict(type='bool', default=False),
            tags=dict(type='dict'),
        )),
        force=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=60),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[('container', 'login_host')],
                           mutually_exclusive=LOGIN_MUTUALLY_EXCLUSIVE + [('replication_password', 'replication_password_file')])
    try:
        result = run(module.params, check_mode=module.check_mode)
    except DbopsError as exc:
        module.fail_json(msg=str(exc), parameter=exc.parameter, changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
