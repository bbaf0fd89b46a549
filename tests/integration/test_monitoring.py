# -*- coding: utf-8 -*-
"""The monitoring role end to end, once per engine version: a real Prometheus (local image)
scraping the local exporters (mysqld_exporter and postgres_exporter 0.19) of a MySQL or MariaDB
primary with a replica made by db_replication, and of a PostgreSQL server made by db_container.
Asserted from real scrapes: every server up with no scrape error, the exporter accounts'
grants (and on MySQL 9.x the caching_sha2_password plugin the exporter logs in with), the
replica's lag and threads, semi-sync on the primary, the metric names the PostgreSQL rules read
(an invalid index, an unused replication slot, table statistics). Then a stopped replication SQL
thread and a stopped PostgreSQL server each fire their alert (pending, then firing after `for:`);
PostgresqlDown reaches Alertmanager and its webhook receiver (a small HTTP server on the
monitoring network); amtool accepts the rendered alertmanager.yml; no password in `docker inspect`
of any monitoring container; a second run changes nothing; `monitoring_state: absent` removes it
all. The MongoDB exporter runs wherever the mongo and percona/mongodb_exporter images exist
(skipped here).

DBOPS_MONITORING_METRICS_DIR=<dir> writes the metric names each exporter exported (one file per
engine version) to <dir>: tests/unit/monitoring/metrics/ was refreshed that way."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import (COLLECTIONS, ROOT, TEST_LABEL, base_args, container_names, image_available, ip_on, mysql_query, pg_query,
                      remove_containers, retry, run_module, wait_for)


def _pg_connect(host):
    import psycopg2
    conn = retry(lambda: psycopg2.connect(host=host, port=5432, user='postgres', password=ROOT_PASSWORD, dbname='app',
                                          connect_timeout=5))
    conn.autocommit = True
    return conn


ROOT_PASSWORD = base_args('x', 'mariadb')['root_password']
EXPORTER_PASSWORD = 'Exp;"orter-pw#1'
REPL_PASSWORD = 'Repl-Pa55;w"ord'
IMAGES = ['localhost/dbops/prometheus:2.42', 'localhost/dbops/alertmanager:0.25',
          'localhost/dbops/mysqld-exporter:0.19', 'localhost/dbops/postgres-exporter:0.19']
DOWN_FOR = 6  # seconds: the alerts' `for:` in this test (monitoring_alert_for)
RECEIVER_IMAGE = 'localhost/dbops/watcher:bookworm'  # any local image with python3
# The webhook receiver: prints every POST body on one line (docker logs).
RECEIVER = (
    "import http.server, sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_POST(self):\n"
    "        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))\n"
    "        sys.stdout.write('POST %s %s\\n' % (self.path, body.decode('utf-8', 'replace').replace('\\n', ' ')))\n"
    "        sys.stdout.flush()\n"
    "        self.send_response(200)\n"
    "        self.end_headers()\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "http.server.HTTPServer(('', 8080), H).serve_forever()\n")

MYSQL_GTID = {'log_bin': 'mysql-bin', 'gtid_mode': 'ON', 'enforce_gtid_consistency': 'ON', 'binlog_format': 'ROW',
              'log_replica_updates': 'ON'}
MARIADB_GTID = {'log_bin': 'mysql-bin', 'log_slave_updates': 'ON', 'gtid_strict_mode': 'ON'}
# One MySQL-family pair (primary + replica) and one PostgreSQL server per run: the newest version of each
# engine, and the older local images beside the newer ones (postgres_exporter 0.19 on 15 and 17).
STACKS = [
    pytest.param({'engine': 'mysql', 'image': 'localhost/dbops/mysql:9.7', 'settings': MYSQL_GTID,
                  'grants': 'GRANT PROCESS, REPLICATION CLIENT ON *.*', 'pg_image': 'localhost/dbops/postgres:18'},
                 id='mysql9.7-postgres18'),
    pytest.param({'engine': 'mariadb', 'image': 'localhost/dbops/mariadb:11.8', 'settings': MARIADB_GTID,
                  'grants': 'GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.*',
                  'pg_image': 'localhost/dbops/postgres:17'},
                 id='mariadb11.8-postgres17'),
    pytest.param({'engine': 'mariadb', 'image': 'localhost/dbops/mariadb:10.11', 'settings': MARIADB_GTID,
                  'grants': 'GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.*',
                  'pg_image': 'localhost/dbops/postgres:15'},
                 id='mariadb10.11-postgres15'),
]


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


def by_instance(results):
    """{instance: value} of a query's result."""
    return dict((r['metric']['instance'], r['value'][1]) for r in results)


