# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL adapter (the official ``postgres`` image)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import tuning as postgres_tuning
from ansible_collections.dbops.containers.plugins.module_utils.engines.base import (
    EngineAdapter, QUERY_TIMEOUT, ROOT_PASSWORD_FILE, USER_PASSWORD_FILE, introduced, removed, renamed)
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common import login_errors
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import at_least
from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.identifiers import check_identifier

_STANDBY_ADVICE = ("since PostgreSQL 12 a standby is a standby.signal file plus primary_conninfo "
                   "(what pg_basebackup -R writes; dbops.containers.db_replication does it)")


def _segments_to_size(value):
    # 16 MB WAL segments (the default segment size).
    return sizes.to_postgres(int(value) * 16 * sizes.MIB)


# Source: PostgreSQL release notes 9.5-18 ("Remove ... configuration parameter"); 16: "Migration to Version 16"
# (https://www.postgresql.org/docs/release/16.0/).
POSTGRES_CATALOG = (
    removed('checkpoint_segments', (9, 5), 'use max_wal_size (and min_wal_size)'),
    removed('min_parallel_relation_size', (10,), 'use min_parallel_table_scan_size'),
    removed('replacement_sort_tuples', (11,), 'delete it'),
    removed('standby_mode', (12,), _STANDBY_ADVICE),
    removed('trigger_file', (12,), 'use pg_promote() (or promote_trigger_file before PostgreSQL 16)'),
    removed('recovery_target_timeline_old', (12,), 'use recovery_target_timeline'),
    renamed('wal_keep_segments', (13,), 'wal_keep_size', _segments_to_size, 'segments x 16MB'),
    introduced('wal_keep_size', (13,), 'use wal_keep_segments on this version'),
    removed('operator_precedence_warning', (14,), 'delete it'),
    removed('stats_temp_directory', (15,), 'delete it: statistics live in shared memory since PostgreSQL 15'),
    removed('promote_trigger_file', (16,), 'promote with SELECT pg_promote() or pg_ctl promote'),
    removed('vacuum_defer_cleanup_age', (16,), 'use hot_standby_feedback or a replication slot'),
    renamed('force_parallel_mode', (16,), 'debug_parallel_query'),
    # 17: release notes, E.x.2 "Migration to Version 17" (https://www.postgresql.org/docs/release/17.0/).
    removed('old_snapshot_threshold', (17,), 'delete it'),
    removed('db_user_namespace', (17,), 'delete it'),
    removed('trace_recovery_messages', (17,), 'delete it: it is no longer needed'),
    # 18: "Migration to Version 18" removes no parameter; "Server Configuration" renames ssl_ecdh_curve to
    # ssl_groups, the old name still working (https://www.postgresql.org/docs/release/18.0/).
    renamed('ssl_ecdh_curve', (18,), 'ssl_groups', note='the old name is still accepted'),
)

# A size PostgreSQL would refuse as written ("1g", "512m", "2GiB", "64mb"); its own
# spellings (kB, MB, GB, TB) are left alone.
_LOOSE_SIZE = re.compile(r'^(?!\d+(kB|MB|GB|TB)$)\d+(\.\d+)?\s*([kKmMgGtT]|[kKmMgGtT]i?[bB])$')


# A session's options by purpose.
SESSION_OPTIONS = {
    # db_tune_report only reads: a read-only session makes that a guarantee.
    'audit': '-c default_transaction_read_only=on',
    # Replication, failover and monitoring users write. Read-write said explicitly: a primary frozen
    # by a switchover has default_transaction_read_only = on in postgresql.auto.conf.
    'admin': '-c default_transaction_read_only=off',
}
# The statement timeout (QUERY_TIMEOUT unless the caller says otherwise) keeps a lock wait from hanging the
# play. It is enforced by the server: a frozen server is bounded by the caller's own deadline.


def session_options(purpose, query_timeout=QUERY_TIMEOUT):
    """The libpq ``options`` of a session opened for ``purpose``. Pure."""
    if purpose not in SESSION_OPTIONS:
        raise ValueError('unknown session purpose %r' % (purpose,))
    return '%s -c statement_timeout=%d' % (SESSION_OPTIONS[purpose], max(1, int(round(query_timeout * 1000))))


