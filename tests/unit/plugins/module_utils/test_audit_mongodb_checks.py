# -*- coding: utf-8 -*-
"""MongoDB audit: the checks, the collector and the connection, without a server.

No MongoDB server can run on the build machine, so the facts are built from
documents shaped as the MongoDB 7.0/8.0 manual shows them (serverStatus,
replSetGetStatus, getCmdLineOpts, profile, listDatabases, collStats, buildInfo),
with their real field names, spaces included ("maximum bytes configured"), and
the Python types pymongo decodes them to (ISODate -> datetime, Timestamp ->
bson.timestamp.Timestamp). The healthy server: mongod 8.0.4 in a 4 GiB / 2 CPU
container, configured as db_container would, member of a healthy 3-member
replica set.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime

import pytest
from bson.timestamp import Timestamp
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from ansible_collections.dbops.containers.plugins.module_utils.audit import core as audit_core
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import audit as audit_mongodb
from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import tuning as mongodb_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks import table as checks
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import adapter as engine_mongodb
from ansible_collections.dbops.containers.plugins.module_utils.audit.auditor import Auditor
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB, MIB

MEMORY = 4 * GIB
CPUS = 2
VERSION = (8, 0, 4)
CACHE = 'storage.wiredTiger.engineConfig.cacheSizeGB'
NOW = datetime.datetime(2025, 3, 5, 5, 24, 38)

# --- documents as the manual shows them ------------------------------------------------
BUILD_INFO = {'version': '8.0.4', 'gitVersion': 'bc35ab4305d9920d9d0491c1c9ef9b72383d31f9',
              'versionArray': [8, 0, 4, 0], 'bits': 64, 'debug': False, 'maxBsonObjectSize': 16777216, 'ok': 1.0}

# db.serverStatus() on 8.0 (the sections the checks read, with neighbours for realism).
SERVER_STATUS = {
    'host': 'mongo-1', 'version': '8.0.4', 'process': 'mongod', 'pid': 1, 'uptime': 86400.0,
    'uptimeMillis': 86400000, 'uptimeEstimate': 86400, 'localTime': NOW,
    'asserts': {'regular': 0, 'warning': 0, 'msg': 0, 'user': 120, 'tripwire': 0, 'rollovers': 0},
    'connections': {'current': 25, 'available': 838835, 'totalCreated': 410, 'rejected': 0, 'active': 4,
                    'threaded': 25, 'exhaustIsMaster': 0, 'exhaustHello': 2, 'awaitingTopologyChanges': 2},
    'extra_info': {'note': 'fields vary by platform', 'user_time_us': 905321000, 'system_time_us': 201522000,
                   'maximum_resident_set_kb': 1895244, 'input_blocks': 51200, 'output_blocks': 9913344,
                   'page_reclaims': 401233, 'page_faults': 1200, 'voluntary_context_switches': 6219853,
                   'involuntary_context_switches': 25077},
    'opcounters': {'insert': 250000, 'query': 1200000, 'update': 300000, 'delete': 20000, 'getmore': 90000,
                   'command': 2500000},
    'metrics': {
        'document': {'deleted': 20000, 'inserted': 250000, 'returned': 1500000, 'updated': 300000},
        'queryExecutor': {'scanned': 1800000, 'scannedObjects': 2000000,
                          'collectionScans': {'nonTailable': 10, 'total': 12}},
    },
    'wiredTiger': {
        'cache': {
            'bytes currently in the cache': 943718400,
            'maximum bytes configured': 1610612736,       # cacheSizeGB 1.5
            'tracked dirty bytes in the cache': 20971520,
            'pages evicted by application threads': 0,
            'pages read into cache': 120044,
            'pages written from cache': 88231,
            'unmodified pages evicted': 1044,
            'modified pages evicted': 230,
        },
        'concurrentTransactions': {},  # 7.0 moved the tickets to queues.execution
    },
    'queues': {
        'execution': {
            'write': {'out': 2, 'available': 126, 'totalTickets': 128,
                      'normalPriority': {'addedToQueue': 310233, 'removedFromQueue': 310233, 'queueLength': 0,
                                         'startedProcessing': 310233, 'processing': 2, 'finishedProcessing': 310231,
                                         'totalTimeProcessingMicros': 903211, 'canceled': 0,
                                         'newAdmissions': 310233, 'totalTimeQueuedMicros': 0}},
            'read': {'out': 1, 'available': 127, 'totalTickets': 128,
                     'normalPriority': {'addedToQueue': 1300212, 'removedFromQueue': 1300212, 'queueLength': 0,
                                        'startedProcessing': 1300212, 'processing': 1,
                                        'finishedProcessing': 1300211, 'totalTimeProcessingMicros': 1203344,
                                        'canceled': 0, 'newAdmissions': 1300212, 'totalTimeQueuedMicros': 0}},
        },
    },
    'ok': 1.0,
}

# db.serverStatus().wiredTiger.concurrentTransactions before 7.0 (6.0 manual).
TICKETS_6_0 = {'write': {'out': 0, 'available': 128, 'totalTickets': 128},
               'read': {'out': 1, 'available': 127, 'totalTickets': 128}}

# db.adminCommand({getCmdLineOpts: 1}) of a db_container-made mongod (official image: --auth added).
CMDLINE = {
    'argv': ['mongod', '--config', '/etc/mongo/mongod.conf', '--replSet', 'rs0', '--auth'],
    'parsed': {
        'config': '/etc/mongo/mongod.conf',
        'net': {'bindIpAll': True, 'port': 27017},
        'operationProfiling': {'mode': 'off', 'slowOpThresholdMs': 100},
        'replication': {'replSet': 'rs0'},
        'security': {'authorization': 'enabled'},
        'storage': {'dbPath': '/data/db', 'wiredTiger': {'engineConfig': {'cacheSizeGB': 1.5}}},
    },
    'ok': 1.0,
}


def member(_id, name, state, state_str, optime_date, **extra):
    doc = {'_id': _id, 'name': name, 'health': 1.0, 'state': state, 'stateStr': state_str, 'uptime': 86400,
           'optime': {'ts': Timestamp(int((optime_date - datetime.datetime(1970, 1, 1)).total_seconds()), 1),
                      't': 3},
           'optimeDate': optime_date, 'lastAppliedWallTime': optime_date, 'lastDurableWallTime': optime_date,
           'syncSourceHost': '', 'syncSourceId': -1, 'infoMessage': '', 'configVersion': 1, 'configTerm': 3,
           'lastHeartbeatMessage': ''}
    doc.update(extra)
    return doc


# rs.status() of a healthy three-member set, seen from the primary.
REPLSET_STATUS = {
    'set': 'rs0', 'date': NOW, 'myState': 1, 'term': 3, 'syncSourceHost': '', 'syncSourceId': -1,
    'heartbeatIntervalMillis': 2000, 'majorityVoteCount': 2, 'writeMajorityCount': 2, 'votingMembersCount': 3,
    'writableVotingMembersCount': 3,
    'members': [
        member(0, 'mongo-1:27017', 1, 'PRIMARY', NOW, self=True, electionDate=NOW - datetime.timedelta(days=1)),
        member(1, 'mongo-2:27017', 2, 'SECONDARY', NOW - datetime.timedelta(seconds=1), pingMs=0,
               syncSourceHost='mongo-1:27017', syncSourceId=0, lastHeartbeat=NOW, lastHeartbeatRecv=NOW),
        member(2, 'mongo-3:27017', 2, 'SECONDARY', NOW - datetime.timedelta(seconds=1), pingMs=0,
               syncSourceHost='mongo-1:27017', syncSourceId=0, lastHeartbeat=NOW, lastHeartbeatRecv=NOW),
    ],
    'ok': 1.0,
}

LIST_DATABASES = {'databases': [{'name': 'admin', 'sizeOnDisk': 184320, 'empty': False},
                                {'name': 'app', 'sizeOnDisk': 536870912, 'empty': False},
                                {'name': 'config', 'sizeOnDisk': 110592, 'empty': False},
                                {'name': 'local', 'sizeOnDisk': 1073741824, 'empty': False}],
                  'totalSize': 1610907648, 'totalSizeMb': 1536, 'ok': 1.0}
PROFILE = {'was': 0, 'slowms': 100, 'sampleRate': 1.0, 'ok': 1.0}
OPLOG_MAX = 990 * MIB
# db.getSiblingDB('local').runCommand({collStats: 'oplog.rs'}): a full oplog (size at maxSize).
OPLOG_STATS = {'ns': 'local.oplog.rs', 'size': OPLOG_MAX, 'count': 2100000, 'avgObjSize': 494,
               'storageSize': 402653184, 'capped': True, 'max': -1, 'maxSize': OPLOG_MAX, 'ok': 1.0}
OPLOG_FIRST = 1741065878          # 48 h before the last entry
OPLOG_LAST = OPLOG_FIRST + 48 * 3600


def recommended():
    """What db_container derives for the limits (audit.Auditor._recommended does the same)."""
    return tuning.derive(mongodb_tuning.MONGODB_RULES, tuning.Resources(MEMORY, CPUS, 'oltp', VERSION))


def healthy_facts():
    """Facts as audit_mongodb.collect() builds them from the documents above, plus limits."""
    return {
        'engine': 'mongodb', 'version': VERSION, 'version_string': '8.0.4', 'notes': [],
        'server_status': copy.deepcopy(SERVER_STATUS),
        'cmdline': copy.deepcopy(CMDLINE['parsed']), 'argv': list(CMDLINE['argv']),
        'replset': copy.deepcopy(REPLSET_STATUS),
        'databases': [dict(d) for d in LIST_DATABASES['databases']],
        'data_size': 536870912,
        'profile': {'app': {'was': 0, 'slowms': 100, 'sampleRate': 1.0}},
        'oplog': {'first': OPLOG_FIRST, 'last': OPLOG_LAST, 'window_hours': 48.0, 'size_bytes': OPLOG_MAX,
                  'max_bytes': OPLOG_MAX},
        'limits': {'memory': MEMORY, 'cpus': CPUS, 'source': 'cgroup v2', 'host_memory': 64 * GIB,
                   'host_cpus': 16},
        'recommended': recommended(),
    }


CHECK_BY_ID = dict((c.id, c) for c in checks.CHECKS)


def evaluate(check_id, facts):
    """The check's finding as run_checks reports it (severity resolved), or None."""
    findings, skipped = audit_core.run_checks([CHECK_BY_ID[check_id]], facts)
    assert skipped == []
    return findings[0] if findings else None


