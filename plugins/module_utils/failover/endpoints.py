# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client endpoint in front of a cluster, and how a failover moves it to the new primary.

Each kind of endpoint is one entry of ENDPOINTS: where its configuration file is,
how the file is rewritten for a new primary (pure functions, unit-tested), and
how the proxy is made to apply it: a signal that reloads it, or a restart for a
proxy that reads its configuration only when it starts (MySQL Router)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    from shlex import quote as shlex_quote
except ImportError:     # Python 2.7 (the collection's module_utils run where Ansible runs)
    from pipes import quote as shlex_quote

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

_HAPROXY_SECTION = re.compile(r'^(\S.*)$')


def haproxy_with_primary(text, primary, replicas):
    """The HAProxy configuration with ``backend primary`` pointing at primary and ``backend replicas``
    at replicas (primary as their backup). primary/replicas: {name, host, port}."""
    lines = text.splitlines()
    output, section = [], None
    for line in lines:
        header = _HAPROXY_SECTION.match(line)
        if header and not line.startswith('#'):
            section = header.group(1).strip()
            output.append(line)
            if section == 'backend primary':
                output.append('    server %s %s:%s check' % (primary['name'], primary['host'], primary['port']))
            elif section == 'backend replicas':
                output.append('    balance leastconn')
                for replica in replicas:
                    output.append('    server %s %s:%s check' % (replica['name'], replica['host'], replica['port']))
                output.append('    server %s %s:%s check backup' % (
                    primary['name'], primary['host'], primary['port']))
            continue
        if section in ('backend primary', 'backend replicas') and line.strip().split(' ')[0] in ('server', 'balance'):
            continue  # replaced above
        output.append(line)
    return '\n'.join(output) + '\n'


def pgbouncer_with_primary(text, host, port):
    """pgbouncer.ini with every [databases] entry's host and port set to the new primary."""
    output, section = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('['):
            section = stripped
        elif section == '[databases]' and '=' in line and not stripped.startswith(';'):
            name, _sep, value = line.partition('=')
            value = re.sub(r'\bhost=\S+', 'host=%s' % host, value)
            value = re.sub(r'\bport=\S+', 'port=%s' % port, value)
            line = '%s=%s' % (name, value)
        output.append(line)
    return '\n'.join(output) + '\n'


_INI_SECTION = re.compile(r'^\s*\[([^\]]+)\]\s*$')
_INI_DESTINATIONS = re.compile(r'^(\s*destinations\s*=).*$')
# The sections of the Router configuration the role writes (templates/mysqlrouter.conf.j2).
MYSQLROUTER_WRITER, MYSQLROUTER_READER = 'routing:writer', 'routing:reader'


def _router_destination(server):
    host = server['host']
    # An IPv6 address is bracketed, as in any host:port list.
    return '%s:%s' % ('[%s]' % host if ':' in host else host, server['port'])


def mysqlrouter_with_primary(text, primary, replicas):
    """MySQL Router's static configuration with the writer route naming the new primary alone and the reader
    route round-robin over replicas (the primary alone when no replica runs, so reads still have a server).
    primary/replicas: {name, host, port}.

    The writer route never lists another node, not even after the primary: with first-available a fenced old
    primary listed first would take the writes again the moment it came back. Only the destinations lines of
    [routing:writer] and [routing:reader] change; every other line stays as the role wrote it."""
    wanted = {
        MYSQLROUTER_WRITER: _router_destination(primary),
        MYSQLROUTER_READER: ','.join(_router_destination(r) for r in replicas) or _router_destination(primary),
    }
    output, section, seen = [], None, set()
    for line in text.splitlines():
        header = _INI_SECTION.match(line)
        if header:
            section = header.group(1).strip()
        elif section in wanted:
            destinations = _INI_DESTINATIONS.match(line)
            if destinations:
                line = '%s %s' % (destinations.group(1), wanted[section])
                seen.add(section)
        output.append(line)
    missing = [name for name in (MYSQLROUTER_WRITER, MYSQLROUTER_READER) if name not in seen]
    if missing:
        # Not a configuration the role wrote: moving nothing would leave the writes on the old primary.
        raise DbopsError('the MySQL Router configuration has no destinations in %s: it was not written by the '
                         'mysql_cluster role, so the endpoint cannot be moved'
                         % ', '.join('[%s]' % name for name in missing), 'endpoint')
    return '\n'.join(output) + '\n'


