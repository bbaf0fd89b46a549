# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category logging: the general and slow query logs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    flag, num, on, ratio, setting_fix, status, var)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.logging.general_log', 'logging', 'warning', 'general_log is on in production',
       'The general log writes every statement: I/O, disk space and data in plain text.',
       'MySQL manual: The General Query Log')
def general_log_on(facts):
    if not on(facts, 'general_log'):
        return None
    return finding('ON', 'OFF', 'general_log writes every statement to %s' % var(facts, 'general_log_file'),
                   setting_fix('general_log', 'OFF', facts) + ' (use the slow log or performance_schema)')


@check(TABLE, 'mysql.logging.slow_log', 'logging', 'warning', 'Slow query log off',
       'The slow query log is the first source for finding the statements to optimise.',
       'MySQL manual: The Slow Query Log; MySQLTuner')
def slow_log_off(facts):
    if flag(facts, 'slow_query_log'):
        return None
    return finding('OFF', 'ON', 'slow statements are not recorded: nothing to diagnose them with',
                   '%s; %s' % (setting_fix('slow_query_log', 'ON', facts), setting_fix('long_query_time', 1, facts)))


@check(TABLE, 'mysql.logging.long_query_time', 'logging', 'warning', 'long_query_time too high or zero',
       'At 10 s the slow log misses what users notice; at 0 it logs everything.',
       'MySQL manual: long_query_time; pt-query-digest')
def long_query_time_off(facts):
    if not flag(facts, 'slow_query_log'):
        return None  # slow_log reports it
    value = num(facts, 'long_query_time')
    # The default of 10 s hides every statement an OLTP user notices; 0 logs everything.
    if 0 < value < 10:
        return None
    evidence = ('long_query_time=0 logs every statement: the slow log becomes a general log' if value == 0 else
                'only statements slower than %g s are logged' % value)
    wanted = (facts.get('recommended') or {}).get('long_query_time', 1)
    return finding(value, wanted, evidence, setting_fix('long_query_time', wanted, facts))


@check(TABLE, 'mysql.logging.not_using_indexes', 'logging', 'warning', 'Logging every statement without an index',
       'log_queries_not_using_indexes logs fast scans of small tables too.',
       'MySQL manual: log_queries_not_using_indexes, log_throttle_queries_not_using_indexes')
def not_using_indexes_logged(facts):
    if not flag(facts, 'log_queries_not_using_indexes'):
        return None
    throttle = int(float(var(facts, 'log_throttle_queries_not_using_indexes', 0) or 0))
    return finding('ON', 'OFF', 'every statement without an index is logged, however fast: small lookup tables '
                   'flood the slow log%s' % (' (throttled to %d a minute)' % throttle if throttle else ''),
                   setting_fix('log_queries_not_using_indexes', 'OFF', facts),
                   severity='info' if throttle else None)


@check(TABLE, 'mysql.logging.slow_queries_rate', 'logging', 'warning', 'Many slow queries',
       'More than 1% of statements slower than long_query_time means missing indexes or an overloaded server.',
       'MySQL manual: Slow_queries; pt-query-digest')
def slow_queries_rate(facts):
    questions = status(facts, 'questions')
    slow = status(facts, 'slow_queries')
    if questions < 10000 or ratio(slow, questions) <= 0.01:
        return None
    logfile = var(facts, 'slow_query_log_file') or 'the slow log'
    return finding('%.1f%% of statements' % (100.0 * slow / questions), '< 1%',
                   '%d of %d statements ran longer than long_query_time (%s s)'
                   % (slow, questions, var(facts, 'long_query_time')),
                   'pt-query-digest %s; EXPLAIN the top statements and CREATE INDEX on their filtered columns'
                   % logfile)
