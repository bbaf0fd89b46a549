# -*- coding: utf-8 -*-
"""The start-up file of a MySQL/MariaDB node in a replication group: what each place in the group starts with."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import configparser

import pytest

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import startup_config


def parsed(text):
    parser = configparser.ConfigParser(allow_no_value=True, comment_prefixes=('#',))
    parser.read_string(text)
    return dict(parser['mysqld'])


@pytest.mark.parametrize('flavor', ['mysql', 'mariadb'])
def test_a_replica_starts_read_only_and_replicating(flavor):
    settings = parsed(startup_config.replica_config(flavor))
    assert settings['read_only'] == 'ON'
    assert 'skip_slave_start' not in settings           # its threads start with it
    assert settings['loose-rpl_semi_sync_source_enabled'] == 'OFF'
    assert (settings.get('super_read_only') == 'ON') is (flavor == 'mysql')


@pytest.mark.parametrize('flavor', ['mysql', 'mariadb'])
def test_a_fenced_primary_starts_read_only_without_threads(flavor):
    settings = parsed(startup_config.fence_config(flavor))
    assert settings['read_only'] == 'ON' and settings['skip_slave_start'] == 'ON'


def test_a_promoted_node_starts_writable():
    settings = parsed(startup_config.promoted_config(True))
    assert settings['read_only'] == 'OFF' and settings['loose-super_read_only'] == 'OFF'
    assert settings['loose-rpl_semi_sync_source_enabled'] == 'ON'
