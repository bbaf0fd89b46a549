#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: db_failover
short_description: Detect a dead primary and fail over, switch over, or rejoin an old primary
version_added: 0.2.0
description:
  - O(mode=check) asks several observers whether the primary is alive. The observers are this module (a SQL round
    trip) and every replica (from inside the replica's container, where replication runs, a connection the server
    process must answer within O(probe_timeout), a greeting from MySQL and MariaDB, the answer to an SSL request from PostgreSQL). A
    frozen primary (a paused container, a stuck disk) still accepts TCP connections but does not answer, so it is
    dead like a killed one. The primary is dead only when every observer that answers says so, over O(probes)
    consecutive rounds, and at least two observers answer. A primary that only one observer cannot reach is a
    network partition, not a dead primary.
  - O(mode=failover) acts only when the primary is dead. It chooses the replica that received the most data. That
    is the received GTID set on MySQL and MariaDB and the received LSN on PostgreSQL, with ties broken by the node's
    priority. It refuses when that replica cannot apply what it received within O(max_lag), unless O(force).
  - It then fences the old primary. The container is stopped and its restart policy set to C(no), and a marker is
    written so that it can only start read-only (a configuration file on MySQL and MariaDB, C(standby.signal) on
    PostgreSQL).
  - It promotes the candidate. On MySQL and MariaDB that means stopping and resetting the replica threads and
    turning read_only off; the binary log is never reset. On PostgreSQL it is C(pg_promote()).
  - It re-points the other replicas (GTID auto-positioning, or C(primary_conninfo) and a reload), moves the client
    endpoint (the HAProxy writer backend or the PgBouncer databases, then a reload) and sends a notification.
  - When the primary answers, O(mode=failover) finishes a failover that was interrupted after its promotion (a
    watcher killed, a play stopped). The endpoint is moved to the writable primary if it still sends writes
    elsewhere, and replicas that still follow a node that is down are re-pointed at it (RV(repaired)). Otherwise
    it refuses, changing nothing. The failover watcher does the same whenever it finds the primary.
  - O(mode=switchover) is the planned version. The primary turns read-only, the candidate catches up and is
    promoted, the endpoint moves and the old primary follows the new one. The write pause is returned.
  - O(mode=rejoin) makes a fenced old primary a replica of the current primary. On PostgreSQL it runs C(pg_rewind)
    first.
  - MongoDB replica sets elect a new primary by themselves. The module reports the same timeline and uses
    C(replSetStepDown) for a switchover.
  - Every answer has a timeline (detected, promoted, re-pointed, endpoint moved) and the positions that were
    compared.
author:
  - dbops.containers contributors (@dbops)
extends_documentation_fragment:
  - dbops.containers.docker
  - dbops.containers.login
attributes:
  check_mode:
    support: full
    description:
      - Probes, compares positions and checks that the candidate has caught up, then stops. Nothing is fenced,
        promoted or moved. With O(force), a candidate's stopped SQL thread (MySQL, MariaDB) or paused WAL replay
        (PostgreSQL) stays as it is.
      - O(mode=rejoin) reports a change unless O(node) already replicates from the primary and is no longer fenced;
        outside check mode such a node is left as it is too.
  diff_mode:
    support: none
    description: The timeline is the record of what changed.
notes:
  - Runs on the Docker host of the cluster (or with O(docker_host) pointing at it). The superusers' passwords are
    read from the containers' secrets volumes (M(dbops.containers.db_container)) unless O(login_password) or
    O(login_password_file) is given.
  - O(login_user), O(login_password), O(login_password_file) and O(login_db) are used to log in to every node.
    O(login_host) and O(login_port) are ignored, because the module talks to several servers. Each is reached at
    O(nodes[].host) or its container's address, on the engine's port. O(connect_timeout) is ignored too. A probe
    waits at most O(probe_timeout) and the other connections a few seconds, so a dead node never slows a failover
    down.
  - The watcher role C(dbops.containers.failover_watcher) runs the same logic in a container, probing every second.
requirements:
  - docker (Python library)
  - PyMySQL, psycopg2 or pymongo for the engine
  - cryptography (Python library) for MySQL 8.0 and later, whose accounts use caching_sha2_password; PyMySQL
    needs it to log in over a connection without TLS
