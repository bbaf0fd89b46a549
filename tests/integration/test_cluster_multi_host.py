# -*- coding: utf-8 -*-
"""The cluster roles with topology multi_host, run by ansible-playbook on this one Docker host as if each node
had its own: every node on the default bridge (no shared user network), its server published on 0.0.0.0 at a
port of its own, and everything (replicas, standbys, HAProxy, PgBouncer) reaching the nodes at the bridge
gateway's address and those published ports, never by container name. Also the roles' refusals: two primaries,
ports that other hosts cannot reach, samenet across hosts; and a standby whose primary is unreachable."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import ipaddress
import os
import socket
import subprocess
import sys
import uuid

import pytest

from conftest import COLLECTIONS, ROOT, container_names, ip_on, remove_containers, mysql_query, pg_query, run_module, wait_for

HOSTS_PLAY = r'''
- name: The nodes, each standing in for a host of its own
  hosts: localhost
  gather_facts: false
  tasks:
    - name: MariaDB nodes
      ansible.builtin.add_host:
        name: "{{ item.name }}"
        groups: [mysql_cluster]
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
        mysql_cluster_role: "{{ item.role }}"
        mysql_cluster_address: "{{ mh_address }}"
        mysql_cluster_port: "{{ item.port }}"
      loop: "{{ mh_mysql_nodes }}"

    - name: PostgreSQL nodes
      ansible.builtin.add_host:
        name: "{{ item.name }}"
        groups: [postgresql_cluster]
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
        postgresql_cluster_role: "{{ item.role }}"
        postgresql_cluster_address: "{{ mh_address }}"
        postgresql_cluster_port: "{{ item.port }}"
      loop: "{{ mh_pg_nodes }}"
'''

CLUSTER_PLAYS = r'''
- name: MariaDB, semi-sync, behind HAProxy
  hosts: mysql_cluster
  gather_facts: false
  vars:
    mysql_cluster_name: "{{ mh_prefix }}-orders"
    mysql_cluster_topology: multi_host
    mysql_cluster_state: "{{ mh_state }}"
    mysql_cluster_replication_password: "{{ mh_replication_password }}"
    mysql_cluster_writer_port: "{{ mh_writer_port }}"
    mysql_cluster_reader_port: "{{ mh_reader_port }}"
    mysql_flavor: mariadb
    mysql_memory: 1g
    mysql_cpus: 1
    mysql_root_password: "{{ mh_root_password }}"
    mysql_password: "{{ mh_app_password }}"
    mysql_labels: {test.dbops: "true"}
    mysql_purge_data: "{{ mh_state == 'absent' }}"
  roles:
    - role: dbops.containers.mysql_cluster

- name: PostgreSQL behind PgBouncer
  hosts: postgresql_cluster
  gather_facts: false
  vars:
    postgresql_cluster_name: "{{ mh_prefix }}-billing"
    postgresql_cluster_topology: multi_host
    postgresql_cluster_state: "{{ mh_state }}"
    postgresql_cluster_replication_password: "{{ mh_replication_password }}"
    postgresql_cluster_pgbouncer_port: "{{ mh_pgbouncer_port }}"
    postgresql_memory: 1g
    postgresql_cpus: 1
    postgresql_root_password: "{{ mh_root_password }}"
    postgresql_password: "{{ mh_app_password }}"
    postgresql_labels: {test.dbops: "true"}
    postgresql_purge_data: "{{ mh_state == 'absent' }}"
  roles:
    - role: dbops.containers.postgresql_cluster
'''

STATUS_PLAY = '''
- name: One table per cluster
  ansible.builtin.import_playbook: dbops.containers.cluster_status
'''

ROOT_PASSWORD = 'Mh-r00t;pw"x'
APP_PASSWORD = 'Mh-app-pw1'
REPLICATION_PASSWORD = 'Mh-repl:pw\\1'


def free_ports(count):
    sockets, ports = [], []
    for _attempt in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(('0.0.0.0', 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


def bridge_gateway(client):
    """The host's address on the default bridge. Docker 20.10 (Debian bookworm's docker.io) leaves
    Gateway out of the bridge's IPAM config; the daemon then gives the host the subnet's first address."""
    config = client.networks.get('bridge').attrs['IPAM']['Config'][0]
    if config.get('Gateway'):
        return config['Gateway']
    return str(next(ipaddress.ip_network(config['Subnet']).hosts()))


class Cluster(object):
    """One test's prefix, ports and playbook runs."""

    def __init__(self, client, tmp_path, mysql_roles=('primary', 'replica'), pg_roles=('primary', 'standby')):
        self.client = client
        self.prefix = 'dbt-%s-mh' % uuid.uuid4().hex[:6]
        self.address = bridge_gateway(client)
        ports = free_ports(len(mysql_roles) + len(pg_roles) + 3)
        self.mysql_nodes = [{'name': '%s-my%d' % (self.prefix, i + 1), 'role': role, 'port': ports.pop()}
                            for i, role in enumerate(mysql_roles)]
        self.pg_nodes = [{'name': '%s-pg%d' % (self.prefix, i + 1), 'role': role, 'port': ports.pop()}
                         for i, role in enumerate(pg_roles)]
        self.writer_port, self.reader_port, self.pgbouncer_port = ports
        self.playbook = tmp_path / 'multi_host.yml'
        self.playbook.write_text(HOSTS_PLAY + CLUSTER_PLAYS)
        self.status_playbook = tmp_path / 'status.yml'
        self.status_playbook.write_text(HOSTS_PLAY + STATUS_PLAY)
        self.vars_file = tmp_path / 'vars.json'

    def run(self, state='started', playbook=None, **extra):
        variables = {
            'mh_prefix': self.prefix, 'mh_state': state, 'mh_address': self.address,
            'mh_mysql_nodes': self.mysql_nodes, 'mh_pg_nodes': self.pg_nodes,
            'mh_writer_port': self.writer_port, 'mh_reader_port': self.reader_port,
            'mh_pgbouncer_port': self.pgbouncer_port, 'mh_root_password': ROOT_PASSWORD,
            'mh_app_password': APP_PASSWORD, 'mh_replication_password': REPLICATION_PASSWORD}
        variables.update(extra)
        self.vars_file.write_text(json.dumps(variables))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
                   DBOPS_IMAGE_SOURCE='local')
        command = ['ansible-playbook', '-i', 'localhost,', '-c', 'local',
                   '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', '@%s' % self.vars_file,
                   str(playbook or self.playbook)]
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False, cwd=ROOT)
        return proc.returncode, proc.stdout + proc.stderr

    def leftovers(self):
        """Containers, volumes and networks named after this test's prefix."""
        return (container_names(self.client, self.prefix)
                + [v.name for v in self.client.volumes.list() if v.name.startswith(self.prefix)]
                + [n.name for n in self.client.networks.list() if n.name.startswith(self.prefix)])

    def remove(self):
        code, output = self.run('absent')
        remove_containers(self.client, self.prefix)
        for volume in self.client.volumes.list():
            if volume.name.startswith(self.prefix):
                volume.remove(force=True)
        for network in self.client.networks.list():
            if network.name.startswith(self.prefix):
                network.remove()
        return code, output


