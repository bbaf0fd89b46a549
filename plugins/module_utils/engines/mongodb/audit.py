# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit facts of a MongoDB server (mongod). Read-only: diagnostic commands and
two reads of local.oplog.rs; nothing is written, the profiler level is only read.

The commands and the shapes of their answers are those of the MongoDB manual
(serverStatus, getCmdLineOpts, replSetGetStatus, listDatabases, profile,
collStats, buildInfo); the login user needs the clusterMonitor role.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import parse_version
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.client import (
    NO_REPLICATION_ENABLED, NOT_YET_INITIALIZED, UNAUTHORIZED, OperationFailure)

# Databases mongod keeps for itself: no application profiling or sizing there.
SYSTEM_DATABASES = ('admin', 'config', 'local')

CLUSTER_MONITOR_FIX = ('grant the clusterMonitor role: db.getSiblingDB("admin").grantRolesToUser("<login_user>", '
                       '[{role: "clusterMonitor", db: "admin"}]), or log in as the admin user')


def collect(client):
    """Facts the MongoDB checks read. ``client`` is a connected pymongo.MongoClient
    (anything with ``client[name].command(...)`` and ``find_one`` works)."""
    notes = []
    admin = client['admin']
    build = admin.command('buildInfo')
    facts = {'engine': 'mongodb', 'version': parse_version(build['version']),
             'version_string': build['version'], 'notes': notes}
    facts['server_status'] = _server_status(admin)
    facts['cmdline'], facts['argv'] = _command_line(admin, notes)
    facts['replset'] = _replica_set_status(admin, notes)
    facts['databases'] = _databases(admin, notes)
    facts['data_size'] = sum(int(d.get('sizeOnDisk') or 0) for d in facts['databases']
                             if d['name'] not in SYSTEM_DATABASES)
    facts['profile'] = _profiler_levels(client, facts['databases'], notes)
    facts['oplog'] = _oplog(client, notes) if facts['replset'] is not None else None
    return facts


def _server_status(admin):
    # serverStatus is the one command every check needs: without it the audit
    # says which role is missing instead of reporting a half-empty result.
    try:
        return admin.command('serverStatus')
    except OperationFailure as exc:
        if exc.code == UNAUTHORIZED:
            raise DbopsError('the login user may not run serverStatus (%s): %s' % (exc, CLUSTER_MONITOR_FIX),
                             'login_user')
        raise


def _command_line(admin, notes):
    """getCmdLineOpts: the options mongod runs with, merged from argv and the config file."""
    try:
        options = admin.command('getCmdLineOpts')
    except OperationFailure as exc:
        notes.append('command-line options (getCmdLineOpts) not read: %s' % exc)
        return None, None
    return options.get('parsed') or {}, list(options.get('argv') or [])


def _replica_set_status(admin, notes):
    """replSetGetStatus, or None when this mongod is not (yet) a replica set member."""
    try:
        return admin.command('replSetGetStatus')
    except OperationFailure as exc:
        if exc.code == NOT_YET_INITIALIZED:
            notes.append('started as a replica set member but not initiated (rs.initiate() not run)')
            return None
        if exc.code != NO_REPLICATION_ENABLED:
            notes.append('replica set status (replSetGetStatus) not read: %s' % exc)
        return None


def _databases(admin, notes):
    try:
        answer = admin.command('listDatabases')
    except OperationFailure as exc:
        notes.append('databases (listDatabases) not read: %s' % exc)
        return []
    return [{'name': d['name'], 'sizeOnDisk': d.get('sizeOnDisk', 0), 'empty': d.get('empty', False)}
            for d in answer.get('databases', [])]


def _profiler_levels(client, databases, notes):
    """{database: {'was': level, 'slowms': ms, 'sampleRate': rate}}; profile -1 only reads."""
    levels = {}
    for database in databases:
        name = database['name']
        if name in SYSTEM_DATABASES:
            continue
        try:
            answer = client[name].command('profile', -1)
        except OperationFailure as exc:
            notes.append('profiler level of %s not read: %s' % (name, exc))
            continue
        levels[name] = {'was': answer.get('was'), 'slowms': answer.get('slowms'),
                        'sampleRate': answer.get('sampleRate')}
    return levels


def _oplog(client, notes):
    """The oplog's time window (first to last entry) and its sizes, or None."""
    local = client['local']
    try:
        first = local['oplog.rs'].find_one(sort=[('$natural', 1)], projection={'ts': 1})
        last = local['oplog.rs'].find_one(sort=[('$natural', -1)], projection={'ts': 1})
        stats = _oplog_stats(local)
    except OperationFailure as exc:
        notes.append('oplog (local.oplog.rs) not read: %s' % exc)
        return None
    if not first or not last:
        return None
    first_seconds, last_seconds = _ts_seconds(first['ts']), _ts_seconds(last['ts'])
    return {'first': first_seconds, 'last': last_seconds,
            'window_hours': (last_seconds - first_seconds) / 3600.0,
            'size_bytes': stats.get('size'), 'max_bytes': stats.get('maxSize')}


def _oplog_stats(local):
    # collStats is deprecated since 6.2 but still answers on 7.0 and 8.0; the
    # $collStats stage is its replacement and carries the same fields in storageStats.
    try:
        return local.command('collStats', 'oplog.rs')
    except OperationFailure:
        cursor = local['oplog.rs'].aggregate([{'$collStats': {'storageStats': {}}}])
        for document in cursor:
            return document.get('storageStats', {})
        return {}


def _ts_seconds(timestamp):
    """A BSON Timestamp's seconds since the epoch (bson.timestamp.Timestamp.time)."""
    return getattr(timestamp, 'time', timestamp)