def _haproxy_sections(text):
    """{section header: [its lines]} of an HAProxy configuration."""
    sections, section = {}, None
    for line in text.splitlines():
        header = _HAPROXY_SECTION.match(line)
        if header and not line.startswith('#'):
            section = header.group(1).strip()
            sections.setdefault(section, [])
        elif section is not None:
            sections[section].append(line)
    return sections


def _haproxy_servers(lines):
    return [line.split()[1] for line in lines if line.split()[:1] == ['server'] and len(line.split()) > 1]


def _ini_sections(text):
    """{section name: [(key, value) in order]} of an ini file (comments and blank lines left out)."""
    sections, section = {}, None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in ';#':
            continue
        header = _INI_SECTION.match(line)
        if header:
            section = header.group(1).strip()
            sections.setdefault(section, [])
        elif section is not None and '=' in line:
            key, _sep, value = line.partition('=')
            sections[section].append((key.strip(), value.strip()))
    return sections


def _pgbouncer_databases(text):
    """[(database name, its connection string)] of pgbouncer.ini's [databases], a quoted name ("my db" = ...)
    unquoted."""
    databases = []
    for name, value in _ini_sections(text).get('databases', []):
        if len(name) > 1 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('""', '"')
        databases.append((name, value))
    return databases


def _pgbouncer_hosts(text):
    """{database name: the host it connects to} of pgbouncer.ini (entries without a host left out)."""
    hosts = {}
    for name, value in _pgbouncer_databases(text):
        found = re.search(r'\bhost=(\S+)', value)
        if found:
            hosts[name] = found.group(1)
    return hosts


def haproxy_writer(text):
    """The host ``backend primary`` sends writes to, or None."""
    for line in _haproxy_sections(text).get('backend primary', []):
        if line.split()[:1] == ['server'] and len(line.split()) > 2:
            return line.split()[2].rsplit(':', 1)[0]
    return None


def pgbouncer_writer(text):
    """The host of the first [databases] entry (every entry names the primary), or None."""
    return next(iter(_pgbouncer_hosts(text).values()), None)


def mysqlrouter_writer(text):
    """The host [routing:writer] sends writes to, or None."""
    destinations = dict(_ini_sections(text).get(MYSQLROUTER_WRITER, [])).get('destinations')
    if destinations is None:
        return None
    return destinations.split(',')[0].strip().rsplit(':', 1)[0].strip('[]') or None


# "stats socket ipv4@127.0.0.1:<port> ... level admin" in the global section: the runtime API the role's
# haproxy.cfg opens on the container's loopback.
_HAPROXY_ADMIN_SOCKET = re.compile(r'^\s+stats\s+socket\s+ipv4@(?:127\.0\.0\.1|localhost):(\d+)\s.*\blevel\s+admin\b')


def haproxy_admin_port(text):
    """The loopback port of the runtime API (admin level) the global section opens, or None."""
    for line in _haproxy_sections(text).get('global', []):
        found = _HAPROXY_ADMIN_SOCKET.match(line + ' ')
        if found:
            return int(found.group(1))
    return None


def haproxy_sessions_to_end(current, wanted):
    """The runtime API commands that end, in the running HAProxy, the sessions of every server that the
    new configuration drops from backend primary or backend replicas: the old primary after a failover.

    Why: a reload starts a new worker with the new file, while the old worker keeps its sessions until they
    close, and it no longer health-checks. A client whose query was in flight on a killed primary then waits
    for its own read timeout (seconds) before it reconnects to the new primary. Each server is first put in
    maintenance, so a client that reconnects in the instant before the reload is refused at once rather than
    sent to the dead node again. [] when there is no runtime API (a configuration the role did not write)."""
    if haproxy_admin_port(current) is None:
        return []
    before, after = _haproxy_sections(current), _haproxy_sections(wanted)
    commands = []
    for backend in ('primary', 'replicas'):
        staying = set(_haproxy_servers(after.get('backend ' + backend, [])))
        for server in _haproxy_servers(before.get('backend ' + backend, [])):
            if server not in staying:
                commands += ['set server %s/%s state maint' % (backend, server),
                             'shutdown sessions server %s/%s' % (backend, server)]
    return commands


def pgbouncer_console(text):
    """(unix socket directory, port) of PgBouncer's admin console, or None when it listens on no Unix socket
    (unix_socket_dir set empty). Unset keys take PgBouncer's defaults (/tmp, 6432)."""
    settings = dict(_ini_sections(text).get('pgbouncer', []))
    directory = settings.get('unix_socket_dir', '/tmp')
    if not directory:
        return None
    return directory, int(settings.get('listen_port') or 6432)


