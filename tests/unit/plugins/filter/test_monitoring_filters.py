# -*- coding: utf-8 -*-
"""The monitoring role's filters: Prometheus's configuration from the targets, alert `for:` overrides."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.dbops.containers.plugins.filter import monitoring

TARGETS = [
    {'name': 'orders-db', 'engine': 'mariadb'},
    {'name': 'orders-replica', 'engine': 'mysql', 'labels': {'role': 'replica'}},
    {'name': 'billing', 'engine': 'postgres', 'exporter_name': 'billing-pgexp'},
]


def job(config, name):
    return next(j for j in config['scrape_configs'] if j['job_name'] == name)


def test_one_job_per_exporter_kind_and_instance_is_the_database():
    config = monitoring.prometheus_config(TARGETS, scrape_interval='2s', evaluation_interval='3s',
                                          rule_files=['/r/mysql.yml'])
    assert config['global'] == {'scrape_interval': '2s', 'evaluation_interval': '3s'}
    assert config['rule_files'] == ['/r/mysql.yml']
    assert [j['job_name'] for j in config['scrape_configs']] == ['prometheus', 'mysql', 'postgres']
    assert job(config, 'mysql')['static_configs'] == [
        {'targets': ['orders-db-exporter:9104'], 'labels': {'instance': 'orders-db', 'engine': 'mariadb'}},
        {'targets': ['orders-replica-exporter:9104'],
         'labels': {'instance': 'orders-replica', 'engine': 'mysql', 'role': 'replica'}},
    ]
    assert job(config, 'postgres')['static_configs'] == [
        {'targets': ['billing-pgexp:9187'], 'labels': {'instance': 'billing', 'engine': 'postgres'}}]
    assert 'alerting' not in config


def test_alertmanager_and_external_labels():
    config = monitoring.prometheus_config(TARGETS[:1], alertmanager='am:9093', external_labels={'site': 'x'})
    assert config['alerting'] == {'alertmanagers': [{'static_configs': [{'targets': ['am:9093']}]}]}
    assert job(config, 'alertmanager')['static_configs'] == [{'targets': ['am:9093']}]
    assert config['global']['external_labels'] == {'site': 'x'}


def test_no_targets_scrapes_prometheus_only():
    assert [j['job_name'] for j in monitoring.prometheus_config([])['scrape_configs']] == ['prometheus']


@pytest.mark.parametrize('target', [{'name': 'x', 'engine': 'oracle'}, {'engine': 'mysql'}, 'x'])
def test_bad_targets_are_refused(target):
    with pytest.raises(AnsibleFilterError, match='name and an engine'):
        monitoring.prometheus_config([target])


def test_for_overrides_change_only_the_named_alerts_and_copy():
    group = {'name': 'g', 'rules': [
        {'alert': 'A', 'expr': 'x', 'for': '1m'},
        {'alert': 'B', 'expr': 'y', 'for': '2m'},
        {'record': 'r', 'expr': 'z'},
    ]}
    rules = {'groups': [group]}
    result = monitoring.alert_rules_for(rules, {'A': '5s', 'Missing': '1s'})
    assert result['groups'][0]['rules'][0]['for'] == '5s'
    assert result['groups'][0]['rules'][1]['for'] == '2m'
    assert rules['groups'][0]['rules'][0]['for'] == '1m'  # the input is left alone
    assert monitoring.alert_names(rules) == ['A', 'B']


def test_filters_are_registered():
    names = set(monitoring.FilterModule().filters())
    assert {'prometheus_config', 'alert_rules_for', 'alert_names', 'monitoring_exporter_name'} <= names


GROUPS = {'mysql_servers': ['db1', 'db2'], 'postgresql_servers': ['pg1'], 'mongodb_servers': ['mg1'],
          'other': ['x1']}
HOSTVARS = {
    'db1': {'mysql_container_name': 'orders-db', 'mysql_flavor': 'mysql'},
    'db2': {},  # the mysql role's defaults: a MariaDB container named mariadb
    'pg1': {'postgresql_container_name': 'billing', 'postgresql_database': 'billing'},
    'mg1': {'mongodb_container_name': 'events'},
    'x1': {'mysql_container_name': 'not-monitored'},
}


def test_inventory_targets_from_the_default_groups():
    groups = {'mysql': 'mysql_servers', 'postgres': 'postgresql_servers', 'mongodb': 'mongodb_servers'}
    targets = monitoring.inventory_targets(groups, GROUPS, HOSTVARS)
    assert targets == [
        {'name': 'orders-db', 'engine': 'mysql'},
        {'name': 'mariadb', 'engine': 'mariadb'},
        {'name': 'billing', 'engine': 'postgres', 'database': 'billing'},
        {'name': 'events', 'engine': 'mongodb'},
    ]
    # ... and they make a valid scrape configuration, MongoDB included.
    config = monitoring.prometheus_config(targets)
    assert job(config, 'mongodb')['static_configs'] == [
        {'targets': ['events-exporter:9216'], 'labels': {'instance': 'events', 'engine': 'mongodb'}}]


def test_inventory_targets_other_groups_missing_groups_and_defaults():
    assert monitoring.inventory_targets({'mysql': 'other', 'postgres': 'nowhere'}, GROUPS, HOSTVARS) == [
        {'name': 'not-monitored', 'engine': 'mariadb'}]
    assert monitoring.inventory_targets({'postgres': 'pg', 'mysql': ''}, {'pg': ['h']}, {'h': {}}) == [
        {'name': 'postgresql', 'engine': 'postgres', 'database': 'postgres'}]
    assert monitoring.inventory_targets({}, GROUPS, HOSTVARS) == []


def test_inventory_targets_refuse_unknown_group_keys():
    with pytest.raises(AnsibleFilterError, match='monitoring_target_groups has keys postgresql: use mysql'):
        monitoring.inventory_targets({'postgresql': 'postgresql_servers'}, GROUPS, HOSTVARS)