def webhook_posts(container):
    """The JSON bodies the receiver got."""
    posts = []
    for line in container.logs().decode('utf-8', 'replace').splitlines():
        if line.startswith('POST /hook '):
            posts.append(json.loads(line[len('POST /hook '):]))
    return posts


def monitoring_containers(client, prefix, dbs):
    """The monitoring role's containers of this test: its stack (prefix-...) and the exporters of its servers."""
    label = 'dbops.component=monitoring'
    names = container_names(client, prefix, label=label)
    for db in dbs:
        names += [name for name in container_names(client, db + '-exporter', label=label) if name == db + '-exporter']
    return sorted(set(names))


def remove_monitoring(client, prefix, names):
    wanted = set([prefix + '-prometheus', prefix + '-alertmanager', prefix + '-grafana', prefix + '-receiver']
                 + [name + '-exporter' for name in names])
    for name in wanted:
        remove_containers(client, name)
    for volume in client.volumes.list(filters={'label': 'test.dbops=true'}):
        if volume.name.startswith(prefix + '-') or any(volume.name.startswith(n + '-exporter') for n in names):
            volume.remove(force=True)
    for network in client.networks.list(names=[prefix]):
        network.reload()
        for container in network.containers:
            network.disconnect(container, force=True)
        network.remove()


def dump_metric_names(base, version_ids):
    """With DBOPS_MONITORING_METRICS_DIR set: each exporter's metric names, one file per engine version."""
    directory = os.environ.get('DBOPS_MONITORING_METRICS_DIR')
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for version_id, names in version_ids.items():
        selector = '|'.join(names)
        # The exporters' own series (Prometheus adds up, scrape_* to every target).
        found = sorted(set(r['metric']['__name__'] for r in query(base, '{instance=~"%s"}' % selector)
                           if r['metric']['__name__'].startswith(('mysql_', 'pg_'))))
        with open(os.path.join(directory, version_id + '.txt'), 'w') as handle:
            handle.write('\n'.join(found) + '\n')


def alert_states(base, wanted):
    """{(alertname, instance): state} of the wanted pairs that are pending or firing."""
    states = {}
    for alert in http_json(base + '/api/v1/alerts')['data']['alerts']:
        key = (alert['labels']['alertname'], alert['labels'].get('instance'))
        if key in wanted:
            states[key] = alert['state']
    return states


