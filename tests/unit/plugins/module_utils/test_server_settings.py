# -*- coding: utf-8 -*-
"""Settings judged before anything changes: names and values that would escape their line in the
configuration file (every engine), and the parsing of the servers' own verdicts, from output captured
on the project's images (tests/unit/plugins/module_utils/fixtures/server_settings/)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.engines import registry
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import server_settings as mysql_check
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import server_settings as pg_check

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'server_settings')
VERSIONS = {'mysql': (9, 7), 'mariadb': (11, 8), 'postgres': (18,), 'mongodb': (8, 0)}


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def refusal(engine, settings):
    adapter = registry.get_adapter(engine)
    with pytest.raises(DbopsError) as caught:
        adapter.validate_settings(settings, VERSIONS[engine])
    return caught.value


# --- configuration injection (base.validate_settings, every engine) ---------------------------------

@pytest.mark.parametrize('engine', sorted(VERSIONS))
@pytest.mark.parametrize('value,shown', [
    ('100\nmax_allowed_packet = 1G', 'a line break'),
    ('100\rshared_buffers = 1GB', 'a carriage return'),
    ('on\x00', 'U+0000'),
    ('a\x1bb', 'U+001B'),
    (u'a\u0085b', 'U+0085'),
    (u'a\u2028b', 'U+2028'),
    ('a\tb', 'a tab'),
])
def test_a_control_character_in_a_value_is_refused(engine, value, shown):
    error = refusal(engine, {'max_connections': value})
    assert error.parameter == 'settings.max_connections'
    assert shown in error.message and 'another directive' in error.message
    assert 'nothing was changed' in error.message


@pytest.mark.parametrize('engine', sorted(VERSIONS))
def test_a_line_break_in_a_name_is_refused_and_the_parameter_shows_it_escaped(engine):
    error = refusal(engine, {'max_connections = 5\ninnodb_buffer_pool_size': '1'})
    assert error.parameter == 'settings.max_connections = 5\\ninnodb_buffer_pool_size'
    assert 'a line break' in error.message and 'one line' in error.message
    assert '\n' not in str(error)


@pytest.mark.parametrize('engine', sorted(VERSIONS))
@pytest.mark.parametrize('name', ['max connections', 'a=b', 'wal_level]', '[mysqld', 'x#y', "x'y", u'm\u00e4x'])
def test_a_name_outside_letters_digits_underscore_dot_dash_is_refused(engine, name):
    error = refusal(engine, {name: '1'})
    assert error.parameter == 'settings.%s' % name
    assert 'not a setting name' in error.message


@pytest.mark.parametrize('engine', sorted(VERSIONS))
def test_a_setting_without_a_value_is_refused(engine):
    error = refusal(engine, {'max_connections': None})
    assert error.parameter == 'settings.max_connections' and 'has no value' in error.message


@pytest.mark.parametrize('engine', ['mysql', 'mariadb'])
@pytest.mark.parametrize('value,word', [('/tmp/a#b', '"#"'), ('a\\nb', 'backslash')])
def test_mycnf_comment_and_escape_characters_are_refused(engine, value, word):
    error = refusal(engine, {'slow_query_log_file': value})
    assert error.parameter == 'settings.slow_query_log_file'
    assert word in error.message and 'my.cnf' in error.message


@pytest.mark.parametrize('engine', ['mysql', 'mariadb'])
def test_a_semicolon_inside_a_mycnf_value_is_kept(engine):
    # ";" starts a comment only at the start of a line (my_print_defaults on 9.7, 10.11, 11.8): the
    # cluster role's plugin_load_add holds one.
    plugins = 'rpl_semi_sync_source=semisync_source.so;rpl_semi_sync_replica=semisync_replica.so'
    settings, _warnings = registry.get_adapter(engine).validate_settings({'plugin_load_add': plugins},
                                                                         VERSIONS[engine])
    assert settings == {'plugin_load_add': plugins}


def test_postgres_quotes_a_value_with_a_quote_or_a_hash_and_refuses_a_backslash():
    adapter = registry.get_adapter('postgres')
    settings, _warnings = adapter.validate_settings({'log_line_prefix': "it's #%m "}, (18,))
    assert "log_line_prefix = 'it''s #%m '" in adapter.render_config(settings)
    error = refusal('postgres', {'cluster_name': 'x\\'})
    assert error.parameter == 'settings.cluster_name' and 'backslash' in error.message


def test_mongodb_lists_are_checked_item_by_item():
    adapter = registry.get_adapter('mongodb')
    settings, _warnings = adapter.validate_settings({'net.bindIp': ['0.0.0.0', '::']}, (8, 0))
    assert settings == {'net.bindIp': ['0.0.0.0', '::']}
    assert 'a line break' in refusal('mongodb', {'net.bindIp': ['0.0.0.0', 'a\nb']}).message


# --- MySQL and MariaDB: the server's own lines ----------------------------------------------------

def test_mysql_refused_value_wins_over_the_adjustment_that_follows_it():
    lines, status = mysql_check.split_status(fixture('mysql-9.7-validate-config.txt'))
    assert status == 1
    problems = mysql_check.parse_output(lines)
    assert [(p['kind'], p['name']) for p in problems] == [('value', 'max_connections')]
    assert problems[0]['value'] == 'lots'
    assert "Unknown suffix 'l'" in problems[0]['said'] and 'suffixes K, M, G' in problems[0]['fix']


def test_mysql_adjusted_and_unrecognised_boolean_values():
    lines, status = mysql_check.split_status(fixture('mysql-9.7-validate-config-adjusted.txt'))
    assert status == 0  # --validate-config passes: only the warnings tell
    found = dict((p['name'], p) for p in mysql_check.parse_output(lines))
    assert found['max_connections']['kind'] == 'adjusted' and found['max_connections']['used'] == '100000'
    assert found['innodb_flush_log_at_trx_commit']['used'] == '2'
    assert found['sync_binlog']['value'] == '-5' and found['sync_binlog']['used'] == '0'
    assert found['slow_query_log']['kind'] == 'boolean' and found['slow_query_log']['used'] == 'OFF'
    assert 'transaction_isolation' not in found


def test_mysql_unknown_variable():
    lines, status = mysql_check.split_status(fixture('mysql-9.7-validate-config-unknown.txt'))
    assert status == 1
    (problem,) = mysql_check.parse_output(lines)
    assert problem == dict(problem, kind='unknown', name='max_conections', value='10', loose=False)


def test_mysql_catalogue_and_closest_name():
    catalogue = mysql_check.parse_catalogue(fixture('mysql-9.7-help-variables.txt'))
    assert len(catalogue) > 500
    assert {'max_connections', 'innodb_buffer_pool_size', 'transaction_isolation'} <= catalogue
    assert mysql_check.closest('max_conections', catalogue) == 'max_connections'
    assert mysql_check.closest('inodb_buffer_pool_size', catalogue) == 'innodb_buffer_pool_size'
    assert mysql_check.closest('qwertyuiop', catalogue) is None


def test_mysql_bounds_from_the_probes():
    outputs = [chunk.splitlines() for chunk in fixture('mysql-9.7-bounds-max_connections.txt').split(
        mysql_check.MARKER)][:3]
    assert mysql_check.probed_bounds(outputs, 'max_connections') == ('1', '100000')
    outputs = [chunk.splitlines() for chunk in fixture('mysql-9.7-bounds-long_query_time.txt').split(
        mysql_check.MARKER)][:3]
    assert mysql_check.probed_bounds(outputs, 'long_query_time') == ('0', '3.1536e+07')


def test_mariadb_bounds_from_the_probes_of_a_decimal_option():
    outputs = [chunk.splitlines() for chunk in fixture('mariadb-10.11-bounds-expire_logs_days.txt').split(
        mysql_check.MARKER)][:3]
    assert mysql_check.probed_bounds(outputs, 'expire_logs_days') == ('0', '99')


def test_mariadb_errors_and_adjustments_from_verbose_help():
    lines, status = mysql_check.split_status(fixture('mariadb-11.8-help-errors.txt'))
    assert status == 9
    (problem,) = mysql_check.parse_output(lines)
    assert (problem['kind'], problem['name'], problem['value']) == ('value', 'max_connections', 'lots')
    lines, status = mysql_check.split_status(fixture('mariadb-11.8-help-adjusted.txt'))
    assert status == 0
    found = dict((p['name'], p) for p in mysql_check.parse_output(lines))
    # The container's own limits ("Changed limits", max_open_files, WSREP) are not settings' problems.
    assert sorted(found) == ['innodb_flush_log_at_trx_commit', 'max_connections', 'slow_query_log']
    assert found['innodb_flush_log_at_trx_commit']['used'] == '3'
    assert found['slow_query_log']['kind'] == 'boolean'


def test_mariadb_choices_and_catalogue_from_verbose_help():
    text = fixture('mariadb-11.8-help-excerpt.txt')
    assert mysql_check.parse_choices(text, 'transaction_isolation') == (
        'READ-UNCOMMITTED', 'READ-COMMITTED', 'REPEATABLE-READ', 'SERIALIZABLE')
    assert mysql_check.parse_choices(text, 'max_connections') == ()
    assert mysql_check.closest('gtid_strict_mod', mysql_check.parse_catalogue(text)) == 'gtid_strict_mode'


def test_mariadb_abbreviated_name():
    line = ("2026-12-06  7:45:12 0 [Note] Using unique option prefix 'gtid_strict_mod' is error-prone and can break "
            "in the future. Please use the full name 'gtid_strict_mode' instead.")
    (problem,) = mysql_check.parse_output([line])
    assert (problem['kind'], problem['name'], problem['full']) == ('prefix', 'gtid_strict_mod', 'gtid_strict_mode')


@pytest.mark.parametrize('line,name', [
    ("2026-12-06T07:34:41Z 0 [Warning] [MY-000067] [Server] unknown variable 'loose-rpl_semi_sync_source_enabld=ON'.",
     'rpl_semi_sync_source_enabld'),
    ("2026-12-06  7:32:37 0 [ERROR] mariadbd: unknown variable 'max-conections=10'", 'max_conections'),
])
def test_unknown_names_are_spelled_as_show_variables_spells_them(line, name):
    (problem,) = mysql_check.parse_output([line])
    assert problem['name'] == name and problem['loose'] == ('loose-' in line)


# --- PostgreSQL: the server's own lines -----------------------------------------------------------

def test_postgres_every_refused_line_with_its_hint():
    lines, status, catalogue_text = pg_check.split_output(fixture('postgres-18-pg_bad.txt'))
    assert status == 1 and catalogue_text == ''
    problems = pg_check.parse_output(lines, fixture('pg_bad.conf'))
    found = dict((p['name'], p) for p in problems)
    assert [p['name'] for p in problems] == ['shared_buffers', 'wal_level', 'max_connections', 'jit',
                                             'statement_timeout', 'random_page_cost']
    assert found['wal_level']['hint'] == 'Available values: minimal, replica, logical.'
    assert (found['max_connections']['low'], found['max_connections']['high']) == ('1', '262143')
    assert found['jit']['kind'] == 'type'
    assert '"ms"' in found['statement_timeout']['hint']
    assert 'hint' not in found['shared_buffers']


def test_postgres_fixes_from_the_hint_or_the_catalogue():
    catalogue = pg_check.parse_catalogue(fixture('postgres-18-describe-config.txt'))
    assert catalogue['max_connections'] == {'context': 'postmaster', 'type': 'INTEGER', 'min': '1', 'max': '262143'}
    lines, _status, _text = pg_check.split_output(fixture('postgres-18-pg_bad.txt'))
    found = dict((p['name'], p) for p in pg_check.parse_output(lines, fixture('pg_bad.conf')))
    assert pg_check.fix_for(found['wal_level'], catalogue) == 'use one of minimal, replica, logical'
    assert pg_check.fix_for(found['max_connections'], catalogue) == 'set a value from 1 to 262143'
    assert pg_check.fix_for(found['jit'], catalogue) == 'use on or off'
    assert 'kB, MB, GB' in pg_check.fix_for(found['shared_buffers'], catalogue)
    assert 'from 16 to 1073741823' in pg_check.fix_for(found['shared_buffers'], catalogue)
    assert pg_check.fix_for(found['random_page_cost'], catalogue) == 'use a number from 0 to 1.79769e+308'
    message = pg_check.message(found['shared_buffers'], 'PostgreSQL 18', catalogue, True,
                               {'shared_buffers': 'lots'})
    assert message.startswith('PostgreSQL 18 refuses shared_buffers=lots (server: invalid value for parameter '
                              '"shared_buffers": "lots"); nothing was changed: use ')


@pytest.mark.parametrize('output', ['postgres-18-pg_unknown.txt', 'postgres-15-pg_unknown.txt'])
def test_postgres_unknown_name_gets_the_closest_one(output):
    catalogue = pg_check.parse_catalogue(fixture('postgres-18-describe-config.txt'))
    lines, status, _text = pg_check.split_output(fixture(output))
    (problem,) = pg_check.parse_output(lines, fixture('pg_unknown.conf'))
    assert status == 1 and problem['name'] == 'shared_bufers'
    assert pg_check.fix_for(problem, catalogue) == 'did you mean shared_buffers?'


def test_postgres_syntax_error_is_mapped_to_the_setting_on_that_line():
    lines, _status, _text = pg_check.split_output(fixture('postgres-18-pg_syntax.txt'))
    (problem,) = pg_check.parse_output(lines, fixture('pg_syntax.conf'))
    assert problem['kind'] == 'syntax' and problem['name'] == 'cluster_name'


def test_postgres_output_without_the_marker_means_the_server_did_not_run():
    assert pg_check.split_output('sh: 1: postgres: not found\n') == (['sh: 1: postgres: not found'], None, '')


# --- the libraries the settings load ----------------------------------------------------------------

def test_postgres_libraries_and_their_shell_check_quote_every_name():
    settings = {'shared_preload_libraries': 'pg_stat_statements, "$libdir/auto_explain", $(reboot)',
                'session_preload_libraries': '/opt/lib/x.so'}
    assert pg_check.libraries(settings) == [
        ('shared_preload_libraries', 'pg_stat_statements', 'pg_stat_statements'),
        ('shared_preload_libraries', '$libdir/auto_explain', 'auto_explain'),
        ('shared_preload_libraries', '$(reboot)', '$(reboot)'),
        ('session_preload_libraries', '/opt/lib/x.so', '/opt/lib/x.so')]
    script = pg_check.script('/etc/postgresql/postgresql.conf', settings)
    assert '[ -e "$libdir"/auto_explain.so ]' in script
    assert "[ -e \"$libdir\"/'$(reboot)' ]" in script and '"$libdir"/$(reboot)' not in script
    assert '[ -e /opt/lib/x.so ]' in script
    assert 'libdir=' not in pg_check.script('/etc/postgresql/postgresql.conf', {})


def test_postgres_missing_library_lines_are_taken_out():
    lines = ['@@dbops-missing-library pg_stat_statement', 'LOG:  something']
    assert pg_check.missing_libraries(lines) == ['pg_stat_statement'] and lines == ['LOG:  something']


def test_mysql_plugins_from_plugin_load_add():
    settings = {'plugin_load_add': 'rpl_semi_sync_source=semisync_source.so;server_audit', 'plugin_load': ''}
    assert mysql_check.plugins(settings) == [('plugin_load_add', 'semisync_source.so'),
                                             ('plugin_load_add', 'server_audit')]
    script = mysql_check.plugin_checks('mysqld', {'plugin_load_add': "x=a'b.so"})
    assert script.startswith('plugin_dir="$(mysqld --verbose --help')
    assert '"$plugin_dir"/\'a\'"\'"\'b.so\'' in script
    assert mysql_check.plugin_checks('mysqld', {}) == ''
    lines = ['@@dbops-missing-plugin plugin_load_add nosuch.so', 'x']
    assert mysql_check.missing_plugins(lines) == [('plugin_load_add', 'nosuch.so')] and lines == ['x']


def test_postgres_settings_under_a_preloaded_library_prefix():
    settings = {'shared_preload_libraries': 'pg_stat_statements,$libdir/auto_explain.so',
                'pg_stat_statements.max': 5000, 'auto_explain.log_min_duration': '1s', 'pg_trgm.x': 1,
                'work_mem': '4MB'}
    assert pg_check.extension_settings(settings) == ['auto_explain.log_min_duration', 'pg_stat_statements.max']
    assert pg_check.extension_settings({'pg_stat_statements.max': 1}) == []


def test_postgres_single_user_session_output_of_a_preloaded_library():
    output = fixture('postgres-18-extension-single-user.txt')
    reserved = [pg_check._RESERVED.search(pg_check._split(line)[1]) for line in output.splitlines()]
    assert [match.group(1) for match in reserved if match] == ['pg_stat_statements.maxx']
    known = set(pg_check._KNOWN.findall(output))
    assert 'pg_stat_statements.max' in known
    assert pg_check.closest('pg_stat_statements.maxx', known) == 'pg_stat_statements.max'
    (problem,) = [p for p in pg_check.parse_output(output.splitlines(), fixture('pg_extension.conf'))
                  if p['kind'] != 'syntax']
    assert problem['name'] == 'pg_stat_statements.track' and problem['hint'] == 'Available values: none, top, all.'