def pgbouncer_sessions_to_end(current, wanted):
    """The admin console commands that end the sessions a move leaves on the old primary: RELOAD (the new
    file, at once and in order), then KILL and RESUME of every database whose host changed.

    Why: in session pooling a client keeps its server connection until it disconnects, so after a reload
    a pooled client goes on talking to the old primary (read-only after a switchover; and after a partition
    its connection hangs until TCP gives up). KILL drops the database's client and server connections; new
    clients wait for RESUME, which follows at once, and then connect to the new host. [] when the console
    cannot be reached (no Unix socket) or nothing moves."""
    if pgbouncer_console(current) is None:
        return []
    before, after = _pgbouncer_databases(current), dict(_pgbouncer_databases(wanted))
    moved = [name for name, value in before if name in after and after[name] != value]
    if not moved:
        return []
    commands = ['RELOAD']
    for name in moved:
        quoted = '"%s"' % name.replace('"', '""')
        commands += ['KILL %s' % quoted, 'RESUME %s' % quoted]
    return commands


# The admin shells' exit code when the proxy's image has no client for its console.
NO_CONSOLE_CLIENT = 97


def pgbouncer_console_shell(current, commands, table=False):
    """A sh command that runs ``commands`` on PgBouncer's admin console over its Unix socket, as the user
    pgbouncer (no password: same Unix user as the server, which docker exec is), stopping at the first
    error. psql comes with the official-style images (edoburu/pgbouncer, the local build). table: the rows
    unaligned, '|' between fields, no header. Pure."""
    directory, port = pgbouncer_console(current)
    arguments = ' '.join('-c %s' % shlex_quote(command) for command in commands)
    return ('command -v psql >/dev/null 2>&1 || exit %d; psql -X -q %s-v ON_ERROR_STOP=1 -h %s -p %d -U pgbouncer '
            '-d pgbouncer %s' % (NO_CONSOLE_CLIENT, "-A -t -F '|' " if table else '', shlex_quote(directory), port,
                                 arguments))


def haproxy_live_primaries(output):
    """The server names of backend primary in the running HAProxy, from the runtime API's answer to
    ``show servers state primary`` (a version line, a '#' header, then one line per server:
    be_id be_name srv_id srv_name srv_addr ...). Pure."""
    names = []
    for line in (output or '').splitlines():
        fields = line.split()
        if len(fields) >= 5 and not line.startswith('#') and fields[1] == 'primary':
            names.append(fields[3])
    return names


def haproxy_applied(current, console_output):
    """Does the running HAProxy send writes where ``current`` (its file) says? None when unknown. Pure."""
    live = haproxy_live_primaries(console_output)
    if not live:
        return None
    return sorted(live) == sorted(_haproxy_servers(_haproxy_sections(current).get('backend primary', [])))


def pgbouncer_applied(current, console_output):
    """Does the running PgBouncer connect each database where ``current`` says? ``console_output``: psql -A -t
    -F '|' of SHOW DATABASES (name|host|port|...). None when unknown. Pure."""
    live = {}
    for line in (console_output or '').splitlines():
        fields = line.split('|')
        if len(fields) >= 3:
            live[fields[0]] = fields[1]
    wanted = _pgbouncer_hosts(current)
    if not wanted or not all(name in live for name in wanted):
        return None
    return all(live[name] == host for name, host in wanted.items())


def haproxy_runtime_shell(current, commands):
    return runtime_api_shell(haproxy_admin_port(current), commands)


def runtime_api_shell(port, commands):
    """A sh command that sends ``commands`` (one line, ';'-separated) to the runtime API on the container's
    loopback ``port`` and prints the answer. bash's /dev/tcp where bash exists (the official Debian-based
    image), socat otherwise (the alpine image has no bash; the official images have socat since late 2025);
    exit code NO_CONSOLE_CLIENT when the container has neither. Pure."""
    line = shlex_quote('; '.join(commands))
    script = ('exec 3<>/dev/tcp/127.0.0.1/%d && printf "%%s\\n" %s >&3 && '
              'while IFS= read -r -t 2 answer <&3; do printf "%%s\\n" "$answer"; done' % (port, line))
    return ('if command -v bash >/dev/null 2>&1; then bash -c %s; '
            'elif command -v socat >/dev/null 2>&1; then printf "%%s\\n" %s | socat -t 2 stdio TCP4:127.0.0.1:%d; '
            'else exit %d; fi' % (shlex_quote(script), line, port, NO_CONSOLE_CLIENT))


