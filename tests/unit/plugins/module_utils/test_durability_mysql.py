# -*- coding: utf-8 -*-
"""durability required | preferred on MySQL and MariaDB: the primary's semi-sync plan, the start-up file of a
primary, the synchronous state the failover probe reads, and the option checks before anything connects."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import configparser

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import failover as fmy
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import replication as repl
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import startup_config
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import (
    SEMI_SYNC_NO_FALLBACK_MS, flavor_named, flavor_of)
from ansible_collections.dbops.containers.plugins.module_utils.replication import check_options

MARIADB = ('mariadb', (10, 11, 18))
MYSQL97 = ('mysql', (9, 7, 4))
NO_FALLBACK = str(SEMI_SYNC_NO_FALLBACK_MS)


def parsed(text):
    parser = configparser.ConfigParser(allow_no_value=True, comment_prefixes=('#',))
    parser.read_string(text)
    return dict(parser['mysqld'])


def test_the_no_fallback_timeout_is_the_largest_the_servers_accept():
    # information_schema.SYSTEM_VARIABLES NUMERIC_MAX_VALUE of rpl_semi_sync_master_timeout on MariaDB 10.11
    # and 11.8, and what MySQL 9.7 keeps unadjusted: 2^64 - 1 (see the integration test for the real servers).
    assert SEMI_SYNC_NO_FALLBACK_MS == 2 ** 64 - 1


def test_required_plan_never_falls_back_on_mariadb():
    server_defaults = {'rpl_semi_sync_master_enabled': 'OFF', 'rpl_semi_sync_master_timeout': '10000',
                       'rpl_semi_sync_master_wait_point': 'AFTER_COMMIT', 'rpl_semi_sync_master_wait_no_slave': 'OFF'}
    assert repl.semi_sync_primary_plan(*MARIADB, variables=server_defaults, active_plugins=set(),
                                       durability='required') == [
        'SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC',
        'SET GLOBAL rpl_semi_sync_master_wait_no_slave = ON',
        'SET GLOBAL rpl_semi_sync_master_timeout = %s' % NO_FALLBACK,
        'SET GLOBAL rpl_semi_sync_master_enabled = ON']
    # What SHOW VARIABLES shows once applied: nothing left to do (a second run changes nothing).
    applied = {'rpl_semi_sync_master_enabled': 'ON', 'rpl_semi_sync_master_timeout': NO_FALLBACK,
               'rpl_semi_sync_master_wait_point': 'AFTER_SYNC', 'rpl_semi_sync_master_wait_no_slave': 'ON'}
    assert repl.semi_sync_primary_plan(*MARIADB, variables=applied, active_plugins=set(),
                                       durability='required') == []


def test_required_ignores_a_timeout_given_and_uses_the_mysql_names():
    plan = repl.semi_sync_primary_plan(*MYSQL97, variables={}, active_plugins=set(), timeout_ms=500,
                                       durability='required')
    assert plan == [
        "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'",
        'SET GLOBAL rpl_semi_sync_source_wait_point = AFTER_SYNC',
        'SET GLOBAL rpl_semi_sync_source_wait_no_replica = ON',
        'SET GLOBAL rpl_semi_sync_source_timeout = %s' % NO_FALLBACK,
        'SET GLOBAL rpl_semi_sync_source_enabled = ON']


def test_a_primary_that_had_a_short_timeout_is_brought_to_no_fallback():
    before = {'rpl_semi_sync_source_enabled': 'ON', 'rpl_semi_sync_source_timeout': '1000',
              'rpl_semi_sync_source_wait_point': 'AFTER_SYNC', 'rpl_semi_sync_source_wait_no_replica': 'ON'}
    assert repl.semi_sync_primary_plan(*MYSQL97, variables=before, active_plugins={'rpl_semi_sync_source'},
                                       durability='required') == [
        'SET GLOBAL rpl_semi_sync_source_timeout = %s' % NO_FALLBACK]


@pytest.mark.parametrize('timeout_ms, expected', [(None, 1000), (2500, 2500), (0, 0)])
def test_preferred_uses_the_users_timeout(timeout_ms, expected):
    plan = repl.semi_sync_primary_plan(*MARIADB, variables={}, active_plugins=set(), timeout_ms=timeout_ms,
                                       durability='preferred')
    assert 'SET GLOBAL rpl_semi_sync_master_timeout = %d' % expected in plan
    # wait_no_slave stays as the server has it under preferred
    assert not any('wait_no' in statement for statement in plan)


@pytest.mark.parametrize('flavor', [MARIADB, MYSQL97])
def test_a_primary_switched_off_gets_no_timeout(flavor):
    assert all('timeout' not in statement for statement in repl.semi_sync_primary_plan(
        *flavor, variables={}, active_plugins=set(), enabled=False, durability='required'))


def test_the_start_up_file_of_a_primary_under_required_never_falls_back():
    settings = parsed(startup_config.promoted_config(True, 'required', timeout_ms=1000))
    assert settings['read_only'] == 'OFF'
    assert settings['loose-rpl_semi_sync_source_enabled'] == 'ON'
    assert settings['loose-rpl_semi_sync_master_enabled'] == 'ON'
    for name in ('loose-rpl_semi_sync_source_timeout', 'loose-rpl_semi_sync_master_timeout'):
        assert settings[name] == NO_FALLBACK, name
    assert settings['loose-rpl_semi_sync_source_wait_no_replica'] == 'ON'
    assert settings['loose-rpl_semi_sync_master_wait_no_slave'] == 'ON'


def test_the_start_up_file_of_a_primary_under_preferred_keeps_the_users_timeout():
    settings = parsed(startup_config.promoted_config(True, 'preferred', timeout_ms=2500))
    assert settings['loose-rpl_semi_sync_source_timeout'] == '2500'
    assert settings['loose-rpl_semi_sync_master_timeout'] == '2500'
    assert 'loose-rpl_semi_sync_master_wait_no_slave' not in settings
    # no timeout given: the server's own settings (the role's) say it
    assert not any('timeout' in name for name in parsed(startup_config.promoted_config(True, 'preferred')))


def test_the_start_up_file_without_semi_sync_says_nothing_of_it():
    assert not any('semi_sync' in name for name in parsed(startup_config.promoted_config(False, 'required')))


@pytest.mark.parametrize('flavor, names', [
    ('mariadb', ['Rpl_semi_sync_master_status']),
    # MySQL 8.0.26 and later can load either plugin: both names, and no version needed
    ('mysql', ['Rpl_semi_sync_source_status', 'Rpl_semi_sync_master_status']),
])
def test_the_probe_reads_the_source_status_in_one_statement(flavor, names):
    sql = flavor_named(flavor).synchronous_commits_sql()
    assert sql.startswith('SHOW GLOBAL STATUS WHERE Variable_name IN (')
    assert all("'%s'" % name in sql for name in names)
    assert sql.count("'") == 2 * len(names)


def test_the_version_names_the_wait_without_replica():
    assert flavor_of('10.11.18-MariaDB').semi_sync_names()['source_wait_no_replica'] == (
        'rpl_semi_sync_master_wait_no_slave')
    assert flavor_of('9.7.4').semi_sync_names()['source_wait_no_replica'] == 'rpl_semi_sync_source_wait_no_replica'
    assert flavor_of('8.0.25').semi_sync_names()['source_wait_no_replica'] == 'rpl_semi_sync_master_wait_no_slave'


@pytest.mark.parametrize('status_rows, expected', [
    ([{'Variable_name': 'Rpl_semi_sync_master_status', 'Value': 'ON'}], True),
    ([{'Variable_name': 'Rpl_semi_sync_source_status', 'Value': 'on'}], True),
    ([{'Variable_name': 'Rpl_semi_sync_master_status', 'Value': 'OFF'}], False),   # off, or fell back
    ([], False),                                                                    # no plugin loaded
    ([{'Variable_name': 'Rpl_semi_sync_source_status', 'Value': None}], None),
    ([{'Variable_name': 'Rpl_semi_sync_source_status', 'Value': 'maybe'}], None),
])
def test_synchronous_from_status(status_rows, expected):
    assert fmy.synchronous_from_status(status_rows) is expected


def params(**given):
    base = {'role': 'primary', 'durability': 'required', 'semi_sync': None, 'semi_sync_timeout': None}
    base.update(given)
    return base


def test_required_refuses_a_timeout_naming_it():
    with pytest.raises(DbopsError) as caught:
        check_options(params(semi_sync_timeout=10000))
    assert caught.value.parameter == 'semi_sync_timeout'
    assert 'durability: preferred' in str(caught.value) and '10000' in str(caught.value)


def test_required_refuses_semi_sync_off_naming_it():
    with pytest.raises(DbopsError) as caught:
        check_options(params(semi_sync=False))
    assert caught.value.parameter == 'semi_sync'


@pytest.mark.parametrize('given', [
    dict(durability='preferred', semi_sync_timeout=10000),
    dict(durability='preferred', semi_sync=False),
    dict(role='replica', semi_sync_timeout=10000),      # the timeout is the primary's: nothing to mislead
    dict(role='replica', semi_sync=False),
    dict(semi_sync=True),
])
def test_what_required_accepts(given):
    check_options(params(**given))


def test_a_negative_timeout_is_named_before_the_durability():
    with pytest.raises(DbopsError) as caught:
        check_options(params(semi_sync_timeout=-5))
    assert 'milliseconds' in str(caught.value) and caught.value.parameter == 'semi_sync_timeout'