def cache(facts):
    return facts['server_status']['wiredTiger']['cache']


# --- the table -------------------------------------------------------------------------------
def test_at_least_fifteen_checks_with_unique_well_formed_ids():
    ids = [c.id for c in checks.CHECKS]
    assert len(ids) >= 15
    assert len(set(ids)) == len(ids)
    for check in checks.CHECKS:
        engine, category, name = check.id.split('.')
        assert engine == 'mongodb' and category == check.category and name
        assert check.severity in audit_core.SEVERITIES
        assert check.rationale and check.source.startswith('MongoDB manual')


def test_recommended_cache_for_four_gib_is_one_and_a_half():
    assert recommended()[CACHE] == 1.5


def test_healthy_server_has_no_finding_and_every_check_is_evaluated():
    findings, skipped = audit_core.run_checks(checks.CHECKS, healthy_facts())
    assert findings == []
    assert skipped == []


def test_version_support_is_not_duplicated():
    assert not [c for c in checks.CHECKS if c.category == 'version' or 'support' in c.id]


def test_checks_are_quiet_without_limits_or_command_line():
    facts = healthy_facts()
    facts['limits'] = {'memory': None, 'cpus': None, 'source': 'unknown'}
    facts['recommended'] = {}
    facts['cmdline'] = None
    facts['argv'] = None
    findings, skipped = audit_core.run_checks(checks.CHECKS, facts)
    assert findings == []
    skipped_ids = set(i for i, _reason in skipped)
    assert 'mongodb.memory.cache_too_large' in skipped_ids and 'mongodb.security.authorization' in skipped_ids


