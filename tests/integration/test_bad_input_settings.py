# -*- coding: utf-8 -*-
"""Bad settings are refused before anything changes, by the image's own server.

Every case runs twice, against a NEW container name (nothing may be created) and against an EXISTING
running server of the same engine (it must not be restarted, its configuration file must stay as it
was, and it must still answer a real query), each time in check mode too. The errors name the
setting as ``settings.<name>`` and say what to write instead. MySQL 9.7, MariaDB 11.8 and PostgreSQL 18
have a running server; MariaDB 10.11 and PostgreSQL 15, where their servers answer differently or
through another catalogue, are tried on new names only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid

import pytest

from conftest import IMAGES, base_args, container_ip, mysql_query, pg_query, remove_everything, run_module, wait_for

CONFIG_FILES = {'mysql': '/etc/mysql/conf.d/zz-dbops.cnf', 'mariadb': '/etc/mysql/conf.d/zz-dbops.cnf',
                'postgres': '/etc/postgresql/postgresql.conf'}
# The servers with a running container here, by (engine, version).
RUNNING = (('mysql', '9.7'), ('mariadb', '11.8'), ('postgres', '18'))


def args_for(name, engine, version, settings):
    args = base_args(name, engine, image=IMAGES[engine][version], settings=settings)
    args.pop('image_source')
    return args


@pytest.fixture(scope='module')
def existing(docker_client):
    """One running server per engine in RUNNING, made by db_container with no settings of the user's."""
    made = {}
    try:
        for engine, version in RUNNING:
            name = 'dbt-%s-set-%s' % (uuid.uuid4().hex[:6], engine)
            made[engine] = name
            result = run_module('db_container', args_for(name, engine, version, {}))
            assert not result.failed, result.get('msg')
        yield made
    finally:
        for name in made.values():
            remove_everything(docker_client, name)


def state_of(client, name, engine):
    """What a refused task must leave as it was: the container, its start time, its configuration file."""
    container = client.containers.get(name)
    code, config = container.exec_run(['cat', CONFIG_FILES[engine]])
    assert code == 0, config
    return {'id': container.id, 'status': container.status, 'started': container.attrs['State']['StartedAt'],
            'restarts': container.attrs['RestartCount'], 'config': config}


def serving(client, name, engine):
    host = next(iter(client.api.inspect_container(name)['NetworkSettings']['Networks'].values()))['IPAddress']
    if engine == 'postgres':
        return pg_query(host, 'SELECT 1')[0][0] == 1
    return mysql_query(host, 'SELECT 1')[0][0] == 1


def healthy(client, name):
    # The module waits for a real query; Docker's own health check follows at its interval.
    return wait_for(lambda: client.api.inspect_container(name)['State']['Health']['Status'] == 'healthy',
                    timeout=120)


def things_named(client, name):
    # The low-level list: containers.list() inspects every container, and other tests' containers come
    # and go meanwhile.
    containers = [summary['Names'][0].lstrip('/') for summary in client.api.containers(all=True)]
    volumes = [volume['Name'] for volume in client.api.volumes().get('Volumes') or []]
    return (sorted(c for c in containers if c.startswith(name)), sorted(v for v in volumes if v.startswith(name)))


def assert_refused(result, parameter, words):
    assert result.failed, 'expected a failure, got %r' % dict(result)
    message = result['msg']
    assert 'Traceback' not in message + result['_stderr']
    assert message.startswith(parameter + ': '), message
    for word in words:
        assert word in message, message
    return message


