# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category logging: what the server log records."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    number, setting_fix, setting_off)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.logging.track_io_timing', 'logging', 'info', 'track_io_timing off',
       'I/O timing tells slow storage from slow queries.',
       'PostgreSQL manual 20.9.2 (track_io_timing)')
def track_io_timing_off(facts):
    return setting_off(facts, 'track_io_timing', 'on', 'EXPLAIN (BUFFERS) and pg_stat_statements show no I/O times')


@check(TABLE, 'postgres.logging.slow_statements', 'logging', 'warning', 'Slow statements not logged',
       'The log names slow statements with their parameters.',
       'PostgreSQL manual 20.8.2 (log_min_duration_statement)')
def slow_statement_log_off(facts):
    if number(facts, 'log_min_duration_statement') >= 0:
        return None
    target = facts['recommended'].get('log_min_duration_statement', '1s')
    return finding('-1', target, 'statements are never logged for their duration',
                   setting_fix('log_min_duration_statement', target))


@check(TABLE, 'postgres.logging.checkpoints', 'logging', 'info', 'Checkpoints not logged',
       'Checkpoint logs are the evidence for max_wal_size tuning.',
       'PostgreSQL manual 20.8.3 (log_checkpoints)')
def checkpoints_not_logged(facts):
    return setting_off(facts, 'log_checkpoints', 'on', 'checkpoint frequency and duration are not in the log')


@check(TABLE, 'postgres.logging.lock_waits', 'logging', 'info', 'Lock waits not logged',
       'Lock-wait logs name the blocking statements.',
       'PostgreSQL manual 20.8.3 (log_lock_waits)')
def lock_waits_not_logged(facts):
    return setting_off(facts, 'log_lock_waits', 'on', 'waits longer than deadlock_timeout are not in the log')


@check(TABLE, 'postgres.logging.temp_files', 'logging', 'info', 'Temporary files not logged',
       'The log names the statements that spill to disk.',
       'PostgreSQL manual 20.8.3 (log_temp_files)')
def temp_file_log_off(facts):
    if number(facts, 'log_temp_files') >= 0:
        return None
    target = facts['recommended'].get('log_temp_files', 0)
    return finding('-1', target, 'temporary files are not logged: work_mem shortages go unseen',
                   setting_fix('log_temp_files', target))
