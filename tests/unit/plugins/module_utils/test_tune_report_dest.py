# -*- coding: utf-8 -*-
"""db_tune_report's dest: changed says whether the file changes, and check mode writes nothing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.audit.auditor import write_report
from ansible_collections.dbops.containers.plugins.module_utils.audit.render import render
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

REPORT = {'server': {'name': 'orders-db'}, 'summary': {'score': 90}, 'findings': []}


@pytest.mark.parametrize('check_mode', [True, False])
def test_a_missing_file_is_a_change(tmp_path, check_mode):
    dest = tmp_path / 'report.json'
    assert write_report(REPORT, 'json', str(dest), check_mode=check_mode) is True
    assert dest.exists() is not check_mode


@pytest.mark.parametrize('check_mode', [True, False])
def test_the_same_report_is_no_change(tmp_path, check_mode):
    dest = tmp_path / 'report.json'
    dest.write_text(render(REPORT, 'json'))
    assert write_report(REPORT, 'json', str(dest), check_mode=check_mode) is False


def test_check_mode_predicts_a_different_report_and_leaves_the_file(tmp_path):
    dest = tmp_path / 'report.json'
    dest.write_text('old report\n')
    assert write_report(REPORT, 'json', str(dest), check_mode=True) is True
    assert dest.read_text() == 'old report\n'
    assert write_report(REPORT, 'json', str(dest)) is True
    assert dest.read_text() == render(REPORT, 'json')


def test_check_mode_still_refuses_a_missing_directory(tmp_path):
    with pytest.raises(DbopsError) as error:
        write_report(REPORT, 'json', str(tmp_path / 'nope' / 'r.json'), check_mode=True)
    assert error.value.parameter == 'dest'
