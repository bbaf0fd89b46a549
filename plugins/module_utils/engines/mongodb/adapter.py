# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB adapter (the official ``mongo`` image). No MongoDB server can run on the
project's build machine; this adapter is unit-tested and integration-tested
where the official image is available."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import tuning as mongodb_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import (
    CLUSTER_KEY_FILE, EngineAdapter, QUERY_TIMEOUT, ROOT_PASSWORD_FILE, USER_PASSWORD_FILE, removed, renamed)
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

# Source: MongoDB release notes 4.2 (MMAPv1 removed, ssl -> tls) and 6.1
# (journaling always on: storage.journal.enabled removed); MongoDB manual, "Configuration File Settings
# and Command-Line Options Mapping" change log (4.4: storage.indexBuildRetry, 5.0: net.serviceExecutor;
# the v7.2 page lists nothing newer),
# https://www.mongodb.com/docs/v7.2/reference/configuration-file-settings-command-line-options-mapping/.
MONGODB_CATALOG = (
    removed('storage.mmapv1.smallFiles', (4, 2), 'delete it: MMAPv1 was removed, WiredTiger is the engine'),
    removed('storage.mmapv1.preallocDataFiles', (4, 2), 'delete it: MMAPv1 was removed'),
    removed('storage.indexBuildRetry', (4, 4), 'delete it: the option was removed in MongoDB 4.4'),
    removed('net.serviceExecutor', (5, 0), 'delete it: the option was removed in MongoDB 5.0'),
    removed('storage.journal.enabled', (6, 1), 'delete it: journaling is always on since MongoDB 6.1'),
    renamed('net.ssl.mode', (4, 2), 'net.tls.mode'),
    renamed('net.ssl.PEMKeyFile', (4, 2), 'net.tls.certificateKeyFile'),
    renamed('net.ssl.CAFile', (4, 2), 'net.tls.CAFile'),
)

ADMIN_USER = 'admin'
_NAME = re.compile(r'^[A-Za-z0-9_-]{1,64}$')


def _nest(settings):
    tree = {}
    for path in sorted(settings):
        node = tree
        parts = path.split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = settings[path]
    return tree


def _yaml_lines(tree, indent=0):
    lines = []
    for key in sorted(tree):
        value = tree[key]
        if isinstance(value, dict):
            lines.append('%s%s:' % ('  ' * indent, key))
            lines.extend(_yaml_lines(value, indent + 1))
        else:
            # JSON scalars are valid YAML scalars.
            lines.append('%s%s: %s' % ('  ' * indent, key, json.dumps(value)))
    return lines


def mongodb_connect(host, port, user, password, database, timeout, purpose='admin',
                    query_timeout=QUERY_TIMEOUT):
    """A pymongo client that has already answered a ping: a wrong address or
    password fails here, with the parameter to fix, not halfway through the audit.

    ``purpose`` ('admin' or 'audit') changes nothing: MongoDB has no read-only session to
    open, the audit only runs read commands. ``query_timeout``: seconds to wait for a command's answer."""
    try:
        import pymongo
        from pymongo import errors
    except ImportError:
        raise DbopsError("the Python library pymongo is required on the host that runs the module "
                         "(pip install pymongo)", 'login_host')
    # Imported here with pymongo: provisioning does not load the driver.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.client import AUTHENTICATION_FAILED
    credentials = {}
    if user:
        # The superuser db_container creates (and clusterMonitor grants) live in admin.
        credentials = {'username': user, 'password': password or '', 'authSource': 'admin'}
    milliseconds = int(timeout * 1000)
    # directConnection: audit this one server, even when it is a replica set member
    # whose configured host names are not resolvable from here.
    try:
        client = pymongo.MongoClient(host, int(port), serverSelectionTimeoutMS=milliseconds,
                                     connectTimeoutMS=milliseconds,
                                     socketTimeoutMS=max(1, int(query_timeout * 1000)),
                                     directConnection=True, **credentials)
    except errors.ConfigurationError as exc:
        raise DbopsError('cannot use %s:%s as a MongoDB address (%s)' % (host, port, exc), 'login_host')
    try:
        # MongoClient connects lazily: a round trip makes unreachable servers and
        # bad passwords fail now.
        client['admin'].command('ping')
    except errors.OperationFailure as exc:
        client.close()
        if exc.code == AUTHENTICATION_FAILED:
            raise DbopsError('authentication failed for %r at %s:%s (authSource admin): check login_user '
                             'and login_password' % (user, host, port), 'login_password')
        raise DbopsError('MongoDB at %s:%s refused ping (%s): check login_host and login_port'
                         % (host, port, exc), 'login_host')
    except (errors.ConnectionFailure, errors.ConfigurationError) as exc:
        # ServerSelectionTimeoutError is a ConnectionFailure: nothing answered in time.
        client.close()
        raise DbopsError('cannot connect to MongoDB at %s:%s (%s): check login_host and login_port, '
                         'and that the server runs' % (host, port, exc), 'login_host')
    return client