@pytest.mark.parametrize('stack', STACKS)
def test_prometheus_scrapes_exporters_and_alerts(docker_client, local_images, container_name, network, tmp_path,
                                                 stack):
    for image in IMAGES + [RECEIVER_IMAGE, stack['image'], stack['pg_image']]:
        if not image_available(docker_client, image):
            pytest.fail('image %s is missing: run `make images` (scripts/build-images.sh)' % image)
    engine = stack['engine']
    primary, replica, pg, prefix = container_name('p'), container_name('r'), container_name('pg'), container_name('mon')
    dbs = [primary, replica, pg]
    variables = {
        'monitoring_prefix': prefix,
        'monitoring_targets': [{'name': primary, 'engine': engine}, {'name': replica, 'engine': engine},
                               {'name': pg, 'engine': 'postgres', 'database': 'app'}],
        'monitoring_exporter_password': EXPORTER_PASSWORD,
        'monitoring_prometheus_published_ports': [],
        'monitoring_scrape_interval': '2s', 'monitoring_evaluation_interval': '2s',
        'monitoring_alert_for': {'MysqlDown': '%ds' % DOWN_FOR, 'PostgresqlDown': '%ds' % DOWN_FOR,
                                 'MysqlReplicationStopped': '%ds' % DOWN_FOR},
        'monitoring_alertmanager_enabled': True,
        'monitoring_alertmanager_webhook_url': 'http://%s-receiver:8080/hook' % prefix,
        'monitoring_grafana_admin_password': 'Graf-pw-1',
        'monitoring_labels': dict(TEST_LABEL),
    }
    timings = {}
    try:
        started = time.time()
        for index, name in enumerate([primary, replica]):
            result = run_module('db_container', base_args(
                name, engine, image=stack['image'], settings=dict(stack['settings'], server_id=index + 1),
                networks=[{'name': network, 'aliases': [name]}]))
            assert not result.failed, result.get('msg')
        result = run_module('db_container', base_args(pg, 'postgres', image=stack['pg_image']))
        assert not result.failed, result.get('msg')
        replication = {'engine': engine, 'replication_password': REPL_PASSWORD}
        result = run_module('db_replication', dict(replication, role='primary', container=primary))
        assert not result.failed, result.get('msg')
        result = run_module('db_replication', dict(replication, role='replica', container=replica,
                                                   primary_container=primary))
        assert not result.failed, result.get('msg')
        pg_ip = next(iter(docker_client.api.inspect_container(pg)['NetworkSettings']['Networks'].values()))['IPAddress']
        # What the PostgreSQL rules read: a modified table, an index left invalid by a failed
        # CREATE UNIQUE INDEX CONCURRENTLY, an unused replication slot.
        pg_query(pg_ip, 'CREATE TABLE orders (id int, email text); INSERT INTO orders VALUES (1, \'a\'), (2, \'a\'); '
                        'UPDATE orders SET id = id + 10; CREATE INDEX orders_id_idx ON orders (id)', database='app')
        invalid = _pg_connect(pg_ip)
        try:
            with invalid.cursor() as cur:
                with pytest.raises(Exception, match='could not create unique index'):
                    cur.execute('CREATE UNIQUE INDEX CONCURRENTLY orders_email_idx ON orders (email)')
        finally:
            invalid.close()
        pg_query(pg_ip, "SELECT pg_create_physical_replication_slot('dbt_unused')")
        primary_ip, replica_ip = ip_on(docker_client, primary, network), ip_on(docker_client, replica, network)
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
            assert stack['grants'] in grants, grants
            assert 'GRANT SELECT ON `performance_schema`.*' in grants, grants
            assert 'ALL PRIVILEGES' not in grants and 'SUPER' not in grants, grants
            limits = mysql_query(ip, "SELECT max_user_connections, plugin FROM mysql.user WHERE user = 'dbops_exporter'")
            assert limits[0][0] == 3, limits
            if engine == 'mysql':
                # The server's default plugin (mysql_native_password is gone in 9.x); the exporter's Go
                # driver logs in over TCP by the RSA key exchange, without TLS and without a clear-text password.
                assert limits[0][1] == 'caching_sha2_password', limits
        assert pg_query(pg_ip, "SELECT rolconnlimit, pg_has_role(rolname, 'pg_monitor', 'MEMBER'), rolsuper "
                               "FROM pg_roles WHERE rolname = 'dbops_exporter'") == [(3, True, False)]

        # amtool accepts the alertmanager.yml the role wrote (webhook receiver).
        amtool = docker_client.containers.run(
            IMAGES[1], entrypoint=['amtool', 'check-config', '/etc/dbops-monitoring/alertmanager.yml'],
            volumes={prefix + '-alertmanager-config': {'bind': '/etc/dbops-monitoring', 'mode': 'ro'}},
            network_disabled=True, labels=dict(TEST_LABEL), detach=True)
        try:
            assert amtool.wait(timeout=60)['StatusCode'] == 0, amtool.logs()
            checked = amtool.logs().decode('utf-8', 'replace')
            assert 'SUCCESS' in checked and ' - 1 receivers' in checked, checked
        finally:
            amtool.remove(force=True)
        receiver = docker_client.containers.run(
            RECEIVER_IMAGE, entrypoint=['python3', '-u', '-c', RECEIVER], command=[], name=prefix + '-receiver',
            network=prefix, labels=dict(TEST_LABEL), detach=True)

        base = 'http://%s:9090' % ip_on(docker_client, prefix + '-prometheus', prefix)
        retry(lambda: http_json(base + '/api/v1/status/runtimeinfo'), attempts=60, delay=0.5)

        def scraped():
            up = by_instance(query(base, 'mysql_up or pg_up'))
            return up if len(up) == 3 else None
        assert wait_for(scraped, 30) == {primary: '1', replica: '1', pg: '1'}
        # Every collector the role turns on works with the account's grants (mysqld_exporter 0.15+ reports
        # each collector's success; postgres_exporter its collectors' and its queries' errors).
        collectors = wait_for(lambda: by_instance(query(base, 'min by (instance) (mysql_exporter_collector_success) '
                                                              'or min by (instance) (pg_scrape_collector_success)'))
                              or None, 20)
        assert collectors == {primary: '1', replica: '1', pg: '1'}, collectors
        assert by_instance(query(base, 'pg_exporter_last_scrape_error')) == {pg: '0'}
        # The replica: its lag, both threads running, the source it follows; semi-sync on the primary.
        # MySQL 8.4+ columns (SHOW REPLICA STATUS) name them *_source / replica_*, MariaDB *_master / slave_*.
        lag = wait_for(lambda: query(base, 'mysql_slave_status_seconds_behind_master '
                                           'or mysql_slave_status_seconds_behind_source'), 20)
        assert by_instance(lag) == {replica: '0'}, lag
        names = {'mysql': ('replica_io_running', 'replica_sql_running', 'source_server_id'),
                 'mariadb': ('slave_io_running', 'slave_sql_running', 'master_server_id')}[engine]
        assert by_instance(query(base, 'mysql_slave_status_%s + mysql_slave_status_%s' % names[:2])) == {replica: '2'}
        assert by_instance(query(base, 'mysql_slave_status_%s' % names[2])) == {replica: '1'}
        semi = query(base, 'mysql_global_status_rpl_semi_sync_master_status == 1 '
                           'or mysql_global_status_rpl_semi_sync_source_status == 1')
        assert [r['metric']['instance'] for r in semi] == [primary], semi
        # The PostgreSQL rules' metric names, from the real scrape (collectors + the role's queries).
        assert by_instance(query(base, 'pg_replication_is_replica')) == {pg: '0'}
        assert by_instance(query(base, 'pg_replication_lag_seconds')) == {pg: '0'}
        index = dict((r['metric']['indexrelname'], r['value'][1]) for r in query(base, 'pg_general_index_info_invalid'))
        assert index == {'orders_id_idx': '0', 'orders_email_idx': '1'}, index
        slots = [(r['metric']['slot_name'], r['value'][1]) for r in query(base, 'pg_replication_slot_slot_is_active')]
        assert slots == [('dbt_unused', '0')], slots
        updated = query(base, 'pg_stat_user_tables_n_tup_upd{relname="orders"}')
        assert [r['value'][1] for r in updated] == ['2'], updated
        started_at = float(query(base, 'pg_postmaster_start_time_seconds')[0]['value'][1])
        assert 0 < time.time() - started_at < 3600, started_at
        for name in ('pg_stat_user_tables_n_tup_del', 'pg_stat_user_tables_n_tup_hot_upd',
                     'pg_stat_user_tables_last_autovacuum', 'pg_settings_autovacuum_vacuum_threshold',
                     'pg_stat_database_deadlocks', 'pg_txid_current', 'pg_locks_count', 'pg_stat_activity_count'):
            assert query(base, name), name
        # A lone primary without synchronous_standby_names: commits do not wait, nothing is blocked.
        synchronous = dict((r['metric']['__name__'], r['value'][1])
                           for r in query(base, '{__name__=~"pg_synchronous_.*"}'))
        assert synchronous == {'pg_synchronous_required': '0', 'pg_synchronous_standbys': '0'}, synchronous
        rules = http_json(base + '/api/v1/rules')['data']['groups']
        alerts = dict((r['name'], r) for g in rules for r in g['rules'])
        assert len(alerts) == 14 + 20 + 7 + 6
        assert alerts['PostgresqlDown']['duration'] == DOWN_FOR and alerts['MongodbDown']['duration'] == 60
        # Nothing fires on healthy servers among the rules this test breaks below.
        watched = {('PostgresqlDown', pg), ('MysqlSlaveSqlThreadNotRunning', replica),
                   ('MysqlReplicationStopped', replica)}
        assert alert_states(base, watched) == {}
        version_id = '%s-%s' % (engine, stack['image'].rsplit(':', 1)[1])
        dump_metric_names(base, {version_id: [primary, replica],
                                 'postgres-' + stack['pg_image'].rsplit(':', 1)[1]: [pg]})

        # No password in what `docker inspect` shows of any monitoring container.
        secrets = (EXPORTER_PASSWORD, ROOT_PASSWORD, 'Graf-pw-1')
        monitoring = monitoring_containers(docker_client, prefix, dbs)
        assert monitoring == sorted([prefix + '-prometheus', prefix + '-alertmanager'] + [n + '-exporter' for n in dbs])
        for name in monitoring:
            inspect = json.dumps(docker_client.api.inspect_container(name))
            assert not any(secret in inspect for secret in secrets), name
            assert 'PASSWORD=' not in inspect and 'DATA_SOURCE_NAME' not in inspect, name

        # Same variables again: nothing changes.
        code, output = playbook(tmp_path, variables)
        assert code == 0 and 'changed=0' in output, output[-3000:]

        # Break two things at once: the replica's SQL thread stops (the replica-status names the rules read),
        # and PostgreSQL stops. Each alert goes pending, then fires after its `for:`.
        mysql_query(replica_ip, 'STOP REPLICA SQL_THREAD')
        docker_client.containers.get(pg).stop(timeout=10)
        stopped = time.time()
        history = dict((key, []) for key in watched)
        while time.time() - stopped < DOWN_FOR + 40:
            for key, state in alert_states(base, watched).items():
                if not history[key] or history[key][-1] != state:
                    history[key].append(state)
                    timings['%s_%s_after_s' % (key[0], state)] = round(time.time() - stopped, 1)
            if all(states and states[-1] == 'firing' for states in history.values()):
                break
            time.sleep(0.5)
        # `for: 0m` fires at its first evaluation; the others wait their `for:`.
        assert history[('MysqlSlaveSqlThreadNotRunning', replica)] == ['firing'], (history, timings)
        for name in ('PostgresqlDown', 'MysqlReplicationStopped'):
            assert history[(name, pg if name == 'PostgresqlDown' else replica)] == ['pending', 'firing'], (
                history, timings)
            assert timings['%s_firing_after_s' % name] - timings['%s_pending_after_s' % name] >= DOWN_FOR - 2.5, \
                timings
        am = 'http://%s:9093' % ip_on(docker_client, prefix + '-alertmanager', prefix)
        received = wait_for(lambda: [a for a in http_json(am + '/api/v2/alerts')
                                     if a['labels'].get('alertname') == 'PostgresqlDown'], 20)
        assert received and received[0]['labels']['instance'] == pg
        # ... and Alertmanager posts it to the webhook (after group_wait).

        def delivered():
            return [a for post in webhook_posts(receiver) for a in post['alerts']
                    if a['labels'].get('alertname') == 'PostgresqlDown' and a['status'] == 'firing']
        posted = wait_for(delivered, 30)
        assert posted and posted[0]['labels']['instance'] == pg and posted[0]['labels']['severity'] == 'critical', \
            receiver.logs()[-2000:]
        timings['webhook_after_s'] = round(time.time() - stopped, 1)
        assert webhook_posts(receiver)[0]['receiver'] == 'webhook'
        assert not [a for a in http_json(base + '/api/v1/alerts')['data']['alerts']
                    if a['labels']['alertname'] == 'MysqlDown']
        print('\nmonitoring timings (%s): %s' % (version_id, timings))

        # The role removes what it made.
        code, output = playbook(tmp_path, dict(variables, monitoring_state='absent'))
        assert code == 0, output[-3000:]
        assert not monitoring_containers(docker_client, prefix, dbs)
        assert not docker_client.networks.list(names=[prefix])
    finally:
        for name in dbs:
            run_module('db_container', base_args(name, 'postgres' if name == pg else engine, state='absent',
                                                 purge_data=True))
        remove_monitoring(docker_client, prefix, dbs)


