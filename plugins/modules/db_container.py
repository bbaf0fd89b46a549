#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: db_container
short_description: Run a production-tuned database server in a Docker container
version_added: 0.1.0
description:
  - Runs one MySQL, MariaDB, PostgreSQL or MongoDB server in a Docker container, through the Docker SDK.
  - Derives the engine's memory and concurrency settings from the container's O(memory), O(cpus) and O(profile)
    (buffer pool and redo log, C(shared_buffers), C(work_mem), WAL sizes, WiredTiger cache, connections, ...).
    O(settings) overrides any of them. The effective values are returned in RV(settings).
  - Checks every setting against the engine and version of the image before anything is created. Settings the
    version removed are refused with their replacement; deprecated ones are translated with a warning.
  - Passwords are written to C(0600) files in a read-only secrets volume and passed to the image through its
    C(*_FILE) variables, so they never appear in the container's environment, in C(docker inspect) or in logs.
  - Data, configuration and logs live in volumes (named volumes or host paths). A change that needs a new
    container recreates it on the same data volume. The data volume is removed only by O(state=absent) with
    O(purge_data=true).
  - One server per data directory. A volume or host path that another container mounts, running or stopped, is
    refused, naming that container (two servers on one data directory corrupt it).
  - A change to an existing server is a transaction. The previous container is set aside, not removed, until its
    successor is healthy; if the server does not come back healthy within O(wait_timeout), the previous
    configuration file, limits and container are restored and started again, and the task fails naming the
    setting the server's own log blames, with that log line. The data volume is never written by a change.
  - A container re-created on kept data with another O(root_password) fails at once naming O(root_password)
    (the images set the password only on an empty data directory); the container it created is removed and the
    data volume is left as it was.
  - Every check runs before the first change, so bad input changes nothing.
author:
  - dbops.containers contributors (@dbops)
extends_documentation_fragment:
  - dbops.containers.docker
  - dbops.containers.login
attributes:
  check_mode:
    support: full
    description: Reports the actions it would take; nothing is created, pulled or changed.
  diff_mode:
    support: full
    description: Shows the container spec, its resources and the rendered configuration file, before and after.
