# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first task of every role: its variables checked before anything is created.

Ansible validates a role's meta/argument_specs.yml when the role starts (types, choices,
required) but accepts any variable the spec does not name, so a misspelled variable is
silently ignored, and it has no ranges or formats. This action adds both:

* every variable visible to the task whose name starts with the role's prefix
  (``mysql_cluster_`` for the mysql_cluster role) must be an option of the spec, a name
  the role sets itself (set_fact, register, vars/), or belong to a sibling role with a
  longer prefix (``mysql_cluster_*`` is not the mysql role's business); an unknown one is
  refused with the closest option name;
* options whose description has a line ``Checked: ...`` are checked against it (ports,
  sizes, Prometheus durations, integer ranges, label names, ...). The constraint lives
  in the description because ansible-lint's and ansible-test's schemas refuse any key
  of their own in an option, and so the option reference says what is checked.

The pure functions below hold the logic; ``ActionModule`` only gathers the variables.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import fnmatch
import os
import re

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.six import string_types
from ansible.plugins.action import ActionBase

try:  # the collection's size grammar, the one db_container reads (4g, 512M, 2GiB)
    from ansible_collections.dbops.containers.plugins.module_utils.common.sizes import parse_size
except ImportError:  # pragma: no cover - only when the collection is not installed as such
    parse_size = None

# A Prometheus duration (prometheus/common model.ParseDuration): units from the largest to the
# smallest, each at most once, for example 15s, 1m30s, 2h, 15d, 1y.
_DURATION_RE = re.compile(r'^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$')
# Prometheus label names, and Docker's names of containers, volumes and networks.
_LABEL_RE = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')
_DOCKER_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
_URL_RE = re.compile(r'^https?://[^\s/]+(/\S*)?$')
# [address:]host_port:container_port[/protocol]; IPv6 addresses in brackets.
_PUBLISHED_RE = re.compile(r'^(?:(?P<address>\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):)?'
                           r'(?P<host>\d*):(?P<container>\d+)(?:/(?P<protocol>tcp|udp|sctp))?$')

# The phrases a ``Checked:`` line may use; each constraint is one of them, optionally ending
# in ", or empty" (then "" passes: the option's "none"/"derived" value).
CONSTRAINTS = [
    (re.compile(r'^a port \(1 to 65535\)$'), lambda m: ('int', 1, 65535)),
    (re.compile(r'^an integer from (\d+) to (\d+)$'), lambda m: ('int', int(m.group(1)), int(m.group(2)))),
    (re.compile(r'^an integer of at least (\d+)$'), lambda m: ('int', int(m.group(1)), None)),
    (re.compile(r'^a number greater than (\d+(?:\.\d+)?)$'), lambda m: ('number', float(m.group(1)), None)),
    (re.compile(r'^a number from (\d+(?:\.\d+)?) to (\d+(?:\.\d+)?)$'),
     lambda m: ('range', float(m.group(1)), float(m.group(2)))),
    (re.compile(r'^a size such as 512m or 4g$'), lambda m: ('size',)),
    (re.compile(r'^a Prometheus duration such as 15s or 1m30s$'), lambda m: ('duration',)),
    (re.compile(r'^published ports \(\[address:\]host:container\[/protocol\]\)$'), lambda m: ('published_ports',)),
    (re.compile(r'^a Docker name$'), lambda m: ('docker_name',)),
    (re.compile(r'^an http or https URL$'), lambda m: ('url',)),
    (re.compile(r'^Prometheus label names$'), lambda m: ('label_names',)),
    (re.compile(r'^rule file names \(files/rules/NAME\.yml of the role or of the playbook\)$'),
     lambda m: ('rule_files',)),
    (re.compile(r'^alert names of the loaded rule files, each with a Prometheus duration$'),
     lambda m: ('alert_for',)),
]
_CHECKED_RE = re.compile(r'(?:^|\s)Checked: (.+?)\.?\s*$', re.S)


class SpecError(Exception):
    """A ``Checked:`` line the vocabulary above does not know (a bug in the role, not in the input)."""


def description_text(option):
    description = option.get('description') or ''
    if isinstance(description, list):
        return '\n'.join(str(line) for line in description)
    return str(description)


def parse_checked(option, name='option'):
    """The constraints of an option: [(kind, ..., allow_empty)], from its description's ``Checked:`` line."""
    found = None
    for line in description_text(option).split('\n'):
        match = _CHECKED_RE.search(line.strip())
        if match:
            found = match.group(1).strip()
    if not found:
        return []
    constraints = []
    for phrase in found.split('; '):
        phrase = phrase.strip().rstrip('.')
        allow_empty = phrase.endswith(', or empty')
        if allow_empty:
            phrase = phrase[:-len(', or empty')]
        for pattern, build in CONSTRAINTS:
            matched = pattern.match(phrase)
            if matched:
                constraints.append(build(matched) + (allow_empty,))
                break
        else:
            raise SpecError('%s: the description says "Checked: %s", which is not one of the known constraints'
                            % (name, phrase))
    return constraints


def _is_empty(value):
    return value is None or (isinstance(value, string_types) and value.strip() == '') or value == [] or value == {}


def check_duration(value):
    """None when value is a Prometheus duration above zero, else the reason."""
    text = str(value).strip()
    match = _DURATION_RE.match(text) if text else None
    if not match:
        return ('%r is not a Prometheus duration: write a number with a unit, the units from the largest '
                '(y, w, d, h, m, s, ms), e.g. 15s, 1m30s or 2h' % (value,))
    if not any(int(part) for part in match.groups() if part):
        return '%r must be greater than zero' % (value,)
    return None


def check_port_number(text, what):
    try:
        number = int(text)
    except (TypeError, ValueError):
        return '%s %r is not a port number' % (what, text)
    if not 1 <= number <= 65535:
        return '%s %r is out of range: a port is from 1 to 65535' % (what, text)
    return None


def check_published_port(value):
    match = _PUBLISHED_RE.match(str(value).strip())
    if not match:
        return ('%r is not a published port: write [address:]host_port:container_port[/tcp|udp], '
                'e.g. 127.0.0.1:9090:9090' % (value,))
    for what in ('host', 'container'):
        if match.group(what):
            problem = check_port_number(match.group(what), '%s port of %r:' % (what, value))
            if problem:
                return problem
    return None


def _check_int(value, low, high):
    if isinstance(value, bool):
        return 'expected an integer, got %r' % (value,)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 'expected an integer, got %r' % (value,)
    if high is not None and low == 1 and high == 65535 and not low <= number <= high:
        return '%r is out of range: a port is from 1 to 65535' % (value,)
    if number < low or (high is not None and number > high):
        bounds = 'from %d to %d' % (low, high) if high is not None else 'at least %d' % low
        return '%r is out of range: %s' % (value, bounds)
    return None


def check_value(kind, value, context=None):
    """None when ``value`` satisfies the constraint ``kind`` (a tuple), else the reason.

    ``context`` carries what some constraints need: ``rule_names`` (the rule files found)
    and ``alert_names`` (the alerts of the loaded rule files)."""
    context = context or {}
    name = kind[0]
    if name == 'int':
        return _check_int(value, kind[1], kind[2])
    if name == 'number':
        try:
            number = float(str(value).strip())
        except (TypeError, ValueError):
            return 'expected a number, got %r' % (value,)
        if number <= kind[1]:
            return '%r must be greater than %s' % (value, ('%g' % kind[1]))
        return None
    if name == 'range':
        try:
            number = float(str(value).strip())
        except (TypeError, ValueError):
            return 'expected a number, got %r' % (value,)
        if not kind[1] <= number <= kind[2]:
            return '%r is out of range: from %g to %g' % (value, kind[1], kind[2])
        return None
    if name == 'size':
        if parse_size is None:  # pragma: no cover
            return None
        try:
            parse_size(value, None)
        except Exception as exc:  # DbopsError: the reason, in the collection's words
            return str(exc)
        return None
    if name == 'duration':
        return check_duration(value)
    if name == 'published_ports':
        items = value if isinstance(value, list) else [value]
        for item in items:
            problem = check_published_port(item)
            if problem:
                return problem
        return None
    if name == 'docker_name':
        if not _DOCKER_NAME_RE.match(str(value)):
            return ('%r is not a valid Docker name: letters, digits, _ . - only, starting with a letter or digit'
                    % (value,))
        return None
    if name == 'url':
        if not _URL_RE.match(str(value).strip()):
            return '%r is not an http:// or https:// URL' % (value,)
        return None
    if name == 'label_names':
        keys = list(value) if isinstance(value, dict) else []
        if not isinstance(value, dict):
            return 'expected a dict of label names, got %r' % (value,)
        bad = [key for key in keys if not _LABEL_RE.match(str(key))]
        if bad:
            return ('%s: not Prometheus label names (letters, digits and _, not starting with a digit)'
                    % ', '.join(repr(key) for key in sorted(bad, key=str)))
        return None
    if name == 'rule_files':
        known = sorted(context.get('rule_names') or [])
        for item in value if isinstance(value, list) else [value]:
            if str(item) not in known:
                hint = closest_hint(str(item), known)
                return '%r is not a rule file%s (known: %s)' % (item, hint, ', '.join(known))
        return None
    if name == 'alert_for':
        if not isinstance(value, dict):
            return 'expected a dict of alert names to durations, got %r' % (value,)
        known = sorted(context.get('alert_names') or [])
        for alert in sorted(value, key=str):
            if str(alert) not in known:
                return ('%r is not an alert of the loaded rule files%s' % (alert, closest_hint(str(alert), known)))
            problem = check_duration(value[alert])
            if problem:
                return 'alert %s: %s' % (alert, problem)
        return None
    raise SpecError('unknown constraint %r' % (kind,))


def sentence(text):
    """text as a sentence: ending in one full stop or question mark."""
    text = text.rstrip()
    return text if text.endswith(('.', '?')) else text + '.'


def closest_hint(name, candidates):
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return '; did you mean %s?' % close[0] if close else ''


def check_option(name, option, value, context=None):
    """The problems of one option's value (a list of messages naming it)."""
    problems = []
    constraints = parse_checked(option, name)
    scalar = not any(kind[0] in ('published_ports', 'label_names', 'rule_files', 'alert_for') for kind in constraints)
    for kind in constraints:
        allow_empty = kind[-1]
        kind = kind[:-1]
        if _is_empty(value):
            if not allow_empty and value is not None:
                problems.append('%s: must not be empty' % name)
            continue
        if isinstance(value, list) and scalar:
            for index, item in enumerate(value):
                problem = None if (allow_empty and _is_empty(item)) else check_value(kind, item, context)
                if problem:
                    problems.append('%s[%d]: %s' % (name, index, problem))
        else:
            problem = check_value(kind, value, context)
            if problem:
                problems.append('%s: %s' % (name, problem))
    # Suboptions (a list of dicts or a dict): each element's own checked keys.
    suboptions = option.get('options') or {}
    if suboptions and not _is_empty(value):
        elements = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, element in elements:
            if not isinstance(element, dict):
                continue
            for key, sub in suboptions.items():
                if key in element:
                    label = '%s.%s' % (name, key) if index is None else '%s[%s].%s' % (name, index, key)
                    problems.extend(check_option(label, sub, element[key], context))
    return problems


def split_names(names, prefix, options, own, other_prefixes, ignored=()):
    """The variable names under ``prefix`` that nothing explains: [(name, closest option or None)]."""
    unknown = []
    for name in sorted(names):
        if not name.startswith(prefix) or name in options or name in own:
            continue
        if any(name.startswith(other) for other in other_prefixes):
            continue
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in ignored):
            continue
        # Compared without the prefix they all share, which would make any two names look alike.
        suffixes = dict((option[len(prefix):], option) for option in options if option.startswith(prefix))
        close = difflib.get_close_matches(name[len(prefix):], sorted(suffixes), n=1, cutoff=0.6)
        unknown.append((name, suffixes[close[0]] if close else None))
    return unknown


