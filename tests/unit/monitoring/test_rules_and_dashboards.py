# -*- coding: utf-8 -*-
"""The monitoring role's alert rules and Grafana dashboards, as data.

Every metric a rule or a panel uses must be one the exporters really export:
the lists in metrics/ were read from real scrapes (mysqld_exporter 0.19 on
MySQL 9.7, MariaDB 11.8 and 10.11, postgres_exporter 0.19 with the role's queries
on PostgreSQL 18, 17 and 15; tests/integration/test_monitoring.py writes them with
DBOPS_MONITORING_METRICS_DIR set) or, for MongoDB, from the exporter's documentation. promtool parses the
expressions in tests/integration/test_monitoring_rules.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
ROLE = os.path.join(ROOT, 'roles', 'monitoring')
RULES = os.path.join(ROLE, 'files', 'rules')
DASHBOARDS = sorted(glob.glob(os.path.join(ROLE, 'files', 'dashboards', '*.json')))
METRICS_DIR = os.path.join(os.path.dirname(__file__), 'metrics')
DATASOURCE_TEMPLATE = os.path.join(ROLE, 'templates', 'grafana-datasource.yml.j2')
PREFIXES = ('mysql_', 'pg_', 'mongodb_')


def known_metrics():
    names = set()
    for path in glob.glob(os.path.join(METRICS_DIR, '*.txt')):
        with open(path) as handle:
            names.update(line.strip() for line in handle if line.strip() and not line.startswith('#'))
    return names


def metric_names(expr):
    """The exporter metric names an expression uses (label matchers, strings and groupings removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r'\{[^}]*\}', '', text)
    text = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)', '', text)
    return set(token for token in re.findall(r'[A-Za-z_:][A-Za-z0-9_:]*', text) if token.startswith(PREFIXES))


def load_rules(name):
    with open(os.path.join(RULES, name + '.yml')) as handle:
        return yaml.safe_load(handle)


def all_rules():
    for name in ('mysql', 'postgres', 'mongodb', 'replication'):
        for group in load_rules(name)['groups']:
            for rule in group['rules']:
                yield name, rule


def panels(dashboard):
    for panel in dashboard['panels']:
        yield panel
        yield from panel.get('panels') or []  # panels inside a collapsed row


def load_dashboards():
    result = []
    for path in DASHBOARDS:
        with open(path) as handle:
            result.append((os.path.basename(path), json.load(handle)))
    return result


def test_metric_name_extraction():
    assert metric_names('sum by (instance) (rate(pg_x{datname!~"pg_y"}[5m])) / on (instance) pg_z') == {
        'pg_x', 'pg_z'}
    assert metric_names('{__name__=~"pg_settings_.*"} != on (__name__) {__name__=~"pg_.*"} offset 5m') == set()


# The awesome-prometheus-alerts rules each file carries (names as upstream spells them), and
# the deliberate differences the rule files' headers and the role's README explain.
AWESOME = {
    'mysql': ['MysqlDown', 'MysqlTooManyConnections', 'MysqlHighPreparedStatementsUtilization',
              'MysqlHighThreadsRunning', 'MysqlSlaveIoThreadNotRunning', 'MysqlSlaveSqlThreadNotRunning',
              'MysqlSlaveReplicationLag', 'MysqlSlowQueries', 'MysqlInnodbLogWaits', 'MysqlRestarted',
              'MysqlHighQps', 'MysqlTooManyOpenFiles', 'MysqlInnodbForceRecoveryIsEnabled',
              'MysqlInnodbHistoryLenTooLong'],
    'postgres': ['PostgresqlDown', 'PostgresqlRestarted', 'PostgresqlExporterError', 'PostgresqlReplicationLag',
                 'PostgresqlTableNotAutoVacuumed', 'PostgresqlTableNotAutoAnalyzed', 'PostgresqlTooManyConnections',
                 'PostgresqlNotEnoughConnections', 'PostgresqlDeadLocks', 'PostgresqlHighRollbackRate',
                 'PostgresqlCommitRateLow', 'PostgresqlLowXidConsumption', 'PostgresqlHighRateDeadlock',
                 'PostgresqlUnusedReplicationSlot', 'PostgresqlTooManyDeadTuples', 'PostgresqlSplitBrain',
                 'PostgresqlPromotedNode', 'PostgresqlConfigurationChanged', 'PostgresqlTooManyLocksAcquired',
                 'PostgresqlInvalidIndex'],
    'mongodb': ['MongodbDown', 'MongodbReplicaMemberUnhealthy', 'MongodbReplicationLag', 'MongodbReplicationHeadroom',
                'MongodbNumberCursorsOpen', 'MongodbCursorsTimeouts', 'MongodbTooManyConnections'],
}
# Upstream PostgreSQL rules left out, each because no exporter the role runs exports its metric.
POSTGRES_LEFT_OUT = ['PostgresqlHighRateStatementTimeout', 'PostgresqlSslCompressionActive',
                     'PostgresqlBloatIndexHigh', 'PostgresqlBloatTableHigh']


