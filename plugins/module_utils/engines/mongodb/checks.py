# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MongoDB checks, as data: one Check per row.

Each evaluate(facts) reads the facts audit_mongodb.collect() gathered (the
serverStatus, getCmdLineOpts, replSetGetStatus and profile documents, as the
MongoDB manual shows them), plus facts['limits'] (the container's memory and
CPUs) and facts['recommended'] (what db_container would derive for those
limits), and returns None when the server is fine on that point or a finding()
with the fix. A fact the server did not report raises KeyError: the check is
listed as not evaluated instead of guessing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import Check, finding
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB, to_docker
from ansible_collections.dbops.containers.plugins.module_utils.tuning import Resources, wired_tiger_cache_gb

CACHE_SETTING = 'storage.wiredTiger.engineConfig.cacheSizeGB'
# WiredTiger's eviction thresholds, as mongod configures them: past eviction_dirty_trigger
# (20% dirty) or eviction_trigger (95% full) application threads must evict pages
# themselves, and every operation waits for it.
DIRTY_TRIGGER = 0.20
FILL_TRIGGER = 0.95
# replSetGetStatus members[].state: the states a healthy member may be in.
PRIMARY, SECONDARY, ARBITER = 1, 2, 7
HEALTHY_STATES = (PRIMARY, SECONDARY, ARBITER)
LOOPBACK = ('localhost', '127.0.0.1', '::1')
DEFAULT_SLOWMS = 100            # mongod's default operationProfiling.slowOpThresholdMs
LAG_LIMIT_SECONDS = 10
OPLOG_WINDOW_HOURS = 24
OPLOG_MIN_MB = 990              # replSetResizeOplog refuses anything smaller


# --- helpers reading facts ---------------------------------------------------------
def server(facts, *path):
    """A value from the serverStatus document; KeyError when the server does not report it."""
    node = facts['server_status']
    for key in path:
        node = node[key]
    return node


def cache_stat(facts, name):
    return float(server(facts, 'wiredTiger', 'cache', name))


def cache_max_bytes(facts):
    return cache_stat(facts, 'maximum bytes configured')


def recommended_cache_gb(facts):
    return float(facts['recommended'][CACHE_SETTING])


def uptime(facts):
    return float(server(facts, 'uptime'))


def parsed_options(facts):
    """getCmdLineOpts.parsed; KeyError when it could not be read."""
    if facts.get('cmdline') is None:
        raise KeyError('cmdline')
    return facts['cmdline']


def option(facts, dotted, default=None):
    """A mongod option by its mongod.conf path (net.bindIp), or default when unset or unknown."""
    node = facts.get('cmdline') or {}
    for key in dotted.split('.'):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def gb(value):
    return '%g' % round(value, 2)


def human(size):
    """Bytes in the units the MongoDB manual uses (its GB are GiB, as in cacheSizeGB)."""
    if size >= GIB:
        return '%s GB' % gb(size / GIB)
    return '%d MB' % round(size / MIB)


def settings_fix(name, value):
    return "settings: {'%s': %s} (db_container, mongod.conf)" % (name, value)


def cache_fix(cache_gb):
    # wiredTigerEngineRuntimeConfig resizes the cache of a running mongod; the
    # setting in mongod.conf makes it last.
    return ("%s, or until the next restart: mongosh --eval \"db.adminCommand({setParameter: 1, "
            "wiredTigerEngineRuntimeConfig: 'cache_size=%dM'})\""
            % (settings_fix(CACHE_SETTING, gb(cache_gb)), int(round(cache_gb * 1024))))


def more_cache_or_memory(facts):
    """(recommended, fix) for a cache that is short: first the size the limit
    allows; when it already has that, a larger memory limit."""
    wanted = recommended_cache_gb(facts)
    if cache_max_bytes(facts) < wanted * GIB * 0.9:
        return wanted, cache_fix(wanted)
    memory = facts['limits']['memory'] * 2
    bigger = wired_tiger_cache_gb(Resources(memory, facts['limits']['cpus'] or 1, 'oltp', facts['version']), {})
    return ('memory %s (cacheSizeGB %s)' % (to_docker(memory), gb(bigger)),
            'db_container memory: %s (it derives cacheSizeGB %s from it)' % (to_docker(memory), gb(bigger)))