def open_session(host, port, user, password, database, timeout, purpose='admin', query_timeout=QUERY_TIMEOUT):
    """A psycopg2 connection (autocommit) opened for ``purpose``: 'audit' (read-only) or 'admin'; its
    statements end after ``query_timeout`` seconds."""
    options = session_options(purpose, query_timeout)
    try:
        import psycopg2
    except ImportError:
        raise DbopsError("the Python library psycopg2 is required on the host that runs the module "
                         "(pip install psycopg2-binary)", 'login_host')
    try:
        connection = psycopg2.connect(
            host=host, port=int(port), user=user, password=password or '', dbname=database or 'postgres',
            connect_timeout=int(timeout), application_name='dbops-tune-report', options=options)
    except psycopg2.OperationalError as exc:
        # "no password supplied" (the server wants one and none was given) counts as a wrong password.
        cause, detail = login_errors.postgres_cause(exc)
        raise login_errors.connect_failure(cause, detail, host, port, user, 'PostgreSQL', bool(password),
                                           database or 'postgres', same_family=('postgres',), timeout=timeout)
    connection.autocommit = True
    return connection


# The hooks import their modules when called: provisioning needs neither the audit nor the drivers.
def _audit_hooks():
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.audit import collect
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks.table import CHECKS
    return collect, CHECKS


def _failover_driver():
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.failover import FailoverDriver
    return FailoverDriver


def _replication_driver():
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.replication import Driver
    return Driver


def _server_settings():
    # Only db_container asks the image's server to judge its settings.
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres import server_settings
    return server_settings


