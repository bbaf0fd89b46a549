# -*- coding: utf-8 -*-
"""versions: engine versions from image metadata and tags, and comparisons."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common import versions


@pytest.mark.parametrize('text, expected', [
    ('1:11.4.3+maria~ubu2404', (11, 4, 3)),   # Debian epoch dropped
    ('8.4.3-1.el9', (8, 4, 3)),
    ('17.2-1.pgdg120+1', (17, 2, 0)),
    ('15', (15, 0, 0)),
    (None, None),
    ('latest', None),
    (' 8.0.40 ', (8, 0, 40)),
    ('10.11', (10, 11, 0)),
    ('7.0.14', (7, 0, 14)),
    (16, (16, 0, 0)),
    ('', None),
])
def test_parse_version(text, expected):
    assert versions.parse_version(text) == expected


@pytest.mark.parametrize('image, expected', [
    ('mysql:8.4', (8, 4, 0)),
    ('localhost/dbops/mariadb:10.11', (10, 11, 0)),
    ('registry:5000/x/postgres:16.1', (16, 1, 0)),   # the registry's port is not a tag
    ('registry:5000/mongo', None),
    ('mongo', None),
    ('mysql@sha256:abc', None),
    ('mysql@sha256:2f4e1a9c0b', None),              # a digest is not a version, even one starting with digits
    ('localhost/dbops/mariadb@sha256:10abcdef', None),
    ('mysql:8.4@sha256:abc', (8, 4, 0)),
    ('postgres:16-alpine', (16, 0, 0)),
    ('postgres:latest', None),
    ('mariadb:1:11.4.3', (11, 4, 3)),
])
def test_version_from_tag(image, expected):
    assert versions.version_from_tag(image) == expected


@pytest.mark.parametrize('version, minimum, expected', [
    ((8, 0, 40), (8, 0, 30), True),
    ((8, 0, 29), (8, 0, 30), False),
    ((8, 0, 30), (8, 0, 30), True),
    ((8, 4), (8, 4, 0), True),          # shorter tuples are padded with zeros
    ((8, 4, 0), (8, 4), True),
    ((16,), (16, 0, 1), False),
    ((10, 11, 9), (10, 6, 1), True),    # numeric, not string, comparison
    ((9, 6, 0), (10,), False),
    ((18, 0, 0), (18,), True),
    (None, (1,), False),
])
def test_at_least(version, minimum, expected):
    assert versions.at_least(version, minimum) is expected


@pytest.mark.parametrize('version, expected', [
    ((8, 4, 3), '8.4.3'),
    ((17, 2, 0), '17.2.0'),
    (None, 'unknown'),
])
def test_format_version(version, expected):
    assert versions.format_version(version) == expected