def replset(facts):
    """replSetGetStatus, or None on a standalone server (the replication checks stay quiet)."""
    return facts['replset']


def member_label(member):
    return '%s %s' % (member['name'], member.get('stateStr', 'state %s' % member.get('state')))


# --- memory: the WiredTiger cache against the container limit ---------------------------
def cache_too_large(facts):
    memory = facts['limits']['memory']
    configured = cache_max_bytes(facts)
    wanted = recommended_cache_gb(facts)
    if configured <= wanted * GIB * 1.2:
        return None
    explicit = option(facts, CACHE_SETTING)
    origin = ('%s is set to %s' % (CACHE_SETTING, explicit) if explicit is not None else
              'cacheSizeGB is not set: mongod sized the cache from the RAM it sees (the host\'s)')
    return finding('%s GB' % gb(configured / GIB), wanted,
                   'WiredTiger cache %s GB (maximum bytes configured) is %.0f%% of the %s memory limit, for '
                   'which the manual\'s formula gives %s GB; %s'
                   % (gb(configured / GIB), 100.0 * configured / memory, human(memory), gb(wanted), origin),
                   cache_fix(wanted), severity='critical' if configured >= memory else None)


def cache_too_small(facts):
    configured = cache_max_bytes(facts)
    wanted = recommended_cache_gb(facts)
    data = float(facts['data_size'])
    # The cache holds documents uncompressed; on disk they are compressed (snappy),
    # so data on disk counts twice. Data that fits needs no bigger cache.
    if configured >= wanted * GIB * 0.5 or data * 2 <= configured:
        return None
    share = 100.0 * configured / (wanted * GIB)
    evidence = ('WiredTiger cache %s GB is %.0f%% of the %s GB the %s memory limit allows; the databases '
                'take %s on disk, compressed' % (gb(configured / GIB), share, gb(wanted),
                                                 human(facts['limits']['memory']), human(data)))
    return finding('%s GB' % gb(configured / GIB), wanted, evidence, cache_fix(wanted))


def page_fault_rate(facts):
    seconds = uptime(facts)
    faults = float(server(facts, 'extra_info', 'page_faults'))
    rate = faults / seconds
    # Start-up reads fault pages in: judge a server that has run for a while.
    if seconds < 600 or rate <= 10:
        return None
    wanted = recommended_cache_gb(facts)
    if cache_max_bytes(facts) > wanted * GIB * 1.2:
        # The cache took the memory the filesystem cache needs for compressed blocks.
        recommended, fix = wanted, cache_fix(wanted)
    else:
        recommended, fix = more_cache_or_memory(facts)
    return finding('%.1f page faults/s' % rate, recommended,
                   '%d major page faults in %d s of uptime (extra_info.page_faults): the working set does not '
                   'fit in memory' % (faults, seconds), fix)


# --- cache pressure ------------------------------------------------------------------------
def cache_dirty(facts):
    dirty = cache_stat(facts, 'tracked dirty bytes in the cache')
    ratio = dirty / cache_max_bytes(facts)
    if ratio <= DIRTY_TRIGGER:
        return None
    if cache_max_bytes(facts) < recommended_cache_gb(facts) * GIB * 0.9:
        recommended, fix = more_cache_or_memory(facts)
    else:
        recommended = '<= 5% dirty (WiredTiger eviction_dirty_target)'
        fix = ('the disk does not keep up with the writes: put the data volume on faster storage '
               '(more IOPS), or spread the write load (smaller batches, fewer indexes per collection)')
    return finding('%.0f%% dirty' % (100 * ratio), recommended,
                   '%s of modified data waits to be written (tracked dirty bytes in the cache), %.0f%% of the '
                   'cache: past 20%% application threads write it out themselves' % (human(dirty), 100 * ratio),
                   fix)