@pytest.mark.parametrize('name', sorted(AWESOME))
def test_awesome_prometheus_alerts_coverage(name):
    alerts = [rule['alert'] for group in load_rules(name)['groups'] for rule in group['rules']]
    assert alerts == AWESOME[name]
    assert len(alerts) == len(set(alerts)) >= {'mysql': 14, 'postgres': 20, 'mongodb': 7}[name]


def test_left_out_postgres_rules_are_documented():
    with open(os.path.join(RULES, 'postgres.yml')) as handle:
        header = handle.read().split('groups:')[0]
    with open(os.path.join(ROLE, 'README.md')) as handle:
        readme = handle.read()
    for name in POSTGRES_LEFT_OUT:
        assert name in header and name in readme, name
        assert name not in AWESOME['postgres']


def test_postgres_rules_use_the_right_counters():
    rules = dict((rule['alert'], rule['expr']) for group in load_rules('postgres')['groups'] for rule in group['rules'])
    # Deadlocks are pg_stat_database_deadlocks; confl_deadlock counts standby recovery conflicts.
    assert 'pg_stat_database_deadlocks' in rules['PostgresqlHighRateDeadlock']
    assert not any('confl_deadlock' in expr or 'sessions_killed' in expr for expr in rules.values())
    assert 'pg_replication_slot_slot_is_active' in rules['PostgresqlUnusedReplicationSlot']


def test_replication_alerts():
    alerts = dict((rule['alert'], rule) for group in load_rules('replication')['groups'] for rule in group['rules'])
    assert 'mysql_slave_status_slave_io_running' in alerts['MysqlReplicationStopped']['expr']
    for name in ('MysqlSemiSyncFellBackToAsync', 'MysqlSemiSyncNoClients'):
        # MariaDB / MySQL < 8.0.26 and MySQL 8.0.26+ (rpl_semi_sync_source plugin) names.
        assert 'rpl_semi_sync_master_' in alerts[name]['expr'] and 'rpl_semi_sync_source_' in alerts[name]['expr']
    assert 'mysql_global_status_rpl_semi_sync_master_status' in alerts['MysqlSemiSyncFellBackToAsync']['expr']
    assert 'pg_replication_lag_seconds' in alerts['PostgresqlReplicationStopped']['expr']


def test_every_rule_is_complete_and_uses_exported_metrics():
    known = known_metrics()
    names = []
    for file_name, rule in all_rules():
        names.append(rule['alert'])
        assert set(rule) == {'alert', 'expr', 'for', 'labels', 'annotations'}, rule['alert']
        assert rule['labels']['severity'] in ('critical', 'warning', 'info'), rule['alert']
        assert rule['annotations']['summary'] and rule['annotations']['description'], rule['alert']
        assert re.match(r'^\d+[smh]$', rule['for']), rule['alert']
        used = metric_names(rule['expr'])
        assert used or rule['alert'] == 'PostgresqlConfigurationChanged', rule['alert']
        assert used <= known, '%s (%s) uses unknown metrics %s' % (rule['alert'], file_name, used - known)
    assert len(names) == len(set(names)), 'alert names must be unique'