def _audit_hooks():
    # Imported here: the provisioning path does not need the audit code.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb import audit as audit_mongodb
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.checks.table import CHECKS
    return audit_mongodb.collect, CHECKS


def _failover_driver():
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.failover import FailoverDriver
    return FailoverDriver


def _replication_driver():
    # Imported here: provisioning and the audit do not need the replication code.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.mongodb.replication import Driver
    return Driver


class MongoDBAdapter(EngineAdapter):
    # check_settings_on_server stays the base's (no check): mongod has no documented mode that reads a configuration
    # and stops without starting (--outputConfig may come close; no MongoDB image here to verify it), so the
    # settings are checked against the catalog only, as db_container's documentation says.
    # db_tune_report: how to connect, and the engine's audit (collector and checks).
    connect = staticmethod(mongodb_connect)
    audit_hooks = staticmethod(_audit_hooks)
    replication_driver = staticmethod(_replication_driver)
    failover_driver = staticmethod(_failover_driver)
    name = 'mongodb'
    label = 'MongoDB'
    port = 27017
    # 8.0 is the current major (7.0 reaches end of life in 2027).
    official_image = 'mongo:8.0'
    local_image = None  # no MongoDB server package in Debian
    version_env = ('MONGO_VERSION', 'MONGO_MAJOR')
    data_dir = '/data/db'
    config_dir = '/etc/mongo'
    config_file = 'mongod.conf'
    log_dir = None  # mongod logs to stdout (docker logs)
    rules = mongodb_tuning.MONGODB_RULES
    catalog = MONGODB_CATALOG
    memory_bounded = ('storage.wiredTiger.engineConfig.cacheSizeGB',)
    superuser = ADMIN_USER

    def size_in_bytes(self, name, value):
        try:
            return int(float(value) * sizes.GIB)
        except (TypeError, ValueError):
            return None

    def render_config(self, settings):
        lines = ['# Managed by dbops.containers.db_container: edits are overwritten.']
        lines.extend(_yaml_lines(_nest(settings)))
        return '\n'.join(lines) + '\n'

    def server_args(self):
        return ['--config', '%s/%s' % (self.config_dir, self.config_file)]

    def environment(self, database, user, has_password, version):
        env = {'MONGO_INITDB_ROOT_USERNAME': ADMIN_USER,
               'MONGO_INITDB_ROOT_PASSWORD_FILE': ROOT_PASSWORD_FILE}
        if database:
            env['MONGO_INITDB_DATABASE'] = database
        return env

    def init_scripts(self, database, user, settings=None):
        if not user:
            return {}
        target = database or 'admin'
        script = (
            "// Written by dbops.containers.db_container: the application user.\n"
            "const password = require('fs').readFileSync('%s', 'utf8');\n"
            "db.getSiblingDB(%s).createUser({user: %s, pwd: password, "
            "roles: [{role: 'readWrite', db: %s}]});\n"
            % (USER_PASSWORD_FILE, json.dumps(target), json.dumps(user), json.dumps(target)))
        return {'10-dbops-app-user.js': script}

    def healthcheck(self):
        # ping needs no credentials; it asks the container's own address because
        # the entrypoint's init-time mongod listens on 127.0.0.1 only.
        return ('mongosh --quiet --norc --host "$(hostname -i | cut -d" " -f1)" '
                '--eval "quit(db.adminCommand({ping: 1}).ok ? 0 : 1)" >/dev/null')

    def cluster_key_settings(self, settings):
        # The official image's entrypoint leaves security and replication out of
        # its first, initialising start, and uses them from the real start on.
        key_file = settings.get('security.keyFile')
        if key_file not in (None, CLUSTER_KEY_FILE):
            raise DbopsError('%s would replace the key file db_container writes from cluster_key_file (%s): '
                             'remove settings.security.keyFile' % (key_file, CLUSTER_KEY_FILE),
                             'settings.security.keyFile')
        result = dict(settings)
        result['security.keyFile'] = CLUSTER_KEY_FILE
        return result

    def validate_identity(self, database, user):
        for parameter, value in (('database', database), ('user', user)):
            if value and not _NAME.match(value):
                raise DbopsError("%r is not a usable name: letters, digits, _ and -, at most 64 characters"
                                 % value, parameter)
