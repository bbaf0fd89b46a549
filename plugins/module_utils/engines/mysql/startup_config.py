# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a MySQL or MariaDB server of a replication group starts with, whatever happened since the role ran.

One file in the configuration volume, read after db_container's own (``zzz-`` sorts last), says what the
node's place in the group needs at its next start: a replica read-only (a restarted replica must not take
writes next to its primary: each would be an errant transaction that bars it from later failovers), a
fenced old primary read-only with no replica threads, a promoted node writable. db_replication writes it
for role primary and replica, db_failover when it fences, promotes, demotes or rejoins a node.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import (
    SEMI_SYNC_NO_FALLBACK_MS, flavor_named)

FENCE_FILE = 'zzz-dbops-fenced.cnf'


def semi_sync_source_lines(enabled):
    """Source-side semi-sync on or off at start-up, under every name a server may have for it.

    Off on a node that is not the primary: with no replica of its own, its first commits after a
    start would each wait out the semi-sync timeout (wait_no_replica is ON by default), stalling its
    applier. ``loose-``: the name a server does not have (MariaDB's master, MySQL's source, a plugin
    not loaded yet at initialisation) is ignored instead of aborting the start."""
    value = 'ON' if enabled else 'OFF'
    return ['loose-rpl_semi_sync_source_enabled = %s' % value, 'loose-rpl_semi_sync_master_enabled = %s' % value]


def fence_config(flavor):
    """The configuration that keeps a fenced primary from taking writes when it starts again.

    ``flavor``: the flavor's name (Flavor.name, which is the engine's)."""
    lines = ['# Written by db_failover: this server was a primary that was failed over.',
             '# It starts read-only with no replica threads; db_failover mode rejoin makes it a replica.',
             '[mysqld]', 'read_only = ON', 'skip_slave_start = ON']
    lines.extend(flavor_named(flavor).fence_settings)
    lines.extend(semi_sync_source_lines(False))
    return '\n'.join(lines) + '\n'


def rejoined_config(flavor):
    """The configuration of a fenced old primary once it replicates again: still read-only, source-side
    semi-sync off, but without the fence's skip_slave_start, so a restart (a host reboot) starts its
    replication threads again instead of leaving a replica that silently stopped replicating.

    ``flavor``: the flavor's name (Flavor.name, which is the engine's)."""
    lines = ['# Written by db_failover: this server was a primary that was failed over, and rejoined as a replica.',
             '[mysqld]', 'read_only = ON']
    lines.extend(flavor_named(flavor).fence_settings)
    lines.extend(semi_sync_source_lines(False))
    return '\n'.join(lines) + '\n'


def replica_config(flavor):
    """A replica's: read-only at every start (super_read_only too on MySQL), source-side semi-sync off.
    The same as a rejoined old primary's."""
    return rejoined_config(flavor)


def semi_sync_durability_lines(durability, timeout_ms=None):
    """How long the source side waits for a replica's acknowledgement, under every name a server may have.

    ``durability`` required: never falls back (the largest timeout the servers accept, and the wait kept
    while no replica is connected); preferred: ``timeout_ms`` when given (else what the server's other
    configuration says)."""
    if durability == 'required':
        return ['loose-rpl_semi_sync_source_timeout = %d' % SEMI_SYNC_NO_FALLBACK_MS,
                'loose-rpl_semi_sync_master_timeout = %d' % SEMI_SYNC_NO_FALLBACK_MS,
                'loose-rpl_semi_sync_source_wait_no_replica = ON', 'loose-rpl_semi_sync_master_wait_no_slave = ON']
    if timeout_ms is None:
        return []
    return ['loose-rpl_semi_sync_source_timeout = %d' % int(timeout_ms),
            'loose-rpl_semi_sync_master_timeout = %d' % int(timeout_ms)]


def promoted_config(semi_sync, durability='required', timeout_ms=None):
    """The configuration of a primary (promoted by db_failover, or set up by db_replication): not fenced,
    writable after a restart (the role writes read_only = ON into a replica's own configuration, and this
    file is read after it), and with semi-sync its source side on with the durability's timeout, so a
    restart keeps the primary waiting for a replica as it did before (under ``durability`` required for
    ever: see semi_sync_durability_lines). ``loose-``: super_read_only is MySQL's alone."""
    lines = ['# Written by db_failover or db_replication: this server is a primary; it is not fenced.',
             '[mysqld]', 'read_only = OFF', 'loose-super_read_only = OFF']
    if semi_sync:
        lines.extend(semi_sync_source_lines(True))
        lines.extend(semi_sync_durability_lines(durability, timeout_ms))
    return '\n'.join(lines) + '\n'