class EndpointKind(object):
    """One proxy: its configuration file, how it applies a new one, and the rewrite for a new primary.

    reload_signal: the signal that makes it re-read the file. restart_timeout: set instead for a proxy that
    reads its configuration only at start: the container is restarted (SIGTERM, SIGKILL after that many
    seconds), and its clients' connections are cut."""

    def __init__(self, path, reload_signal, rewrite, writer, restart_timeout=None, sessions_to_end=None,
                 admin_shell=None, live_query=None, applied=None):
        self.path = path
        self.reload_signal = reload_signal
        self.rewrite = rewrite      # (current text, new primary Node, replica Nodes) -> wanted text
        self.writer = writer        # current text -> the host writes go to (None when it names none)
        self.restart_timeout = restart_timeout
        # (current text, wanted text) -> the admin commands that end the sessions the move leaves behind
        self.sessions_to_end = sessions_to_end
        self.admin_shell = admin_shell  # (current text, commands) -> the sh command that runs them
        self.live_query = live_query    # current text -> the sh command that shows where the proxy sends writes
        self.applied = applied          # (current text, its output) -> True / False / None (unknown)

    def running_as_written(self, docker, container_id, current):
        """Does the running proxy send writes where its file says? False when it was never reloaded after the
        file changed (a mover that died between the write and the signal); None when it cannot be asked."""
        if self.live_query is None or self.admin_shell is None:
            return None
        command = self.live_query(current)
        if command is None:
            return None
        try:
            code, output = docker.exec_shell(container_id, command)
        except Exception:  # noqa: BLE001 - unknown, never a reason to act
            return None
        return self.applied(current, output) if code == 0 else None

    def end_sessions(self, docker, container_id, current, wanted):
        """Before the reload: end the running proxy's sessions to the servers the new file drops. Returns
        what happened, in words; never raises (the reload still moves the clients; this only spares those
        stuck on the old primary their own timeout)."""
        commands = self.sessions_to_end(current, wanted) if self.sessions_to_end else []
        if not commands:
            return None
        try:
            code, output = docker.exec_shell(container_id, self.admin_shell(current, commands))
        except Exception as exc:  # noqa: BLE001 - the move goes on without it
            return 'not ended (%s)' % str(exc)[:120]
        answer = ' '.join((output or '').split())
        if code == NO_CONSOLE_CLIENT:
            return 'not ended (the proxy container has no client for its admin interface)'
        if code != 0 or answer:
            # Both consoles answer nothing when every command succeeded (HAProxy's runtime API; psql -q).
            return 'not ended (exit %s: %s)' % (code, answer[:160])
        return 'ended: ' + ', '.join(c.split(' ', 1)[1].split(' ')[-1] for c in commands
                                     if c.startswith(('shutdown', 'KILL')))

    def reload(self, docker, container_id):
        """Make the running proxy apply the file just written."""
        if self.restart_timeout is not None:
            docker.restart(container_id, timeout=self.restart_timeout)
        else:
            docker.kill(container_id, signal=self.reload_signal)


ENDPOINTS = {
    'haproxy': EndpointKind('/usr/local/etc/haproxy/haproxy.cfg', 'SIGUSR2',
                            lambda text, primary, replicas: haproxy_with_primary(
                                text, primary.describe(), [n.describe() for n in replicas]),
                            haproxy_writer, sessions_to_end=haproxy_sessions_to_end, admin_shell=haproxy_runtime_shell,
                            live_query=lambda text: haproxy_runtime_shell(text, ['show servers state primary'])
                            if haproxy_admin_port(text) else None,
                            applied=haproxy_applied),
    'pgbouncer': EndpointKind('/etc/pgbouncer/pgbouncer.ini', 'SIGHUP',
                              lambda text, primary, replicas: pgbouncer_with_primary(
                                  text, primary.alias, primary.port),
                              pgbouncer_writer, sessions_to_end=pgbouncer_sessions_to_end,
                              admin_shell=pgbouncer_console_shell,
                              live_query=lambda text: pgbouncer_console_shell(
                                  text, ['SHOW DATABASES'], table=True) if pgbouncer_console(text) else None,
                              applied=pgbouncer_applied),
    # MySQL Router 9.x reads mysqlrouter.conf only when it starts (SIGHUP does not re-read it): the mover
    # restarts the container. Measured pause on the project's 2-core machine: 0.7-1.5 s without writes.
    'mysqlrouter': EndpointKind('/etc/dbops-mysqlrouter/mysqlrouter.conf', None,
                                lambda text, primary, replicas: mysqlrouter_with_primary(
                                    text, primary.describe(), [n.describe() for n in replicas]),
                                mysqlrouter_writer, restart_timeout=5),
}