options:
  mode:
    description: What to do.
    type: str
    required: true
    choices: [check, failover, switchover, rejoin]
  engine:
    description: The cluster's engine.
    type: str
    required: true
    choices: [mysql, mariadb, postgres, mongodb]
  nodes:
    description: The cluster's database containers.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The container's name, which is also how the other nodes and the endpoint reach it.
        type: str
        required: true
      host:
        description: The address this module reaches the server at. Defaults to the container's address.
        type: str
      priority:
        description: Breaks ties between candidates with the same position. Higher wins.
        type: int
        default: 0
  primary:
    description: The current primary's name. Found from the replicas when not set.
    type: str
  candidate:
    description: For O(mode=switchover), the replica to promote. Defaults to the most up-to-date one.
    type: str
  node:
    description: For O(mode=rejoin), the old primary to make a replica.
    type: str
  network:
    description: The cluster's Docker network, used to pick the containers' addresses.
    type: str
  probes:
    description: Consecutive probe rounds that must all find the primary dead.
    type: int
    default: 3
  probe_interval:
    description: Seconds between probe rounds.
    type: float
    default: 0.5
  probe_timeout:
    description: Seconds one probe may take.
    type: float
    default: 1
  max_lag:
    description:
      - Seconds the candidate may take to apply what it already received. For O(mode=switchover), seconds the
        replicas may take to catch up with the read-only primary.
    type: float
    default: 30
  force:
    description:
      - Fail over although the primary is not found dead, or the candidate is behind or paused. Data may be lost.
      - For O(mode=rejoin) on MySQL and MariaDB, rebuild an old primary that holds a transaction no replica received.
        That happens when it was killed while waiting for a semi-sync acknowledgement, so no client was told it
        committed. Its data volume is emptied and it replays the new primary's binary log. Without O(force) the
        rejoin is refused and nothing changes.
    type: bool
    default: false
  endpoint:
    description: The client endpoint to move to the new primary.
    type: dict
    suboptions:
      type:
        description:
          - The kind of endpoint. V(haproxy) and V(pgbouncer) reload their rewritten configuration on a signal.
          - V(mysqlrouter) (MySQL Router, static routing) reads its configuration only when it starts, so its
            container is restarted; its clients' connections are cut and new ones wait about a second.
        type: str
        choices: [haproxy, pgbouncer, mysqlrouter, none]
        default: none
      container:
        description: The endpoint's container.
        type: str
      volume:
        description: The volume holding its configuration. Found from the container's mounts when not set.
        type: str
  replication_user:
    description: The replication account. Defaults to V(repl) on MySQL and MariaDB and V(replicator) on PostgreSQL.
    type: str
  replication_password_file:
    description: A file holding the replication password, needed to re-point MySQL and MariaDB replicas.
    type: path
  replication_password:
    description: The replication password itself. Prefer O(replication_password_file).
    type: str
  semi_sync:
    description: MySQL and MariaDB. Semi-synchronous replication on the new primary and the re-pointed replicas.
    type: bool
    default: true
  semi_sync_timeout:
    description:
      - MySQL and MariaDB. The new primary's semi-sync timeout in milliseconds, after which it commits
        asynchronously. Used with O(durability=preferred) only; with V(required) the new primary never falls back.
    type: int
    default: 1000
  durability:
    description:
      - V(required) never promotes a replica that may lack a commit a client was told succeeded. Every replica
        that may have acknowledged a commit (all but fenced old primaries) must be read, and the most advanced is
        chosen. A primary last seen committing asynchronously (the watcher reads it every round) is not replaced.
        Such a failover is refused, naming why, and nothing changes; O(force) overrides it, accepting the loss. On
        MySQL and MariaDB the new primary's semi-sync never falls back to asynchronous commits, so its writes wait
        while no replica can acknowledge them.
      - V(preferred) promotes the most advanced replica that answers, and the new primary falls back to
        asynchronous commits after O(semi_sync_timeout). Commits acknowledged during a fallback can be lost.
    type: str
    choices: [required, preferred]
    default: required
  synchronous:
    description:
      - PostgreSQL with O(durability=preferred). Turns synchronous replication back on for the new primary once
        it has a streaming standby. With V(required) the new primary is synchronous at once, naming every other
        node, whatever this says.
    type: bool
    default: false
  notify_url:
    description:
      - A webhook that receives a Slack-compatible JSON message (C(text)) and the timeline after a failover or
        switchover. A failed notification never undoes anything.
    type: str
  wait_timeout:
    description: Seconds to wait for a re-pointed replica or a rejoined node.
    type: int
    default: 60
seealso:
  - module: dbops.containers.db_replication
'''

EXAMPLES = r'''
- name: Is the primary dead? (read-only)
  dbops.containers.db_failover:
    mode: check
    engine: mariadb
    nodes: [{name: db1}, {name: db2}, {name: db3}]
  register: health

- name: Fail over when it is
  dbops.containers.db_failover:
    mode: failover
    engine: mariadb
    nodes: [{name: db1}, {name: db2, priority: 10}, {name: db3}]
    endpoint: {type: haproxy, container: orders-haproxy}
    replication_password_file: /etc/dbops/secrets/replication
    notify_url: https://hooks.slack.com/services/T000/B000/XXXX
  when: health.primary_dead

- name: Planned switchover to db2
  dbops.containers.db_failover:
    mode: switchover
    engine: postgres
    nodes: [{name: pg1}, {name: pg2}]
    candidate: pg2
    endpoint: {type: pgbouncer, container: billing-pgbouncer}

