# -*- coding: utf-8 -*-
"""db_volume_files' checks before anything is written: paths, modes, owners, volume names and owners."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.docker import volume_files


@pytest.mark.parametrize('spec,words', [
    ({'path': '/etc/prometheus/prometheus.yml'}, ['absolute', "'etc/prometheus/prometheus.yml'"]),
    ({'path': 'a/../../b'}, ['leaves the volume']),
    ({'path': '..'}, ['leaves the volume']),
    ({'path': './.'}, ['empty']),
    ({'path': 'a', 'mode': '0999'}, ['octal', '0640']),
    ({'path': 'a', 'mode': '17777'}, ['0000 to 7777']),
    ({'path': 'a', 'mode': '-1'}, ['octal']),
    ({'path': 'a', 'uid': -1}, ['uid']),
    ({'path': 'a', 'gid': -5}, ['gid']),
])
def test_refused_with_the_fix(spec, words):
    with pytest.raises(DbopsError) as error:
        volume_files.normalise([spec])
    assert error.value.parameter == 'files'
    for word in words:
        assert word in str(error.value)


def test_a_name_starting_with_two_dots_stays_inside():
    assert [f['path'] for f in volume_files.normalise([{'path': '..hidden'}, {'path': 'a/./b/../c'}])] == \
        ['..hidden', 'a/c']


def test_the_same_file_twice():
    with pytest.raises(DbopsError) as error:
        volume_files.normalise([{'path': 'a'}, {'path': './a'}])
    assert 'twice' in str(error.value)


class _Docker(object):
    """The two questions check_volume asks Docker: who mounts the volume, and their labels."""

    def __init__(self, mounted_by):
        self.mounted_by = mounted_by

    def containers_mounting(self, volume):
        return [(name, True) for name in self.mounted_by]

    def container(self, name):
        return {'Config': {'Labels': self.mounted_by[name], 'Image': 'img-of-%s' % name}}


@pytest.mark.parametrize('name,existing,mounted_by,words', [
    ('bad name!', None, {}, ['not a valid volume name']),
    ('db-data', {'Labels': {'dbops.container': 'db'}}, {}, ['belongs to the database container db']),
    ('raw', {'Labels': {}}, {'pg': {'dbops.engine': 'postgres'}}, ['database container pg']),
    ('theirs', {'Labels': None}, {'app': {}}, ['not created by db_volume_files', 'app']),
])
def test_volumes_that_are_not_ours(name, existing, mounted_by, words):
    with pytest.raises(DbopsError) as error:
        volume_files.check_volume(_Docker(mounted_by), name, existing)
    assert error.value.parameter == 'volume'
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize('existing,mounted_by', [
    (None, {}),                                                   # created by the task
    ({'Labels': {}}, {}),                                         # nobody uses it
    ({'Labels': {'dbops.volume_files': 'true'}}, {'prometheus': {}}),   # ours, used by the container it is for
])
def test_volumes_it_may_write(existing, mounted_by):
    volume_files.check_volume(_Docker(mounted_by), 'vol', existing)


def test_a_volume_of_an_earlier_release_mounted_by_its_own_service():
    # Made by db_volume_files before it labelled its volumes: mounted by one of the roles' components
    # running the image the task names, it is accepted; a stranger's container (even of that image) is not.
    volume_files.check_volume(_Docker({'lb': {'dbops_cluster': 'c1'}}), 'lb-config', {'Labels': {}}, image='img-of-lb')
    for mounted_by, image in (({'lb': {}}, 'img-of-lb'),                           # not a component
                              ({'lb': {'dbops_cluster': 'c1'}}, 'another-image'),  # another service
                              ({'lb': {'dbops_cluster': 'c1'}, 'app': {}}, 'img-of-lb')):
        with pytest.raises(DbopsError):
            volume_files.check_volume(_Docker(mounted_by), 'lb-config', {'Labels': {}}, image=image)