options:
  name:
    description: Name of the container. Volumes are named after it unless given.
    type: str
    required: true
  engine:
    description: The database engine the image runs.
    type: str
    required: true
    choices: [mysql, mariadb, postgres, mongodb]
  image:
    description:
      - Image to run. When not set, the engine's official image at a current supported version
        (V(mysql:8.4), V(mariadb:11.8), V(postgres:18), V(mongo:8.0)), or the project's local image when
        O(image_source=local).
    type: str
  image_source:
    description:
      - Where the default image comes from when O(image) is not set. V(local) chooses the images the project
        builds from Debian packages, at the newest version of each engine Debian serves
        (C(localhost/dbops/mysql:9.7), C(localhost/dbops/mariadb:11.8), C(localhost/dbops/postgres:18)); the
        older local images (C(localhost/dbops/mariadb:10.11), C(localhost/dbops/postgres:15) and C(:17)) are
        chosen with O(image).
      - Defaults to the E(DBOPS_IMAGE_SOURCE) environment variable, then V(official).
    type: str
    choices: [official, local]
  engine_version:
    description:
      - The engine version, when it cannot be read from the image (official images carry it in their environment,
        others in their tag). Settings are validated against it.
    type: str
  pull:
    description: When to pull the image.
    type: str
    choices: [missing, always, never]
    default: missing
  state:
    description:
      - V(started) creates the container if needed and makes sure it runs with these arguments.
      - V(stopped) creates it if needed and stops it. V(restarted) restarts it in any case.
      - V(absent) stops and removes the container and its configuration and secrets volumes; the data and logs
        volumes stay unless O(purge_data=true).
    type: str
    choices: [started, stopped, restarted, absent]
    default: started
  purge_data:
    description: With O(state=absent), also remove the data and logs volumes. Host paths are never deleted.
    type: bool
    default: false
  memory:
    description: Memory limit, for example V(4g), V(512M) or V(2GiB). The tuned settings are derived from it.
    type: str
    default: 1g
  memory_swap:
    description: Memory plus swap. Defaults to O(memory), which gives the container no swap. V(-1) allows unlimited swap.
    type: str
  cpus:
    description: CPUs the container may use (a CFS quota, as C(docker run --cpus)).
    type: float
    default: 1
  shm_size:
    description: Size of C(/dev/shm). Defaults to a quarter of O(memory) for PostgreSQL (parallel query), 64m otherwise.
    type: str
  tmpfs_size:
    description: Size of the C(noexec,nosuid) tmpfs on C(/tmp). Defaults to a quarter of O(memory); it counts against it.
    type: str
  ulimits:
    description:
      - Resource limits, as C(name) to V(limit) or V(soft:hard).
      - When not set, C(nofile) is V(65536:65536), lowered with a warning to the Docker engine's own limit when
        that is smaller. An explicit value above the engine's limit is an error.
    type: dict
  profile:
    description: The workload the settings are tuned for (as PGTune's profiles).
    type: str
    choices: [oltp, web, dw, mixed]
    default: oltp
  settings:
    description:
      - Engine settings that override the derived ones, by their configuration-file name
        (C(innodb_buffer_pool_size), C(shared_buffers), C(storage.wiredTiger.engineConfig.cacheSizeGB)).
      - Sizes accept V(4g), V(512M) or V(2GiB).
      - Before any change, in check mode too, the image's own server judges the configuration (MySQL
        C(mysqld --validate-config), MariaDB C(mariadbd --verbose --help), PostgreSQL C(postgres -C) and
        C(--describe-config), in a throw-away container). Unknown names, wrong types, units, choices and values out
        of the server's range are refused naming the setting. MongoDB settings are checked against the catalog only.
      - Names and values that could escape their line in the configuration file are refused (control characters,
        C(#) and backslashes for MySQL and MariaDB, backslashes for PostgreSQL).
    type: dict
    default: {}
  root_password:
    description:
      - Password of the superuser (C(root) for MySQL and MariaDB, C(postgres) for PostgreSQL, C(admin) for MongoDB).
      - Required unless O(state=absent). Used when the data volume is initialised; it must match the server's
        password afterwards.
    type: str
  database:
    description: A database created when the data volume is initialised.
    type: str
  user:
    description: An application account created when the data volume is initialised, owning O(database).
    type: str
  password:
    description: Password of O(user).
    type: str
  cluster_key_file:
    description:
      - MongoDB only. Path of a key file on the host that runs the module, holding the key the members of a
        replica set share for internal authentication (6 to 1024 characters of the base64 set, for example
        from C(openssl rand -base64 756)).
      - The key is written to C(cluster_key) (mode C(0400), owned by the server's user) in the secrets volume and
        the server's C(security.keyFile) points at it. It never reaches the environment, C(docker inspect) or
        the task output.
      - Set C(replication.replSetName) in O(settings) too; then initiate the set with
        M(dbops.containers.db_replication) and C(role=replicaset).
      - The key of an existing container is not replaced; a different key is refused.
    type: path
    version_added: 0.2.0
  data_volume:
    description: Named volume or absolute host path for the data directory. Defaults to a volume C(<name>-data).
    type: str
  config_volume:
    description: Named volume or absolute host path for the rendered configuration. Defaults to C(<name>-config).
    type: str
  logs_volume:
    description: Named volume or absolute host path for the server's log files. Defaults to C(<name>-logs).
    type: str
  published_ports:
    description:
      - Ports to publish, as V(container_port), V(host_port:container_port) or V(address:host_port:container_port).
      - Without an address the port binds to C(127.0.0.1) only.
    type: list
    elements: str
    default: []
  networks:
    description: Networks to connect, by name or as a dictionary with C(name) and C(aliases). They must exist.
    type: list
    elements: raw
    default: []
  labels:
    description: Labels to add. Labels starting with C(dbops.) are reserved.
    type: dict
    default: {}
  restart_policy:
    description: Docker restart policy.
    type: str
    choices: ['no', on-failure, always, unless-stopped]
    default: unless-stopped
  security_opts:
    description: Docker security options.
    type: list
    elements: str
    default: ['no-new-privileges:true']
  stop_timeout:
    description: Seconds the server gets to shut down cleanly before it is killed.
    type: int
    default: 60
  wait:
    description: Return only when the server answers a real query (the health check command, run in the container).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the server. On timeout the module fails with the container's last log lines.
    type: int
    default: 300
notes:
  - The module runs where the Docker SDK can reach the engine; it writes no files on that machine.
  - Changing O(root_password) of an initialised server is refused; change the password in the database first.
  - The login options (O(login_host), O(login_user), O(login_password), O(login_password_file), O(login_port),
    O(login_db), O(connect_timeout)) are accepted so that one C(module_defaults) block for
    C(group/dbops.containers.db) serves every module. This module does not log in to the server it runs (it sets
    the superuser's password from O(root_password) and waits for the server inside the container), so it ignores
    them.
seealso:
  - name: PGTune
    description: The PostgreSQL formulas the derived settings follow.
    link: https://pgtune.leopard.in.ua/
'''

EXAMPLES = r'''
- name: A tuned MariaDB for an OLTP workload, 4 GiB and 2 CPUs
  dbops.containers.db_container:
    name: orders-db
    engine: mariadb
    memory: 4g
    cpus: 2
    root_password: "{{ vault_orders_root_password }}"
    database: orders
    user: orders
    password: "{{ vault_orders_password }}"
    published_ports: ["3306"]

- name: PostgreSQL for analytics, with one setting overridden
  dbops.containers.db_container:
    name: warehouse
    engine: postgres
    image: postgres:17
    memory: 16g
    cpus: 8
    profile: dw
    root_password: "{{ vault_pg_password }}"
    settings:
      work_mem: 64MB
    networks:
      - name: backend
        aliases: [warehouse-db]

- name: A MongoDB replica set member (initiate the set with db_replication role=replicaset)
  dbops.containers.db_container:
    name: mongo1
    engine: mongodb
    memory: 4g
    root_password: "{{ vault_mongo_root_password }}"
    cluster_key_file: /etc/dbops/rs0.key
    settings:
      replication.replSetName: rs0
    networks:
      - name: backend
        aliases: [mongo1]

- name: Remove a container and everything it stored
  dbops.containers.db_container:
    name: scratch-db
    engine: mysql
    state: absent
    purge_data: true
'''

RETURN = r'''
settings:
  description: The effective engine settings (derived, then overridden by O(settings)), in the engine's syntax.
  returned: when state is not absent
  type: dict
  sample: {innodb_buffer_pool_size: 2G, max_connections: 224}
actions:
  description: What the module did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create_volumes, write_config, write_secrets, create, start, wait]
container:
  description: The container after the run.
  returned: always
  type: dict
  contains:
    name:
      description: Container name.
      type: str
    id:
      description: Container ID.
      type: str
    status:
      description: Docker status (C(running), C(exited), C(created)) or C(absent).
      type: str
    health:
      description: Docker health status.
      type: str
    ip_addresses:
      description: IP address per network.
      type: dict
    ports:
      description: Published ports as Docker reports them.
      type: dict
engine:
  description: The engine.
  returned: always
  type: str
  sample: mariadb
version:
  description: The engine version the settings were validated for.
  returned: when state is not absent
  type: str
  sample: 10.11.0
image:
  description: The image the container runs.
  returned: when state is not absent
  type: str
  sample: mariadb:11.8
volumes:
  description: Volume names (or host paths) for data, config, logs and secrets.
  returned: when state is not absent
  type: dict
  sample: {data: orders-db-data, config: orders-db-config, logs: orders-db-logs, secrets: orders-db-secrets}
kept_volumes:
  description: With O(state=absent), the volumes that were kept.
  returned: when state is absent
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.options import (
    LOGIN_MUTUALLY_EXCLUSIVE, argument_spec as shared_argument_spec)
from ansible_collections.dbops.containers.plugins.module_utils.provision import Provisioner


def argument_spec():
    return shared_argument_spec(
        name=dict(type='str', required=True),
        engine=dict(type='str', required=True, choices=['mysql', 'mariadb', 'postgres', 'mongodb']),
        image=dict(type='str'),
        image_source=dict(type='str', choices=['official', 'local'], fallback=(env_fallback, ['DBOPS_IMAGE_SOURCE'])),
        engine_version=dict(type='str'),
        pull=dict(type='str', default='missing', choices=['missing', 'always', 'never']),
        state=dict(type='str', default='started', choices=['started', 'stopped', 'restarted', 'absent']),
        purge_data=dict(type='bool', default=False),
        memory=dict(type='str', default='1g'),
        memory_swap=dict(type='str'),
        cpus=dict(type='float', default=1),
        shm_size=dict(type='str'),
        tmpfs_size=dict(type='str'),
        ulimits=dict(type='dict'),
        profile=dict(type='str', default='oltp', choices=['oltp', 'web', 'dw', 'mixed']),
        settings=dict(type='dict', default={}),
        root_password=dict(type='str', no_log=True),
        database=dict(type='str'),
        user=dict(type='str'),
        password=dict(type='str', no_log=True),
        cluster_key_file=dict(type='path'),
        data_volume=dict(type='str'),
        config_volume=dict(type='str'),
        logs_volume=dict(type='str'),
        published_ports=dict(type='list', elements='str', default=[]),
        networks=dict(type='list', elements='raw', default=[]),
        labels=dict(type='dict', default={}),
        restart_policy=dict(type='str', default='unless-stopped', choices=['no', 'on-failure', 'always', 'unless-stopped']),
        security_opts=dict(type='list', elements='str', default=['no-new-privileges:true']),
        stop_timeout=dict(type='int', default=60),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=300),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=LOGIN_MUTUALLY_EXCLUSIVE)
    try:
        result = Provisioner(module.params, check_mode=module.check_mode, warn=module.warn).run()
    except DbopsError as exc:
        module.fail_json(msg=str(exc), parameter=exc.parameter, changed=False)
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
