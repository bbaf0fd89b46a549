# -*- coding: utf-8 -*-
"""db_container's cluster_key_file (MongoDB replica set internal authentication):
validation to the manual, the rendered mongod.conf, the secrets volume entry
and the order in which an existing container gets its key."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils import provision
from ansible_collections.dbops.containers.plugins.module_utils.docker.container_spec import (
    Request, build_spec, cluster_key, read_cluster_key)
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import make_tar
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import CLUSTER_KEY_FILE
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

from ansible_collections.dbops.containers.tests.unit.plugins.module_utils.test_container_spec import params

KEY = 'c2VjcmV0LWtleS1mb3ItdGhlLXJlcGxpY2Etc2V0LWluLWEtdGVzdA' * 4


def key_file(tmp_path, text):
    path = tmp_path / 'rs0.key'
    path.write_bytes(text.encode('utf-8') if not isinstance(text, bytes) else text)
    return str(path)


def test_whitespace_is_removed_as_mongod_does():
    assert cluster_key('abc def\r\n ghi\n') == 'abcdefghi'
    assert cluster_key(KEY[:60] + '\n' + KEY[60:] + '\n') == KEY


@pytest.mark.parametrize('text, words', [
    ('abcde', '5 characters'),
    ('a' * 1025, '1025 characters'),
    ('', '0 characters'),
    ('abc-def_ghi', 'base64 set'),
    ('- key1abc\n- key2abc\n', 'base64 set'),
])
def test_bad_keys_are_refused_naming_the_parameter(text, words):
    with pytest.raises(DbopsError) as error:
        cluster_key(text)
    assert error.value.parameter == 'cluster_key_file'
    assert words in error.value.message
    assert text.strip() == '' or text[:6] not in error.value.message  # the key is never echoed


def test_read_errors_name_the_parameter(tmp_path):
    with pytest.raises(DbopsError) as error:
        read_cluster_key(str(tmp_path / 'missing.key'))
    assert error.value.parameter == 'cluster_key_file' and 'cannot read' in error.value.message
    with pytest.raises(DbopsError) as error:
        read_cluster_key(key_file(tmp_path, b'\xff\xfe binary'))
    assert error.value.parameter == 'cluster_key_file'


def test_request_reads_the_key(tmp_path):
    request = Request(params(engine='mongodb', cluster_key_file=key_file(tmp_path, KEY + '\n')))
    assert request.cluster_key == KEY
    assert Request(params(engine='mongodb')).cluster_key is None
    # state absent needs no key file at all
    assert Request(params(engine='mongodb', state='absent', root_password=None, user=None, password=None,
                          cluster_key_file='/nonexistent')).cluster_key is None


def test_mongodb_config_points_at_the_key_in_the_secrets_volume():
    adapter = get_adapter('mongodb')
    settings = adapter.cluster_key_settings({'replication.replSetName': 'rs0'})
    text = adapter.render_config(settings)
    assert 'security:\n  keyFile: "%s"' % CLUSTER_KEY_FILE in text
    assert 'replication:\n  replSetName: "rs0"' in text
    assert CLUSTER_KEY_FILE == '/run/secrets/dbops/cluster_key'


def test_a_conflicting_key_file_setting_is_refused():
    with pytest.raises(DbopsError) as error:
        get_adapter('mongodb').cluster_key_settings({'security.keyFile': '/etc/other.key'})
    assert error.value.parameter == 'settings.security.keyFile'


@pytest.mark.parametrize('engine', ['mysql', 'mariadb', 'postgres'])
def test_other_engines_refuse_a_cluster_key(engine):
    with pytest.raises(DbopsError) as error:
        get_adapter(engine).cluster_key_settings({})
    assert error.value.parameter == 'cluster_key_file'


def test_the_key_is_not_in_the_container_spec(tmp_path):
    request = Request(params(engine='mongodb', cluster_key_file=key_file(tmp_path, KEY)))
    spec, _digest = build_spec(request, get_adapter('mongodb'), 'mongo:8.0', (8, 0, 3))
    assert KEY not in repr(spec)


@pytest.mark.parametrize('actions, running, expected', [
    (['stop', 'write_config', 'start', 'wait'], True, ['stop', 'write_secrets', 'write_config', 'start', 'wait']),
    (['stop', 'remove', 'create_volumes', 'write_config', 'create', 'start', 'wait'], True,
     ['stop', 'remove', 'create_volumes', 'write_secrets', 'write_config', 'create', 'start', 'wait']),
    (['start', 'wait'], False, ['write_secrets', 'start', 'wait']),
    ([], True, ['write_secrets', 'stop', 'start', 'wait']),
    ([], False, ['write_secrets']),
    (['create_volumes', 'write_config', 'write_secrets', 'create'], False,
     ['create_volumes', 'write_config', 'write_secrets', 'create']),
])
def test_an_existing_container_gets_its_key_before_the_server_starts(actions, running, expected):
    assert provision.with_secrets_written(actions, running) == expected


class FakeDocker(object):
    def __init__(self, files):
        self.files = files
        self.writes = []

    def read_file(self, _container_id, path):
        return self.files.get(path)

    def write_to_mount(self, image, mount, entries):
        self.writes.append((mount['source'], entries))


def test_a_different_key_on_an_existing_container_is_refused(tmp_path):
    request = Request(params(engine='mongodb', cluster_key_file=key_file(tmp_path, KEY)))
    docker = FakeDocker({CLUSTER_KEY_FILE: b'another-key-000'})
    with pytest.raises(DbopsError) as error:
        provision.Provisioner({})._check_cluster_key(request, docker, {'Id': 'abc'})
    assert error.value.parameter == 'cluster_key_file' and 'different key' in error.value.message
    provision.Provisioner({})._check_cluster_key(request, FakeDocker({CLUSTER_KEY_FILE: KEY.encode()}),
                                                 {'Id': 'abc'})


def test_write_secrets_puts_the_key_0400_owned_by_the_server(tmp_path):
    request = Request(params(engine='mongodb', user=None, password=None,
                             cluster_key_file=key_file(tmp_path, KEY)))
    docker = FakeDocker({})
    desired = provision.Desired({'image': 'mongo:8.0'}, {}, '', {})
    provision.Provisioner(params())._apply(['write_secrets'], request, get_adapter('mongodb'), docker, None, desired)
    source, entries = docker.writes[0]
    assert source == 'dbt-app-secrets'
    key = [e for e in entries if e.name == 'cluster_key'][0]
    assert (key.content, key.mode, key.uid, key.gid) == (KEY, 0o400, 999, 999)
    assert make_tar(entries)  # a valid archive