def test_mysql_exporter_account_moves_to_caching_sha2_password(docker_client, container_name):
    """MySQL 9.7: the account is made with caching_sha2_password; one left with another plugin (here
    sha256_password, as mysql_native_password no longer exists in 9.x) is moved to it with its password, and
    logs in again (the second run finds nothing to do: the module's password check is a real login)."""
    image = 'localhost/dbops/mysql:9.7'
    if not image_available(docker_client, image):
        pytest.fail('image %s is missing: run `make images` (scripts/build-images.sh)' % image)
    name = container_name('my')
    account = {'container': name, 'engine': 'mysql', 'user': 'dbops_exporter', 'password': EXPORTER_PASSWORD}
    try:
        result = run_module('db_container', base_args(name, 'mysql', image=image))
        assert not result.failed, result.get('msg')
        ip = next(iter(docker_client.api.inspect_container(name)['NetworkSettings']['Networks'].values()))['IPAddress']
        plugin_sql = "SELECT plugin FROM mysql.user WHERE user = 'dbops_exporter'"
        created = run_module('db_monitoring_user', account)
        assert not created.failed and created['actions'] == ['create user', 'grant privileges'], created
        assert retry(lambda: mysql_query(ip, plugin_sql)) == (('caching_sha2_password',),)
        # The same password under another plugin: the login works, the plugin alone is repaired.
        assert "'" not in EXPORTER_PASSWORD and '\\' not in EXPORTER_PASSWORD
        mysql_query(ip, "ALTER USER 'dbops_exporter'@'%%' IDENTIFIED WITH sha256_password BY '%s'" % EXPORTER_PASSWORD)
        assert mysql_query(ip, plugin_sql) == (('sha256_password',),)
        planned = run_module('db_monitoring_user', account, check_mode=True)
        assert planned['changed'] and planned['actions'] == ['alter user authentication plugin'], planned
        assert mysql_query(ip, plugin_sql) == (('sha256_password',),)            # check mode changed nothing
        repaired = run_module('db_monitoring_user', account)
        assert repaired['changed'] and repaired['actions'] == ['alter user authentication plugin'], repaired
        assert mysql_query(ip, plugin_sql) == (('caching_sha2_password',),)
        assert EXPORTER_PASSWORD not in json.dumps(repaired)
        again = run_module('db_monitoring_user', account)
        assert not again.failed and again['changed'] is False, again
    finally:
        run_module('db_container', base_args(name, 'mysql', state='absent', purge_data=True))