def mysql_var(host, name):
    return mysql_query(host, 'SELECT @@GLOBAL.%s' % name, password=ROOT_PASSWORD)[0][0]


def test_multi_host_clusters(docker_client, local_images, tmp_path):
    cluster = Cluster(docker_client, tmp_path)
    primary, replica = [node['name'] for node in cluster.mysql_nodes]
    pg_primary, pg_standby = [node['name'] for node in cluster.pg_nodes]
    try:
        code, output = cluster.run()
        assert code == 0, output[-5000:]
        assert REPLICATION_PASSWORD not in output and ROOT_PASSWORD not in output

        # Separate hosts: nothing shares a user network, each server is published on 0.0.0.0 at its own port.
        assert not [n.name for n in docker_client.networks.list() if n.name.startswith(cluster.prefix)]
        for node, inner in [(n, '3306/tcp') for n in cluster.mysql_nodes] + [(n, '5432/tcp') for n in cluster.pg_nodes]:
            attrs = docker_client.containers.get(node['name']).attrs
            assert list(attrs['NetworkSettings']['Networks']) == ['bridge'], node
            assert attrs['HostConfig']['PortBindings'][inner] == [{'HostIp': '0.0.0.0', 'HostPort': str(node['port'])}]
        for endpoint in (cluster.prefix + '-orders-haproxy', cluster.prefix + '-billing-pgbouncer'):
            assert list(docker_client.containers.get(endpoint).attrs['NetworkSettings']['Networks']) == ['bridge']

        # MariaDB: the replica follows the primary at address:published port, semi-sync acknowledges.
        primary_ip, replica_ip = ip_on(docker_client, primary, 'bridge'), ip_on(docker_client, replica, 'bridge')
        source = mysql_query(replica_ip, 'SHOW SLAVE STATUS', password=ROOT_PASSWORD)
        conn_status = dict(zip(('host', 'port'), (source[0][1], source[0][3])))
        assert conn_status == {'host': cluster.address, 'port': cluster.mysql_nodes[0]['port']}, source
        mysql_query('127.0.0.1', 'CREATE TABLE mh (id INT PRIMARY KEY, v VARCHAR(20))', user='appuser',
                    password=APP_PASSWORD, database='production', port=cluster.writer_port)
        mysql_query('127.0.0.1', "INSERT INTO mh VALUES (1, 'through haproxy')", user='appuser',
                    password=APP_PASSWORD, database='production', port=cluster.writer_port)
        wait_for(lambda: mysql_query(replica_ip, 'SELECT v FROM production.mh WHERE id = 1', password=ROOT_PASSWORD))
        assert mysql_query('127.0.0.1', 'SELECT @@hostname', user='appuser', password=APP_PASSWORD,
                           port=cluster.reader_port)[0][0] == docker_client.containers.get(replica).attrs['Config']['Hostname']
        status = run_module('db_replication', {'role': 'status', 'container': primary, 'semi_sync': True})
        assert status['severity'] == 'ok', status['status']
        assert status['status']['semi_sync']['source_status'] and status['status']['semi_sync']['source_clients'] == 1

        # Semi-sync is a server setting on every node: a restart keeps it (SET GLOBAL alone would not).
        for name in (primary, replica):
            flags = docker_client.containers.get(name).exec_run(
                ['sh', '-c', 'cat /etc/mysql/conf.d/*.cnf /etc/mysql/mariadb.conf.d/*.cnf 2>/dev/null']).output.decode()
            assert 'rpl_semi_sync_master_enabled' in flags and 'rpl_semi_sync_slave_enabled' in flags, flags
        docker_client.containers.get(primary).restart()
        primary_ip = ip_on(docker_client, primary, 'bridge')
        assert mysql_var(primary_ip, 'rpl_semi_sync_master_enabled') == 1
        assert mysql_var(primary_ip, 'rpl_semi_sync_master_wait_point') == 'AFTER_SYNC'
        assert mysql_var(primary_ip, 'read_only') == 0
        docker_client.containers.get(replica).restart()
        replica_ip = ip_on(docker_client, replica, 'bridge')
        assert mysql_var(replica_ip, 'rpl_semi_sync_slave_enabled') == 1
        # The replica comes back read-only by its start-up file (db_replication wrote it), not writable
        # until the role runs again; the primary's says writable.
        assert mysql_var(replica_ip, 'read_only') == 1

        def replica_connected():
            result = run_module('db_replication', {'role': 'status', 'container': replica, 'semi_sync': True})
            return result if result.get('status') and result['status']['io_running'] else None
        status = wait_for(replica_connected)
        assert not any('read_only OFF' in r for r in status['status']['reasons']), status['status']
        # After both restarts a commit through the endpoint is acknowledged by the replica again.
        mysql_query('127.0.0.1', "INSERT INTO mh VALUES (2, 'after restarts')", user='appuser',
                    password=APP_PASSWORD, database='production', port=cluster.writer_port)
        wait_for(lambda: mysql_query(replica_ip, 'SELECT v FROM production.mh WHERE id = 2', password=ROOT_PASSWORD))
        counters = dict(mysql_query(primary_ip, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'",
                                    password=ROOT_PASSWORD))
        assert counters['Rpl_semi_sync_master_status'] == 'ON' and counters['Rpl_semi_sync_master_clients'] == '1'

        # PostgreSQL: the standby streams from address:published port; a write through PgBouncer reaches it.
        pg_primary_ip, pg_standby_ip = ip_on(docker_client, pg_primary, 'bridge'), ip_on(docker_client, pg_standby, 'bridge')
        conninfo = pg_query(pg_standby_ip, 'SHOW primary_conninfo', password=ROOT_PASSWORD)[0][0]
        assert 'host=%s' % cluster.address in conninfo and 'port=%s' % cluster.pg_nodes[0]['port'] in conninfo
        assert pg_query(pg_primary_ip, 'SELECT state FROM pg_stat_replication', password=ROOT_PASSWORD) == \
            [('streaming',)]
        hba = pg_query(pg_primary_ip, "SELECT address, netmask FROM pg_hba_file_rules WHERE 'replication' = "
                                      "ANY(database) AND 'replicator' = ANY(user_name)", password=ROOT_PASSWORD)
        assert hba == [(cluster.address, '255.255.255.255')], hba
        # pg_basebackup copied pg_hba.conf: a promoted standby lets the others in too.
        assert pg_query(pg_standby_ip, "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
                                       "AND address = '%s'" % cluster.address, password=ROOT_PASSWORD) == [(1,)]
        pg_query('127.0.0.1', 'CREATE TABLE mh (id int PRIMARY KEY, v text)', user='appuser',
                 password=APP_PASSWORD, database='production', port=cluster.pgbouncer_port)
        pg_query('127.0.0.1', "INSERT INTO mh VALUES (1, 'through pgbouncer')", user='appuser',
                 password=APP_PASSWORD, database='production', port=cluster.pgbouncer_port)
        # pg_query retries while the table is not there yet.
        assert pg_query(pg_standby_ip, 'SELECT v FROM mh WHERE id = 1', password=ROOT_PASSWORD,
                        database='production') == [('through pgbouncer',)]

        # cluster_status on a stopped replica: a critical row, and the playbook fails (unless told not to).
        mysql_query(replica_ip, 'STOP SLAVE', password=ROOT_PASSWORD)
        code, output = cluster.run(playbook=cluster.status_playbook)
        assert code != 0, output[-4000:]
        rows = [line for line in output.splitlines() if line.strip().strip('",').startswith(replica + ' ')]
        assert rows and 'critical' in rows[0] and 'IO No / SQL No' in rows[0], output[-4000:]
        assert 'Critical: %s.' % replica in output and 'Run playbooks/cluster.yml to repair replication' in output
        assert not [line for line in output.splitlines() if line.strip().strip('",').startswith(primary + ' ')
                    and 'critical' in line]
        code, output = cluster.run(playbook=cluster.status_playbook, cluster_status_fail=False)
        assert code == 0 and 'Critical:' not in output, output[-3000:]

        # A second run repairs the stopped, writable replica and changes nothing else.
        code, output = cluster.run()
        assert code == 0, output[-5000:]
        assert mysql_var(replica_ip, 'read_only') == 1
        status = run_module('db_replication', {'role': 'status', 'container': replica, 'semi_sync': True})
        assert status['severity'] == 'ok', status['status']
        code, output = cluster.run()
        assert code == 0 and 'changed=0' in output and 'changed=1' not in output, output[-5000:]
    finally:
        code, output = cluster.remove()
        assert code == 0, output[-3000:]
        assert not cluster.leftovers()