def application_eviction(facts):
    used = cache_stat(facts, 'bytes currently in the cache')
    ratio = used / cache_max_bytes(facts)
    evicted = cache_stat(facts, 'pages evicted by application threads')
    if ratio <= FILL_TRIGGER or evicted <= 0:
        return None
    recommended, fix = more_cache_or_memory(facts)
    return finding('%.0f%% full, %d pages evicted by application threads' % (100 * ratio, evicted), recommended,
                   'the cache holds %s of %s (bytes currently in the cache): past 95%% the threads serving '
                   'clients evict pages before they can work' % (human(used), human(cache_max_bytes(facts))),
                   fix)


# --- connections and concurrency ---------------------------------------------------------
def connections_near_limit(facts):
    current = float(server(facts, 'connections', 'current'))
    available = float(server(facts, 'connections', 'available'))
    ratio = current / (current + available)
    if ratio <= 0.8:
        return None
    wanted = int(math.ceil(current * 1.5))
    if option(facts, 'net.maxIncomingConnections') is None:
        # Without the option mongod allows 80% of the open-files ulimit.
        fix = ('raise the container\'s nofile ulimit, or cap with %s; and lower the drivers\' maxPoolSize'
               % settings_fix('net.maxIncomingConnections', wanted))
    else:
        fix = settings_fix('net.maxIncomingConnections', wanted) + '; or lower the drivers\' maxPoolSize'
    return finding('%d of %d in use' % (current, current + available), wanted,
                   '%.0f%% of the connections mongod accepts are open (connections.current / (current + '
                   'available)); new clients are refused at the limit' % (100 * ratio),
                   fix, severity='critical' if ratio >= 0.95 else None)


def ticket_pools(facts):
    """The read/write ticket pools: queues.execution on 7.0+, wiredTiger.concurrentTransactions before."""
    status = facts['server_status']
    execution = (status.get('queues') or {}).get('execution')
    if execution:
        return 'queues.execution', execution
    concurrent = (status.get('wiredTiger') or {}).get('concurrentTransactions')
    if concurrent:
        return 'wiredTiger.concurrentTransactions', concurrent
    return None, {}


def tickets_exhausted(facts):
    where, pools = ticket_pools(facts)
    exhausted = []
    for kind in ('read', 'write'):
        pool = pools.get(kind) or {}
        if pool.get('totalTickets', 0) > 0 and pool.get('available') == 0:
            queued = (pool.get('normalPriority') or {}).get('queueLength')
            exhausted.append('%s: %s of %s out, 0 available%s' % (
                kind, pool.get('out'), pool['totalTickets'],
                ', %s queued' % queued if queued is not None else ''))
    if not exhausted:
        return None
    return finding('; '.join(exhausted), 'tickets available (no operation waits to enter the storage engine)',
                   '%s: every %s ticket is taken; further operations queue'
                   % (where, ' and '.join(e.split(':')[0] for e in exhausted)),
                   "find what holds them: mongosh --eval \"db.currentOp({active: true, secs_running: {\\$gte: 1}})\"; "
                   "index the slow operations, or raise cpus and the disk's throughput (leave the ticket count "
                   "to mongod: 7.0+ adjusts it)")


# --- errors ------------------------------------------------------------------------------
def regular_asserts(facts):
    regular = float(server(facts, 'asserts', 'regular'))
    per_day = regular * 86400 / uptime(facts)
    if regular == 0 or per_day < 1:
        return None
    return finding('%d regular asserts (%.1f/day)' % (regular, per_day), 0,
                   'asserts.regular counts internal server errors, not client mistakes',
                   "read them in the log: mongosh --eval \"db.adminCommand({getLog: 'global'})\" "
                   "(or docker logs <container> | grep '\"s\":\"E\"')")


