# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks, category wal: checkpoints and WAL size."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import to_postgres
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.common import (
    human, number, setting_fix, size, wanted)

# The rows of this category, in the order of the report (checks/table.py joins the tables).
TABLE = []


@check(TABLE, 'postgres.wal.max_wal_size_small', 'wal', 'warning', 'max_wal_size too small: requested checkpoints',
       'Checkpoints forced by WAL volume come too often: more I/O and more full-page writes.',
       'PostgreSQL manual 30.5 WAL Configuration; PGTune')
def max_wal_size_small(facts):
    points = facts['checkpoints']
    total = float(points['timed']) + float(points['requested'])
    if total < 10 or float(points['requested']) / total < 0.2:
        return None
    current = size(facts, 'max_wal_size')
    value, target = wanted(facts, 'max_wal_size')
    if target <= current:
        value = to_postgres(current * 2)
    return finding(human(current), value,
                   '%d of %d checkpoints were requested (WAL reached max_wal_size) instead of timed'
                   % (points['requested'], total), setting_fix('max_wal_size', value))


@check(TABLE, 'postgres.wal.checkpoint_completion_target', 'wal', 'info', 'checkpoint_completion_target below 0.9',
       'Spreading checkpoint writes over the interval smooths I/O.',
       'PostgreSQL manual 30.5 WAL Configuration; PGTune')
def checkpoint_completion_target_low(facts):
    current = number(facts, 'checkpoint_completion_target')
    target = facts['recommended'].get('checkpoint_completion_target', 0.9)
    if current >= 0.9:
        return None
    return finding(current, target, 'checkpoint writes are squeezed into %.0f%% of checkpoint_timeout: I/O spikes'
                   % (current * 100), setting_fix('checkpoint_completion_target', target))


@check(TABLE, 'postgres.wal.backend_fsync', 'wal', 'warning', 'Backends fsync data files themselves',
       'buffers_backend_fsync > 0 means the checkpointer could not keep up.',
       'PostgreSQL manual 28.2 pg_stat_bgwriter; pgwatch bgwriter metrics')
def backend_fsync(facts):
    count = facts['checkpoints'].get('backend_fsync')
    if not count:
        return None
    fix = 'check the storage\'s write latency (iostat, pg_stat_io on 16+)'
    value, target = wanted(facts, 'max_wal_size')
    if size(facts, 'max_wal_size') < target:
        fix = setting_fix('max_wal_size', value) + ' (fewer, spread checkpoints); ' + fix
    return finding('%d backend fsyncs' % count, '0',
                   'backends had to fsync data files themselves: the checkpointer\'s fsync request queue was full',
                   fix)
