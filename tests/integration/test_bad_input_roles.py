# -*- coding: utf-8 -*-
"""Bad role variables: each role refuses them before it creates or changes anything.

Every case runs a small playbook that includes one role with one bad variable (a misspelled
name, a wrong type, an out-of-range port, a bad size, duration, choice, engine or alert name)
and asserts that the play fails, that the message names the variable (and the closest valid
name for a misspelling), and that no container, volume or network was created or changed.
The engine roles' cases target a running server of their own (a MariaDB, a PostgreSQL), which
must keep running untouched: a misspelled variable used to be ignored silently, so the role
re-provisioned the server with the defaults it had not meant to use.

The check runs first in every role, on the controller, so each case takes a few seconds.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml

from conftest import COLLECTIONS, ROOT, base_args, mysql_query, pg_query, remove_everything, run_module

TOKEN = 'dbt-rv%s' % uuid.uuid4().hex[:6]
ROOT_PASSWORD = 'R00t-pass;word"x'


@pytest.fixture(scope='module')
def servers(docker_client):
    """A running MariaDB and a running PostgreSQL, made by db_container, that the engine roles' cases target."""
    names = {'mariadb': TOKEN + '-mariadb', 'postgres': TOKEN + '-postgres'}
    for engine, name in names.items():
        result = run_module('db_container', base_args(name, engine, memory='512m', published_ports=[]))
        assert not result.failed, result.get('msg')
    yield names
    for name in names.values():
        remove_everything(docker_client, name)


def snapshot(client, watched):
    """What a case must leave as it was: everything named after this file's token, in detail."""
    containers = []
    # One listing call, then inspect only ours: other tests' containers come and go meanwhile.
    names = [summary['Names'][0].lstrip('/') for summary in client.api.containers(all=True) if summary.get('Names')]
    for name in names:
        if TOKEN in name or name in watched:
            attrs = client.api.inspect_container(name)
            containers.append((name, attrs['Id'], attrs['State']['Status'], attrs['State']['StartedAt'],
                               attrs['RestartCount'], sorted(attrs['NetworkSettings']['Networks']),
                               attrs['HostConfig'].get('Memory'), attrs['HostConfig'].get('NanoCpus'),
                               json.dumps(attrs['HostConfig'].get('PortBindings'), sort_keys=True),
                               json.dumps(attrs['Config'].get('Labels'), sort_keys=True)))
    volumes = sorted(volume.name for volume in client.volumes.list() if TOKEN in volume.name)
    networks = sorted(network.name for network in client.networks.list() if TOKEN in network.name)
    return sorted(containers), volumes, networks


