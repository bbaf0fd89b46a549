# -*- coding: utf-8 -*-
"""sizes: what users write ("4g", "512M", "2GiB") to bytes, and bytes to each engine's syntax."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * 1024 * 1024
TIB = 1024 * GIB


def test_unit_constants_are_binary():
    assert (sizes.KIB, sizes.MIB, sizes.GIB, sizes.TIB) == (1024, 1048576, 1073741824, 1099511627776)


@pytest.mark.parametrize('text, expected', [
    ('4g', 4 * GIB),
    ('512M', 512 * MIB),
    ('2GiB', 2 * GIB),
    ('1.5g', 1610612736),          # 1.5 x 1073741824
    (1024, 1024),                  # an int is bytes
    (' 8 MB ', 8 * MIB),           # spaces around and between are allowed
    ('2048', 2048),                # no unit: bytes
    ('10b', 10),
    ('100k', 102400),
    ('64KiB', 64 * KIB),
    ('64kb', 64 * KIB),
    ('1t', TIB),
    ('2TB', 2 * TIB),
    ('0.5G', 512 * MIB),
    ('256mib', 256 * MIB),         # units are case-insensitive
])
def test_parse_size_accepts(text, expected):
    assert sizes.parse_size(text, 'memory') == expected


@pytest.mark.parametrize('value', [
    '4gb?', '-1g', '', 'abc', True, False, '0', '12q', 0, -5, '1.5.5g', 'g', '4 g b', None, '0.1b',
])
@pytest.mark.parametrize('parameter', ['memory', 'settings.shared_buffers'])
def test_parse_size_rejects_with_the_parameter_name(value, parameter):
    with pytest.raises(DbopsError) as info:
        sizes.parse_size(value, parameter)
    assert info.value.parameter == parameter
    assert str(info.value).startswith(parameter + ': ')


def test_parse_size_error_explains_the_syntax():
    with pytest.raises(DbopsError) as info:
        sizes.parse_size('12q', 'memory')
    assert '4g' in info.value.message and '512M' in info.value.message


@pytest.mark.parametrize('size, expected', [
    (2 * GIB, '2G'),
    (256 * MIB, '256M'),
    (64 * KIB, '64K'),
    (1536 * MIB, '1536M'),         # not a whole number of GiB: the largest exact unit
    (1000, '1000'),                # not a whole KiB: plain bytes
    (16 * GIB, '16G'),
])
def test_to_mysql(size, expected):
    assert sizes.to_mysql(size) == expected


@pytest.mark.parametrize('size, expected', [
    (GIB, '1GB'),
    (256 * MIB, '256MB'),
    (8052736, '7864kB'),           # 7864 x 1024
    (4096 * KIB, '4MB'),           # 4096 kB is exactly 4 MB
    (3 * GIB, '3GB'),
])
def test_to_postgres(size, expected):
    assert sizes.to_postgres(size) == expected


@pytest.mark.parametrize('size, expected', [
    (4 * GIB, '4g'),
    (512 * MIB, '512m'),
    (1536 * MIB, '1536m'),
    (8 * KIB, '8k'),
    (1000, '1000'),
])
def test_to_docker(size, expected):
    assert sizes.to_docker(size) == expected


@pytest.mark.parametrize('size, multiple, expected', [
    (1000, 512, 512),
    (1024, 512, 1024),
    (100, 512, 512),               # never below one multiple
    (5 * MIB + 1, MIB, 5 * MIB),
])
def test_round_down(size, multiple, expected):
    assert sizes.round_down(size, multiple) == expected


@pytest.mark.parametrize('text, expected', [
    ('2G', 2 * GIB),
    ('128MB', 128 * MIB),
    ('8kB', 8 * KIB),
    ('1048576', 1048576),
    (1048576, 1048576),
    ('16M', 16 * MIB),
    (' 4 GB ', 4 * GIB),
    ('1T', TIB),
])
def test_parse_engine_size(text, expected):
    assert sizes.parse_engine_size(text) == expected


@pytest.mark.parametrize('text', ['1.5G', 'abc', '', '2GiB', '-1M', 'ON'])
def test_parse_engine_size_rejects(text):
    with pytest.raises(ValueError):
        sizes.parse_engine_size(text)


@pytest.mark.parametrize('size', [2 * GIB, 256 * MIB, 64 * KIB, 1536 * MIB, 12345])
def test_mysql_format_reads_back(size):
    # mysqld reads a bare number as bytes, as parse_engine_size does.
    assert sizes.parse_engine_size(sizes.to_mysql(size)) == size


@pytest.mark.parametrize('size', [2 * GIB, 256 * MIB, 64 * KIB, 1536 * MIB, 8052736])
def test_postgres_format_reads_back(size):
    assert sizes.parse_engine_size(sizes.to_postgres(size)) == size
