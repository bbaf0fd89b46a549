# -*- coding: utf-8 -*-
"""What a refused task must leave as it was, read cheaply: one snapshot, one comparison.

``Snapshot.take(docker_client, prefix, servers=[...])`` records everything on the Docker host whose
name starts with the test's prefix (containers, volumes, networks) and, for each database server
made by db_container, in ONE ``docker exec``: its configuration files, its accounts, its
replication state and the checksum of the ledger table the fixture wrote. ``before.diff(after)``
lists what changed, ``assert_unchanged(before, after)`` fails with that list, and
``assert_serving(client, server)`` runs a real query over TCP.

A server is a container name (its engine is read from its ``dbops.engine`` label) or a dict
``{'name': ..., 'ledger': 'app.ledger'}``; the ledger defaults to ``app.ledger`` on MySQL and
MariaDB and ``public.ledger`` (database ``app``) on PostgreSQL.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shlex

import docker

ROOT_PASSWORD_FILE = '/run/secrets/dbops/root_password'
SECTION = '@@dbops-section '

# MySQL and MariaDB: one client call with several statements, tab-separated, no headers.
MYSQL_SQL = ("SELECT '@@dbops-section accounts'; SELECT User, Host, plugin, authentication_string, max_user_connections "
             "FROM mysql.user ORDER BY User, Host; "
             "SELECT '@@dbops-section read_only'; SELECT @@global.read_only; "
             "SELECT '@@dbops-section ledger'; SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS(':', id, note))), 0) FROM %s;")
MYSQL_SOURCE_FIELDS = ('Master_Host', 'Master_User', 'Master_Port', 'Using_Gtid', 'Slave_IO_Running',
                       'Slave_SQL_Running')
POSTGRES_SQL = (
    "SELECT '@@dbops-section accounts'; SELECT rolname, coalesce(rolpassword, ''), rolconnlimit, rolsuper FROM pg_authid "
    "ORDER BY rolname; "
    "SELECT '@@dbops-section recovery'; SELECT pg_is_in_recovery(); "
    "SELECT '@@dbops-section slots'; SELECT slot_name, slot_type FROM pg_replication_slots ORDER BY 1; "
    "SELECT '@@dbops-section auto.conf'; SELECT pg_read_file('postgresql.auto.conf', 0, 100000, true); "
    "SELECT '@@dbops-section hba'; SELECT pg_read_file(current_setting('hba_file'), 0, 100000, true); "
    "SELECT '@@dbops-section ledger'; SELECT count(*), coalesce(md5(string_agg(id || ':' || note, ',' ORDER BY id)), '') "
    "FROM %s;")
# The MariaDB client's stderr, interleaved with its output at random: not the server's state.
NOISE = 'WARNING: option --ssl-verify-server-cert is disabled'
CONFIG_DIRS = {'mysql': '/etc/mysql/conf.d', 'mariadb': '/etc/mysql/conf.d', 'postgres': '/etc/postgresql'}
PORTS = {'mysql': 3306, 'mariadb': 3306, 'postgres': 5432}


def _server(server):
    return server if isinstance(server, dict) else {'name': server}


def _script(engine, ledger):
    """The shell run inside the server's container: its config files, then its SQL, in sections."""
    config = ('for f in %s/*; do echo "%sfile $f"; cat "$f"; echo; done'
              % (CONFIG_DIRS[engine], SECTION))
    if engine in ('mysql', 'mariadb'):
        client = 'mariadb' if engine == 'mariadb' else 'mysql'
        sql = MYSQL_SQL % (ledger or 'app.ledger')
        query = ('MYSQL_PWD="$(cat %s)" %s --protocol=tcp -h127.0.0.1 -uroot -N -B -e %s; '
                 'echo "%ssource"; MYSQL_PWD="$(cat %s)" %s --protocol=tcp -h127.0.0.1 -uroot -B -e '
                 '"SHOW SLAVE STATUS\\G"'
                 % (ROOT_PASSWORD_FILE, client, shlex.quote(sql), SECTION, ROOT_PASSWORD_FILE, client))
    else:
        sql = POSTGRES_SQL % (ledger or 'public.ledger')
        query = ('PGPASSWORD="$(cat %s)" psql -X -q -h 127.0.0.1 -U "${POSTGRES_USER:-postgres}" -d app -tA '
                 '-F "|" -c %s' % (ROOT_PASSWORD_FILE, shlex.quote(sql)))
    return '%s; echo "%ssql"; %s 2>&1' % (config, SECTION, query)


def _parse(output):
    """{section: text}: every section starts with a line SECTION + its name (the SQL prints them too)."""
    sections, current, lines = {}, None, []
    for line in output.splitlines():
        if NOISE in line:
            continue
        if line.startswith(SECTION):
            if current is not None:
                sections[current] = '\n'.join(lines).strip()
            current, lines = line[len(SECTION):].strip(), []
        else:
            lines.append(line)
    if current is not None:
        sections[current] = '\n'.join(lines).strip()
    if sections.get('sql'):
        sections['sql errors'] = sections['sql']     # the client's own errors: a snapshot must not hide them
    sections.pop('sql', None)
    if 'source' in sections:
        # The replica's source, without the moving counters (positions, seconds behind).
        kept = [line.strip() for line in sections['source'].splitlines()
                if line.split(':', 1)[0].strip() in MYSQL_SOURCE_FIELDS]
        sections['source'] = '\n'.join(kept)
    return sections