MONGO_IMAGE = 'mongo:8.0'
MONGO_EXPORTER_IMAGE = 'percona/mongodb_exporter:0.54.0'  # the role's pinned official image


def test_mongodb_exporter_scrapes_mongodb(docker_client, local_images, container_name, tmp_path):
    """The role on a MongoDB container: the exporter user with clusterMonitor + read on local, the exporter
    logged in with its password file, mongodb_up == 1 and the replica set metrics the rules read."""
    missing = [image for image in (MONGO_IMAGE, MONGO_EXPORTER_IMAGE) if not image_available(docker_client, image)]
    if missing:
        pytest.skip('no mongo image: %s not on this Docker host and cannot be pulled (no registry); runs wherever '
                    'the images exist' % ', '.join(missing))
    for image in IMAGES[:1]:
        if not image_available(docker_client, image):
            pytest.fail('image %s is missing: run scripts/build-images.sh prometheus' % image)
    mongo, prefix = container_name('mg'), container_name('mon')
    variables = {
        'monitoring_prefix': prefix,
        'monitoring_targets': [{'name': mongo, 'engine': 'mongodb'}],
        'monitoring_exporter_password': EXPORTER_PASSWORD,
        'monitoring_prometheus_published_ports': [],
        'monitoring_scrape_interval': '2s', 'monitoring_evaluation_interval': '2s',
        'monitoring_grafana_enabled': False,
        'monitoring_labels': dict(TEST_LABEL),
    }
    try:
        result = run_module('db_container', base_args(mongo, 'mongodb', image=MONGO_IMAGE, image_source='official',
                                                      user=None, password=None, database=None,
                                                      settings={'replication.replSetName': 'rs0'}))
        assert not result.failed, result.get('msg')
        import pymongo
        ip = next(iter(docker_client.api.inspect_container(mongo)['NetworkSettings']['Networks'].values()))['IPAddress']
        client = retry(lambda: pymongo.MongoClient(ip, 27017, username='admin', password=ROOT_PASSWORD,
                                                   authSource='admin', directConnection=True,
                                                   serverSelectionTimeoutMS=5000))
        client.admin.command({'replSetInitiate': {'_id': 'rs0', 'members': [{'_id': 0, 'host': '%s:27017' % mongo}]}})
        retry(lambda: client.admin.command('hello')['isWritablePrimary'] or 1 / 0, attempts=60)

        code, output = playbook(tmp_path, variables)
        assert code == 0, output[-4000:]
        assert EXPORTER_PASSWORD not in output
        user = client.admin.command({'usersInfo': {'user': 'dbops_exporter', 'db': 'admin'}})['users'][0]
        assert sorted((r['role'], r['db']) for r in user['roles']) == [('clusterMonitor', 'admin'), ('read', 'local')]
        inspect = json.dumps(docker_client.api.inspect_container(mongo + '-exporter'))
        assert EXPORTER_PASSWORD not in inspect and '--mongodb.password-file=' in inspect

        base = 'http://%s:9090' % ip_on(docker_client, prefix + '-prometheus', prefix)
        retry(lambda: http_json(base + '/api/v1/status/runtimeinfo'), attempts=60, delay=0.5)
        assert wait_for(lambda: query(base, 'mongodb_up == 1'), 30)
        for name in ('mongodb_rs_members_optimeDate', 'mongodb_mongod_replset_oplog_head_timestamp',
                     'mongodb_ss_connections', 'mongodb_ss_metrics_cursor_open'):
            assert wait_for(lambda: query(base, name), 20), name
        code, output = playbook(tmp_path, variables)
        assert code == 0 and 'changed=0' in output, output[-3000:]
        client.close()
    finally:
        run_module('db_container', base_args(mongo, 'mongodb', image=MONGO_IMAGE, image_source='official',
                                             state='absent', purge_data=True))
        remove_monitoring(docker_client, prefix, [mongo])
