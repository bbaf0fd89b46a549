# -*- coding: utf-8 -*-
"""Issue 15, "idempotent everywhere, including reports" and "read-only audit", on real servers:

- ten audits in a row of an idle server find the same things: the audit's own statements do not raise the
  counters its checks read (or are subtracted), so no counter-based finding appears that the first run did
  not have, and the measured values stay where they were;
- a report written to dest is not rewritten (not changed) by a second run, in every format;
- a second run of `make demo` (demo.yml + tune_audit.yml) and of the guides' playbooks changes nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import COLLECTIONS, ROOT, base_args, container_names, free_local_ports, remove_everything, run_module

AUDITS = 10
# Findings that measure the server's age: their current value moves with the clock, not with the audit.
CLOCK_FINDINGS = ('.server.uptime',)


@pytest.fixture(scope='module')
def idle_servers(docker_client, local_images):
    """One idle server per engine, made by db_container and touched by nothing else."""
    names = {}
    try:
        for engine in ('mysql', 'mariadb', 'postgres'):
            name = 'dbt-%s-idem%s' % (uuid.uuid4().hex[:6], engine[:2])
            names[engine] = name
            created = run_module('db_container', base_args(name, engine))
            assert not created.failed, created.get('msg')
        yield names
    finally:
        for name in names.values():
            remove_everything(docker_client, name)


def numbers(text):
    return [float(n) for n in re.findall(r'-?\d+(?:\.\d+)?', str(text))]


def same_measure(first, later):
    """Equal, or the same words with numbers within 0.05 (a hit ratio's last digit after ten audits'
    leftovers of a few blocks each)."""
    if first == later:
        return True
    if re.sub(r'-?\d+(?:\.\d+)?', '#', str(first)) != re.sub(r'-?\d+(?:\.\d+)?', '#', str(later)):
        return False
    return all(abs(a - b) <= 0.05 for a, b in zip(numbers(first), numbers(later)))


@pytest.mark.parametrize('engine', ['mysql', 'mariadb', 'postgres'])
def test_ten_audits_of_an_idle_server_find_the_same_things(idle_servers, engine):
    name = idle_servers[engine]
    runs = []
    for _number in range(AUDITS):
        result = run_module('db_tune_report', {'container': name, 'format': 'json'})
        assert not result.failed, result.get('msg')
        runs.append(result)
    first = dict((f['id'], f) for f in runs[0]['findings'])
    for number, result in enumerate(runs[1:], 2):
        found = dict((f['id'], f) for f in result['findings'])
        assert sorted(set(found) - set(first)) == [], 'run %d found what run 1 did not' % number
        assert sorted(set(first) - set(found)) == [], 'run %d lost what run 1 found' % number
        for check_id, item in found.items():
            assert item['severity'] == first[check_id]['severity'], check_id
            if not check_id.endswith(CLOCK_FINDINGS):
                before, after = first[check_id]['current'], item['current']
                moved = 'run %d: %s moved from %r to %r' % (number, check_id, before, after)
                assert same_measure(before, after), moved
        assert result['fingerprint'] == runs[0]['fingerprint'], 'run %d: the report is not the same' % number


@pytest.mark.parametrize('fmt,suffix', [('markdown', 'md'), ('html', 'html'), ('json', 'json')])
def test_a_report_written_again_is_not_a_change(idle_servers, tmp_path, fmt, suffix):
    dest = tmp_path / ('report.' + suffix)
    args = {'container': idle_servers['mariadb'], 'format': fmt, 'dest': str(dest)}
    first = run_module('db_tune_report', args)
    assert not first.failed and first['changed'] is True, first.get('msg')
    text = dest.read_text()
    assert first['generated'] in text
    checked = run_module('db_tune_report', args, check_mode=True)
    assert checked['changed'] is False
    second = run_module('db_tune_report', args)
    assert second['changed'] is False
    assert dest.read_text() == text, 'the second run rewrote the file'
    # Another format to the same file is a change (the fingerprint covers the format).
    other = run_module('db_tune_report', dict(args, format='json' if fmt != 'json' else 'markdown'))
    assert other['changed'] is True


# --- playbooks run twice ------------------------------------------------------------------------
RECAP_LINE = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def recap(output):
    """{host: (ok, changed, unreachable, failed)} of the last PLAY RECAP in the output."""
    tail = output[output.rindex('PLAY RECAP'):]
    return dict((m.group(1), tuple(int(m.group(i)) for i in range(2, 6))) for m in RECAP_LINE.finditer(tail))


def changed_tasks(output):
    """'TASK [name] -> host' for every task a run reported changed (for the failure message)."""
    found, task = [], None
    for line in output.splitlines():
        if line.startswith('TASK ['):
            task = line.split('[', 1)[1].rsplit(']', 1)[0]
        elif line.startswith('changed:'):
            found.append('%s -> %s' % (task, line))
    return found


def assert_nothing_changed(output, what, detail=''):
    hosts = recap(output)
    assert hosts, '%s: no play recap\n%s' % (what, output[-3000:])
    changed = dict((host, counts) for host, counts in hosts.items() if counts[1] or counts[2] or counts[3])
    assert not changed, '%s, second run: %s\n%s\n%s' % (what, changed, '\n'.join(changed_tasks(output)), detail)


@pytest.fixture
def snapshot(tmp_path):
    """A copy of the collection as it is now, for playbooks run twice: the failover watcher's role copies
    plugins/module_utils into its volume, so an edit of the working tree between the two runs (while this
    test runs) would be a real change of the watcher's code. Returns (collections path, collection root)."""
    collections = tmp_path / 'collections'
    root = collections / 'ansible_collections' / 'dbops' / 'containers'
    shutil.copytree(ROOT, str(root), symlinks=True,
                    ignore=shutil.ignore_patterns('.git', '.venv', '.build', '__pycache__', '*.pyc', '.pytest_cache'))
    return str(collections), str(root)