def test_standalone_server_is_quiet_on_replication():
    facts = healthy_facts()
    facts['replset'] = None
    facts['oplog'] = None
    findings, skipped = audit_core.run_checks(checks.CHECKS, facts)
    assert findings == [] and skipped == []


# --- memory: the WiredTiger cache ------------------------------------------------------------
def test_cache_sized_from_host_ram_is_critical_above_the_memory_limit():
    facts = healthy_facts()
    cache(facts)['maximum bytes configured'] = 15 * GIB    # mongod's default on a 31 GB host
    del facts['cmdline']['storage']['wiredTiger']
    found = evaluate('mongodb.memory.cache_too_large', facts)
    assert found['severity'] == 'critical'
    assert found['current'] == '15 GB' and found['recommended'] == 1.5
    assert "'storage.wiredTiger.engineConfig.cacheSizeGB': 1.5" in found['fix']
    assert 'cache_size=1536M' in found['fix']
    assert "host's" in found['evidence']


def test_cache_above_the_recommendation_but_under_the_limit_is_a_warning():
    facts = healthy_facts()
    cache(facts)['maximum bytes configured'] = 2 * GIB
    facts['cmdline']['storage']['wiredTiger']['engineConfig']['cacheSizeGB'] = 2
    found = evaluate('mongodb.memory.cache_too_large', facts)
    assert found['severity'] == 'warning' and found['recommended'] == 1.5
    assert 'is set to 2' in found['evidence']


def test_cache_within_twenty_percent_of_the_recommendation_is_quiet():
    facts = healthy_facts()
    cache(facts)['maximum bytes configured'] = int(1.75 * GIB)
    assert evaluate('mongodb.memory.cache_too_large', facts) is None


