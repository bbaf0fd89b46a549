# -*- coding: utf-8 -*-
"""db_tune_report's dest is rewritten (changed) only when what the report concludes changed: not for the
generation time, not for counters that moved between two runs (issue 15: idempotent reports)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.audit.auditor import write_report
from ansible_collections.dbops.containers.plugins.module_utils.audit.render import (
    fingerprint, fingerprint_of_text, render)

FORMATS = ['json', 'markdown', 'html']


def report(generated='2026-12-06T08:00:00Z', **finding_changes):
    finding = {'id': 'mysql.connections.aborted', 'severity': 'warning', 'category': 'connections',
               'title': 'Aborted connection attempts', 'current': '57.9% aborted', 'recommended': '< 5%',
               'evidence': '208 of 359 connection attempts failed', 'rationale': 'why',
               'fix': 'check the clients', 'source': 'MySQL manual'}
    finding.update(finding_changes)
    return {'server': {'name': 'orders-db', 'engine': 'mariadb', 'version': '11.8.3', 'support': 'supported',
                       'memory_human': '1g', 'cpus': 1, 'limits_source': 'cgroup v2', 'memory': 1 << 30},
            'generated': generated, 'summary': {'score': 90, 'critical': 0, 'warning': 1, 'info': 0, 'checks': 60},
            'findings': [finding], 'not_evaluated': [], 'notes': []}


@pytest.mark.parametrize('fmt', FORMATS)
def test_the_rendered_report_says_when_it_was_made_and_carries_its_fingerprint(fmt):
    text = render(report(), fmt)
    assert '2026-12-06T08:00:00Z' in text
    assert fingerprint_of_text(text, fmt) == fingerprint(report(), fmt)


@pytest.mark.parametrize('fmt', FORMATS)
def test_a_later_run_with_the_same_findings_leaves_the_file(tmp_path, fmt):
    dest = tmp_path / 'report'
    assert write_report(report(), fmt, str(dest)) is True
    first = dest.read_text()
    later = report(generated='2026-12-06T09:30:00Z', current='59.7% aborted',
                   evidence='457 of 766 connection attempts failed')
    assert write_report(later, fmt, str(dest)) is False
    assert dest.read_text() == first, 'the file keeps the snapshot it was, with its own time'


@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('change', [dict(severity='critical'), dict(recommended='< 1%'), dict(fix='another fix'),
                                    dict(id='mysql.connections.near_peak')])
def test_a_different_conclusion_rewrites_the_file(tmp_path, fmt, change):
    dest = tmp_path / 'report'
    write_report(report(), fmt, str(dest))
    changed = report(generated='2026-12-06T09:30:00Z', **change)
    assert write_report(changed, fmt, str(dest), check_mode=True) is True
    assert fingerprint_of_text(dest.read_text(), fmt) == fingerprint(report(), fmt), 'check mode wrote'
    assert write_report(changed, fmt, str(dest)) is True
    assert dest.read_text() == render(changed, fmt)


@pytest.mark.parametrize('fmt', FORMATS)
def test_a_finding_that_goes_away_or_a_new_server_is_a_change(tmp_path, fmt):
    dest = tmp_path / 'report'
    write_report(report(), fmt, str(dest))
    gone = report()
    gone['findings'] = []
    assert write_report(gone, fmt, str(dest)) is True
    moved = copy.deepcopy(gone)
    moved['server']['version'] = '11.8.4'
    assert write_report(moved, fmt, str(dest)) is True


def test_the_format_is_part_of_the_fingerprint():
    assert len(set(fingerprint(report(), fmt) for fmt in FORMATS)) == 3


@pytest.mark.parametrize('fmt', FORMATS)
def test_a_file_without_a_fingerprint_is_compared_by_its_text(tmp_path, fmt):
    dest = tmp_path / 'report'
    text = render(report(), fmt)
    marker_free = '\n'.join(line for line in text.splitlines() if 'dbops-report-fingerprint' not in line) + '\n'
    if fmt == 'json':
        document = json.loads(text)
        del document['fingerprint']
        marker_free = json.dumps(document)
    dest.write_text(marker_free)
    assert fingerprint_of_text(marker_free, fmt) is None
    assert write_report(report(), fmt, str(dest)) is True
    assert fingerprint_of_text(dest.read_text(), fmt) is not None


def test_a_forged_or_broken_fingerprint_is_not_trusted():
    assert fingerprint_of_text('{"fingerprint": "not-hex"}', 'json') is None
    assert fingerprint_of_text('not json', 'json') is None
    assert fingerprint_of_text('<!-- dbops-report-fingerprint: abc -->', 'markdown') is None