def user_asserts(facts):
    user = float(server(facts, 'asserts', 'user'))
    rate = user / uptime(facts)
    if rate <= 1:
        return None
    return finding('%.1f user asserts/s' % rate, '<= 1/s',
                   '%d user asserts in %d s (asserts.user): operations failing with errors such as duplicate '
                   'keys, validation or authentication failures' % (user, uptime(facts)),
                   "find the failing operations in the log (mongosh --eval \"db.adminCommand({getLog: 'global'})\") "
                   "and fix the application's writes or credentials")


# --- indexes -----------------------------------------------------------------------------
def scanned_per_returned(facts):
    scanned = float(server(facts, 'metrics', 'queryExecutor', 'scannedObjects'))
    returned = float(server(facts, 'metrics', 'document', 'returned'))
    ratio = scanned / max(returned, 1)
    # A floor of 100k documents: a few scans of a small collection are no problem.
    if scanned < 100000 or ratio <= 1000:
        return None
    return finding('%d documents examined per document returned' % ratio, '< 1000 (an index per query filter)',
                   'metrics.queryExecutor.scannedObjects %d vs metrics.document.returned %d: queries read far '
                   'more documents than they return, the mark of missing indexes' % (scanned, returned),
                   "find them in the slow-operation log (docker logs <container> | grep -E 'COLLSCAN|docsExamined'), "
                   "explain them (db.<collection>.find(<filter>).explain('executionStats')) and "
                   "db.<collection>.createIndex({<filter field>: 1})")


def collection_scans(facts):
    scans = server(facts, 'metrics', 'queryExecutor').get('collectionScans')
    if not scans:
        return None  # reported since MongoDB 4.4
    # Tailable scans are replication and change streams reading the oplog: not a query problem.
    count = float(scans.get('nonTailable', scans.get('total', 0)))
    counters = server(facts, 'opcounters')
    operations = sum(float(counters.get(name, 0)) for name in ('query', 'update', 'delete'))
    ratio = count / max(operations, 1)
    if count < 1000 or ratio <= 0.1:
        return None
    return finding('%d collection scans (%.0f%% of queries, updates and deletes)' % (count, 100 * ratio),
                   '< 10% of operations',
                   'metrics.queryExecutor.collectionScans: %d operations read whole collections' % count,
                   "find them: docker logs <container> | grep COLLSCAN (slow operations log their plan), "
                   "then db.<collection>.createIndex({<filter field>: 1})")


# --- profiler ----------------------------------------------------------------------------
def profiler_all(facts):
    databases = sorted(name for name, level in facts['profile'].items() if level.get('was') == 2)
    configured = option(facts, 'operationProfiling.mode') == 'all'
    if not databases and not configured:
        return None
    wanted = facts['recommended'].get('operationProfiling.mode', 'off')
    where = ', '.join(databases) if databases else 'every database'
    first = databases[0] if databases else '<database>'
    return finding('level 2 (all) in %s' % where, wanted,
                   'the profiler at level 2 writes every operation into system.profile%s: a write per read'
                   % (' (operationProfiling.mode: all)' if configured else ''),
                   "%s, and now: mongosh --eval \"db.getSiblingDB('%s').setProfilingLevel(0)\""
                   % (settings_fix('operationProfiling.mode', "'%s'" % wanted), first))


def slowms_value(facts):
    levels = [level.get('slowms') for level in facts['profile'].values() if level.get('slowms') is not None]
    if levels:
        return int(levels[0])  # slowms is server-wide: every database reports the same
    return int(option(facts, 'operationProfiling.slowOpThresholdMs', DEFAULT_SLOWMS))


def slowms_off_range(facts):
    slowms = slowms_value(facts)
    if 0 < slowms <= 1000:
        return None
    wanted = int(facts['recommended'].get('operationProfiling.slowOpThresholdMs', DEFAULT_SLOWMS))
    evidence = ('slowms 0 logs every operation as slow: the log grows with the load'
                if slowms == 0 else 'operations up to %d ms are never logged as slow' % slowms)
    return finding('%d ms' % slowms, wanted, evidence,
                   "%s, and now: mongosh --eval \"db.setProfilingLevel(0, {slowms: %d})\""
                   % (settings_fix('operationProfiling.slowOpThresholdMs', wanted), wanted),
                   severity='warning' if slowms == 0 else 'info')


