# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""db_tune_report's logic: find the server, read it (never change it), run the
engine's checks, summarise, render."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os

from ansible_collections.dbops.containers.plugins.module_utils.audit import core as audit_core
from ansible_collections.dbops.containers.plugins.module_utils.audit.render import (
    fingerprint, fingerprint_of_text, render)
from ansible_collections.dbops.containers.plugins.module_utils.audit import limits as audit_limits
from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils import targets
from ansible_collections.dbops.containers.plugins.module_utils.audit.core import Check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.registry import get_adapter
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.lifecycle import support_status
from ansible_collections.dbops.containers.plugins.module_utils.tuning import SIZE, Resources
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import format_version


def version_support(facts):
    status = facts['support']
    if status['status'] == 'supported' or status['status'] == 'unknown':
        return None
    severity = 'critical' if status['status'] == 'end-of-life' else 'warning'
    return finding('%s %s (end of life %s)' % (facts['engine'], status['series'], status['end_of_life']),
                   'a supported release series', '%s days of support left' % status['days_left'],
                   'db_container image: a supported version (e.g. %s)' % facts['default_image'],
                   severity=severity)


def limits_unknown(facts):
    if facts['limits']['memory'] is not None:
        return None
    return finding('unknown', 'the container\'s memory and CPU limits', facts['limits']['source'],
                   'audit by container name, or set the memory and cpus options')


COMMON_CHECKS = (
    Check('common.version.support', 'version', 'warning', 'Release series at or near end of life', version_support,
          'Unsupported releases get no security fixes.', 'vendor lifecycle policies (lifecycle.py)'),
    Check('common.limits.unknown', 'memory', 'info', 'Memory limit unknown: memory checks skipped', limits_unknown,
          'Sizing rules need the memory the server may use, not the host\'s.', 'cgroup v1/v2'),
)


class Auditor(object):
    def __init__(self, params):
        self.params = params

    def run(self):
        target, limits = self._target()
        adapter = get_adapter(target.engine)
        connection = adapter.connect(target.host, target.port, target.user, target.password, target.database,
                                     self.params.get('connect_timeout') or 10, purpose='audit')
        collect, checks = adapter.audit_hooks()
        try:
            facts = collect(connection)
        finally:
            connection.close()
        facts['limits'] = limits
        # The server says which engine it is (a MariaDB server behind engine=mysql is audited as MariaDB).
        facts['support'] = support_status(facts['engine'], facts['version'])
        facts['default_image'] = get_adapter(facts['engine']).official_image
        facts['workload_profile'] = self.params.get('profile') or 'oltp'
        facts['recommended'] = self._recommended(facts)
        all_checks = COMMON_CHECKS + tuple(checks)
        findings, skipped = audit_core.run_checks(all_checks, facts)
        summary = audit_core.summarize(findings, len(all_checks), skipped)
        memory = limits['memory']
        report = {
            'server': {'name': target.name, 'engine': facts['engine'], 'version': format_version(facts['version']),
                       'version_string': facts['version_string'],
                       'support': '%s (end of life %s)' % (facts['support']['status'], facts['support']['end_of_life']),
                       'memory': memory, 'memory_human': sizes.to_docker(sizes.round_down(memory, sizes.MIB))
                       if memory else 'unknown', 'cpus': limits['cpus'],
                       'limits_source': limits['source'], 'host': target.host, 'port': target.port},
            'generated': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'),
            'summary': summary,
            'findings': findings,
            'not_evaluated': [{'id': i, 'reason': r} for i, r in skipped],
            'notes': facts.get('notes', []),
        }
        return report

    # ------------------------------------------------------------------ target
    def _target(self):
        """(Target, limits): limits declared by memory/cpus, else read from the container's cgroup."""
        params = self.params
        if params.get('cpus') is not None and params['cpus'] <= 0:
            raise DbopsError('cpus=%s: give the CPUs the server may use (more than 0, e.g. 2 or 0.5), or leave it '
                             'out to read the container\'s limit; nothing was read' % params['cpus'], 'cpus')
        docker = []

        def docker_factory():
            docker.append(targets.docker_helper(params))
            return docker[-1]
        target = targets.resolve(params, docker_factory)
        if params.get('memory'):
            limits = audit_limits.declared_limits(sizes.parse_size(params['memory'], 'memory'), params.get('cpus'))
        elif target.container:
            code, output = docker[-1].exec_shell(target.container_id, audit_limits.CGROUP_PROBE)
            limits = audit_limits.parse_cgroup_probe(output)
        else:
            limits = audit_limits.unknown_limits()
        return target, limits

    def _recommended(self, facts):
        """What db_container derives for these limits: the values findings recommend."""
        limits = facts['limits']
        if not limits['memory']:
            return {}
        adapter = get_adapter(facts['engine'])
        resources = Resources(limits['memory'], limits['cpus'] or 1, self.params.get('profile') or 'oltp',
                              facts['version'])
        derived = adapter.derive_settings(resources)
        kinds = adapter.kinds()
        recommended = adapter.format_settings(derived)
        for name, value in derived.items():
            if kinds.get(name) == SIZE:
                recommended[name + '_bytes'] = value
        return recommended


def write_report(report, fmt, dest, check_mode=False):
    """Write the rendered report to dest when what it concludes differs from the file's -> changed.

    A report is compared by its fingerprint (render.fingerprint): the generation time and the measured
    values (each finding's current value and evidence, which move with the server's counters) are not a
    change, so a second run against a server whose findings are the same leaves the file, and the time
    it says it was made, as they were. A file without a fingerprint (an older report, another file) is
    replaced when its text differs. check_mode: only say whether it would be written.
    """
    text = render(report, fmt)
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise DbopsError('directory %s does not exist: create it or give dest in an existing directory; the '
                         'report was not written' % directory, 'dest')
    if os.path.isdir(dest):
        raise DbopsError('%s is a directory: give dest a file name in it (e.g. %s/report.%s); the report was not '
                         'written' % (dest, dest.rstrip('/'), {'markdown': 'md'}.get(fmt, fmt)), 'dest')
    changed = True
    if os.path.exists(dest):
        try:
            with open(dest) as handle:
                old = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            raise DbopsError('cannot read %s to compare it (%s): give dest a writable text file; the report was not '
                             'written' % (dest, exc), 'dest')
        old_print = fingerprint_of_text(old, fmt)
        if old_print is not None:
            changed = old_print != fingerprint(report, fmt)
        else:
            changed = old != text
    if changed and not check_mode:
        try:
            with open(dest, 'w') as handle:
                handle.write(text)
        except (IOError, OSError) as exc:
            raise DbopsError('cannot write %s (%s): give dest a file this user may write' % (dest, exc), 'dest')
    return changed
