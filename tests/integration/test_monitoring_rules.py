# -*- coding: utf-8 -*-
"""promtool (from the local Prometheus image) checks the alert rules, runs their unit
tests (tests/monitoring/rules_test*.yml) and parses every dashboard expression; amtool (from
the local Alertmanager image) checks the alertmanager.yml the role renders."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import io
import json
import os
import tarfile

import pytest
import yaml

from conftest import ROOT, TEST_LABEL, image_available

PROMETHEUS_IMAGE = 'localhost/dbops/prometheus:2.42'
ALERTMANAGER_IMAGE = 'localhost/dbops/alertmanager:0.25'
ALERTMANAGER_TEMPLATE = os.path.join(ROOT, 'roles', 'monitoring', 'templates', 'alertmanager.yml.j2')
RULE_FILES = sorted(glob.glob(os.path.join(ROOT, 'roles', 'monitoring', 'files', 'rules', '*.yml')))
RULE_TESTS = sorted(glob.glob(os.path.join(ROOT, 'tests', 'monitoring', 'rules_test*.yml')))


def _tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def promtool(client, files, *args, **kwargs):
    """Run promtool (or kwargs tool/image) in /tmp/t with the given {relative path: bytes}; (exit code, output)."""
    tool, image = kwargs.get('tool', 'promtool'), kwargs.get('image', PROMETHEUS_IMAGE)
    container = client.containers.create(image, entrypoint=['sh', '-c', 'cd /tmp/t && %s "$@"' % tool, '-'],
                                         command=list(args), labels=TEST_LABEL, network_disabled=True)
    try:
        container.put_archive('/tmp', _tar(dict(('t/' + k, v) for k, v in files.items())))
        container.start()
        code = container.wait(timeout=120)['StatusCode']
        return code, container.logs().decode('utf-8', 'replace')
    finally:
        container.remove(force=True, v=True)


@pytest.fixture(scope='module')
def prometheus_image(docker_client):
    if not image_available(docker_client, PROMETHEUS_IMAGE):
        pytest.fail('image %s is missing: run scripts/build-images.sh prometheus' % PROMETHEUS_IMAGE)
    return PROMETHEUS_IMAGE


def repo_files(paths):
    files = {}
    for path in paths:
        with open(path, 'rb') as handle:
            files[os.path.relpath(path, ROOT)] = handle.read()
    return files


def test_promtool_check_rules(docker_client, prometheus_image):
    files = repo_files(RULE_FILES)
    code, output = promtool(docker_client, files, 'check', 'rules', *sorted(files))
    assert code == 0, output
    assert output.count('SUCCESS') == len(RULE_FILES), output


def test_promtool_rule_unit_tests(docker_client, prometheus_image):
    assert len(RULE_TESTS) >= 4
    files = repo_files(RULE_FILES + RULE_TESTS)
    tests = [os.path.relpath(path, ROOT) for path in RULE_TESTS]
    code, output = promtool(docker_client, files, 'test', 'rules', *tests)
    assert code == 0 and output.count('SUCCESS') == len(tests), output


def test_promtool_rule_unit_tests_fail_on_a_wrong_expectation(docker_client, prometheus_image):
    """The unit tests can fail: the same down server, expected to fire before its `for:` elapsed."""
    wrong = (b'rule_files: [../../roles/monitoring/files/rules/mysql.yml]\n'
             b'tests:\n  - interval: 15s\n    input_series: [{series: \'mysql_up{instance="db"}\', values: "0x10"}]\n'
             b'    alert_rule_test: [{eval_time: 30s, alertname: MysqlDown, exp_alerts: [{exp_labels: '
             b'{severity: critical, instance: db}}]}]\n')
    files = repo_files(RULE_FILES)
    files['tests/monitoring/wrong_test.yml'] = wrong
    code, output = promtool(docker_client, files, 'test', 'rules', 'tests/monitoring/wrong_test.yml')
    assert code != 0 and 'FAILED' in output, output


def test_promtool_rejects_a_broken_rule(docker_client, prometheus_image):
    broken = b'groups: [{name: g, rules: [{alert: X, expr: "rate(mysql_up[5m]", for: 1m}]}]\n'
    code, output = promtool(docker_client, {'broken.yml': broken}, 'check', 'rules', 'broken.yml')
    assert code != 0 and 'FAILED' in output, output


def test_promtool_parses_every_dashboard_expression(docker_client, prometheus_image):
    rules = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', 'monitoring', 'files', 'dashboards', '*.json'))):
        with open(path) as handle:
            dashboard = json.load(handle)
        for panel in dashboard['panels']:
            for target in panel['targets']:
                record = 'dashboard:%s:%s:%s' % (dashboard['uid'].replace('-', '_'), panel['id'], target['refId'])
                rules.append({'record': record, 'expr': target['expr'].replace('$instance', '.*')})
    assert len(rules) > 50
    text = yaml.safe_dump({'groups': [{'name': 'dashboards', 'rules': rules}]}).encode('utf-8')
    code, output = promtool(docker_client, {'dashboards.yml': text}, 'check', 'rules', 'dashboards.yml')
    assert code == 0 and 'SUCCESS: %d rules found' % len(rules) in output, output


def render_alertmanager(webhook_url):
    import jinja2
    with open(ALERTMANAGER_TEMPLATE) as handle:
        template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(handle.read())
    template.environment.filters['to_json'] = json.dumps
    return template.render(monitoring_alertmanager_webhook_url=webhook_url).encode('utf-8')


@pytest.mark.parametrize('url, receivers', [('https://hooks.example.com/a?token=x"y', 1), ('', 1)])
def test_amtool_accepts_the_rendered_alertmanager_config(docker_client, url, receivers):
    if not image_available(docker_client, ALERTMANAGER_IMAGE):
        pytest.fail('image %s is missing: run scripts/build-images.sh alertmanager' % ALERTMANAGER_IMAGE)
    text = render_alertmanager(url)
    assert (b'webhook_configs' in text) == bool(url)
    code, output = promtool(docker_client, {'alertmanager.yml': text}, 'check-config', 'alertmanager.yml',
                            tool='amtool', image=ALERTMANAGER_IMAGE)
    assert code == 0 and 'SUCCESS' in output and ' - %d receivers' % receivers in output, output


def test_amtool_rejects_a_broken_config(docker_client):
    if not image_available(docker_client, ALERTMANAGER_IMAGE):
        pytest.fail('image %s is missing: run scripts/build-images.sh alertmanager' % ALERTMANAGER_IMAGE)
    broken = render_alertmanager('http://receiver:8080/hook').replace(b'receiver: webhook', b'receiver: nowhere')
    code, output = promtool(docker_client, {'alertmanager.yml': broken}, 'check-config', 'alertmanager.yml',
                            tool='amtool', image=ALERTMANAGER_IMAGE)
    assert code != 0 and 'FAILED' in output, output
