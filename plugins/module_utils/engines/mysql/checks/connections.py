# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category connections:
max_connections against the peak, aborted, blocked and idle connections.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    is_mariadb, num, ratio, setting_fix, status, uptime, var)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.connections.near_peak', 'connections', 'warning', 'max_connections nearly reached',
       'When max_connections is reached new clients get "Too many connections".',
       'MySQL manual: max_connections')
def connections_near_peak(facts):
    limit = num(facts, 'max_connections')
    peak = status(facts, 'max_used_connections')
    if peak < limit * 0.85:
        return None
    wanted = max(int(facts['recommended']['max_connections']), int(peak * 1.5))
    return finding('%d (peak %d)' % (limit, peak), wanted,
                   'the peak of %d connections reached %.0f%% of max_connections' % (peak, 100.0 * peak / limit),
                   setting_fix('max_connections', wanted, facts) + '; or pool connections in the application',
                   severity='critical' if peak >= limit else None)


@check(TABLE, 'mysql.connections.aborted', 'connections', 'warning', 'Many aborted connection attempts',
       'Failed logins waste threads and, past max_connect_errors, block hosts.',
       'MySQL manual: Aborted_connects')
def aborted_connects(facts):
    attempts = status(facts, 'connections')
    aborted = status(facts, 'aborted_connects')
    # MariaDB counts apart the connections closed before they tried to log in: a proxy's TCP health
    # check (HAProxy, every 2 s per server) or a failover probe, not a failed login. Left in, a healthy
    # cluster behind HAProxy gains this warning as soon as it has served 100 connections.
    before_login = status(facts, 'aborted_connects_preauth') if 'aborted_connects_preauth' in (
        facts.get('status') or {}) else 0
    aborted, attempts = aborted - before_login, attempts - before_login
    if attempts < 100 or aborted / attempts < 0.05:
        return None
    return finding('%.1f%% aborted' % (100.0 * aborted / attempts), '< 5%',
                   '%d of %d connection attempts failed%s' % (
                       aborted, attempts, ' (%d more closed before logging in: health checks and probes, not '
                       'counted)' % before_login if before_login else ''),
                   'find the clients failing authentication (log_warnings/log_error_verbosity) and fix their '
                   'credentials')


@check(TABLE, 'mysql.connections.max_connect_errors', 'connections', 'warning', 'max_connect_errors at the default 100',
       'Interrupted connections from one address block it; behind a proxy that blocks every client.',
       'MySQL manual: max_connect_errors, Host cache')
def max_connect_errors_low(facts):
    value = num(facts, 'max_connect_errors')
    # Hosts are blocked through the host cache; with host_cache_size=0 nothing is ever blocked.
    if value > 100 or float(var(facts, 'host_cache_size', 1) or 0) == 0:
        return None
    wanted = int((facts.get('recommended') or {}).get('max_connect_errors', 1000))
    unblock = 'FLUSH HOSTS' if is_mariadb(facts) else 'TRUNCATE TABLE performance_schema.host_cache'
    return finding(int(value), wanted, 'after %d interrupted connections from one address the server refuses '
                   'it: behind a proxy or a Docker NAT, that address is every client' % value,
                   setting_fix('max_connect_errors', wanted, facts) + '; unblock now with ' + unblock)


@check(TABLE, 'mysql.connections.idle', 'connections', 'warning', 'Idle connections hold many slots',
       'A high wait_timeout lets leaked idle connections hold slots and memory for hours.',
       'MySQL manual: wait_timeout; MySQLTuner')
def idle_connections(facts):
    timeout = num(facts, 'wait_timeout')
    connected = status(facts, 'threads_connected')
    sleeping = connected - status(facts, 'threads_running')
    limit = num(facts, 'max_connections')
    if timeout <= 3600 or sleeping < 0.25 * limit:
        return None
    wanted = int((facts.get('recommended') or {}).get('wait_timeout', 600))
    return finding('wait_timeout=%d, %d sleeping connections' % (timeout, sleeping), 'wait_timeout=%d' % wanted,
                   '%d of %d connection slots are held by idle sessions, closed only after %.0f hours'
                   % (sleeping, limit, timeout / 3600.0),
                   '%s; %s' % (setting_fix('wait_timeout', wanted, facts),
                               setting_fix('interactive_timeout', wanted, facts)))


@check(TABLE, 'mysql.connections.overprovisioned', 'connections', 'info', 'max_connections far above the peak',
       'Connections the workload never uses still count in the worst-case memory.',
       'MySQL manual: max_connections, Max_used_connections')
def connections_overprovisioned(facts):
    if uptime(facts) < 7 * 86400:
        return None  # a peak needs at least a week of traffic
    limit = num(facts, 'max_connections')
    peak = status(facts, 'max_used_connections')
    recommended = facts.get('recommended') or {}
    ceiling = max(int(recommended.get('max_connections', 151)), 151)
    if peak * 10 >= limit or limit <= ceiling:
        return None
    wanted = max(int(recommended.get('max_connections', 151)), int(peak * 2))
    return finding('%d (peak %d)' % (limit, peak), wanted,
                   'the peak in %.0f days was %d connections, %.0f%% of max_connections: each allowed connection '
                   'may claim its per-thread buffers' % (uptime(facts) / 86400, peak, 100.0 * peak / limit),
                   setting_fix('max_connections', wanted, facts))


@check(TABLE, 'mysql.connections.aborted_clients', 'connections', 'warning', 'Many connections not closed properly',
       'Aborted_clients counts sessions that ended without a proper close.',
       'MySQL manual: Communication Errors and Aborted Connections')
def aborted_clients(facts):
    connections = status(facts, 'connections')
    aborted = status(facts, 'aborted_clients')
    if connections < 1000 or ratio(aborted, connections) <= 0.05:
        return None
    return finding('%.1f%% of connections' % (100.0 * aborted / connections), '< 5%',
                   '%d connections ended without a proper close (client killed, timeout, or packet too large)'
                   % aborted,
                   'close connections in the application and keep the pool\'s idle timeout below wait_timeout '
                   '(%s s); if the error log shows "Got a packet bigger": %s'
                   % (var(facts, 'wait_timeout'), setting_fix('max_allowed_packet', '64M', facts)))
