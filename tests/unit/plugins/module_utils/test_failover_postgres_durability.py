# -*- coding: utf-8 -*-
"""PostgreSQL failover's durability decisions without a server: does a commit wait for a standby,
which names a promoted node waits for under durability required, what pg_rewind's dry run says,
and the name and labels of the volume a diverged old primary's data is kept in."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import failover as pg_failover
from ansible_collections.dbops.containers.plugins.module_utils.failover import cluster

# pg_rewind --dry-run's output (after the role's crash-recovery step) on localhost/dbops/postgres:15 (15.18),
# captured by tests/integration/test_durability_postgres.py: an old primary killed -9 while a commit waited
# for its cut-off synchronous standby (diverged), and one stopped cleanly (nothing to undo). 18.6 prints the
# same pg_rewind lines.
DIVERGED_OUTPUT = '''crash recovery first (state: in production)

PostgreSQL stand-alone backend 15.18 (Debian 15.18-0+deb12u1)
pg_rewind: servers diverged at WAL location 0/3011868 on timeline 1
pg_rewind: rewinding from last common checkpoint at 0/2000060 on timeline 1
pg_rewind: Done!
backend> '''
NOT_DIVERGED_OUTPUT = '''pg_rewind: servers diverged at WAL location 0/3012678 on timeline 2
pg_rewind: no rewind required
'''


@pytest.mark.parametrize('names, level, expected', [
    ('ANY 1 ("pb")', 'on', True),
    ('ANY 1 ("pb", "pc")', 'remote_apply', True),
    ('"pb"', 'remote_write', True),
    ('ANY 1 ("pb")', 'ON', True),
    ('ANY 1 ("pb")', 'local', False),     # returns once the primary alone has flushed it
    ('ANY 1 ("pb")', 'off', False),
    ('', 'on', False),                   # nobody named: asynchronous whatever synchronous_commit says
    ('   ', 'remote_apply', False),
])
def test_a_commit_waits_only_with_a_named_standby_and_a_waiting_level(names, level, expected):
    assert pg_failover.commits_wait_for_standby(False, names, level) is expected


@pytest.mark.parametrize('standby, names, level', [
    (True, 'ANY 1 ("pb")', 'on'),   # a standby commits nothing: not the primary's state
    (False, None, 'on'),
    (False, 'ANY 1 ("pb")', None),
])
def test_unknown_when_not_a_primary_or_not_read(standby, names, level):
    assert pg_failover.commits_wait_for_standby(standby, names, level) is None


def test_required_names_every_other_node_by_its_slot_the_old_primary_included():
    assert pg_failover.required_sync_names(['db-A', 'pb', 'pc.x'], 'pb') == 'ANY 1 ("db_a", "pc_x")'
    # The promoted node never waits for itself; with no other node there is nothing to name.
    assert pg_failover.required_sync_names(['pb'], 'pb') == ''


def test_the_dry_run_says_whether_there_is_anything_to_undo():
    assert pg_failover.rewind_needed(DIVERGED_OUTPUT) is True
    assert pg_failover.rewind_needed(NOT_DIVERGED_OUTPUT) is False
    # Output it does not know: None, and the caller keeps a copy rather than guess "nothing".
    assert pg_failover.rewind_needed('pg_rewind: some message of a later version') is None


def test_the_kept_volume_is_named_after_the_node_and_the_utc_time():
    moment = calendar.timegm((2026, 12, 6, 11, 42, 7, 0, 0, 0))
    assert cluster.diverged_volume_name('dbt-1-pa', moment) == 'dbt-1-pa-dbops-diverged-20261206T114207Z'


def test_the_kept_volume_is_the_collections_own_but_no_nodes_volume():
    labels = cluster.diverged_volume_labels('pa', 'pa-data', 'postgres')
    assert labels['dbops.managed'] == 'true' and labels['dbops.diverged_from'] == 'pa'
    assert labels['dbops.copied_from_volume'] == 'pa-data' and labels['dbops.engine'] == 'postgres'
    # db_container adopts (and purges with purge_data) the volumes labelled with its container.
    assert 'dbops.container' not in labels


def test_a_repoint_first_makes_the_standbys_slot_on_the_new_primary(monkeypatch):
    """A promotion cut short (the watcher killed between pg_promote() and the slots) left the new primary without
    the standby's slot: the standby retried 'replication slot does not exist' for the whole wait."""
    driver = pg_failover.FailoverDriver.__new__(pg_failover.FailoverDriver)
    opened, executed = [], []

    class Session(object):
        def __init__(self, node):
            self.node = node

        def close(self):
            pass
    driver._conn = lambda node, timeout=None, query_timeout=None: opened.append(node) or Session(node)
    existing = set(['bft_pg2'])
    monkeypatch.setattr(pg_failover, 'rows', lambda conn, sql, params=None: [{'slot_name': n} for n in existing])
    monkeypatch.setattr(pg_failover, 'execute', lambda conn, sql, params=None: executed.append((conn.node, params)))
    driver.ensure_slot('pg1', 'bft_pg3')
    driver.ensure_slot('pg1', 'bft_pg2')
    assert executed == [('pg1', ('bft_pg3',))]