def server_state(client, server):
    """{section: text} of one server, from one docker exec (config files, accounts, replication, ledger)."""
    server = _server(server)
    container = client.containers.get(server['name'])
    engine = container.labels.get('dbops.engine')
    if container.status != 'running':
        return {'status': container.status}
    code, output = container.exec_run(['sh', '-c', _script(engine, server.get('ledger'))])
    return _parse(output.decode('utf-8', 'replace'))


class Snapshot(object):
    """Containers, volumes and networks named prefix*, and the state of each server."""

    def __init__(self, resources, servers):
        self.resources = resources
        self.servers = servers

    @classmethod
    def take(cls, client, prefix, servers=()):
        resources = {}
        # The summaries, then one inspect per container of the test's own: other tests' short-lived
        # containers come and go meanwhile.
        for summary in client.api.containers(all=True):
            name = (summary.get('Names') or ['?'])[0].lstrip('/')
            if not name.startswith(prefix):
                continue
            try:
                attrs = client.api.inspect_container(summary['Id'])
            except docker.errors.NotFound:
                continue
            resources['container ' + name] = {
                'id': attrs['Id'], 'started_at': attrs['State'].get('StartedAt'),
                'status': attrs['State'].get('Status'), 'restart_count': attrs.get('RestartCount'),
                'image': attrs['Image'], 'labels': attrs['Config'].get('Labels') or {},
                'networks': sorted(attrs['NetworkSettings']['Networks'])}
        for volume in client.volumes.list():
            if volume.name.startswith(prefix):
                resources['volume ' + volume.name] = {'labels': volume.attrs.get('Labels') or {}}
        for network in client.networks.list():
            if network.name.startswith(prefix):
                resources['network ' + network.name] = {'id': network.id}
        states = dict((_server(s)['name'], server_state(client, s)) for s in servers)
        return cls(resources, states)

    def diff(self, other):
        """Readable lines: what is in self and not in other, or differs."""
        lines = []
        for key in sorted(set(self.resources) | set(other.resources)):
            before, after = self.resources.get(key), other.resources.get(key)
            if before is None:
                lines.append('%s: created %r' % (key, after))
            elif after is None:
                lines.append('%s: removed (was %r)' % (key, before))
            elif before != after:
                for field in sorted(set(before) | set(after)):
                    if before.get(field) != after.get(field):
                        lines.append('%s: %s %r -> %r' % (key, field, before.get(field), after.get(field)))
        for name in sorted(set(self.servers) | set(other.servers)):
            before, after = self.servers.get(name, {}), other.servers.get(name, {})
            for section in sorted(set(before) | set(after)):
                if before.get(section) != after.get(section):
                    lines.append('server %s, %s:\n  before: %s\n  after:  %s'
                                 % (name, section, _indent(before.get(section)), _indent(after.get(section))))
        return lines


def _indent(text):
    return (text if text is not None else '(none)').replace('\n', '\n          ')


def assert_unchanged(before, after):
    changes = before.diff(after)
    assert not changes, 'changed by a refused task:\n' + '\n'.join(changes)


def container_address(client, name):
    networks = client.api.inspect_container(name)['NetworkSettings']['Networks']
    return next(n['IPAddress'] for n in networks.values() if n.get('IPAddress'))


def assert_serving(client, server, password='R00t-pass;word"x'):
    """A real query over TCP: the ledger's row count (the server answers, and its data is there)."""
    import pymysql
    import psycopg2
    server = _server(server)
    container = client.containers.get(server['name'])
    assert container.status == 'running', '%s is %s' % (server['name'], container.status)
    engine = container.labels.get('dbops.engine')
    host = container_address(client, server['name'])
    if engine == 'postgres':
        conn = psycopg2.connect(host=host, port=PORTS[engine], user='postgres', password=password, dbname='app',
                                connect_timeout=5)
        try:
            with conn.cursor() as cursor:
                cursor.execute('SELECT count(*) FROM %s' % (server.get('ledger') or 'public.ledger'))
                return cursor.fetchone()[0]
        finally:
            conn.close()
    conn = pymysql.connect(host=host, port=PORTS[engine], user='root', password=password, connect_timeout=5)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM %s' % (server.get('ledger') or 'app.ledger'))
            return cursor.fetchone()[0]
    finally:
        conn.close()


def write_ledger(client, server, rows=20, password='R00t-pass;word"x'):
    """The ledger table a fixture writes on a primary, whose checksum every snapshot records."""
    import pymysql
    import psycopg2
    server = _server(server)
    engine = client.containers.get(server['name']).labels.get('dbops.engine')
    host = container_address(client, server['name'])
    values = ', '.join("(%d, 'entry %d')" % (i, i) for i in range(1, rows + 1))
    if engine == 'postgres':
        conn = psycopg2.connect(host=host, user='postgres', password=password, dbname='app', connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute('CREATE TABLE ledger (id int PRIMARY KEY, note text NOT NULL)')
                cursor.execute('INSERT INTO ledger VALUES ' + values)
        finally:
            conn.close()
        return
    conn = pymysql.connect(host=host, user='root', password=password, database='app', connect_timeout=5,
                           autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute('CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(64) NOT NULL)')
            cursor.execute('INSERT INTO ledger VALUES ' + values)
    finally:
        conn.close()