# (case id, engine, version, settings, parameter named, words the message holds: the server's verdict and the fix)
CASES = [
    # MySQL 9.7: mysqld --validate-config
    ('mysql unknown name', 'mysql', '9.7', {'max_conections': 10}, 'settings.max_conections',
     ['has no setting max_conections', 'did you mean max_connections?']),
    ('mysql out of range', 'mysql', '9.7', {'max_connections': 1000000}, 'settings.max_connections',
     ['outside the range', 'from 1 to 100000', 'would silently use 100000']),
    ('mysql enum out of range', 'mysql', '9.7', {'innodb_flush_log_at_trx_commit': 7},
     'settings.innodb_flush_log_at_trx_commit', ['from 0 to 2']),
    ('mysql not a boolean', 'mysql', '9.7', {'slow_query_log': 'maybe'}, 'settings.slow_query_log',
     ['not read slow_query_log=maybe as a boolean', 'would silently use OFF', 'use ON or OFF']),
    ('mysql wrong type', 'mysql', '9.7', {'long_query_time': '1x'}, 'settings.long_query_time',
     ["Invalid decimal value for option 'long_query_time'", 'use a number']),
    ('mysql wrong size suffix', 'mysql', '9.7', {'max_connections': 'lots'}, 'settings.max_connections',
     ["Unknown suffix 'l'", 'suffixes K, M, G']),
    ('mysql bad enum', 'mysql', '9.7', {'transaction_isolation': 'SOMETIMES'}, 'settings.transaction_isolation',
     ["Error while setting value 'SOMETIMES'"]),
    ('mysql decimal out of range', 'mysql', '9.7', {'long_query_time': -1}, 'settings.long_query_time',
     ['from 0 to']),
    ('mysql newline in value', 'mysql', '9.7', {'max_connections': '100\nlocal_infile = ON'},
     'settings.max_connections', ['a line break', 'another directive']),
    ('mysql newline in name', 'mysql', '9.7', {'local_infile = ON\nmax_connections': 100},
     'settings.local_infile = ON\\nmax_connections', ['a line break']),
    ('mysql comment character', 'mysql', '9.7', {'slow_query_log_file': '/var/log/mysql/slow#1.log'},
     'settings.slow_query_log_file', ['"#"', 'comment']),
    ('mysql backslash escape', 'mysql', '9.7', {'slow_query_log_file': '/var/log/mysql/new\\nslow.log'},
     'settings.slow_query_log_file', ['backslash']),
    ('mysql name with a space', 'mysql', '9.7', {'max connections': 100}, 'settings.max connections',
     ['not a setting name']),
    ('mysql plugin library missing', 'mysql', '9.7', {'plugin_load_add': 'audit=audit_log_nosuch.so'},
     'settings.plugin_load_add', ['no plugin library audit_log_nosuch.so', 'would start without it']),
    # MariaDB 11.8: mariadbd --verbose --help
    ('mariadb unknown name', 'mariadb', '11.8', {'gtid_strickt_mode': 'ON'}, 'settings.gtid_strickt_mode',
     ['has no setting gtid_strickt_mode', 'did you mean gtid_strict_mode?']),
    # MariaDB starts with a unique prefix of a name, and says it "can break in the future".
    ('mariadb abbreviated name', 'mariadb', '11.8', {'gtid_strict_mod': 'ON'}, 'settings.gtid_strict_mod',
     ['abbreviation of gtid_strict_mode', 'write the full name gtid_strict_mode']),
    ('mariadb out of range', 'mariadb', '11.8', {'max_connections': 1000000}, 'settings.max_connections',
     ['from 10 to 100000']),
    ('mariadb enum out of range', 'mariadb', '11.8', {'innodb_flush_log_at_trx_commit': 7},
     'settings.innodb_flush_log_at_trx_commit', ['from 0 to 3']),
    ('mariadb bad enum lists the choices', 'mariadb', '11.8', {'transaction_isolation': 'SOMETIMES'},
     'settings.transaction_isolation', ['use one of READ-UNCOMMITTED, READ-COMMITTED, REPEATABLE-READ, SERIALIZABLE']),
    ('mariadb negative unsigned', 'mariadb', '11.8', {'sync_binlog': -5}, 'settings.sync_binlog',
     ["Incorrect unsigned value: '-5' for sync_binlog", '0 or more']),
    ('mariadb not a boolean', 'mariadb', '11.8', {'slow_query_log': 'maybe'}, 'settings.slow_query_log',
     ['would silently use OFF']),
    ('mariadb InnoDB value (exit code 0)', 'mariadb', '11.8', {'innodb_io_capacity': 'fast'},
     'settings.innodb_io_capacity', ["Unknown suffix 'f'"]),
    ('mariadb carriage return in value', 'mariadb', '11.8', {'max_connections': '100\rlocal_infile=ON'},
     'settings.max_connections', ['a carriage return']),
    # MariaDB 10.11: another catalogue and other bounds
    ('mariadb 10.11 decimal out of range', 'mariadb', '10.11', {'expire_logs_days': 99999},
     'settings.expire_logs_days', ['from 0 to 99']),
    ('mariadb 10.11 unknown name', 'mariadb', '10.11', {'innodb_buffer_pool_sise': '256M'},
     'settings.innodb_buffer_pool_sise', ['did you mean innodb_buffer_pool_size?']),
    # PostgreSQL 18: postgres -C with the rendered file, postgres --describe-config
    ('postgres unknown name', 'postgres', '18', {'shared_bufers': '256MB'}, 'settings.shared_bufers',
     ['unrecognized configuration parameter "shared_bufers"', 'did you mean shared_buffers?']),
    ('postgres out of range', 'postgres', '18', {'max_connections': 99999999}, 'settings.max_connections',
     ['outside the valid range for parameter "max_connections"', 'set a value from 1 to 262143']),
    ('postgres wrong unit', 'postgres', '18', {'statement_timeout': '5 parsecs'}, 'settings.statement_timeout',
     ['invalid value for parameter "statement_timeout"', '"ms"']),
    ('postgres bad enum', 'postgres', '18', {'wal_level': 'everything'}, 'settings.wal_level',
     ['use one of minimal, replica, logical']),
    ('postgres not a boolean', 'postgres', '18', {'jit': 'maybe'}, 'settings.jit',
     ['requires a Boolean value', 'use on or off']),
    ('postgres wrong type', 'postgres', '18', {'random_page_cost': 'cheap'}, 'settings.random_page_cost',
     ['invalid value for parameter "random_page_cost"', 'use a number from 0 to']),
    ('postgres renamed setting, bad value', 'postgres', '18', {'force_parallel_mode': 'sometimes'},
     'settings.force_parallel_mode', ['debug_parallel_query', 'use one of off, on, regress']),
    ('postgres backslash before the quote', 'postgres', '18', {'cluster_name': 'main\\'},
     'settings.cluster_name', ['backslash']),
    ('postgres newline in value', 'postgres', '18', {'log_line_prefix': "%m\nlisten_addresses = '0.0.0.0'"},
     'settings.log_line_prefix', ['a line break']),
    ('postgres newline in name', 'postgres', '18', {"listen_addresses = '*'\nport": 5433},
     "settings.listen_addresses = '*'\\nport", ['a line break']),
    ('postgres preload library missing', 'postgres', '18', {'shared_preload_libraries': 'pg_stat_statement'},
     'settings.shared_preload_libraries', ['no library pg_stat_statement', 'would not start']),
    # A setting under a preloaded library's prefix is a placeholder until the library loads, then dropped:
    # judged by a throw-away cluster's single-user session.
    ('postgres extension setting unknown', 'postgres', '18', {'pg_stat_statements.maxx': 5000},
     'settings.pg_stat_statements.maxx', ['drops it at start', 'did you mean pg_stat_statements.max?']),
    # PostgreSQL 15: its own catalogue
    ('postgres 15 unknown name', 'postgres', '15', {'shared_bufers': '256MB'}, 'settings.shared_bufers',
     ['PostgreSQL 15', 'did you mean shared_buffers?']),
    ('postgres 15 out of range', 'postgres', '15', {'effective_io_concurrency': 5000},
     'settings.effective_io_concurrency', ['set a value from 0 to 1000']),
    ('postgres 15 extension setting value', 'postgres', '15', {'pg_stat_statements.track': 'everything'},
     'settings.pg_stat_statements.track', ['use one of none, top, all']),
]


