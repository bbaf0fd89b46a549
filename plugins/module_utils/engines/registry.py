# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine registry: one adapter per engine behind one interface."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.mariadb import MariaDBAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.adapter import MongoDBAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.adapter import MySQLAdapter
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.adapter import PostgresAdapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

ADAPTERS = dict((adapter.name, adapter) for adapter in (MySQLAdapter, MariaDBAdapter, PostgresAdapter, MongoDBAdapter))
ENGINES = tuple(sorted(ADAPTERS))


def get_adapter(engine):
    try:
        return ADAPTERS[engine]()
    except KeyError:
        raise DbopsError("unknown engine %r: choose one of %s" % (engine, ', '.join(ENGINES)), 'engine')
