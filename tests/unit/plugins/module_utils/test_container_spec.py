# -*- coding: utf-8 -*-
"""container_spec: db_container's parameters checked, and the container spec built from them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.docker import container_spec
from ansible_collections.dbops.containers.plugins.module_utils.docker.container_spec import (
    Request, build_resources, build_spec, labels_for, resources_of, spec_of)
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

MIB = 1024 * 1024
GIB = 1024 * MIB

ROOT_PW = 'R00t-Secret-9f3a'
USER_PW = 'App-Secret-77c1'

# db_container's argument_spec defaults (plugins/modules/db_container.py), plus the
# values a valid request needs: a name, an engine, passwords, a database and a user.
DEFAULTS = dict(
    name='dbt-app', engine='mariadb', image=None, image_source=None, engine_version=None, pull='missing',
    state='started', purge_data=False, memory='1g', memory_swap=None, cpus=1.0, shm_size=None,
    tmpfs_size=None, ulimits=None, profile='oltp', settings={}, root_password=ROOT_PW, database='app',
    user='appuser', password=USER_PW, data_volume=None, config_volume=None, logs_volume=None,
    published_ports=[], networks=[], labels={}, restart_policy='unless-stopped',
    security_opts=['no-new-privileges:true'], stop_timeout=60, wait=True, wait_timeout=300, docker_host=None,
    cluster_key_file=None,
    # The shared login options (module_utils/shared_options.py): accepted for module_defaults, ignored here.
    login_host=None, login_port=None, login_user=None, login_password=None, login_password_file=None,
    login_db=None, connect_timeout=10,
    docker_ca_path=None, docker_client_cert=None, docker_client_key=None,
)
NOT_MODULE_DEFAULTS = ('name', 'engine', 'root_password', 'database', 'user', 'password')


def params(**overrides):
    """A full, valid parameter dict as AnsibleModule hands it over, with ``overrides``."""
    result = copy.deepcopy(DEFAULTS)
    result.update(overrides)
    return result


def test_params_helper_matches_the_module_argument_spec():
    db_container = pytest.importorskip(
        'ansible_collections.dbops.containers.plugins.modules.db_container')
    spec = db_container.argument_spec()
    assert set(DEFAULTS) == set(spec)
    for key, option in spec.items():
        if key not in NOT_MODULE_DEFAULTS:
            assert DEFAULTS[key] == option.get('default'), key


# --- Request: bad input -----------------------------------------------------
BAD = [
    ('memory', '4gb?', 'memory'),
    ('memory', '0', 'memory'),
    ('memory', 'lots', 'memory'),
    ('cpus', -1, 'cpus'),
    ('cpus', 0, 'cpus'),
    ('cpus', 'two', 'cpus'),
    ('cpus', None, 'cpus'),
    ('root_password', None, 'root_password'),
    ('root_password', '', 'root_password'),
    ('root_password', ' padded', 'root_password'),
    ('root_password', 'two\nlines', 'root_password'),
    ('password', None, 'password'),               # user without password
    ('user', None, 'user'),                       # password without user
    ('password', 'a\nb', 'password'),
    ('password', 'a\rb', 'password'),
    ('password', 'trailing ', 'password'),
    ('memory_swap', '512m', 'memory_swap'),       # below memory (1g)
    ('memory_swap', 'abc', 'memory_swap'),
    ('tmpfs_size', '1g', 'tmpfs_size'),           # equal to memory
    ('tmpfs_size', '2g', 'tmpfs_size'),
    ('tmpfs_size', 'x', 'tmpfs_size'),
    ('shm_size', '0', 'shm_size'),
    ('ulimits', {'nofile': 'abc'}, 'ulimits'),
    ('ulimits', {'nofile': '10:5'}, 'ulimits'),
    ('ulimits', {'bogus': 1}, 'ulimits'),
    ('ulimits', {'nofile': '1:2:3'}, 'ulimits'),
    ('ulimits', {'nofile': -2}, 'ulimits'),
    ('published_ports', ['99999'], 'published_ports'),
    ('published_ports', ['1.2.3:80:80'], 'published_ports'),
    ('published_ports', ['x:80'], 'published_ports'),
    ('published_ports', ['80:x'], 'published_ports'),
    ('published_ports', ['0'], 'published_ports'),
    ('published_ports', ['127.0.0.1:70000:80'], 'published_ports'),
    ('name', 'bad name!', 'name'),
    ('name', '', 'name'),
    ('name', '-leading-dash', 'name'),
    ('name', 'a' * 64, 'name'),
    ('data_volume', './rel', 'data_volume'),
    ('config_volume', 'has space', 'config_volume'),
    ('logs_volume', '../up', 'logs_volume'),
    ('labels', {'dbops.x': '1'}, 'labels'),
    ('stop_timeout', 0, 'stop_timeout'),
    ('stop_timeout', -5, 'stop_timeout'),
    ('wait_timeout', 0, 'wait_timeout'),
    ('networks', [{'aliases': ['a']}], 'networks'),
    ('networks', [''], 'networks'),
    ('settings', 'innodb_buffer_pool_size=1G', 'settings'),
    ('shm_size', '8g', 'shm_size'),
    ('labels', {'': 'x'}, 'labels'),
    ('labels', {'my label': 'x'}, 'labels'),
    ('labels', {'team': ['a', 'b']}, 'labels'),
    ('networks', [{'name': 'n', 'aliases': ['my db']}], 'networks'),
    ('networks', [{'name': 'bridge', 'aliases': ['db']}], 'networks'),
    ('networks', ['n', {'name': 'n', 'aliases': ['db']}], 'networks'),
]


@pytest.mark.parametrize('key, value, parameter', BAD, ids=['%s=%r' % (k, v) for k, v, _param in BAD])
def test_request_rejects(key, value, parameter):
    with pytest.raises(DbopsError) as info:
        Request(params(**{key: value}))
    assert info.value.parameter == parameter
    assert info.value.message


def test_error_never_echoes_a_password():
    for key, value in (('password', USER_PW + '\n'), ('root_password', ' ' + ROOT_PW)):
        with pytest.raises(DbopsError) as info:
            Request(params(**{key: value}))
        assert USER_PW not in str(info.value) and ROOT_PW not in str(info.value)


@pytest.mark.parametrize('overrides', [
    dict(state='absent', root_password=None, user=None, password=None),
    dict(state='absent', root_password=None, password=None),              # user without password
    dict(state='absent', root_password=None, user=None),                  # password without user
])
def test_absent_needs_no_secrets(overrides):
    request = Request(params(**overrides))
    assert request.state == 'absent'


def test_no_user_no_password_is_valid():
    request = Request(params(user=None, password=None, database=None))
    assert request.user is None and request.password is None


# --- Request: normalisation -------------------------------------------------
def test_request_defaults():
    request = Request(params())
    assert request.memory == GIB
    assert request.memory_swap == GIB           # equal to memory: no swap
    assert request.cpus == 1.0
    assert request.tmpfs_size == 256 * MIB      # a quarter of memory
    assert request.shm_size is None
    assert request.ulimits == [{'name': 'nofile', 'soft': 65536, 'hard': 65536}]
    assert request.ulimits_default is True
    assert request.published_ports == []
    assert request.volumes == {
        'data': {'type': 'volume', 'source': 'dbt-app-data'},
        'config': {'type': 'volume', 'source': 'dbt-app-config'},
        'logs': {'type': 'volume', 'source': 'dbt-app-logs'},
        'secrets': {'type': 'volume', 'source': 'dbt-app-secrets'},
    }
    assert request.stop_timeout == 60 and request.wait_timeout == 300


@pytest.mark.parametrize('memory, tmpfs', [
    ('4g', GIB),                # 4 GiB / 4
    ('512m', 128 * MIB),
    ('256m', 64 * MIB),         # the minimum memory: a quarter is 64 MiB
])
def test_default_tmpfs_is_a_quarter_of_memory(memory, tmpfs):
    assert Request(params(memory=memory)).tmpfs_size == tmpfs


@pytest.mark.parametrize('value, expected', [
    (None, GIB),
    ('', GIB),
    ('-1', -1),                 # unlimited swap
    (-1, -1),
    ('1g', GIB),
    ('2g', 2 * GIB),
])
def test_memory_swap(value, expected):
    assert Request(params(memory_swap=value)).memory_swap == expected


@pytest.mark.parametrize('value, expected', [
    ({'nofile': 1024}, [{'name': 'nofile', 'soft': 1024, 'hard': 1024}]),
    ({'nproc': -1, 'nofile': '1024:2048'}, [{'name': 'nofile', 'soft': 1024, 'hard': 2048},
                                            {'name': 'nproc', 'soft': -1, 'hard': -1}]),
    ({'memlock': '-1:-1'}, [{'name': 'memlock', 'soft': -1, 'hard': -1}]),
    ({'nofile': '100:-1'}, [{'name': 'nofile', 'soft': 100, 'hard': -1}]),   # hard unlimited
])
def test_ulimits(value, expected):
    request = Request(params(ulimits=value))
    assert request.ulimits == expected
    assert request.ulimits_default is False


@pytest.mark.parametrize('spec, expected', [
    ('3306', ('127.0.0.1', 3306, 3306)),
    (3306, ('127.0.0.1', 3306, 3306)),
    ('13306:3306', ('127.0.0.1', 13306, 3306)),
    ('0.0.0.0:5432:5432', ('0.0.0.0', 5432, 5432)),
    ('10.0.0.5:13306:3306', ('10.0.0.5', 13306, 3306)),
    ('[::1]:5432:5432', ('::1', 5432, 5432)),
    ('::1:5432:5432', ('::1', 5432, 5432)),
    ('65535:1', ('127.0.0.1', 65535, 1)),
])
def test_published_port(spec, expected):
    assert container_spec._published_port(spec) == expected


@pytest.mark.parametrize('spec', ['99999', '0', '', '1.2.3:80:80', 'x:80', '80:x', 'host:80:80',
                                  '65536:80', '127.0.0.1:80:0', '-1'])
def test_published_port_rejects(spec):
    with pytest.raises(DbopsError) as info:
        container_spec._published_port(spec)
    assert info.value.parameter == 'published_ports'


@pytest.mark.parametrize('value, expected', [
    ('/srv/db/', {'type': 'bind', 'source': '/srv/db'}),
    ('/', {'type': 'bind', 'source': '/'}),
    ('orders-data', {'type': 'volume', 'source': 'orders-data'}),
    (None, {'type': 'volume', 'source': 'dbt-app-data'}),
])
def test_data_volume(value, expected):
    assert Request(params(data_volume=value)).volumes['data'] == expected


def test_networks_and_labels_normalised():
    request = Request(params(networks=['backend', {'name': 'front', 'aliases': ['db', 7]}],
                             labels={'team': 1, 'tier': 'data'}))
    assert request.networks == [{'name': 'backend', 'aliases': []}, {'name': 'front', 'aliases': ['db', '7']}]
    assert request.labels == {'team': '1', 'tier': 'data'}


# --- build_spec -------------------------------------------------------------
def spec_for(engine='mariadb', image='mariadb:11.4', version=(11, 4, 3), **overrides):
    request = Request(params(engine=engine, **overrides))
    return build_spec(request, get_adapter(engine), image, version)


def mounts_by_target(spec):
    return dict((m['target'], m) for m in spec['mounts'])


def test_mariadb_spec_holds_no_password():
    spec, digest = spec_for(published_ports=['13306:3306'])
    text = json.dumps(spec)
    assert ROOT_PW not in text and USER_PW not in text
    labels = json.dumps(labels_for(spec, digest, get_adapter('mariadb'), (11, 4, 3)))
    assert ROOT_PW not in labels and USER_PW not in labels


def test_mariadb_spec_mounts():
    spec, _unused = spec_for()
    mounts = mounts_by_target(spec)
    assert sorted(mounts) == ['/etc/mysql/conf.d', '/run/secrets/dbops', '/var/lib/mysql', '/var/log/mysql']
    assert mounts['/var/lib/mysql'] == {'type': 'volume', 'source': 'dbt-app-data', 'target': '/var/lib/mysql',
                                        'read_only': False}
    assert mounts['/etc/mysql/conf.d']['read_only'] is True
    assert mounts['/etc/mysql/conf.d']['source'] == 'dbt-app-config'
    assert mounts['/run/secrets/dbops']['read_only'] is True
    assert mounts['/run/secrets/dbops']['source'] == 'dbt-app-secrets'
    assert mounts['/var/log/mysql']['read_only'] is False


def test_bind_data_volume_in_spec():
    spec, _unused = spec_for(data_volume='/srv/orders')
    assert mounts_by_target(spec)['/var/lib/mysql'] == {'type': 'bind', 'source': '/srv/orders',
                                                        'target': '/var/lib/mysql', 'read_only': False}


def test_mariadb_spec_contents():
    spec, digest = spec_for(published_ports=['13306:3306', '0.0.0.0:23306:3306'], labels={'team': 'db'})
    assert spec['image'] == 'mariadb:11.4'
    assert spec['command'] == []
    assert spec['environment']['MARIADB_ROOT_PASSWORD_FILE'] == '/run/secrets/dbops/root_password'
    assert spec['ports'] == {'3306/tcp': [['127.0.0.1', 13306], ['0.0.0.0', 23306]]}
    assert spec['tmpfs'] == {'/tmp': 'rw,noexec,nosuid,nodev,size=268435456'}    # 256 MiB
    assert spec['shm_size'] == 64 * MIB
    assert spec['ulimits'] == [{'name': 'nofile', 'soft': 65536, 'hard': 65536}]
    assert spec['security_opt'] == ['no-new-privileges:true']
    assert spec['hostname'] == 'dbt-app'
    assert spec['stop_timeout'] == 60
    assert spec['user_labels'] == {'team': 'db'}
    assert spec['healthcheck']['test'][0] == 'CMD-SHELL'
    assert '/run/secrets/dbops/root_password' in spec['healthcheck']['test'][1]
    assert len(digest) == 16 and int(digest, 16) >= 0
    assert 'memory' not in spec and 'cpus' not in spec


@pytest.mark.parametrize('version, target, pgdata', [
    ((18, 0), '/var/lib/postgresql', None),
    ((17, 0), '/var/lib/postgresql/data', '/var/lib/postgresql/data'),
    ((15, 8), '/var/lib/postgresql/data', '/var/lib/postgresql/data'),
])
def test_postgres_data_mount(version, target, pgdata):
    spec, _unused = spec_for('postgres', 'postgres:%d' % version[0], version)
    data = [m for m in spec['mounts'] if m['source'] == 'dbt-app-data']
    assert len(data) == 1 and data[0]['target'] == target
    assert spec['environment'].get('PGDATA') == pgdata
    assert spec['command'] == ['-c', 'config_file=/etc/postgresql/postgresql.conf']
    assert spec['shm_size'] == 256 * MIB        # a quarter of 1 GiB


def test_mongodb_spec_has_no_logs_mount():
    spec, _unused = spec_for('mongodb', 'mongo:8.0', (8, 0, 0))
    assert sorted(mounts_by_target(spec)) == ['/data/db', '/etc/mongo', '/run/secrets/dbops']


# --- the digest ---------------------------------------------------------------
FIXED = dict(tmpfs_size='256m')   # tmpfs is sized from memory unless set


def test_digest_is_stable():
    assert spec_for(**FIXED)[1] == spec_for(**FIXED)[1]
    first = spec_for(labels={'a': '1', 'b': '2'})[1]
    assert spec_for(labels={'b': '2', 'a': '1'})[1] == first


@pytest.mark.parametrize('overrides', [
    dict(published_ports=['13306:3306']),
    dict(labels={'team': 'db'}),
    dict(networks=['backend']),
    dict(user='other', password=USER_PW),
    dict(database='other'),
    dict(data_volume='/srv/db'),
    dict(ulimits={'nofile': 1024}),
    dict(stop_timeout=120),
    dict(security_opts=[]),
    dict(tmpfs_size='128m'),
    dict(shm_size='256m'),
])
def test_digest_changes_with_the_spec(overrides):
    base = spec_for(**FIXED)[1]
    assert spec_for(**dict(FIXED, **overrides))[1] != base


def test_digest_changes_with_image_and_version():
    base = spec_for(**FIXED)[1]
    assert spec_for(image='mariadb:10.11', **FIXED)[1] != base
    pg17 = spec_for('postgres', 'postgres:17', (17, 0), **FIXED)[1]
    assert spec_for('postgres', 'postgres:17', (18, 0), **FIXED)[1] != pg17


@pytest.mark.parametrize('overrides', [
    dict(memory='2g'),
    dict(memory='8g', memory_swap='-1'),
    dict(cpus=2.5),
    dict(restart_policy='always'),
    dict(root_password='Another-Root-Pw', password='Another-App-Pw'),   # secrets live in a volume
    dict(profile='dw', settings={'max_connections': 50}),               # settings live in the config
    dict(wait_timeout=30, wait=False),
])
def test_digest_ignores_what_changes_in_place(overrides):
    base = spec_for(**FIXED)[1]
    assert spec_for(**dict(FIXED, **overrides))[1] == base


def test_postgres_digest_ignores_memory_when_shm_and_tmpfs_are_set():
    fixed = dict(FIXED, shm_size='256m')
    base = spec_for('postgres', 'postgres:17', (17, 0), **fixed)[1]
    assert spec_for('postgres', 'postgres:17', (17, 0), memory='4g', **fixed)[1] == base


def test_default_tmpfs_makes_memory_part_of_the_spec():
    # The tmpfs on /tmp defaults to a quarter of memory and a tmpfs size is fixed at
    # creation: a memory change with the default tmpfs recreates the container
    # (tests/integration/test_db_container_lifecycle.py expects this).
    assert spec_for(memory='2g')[1] != spec_for(memory='1g')[1]


# --- build_resources and friends -------------------------------------------------
@pytest.mark.parametrize('cpus, quota', [(1.5, 150000), (1, 100000), (0.01, 1000), (2, 200000), (0.333, 33300)])
def test_cpu_quota(cpus, quota):
    resources = build_resources(Request(params(cpus=cpus)))
    assert resources['cpu_quota'] == quota
    assert resources['cpu_period'] == 100000


def test_build_resources():
    request = Request(params(memory='2g', memory_swap='3g', cpus=1.5, restart_policy='always'))
    assert build_resources(request) == {'memory': 2 * GIB, 'memory_swap': 3 * GIB, 'cpu_period': 100000,
                                        'cpu_quota': 150000, 'restart_policy': 'always'}
    assert build_resources(Request(params(restart_policy=None)))['restart_policy'] == 'unless-stopped'


def test_resources_of_reads_inspect():
    inspect = {'HostConfig': {'Memory': GIB, 'MemorySwap': GIB, 'CpuPeriod': 100000, 'CpuQuota': 150000,
                              'RestartPolicy': {'Name': 'unless-stopped'}}}
    assert resources_of(inspect) == build_resources(Request(params(cpus=1.5)))
    assert resources_of({}) == {'memory': None, 'memory_swap': None, 'cpu_period': None, 'cpu_quota': None,
                                'restart_policy': None}


def test_labels_and_spec_round_trip():
    adapter = get_adapter('mariadb')
    spec, digest = spec_for(labels={'team': 'db'}, published_ports=['3306'])
    labels = labels_for(spec, digest, adapter, (11, 4, 3))
    assert labels['team'] == 'db'
    assert labels['dbops.managed'] == 'true'
    assert labels['dbops.engine'] == 'mariadb'
    assert labels['dbops.version'] == '11.4.3'
    assert labels['dbops.spec-hash'] == digest
    stored = spec_of({'Config': {'Labels': labels}})
    assert 'healthcheck' not in stored
    assert stored == dict((k, v) for k, v in spec.items() if k != 'healthcheck')
    assert labels_for(spec, digest, adapter, None)['dbops.version'] == ''


@pytest.mark.parametrize('inspect', [{}, {'Config': {}}, {'Config': {'Labels': None}},
                                     {'Config': {'Labels': {'dbops.spec': 'not json'}}}])
def test_spec_of_without_a_usable_label(inspect):
    assert spec_of(inspect) == {}