def test_down_alerts_wait_before_firing():
    fors = dict((rule['alert'], rule['for']) for _name, rule in all_rules())
    assert fors['MysqlDown'] == fors['PostgresqlDown'] == fors['MongodbDown'] == '1m'


def test_dashboards_per_engine_and_kind():
    names = set(name for name, _d in load_dashboards())
    for engine in ('mysql', 'postgres', 'mongodb'):
        for kind in ('overview', 'replication', 'statements'):
            assert '%s-%s.json' % (engine, kind) in names


def test_dashboards_are_valid_and_unique():
    dashboards = load_dashboards()
    uids = [d['uid'] for _n, d in dashboards]
    titles = [d['title'] for _n, d in dashboards]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)
    for name, dashboard in dashboards:
        assert re.match(r'^[A-Za-z0-9_-]{1,40}$', dashboard['uid']), name
        ids = [p['id'] for p in panels(dashboard)]
        assert len(ids) == len(set(ids)) and ids, name


def test_panels_use_the_provisioned_datasource_and_exported_metrics():
    with open(DATASOURCE_TEMPLATE) as handle:
        uid = re.search(r'^\s+uid:\s*(\S+)', handle.read(), re.M).group(1)
    known = known_metrics()
    for name, dashboard in load_dashboards():
        for variable in dashboard.get('templating', {}).get('list', []):
            if 'datasource' in variable:
                assert variable['datasource']['uid'] == uid, name
        for panel in panels(dashboard):
            assert panel['datasource'] == {'type': 'prometheus', 'uid': uid}, (name, panel['title'])
            assert panel['targets'], (name, panel['title'])
            for target in panel['targets']:
                assert target.get('datasource', panel['datasource'])['uid'] == uid
                expr = target['expr']
                assert expr.count('(') == expr.count(')') and expr.count('{') == expr.count('}'), expr
                used = metric_names(expr)
                assert used, (name, panel['title'], expr)
                assert used <= known, '%s / %s uses unknown metrics %s' % (name, panel['title'], used - known)


def test_every_alert_has_a_promtool_firing_case():
    """A new rule cannot go untested: each alert must fire in some tests/monitoring/rules_test*.yml case."""
    paths = sorted(glob.glob(os.path.join(ROOT, 'tests', 'monitoring', 'rules_test*.yml')))
    assert len(paths) >= 4
    firing, silent = set(), set()
    for path in paths:
        with open(path) as handle:
            document = yaml.safe_load(handle)
        for rule_file in document['rule_files']:
            assert os.path.exists(os.path.normpath(os.path.join(os.path.dirname(path), rule_file))), (path, rule_file)
        for case in document['tests']:
            for check in case.get('alert_rule_test') or []:
                (firing if check.get('exp_alerts') else silent).add(check['alertname'])
    names = set(rule['alert'] for _name, rule in all_rules())
    assert len(names) == 47
    assert names - firing == set(), 'alerts without a firing promtool case: %s' % sorted(names - firing)
    assert firing <= names and silent <= names, 'tests name alerts that do not exist: %s' % sorted((firing | silent) - names)
    # The important ones also have a case where they stay silent.
    important = {'MysqlDown', 'PostgresqlDown', 'MongodbDown', 'MysqlReplicationStopped', 'MysqlSemiSyncFellBackToAsync',
                 'PostgresqlReplicationStopped', 'MysqlSlaveIoThreadNotRunning', 'MysqlSlaveSqlThreadNotRunning',
                 'PostgresqlSplitBrain', 'PostgresqlPromotedNode', 'PostgresqlRestarted', 'MysqlRestarted',
                 'PostgresqlTooManyConnections', 'MysqlTooManyConnections'}
    assert important - silent == set(), 'important alerts without a silent case: %s' % sorted(important - silent)
