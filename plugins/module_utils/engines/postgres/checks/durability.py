# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category durability: settings that trade crash safety for speed."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    is_on, setting, setting_fix, setting_off)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.durability.fsync_off', 'durability', 'critical', 'fsync off',
       'fsync = off skips flushing to disk: unrecoverable corruption after a crash.',
       'PostgreSQL manual 20.5.1 (fsync)')
def fsync_off(facts):
    return setting_off(facts, 'fsync', 'on', 'a crash or power loss can corrupt the whole cluster')


@check(TABLE, 'postgres.durability.full_page_writes_off', 'durability', 'critical', 'full_page_writes off',
       'Torn pages after a crash are corruption.',
       'PostgreSQL manual 20.5.1 (full_page_writes)')
def full_page_writes_off(facts):
    return setting_off(facts, 'full_page_writes', 'on', 'a crash during a page write leaves torn pages recovery '
                                                        'cannot fix')


@check(TABLE, 'postgres.durability.synchronous_commit_off', 'durability', 'warning', 'synchronous_commit off',
       'Commits are acknowledged before they reach disk.',
       'PostgreSQL manual 30.4 Asynchronous Commit')
def synchronous_commit_off(facts):
    if setting(facts, 'synchronous_commit') != 'off':
        return None
    return finding('off', 'on', 'a crash loses the last commits (up to 3 x wal_writer_delay) clients were told '
                   'succeeded', setting_fix('synchronous_commit', 'on') +
                   ' (or SET synchronous_commit = off only in sessions that may lose data)')


@check(TABLE, 'postgres.durability.data_checksums', 'durability', 'info', 'Data checksums off',
       'Checksums detect storage corruption when pages are read.',
       'PostgreSQL manual 30.2 Data Checksums; pg_checksums')
def data_checksums_off(facts):
    if is_on(facts, 'data_checksums'):
        return None
    return finding('off', 'on', 'storage corruption is read back as data without an error',
                   'stop the server and run pg_checksums --enable -D $PGDATA (PostgreSQL 12+); db_container '
                   'initialises new clusters with --data-checksums')
