# -*- coding: utf-8 -*-
"""The docker_* TLS options (doc fragment docker): a TLS connection that verifies the engine, or a clear refusal."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.docker import helper as docker_helper
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError


@pytest.fixture
def pems(tmp_path):
    paths = {}
    for name in ('ca', 'cert', 'key'):
        paths[name] = tmp_path / ('%s.pem' % name)
        paths[name].write_text('-----BEGIN %s-----\n' % name.upper())
    return dict((name, str(path)) for name, path in paths.items())


def test_no_tls_option_is_no_tls():
    assert docker_helper.tls_config('tcp://db1:2375') is None
    assert docker_helper.tls_config(None) is None


def test_ca_and_client_certificate_verify_the_engine(pems):
    tls = docker_helper.tls_config('tcp://db1:2376', pems['ca'], pems['cert'], pems['key'])
    assert tls.verify == pems['ca'] and tls.ca_cert == pems['ca']
    assert tls.cert == (pems['cert'], pems['key'])


@pytest.mark.parametrize('host, options, parameter', [
    ('unix:///var/run/docker.sock', ('ca',), 'docker_ca_path'),          # TLS needs a tcp:// engine
    ('tcp://db1:2376', (None, 'cert', 'key'), 'docker_ca_path'),          # no CA: nothing verifies the engine
    ('tcp://db1:2376', ('ca', 'cert', None), 'docker_client_key'),
    ('tcp://db1:2376', ('ca', None, 'key'), 'docker_client_cert'),
    ('tcp://db1:2376', ('missing',), 'docker_ca_path'),
])
def test_incomplete_tls_options_are_refused_naming_the_option(pems, host, options, parameter):
    pems['missing'] = '/nonexistent/ca.pem'
    values = [pems[name] if name else None for name in options]
    with pytest.raises(DbopsError) as error:
        docker_helper.tls_config(host, *values)
    assert error.value.parameter == parameter


def test_the_helper_refuses_before_it_connects(pems):
    with pytest.raises(DbopsError) as error:
        docker_helper.DockerHelper.from_params({'docker_host': 'tcp://192.0.2.1:2376', 'docker_ca_path': None,
                                                'docker_client_cert': pems['cert'], 'docker_client_key': pems['key']})
    assert error.value.parameter == 'docker_ca_path'
