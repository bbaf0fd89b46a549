# -*- coding: utf-8 -*-
"""db_tune_report on real MongoDB servers (the official mongo:8.0 image): a
db_container default, and one with the profiler recording every operation.

They run wherever the official image is on the Docker host or can be pulled;
on a machine without registry access they are skipped with that reason (the
checks and the collector are unit-tested in
tests/unit/plugins/module_utils/test_audit_mongodb_checks.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from conftest import base_args, container_ip, image_available, retry, run_module

from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import GIB

IMAGE = 'mongo:8.0'
SKIP_REASON = ('official image mongo:8.0 is not on this Docker host and cannot be pulled (no registry access); '
               'this test runs wherever the image exists')
CACHE_CHECKS = ('mongodb.memory.cache_too_large', 'mongodb.memory.cache_too_small')


@pytest.fixture
def mongo_image(docker_client):
    if not image_available(docker_client, IMAGE):
        pytest.skip(SKIP_REASON)
    return IMAGE


def make_mongodb(name, **overrides):
    """A MongoDB container made by db_container from the official image, 2g of memory."""
    args = base_args(name, 'mongodb', image=IMAGE, image_source='official', memory='2g', **overrides)
    result = run_module('db_container', args)
    assert not result.failed, result.get('msg')
    return container_ip(result), args


def insert_a_document(host, args):
    """Give the app database a collection, so it has a profiler level of its own to read."""
    import pymongo

    def go():
        client = pymongo.MongoClient(host, 27017, username='admin', password=args['root_password'],
                                     serverSelectionTimeoutMS=5000)
        try:
            client[args['database']]['events'].insert_one({'kind': 'k1'})
        finally:
            client.close()
    retry(go)


def by_id(report):
    return dict((f['id'], f) for f in report['findings'])


def tune_report(name):
    result = run_module('db_tune_report', {'container': name, 'format': 'json'})
    assert not result.failed, result.get('msg')
    assert result['server']['engine'] == 'mongodb'
    return result


def test_db_container_defaults_give_no_critical_finding(mongo_image, container_name):
    name = container_name('mongo')
    make_mongodb(name)
    result = tune_report(name)
    critical = [f for f in result['findings'] if f['severity'] == 'critical']
    assert critical == []
    # The cache checks ran (the limits came from the cgroup) and found the cache right.
    found = by_id(result)
    not_evaluated = set(item['id'] for item in result['not_evaluated'])
    for check_id in CACHE_CHECKS:
        assert check_id not in found and check_id not in not_evaluated
    assert result['server']['limits_source'].startswith('cgroup')
    assert result['server']['memory'] == 2 * GIB


def test_profiler_recording_every_operation_is_found(mongo_image, container_name):
    name = container_name('mongoprof')
    host, args = make_mongodb(name, settings={'operationProfiling.mode': 'all'})
    insert_a_document(host, args)
    result = tune_report(name)
    profiler = by_id(result)['mongodb.profiler.all']
    assert profiler['severity'] == 'warning'
    assert profiler['recommended'] == 'off'
    assert 'app' in profiler['current']
    assert "'operationProfiling.mode': 'off'" in profiler['fix']
    assert 'setProfilingLevel(0)' in profiler['fix']