def ansible_playbook(args, collections=COLLECTIONS, root=ROOT):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_CONFIG=os.path.join(root, 'ansible.cfg'),
               DBOPS_IMAGE_SOURCE='local', PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    proc = subprocess.run(['ansible-playbook'] + list(args), capture_output=True, text=True, env=env, timeout=1500,
                          check=False, cwd=root)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_guides_playbooks_change_nothing_the_second_time(local_images, tmp_path, snapshot):
    """provision.yml, audit.yml and monitor.yml twice each. cluster.yml's second run is checked by
    test_docs_examples.test_cluster_guide; failover.yml is an operation (a switchover and back), not a state;
    execution-environment.yml is an ansible-builder file, not a playbook."""
    prefix = 'dbt-%s-idem' % uuid.uuid4().hex[:6]
    secrets = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_root_password=Ex-root-1',
               '-e', 'example_app_password=Ex-app-1']
    audit = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_report_dir=%s' % tmp_path]
    monitor = ['-e', 'example_prefix=%s' % prefix, '-e', 'example_exporter_password=Ex-exp-1',
               '-e', 'example_prometheus_port=127.0.0.1::9090']
    collections, root = snapshot

    def guide(name, *extra):
        return ansible_playbook(['-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s'
                                 % sys.executable, os.path.join(root, 'docs', 'examples', name)] + list(extra),
                                collections, root)
    try:
        for playbook, args in (('provision.yml', secrets), ('audit.yml', audit), ('monitor.yml', monitor)):
            code, output = guide(playbook, *args)
            assert code == 0, '%s, first run:\n%s' % (playbook, output[-3000:])
            code, output = guide(playbook, *args)
            assert code == 0, '%s, second run:\n%s' % (playbook, output[-3000:])
            assert_nothing_changed(output, playbook)
    finally:
        guide('monitor.yml', *(monitor + ['-e', 'example_state=absent']))
        code, output = guide('provision.yml', *(secrets + ['-e', 'example_state=absent']))
        assert code == 0, output[-2000:]


