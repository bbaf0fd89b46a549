# -*- coding: utf-8 -*-
"""The monitoring role end to end: a real Prometheus (local image) scraping real
exporters for a MariaDB primary with a replica and a PostgreSQL server made by
db_container; the Down alert of a stopped server goes pending, then firing, and
reaches Alertmanager; no password in `docker inspect` of any monitoring container."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import COLLECTIONS, ROOT, TEST_LABEL, base_args, image_available, mysql_query, pg_query, retry, run_module

from ansible_collections.dbops.containers.plugins.module_utils import replication_mysql as repl
from ansible_collections.dbops.containers.plugins.module_utils.engine_mysql import _mysql_connect

ROOT_PASSWORD = base_args('x', 'mariadb')['root_password']
EXPORTER_PASSWORD = 'Exp;"orter-pw#1'
REPL_PASSWORD = 'Repl-Pa55;w"ord'
IMAGES = ['localhost/dbops/prometheus:2.42', 'localhost/dbops/alertmanager:0.25',
          'localhost/dbops/mysqld-exporter:0.14', 'localhost/dbops/postgres-exporter:0.11']
DOWN_FOR = 6  # seconds: the Down alerts' `for:` in this test (monitoring_alert_for)


def playbook(tmp_path, variables):
    varsfile = tmp_path / 'vars.json'
    varsfile.write_text(json.dumps(variables))
    play = tmp_path / 'monitor.yml'
    play.write_text('- name: Monitoring\n  hosts: all\n  gather_facts: false\n  roles:\n'
                    '    - role: dbops.containers.monitoring\n')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               DBOPS_IMAGE_SOURCE='local')
    proc = subprocess.run(['ansible-playbook', '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', '@%s' % varsfile, str(play)],
                          capture_output=True, text=True, env=env, timeout=600, check=False, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def http_json(url):
    import urllib.request
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode('utf-8'))


def query(base, expr):
    import urllib.parse
    return http_json('%s/api/v1/query?query=%s' % (base, urllib.parse.quote(expr)))['data']['result']


def wait_for(function, timeout, delay=0.5):
    deadline = time.time() + timeout
    while True:
        value = function()
        if value:
            return value
        if time.time() > deadline:
            return value
        time.sleep(delay)


def ip_on(client, name, network):
    return client.api.inspect_container(name)['NetworkSettings']['Networks'][network]['IPAddress']


def remove_monitoring(client, prefix, names):
    wanted = set([prefix + '-prometheus', prefix + '-alertmanager', prefix + '-grafana']
                 + [name + '-exporter' for name in names])
    for container in client.containers.list(all=True, filters={'label': 'test.dbops=true'}):
        if container.name in wanted:
            container.remove(force=True, v=True)
    for volume in client.volumes.list(filters={'label': 'test.dbops=true'}):
        if volume.name.startswith(prefix + '-') or any(volume.name.startswith(n + '-exporter') for n in names):
            volume.remove(force=True)
    for network in client.networks.list(names=[prefix]):
        network.reload()
        for container in network.containers:
            network.disconnect(container, force=True)
        network.remove()


def test_prometheus_scrapes_exporters_and_alerts(docker_client, local_images, container_name, tmp_path):
    for image in IMAGES:
        if not image_available(docker_client, image):
            pytest.fail('image %s is missing: run scripts/build-images.sh prometheus alertmanager mysqld-exporter '
                        'postgres-exporter' % image)
    primary, replica, pg, prefix = container_name('p'), container_name('r'), container_name('pg'), container_name('mon')
    dbs = [primary, replica, pg]
    repl_net = docker_client.networks.create(primary + '-net', labels=dict(TEST_LABEL))
    variables = {
        'monitoring_prefix': prefix,
        'monitoring_targets': [{'name': primary, 'engine': 'mariadb'}, {'name': replica, 'engine': 'mariadb'},
                               {'name': pg, 'engine': 'postgres', 'database': 'app'}],
        'monitoring_exporter_password': EXPORTER_PASSWORD,
        'monitoring_prometheus_published_ports': [],
        'monitoring_scrape_interval': '2s', 'monitoring_evaluation_interval': '2s',
        'monitoring_alert_for': {'MysqlDown': '%ds' % DOWN_FOR, 'PostgresqlDown': '%ds' % DOWN_FOR},
        'monitoring_alertmanager_enabled': True,
        'monitoring_alertmanager_webhook_url': 'http://127.0.0.1:9/hook',
        'monitoring_grafana_admin_password': 'Graf-pw-1',
        'monitoring_labels': dict(TEST_LABEL),
    }
    timings = {}
    try:
        started = time.time()
        for index, name in enumerate([primary, replica]):
            result = run_module('db_container', base_args(
                name, 'mariadb', settings={'server_id': index + 1, 'log_bin': 'mysql-bin', 'log_slave_updates': 'ON',
                                           'gtid_strict_mode': 'ON'},
                networks=[{'name': repl_net.name, 'aliases': ['db%d' % (index + 1)]}]))
            assert not result.failed, result.get('msg')
        result = run_module('db_container', base_args(pg, 'postgres'))
        assert not result.failed, result.get('msg')
        primary_ip = ip_on(docker_client, primary, repl_net.name)
        replica_ip = ip_on(docker_client, replica, repl_net.name)
        source = retry(lambda: _mysql_connect(primary_ip, 3306, 'root', ROOT_PASSWORD, None, 5))
        target = retry(lambda: _mysql_connect(replica_ip, 3306, 'root', ROOT_PASSWORD, None, 5))
        try:
            repl.configure_primary(source, 'repl', REPL_PASSWORD)
            repl.configure_replica(target, 'db1', 3306, 'repl', REPL_PASSWORD, source_connect_host=primary_ip)
        finally:
            source.close()
            target.close()
        timings['databases_s'] = round(time.time() - started, 1)

        started = time.time()
        code, output = playbook(tmp_path, variables)
        timings['role_s'] = round(time.time() - started, 1)
        assert code == 0, output[-4000:]
        assert EXPORTER_PASSWORD not in output
        assert 'Grafana is skipped: image grafana/grafana' in output

        # Least-privilege accounts, in every server (the replica's own: nothing went through the binlog).
        for ip in (primary_ip, replica_ip):
            grants = ' '.join(row[0] for row in mysql_query(ip, "SHOW GRANTS FOR 'dbops_exporter'@'%'"))
            assert 'GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.*' in grants, grants
            assert 'GRANT SELECT ON `performance_schema`.*' in grants and 'MAX_USER_CONNECTIONS 3' in grants, grants
            assert 'ALL PRIVILEGES' not in grants and 'SUPER' not in grants
        pg_ip = next(iter(docker_client.api.inspect_container(pg)['NetworkSettings']['Networks'].values()))['IPAddress']
        assert pg_query(pg_ip, "SELECT rolconnlimit, pg_has_role(rolname, 'pg_monitor', 'MEMBER'), rolsuper "
                               "FROM pg_roles WHERE rolname = 'dbops_exporter'") == [(3, True, False)]
        assert repl.status(retry(lambda: _mysql_connect(replica_ip, 3306, 'root', ROOT_PASSWORD, None, 5)))[
            'severity'] == 'ok'

        base = 'http://%s:9090' % ip_on(docker_client, prefix + '-prometheus', prefix)
        retry(lambda: http_json(base + '/api/v1/status/runtimeinfo'), attempts=60, delay=0.5)

        def scraped():
            up = dict((r['metric']['instance'], r['value'][1]) for r in query(base, 'mysql_up or pg_up'))
            return up if len(up) == 3 else None
        assert wait_for(scraped, 30) == {primary: '1', replica: '1', pg: '1'}
        lag = wait_for(lambda: query(base, 'mysql_slave_status_seconds_behind_master'), 20)
        assert [(r['metric']['instance'], r['value'][1]) for r in lag] == [(replica, '0')]
        semi = query(base, 'mysql_global_status_rpl_semi_sync_master_status == 1')
        assert [r['metric']['instance'] for r in semi] == [primary]
        assert query(base, 'pg_replication_is_replica')[0]['value'][1] == '0'
        rules = http_json(base + '/api/v1/rules')['data']['groups']
        alerts = dict((r['name'], r) for g in rules for r in g['rules'])
        assert len(alerts) == 14 + 20 + 7 + 4
        assert alerts['PostgresqlDown']['duration'] == DOWN_FOR and alerts['MongodbDown']['duration'] == 60

        # No password in what `docker inspect` shows of any monitoring container.
        secrets = (EXPORTER_PASSWORD, ROOT_PASSWORD, 'Graf-pw-1')
        monitoring = [c for c in docker_client.containers.list(all=True, filters={'label': 'dbops.component=monitoring'})
                      if c.name.startswith(prefix) or c.name in [n + '-exporter' for n in dbs]]
        assert sorted(c.name for c in monitoring) == sorted(
            [prefix + '-prometheus', prefix + '-alertmanager'] + [n + '-exporter' for n in dbs])
        for container in monitoring:
            inspect = json.dumps(docker_client.api.inspect_container(container.id))
            assert not any(secret in inspect for secret in secrets), container.name
            assert 'PASSWORD=' not in inspect and 'DATA_SOURCE_NAME' not in inspect, container.name

        # Same variables again: nothing changes.
        code, output = playbook(tmp_path, variables)
        assert code == 0 and 'changed=0' in output, output[-3000:]

        # Stop PostgreSQL: PostgresqlDown goes pending, then fires after `for:`, and reaches Alertmanager.
        docker_client.containers.get(pg).stop(timeout=10)
        stopped = time.time()

        def alert_state():
            for alert in http_json(base + '/api/v1/alerts')['data']['alerts']:
                if alert['labels']['alertname'] == 'PostgresqlDown' and alert['labels']['instance'] == pg:
                    return alert['state']
            return None
        states = []
        while time.time() - stopped < DOWN_FOR + 40:
            state = alert_state()
            if state and (not states or states[-1] != state):
                states.append(state)
                timings['%s_after_s' % state] = round(time.time() - stopped, 1)
            if state == 'firing':
                break
            time.sleep(0.5)
        assert states == ['pending', 'firing'], (states, timings)
        assert timings['firing_after_s'] - timings['pending_after_s'] >= DOWN_FOR - 2.5, timings
        am = 'http://%s:9093' % ip_on(docker_client, prefix + '-alertmanager', prefix)
        received = wait_for(lambda: [a for a in http_json(am + '/api/v2/alerts')
                                     if a['labels'].get('alertname') == 'PostgresqlDown'], 20)
        assert received and received[0]['labels']['instance'] == pg
        assert not [a for a in http_json(base + '/api/v1/alerts')['data']['alerts']
                    if a['labels']['alertname'] == 'MysqlDown']
        print('\nmonitoring timings: %s' % timings)

        # The role removes what it made.
        code, output = playbook(tmp_path, dict(variables, monitoring_state='absent'))
        assert code == 0, output[-3000:]
        assert not [c for c in docker_client.containers.list(all=True, filters={'label': 'dbops.component=monitoring'})
                    if c.name.startswith(prefix) or c.name in [n + '-exporter' for n in dbs]]
        assert not docker_client.networks.list(names=[prefix])
    finally:
        for name in dbs:
            run_module('db_container', base_args(name, 'postgres' if name == pg else 'mariadb', state='absent',
                                                 purge_data=True))
        remove_monitoring(docker_client, prefix, dbs)
        repl_net.remove()