# --- security ----------------------------------------------------------------------------
def authorization_enabled(facts):
    security = parsed_options(facts).get('security') or {}
    if security.get('authorization') == 'enabled' or '--auth' in (facts.get('argv') or []):
        return True
    # A keyFile enforces access control too, unless transitionToAuth relaxes it.
    return bool(security.get('keyFile')) and not security.get('transitionToAuth')


def exposed_addresses(facts):
    net = parsed_options(facts).get('net') or {}
    if net.get('bindIpAll') or '--bind_ip_all' in (facts.get('argv') or []):
        return ['all interfaces (bindIpAll)']
    # Unset, mongod listens on localhost only (since 3.6).
    addresses = [a.strip() for a in str(net.get('bindIp', 'localhost')).split(',') if a.strip()]
    return [a for a in addresses if a not in LOOPBACK and not a.startswith('/')]


def authorization_disabled(facts):
    if authorization_enabled(facts):
        return None
    exposed = exposed_addresses(facts)
    if not exposed:
        return None  # localhost only: the localhost exception is the documented way to start
    return finding('authorization disabled, listening on %s' % ', '.join(exposed), 'enabled',
                   'security.authorization is not enabled and mongod accepts connections from the network: '
                   'anyone who reaches the port reads and writes every database',
                   "create an administrator (db.getSiblingDB('admin').createUser({user: 'admin', "
                   "pwd: passwordPrompt(), roles: ['root']})), then %s and restart (db_container-made "
                   "servers run with --auth)" % settings_fix('security.authorization', "'enabled'"))


# --- replication -------------------------------------------------------------------------
def unhealthy_members(facts):
    status = replset(facts)
    if status is None:
        return None
    bad = [m for m in status['members'] if m.get('health') != 1 or m.get('state') not in HEALTHY_STATES]
    if not bad:
        return None
    labels = ['%s (health %s%s)' % (member_label(m), m.get('health'),
                                    ', ' + m['lastHeartbeatMessage'] if m.get('lastHeartbeatMessage') else '')
              for m in bad]
    return finding(', '.join(labels), 'every member PRIMARY, SECONDARY or ARBITER with health 1',
                   '%d of %d members of replica set %s are down or not serving'
                   % (len(bad), len(status['members']), status.get('set')),
                   "start or repair %s (its log: docker logs <container>); if it is gone for good: "
                   "mongosh --eval \"rs.remove('%s')\" on the primary" % (bad[0]['name'], bad[0]['name']))


def no_primary(facts):
    status = replset(facts)
    if status is None or any(m.get('state') == PRIMARY for m in status['members']):
        return None
    return finding('no PRIMARY: ' + ', '.join(member_label(m) for m in status['members']), 'one PRIMARY',
                   'replica set %s has no primary: writes fail until a majority of voting members elects one'
                   % status.get('set'),
                   'bring the DOWN members back so a majority of the %s voting members can vote '
                   '(rs.status() shows them); only as a last resort: rs.reconfig(cfg, {force: true})'
                   % status.get('votingMembersCount', len(status['members'])))


def secondary_lag(facts):
    status = replset(facts)
    if status is None:
        return None
    primary = next((m for m in status['members'] if m.get('state') == PRIMARY), None)
    if primary is None:
        return None  # mongodb.replication.no_primary says it
    lagging = []
    for member in status['members']:
        if member.get('state') == SECONDARY and member.get('optimeDate') is not None:
            seconds = (primary['optimeDate'] - member['optimeDate']).total_seconds()
            if seconds > LAG_LIMIT_SECONDS:
                lagging.append((member['name'], seconds))
    if not lagging:
        return None
    names = ', '.join('%s %d s behind' % (name, seconds) for name, seconds in lagging)
    return finding(names, '<= %d s' % LAG_LIMIT_SECONDS,
                   'optimeDate of the secondaries vs the primary %s: reads from them are stale and a '
                   'failover loses or rolls back the difference' % primary['name'],
                   "on %s: rs.printSecondaryReplicationInfo() and db.currentOp() show the delay; give it the "
                   "primary's disk and CPU (a smaller secondary falls behind)" % lagging[0][0])