def run(tmp_path, play, variables, inventory=None, check=False):
    """ansible-playbook with the checkout's collection: (exit code, output)."""
    (tmp_path / 'vars.json').write_text(json.dumps(variables))
    (tmp_path / 'play.yml').write_text(play)
    inventory_file = tmp_path / 'inventory.yml'
    inventory_file.write_text(yaml.safe_dump(inventory or {
        'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               DBOPS_IMAGE_SOURCE='local')
    command = ['ansible-playbook', '-i', str(inventory_file), '-e', 'ansible_python_interpreter=%s' % sys.executable,
               '-e', '@%s' % (tmp_path / 'vars.json'), str(tmp_path / 'play.yml')]
    if check:
        command.append('--check')
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def role_play(role, hosts='all'):
    return ('- name: One role with bad input\n  hosts: %s\n  gather_facts: false\n  roles:\n'
            '    - role: dbops.containers.%s\n' % (hosts, role))


def cluster_inventory(group, host_vars=None):
    """Two local inventory hosts (the cluster's nodes) in one group; host_vars on the second."""
    hosts = {}
    for index in (1, 2):
        hosts['%s-n%d' % (TOKEN, index)] = {'ansible_connection': 'local'}
    second = '%s-n2' % TOKEN
    hosts[second].update(host_vars or {})
    return {'all': {'children': {group: {'hosts': hosts}}}}


# Each role's variables for a run that would otherwise go ahead, every name under this file's token.
def mysql_base(servers):
    return {'mysql_flavor': 'mariadb', 'mysql_container_name': servers['mariadb'], 'mysql_memory': '512m',
            'mysql_cpus': 1, 'mysql_root_password': ROOT_PASSWORD, 'mysql_database': 'app', 'mysql_user': 'app',
            'mysql_password': 'app-Pa55', 'mysql_published_ports': [], 'mysql_labels': {'test.dbops': 'true'},
            'mysql_wait_timeout': 120}


def postgresql_base(servers):
    return {'postgresql_container_name': servers['postgres'], 'postgresql_memory': '512m', 'postgresql_cpus': 1,
            'postgresql_root_password': ROOT_PASSWORD, 'postgresql_database': 'app', 'postgresql_user': 'app',
            'postgresql_password': 'app-Pa55', 'postgresql_published_ports': [],
            'postgresql_labels': {'test.dbops': 'true'}, 'postgresql_wait_timeout': 120}


def mongodb_base(_servers):
    return {'mongodb_container_name': TOKEN + '-mongo', 'mongodb_memory': '512m', 'mongodb_cpus': 1,
            'mongodb_root_password': ROOT_PASSWORD, 'mongodb_published_ports': [],
            'mongodb_labels': {'test.dbops': 'true'}}


def container_base(servers):
    return {'container_name': servers['mariadb'], 'container_engine': 'mariadb', 'container_memory': '512m',
            'container_image_source': 'local', 'container_root_password': ROOT_PASSWORD,
            'container_database': 'app', 'container_user': 'app', 'container_password': 'app-Pa55',
            'container_labels': {'test.dbops': 'true'}, 'container_wait_timeout': 120}


def mysql_cluster_base(_servers):
    return {'mysql_cluster_name': TOKEN + '-my', 'mysql_cluster_group': 'dbt_mysql_cluster',
            'mysql_cluster_replication_password': 'Repl-pa55', 'mysql_root_password': ROOT_PASSWORD,
            'mysql_password': 'app-Pa55',
            'mysql_memory': '512m', 'mysql_cpus': 1, 'mysql_published_ports': [],
            'mysql_cluster_labels': {'test.dbops': 'true'}, 'mysql_cluster_endpoint': 'none'}


def postgresql_cluster_base(_servers):
    return {'postgresql_cluster_name': TOKEN + '-pg', 'postgresql_cluster_group': 'dbt_pg_cluster',
            'postgresql_cluster_replication_password': 'Repl-pa55', 'postgresql_root_password': ROOT_PASSWORD,
            'postgresql_password': 'app-Pa55',
            'postgresql_memory': '512m', 'postgresql_cpus': 1, 'postgresql_published_ports': [],
            'postgresql_cluster_labels': {'test.dbops': 'true'}, 'postgresql_cluster_endpoint': 'none'}


def mongodb_replicaset_base(_servers):
    return {'mongodb_replicaset_name': TOKEN + '-rs', 'mongodb_replicaset_group': 'dbt_rs',
            'mongodb_replicaset_key': 'a' * 64, 'mongodb_replicaset_network': TOKEN + '-rsnet',
            'mongodb_replicaset_key_path': '/tmp/%s-rs.key' % TOKEN, 'mongodb_root_password': ROOT_PASSWORD,
            'mongodb_memory': '512m', 'mongodb_published_ports': []}


def failover_watcher_base(_servers):
    return {'failover_watcher_cluster': TOKEN + '-cl', 'failover_watcher_engine': 'mariadb',
            'failover_watcher_nodes': [{'name': TOKEN + '-n1'}, {'name': TOKEN + '-n2'}],
            'failover_watcher_network': TOKEN + '-wnet', 'failover_watcher_replication_password': 'Repl-pa55',
            'failover_watcher_labels': {'test.dbops': 'true'}}


def monitoring_base(servers):
    return {'monitoring_prefix': TOKEN + '-mon', 'monitoring_exporter_password': 'Exp-pa55',
            'monitoring_targets': [{'name': servers['mariadb'], 'engine': 'mariadb'}],
            'monitoring_grafana_enabled': False, 'monitoring_prometheus_published_ports': [],
            'monitoring_labels': {'test.dbops': 'true'}}


BASES = {
    'mysql': mysql_base, 'postgresql': postgresql_base, 'mongodb': mongodb_base, 'container': container_base,
    'mysql_cluster': mysql_cluster_base, 'postgresql_cluster': postgresql_cluster_base,
    'mongodb_replicaset': mongodb_replicaset_base, 'failover_watcher': failover_watcher_base,
    'monitoring': monitoring_base,
}
GROUPS = {'mysql_cluster': 'dbt_mysql_cluster', 'postgresql_cluster': 'dbt_pg_cluster', 'mongodb_replicaset': 'dbt_rs'}
# The server a role's cases target, which must keep running as it was.
TARGETS = {'mysql': 'mariadb', 'container': 'mariadb', 'postgresql': 'postgres', 'monitoring': 'mariadb'}
STOPPED = 'stopped before changing anything'

# (case id, role, bad variables, host variables of the second node (cluster roles), words the output must hold)
# Words in STOPPED mark the collection's own check; the others are refused by Ansible's argument specs first.
CASES = [
    # mysql (MariaDB running under the role's container name)
    ('mysql misspelled memory', 'mysql', {'mysql_memroy': '1g'}, None,
     ['mysql_memroy', 'did you mean mysql_memory?', STOPPED]),
    ('mysql misspelled password', 'mysql', {'mysql_root_pasword': 'x'}, None,
     ['mysql_root_pasword', 'did you mean mysql_root_password?', STOPPED]),
    ('mysql memory not a size', 'mysql', {'mysql_memory': 'lots'}, None, ['mysql_memory', 'not a size', STOPPED]),
    ('mysql port out of range', 'mysql', {'mysql_published_ports': ['127.0.0.1:70000:3306']}, None,
     ['mysql_published_ports', '70000', 'from 1 to 65535', STOPPED]),
    ('mysql zero cpus', 'mysql', {'mysql_cpus': 0}, None, ['mysql_cpus', 'greater than 0', STOPPED]),
    ('mysql wait timeout negative', 'mysql', {'mysql_wait_timeout': -5}, None,
     ['mysql_wait_timeout', 'from 1 to 86400', STOPPED]),
    ('mysql tmpfs size', 'mysql', {'mysql_tmpfs_size': '1x'}, None, ['mysql_tmpfs_size', 'not a size', STOPPED]),
    ('mysql container name', 'mysql', {'mysql_container_name': 'bad name'}, None,
     ['mysql_container_name', 'Docker name', STOPPED]),
    ('mysql cpus wrong type', 'mysql', {'mysql_cpus': 'two'}, None, ['mysql_cpus', 'float']),
    ('mysql unknown profile', 'mysql', {'mysql_profile': 'olap'}, None, ['mysql_profile', 'olap', 'oltp']),
    # postgresql (PostgreSQL running under the role's container name)
    ('postgresql misspelled password', 'postgresql', {'postgresql_pasword': 'x'}, None,
     ['postgresql_pasword', 'did you mean postgresql_password?', STOPPED]),
    ('postgresql memory not a size', 'postgresql', {'postgresql_memory': '4 gigs'}, None,
     ['postgresql_memory', 'not a size', STOPPED]),
    ('postgresql published port without a host port', 'postgresql', {'postgresql_published_ports': ['5432']}, None,
     ['postgresql_published_ports', 'not a published port', STOPPED]),
    ('postgresql wait timeout too long', 'postgresql', {'postgresql_wait_timeout': 100000}, None,
     ['postgresql_wait_timeout', 'from 1 to 86400', STOPPED]),
    ('postgresql unknown state', 'postgresql', {'postgresql_state': 'running'}, None, ['postgresql_state', 'running']),
    # mongodb
    ('mongodb misspelled memory', 'mongodb', {'mongodb_memory_limit': '1g'}, None,
     ['mongodb_memory_limit', 'did you mean mongodb_memory?', STOPPED]),
    ('mongodb negative cpus', 'mongodb', {'mongodb_cpus': -1}, None, ['mongodb_cpus', 'greater than 0', STOPPED]),
    ('mongodb container port zero', 'mongodb', {'mongodb_published_ports': ['127.0.0.1:27017:0']}, None,
     ['mongodb_published_ports', 'from 1 to 65535', STOPPED]),
    # container (internal role, included directly)
    ('container misspelled memory', 'container', {'container_memroy': '1g'}, None,
     ['container_memroy', 'did you mean container_memory?', STOPPED]),
    ('container zero wait', 'container', {'container_wait_timeout': 0}, None,
     ['container_wait_timeout', 'from 1 to 86400', STOPPED]),
    # mysql_cluster (two nodes; a bad host variable on the second stops both)
    ('mysql_cluster misspelled semi sync', 'mysql_cluster', {'mysql_cluster_semisync': False}, None,
     ['mysql_cluster_semisync', 'did you mean mysql_cluster_semi_sync?', STOPPED]),
    ('mysql_cluster writer port zero', 'mysql_cluster', {'mysql_cluster_writer_port': 0}, None,
     ['mysql_cluster_writer_port', 'from 1 to 65535', STOPPED]),
    ('mysql_cluster server id zero on one host', 'mysql_cluster', {}, {'mysql_cluster_server_id': 0},
     ['mysql_cluster_server_id', 'from 1 to 4294967295', STOPPED]),
    ('mysql_cluster misspelled host variable', 'mysql_cluster', {}, {'mysql_cluster_rol': 'replica'},
     ['mysql_cluster_rol', 'did you mean mysql_cluster_role?', STOPPED]),
    ('mysql_cluster unknown endpoint', 'mysql_cluster', {'mysql_cluster_endpoint': 'nginx'}, None,
     ['mysql_cluster_endpoint', 'nginx']),
    ('mysql_cluster a mysql variable misspelled', 'mysql_cluster', {'mysql_memmory': '1g'}, None,
     ['mysql_memmory', 'did you mean mysql_memory?', STOPPED]),
    # postgresql_cluster
    ('postgresql_cluster misspelled pgbouncer port', 'postgresql_cluster', {'postgresql_cluster_pgbouncer_prot': 1},
     None, ['postgresql_cluster_pgbouncer_prot', 'did you mean postgresql_cluster_pgbouncer_port?', STOPPED]),
    ('postgresql_cluster port too high', 'postgresql_cluster', {}, {'postgresql_cluster_port': 65536},
     ['postgresql_cluster_port', 'from 1 to 65535', STOPPED]),
    ('postgresql_cluster unknown pool mode', 'postgresql_cluster', {'postgresql_cluster_pgbouncer_pool_mode': 'txn'},
     None, ['postgresql_cluster_pgbouncer_pool_mode', 'txn']),
    ('postgresql_cluster zero client connections', 'postgresql_cluster',
     {'postgresql_cluster_pgbouncer_max_client_conn': 0}, None,
     ['postgresql_cluster_pgbouncer_max_client_conn', 'from 1 to 1000000', STOPPED]),
    # mongodb_replicaset
    ('mongodb_replicaset misspelled votes', 'mongodb_replicaset', {}, {'mongodb_replicaset_vote': 0},
     ['mongodb_replicaset_vote', 'did you mean mongodb_replicaset_votes?', STOPPED]),
    ('mongodb_replicaset two votes', 'mongodb_replicaset', {'mongodb_replicaset_votes': 2}, None,
     ['mongodb_replicaset_votes', 'from 0 to 1', STOPPED]),
    ('mongodb_replicaset port zero', 'mongodb_replicaset', {'mongodb_replicaset_port': 0}, None,
     ['mongodb_replicaset_port', 'from 1 to 65535', STOPPED]),
    # failover_watcher
    ('failover_watcher misspelled interval', 'failover_watcher', {'failover_watcher_probe_intervall': 2}, None,
     ['failover_watcher_probe_intervall', 'did you mean failover_watcher_probe_interval?', STOPPED]),
    ('failover_watcher zero probes', 'failover_watcher', {'failover_watcher_probes': 0}, None,
     ['failover_watcher_probes', 'from 1 to 1000', STOPPED]),
    ('failover_watcher notify url without scheme', 'failover_watcher',
     {'failover_watcher_notify_url': 'hooks.slack.com/services/x'}, None,
     ['failover_watcher_notify_url', 'URL', STOPPED]),
    ('failover_watcher unknown engine', 'failover_watcher', {'failover_watcher_engine': 'oracle'}, None,
     ['failover_watcher_engine', 'oracle']),
    # monitoring (the running MariaDB is its target: it must not be attached to a network)
    ('monitoring scrape interval not a duration', 'monitoring', {'monitoring_scrape_interval': '15 seconds'}, None,
     ['monitoring_scrape_interval', 'not a Prometheus duration', STOPPED]),
    ('monitoring zero evaluation interval', 'monitoring', {'monitoring_evaluation_interval': '0s'}, None,
     ['monitoring_evaluation_interval', 'greater than zero', STOPPED]),
    ('monitoring retention in words', 'monitoring', {'monitoring_retention': '15 days'}, None,
     ['monitoring_retention', 'not a Prometheus duration', STOPPED]),
    ('monitoring misspelled scrape interval', 'monitoring', {'monitoring_scrape_intervall': '30s'}, None,
     ['monitoring_scrape_intervall', 'did you mean monitoring_scrape_interval?', STOPPED]),
    ('monitoring unknown engine', 'monitoring', {'monitoring_targets': [{'name': TOKEN + '-x', 'engine': 'mysqll'}]},
     None, ['monitoring_targets', 'mysqll']),
    ('monitoring unknown alert', 'monitoring', {'monitoring_alert_for': {'MysqlDwn': '30s'}}, None,
     ['monitoring_alert_for', 'MysqlDwn', 'did you mean MysqlDown?', STOPPED]),
    ('monitoring alert for not a duration', 'monitoring', {'monitoring_alert_for': {'MysqlDown': 'soon'}}, None,
     ['monitoring_alert_for', 'MysqlDown', 'not a Prometheus duration', STOPPED]),
    ('monitoring unknown rule file', 'monitoring', {'monitoring_rule_files': ['mysql', 'postgress']}, None,
     ['monitoring_rule_files', 'did you mean postgres?', STOPPED]),
    ('monitoring port out of range', 'monitoring', {'monitoring_prometheus_published_ports': ['127.0.0.1:99999:9090']},
     None, ['monitoring_prometheus_published_ports', 'from 1 to 65535', STOPPED]),
    ('monitoring bad label name', 'monitoring', {'monitoring_external_labels': {'data-center': 'x'}}, None,
     ['monitoring_external_labels', 'data-center', 'label names', STOPPED]),
    ('monitoring target port out of range', 'monitoring',
     {'monitoring_targets': [{'name': TOKEN + '-x', 'engine': 'postgres', 'port': 70000}]}, None,
     ['monitoring_targets[0].port', 'from 1 to 65535', STOPPED]),
    ('monitoring memory not a size', 'monitoring', {'monitoring_prometheus_memory': 'big'}, None,
     ['monitoring_prometheus_memory', 'not a size', STOPPED]),
    ('monitoring unknown target key', 'monitoring',
     {'monitoring_targets': [{'name': TOKEN + '-x', 'engine': 'mysql', 'prot': 3306}]}, None,
     ['monitoring_targets', 'prot']),
]


@pytest.mark.parametrize('case, role, bad, host_vars, words', CASES, ids=[case[0] for case in CASES])
def test_bad_role_variable_is_refused_and_nothing_changes(
        docker_client, servers, tmp_path, case, role, bad, host_vars, words):
    variables = dict(BASES[role](servers), **bad)
    group = GROUPS.get(role)
    inventory = cluster_inventory(group, host_vars) if group else None
    target = servers.get(TARGETS.get(role))
    before = snapshot(docker_client, set(servers.values()))
    code, output = run(tmp_path, role_play(role), variables, inventory)
    after = snapshot(docker_client, set(servers.values()))
    assert code != 0, '%s: the play succeeded\n%s' % (case, output[-3000:])
    for word in words:
        assert word in output, '%s: %r not in the output\n%s' % (case, word, output[-3000:])
    assert 'Validation of arguments failed' in output or STOPPED in output, output[-3000:]
    assert after == before, '%s: something changed\nbefore %s\nafter  %s' % (case, before, after)
    # No task ran after the checks, on any host (a bad host variable on a cluster's second node stops the first).
    tasks = [line for line in output.splitlines() if line.startswith('TASK [')]
    assert tasks and ('Check the role\'s variables' in tasks[-1] or 'Validating arguments' in tasks[-1]), tasks
    if role == 'mongodb_replicaset':
        assert not os.path.exists('/tmp/%s-rs.key' % TOKEN), 'the key file was written'
    if target == servers['mariadb']:
        assert mysql_query(_address(docker_client, target), 'SELECT 1', password=ROOT_PASSWORD) == ((1,),)
    elif target == servers['postgres']:
        assert pg_query(_address(docker_client, target), 'SELECT 1', password=ROOT_PASSWORD) == [(1,)]


def _address(client, name):
    networks = client.api.inspect_container(name)['NetworkSettings']['Networks']
    return next(iter(networks.values()))['IPAddress']


def test_a_longer_prefix_is_left_to_its_own_role(docker_client, servers, tmp_path):
    """mysql_cluster_* variables are the mysql_cluster role's: the mysql role names only its own bad one."""
    variables = dict(mysql_base(servers), mysql_cluster_port=3306, mysql_cluster_semisync=True,
                     mysql_wait_timeout=0)
    before = snapshot(docker_client, set(servers.values()))
    code, output = run(tmp_path, role_play('mysql'), variables)
    assert code != 0
    assert 'mysql_wait_timeout' in output and STOPPED in output
    assert 'mysql_cluster_port' not in output.split('FAILED!')[-1].split('"problems"')[-1]
    assert 'mysql_cluster_semisync' not in output
    assert snapshot(docker_client, set(servers.values())) == before


def test_own_variables_under_the_prefix_can_be_kept(docker_client, servers, tmp_path):
    """dbops_unchecked_variables keeps a variable of the user's own; the next bad one is still refused."""
    variables = dict(mysql_base(servers), mysql_backup_hour=3, dbops_unchecked_variables=['mysql_backup_*'],
                     mysql_memory='lots')
    code, output = run(tmp_path, role_play('mysql'), variables, check=True)
    assert code != 0
    assert 'mysql_memory' in output and 'mysql_backup_hour' not in output


def test_alert_rules_prometheus_refuses_never_reach_prometheus(docker_client, servers, tmp_path):
    """A rule file of the playbook's own that promtool refuses stops the role before anything is created."""
    rules = tmp_path / 'files' / 'rules'
    rules.mkdir(parents=True)
    (rules / 'custom.yml').write_text('groups:\n  - name: custom\n    rules:\n      - alert: CustomBroken\n'
                                      '        expr: up == = 0\n        for: 1m\n')
    variables = dict(monitoring_base(servers), monitoring_rule_files=['mysql', 'custom'])
    before = snapshot(docker_client, set(servers.values()))
    code, output = run(tmp_path, role_play('monitoring'), variables)
    assert code != 0, output[-3000:]
    assert 'Prometheus refuses the configuration or the alert rules' in output, output[-3000:]
    assert 'custom.yml' in output and 'CustomBroken' in output and 'Nothing was changed.' in output
    tasks = [line for line in output.splitlines() if line.startswith('TASK [')]
    assert 'Prometheus accepts its configuration' in tasks[-1], tasks
    assert snapshot(docker_client, set(servers.values())) == before
    assert mysql_query(_address(docker_client, servers['mariadb']), 'SELECT 1', password=ROOT_PASSWORD) == ((1,),)


def test_a_missing_target_is_refused_before_the_network_is_created(docker_client, servers, tmp_path):
    """A target container that does not exist used to fail at its exporter, the network and others created."""
    variables = dict(monitoring_base(servers), monitoring_targets=[
        {'name': servers['mariadb'], 'engine': 'mariadb'}, {'name': TOKEN + '-absent', 'engine': 'postgres'}])
    before = snapshot(docker_client, set(servers.values()))
    code, output = run(tmp_path, role_play('monitoring'), variables)
    assert code != 0, output[-3000:]
    assert 'no container named %s-absent' % TOKEN in output and 'Nothing was changed.' in output, output[-3000:]
    assert snapshot(docker_client, set(servers.values())) == before
