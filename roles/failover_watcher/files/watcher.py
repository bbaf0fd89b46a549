#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover watcher's entry point: db_failover's logic (the collection's
module_utils, mounted at /opt/dbops) as a long-running process. One JSON line
per event on stdout (docker logs)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import sys
import time

from ansible_collections.dbops.containers.plugins.module_utils.failover.orchestrator import Failover
from ansible_collections.dbops.containers.plugins.module_utils.failover.watcher import Watcher, docker_events


def log(event):
    now = time.time()
    event = dict(event, ts=time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(now)) + ('%.3f' % (now % 1))[1:] + 'Z')
    sys.stdout.write(json.dumps(event, default=str) + '\n')
    sys.stdout.flush()


def main(path):
    with open(path) as handle:
        params = json.load(handle)
    params.setdefault('mode', 'failover')
    # The Docker event stream of the node containers wakes the probe rounds at once (a hint, never a verdict).
    watcher = Watcher(params, log, events=docker_events(params))
    log({'event': 'started', 'engine': params['engine'], 'nodes': [n['name'] for n in params['nodes']],
         'probe_interval': params.get('probe_interval'), 'probes': params.get('probes'),
         'durability': params.get('durability'), 'rejoin': params.get('rejoin'),
         'state_file': params.get('state_file')})
    watcher.run(lambda: Failover(params))


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else '/opt/dbops/watcher.json')