def refused(cluster, *extra_args, **extra_vars):
    code, output = cluster.run(**extra_vars)
    try:
        assert code != 0, output[-3000:]
        assert not cluster.leftovers(), output[-3000:]
    finally:
        cluster.remove()
    return output


@pytest.mark.parametrize('engine', ['mysql', 'postgresql'])
def test_two_primaries_refused_before_anything_exists(docker_client, tmp_path, engine):
    if engine == 'mysql':
        cluster = Cluster(docker_client, tmp_path, mysql_roles=('primary', 'primary'), pg_roles=())
    else:
        cluster = Cluster(docker_client, tmp_path, mysql_roles=(), pg_roles=('primary', 'primary', 'standby'))
    output = refused(cluster)
    assert '%s_cluster_role: the group %s_cluster must have exactly one primary' % (engine, engine) in output, \
        output[-3000:]
    assert 'Set %s_cluster_role on the hosts' % engine in output


def test_multi_host_ports_other_hosts_cannot_reach_refused(docker_client, tmp_path):
    cluster = Cluster(docker_client, tmp_path, pg_roles=())
    # The right port, on loopback (templated per host).
    output = refused(cluster, mysql_published_ports=['127.0.0.1:{{ mysql_cluster_port }}:3306'])
    assert 'mysql_published_ports: with mysql_cluster_topology multi_host' in output, output[-3000:]
    assert 'Remove mysql_published_ports' in output
    cluster = Cluster(docker_client, tmp_path, mysql_roles=())
    output = refused(cluster, postgresql_published_ports=['0.0.0.0:5432:5432'])
    assert 'postgresql_published_ports: with postgresql_cluster_topology multi_host' in output, output[-3000:]