- name: Make the old primary a replica again
  dbops.containers.db_failover:
    mode: rejoin
    engine: postgres
    nodes: [{name: pg1}, {name: pg2}]
    node: pg1
    replication_password_file: /etc/dbops/secrets/pg-replication
'''

RETURN = r'''
primary_dead:
  description: O(mode=check). Whether every observer found the primary dead over O(probes) rounds.
  returned: mode is check
  type: bool
rounds:
  description:
    - O(mode=check). Each probe round, as C({observer -> reaches the primary}); null when an observer could not be asked.
    - A round in which Docker reports the primary's container stopped (or removed) is C({controller, docker}), both
      false. Nobody can be asked a question, so nobody waits for an answer.
  returned: mode is check
  type: list
  elements: dict
primary:
  description: The primary that was checked, or the current primary for O(mode=rejoin).
  returned: mode is check or rejoin
  type: str
old_primary:
  description: The primary before the failover or switchover.
  returned: mode is failover or switchover
  type: str
new_primary:
  description: The promoted node.
  returned: mode is failover or switchover
  type: str
repaired:
  description: What an interrupted failover had left undone and this run finished (the endpoint moved to the primary,
    replicas re-pointed). The primary was alive, so nothing else was done.
  returned: mode is failover and the primary answered
  type: list
  elements: str
  sample: ["replica db3 re-pointed at db2", "endpoint db-haproxy moved from db1 to db2"]
positions:
  description: The candidates with their received and applied positions, health and priority.
  returned: mode is failover or switchover
  type: list
  elements: dict
reseeded:
  description: O(mode=rejoin). Whether the old primary had to be rebuilt from the new primary (O(force)).
  returned: mode is rejoin
  type: bool
kept_data_volume:
  description:
    - O(mode=rejoin). The Docker volume holding a copy of the old primary's data, taken before its diverged
      history was rewound or rebuilt. Nothing a client may have been told is committed is deleted; remove the
      volume once its contents are no longer needed.
  returned: mode is rejoin and the old primary had diverged
  type: str
repoint_failed:
  description:
    - Replicas that could not follow the new primary in time (frozen or gone), with why. The endpoint was moved
      anyway; the watcher re-points them once they answer, or run the failover again.
  returned: mode is failover or switchover and a replica could not be re-pointed
  type: dict
timeline:
  description: The steps with their time in seconds from the start (checked, detected, fenced, promoted, repointed, endpoint_moved, notified).
  returned: mode is failover, switchover or rejoin
  type: list
  elements: dict
write_pause_s:
  description: O(mode=switchover). Seconds from the primary turning read-only to the endpoint pointing at the new one.
  returned: mode is switchover
  type: float
repointed:
  description: The replicas that now follow the new primary.
  returned: mode is failover or switchover
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import run
from ansible_collections.dbops.containers.plugins.module_utils.common.options import (
    LOGIN_MUTUALLY_EXCLUSIVE, argument_spec as shared_argument_spec)


def argument_spec():
    return shared_argument_spec(
        mode=dict(type='str', required=True, choices=['check', 'failover', 'switchover', 'rejoin']),
        engine=dict(type='str', required=True, choices=['mysql', 'mariadb', 'postgres', 'mongodb']),
        nodes=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            host=dict(type='str'),
            priority=dict(type='int', default=0),
        )),
        primary=dict(type='str'),
        candidate=dict(type='str'),
        node=dict(type='str'),
        network=dict(type='str'),
        probes=dict(type='int', default=3),
        probe_interval=dict(type='float', default=0.5),
        probe_timeout=dict(type='float', default=1),
        max_lag=dict(type='float', default=30),
        force=dict(type='bool', default=False),
        endpoint=dict(type='dict', options=dict(
            type=dict(type='str', default='none', choices=['haproxy', 'pgbouncer', 'mysqlrouter', 'none']),
            container=dict(type='str'),
            volume=dict(type='str'),
        )),
        replication_user=dict(type='str'),
        replication_password_file=dict(type='path', no_log=False),
        replication_password=dict(type='str', no_log=True),
        semi_sync=dict(type='bool', default=True),
        semi_sync_timeout=dict(type='int', default=1000),
        durability=dict(type='str', default='required', choices=['required', 'preferred']),
        synchronous=dict(type='bool', default=False),
        notify_url=dict(type='str'),
        wait_timeout=dict(type='int', default=60),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=LOGIN_MUTUALLY_EXCLUSIVE + [('replication_password', 'replication_password_file')],
                           required_if=[('mode', 'rejoin', ('node',))])
    try:
        result = run(module.params, check_mode=module.check_mode)
    except DbopsError as exc:
        module.fail_json(msg=str(exc), parameter=exc.parameter, changed=False)
    for name, why in sorted((result.get('repoint_failed') or {}).items()):
        module.warn('replica %s does not follow %s yet: %s' % (name, result.get('new_primary'), why))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