def unknown_messages(unknown, role):
    messages = []
    for name, close in unknown:
        if close:
            messages.append('%s: not a variable of the %s role; did you mean %s?' % (name, role, close))
        else:
            messages.append('%s: not a variable of the %s role (see roles/%s/README.md for its variables)'
                            % (name, role, role))
    return messages


def _walk_names(data, prefix, found):
    """Names a role sets itself: mapping keys (set_fact, vars) and register/loop_var values."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, string_types) and key.startswith(prefix):
                found.add(key)
            if key in ('register', 'loop_var') and isinstance(value, string_types) and value.startswith(prefix):
                found.add(value)
            _walk_names(value, prefix, found)
    elif isinstance(data, list):
        for item in data:
            _walk_names(item, prefix, found)


def _walk_names_in(role_path, prefix, found):
    """The names under ``prefix`` that the role at ``role_path`` sets in its defaults, vars, tasks or handlers."""
    for folder in ('defaults', 'vars', 'tasks', 'handlers'):
        directory = os.path.join(role_path, folder)
        if not os.path.isdir(directory):
            continue
        for filename in sorted(os.listdir(directory)):
            if filename.endswith(('.yml', '.yaml')):
                _walk_names(_load_yaml(os.path.join(directory, filename)), prefix, found)
    return found


def _load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def load_role(role_path, entry_point='main'):
    """(prefix, options, own names, other roles' longer prefixes) of the role at ``role_path``."""
    role = os.path.basename(os.path.normpath(role_path))
    prefix = role + '_'
    spec_file = os.path.join(role_path, 'meta', 'argument_specs.yml')
    specs = (_load_yaml(spec_file) or {}).get('argument_specs') or {}
    options = (specs.get(entry_point) or {}).get('options') or {}
    own = set()
    _walk_names_in(role_path, prefix, own)
    siblings = os.path.dirname(os.path.normpath(role_path))
    others = sorted(other + '_' for other in os.listdir(siblings)
                    if other != role and (other + '_').startswith(prefix)
                    and os.path.isdir(os.path.join(siblings, other)))
    return prefix, options, own, others


def rule_context(role_path, playbook_dir, rule_files):
    """The rule files a monitoring role can load, and the alert names of those ``rule_files`` names."""
    found = {}
    bases = [os.path.join(playbook_dir, 'files', 'rules')] if playbook_dir else []
    # The playbook's own rule files first, as the role's file lookup finds them.
    for base in bases + [os.path.join(role_path, 'files', 'rules')]:
        if os.path.isdir(base):
            for filename in os.listdir(base):
                if filename.endswith('.yml'):
                    found.setdefault(filename[:-4], os.path.join(base, filename))
    alerts = set()
    for name in rule_files or []:
        path = found.get(str(name))
        if path:
            rules = _load_yaml(path) or {}
            for group in rules.get('groups') or []:
                for rule in group.get('rules') or []:
                    if 'alert' in rule:
                        alerts.add(rule['alert'])
    return {'rule_names': sorted(found), 'alert_names': sorted(alerts)}


class ActionModule(ActionBase):
    """Refuse unknown role variables and out-of-range values before the role does anything."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('role_path', 'entry_point', 'roles'))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        role_path = self._task.args.get('role_path') or task_vars.get('role_path')
        if not role_path:
            raise AnsibleError('check_role_variables runs inside a role (no role_path)')
        entry_point = self._task.args.get('entry_point') or 'main'
        role = os.path.basename(os.path.normpath(role_path))
        # A role that includes others (mysql_cluster includes mysql) checks their variables too, before
        # it creates its network: the included role's own check would come too late.
        included = self._task.args.get('roles') or []
        if isinstance(included, string_types):
            included = [included]
        ignored = task_vars.get('dbops_unchecked_variables') or []
        if isinstance(ignored, string_types):
            ignored = [ignored]
        ignored = [str(pattern) for pattern in ignored]
        names = [name for name in task_vars if isinstance(name, string_types)]

        problems, unknown, prefixes = [], [], []
        for path, point in [(role_path, entry_point)] + [
                (os.path.join(os.path.dirname(os.path.normpath(role_path)), str(other)), 'main') for other in included]:
            name = os.path.basename(os.path.normpath(path))
            try:
                prefix, options, own, others = load_role(path, point)
            except (OSError, yaml.YAMLError) as exc:
                raise AnsibleError('cannot read the argument specs of the %s role: %s' % (name, exc))
            if path != role_path:
                # what the including role hands the included one (include_role vars) is its business
                _walk_names_in(role_path, prefix, own)
            prefixes.append(prefix)
            found = split_names(names, prefix, options, own, others, ignored)
            unknown.extend(found)
            problems.extend(unknown_messages(found, name))
            problems.extend(self._value_problems(path, prefix, options, task_vars))

        result['changed'] = False
        result['unknown'] = [name for name, _close in unknown]
        if problems:
            result['failed'] = True
            result['problems'] = problems
            hint = ''
            if unknown:
                hint = (' A variable of your own under the prefix %s can be kept out of this check with '
                        'dbops_unchecked_variables (a list of names or patterns).' % ' or '.join(prefixes))
            result['msg'] = ('The %s role refuses its input and stopped before changing anything: %s%s'
                             % (role, ' '.join(sentence(problem) for problem in problems), hint))
        else:
            result['msg'] = "the %s role's variables are valid" % role
        return result

    def _value_problems(self, role_path, prefix, options, task_vars):
        """The checked options' values, templated as the role would see them."""
        values = {}
        for name, option in sorted(options.items()):
            if name not in task_vars:
                continue
            try:
                constraints = parse_checked(option, name)
            except SpecError as exc:
                raise AnsibleError(str(exc))
            if not constraints and not option.get('options'):
                continue
            try:
                values[name] = self._templar.template(task_vars[name])
            except Exception:  # noqa: BLE001 - an undefined variable: the role's own tasks say which
                continue
        context = {}
        if any(kind[0] in ('rule_files', 'alert_for') for option in options.values()
               for kind in parse_checked(option)):
            rule_files = values.get(prefix + 'rule_files')
            context = rule_context(role_path, task_vars.get('playbook_dir'),
                                   rule_files if isinstance(rule_files, list) else [])
        problems = []
        for name in sorted(values):
            problems.extend(check_option(name, options[name], values[name], context))
        return problems
