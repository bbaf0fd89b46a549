# -*- coding: utf-8 -*-
"""The role variable check's pure logic: unknown names, the closest option, and the constraints
of the ``Checked:`` lines (ports, sizes, Prometheus durations, ranges, label names, alerts)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.dbops.containers.plugins.action import check_role_variables as crv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
ROLES = os.path.join(ROOT, 'roles')


def option(checked, **extra):
    return dict({'description': ['Something.', 'Checked: %s.' % checked], 'type': 'str'}, **extra)


@pytest.mark.parametrize('value', ['15s', '1m', '1m30s', '2h', '15d', '1y', '1w2d', '500ms', '1h0m'])
def test_prometheus_durations_accepted(value):
    assert crv.check_duration(value) is None


@pytest.mark.parametrize('value', ['15', '15 s', '15sec', '1.5m', '30s1m', '', '-1m', '0s', '0', 'soon', '1M'])
def test_not_prometheus_durations_refused(value):
    assert crv.check_duration(value)


@pytest.mark.parametrize('value', ['127.0.0.1:9090:9090', '9090:9090', ':9090', '0.0.0.0:3306:3306/tcp',
                                   '[::1]:5432:5432', '53:53/udp'])
def test_published_ports_accepted(value):
    assert crv.check_published_port(value) is None


@pytest.mark.parametrize('value, words', [
    ('127.0.0.1:99999:9090', 'from 1 to 65535'),
    ('127.0.0.1:0:9090', 'from 1 to 65535'),
    ('9090', 'not a published port'),
    ('127.0.0.1:90a:9090', 'not a published port'),
    ('9090:9090/http', 'not a published port'),
])
def test_bad_published_ports_refused(value, words):
    assert words in crv.check_published_port(value)


def test_ports_and_integer_ranges():
    port = crv.parse_checked(option('a port (1 to 65535)'))[0]
    assert port == ('int', 1, 65535, False)
    assert crv.check_value(port[:-1], 3306) is None
    assert crv.check_value(port[:-1], '3306') is None
    assert 'from 1 to 65535' in crv.check_value(port[:-1], 0)
    assert 'from 1 to 65535' in crv.check_value(port[:-1], 65536)
    assert 'integer' in crv.check_value(port[:-1], 'http')
    assert 'integer' in crv.check_value(port[:-1], True)
    ranged = crv.parse_checked(option('an integer from 1 to 86400'))[0][:-1]
    assert crv.check_value(ranged, 86400) is None
    assert 'from 1 to 86400' in crv.check_value(ranged, 86401)
    least = crv.parse_checked(option('an integer of at least 2'))[0][:-1]
    assert 'at least 2' in crv.check_value(least, 1)
    assert crv.check_value(least, 10 ** 9) is None


def test_numbers():
    positive = crv.parse_checked(option('a number greater than 0'))[0][:-1]
    assert crv.check_value(positive, 0.5) is None
    assert 'greater than 0' in crv.check_value(positive, 0)
    assert 'number' in crv.check_value(positive, 'two')
    between = crv.parse_checked(option('a number from 0 to 1000'))[0][:-1]
    assert crv.check_value(between, '0.5') is None
    assert 'from 0 to 1000' in crv.check_value(between, 1001)


@pytest.mark.parametrize('value, good', [('512m', True), ('4g', True), ('2GiB', True), ('lots', False),
                                         ('-1g', False), ('4gb?', False), ('0', False)])
def test_sizes(value, good):
    kind = crv.parse_checked(option('a size such as 512m or 4g'))[0][:-1]
    assert (crv.check_value(kind, value) is None) == good


def test_docker_names_urls_and_labels():
    assert crv.check_value(('docker_name',), 'dbt-1.a_b') is None
    assert crv.check_value(('docker_name',), 'bad name')
    assert crv.check_value(('docker_name',), '-leading')
    assert crv.check_value(('url',), 'https://hooks.example.com/x') is None
    assert crv.check_value(('url',), 'hooks.example.com')
    assert crv.check_value(('label_names',), {'env': 'prod', '_x1': 'y'}) is None
    assert "'1env'" in crv.check_value(('label_names',), {'1env': 'prod'})
    assert "'env-name'" in crv.check_value(('label_names',), {'env-name': 'prod'})


def test_empty_values_pass_only_where_the_line_says_or_empty():
    assert crv.check_option('x_tmpfs_size', option('a size such as 512m or 4g, or empty'), '') == []
    assert crv.check_option('x_memory', option('a size such as 512m or 4g'), '') == ['x_memory: must not be empty']
    # an unset option (None) is the spec's business (required), never this check's
    assert crv.check_option('x_memory', option('a size such as 512m or 4g'), None) == []


def test_list_values_are_checked_item_by_item_and_named_by_index():
    problems = crv.check_option('x_ports', option('a port (1 to 65535)', type='list'), [80, 0])
    assert problems == ['x_ports[1]: 0 is out of range: a port is from 1 to 65535']


def test_suboptions_are_checked_per_element():
    spec = {'description': 'Targets.', 'type': 'list', 'elements': 'dict',
            'options': {'port': option('a port (1 to 65535)', type='int'),
                        'labels': option('Prometheus label names, or empty', type='dict')}}
    problems = crv.check_option('t', spec, [{'port': 1}, {'port': 70000, 'labels': {'a-b': 1}}])
    assert problems == ['t[1].port: 70000 is out of range: a port is from 1 to 65535',
                        "t[1].labels: 'a-b': not Prometheus label names (letters, digits and _, not starting "
                        "with a digit)"]


def test_alerts_and_rule_files_are_checked_against_the_rule_files():
    context = crv.rule_context(os.path.join(ROLES, 'monitoring'), None, ['mysql'])
    assert 'MysqlDown' in context['alert_names']
    assert set(['mysql', 'postgres', 'mongodb', 'replication']) <= set(context['rule_names'])
    assert crv.check_value(('alert_for',), {'MysqlDown': '30s'}, context) is None
    assert 'did you mean MysqlDown?' in crv.check_value(('alert_for',), {'MysqlDwn': '30s'}, context)
    # an alert of a rule file that is not loaded is unknown too
    assert crv.check_value(('alert_for',), {'PostgresqlDown': '30s'}, context)
    assert "'soon' is not a Prometheus duration" in crv.check_value(('alert_for',), {'MysqlDown': 'soon'}, context)
    assert 'did you mean postgres?' in crv.check_value(('rule_files',), ['postgress'], context)


def test_playbook_rule_files_are_known(tmp_path):
    rules = tmp_path / 'files' / 'rules'
    rules.mkdir(parents=True)
    (rules / 'custom.yml').write_text('groups:\n  - name: c\n    rules:\n      - alert: MyAlert\n        expr: up == 0\n')
    context = crv.rule_context(os.path.join(ROLES, 'monitoring'), str(tmp_path), ['custom'])
    assert 'custom' in context['rule_names'] and context['alert_names'] == ['MyAlert']


def test_an_unknown_phrase_is_a_bug_of_the_spec():
    with pytest.raises(crv.SpecError, match='not one of the known constraints'):
        crv.parse_checked(option('a lucky number'), 'x_lucky')


def test_unknown_names_get_the_closest_option_and_skip_longer_prefixes():
    options = {'mysql_memory': {}, 'mysql_cpus': {}, 'mysql_published_ports': {}}
    names = ['mysql_memroy', 'mysql_cpus', 'mysql_cluster_port', 'mysql_container', 'mysql_zzz', 'mysql_mine',
             'postgresql_memory', 'mysql_published_port']
    unknown = crv.split_names(names, 'mysql_', options, own={'mysql_container'}, other_prefixes=['mysql_cluster_'],
                              ignored=['mysql_mi*'])
    assert unknown == [('mysql_memroy', 'mysql_memory'), ('mysql_published_port', 'mysql_published_ports'),
                       ('mysql_zzz', None)]
    messages = crv.unknown_messages(unknown, 'mysql')
    assert messages[0] == 'mysql_memroy: not a variable of the mysql role; did you mean mysql_memory?'
    assert 'roles/mysql/README.md' in messages[2]


def test_a_role_knows_its_own_names_and_its_longer_prefixed_siblings():
    prefix, options, own, others = crv.load_role(os.path.join(ROLES, 'mysql'))
    assert prefix == 'mysql_' and 'mysql_memory' in options
    assert 'mysql_container' in own          # set_fact of the role's result
    assert others == ['mysql_cluster_']
    prefix, options, own, others = crv.load_role(os.path.join(ROLES, 'mysql_cluster'))
    assert others == [] and 'mysql_cluster_members' in own   # vars/main.yml


def test_sentences():
    assert crv.sentence('did you mean x?') == 'did you mean x?'
    assert crv.sentence('out of range') == 'out of range.'


def test_what_a_cluster_role_hands_its_nodes_role_is_known():
    """mysql_cluster sets mysql_published_ports etc. for the mysql role (include_role vars): names it sets."""
    found = crv._walk_names_in(os.path.join(ROLES, 'mysql_cluster'), 'mysql_', set())
    assert 'mysql_published_ports' in found and 'mysql_settings' in found
    # and every one of them is an option of the mysql role (a misspelled one would be silently ignored there)
    mysql_options = crv.load_role(os.path.join(ROLES, 'mysql'))[1]
    assert sorted(name for name in found if not name.startswith('mysql_cluster_') and name not in mysql_options) == []
