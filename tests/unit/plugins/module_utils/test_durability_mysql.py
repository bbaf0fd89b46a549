# -*- coding: utf-8 -*-
"""durability required | preferred on MySQL and MariaDB: the primary's semi-sync plan, the start-up file of a
primary, the synchronous state the failover probe reads, and the option checks before anything connects."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import configparser

from types import SimpleNamespace

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
    ('mariadb', ['Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_no_tx']),
    # MySQL 8.0.26 and later can load either plugin: both names, and no version needed
    ('mysql', ['Rpl_semi_sync_source_status', 'Rpl_semi_sync_master_status', 'Rpl_semi_sync_source_no_tx',
               'Rpl_semi_sync_master_no_tx']),
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
    ([{'Variable_name': 'Rpl_semi_sync_master_status', 'Value': 'OFF'}], False),   # no counter: the flag decides
    ([], False),                                                                    # no plugin loaded
    ([{'Variable_name': 'Rpl_semi_sync_source_status', 'Value': None}], None),
    ([{'Variable_name': 'Rpl_semi_sync_source_status', 'Value': 'maybe'}], None),
])
def test_synchronous_from_status(status_rows, expected):
    assert fmy.synchronous_from_status(status_rows)[0] is expected


def semi_sync_rows(flag, no_tx, prefix='Rpl_semi_sync_master'):
    return [{'Variable_name': prefix + '_status', 'Value': flag}, {'Variable_name': prefix + '_no_tx', 'Value': no_tx}]


@pytest.mark.parametrize('flag, no_tx, enabled, baseline, expected', [
    ('ON', '7', True, 2, True),         # waiting for replicas now: a catch-up switched it back on
    ('OFF', '0', True, None, True),     # never acknowledged a commit alone since its counters started
    ('OFF', '5', True, 5, True),        # nothing acknowledged alone since it was last seen synchronous
    ('OFF', '6', True, 5, False),       # one commit returned without a replica since then
    ('OFF', '5', True, None, False),    # never seen synchronous, and it did acknowledge commits alone
    ('OFF', '1', True, 9, False),       # the counters were reset since (a restart): 1 since then
    ('OFF', '0', True, 9, True),        # reset, none since
    ('OFF', '0', False, None, False),   # source side disabled: its commits are not counted
    ('OFF', '0', None, None, True),     # the switch could not be read: the counter decides
    ('OFF', 'x', True, None, False),    # no readable counter: the flag decides
])
def test_an_asynchronous_acknowledgement_is_the_no_tx_counter_grown(flag, no_tx, enabled, baseline, expected):
    for prefix in ('Rpl_semi_sync_master', 'Rpl_semi_sync_source'):
        verdict, counter = fmy.synchronous_from_status(semi_sync_rows(flag, no_tx, prefix), enabled, baseline)
        assert verdict is expected
        assert counter == (int(no_tx) if no_tx.isdigit() else None)


def test_source_flag_off():
    assert fmy.source_flag_off(semi_sync_rows('OFF', '0')) is True
    assert fmy.source_flag_off(semi_sync_rows('ON', '0')) is False
    assert fmy.source_flag_off([]) is False


class FakeSession(object):
    """What the driver's synchronous_commits reads: the status rows, then (flag OFF) the enabled switch."""

    def __init__(self, host, answers):
        self.host, self.port, self.answers = host, 3306, list(answers)


def test_the_driver_remembers_the_counter_per_server(monkeypatch):
    """The probe's verdict over rounds: OFF with the counter still where it was when last seen ON is
    synchronous; the counter grown is not; another server's counter is its own."""
    monkeypatch.setattr(fmy, 'rows', lambda conn, sql, params=None: conn.answers.pop(0))
    driver = fmy.FailoverDriver(SimpleNamespace(engine='mariadb', params={}))
    enabled = [{'Variable_name': 'rpl_semi_sync_master_enabled', 'Value': 'ON'}]
    assert driver.synchronous_commits(FakeSession('p1', [semi_sync_rows('ON', '4')])) is True
    assert driver.synchronous_commits(FakeSession('p1', [semi_sync_rows('OFF', '4'), enabled])) is True
    assert driver.synchronous_commits(FakeSession('p2', [semi_sync_rows('OFF', '4'), enabled])) is False
    assert driver.synchronous_commits(FakeSession('p1', [semi_sync_rows('OFF', '5'), enabled])) is False
    # ...and stays so while it is OFF: those commits may be on no replica
    assert driver.synchronous_commits(FakeSession('p1', [semi_sync_rows('OFF', '5'), enabled])) is False


@pytest.mark.parametrize('message, diverged', [
    ('primary_host: x:1 cannot replicate from y:3306: the replica has transactions its source does not have '
     '(0-1-7243): it was written to directly', True),
    ('primary_host: the replica SQL thread stopped: An attempt was made to binlog GTID 0-1-1 which would create '
     'an out-of-order sequence number with existing GTID 0-2-3, and gtid strict mode is enabled', True),
    ('the source refuses the replication user: Access denied', False),
    ('', False),
])
def test_a_rejoin_reseeds_only_a_diverged_history(message, diverged):
    assert fmy.diverged_history(message) is diverged


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