def demo_inventory(directory, prefix, ports, root):
    """inventory/local.yml with the demo's names and ports replaced, beside the demo's group_vars."""
    writer, reader, pgbouncer = ports
    inventory = {'all': {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'dbops_image_source': 'local'},
        'children': {
            'mysql_cluster': {
                'vars': {'mysql_cluster_name': prefix + '-mariadb', 'mysql_flavor': 'mariadb', 'mysql_memory': '1g',
                         'mysql_cpus': 1, 'mysql_published_ports': [], 'mysql_cluster_writer_port': writer,
                         'mysql_cluster_reader_port': reader},
                'hosts': {prefix + '-db1': {'mysql_cluster_role': 'primary'},
                          prefix + '-db2': {'mysql_cluster_role': 'replica'},
                          prefix + '-db3': {'mysql_cluster_role': 'replica'}}},
            'postgresql_cluster': {
                'vars': {'postgresql_cluster_name': prefix + '-postgres', 'postgresql_memory': '1g',
                         'postgresql_cpus': 1, 'postgresql_published_ports': [],
                         'postgresql_cluster_pgbouncer_port': pgbouncer},
                'hosts': {prefix + '-pg1': {'postgresql_cluster_role': 'primary'},
                          prefix + '-pg2': {'postgresql_cluster_role': 'standby'}}},
            'mysql_servers': {'hosts': {}},
            'postgresql_servers': {'hosts': {}},
        }}}
    directory.mkdir()
    (directory / 'local.yml').write_text(json.dumps(inventory))
    os.symlink(os.path.join(root, 'inventory', 'group_vars'), str(directory / 'group_vars'))
    return str(directory / 'local.yml')


def test_make_demo_twice_changes_nothing_the_second_time(local_images, docker_client, tmp_path, snapshot):
    """The Makefile's demo target (demo.yml, then tune_audit.yml) with names and ports of its own, so that it
    runs beside a real `make demo` and other tests."""
    prefix = 'dbt-%s-demo' % uuid.uuid4().hex[:6]
    collections, root = snapshot
    inventory = demo_inventory(tmp_path / 'inventory', prefix, free_local_ports(3), root)
    extra = ['-e', 'demo_secrets_dir=%s' % (tmp_path / 'secrets'), '-e', 'demo_monitoring_prefix=%s-monitoring' % prefix,
             '-e', json.dumps({'demo_prometheus_published_ports': ['127.0.0.1::9090']}),
             '-e', 'tune_audit_dir=%s' % (tmp_path / 'reports')]
    playbooks = [os.path.join(root, 'playbooks', 'demo.yml'), os.path.join(root, 'playbooks', 'tune_audit.yml')]

    def ansible_playbook_here(args):
        return ansible_playbook(args, collections, root)
    try:
        for playbook in playbooks:
            code, output = ansible_playbook_here(['-i', inventory, playbook] + extra)
            assert code == 0, '%s, first run:\n%s' % (playbook, output[-4000:])
        reports = dict((p.name, p.read_text()) for p in (tmp_path / 'reports').iterdir())
        assert sorted(reports) == sorted(['index.md'] + ['%s-%s.md' % (prefix, h)
                                                         for h in ('db1', 'db2', 'db3', 'pg1', 'pg2')])
        for playbook in playbooks:
            code, output = ansible_playbook_here(['-i', inventory, playbook] + extra)
            assert code == 0, '%s, second run:\n%s' % (playbook, output[-4000:])
            rewritten = dict((p.name, p.read_text()) for p in (tmp_path / 'reports').iterdir())
            differences = ['%s:\n%s' % (name, '\n'.join(difflib.unified_diff(
                reports[name].splitlines(), rewritten[name].splitlines(), lineterm='', n=0)))
                for name in sorted(reports) if rewritten.get(name) != reports[name]]
            assert_nothing_changed(output, os.path.basename(playbook), '\n'.join(differences)[-6000:])
        assert dict((p.name, p.read_text()) for p in (tmp_path / 'reports').iterdir()) == reports
    finally:
        code, output = ansible_playbook_here(['-i', inventory, playbooks[0], '-e', 'demo_state=absent'] + extra)
        leftovers = container_names(docker_client, prefix)
        for name in leftovers:
            remove_everything(docker_client, name)
        for volume in docker_client.volumes.list():
            if volume.name.startswith(prefix):
                volume.remove(force=True)
        assert code == 0, output[-3000:]
        assert not leftovers, 'demo_state=absent left %s' % leftovers