def test_multi_host_samenet_refused(docker_client, tmp_path):
    cluster = Cluster(docker_client, tmp_path, mysql_roles=())
    output = refused(cluster, postgresql_cluster_hba_source='samenet')
    assert 'postgresql_cluster_hba_source: samenet means' in output, output[-3000:]
    assert 'Set postgresql_cluster_hba_source to the CIDR' in output and 'leave it empty' in output
    cluster = Cluster(docker_client, tmp_path, mysql_roles=())
    output = refused(cluster, mh_address='db-b.example.internal')
    assert 'db-b.example.internal (postgresql_cluster_address) is a host name' in output, output[-3000:]


def test_standby_of_an_unreachable_primary(docker_client, local_images, tmp_path):
    """Nothing listens on the gateway's closed port: a clear error, and the standby gets no volume at all."""
    password_file = tmp_path / 'replication'
    password_file.write_text('Unreach-pw1\n')
    standby = 'dbt-%s-mhunr' % uuid.uuid4().hex[:6]
    closed = free_ports(1)[0]
    try:
        result = run_module('db_replication', {
            'role': 'replica', 'engine': 'postgres', 'container': standby, 'primary_host': bridge_gateway(docker_client),
            'primary_port': closed, 'image': local_images['postgres'],
            'replication_password_file': str(password_file), 'wait_timeout': 30})
        assert result.failed and result['parameter'] == 'primary_host', result
        assert 'cannot reach the primary at %s:%d' % (bridge_gateway(docker_client), closed) in result['msg']
        assert 'Nothing was changed' in result['msg'] and 'Unreach-pw1' not in result['msg']
        assert not [v.name for v in docker_client.volumes.list() if v.name.startswith(standby)]
        # An empty data volume that is already there stays empty.
        docker_client.volumes.create(standby + '-data', labels={'test.dbops': 'true'})
        result = run_module('db_replication', {
            'role': 'replica', 'engine': 'postgres', 'container': standby, 'primary_host': bridge_gateway(docker_client),
            'primary_port': closed, 'image': local_images['postgres'],
            'replication_password_file': str(password_file), 'wait_timeout': 30})
        assert result.failed and result['parameter'] == 'primary_host', result
        assert sorted(v.name for v in docker_client.volumes.list() if v.name.startswith(standby)) == [standby + '-data']
        left = docker_client.containers.run('localhost/dbops/tools:bookworm', ['sh', '-c', 'ls -A /d'], entrypoint=[],
                                            remove=True, volumes={standby + '-data': {'bind': '/d'}})
        assert left.strip() == b''
    finally:
        for volume in docker_client.volumes.list():
            if volume.name.startswith(standby):
                volume.remove(force=True)
