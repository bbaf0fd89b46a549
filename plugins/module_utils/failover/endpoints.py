# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client endpoint in front of a cluster, and how a failover moves it to the new primary.

Each kind of endpoint is one entry of ENDPOINTS: where its configuration file is,
how the file is rewritten for a new primary (pure functions, unit-tested), and
which signal makes the proxy reload it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

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


class EndpointKind(object):
    """One proxy: its configuration file, the signal that reloads it, and the rewrite for a new primary."""

    def __init__(self, path, reload_signal, rewrite):
        self.path = path
        self.reload_signal = reload_signal
        self.rewrite = rewrite      # (current text, new primary Node, replica Nodes) -> wanted text


ENDPOINTS = {
    'haproxy': EndpointKind('/usr/local/etc/haproxy/haproxy.cfg', 'SIGUSR2',
                            lambda text, primary, replicas: haproxy_with_primary(
                                text, primary.describe(), [n.describe() for n in replicas])),
    'pgbouncer': EndpointKind('/etc/pgbouncer/pgbouncer.ini', 'SIGHUP',
                              lambda text, primary, replicas: pgbouncer_with_primary(
                                  text, primary.alias, primary.port)),
}