def oplog_window(facts):
    oplog = facts['oplog']
    if replset(facts) is None or not oplog:
        return None
    window = float(oplog['window_hours'])
    # storage.oplogMinRetentionHours keeps entries by age, whatever the size (4.4+).
    retention = float(option(facts, 'storage.oplogMinRetentionHours', 0) or 0)
    # An oplog not yet full has only run for a while: its window still grows.
    not_full = float(oplog['size_bytes']) < 0.9 * float(oplog['max_bytes'])
    if window >= OPLOG_WINDOW_HOURS or retention >= OPLOG_WINDOW_HOURS or not_full:
        return None
    hours_per_mb = max(window, 1 / 60.0) / (oplog['max_bytes'] / MIB)
    wanted_mb = max(OPLOG_MIN_MB, int(math.ceil(OPLOG_WINDOW_HOURS / hours_per_mb)))
    wanted = '>= %d h (an oplog of %d MB at this write rate)' % (OPLOG_WINDOW_HOURS, wanted_mb)
    return finding('%.1f h' % window, wanted,
                   'the oplog (%s) spans %.1f h: a member down longer than that needs a full initial sync'
                   % (human(oplog['max_bytes']), window),
                   "mongosh --eval \"db.adminCommand({replSetResizeOplog: 1, size: %d})\" on every member (MB); "
                   "or %s" % (wanted_mb, settings_fix('storage.oplogMinRetentionHours', OPLOG_WINDOW_HOURS)))


