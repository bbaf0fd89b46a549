# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the monitoring role: Prometheus's configuration from the list of
database containers, and alert rules with per-alert ``for:`` overrides."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible.errors import AnsibleFilterError

EXPORTERS = {
    'mysql': {'job': 'mysql', 'port': 9104},
    'mariadb': {'job': 'mysql', 'port': 9104},
    'postgres': {'job': 'postgres', 'port': 9187},
    'mongodb': {'job': 'mongodb', 'port': 9216},
}


def exporter_name(target):
    return target.get('exporter_name') or '%s-exporter' % target['name']


def prometheus_config(targets, scrape_interval='15s', evaluation_interval='15s', rule_files=None,
                      alertmanager=None, external_labels=None):
    """Prometheus's configuration (a dict) scraping one exporter per database container.

    ``targets``: [{name, engine, labels?}]; every exporter is reached by its
    container name on the monitoring network; ``instance`` is the database
    container's name, so alerts name the database, not the exporter.
    """
    jobs = {}
    for target in targets or []:
        if not isinstance(target, dict) or not target.get('name') or target.get('engine') not in EXPORTERS:
            raise AnsibleFilterError('every monitoring target needs a name and an engine in %s: got %r'
                                     % (', '.join(sorted(EXPORTERS)), target))
        exporter = EXPORTERS[target['engine']]
        labels = dict(target.get('labels') or {})
        labels.update({'instance': target['name'], 'engine': target['engine']})
        jobs.setdefault(exporter['job'], []).append({
            'targets': ['%s:%d' % (exporter_name(target), exporter['port'])],
            'labels': dict((str(k), str(v)) for k, v in labels.items()),
        })
    config = {
        'global': {'scrape_interval': scrape_interval, 'evaluation_interval': evaluation_interval},
        'rule_files': list(rule_files or []),
        'scrape_configs': [{'job_name': 'prometheus', 'static_configs': [{'targets': ['localhost:9090']}]}],
    }
    if external_labels:
        config['global']['external_labels'] = dict(external_labels)
    for job in sorted(jobs):
        config['scrape_configs'].append({'job_name': job, 'static_configs': jobs[job]})
    if alertmanager:
        config['alerting'] = {'alertmanagers': [{'static_configs': [{'targets': [alertmanager]}]}]}
        config['scrape_configs'].append({'job_name': 'alertmanager', 'static_configs': [{'targets': [alertmanager]}]})
    return config


def inventory_targets(target_groups, groups, hostvars):
    """The monitoring targets of the inventory: every host of the groups named in ``target_groups``
    (keys mysql, postgres, mongodb), by the variables of the engine roles."""
    target_groups = dict(target_groups or {})
    unknown = sorted(set(target_groups) - set(['mysql', 'postgres', 'mongodb']))
    if unknown:
        raise AnsibleFilterError('monitoring_target_groups has keys %s: use mysql, postgres and mongodb'
                                 % ', '.join(unknown))
    found = []
    for host in (groups or {}).get(target_groups.get('mysql'), []) if target_groups.get('mysql') else []:
        variables = hostvars[host]
        flavor = variables.get('mysql_flavor') or 'mariadb'
        found.append({'name': variables.get('mysql_container_name') or flavor, 'engine': flavor})
    for host in (groups or {}).get(target_groups.get('postgres'), []) if target_groups.get('postgres') else []:
        variables = hostvars[host]
        found.append({'name': variables.get('postgresql_container_name') or 'postgresql', 'engine': 'postgres',
                      'database': variables.get('postgresql_database') or 'postgres'})
    for host in (groups or {}).get(target_groups.get('mongodb'), []) if target_groups.get('mongodb') else []:
        variables = hostvars[host]
        found.append({'name': variables.get('mongodb_container_name') or 'mongodb', 'engine': 'mongodb'})
    return found


def alert_rules_for(rules, overrides=None):
    """Alert rules (a parsed rule file) with ``for:`` replaced for the alerts named in overrides."""
    overrides = dict(overrides or {})
    result = copy.deepcopy(rules)
    names = set()
    for group in result.get('groups') or []:
        for rule in group.get('rules') or []:
            name = rule.get('alert')
            names.add(name)
            if name in overrides:
                rule['for'] = str(overrides[name])
    return result


def alert_names(rules):
    """Every alert name of a parsed rule file."""
    return [rule['alert'] for group in rules.get('groups') or [] for rule in group.get('rules') or []
            if 'alert' in rule]


class FilterModule(object):
    def filters(self):
        return {
            'prometheus_config': prometheus_config,
            'alert_rules_for': alert_rules_for,
            'alert_names': alert_names,
            'monitoring_inventory_targets': inventory_targets,
            'monitoring_exporter_name': exporter_name,
        }