@pytest.mark.parametrize('engine,version,settings,parameter,words', [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_refused_on_a_new_container(engine, version, settings, parameter, words, docker_client, local_images):
    name = 'dbt-%s-new' % uuid.uuid4().hex[:6]
    before = things_named(docker_client, name)
    try:
        for check_mode in (True, False):
            result = run_module('db_container', args_for(name, engine, version, settings), check_mode=check_mode)
            assert_refused(result, parameter, words)
            assert 'nothing was changed' in result['msg']
        assert things_named(docker_client, name) == before == ([], [])
    finally:
        remove_everything(docker_client, name)


@pytest.mark.parametrize('engine,version,settings,parameter,words',
                         [pytest.param(*c[1:], id=c[0]) for c in CASES if (c[1], c[2]) in RUNNING])
def test_refused_on_an_existing_container(engine, version, settings, parameter, words, docker_client, existing):
    name = existing[engine]
    before = state_of(docker_client, name, engine)
    for check_mode in (True, False):
        result = run_module('db_container', args_for(name, engine, version, settings), check_mode=check_mode)
        assert_refused(result, parameter, words)
    after = state_of(docker_client, name, engine)
    assert after == before
    assert after['status'] == 'running'
    assert serving(docker_client, name, engine)


def test_a_quote_in_a_postgres_value_is_written_escaped_and_read_back(docker_client, existing):
    """A valid change still works: changed, restarted healthy, the values in effect as written."""
    name = existing['postgres']
    before = state_of(docker_client, name, 'postgres')
    settings = {'cluster_name': "it's #1", 'max_connections': 90}
    check = run_module('db_container', args_for(name, 'postgres', '18', settings), check_mode=True)
    assert not check.failed and check['changed'], check.get('msg')
    assert state_of(docker_client, name, 'postgres') == before
    result = run_module('db_container', args_for(name, 'postgres', '18', settings))
    assert not result.failed and result['changed'], result.get('msg')
    assert healthy(docker_client, name)
    after = state_of(docker_client, name, 'postgres')
    assert after['started'] != before['started'] and after['status'] == 'running'
    assert b"cluster_name = 'it''s #1'" in after['config']
    host = container_ip(result)
    assert pg_query(host, 'SHOW cluster_name')[0][0] == "it's #1"
    assert pg_query(host, 'SHOW max_connections')[0][0] == '90'
    again = run_module('db_container', args_for(name, 'postgres', '18', settings))
    assert not again.failed and not again['changed'], again.get('actions')


@pytest.mark.parametrize('engine,version', [('mysql', '9.7'), ('mariadb', '11.8')])
def test_a_valid_change_is_applied_and_in_effect(engine, version, docker_client, existing):
    name = existing[engine]
    before = state_of(docker_client, name, engine)
    settings = {'max_connections': 77, 'long_query_time': 2.5,
                'plugin_load_add': 'rpl_semi_sync_source=semisync_source.so'} if engine == 'mysql' else {
                    'max_connections': 77, 'long_query_time': 2.5}
    result = run_module('db_container', args_for(name, engine, version, settings))
    assert not result.failed and result['changed'], result.get('msg')
    assert healthy(docker_client, name)
    after = state_of(docker_client, name, engine)
    assert after['started'] != before['started'] and after['status'] == 'running'
    host = container_ip(result)
    variables = dict(mysql_query(host, "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                                       "('max_connections', 'long_query_time')"))
    assert variables == {'max_connections': '77', 'long_query_time': '2.500000'}