def test_cache_far_below_the_recommendation_with_data_that_does_not_fit():
    facts = healthy_facts()
    cache(facts)['maximum bytes configured'] = GIB // 4
    facts['data_size'] = 3 * GIB
    found = evaluate('mongodb.memory.cache_too_small', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == '0.25 GB' and found['recommended'] == 1.5
    assert "'storage.wiredTiger.engineConfig.cacheSizeGB': 1.5" in found['fix']


def test_small_cache_is_quiet_when_the_data_fits():
    facts = healthy_facts()
    cache(facts)['maximum bytes configured'] = GIB // 4
    facts['data_size'] = 50 * MIB
    assert evaluate('mongodb.memory.cache_too_small', facts) is None


def test_healthy_cache_is_not_too_small():
    assert evaluate('mongodb.memory.cache_too_small', healthy_facts()) is None


def test_page_faults_with_a_right_sized_cache_ask_for_more_memory():
    facts = healthy_facts()
    facts['server_status']['extra_info']['page_faults'] = 86400 * 50
    found = evaluate('mongodb.memory.page_faults', facts)
    assert found['severity'] == 'warning' and found['current'] == '50.0 page faults/s'
    assert found['recommended'] == 'memory 8g (cacheSizeGB 3.5)'
    assert 'db_container memory: 8g' in found['fix']


def test_page_faults_with_an_oversized_cache_ask_for_the_right_cache():
    facts = healthy_facts()
    facts['server_status']['extra_info']['page_faults'] = 86400 * 50
    cache(facts)['maximum bytes configured'] = 3 * GIB
    found = evaluate('mongodb.memory.page_faults', facts)
    assert found['recommended'] == 1.5


def test_page_faults_right_after_start_are_quiet():
    facts = healthy_facts()
    facts['server_status']['uptime'] = 60.0
    facts['server_status']['extra_info']['page_faults'] = 60 * 50
    assert evaluate('mongodb.memory.page_faults', facts) is None


# --- cache pressure --------------------------------------------------------------------------
def test_dirty_cache_above_twenty_percent():
    facts = healthy_facts()
    cache(facts)['tracked dirty bytes in the cache'] = int(0.3 * 1610612736)
    found = evaluate('mongodb.cache.dirty', facts)
    assert found['severity'] == 'warning' and found['current'] == '30% dirty'
    assert found['recommended'] == '<= 5% dirty (WiredTiger eviction_dirty_target)'
    assert 'faster storage' in found['fix']


def test_dirty_small_cache_recommends_the_cache_size():
    facts = healthy_facts()
    cache(facts)['maximum bytes configured'] = GIB // 2
    cache(facts)['tracked dirty bytes in the cache'] = int(0.3 * GIB // 2)
    found = evaluate('mongodb.cache.dirty', facts)
    assert found['recommended'] == 1.5


def test_dirty_cache_at_the_trigger_is_quiet():
    facts = healthy_facts()
    cache(facts)['tracked dirty bytes in the cache'] = int(0.2 * 1610612736)
    assert evaluate('mongodb.cache.dirty', facts) is None


def test_full_cache_with_application_thread_eviction():
    facts = healthy_facts()
    cache(facts)['bytes currently in the cache'] = int(0.97 * 1610612736)
    cache(facts)['pages evicted by application threads'] = 1234
    found = evaluate('mongodb.cache.application_eviction', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == '97% full, 1234 pages evicted by application threads'
    assert found['recommended'] == 'memory 8g (cacheSizeGB 3.5)'


def test_full_cache_without_application_eviction_is_quiet():
    facts = healthy_facts()
    cache(facts)['bytes currently in the cache'] = int(0.97 * 1610612736)
    assert evaluate('mongodb.cache.application_eviction', facts) is None


# --- connections and tickets -----------------------------------------------------------------
def test_connections_near_the_limit():
    facts = healthy_facts()
    facts['server_status']['connections'].update(current=900, available=100)
    facts['cmdline']['net']['maxIncomingConnections'] = 1000
    found = evaluate('mongodb.connections.near_limit', facts)
    assert found['severity'] == 'warning' and found['current'] == '900 of 1000 in use'
    assert found['recommended'] == 1350
    assert "'net.maxIncomingConnections': 1350" in found['fix']


def test_connections_at_the_limit_are_critical():
    facts = healthy_facts()
    facts['server_status']['connections'].update(current=980, available=20)
    found = evaluate('mongodb.connections.near_limit', facts)
    assert found['severity'] == 'critical'
    assert 'nofile ulimit' in found['fix']


def test_connections_far_from_the_limit_are_quiet():
    assert evaluate('mongodb.connections.near_limit', healthy_facts()) is None


def test_write_tickets_exhausted_on_7_0_and_later():
    facts = healthy_facts()
    write = facts['server_status']['queues']['execution']['write']
    write.update(out=128, available=0)
    write['normalPriority']['queueLength'] = 37
    found = evaluate('mongodb.concurrency.tickets_exhausted', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == 'write: 128 of 128 out, 0 available, 37 queued'
    assert 'queues.execution' in found['evidence'] and 'db.currentOp' in found['fix']


def test_read_tickets_exhausted_before_7_0():
    facts = healthy_facts()
    del facts['server_status']['queues']
    facts['server_status']['wiredTiger']['concurrentTransactions'] = copy.deepcopy(TICKETS_6_0)
    facts['server_status']['wiredTiger']['concurrentTransactions']['read'].update(out=128, available=0)
    found = evaluate('mongodb.concurrency.tickets_exhausted', facts)
    assert found['current'] == 'read: 128 of 128 out, 0 available'
    assert 'wiredTiger.concurrentTransactions' in found['evidence']


def test_tickets_quiet_with_tickets_left_in_either_shape_or_no_ticket_section():
    facts = healthy_facts()
    assert evaluate('mongodb.concurrency.tickets_exhausted', facts) is None
    del facts['server_status']['queues']
    facts['server_status']['wiredTiger']['concurrentTransactions'] = copy.deepcopy(TICKETS_6_0)
    assert evaluate('mongodb.concurrency.tickets_exhausted', facts) is None
    del facts['server_status']['wiredTiger']['concurrentTransactions']
    assert evaluate('mongodb.concurrency.tickets_exhausted', facts) is None


# --- errors ----------------------------------------------------------------------------------
def test_regular_asserts():
    facts = healthy_facts()
    facts['server_status']['asserts']['regular'] = 5
    found = evaluate('mongodb.errors.regular_asserts', facts)
    assert found['severity'] == 'warning' and found['current'] == '5 regular asserts (5.0/day)'
    assert found['recommended'] == 0 and 'getLog' in found['fix']


def test_a_rare_regular_assert_on_a_long_running_server_is_quiet():
    facts = healthy_facts()
    facts['server_status']['uptime'] = 30 * 86400.0
    facts['server_status']['asserts']['regular'] = 1
    assert evaluate('mongodb.errors.regular_asserts', facts) is None


def test_user_asserts_rate():
    facts = healthy_facts()
    facts['server_status']['asserts']['user'] = 200000
    found = evaluate('mongodb.errors.user_asserts', facts)
    assert found['severity'] == 'info' and found['current'] == '2.3 user asserts/s'
    assert found['recommended'] == '<= 1/s'


def test_few_user_asserts_are_quiet():
    assert evaluate('mongodb.errors.user_asserts', healthy_facts()) is None


# --- indexes ---------------------------------------------------------------------------------
def test_scanned_objects_far_above_returned_documents():
    facts = healthy_facts()
    facts['server_status']['metrics']['queryExecutor']['scannedObjects'] = 500000000
    facts['server_status']['metrics']['document']['returned'] = 100000
    found = evaluate('mongodb.indexes.scanned_per_returned', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == '5000 documents examined per document returned'
    assert 'createIndex' in found['fix']


def test_scanned_ratio_below_the_noise_floor_is_quiet():
    facts = healthy_facts()
    facts['server_status']['metrics']['queryExecutor']['scannedObjects'] = 50000
    facts['server_status']['metrics']['document']['returned'] = 0
    assert evaluate('mongodb.indexes.scanned_per_returned', facts) is None


def test_collection_scans():
    facts = healthy_facts()
    facts['server_status']['metrics']['queryExecutor']['collectionScans'] = {'nonTailable': 760000,
                                                                             'total': 760450}
    found = evaluate('mongodb.indexes.collection_scans', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == '760000 collection scans (50% of queries, updates and deletes)'
    assert 'COLLSCAN' in found['fix']


def test_collection_scans_quiet_when_not_reported():
    facts = healthy_facts()
    del facts['server_status']['metrics']['queryExecutor']['collectionScans']
    assert evaluate('mongodb.indexes.collection_scans', facts) is None


# --- profiler --------------------------------------------------------------------------------
def test_profiler_level_2_in_a_database():
    facts = healthy_facts()
    facts['profile']['app']['was'] = 2
    found = evaluate('mongodb.profiler.all', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == 'level 2 (all) in app' and found['recommended'] == 'off'
    assert "'operationProfiling.mode': 'off'" in found['fix']
    assert "db.getSiblingDB('app').setProfilingLevel(0)" in found['fix']


def test_profiler_mode_all_in_the_configuration_without_databases():
    facts = healthy_facts()
    facts['profile'] = {}
    facts['cmdline']['operationProfiling']['mode'] = 'all'
    found = evaluate('mongodb.profiler.all', facts)
    assert found['current'] == 'level 2 (all) in every database'


def test_profiler_level_1_is_quiet():
    facts = healthy_facts()
    facts['profile']['app']['was'] = 1
    assert evaluate('mongodb.profiler.all', facts) is None


def test_slowms_zero_logs_everything():
    facts = healthy_facts()
    facts['profile']['app']['slowms'] = 0
    found = evaluate('mongodb.profiler.slowms', facts)
    assert found['severity'] == 'warning' and found['current'] == '0 ms' and found['recommended'] == 100
    assert "'operationProfiling.slowOpThresholdMs': 100" in found['fix']


def test_slowms_very_high_hides_slow_operations():
    facts = healthy_facts()
    facts['profile'] = {}
    facts['cmdline']['operationProfiling']['slowOpThresholdMs'] = 5000
    found = evaluate('mongodb.profiler.slowms', facts)
    assert found['severity'] == 'info' and found['current'] == '5000 ms' and found['recommended'] == 100


def test_slowms_default_is_quiet():
    facts = healthy_facts()
    facts['profile'] = {}
    del facts['cmdline']['operationProfiling']
    assert evaluate('mongodb.profiler.slowms', facts) is None


# --- security --------------------------------------------------------------------------------
def test_authorization_disabled_on_all_interfaces_is_critical():
    facts = healthy_facts()
    del facts['cmdline']['security']
    facts['argv'].remove('--auth')
    found = evaluate('mongodb.security.authorization', facts)
    assert found['severity'] == 'critical'
    assert found['current'] == 'authorization disabled, listening on all interfaces (bindIpAll)'
    assert found['recommended'] == 'enabled'
    assert "'security.authorization': 'enabled'" in found['fix']


def test_authorization_disabled_on_a_network_address_is_critical():
    facts = healthy_facts()
    del facts['cmdline']['security']
    facts['argv'] = ['mongod', '--bind_ip', '127.0.0.1,10.0.0.5']
    facts['cmdline']['net'] = {'bindIp': '127.0.0.1,10.0.0.5', 'port': 27017}
    found = evaluate('mongodb.security.authorization', facts)
    assert found['current'] == 'authorization disabled, listening on 10.0.0.5'


def test_authorization_disabled_on_localhost_only_is_quiet():
    facts = healthy_facts()
    del facts['cmdline']['security']
    facts['argv'] = ['mongod']
    facts['cmdline']['net'] = {'bindIp': '127.0.0.1', 'port': 27017}
    assert evaluate('mongodb.security.authorization', facts) is None


def test_auth_flag_or_key_file_count_as_enabled():
    facts = healthy_facts()
    del facts['cmdline']['security']
    assert evaluate('mongodb.security.authorization', facts) is None   # --auth in argv
    facts['argv'].remove('--auth')
    facts['cmdline']['security'] = {'keyFile': '/etc/mongo/keyfile'}
    assert evaluate('mongodb.security.authorization', facts) is None


# --- replication -----------------------------------------------------------------------------
def test_member_down_is_critical():
    facts = healthy_facts()
    facts['replset']['members'][2].update(health=0.0, state=8, stateStr='(not reachable/healthy)',
                                          lastHeartbeatMessage='Error connecting to mongo-3:27017')
    found = evaluate('mongodb.replication.member_state', facts)
    assert found['severity'] == 'critical'
    assert found['current'].startswith('mongo-3:27017 (not reachable/healthy) (health 0.0')
    assert "rs.remove('mongo-3:27017')" in found['fix']


def test_member_recovering_is_critical():
    facts = healthy_facts()
    facts['replset']['members'][1].update(state=3, stateStr='RECOVERING')
    found = evaluate('mongodb.replication.member_state', facts)
    assert found['severity'] == 'critical' and 'mongo-2:27017 RECOVERING' in found['current']


def test_arbiter_is_a_healthy_state():
    facts = healthy_facts()
    arbiter = facts['replset']['members'][2]
    arbiter.update(state=7, stateStr='ARBITER')
    for key in ('optime', 'optimeDate'):
        del arbiter[key]
    assert evaluate('mongodb.replication.member_state', facts) is None
    assert evaluate('mongodb.replication.lag', facts) is None


def test_no_primary_is_critical():
    facts = healthy_facts()
    facts['replset']['members'][0].update(state=2, stateStr='SECONDARY')
    found = evaluate('mongodb.replication.no_primary', facts)
    assert found['severity'] == 'critical' and found['recommended'] == 'one PRIMARY'
    assert found['current'].startswith('no PRIMARY: mongo-1:27017 SECONDARY')
    assert evaluate('mongodb.replication.lag', facts) is None   # said once, by no_primary


def test_primary_present_is_quiet():
    assert evaluate('mongodb.replication.no_primary', healthy_facts()) is None


def test_secondary_lag_above_ten_seconds():
    facts = healthy_facts()
    facts['replset']['members'][1]['optimeDate'] = NOW - datetime.timedelta(seconds=35)
    found = evaluate('mongodb.replication.lag', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == 'mongo-2:27017 35 s behind' and found['recommended'] == '<= 10 s'


def test_secondary_lag_of_ten_seconds_is_quiet():
    facts = healthy_facts()
    facts['replset']['members'][1]['optimeDate'] = NOW - datetime.timedelta(seconds=10)
    assert evaluate('mongodb.replication.lag', facts) is None


def test_oplog_window_below_a_day():
    facts = healthy_facts()
    facts['oplog'].update(window_hours=6.0, first=OPLOG_LAST - 6 * 3600)
    found = evaluate('mongodb.replication.oplog_window', facts)
    assert found['severity'] == 'warning' and found['current'] == '6.0 h'
    assert found['recommended'] == '>= 24 h (an oplog of 3960 MB at this write rate)'
    assert 'replSetResizeOplog: 1, size: 3960' in found['fix']


def test_young_oplog_or_minimum_retention_is_quiet():
    facts = healthy_facts()
    facts['oplog'].update(window_hours=6.0, size_bytes=OPLOG_MAX // 3)   # not wrapped yet
    assert evaluate('mongodb.replication.oplog_window', facts) is None
    facts['oplog']['size_bytes'] = OPLOG_MAX
    facts['cmdline']['storage']['oplogMinRetentionHours'] = 24
    assert evaluate('mongodb.replication.oplog_window', facts) is None


def test_even_number_of_voting_members():
    facts = healthy_facts()
    facts['replset']['members'].append(member(3, 'mongo-4:27017', 2, 'SECONDARY', NOW))
    facts['replset'].update(votingMembersCount=4, majorityVoteCount=3, writeMajorityCount=3)
    found = evaluate('mongodb.replication.even_voters', facts)
    assert found['severity'] == 'warning'
    assert found['current'] == '4 voting members' and found['recommended'] == 5
    assert 'rs.reconfig(cfg)' in found['fix']


def test_single_member_set_is_an_odd_number():
    facts = healthy_facts()
    facts['replset']['members'] = facts['replset']['members'][:1]
    facts['replset']['votingMembersCount'] = 1
    assert evaluate('mongodb.replication.even_voters', facts) is None


def test_every_check_is_evaluated_by_at_least_a_quiet_and_a_firing_test():
    """Guard: a check added to the table needs its own tests in this file."""
    with open(__file__) as handle:
        source = handle.read()
    for check in checks.CHECKS:
        assert source.count("evaluate('%s'" % check.id) >= 2, check.id


# --- the collector ---------------------------------------------------------------------------
class FakeCollection(object):
    def __init__(self, database, name):
        self.database, self.name = database, name

    def find_one(self, filter=None, sort=None, projection=None):
        direction = sort[0][1]
        return {'ts': Timestamp(OPLOG_FIRST if direction == 1 else OPLOG_LAST, 1)}

    def aggregate(self, pipeline):
        return iter([{'storageStats': dict(OPLOG_STATS)}])


class FakeDatabase(object):
    def __init__(self, client, name):
        self.client, self.name = client, name

    def command(self, command, value=1):
        self.client.commands.append((self.name, command, value))
        answer = self.client.answers.get((self.name, command), self.client.answers.get(command))
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            raise OperationFailure('no such command: %r' % command, code=59)
        return copy.deepcopy(answer)

    def __getitem__(self, name):
        return FakeCollection(self, name)


class FakeClient(object):
    """Answers db.command(...) with the manual's documents; records what was asked."""

    def __init__(self, overrides=None, **by_command):
        self.answers = {'buildInfo': BUILD_INFO, 'serverStatus': SERVER_STATUS, 'getCmdLineOpts': CMDLINE,
                        'replSetGetStatus': REPLSET_STATUS, 'listDatabases': LIST_DATABASES, 'profile': PROFILE,
                        ('local', 'collStats'): OPLOG_STATS, 'ping': {'ok': 1.0}}
        self.answers.update(overrides or {})
        self.answers.update(by_command)
        self.commands = []
        self.closed = False

    def __getitem__(self, name):
        return FakeDatabase(self, name)

    def close(self):
        self.closed = True


def test_collect_parses_the_documented_answers_of_a_replica_set_member():
    """Unit test of parsing only: a fake client answers with the documents the manual shows."""
    client = FakeClient()
    facts = audit_mongodb.collect(client)
    assert facts['engine'] == 'mongodb'
    assert facts['version'] == (8, 0, 4) and facts['version_string'] == '8.0.4'
    assert facts['server_status']['wiredTiger']['cache']['maximum bytes configured'] == 1610612736
    assert facts['cmdline']['security'] == {'authorization': 'enabled'}
    assert '--auth' in facts['argv']
    assert facts['replset']['set'] == 'rs0'
    assert facts['data_size'] == 536870912                       # admin, config, local left out
    assert facts['profile'] == {'app': {'was': 0, 'slowms': 100, 'sampleRate': 1.0}}
    assert ('app', 'profile', -1) in client.commands             # read the level, never set it
    assert not [c for c in client.commands if c[0] in ('admin', 'config', 'local') and c[1] == 'profile']
    assert facts['oplog'] == {'first': OPLOG_FIRST, 'last': OPLOG_LAST, 'window_hours': 48.0,
                              'size_bytes': OPLOG_MAX, 'max_bytes': OPLOG_MAX}
    assert facts['notes'] == []
    facts.update(limits=healthy_facts()['limits'], recommended=recommended())
    assert audit_core.run_checks(checks.CHECKS, facts) == ([], [])


def test_collect_on_a_standalone_server():
    """Unit test of parsing: NoReplicationEnabled (76) means no replica set, said nowhere as an error."""
    client = FakeClient(replSetGetStatus=OperationFailure('not running with --replSet', code=76))
    facts = audit_mongodb.collect(client)
    assert facts['replset'] is None and facts['oplog'] is None
    assert facts['notes'] == []
    assert not [c for c in client.commands if c[0] == 'local']


def test_collect_on_a_member_not_yet_initiated():
    """Unit test of parsing: NotYetInitialized (94) is no replica set yet, with a note."""
    client = FakeClient(replSetGetStatus=OperationFailure('no replset config has been received', code=94))
    facts = audit_mongodb.collect(client)
    assert facts['replset'] is None and facts['oplog'] is None
    assert 'rs.initiate()' in facts['notes'][0]


def test_collect_falls_back_to_collstats_stage_for_the_oplog():
    """Unit test of parsing: without the collStats command, $collStats' storageStats."""
    client = FakeClient({('local', 'collStats'): OperationFailure('removed', code=59)})
    assert audit_mongodb.collect(client)['oplog']['max_bytes'] == OPLOG_MAX


def test_collect_without_cluster_monitor_names_login_user():
    """Unit test of parsing: Unauthorized (13) on serverStatus is the missing clusterMonitor role."""
    client = FakeClient(serverStatus=OperationFailure('not authorized on admin to execute command', code=13))
    with pytest.raises(DbopsError) as error:
        audit_mongodb.collect(client)
    assert error.value.parameter == 'login_user'
    assert 'clusterMonitor' in error.value.message


def test_collect_notes_what_it_could_not_read():
    """Unit test of parsing: other refusals become notes and the facts stay missing."""
    unauthorized = OperationFailure('not authorized', code=13)
    client = FakeClient(getCmdLineOpts=unauthorized, replSetGetStatus=unauthorized, profile=unauthorized)
    facts = audit_mongodb.collect(client)
    assert facts['cmdline'] is None and facts['replset'] is None and facts['profile'] == {}
    assert len(facts['notes']) == 3


# --- the connection and the hooks ------------------------------------------------------------
class PingFailingClient(FakeClient):
    def __init__(self, error):
        FakeClient.__init__(self, ping=error)


@pytest.mark.parametrize('error, parameter', [
    (OperationFailure('Authentication failed.', code=18), 'login_password'),
    (ServerSelectionTimeoutError('10.255.255.1:27017: timed out'), 'login_host'),
])
def test_connect_maps_errors_to_parameters(monkeypatch, error, parameter):
    import pymongo
    made = []

    def fake_client(*args, **kwargs):
        made.append(PingFailingClient(error))
        made[-1].kwargs = kwargs
        return made[-1]

    monkeypatch.setattr(pymongo, 'MongoClient', fake_client)
    with pytest.raises(DbopsError) as raised:
        engine_mongodb.mongodb_connect('10.255.255.1', 27017, 'admin', 'wrong', None, 2)
    assert raised.value.parameter == parameter
    assert made[0].closed
    assert made[0].kwargs['authSource'] == 'admin' and made[0].kwargs['serverSelectionTimeoutMS'] == 2000
    assert made[0].kwargs['directConnection'] is True


def test_connect_returns_a_pinged_client(monkeypatch):
    import pymongo
    client = FakeClient()
    monkeypatch.setattr(pymongo, 'MongoClient', lambda *args, **kwargs: client)
    assert engine_mongodb.mongodb_connect('db', 27017, None, None, None, 5) is client
    assert ('admin', 'ping', 1) in client.commands


def test_adapter_hooks():
    collect, table = engine_mongodb.MongoDBAdapter.audit_hooks()
    assert collect is audit_mongodb.collect and table is checks.CHECKS
    assert engine_mongodb.MongoDBAdapter.connect is engine_mongodb.mongodb_connect


def test_auditor_reports_a_healthy_server_through_the_adapter(monkeypatch):
    """The whole db_tune_report path on the fake client: declared limits, recommended from the adapter."""
    client = FakeClient()
    monkeypatch.setattr(engine_mongodb.MongoDBAdapter, 'connect',
                        staticmethod(lambda *args, **kwargs: client))
    report = Auditor({'login_host': 'db', 'login_port': 27017, 'engine': 'mongodb', 'login_user': 'admin',
                      'login_password': 'x', 'memory': '4g', 'cpus': 2}).run()
    assert client.closed
    assert report['server']['engine'] == 'mongodb' and report['server']['version'] == '8.0.4'
    assert [f['id'] for f in report['findings'] if f['id'].startswith('mongodb.')] == []
    assert report['not_evaluated'] == []