class PostgresAdapter(EngineAdapter):
    # How to connect (for a purpose), and the engine's audit (collector and checks).
    connect = staticmethod(open_session)
    audit_hooks = staticmethod(_audit_hooks)
    replication_driver = staticmethod(_replication_driver)
    failover_driver = staticmethod(_failover_driver)
    name = 'postgres'
    label = 'PostgreSQL'
    port = 5432
    # PostgreSQL 18 is the newest major (supported to November 2030).
    official_image = 'postgres:18'
    local_image = 'localhost/dbops/postgres:18'
    version_env = ('PG_VERSION', 'PG_MAJOR')
    data_dir = '/var/lib/postgresql/data'
    config_dir = '/etc/postgresql'
    config_file = 'postgresql.conf'
    log_dir = '/var/log/postgresql'
    rules = postgres_tuning.POSTGRES_RULES
    catalog = POSTGRES_CATALOG
    memory_bounded = ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'wal_buffers')
    login_db_env = 'POSTGRES_DB'
    superuser = 'postgres'

    def default_shm_size_for(self, memory):
        # Parallel query and hash joins allocate dynamic shared memory in
        # /dev/shm; Docker's 64 MiB default fails them ("could not resize
        # shared memory segment"). A quarter of memory, as in the seed (1g of 4g).
        return max(64 * sizes.MIB, sizes.round_down(memory // 4, sizes.MIB))

    # render_config quotes every value that is not a number and doubles a quote inside it; postgresql.conf
    # reads a backslash in a quoted value as an escape: before the closing quote it breaks the file.
    config_value_forbidden = (
        ('\\', 'postgresql.conf reads a backslash in a quoted value as an escape (\\n is a line break, and '
               'before the closing quote it breaks the file)'),
    )

    def normalize_name(self, setting):
        return setting.strip().lower()

    def check_settings_on_server(self, docker, image, image_id, version, settings, config_text, user_settings):
        # postgres -C with the rendered file, and --describe-config, in a throw-away container.
        return _server_settings().check(self, docker, image, version, settings, config_text, user_settings)

    def check_upgrade(self, old, new):
        super(PostgresAdapter, self).check_upgrade(old, new)
        if old and new and old[0] != new[0]:
            raise DbopsError(
                "the data volume holds a PostgreSQL %d cluster and image is PostgreSQL %d: a major "
                "upgrade needs pg_upgrade or a dump and restore into a new data volume; keep the "
                "PostgreSQL %d image" % (old[0], new[0], old[0]), 'image')

    def data_mount(self, version):
        # The official image moved its volume to /var/lib/postgresql in 18
        # (PGDATA=/var/lib/postgresql/18/docker) so pg_upgrade --link can work.
        if at_least(version, (18,)):
            return '/var/lib/postgresql'
        return self.data_dir

    def pgdata(self, version):
        """Where the cluster's files are in the container (the image's PGDATA for that version)."""
        if at_least(version, (18,)):
            return '/var/lib/postgresql/%d/docker' % version[0]
        return self.data_dir

    def data_layout(self, image, image_env):
        """(volume mount point, PGDATA) in containers of image, whose environment is image_env."""
        version = self.version_of_image(image, image_env)
        if version is None:
            raise DbopsError('cannot tell the PostgreSQL version of image %s (no PG_MAJOR/PG_VERSION in its '
                             'environment, no version tag): set image to a versioned PostgreSQL image' % image,
                             'image')
        return self.data_mount(version), self.pgdata(version)

    def format_value(self, value, kind):
        if kind == tuning.SIZE:
            return sizes.to_postgres(int(value))
        if isinstance(value, bool):
            return 'on' if value else 'off'
        return value

    def coerce_user_value(self, name, value):
        """PostgreSQL reads a bare number in the setting's own unit (8 kB blocks for
        shared_buffers, kB for work_mem) and accepts only kB, MB, GB, TB: a bare
        number is refused for the memory settings the module sizes, and "1g" or
        "512m" are written the way PostgreSQL accepts, for every setting."""
        kind = self.kinds().get(name)
        text = str(value).strip()
        if kind == tuning.SIZE and not isinstance(value, bool) and re.match(r'^\d+$', text):
            raise DbopsError('%s=%s has no unit and PostgreSQL would read it in its own unit, not bytes: '
                             'write the unit, e.g. 512MB or 2GB' % (name, value), 'settings.%s' % name)
        if kind == tuning.SIZE or _LOOSE_SIZE.match(text):
            return self.format_value(sizes.parse_size(text, 'settings.%s' % name), tuning.SIZE)
        return value

    def render_config(self, settings):
        lines = ['# Managed by dbops.containers.db_container: edits are overwritten.']
        for name in sorted(settings):
            value = self.format_value(settings[name], None)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rendered = str(value)
            else:
                rendered = "'%s'" % str(value).replace("'", "''")
            lines.append('%s = %s' % (name, rendered))
        return '\n'.join(lines) + '\n'

    def server_args(self):
        return ['-c', 'config_file=%s/%s' % (self.config_dir, self.config_file)]

    def environment(self, database, user, has_password, version):
        env = {
            'POSTGRES_PASSWORD_FILE': ROOT_PASSWORD_FILE,
            'POSTGRES_USER': self.superuser,
            # SCRAM for every network client; on the socket only the OS user of the same name
            # (the official image trusts every local connection).
            'POSTGRES_INITDB_ARGS': '--auth-host=scram-sha-256 --auth-local=peer --data-checksums',
        }
        if database:
            env['POSTGRES_DB'] = database
        if not at_least(version, (18,)):
            env['PGDATA'] = self.data_dir
        return env

    def init_scripts(self, database, user, settings=None):
        scripts = {}
        if 'pg_stat_statements' in str((settings or {}).get('shared_preload_libraries', '')):
            # Preloading only collects; the views exist once the extension is created.
            scripts['05-dbops-pg-stat-statements.sql'] = (
                '-- Written by dbops.containers.db_container: statement statistics for db_tune_report.\n'
                'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;\n')
        if not user:
            return scripts
        owner = ''
        if database:
            # PostgreSQL 15 revoked CREATE on schema public from everyone: the
            # application role owns its database (and so its public schema).
            owner = 'ALTER DATABASE :"app_db" OWNER TO :"app_user";\nALTER SCHEMA public OWNER TO :"app_user";\n'
        script = (
            '#!/bin/bash\n'
            '# Written by dbops.containers.db_container: the application role.\n'
            '# Its password is read from the secrets volume inside psql, never passed as an argument.\n'
            'set -euo pipefail\n'
            'psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" '
            '--set app_user=%s --set app_db="${POSTGRES_DB:-postgres}" <<\'SQL\'\n'
            '\\set app_password `cat %s`\n'
            # pg_stat_statements keeps a utility statement's text as written, password literal included,
            # for every member of pg_read_all_stats (the monitoring exporter) to read: not this one.
            'SET pg_stat_statements.track_utility = off;\n'
            'SET log_statement = none;\n'
            'CREATE ROLE :"app_user" LOGIN PASSWORD :\'app_password\';\n'
            '%s'
            'SQL\n' % (user, USER_PASSWORD_FILE, owner))
        scripts['10-dbops-app-user.sh'] = script
        return scripts

    def healthcheck(self):
        # A real query over TCP: the init-time server listens on the socket only.
        return ('PGPASSWORD="$(cat %s)" psql -X -h 127.0.0.1 -p %d -U "$POSTGRES_USER" -d postgres '
                '-tAc "SELECT 1" >/dev/null' % (ROOT_PASSWORD_FILE, self.port))

    def validate_identity(self, database, user):
        if user and user == self.superuser:
            raise DbopsError("'postgres' is the superuser (root_password); name the application role differently",
                             'user')
        for parameter, value in (('database', database), ('user', user)):
            if value:
                check_identifier(value, parameter)
