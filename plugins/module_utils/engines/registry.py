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


def monitoring_for(engine):
    """The module that makes ``engine``'s exporter account (db_monitoring_user).

    Imported here, on first use, so provisioning and audits never load it; the
    imports stay literal so Ansible packs the modules with db_monitoring_user.
    """
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import monitoring as mongodb
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import monitoring as mysql
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import monitoring as postgres
    by_engine = {'mysql': mysql, 'mariadb': mysql, 'postgres': postgres, 'mongodb': mongodb}
    try:
        return by_engine[engine]
    except KeyError:
        raise DbopsError("unknown engine %r: choose one of %s" % (engine, ', '.join(sorted(by_engine))), 'engine')