def even_voting_members(facts):
    status = replset(facts)
    if status is None:
        return None
    voters = int(status['votingMembersCount'])
    if voters % 2 == 1:
        return None
    return finding('%d voting members' % voters, voters + 1,
                   'with %d voters a majority is %d: the set tolerates no more failures than with %d, and a '
                   'network split can leave no side with a majority' % (voters, voters // 2 + 1, voters - 1),
                   "add a voting data-bearing member (rs.add('<host>:27017')), or remove the vote of one: "
                   "cfg = rs.conf(); cfg.members[<n>].votes = 0; cfg.members[<n>].priority = 0; rs.reconfig(cfg)")


CHECKS = (
    Check('mongodb.memory.cache_too_large', 'memory', 'warning', 'WiredTiger cache larger than the container allows',
          cache_too_large, 'mongod sizes its cache at 50% of (RAM - 1 GB); sized from the host\'s RAM it outgrows '
          'the container and the kernel OOM-kills mongod.',
          'MongoDB manual: WiredTiger Storage Engine > Memory Use; storage.wiredTiger.engineConfig.cacheSizeGB'),
    Check('mongodb.memory.cache_too_small', 'memory', 'warning', 'WiredTiger cache far below what the limit allows',
          cache_too_small, 'Documents and indexes outside the cache are read from disk and decompressed on '
          'every miss.', 'MongoDB manual: WiredTiger Storage Engine > Memory Use'),
    Check('mongodb.memory.page_faults', 'memory', 'warning', 'Frequent page faults', page_fault_rate,
          'A page fault is a read from disk the memory could have served.',
          'MongoDB manual: serverStatus > extra_info.page_faults'),
    Check('mongodb.cache.dirty', 'cache', 'warning', 'Too much dirty data in the WiredTiger cache', cache_dirty,
          'Past eviction_dirty_trigger (20%) application threads write dirty pages themselves: latency climbs.',
          'MongoDB manual: serverStatus > wiredTiger.cache; WiredTiger: eviction_dirty_trigger'),
    Check('mongodb.cache.application_eviction', 'cache', 'warning', 'Application threads evict cache pages',
          application_eviction, 'Past eviction_trigger (95% full) the threads serving clients evict pages '
          'before doing their work.', 'MongoDB manual: serverStatus > wiredTiger.cache; WiredTiger: eviction_trigger'),
    Check('mongodb.connections.near_limit', 'connections', 'warning', 'Connections near the limit',
          connections_near_limit, 'At the limit mongod refuses new connections; every connection also costs '
          'about 1 MB of memory.', 'MongoDB manual: serverStatus > connections; net.maxIncomingConnections'),
    Check('mongodb.concurrency.tickets_exhausted', 'concurrency', 'warning', 'Read or write tickets exhausted',
          tickets_exhausted, 'Operations need a ticket to enter the storage engine; with none left they queue.',
          'MongoDB manual: serverStatus > queues.execution (7.0+), wiredTiger.concurrentTransactions'),
    Check('mongodb.errors.regular_asserts', 'errors', 'warning', 'Regular (server) assertions', regular_asserts,
          'Regular asserts are errors inside mongod; they should not happen.',
          'MongoDB manual: serverStatus > asserts'),
    Check('mongodb.errors.user_asserts', 'errors', 'info', 'Many user assertions', user_asserts,
          'User asserts are operations failing on errors the client caused; many means wasted work.',
          'MongoDB manual: serverStatus > asserts.user'),
    Check('mongodb.indexes.scanned_per_returned', 'indexes', 'warning', 'Queries examine far more documents than '
          'they return', scanned_per_returned, 'Without an index on the filter a query reads the collection.',
          'MongoDB manual: serverStatus > metrics.queryExecutor; Analyze Query Performance'),
    Check('mongodb.indexes.collection_scans', 'indexes', 'warning', 'Many collection scans', collection_scans,
          'A collection scan reads every document; an index on the filtered fields reads a few.',
          'MongoDB manual: serverStatus > metrics.queryExecutor.collectionScans; Indexes'),
    Check('mongodb.profiler.all', 'profiler', 'warning', 'Profiler records every operation', profiler_all,
          'Level 2 writes a system.profile document for every operation: load and cache pressure in production.',
          'MongoDB manual: Database Profiler > Profiling Levels'),
    Check('mongodb.profiler.slowms', 'profiler', 'warning', 'Slow-operation threshold off range', slowms_off_range,
          'slowms 0 logs every operation; a very high slowms hides the slow ones.',
          'MongoDB manual: Database Profiler; operationProfiling.slowOpThresholdMs'),
    Check('mongodb.security.authorization', 'security', 'critical', 'Access control disabled on a network address',
          authorization_disabled, 'Without authorization any client that reaches the port has every privilege.',
          'MongoDB manual: Security Checklist > Enable Access Control; IP Binding'),
    Check('mongodb.replication.member_state', 'replication', 'critical', 'Replica set members down or not serving',
          unhealthy_members, 'A member that is down or recovering is neither a copy nor a voter: the set has less '
          'fault tolerance than designed.', 'MongoDB manual: replSetGetStatus; Replica Set Member States'),
    Check('mongodb.replication.no_primary', 'replication', 'critical', 'Replica set without a primary', no_primary,
          'Without a primary the set accepts no writes.', 'MongoDB manual: Replica Set Elections'),
    Check('mongodb.replication.lag', 'replication', 'warning', 'Secondaries lag behind the primary', secondary_lag,
          'Lagging secondaries serve stale reads and lose or roll back writes on failover.',
          'MongoDB manual: Troubleshoot Replica Sets > Check the Replication Lag'),
    Check('mongodb.replication.oplog_window', 'replication', 'warning', 'Oplog window shorter than 24 hours',
          oplog_window, 'A member offline longer than the oplog window cannot catch up and needs an initial '
          'sync.', 'MongoDB manual: Replica Set Oplog > Oplog Size; replSetResizeOplog'),
    Check('mongodb.replication.even_voters', 'replication', 'warning', 'Even number of voting members',
          even_voting_members, 'An even number of voters adds no fault tolerance over one fewer.',
          'MongoDB manual: Replica Set Architectures > Consider Fault Tolerance'),
)