def test_waiting_for_a_rejoined_node_leaves_what_the_primary_was_seen_doing(monkeypatch):
    """The watcher's rejoin waits for the old primary to answer: that node (read-only, its semi-sync source
    side off) says nothing of the primary's commits, so synchronous_seen stays as the primary's probe left it
    (it once read "asynchronous" there, and a primary killed before the next round was refused a failover)."""
    class Session(object):
        def close(self):
            pass

    node = SimpleNamespace(name='old-primary', running=True)
    cluster = SimpleNamespace(engine='mariadb', params={'probe_timeout': 1}, refresh=lambda n: None)
    driver = fmy.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_conn', lambda n, timeout=None, query_timeout=None: Session())
    monkeypatch.setattr(fmy, 'scalar', lambda conn, sql, params=None: 1)
    monkeypatch.setattr(driver, 'controller_probe', lambda n: pytest.fail('the primary probe asked a rejoined node'))
    driver.synchronous_seen = (123.0, True)
    driver._wait_answering(node, 5, 0.1, '%s did not answer')
    assert driver.synchronous_seen == (123.0, True)


def test_a_node_that_refuses_the_login_answers(monkeypatch):
    node = SimpleNamespace(name='n', running=True)
    driver = fmy.FailoverDriver(SimpleNamespace(engine='mariadb', params={}, refresh=lambda n: None))

    def refused(n, timeout=None, query_timeout=None):
        raise DbopsError('Access denied', 'login_password')

    monkeypatch.setattr(driver, '_conn', refused)
    assert driver.answers_query(node) is True

    def unreachable(n, timeout=None, query_timeout=None):
        raise DbopsError('cannot connect', 'login_host')

    monkeypatch.setattr(driver, '_conn', unreachable)
    assert driver.answers_query(node) is False


def test_an_emptied_node_forgets_its_first_start_before_it_replicates(monkeypatch):
    """A rebuilt MariaDB node's first start gave it GTIDs (0-<server_id>-1..3) that the primary's history may
    hold higher ones of under its server_id: nothing looks errant, and replicating from an empty position hits
    gtid_strict_mode's out-of-order error (the fault suite's cycles). It is reset before it is re-pointed; a
    node that holds anything else is not."""
    class Session(object):
        def close(self):
            pass

    done = []
    node = SimpleNamespace(name='db2', running=True, inspect={'Id': 'c2', 'Config': {'Image': 'i'}})
    docker = SimpleNamespace(stop=lambda *a: done.append('stop'), start=lambda *a: done.append('start'),
                             run_once=lambda *a: (0, ''))
    cluster = SimpleNamespace(engine='mariadb', params={'wait_timeout': 5}, refresh=lambda n: None, docker=docker,
                              adapter=SimpleNamespace(data_dir='/var/lib/mysql'))
    driver = fmy.FailoverDriver(cluster)
    monkeypatch.setattr(driver, '_conn', lambda n, timeout=None, query_timeout=None: Session())
    monkeypatch.setattr(driver, '_data_volume', lambda n: 'db2-data')
    monkeypatch.setattr(driver, '_wait_answering', lambda *a: done.append('answering'))
    monkeypatch.setattr(driver, 'repoint', lambda n, p, wait_while_progressing=False: done.append(
        'repoint, waiting while it replays' if wait_while_progressing else 'repoint'))
    monkeypatch.setattr(fmy.repl, 'replica_status', lambda conn, info=None: None)
    monkeypatch.setattr(fmy.replay, 'fresh_node_problem', lambda conn, status: None)
    monkeypatch.setattr(fmy.replay, 'reset_fresh_node', lambda conn: done.append('reset'))
    driver._reseed_by_initialising(node, SimpleNamespace(name='db1'))
    assert done == ['stop', 'start', 'answering', 'reset', 'repoint, waiting while it replays']

    del done[:]
    monkeypatch.setattr(fmy.replay, 'fresh_node_problem', lambda conn, status: 'it holds 1 table(s)')
    with pytest.raises(DbopsError) as refused:
        driver._reseed_by_initialising(node, SimpleNamespace(name='db1'))
    assert 'it holds 1 table(s)' in refused.value.message and done == ['stop', 'start', 'answering']


def test_connected_since_start_reads_the_default_connections_source_id(monkeypatch):
    """SHOW ALL SLAVES STATUS as MariaDB 11.8 answered it: Master_Server_Id 0 after a restart while the source
    was unreachable, the source's server_id once connected."""
    answers = [{'Connection_name': 'other', 'Master_Server_Id': '7'},
               {'Connection_name': '', 'Master_Server_Id': '0', 'Gtid_IO_Pos': '0-1-4', 'Slave_IO_Running': 'Connecting'}]
    monkeypatch.setattr(fmy, 'rows', lambda session, sql, params=None: answers)
    assert fmy.FailoverDriver._connected_since_start(object(), flavor_named('mariadb')) is False
    answers[1]['Master_Server_Id'] = '1'
    assert fmy.FailoverDriver._connected_since_start(object(), flavor_named('mariadb')) is True
    answers.pop()
    assert fmy.FailoverDriver._connected_since_start(object(), flavor_named('mariadb')) is True


def test_only_a_flavor_whose_restart_discards_the_relay_log_reports_restart_facts():
    assert flavor_named('mariadb').restart_discards_relay_log is True
    assert flavor_named('mysql').restart_discards_relay_log is False
