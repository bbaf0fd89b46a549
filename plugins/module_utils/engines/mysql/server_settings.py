# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB: the image's own server judges the rendered my.cnf before anything changes.

A throw-away container of the target image (no network, no volume of the real container) gets the
rendered file where the real container reads it (``/etc/mysql/conf.d/zz-dbops.cnf``, included by the
images' ``my.cnf``) and runs the server binary in a mode that reads every option and stops:

* MySQL (8.0.16 and later): ``mysqld --validate-config --log-error-verbosity=2``. It fails on an unknown
  name or a value it cannot parse, and warns when it adjusts a value ("unsigned value 1000000 adjusted to
  100000") or does not recognise a boolean ("Set to OFF").
* MariaDB has no ``--validate-config``: ``mariadbd --verbose --help`` reads the same options, prints the
  same warnings and errors, and exits 7 on an unknown name. A bad value of a plugin's option (InnoDB) is
  an [ERROR] line with exit code 0, so the lines are judged, not the exit code.

A value the server would adjust is refused, naming the range the server allows: two more runs of the
server with the lowest and the highest number (on the command line, which wins over the file) make it
say its bounds. Unknown names get the closest name of the server's own catalogue (the variables table of
``--verbose --help``), read only when a name is unknown. The libraries plugin_load(_add) names must be in the
server's plugin_dir: the server starts without a plugin it cannot open, and ignores its variables.

Every server command takes milliseconds; the throw-away container around them takes the time (a few tenths
of a second), so nothing is cached between runs. A variable written ``loose-`` whose plugin this
configuration does not load (installed with INSTALL PLUGIN, in the data directory the throw-away container
does not have) cannot be judged: it gets a warning, unless the catalogue knows a close name.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import re

from ansible.module_utils.six.moves import shlex_quote

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import format_version
from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import (
    APIError, DockerException, FileEntry)
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.flavor import flavor_named

_NOT_CHECKED = 'not checked by'
# Separates the outputs of the commands one throw-away container runs.
MARKER = '@@dbops-server-check@@'
TIMEOUT = 120
# The extreme numbers a probe asks the server to adjust (64-bit signed minimum, unsigned maximum).
LOWEST, HIGHEST = '-9223372036854775808', '18446744073709551615'

_NUMBER = r'(-?[\d.]+(?:e[+-]?\d+)?)'
_ADJUSTED = re.compile(r"option '([\w-]+)': (?:unsigned |signed )?value %s adjusted to %s" % (_NUMBER, _NUMBER))
_BOOLEAN = re.compile(r"option '([\w-]+)': boolean value '(.*)' (?:was not|wasn't) recognized\. Set to (\w+)")
_UNKNOWN = re.compile(r"unknown (?:variable|option) '(?:--)?(loose-)?([^'=]+)(?:=([^']*))?'")
# MariaDB takes a unique prefix of a name ("gtid_strict_mod") with a [Note]; MySQL 8.0 refuses them.
_PREFIX = re.compile(r"Using unique option prefix '([^']+)' is error-prone.*full name '([^']+)'")
_SETTING_VALUE = re.compile(r"Error while setting value '(.*)' to '([\w-]+)'")
# The line before "Error while setting value" that says why, and which setting it names.
_WHY = (
    (re.compile(r"Unknown suffix '(.)' used for variable '([\w-]+)'"),
     'a number, optionally followed by one of the suffixes K, M, G, T, P, E (e.g. 512M)'),
    (re.compile(r"Invalid (?:decimal|integer|floating point) value for option '([\w-]+)'"), 'a number'),
    (re.compile(r"Incorrect (?:unsigned |signed )?(?:integer )?value: '.*' for ([\w-]+)"), 'a number of 0 or more'),
)
# Warnings about the throw-away container itself, not about a setting.
_NOISE = ('failed to retrieve the MAC address', 'Could not increase number of max_open_files',
          'Changed limits:', 'WSREP:', 'Could not open mysql.plugin table', 'Aborting', 'Buffered error:',
          'Parsing options for plugin')


def _variable(name):
    """A variable's name as SHOW VARIABLES spells it (the server's messages use dashes too)."""
    name = name.strip().lower().replace('-', '_')
    return name[len('loose_'):] if name.startswith('loose_') else name


class _Run(object):
    """What the server binary of one image needs to read the rendered configuration."""

    def __init__(self, adapter, docker, image, version):
        self.adapter = adapter
        self.docker = docker
        self.image = image
        self.where = '%s %s' % (adapter.label, format_version(version))
        flavor = flavor_named(adapter.name, version)
        if flavor.is_mariadb:
            self.binary, self.read_mode = 'mariadbd', '--verbose --help'
        else:
            self.binary, self.read_mode = 'mysqld', '--validate-config --log-error-verbosity=2'

    def run(self, script, config_text):
        """(exit code, output) of script in a throw-away container; (None, why) when Docker cannot run it."""
        path = '%s/%s' % (self.adapter.config_dir, self.adapter.config_file)
        try:
            return self.docker.run_once(
                self.image, ['sh', '-c', script], [], [], user=str(self.adapter.runtime_uid), timeout=TIMEOUT,
                files=[FileEntry(path.lstrip('/'), config_text, mode=0o644)])
        except (APIError, DockerException) as exc:
            return None, 'docker: %s' % exc

    def read_command(self, extra=''):
        # The server's log lines go to stderr; --help's own text (stdout) is not needed here.
        return '%s %s %s 2>&1 >/dev/null' % (self.binary, self.read_mode, extra)


def check(adapter, docker, image, version, settings, config_text, user_settings):
    """Raise DbopsError naming the first setting the server refuses or would adjust; returns warnings."""
    run = _Run(adapter, docker, image, version)
    if run.binary == 'mysqld' and version and tuple(version) < (8, 0, 16):
        return ['settings were checked against the catalog of %s only: mysqld --validate-config needs 8.0.16 '
                'or later' % run.where]
    code, output = run.run('%s%s; echo "%s $?"' % (plugin_checks(run.binary, settings), run.read_command(), MARKER),
                           config_text)
    lines, status = split_status(output)
    if status is None or status == 127:
        return ['the server of image %s could not be run to check the settings (%s): they were checked against '
                'the catalog of %s only' % (image, ' / '.join(lines[-3:]) or 'exit code %s' % code, run.where)]
    names = user_names(adapter, user_settings, version)
    for setting, library in missing_plugins(lines):
        # The server starts without a plugin it cannot open (an [ERROR] line in its log), and its
        # variables are then ignored: refused here, where it can still be corrected.
        raise DbopsError('%s has no plugin library %s in the image %s, and %s loads it (the server would start '
                         'without it); nothing was changed: correct the name or use an image that ships it'
                         % (run.where, library, image, setting), 'settings.%s' % names.get(setting, setting))
    warnings = []
    for problem in parse_output(lines):
        message = _judge(run, problem, settings, config_text, names)
        if message is None:
            continue
        if problem.get('loose') and message.startswith(_NOT_CHECKED):
            warnings.append('settings.%s: %s' % (names.get(problem['name'], problem['name']), message))
        elif problem['name'] in names or problem['kind'] in ('unknown', 'prefix', 'value'):
            raise DbopsError(message, 'settings.%s' % names.get(problem['name'], problem['name']))
        else:
            warnings.append('settings.%s: %s' % (problem['name'], message))
    if status != 0:
        server_lines = [_clean(line) for line in lines if '[ERROR]' in line and not _is_noise(line)]
        raise DbopsError('%s refuses the configuration (%s); nothing was changed: correct the settings'
                         % (run.where, ' / '.join(server_lines) or 'exit code %s' % status), 'settings')
    return warnings


PLUGIN_SETTINGS = ('plugin_load_add', 'plugin_load')
MISSING = '@@dbops-missing-plugin'


def plugins(settings):
    """[(setting, library)] of plugin_load and plugin_load_add ("name=library.so;library.so")."""
    found = []
    for setting in PLUGIN_SETTINGS:
        for item in str(settings.get(setting) or '').split(';'):
            library = item.split('=', 1)[-1].strip()
            if library:
                found.append((setting, library))
    return found


def plugin_checks(binary, settings):
    """Shell that says which plugin libraries are not in the server's plugin_dir (names quoted as data)."""
    # A name without an extension gets the platform's (.so), as the server does.
    checks = ['[ -e "$plugin_dir"/%s ] || [ -e "$plugin_dir"/%s ] || echo "%s %s "%s'
              % (shlex_quote(library), shlex_quote(library + '.so'), MISSING, setting, shlex_quote(library))
              for setting, library in plugins(settings)]
    if not checks:
        return ''
    return ('plugin_dir="$(%s --verbose --help 2>/dev/null | awk \'$1 == "plugin-dir" {print $2}\')"; %s; '
            % (binary, '; '.join(checks)))


def missing_plugins(lines):
    """[(setting, library)] the check did not find; their lines are taken out of ``lines``."""
    found = [tuple(line[len(MISSING):].strip().split(' ', 1)) for line in lines if line.startswith(MISSING)]
    lines[:] = [line for line in lines if not line.startswith(MISSING)]
    return found


def split_status(output):
    """(the server's log lines, its exit code) from the output of check()'s script."""
    lines, status = [], None
    for line in output.splitlines():
        if line.startswith(MARKER):
            try:
                status = int(line[len(MARKER):].strip())
            except ValueError:
                status = None
            continue
        lines.append(line)
    return lines, status


def user_names(adapter, user_settings, version):
    """{variable: the name the user wrote}, translated names included (expire_logs_days -> its replacement)."""
    names = {}
    for raw_name, value in (user_settings or {}).items():
        names[_variable(adapter.normalize_name(raw_name))] = raw_name
        try:
            translated, _warnings = adapter.validate_settings({raw_name: value}, version)
        except DbopsError:
            continue
        for name in translated:
            names.setdefault(_variable(name), raw_name)
    return names


def _is_noise(line):
    return any(text in line for text in _NOISE)


def _clean(line):
    """A server log line without its timestamp, thread and error code."""
    return re.sub(r'^.*?\[(ERROR|Warning|Note)\] (\[[^]]*\] )*(Buffered (error|warning): )?', '', line).strip().rstrip('.')


# The order problems are reported in: a value the server refuses explains a later "adjusted" line
# about the same setting (MySQL adjusts "lots" to 1 after refusing it).
_KINDS = ('unknown', 'prefix', 'value', 'boolean', 'adjusted')


def parse_output(lines):
    """The settings the server's lines complain about: dicts with kind ('unknown', 'prefix', 'value', 'boolean',
    'adjusted'), name (as SHOW VARIABLES spells it), value, used (what the server would use instead),
    said (the server's reason) and line (the server's own words), in the order of _KINDS."""
    found, why = [], {}
    for line in lines:
        if '[ERROR]' not in line and '[Warning]' not in line and '[Note]' not in line:
            continue
        text = _clean(line)
        for pattern, fix in _WHY:
            match = pattern.search(text)
            if match:
                why[_variable(match.groups()[-1])] = (text, fix)
        problem = _problem(text, why)
        if problem is None:
            continue
        problem['line'] = text
        earlier = [seen for seen in found if seen['name'] == problem['name']]
        if not earlier:
            found.append(problem)
        elif _KINDS.index(problem['kind']) < _KINDS.index(earlier[0]['kind']):
            found[found.index(earlier[0])] = problem
    return sorted(found, key=lambda problem: _KINDS.index(problem['kind']))


def _problem(text, why):
    match = _PREFIX.search(text)
    if match:
        return {'kind': 'prefix', 'name': _variable(match.group(1)), 'full': _variable(match.group(2))}
    match = _UNKNOWN.search(text)
    if match:
        return {'kind': 'unknown', 'name': _variable(match.group(2)), 'value': match.group(3),
                'loose': bool(match.group(1))}
    match = _SETTING_VALUE.search(text)
    if match:
        name = _variable(match.group(2))
        said, fix = why.get(name, (None, None))
        return {'kind': 'value', 'name': name, 'value': match.group(1), 'said': said, 'fix': fix}
    match = _ADJUSTED.search(text)
    if match:
        return {'kind': 'adjusted', 'name': _variable(match.group(1)), 'value': match.group(2),
                'used': match.group(3)}
    match = _BOOLEAN.search(text)
    if match:
        return {'kind': 'boolean', 'name': _variable(match.group(1)), 'value': match.group(2),
                'used': match.group(3)}
    return None


def parse_catalogue(help_text):
    """Every option and variable name ``--verbose --help`` lists, as SHOW VARIABLES spells them."""
    names = set()
    in_table = False
    for line in help_text.splitlines():
        option = re.match(r'^  (?:-\w, )?--([a-z0-9][\w-]*)', line)
        if option:
            names.add(_variable(option.group(1)))
        if line.startswith('-' * 20):
            in_table = True
            continue
        if in_table:
            if not line.strip():
                in_table = False
                continue
            names.add(_variable(line.split()[0]))
    return names


def parse_choices(help_text, name):
    """The values ``--verbose --help`` lists for an option ("One of: ..."; MariaDB writes them), else ()."""
    wanted = name.replace('_', '-')
    block, inside = [], False
    for line in help_text.splitlines():
        option = re.match(r'^  (?:-\w, )?--([a-z0-9][\w-]*)', line)
        if option:
            if inside:
                break
            inside = option.group(1).replace('_', '-') == wanted
            block = [line]
            continue
        if inside:
            block.append(line.strip())
    text = ' '.join(block)
    match = re.search(r'One of: ([\w,\s-]+)', text)
    if not match:
        return ()
    return tuple(choice.strip() for choice in match.group(1).split(',') if choice.strip())


def closest(name, catalogue):
    matches = difflib.get_close_matches(name, sorted(catalogue), n=1, cutoff=0.7)
    return matches[0] if matches else None


def _help_text(run, config_text):
    """The server's --verbose --help (its options and variables), with the rendered file read (plugins it
    loads add theirs) and without it (MySQL prints no table when the file has an error)."""
    _code, output = run.run('{ %s --verbose --help; %s --no-defaults --verbose --help; } 2>/dev/null'
                            % (run.binary, run.binary), config_text)
    return output


def bounds(run, name, config_text):
    """(lowest, highest) the server accepts for a numeric option, asked of the server itself: it adjusts
    the extreme numbers given on its command line (which wins over the file) to its bounds."""
    option = name.replace('_', '-')
    script = '; '.join('%s; echo "%s"' % (run.read_command('--%s=%s' % (option, value)), MARKER)
                       for value in (LOWEST, '0', HIGHEST))
    _code, output = run.run(script, config_text)
    chunks = output.split(MARKER)
    return probed_bounds([chunk.splitlines() for chunk in chunks[:3]] + [[]] * (3 - len(chunks[:3])), name)


def probed_bounds(outputs, name):
    """(lowest, highest) from the server's lines for the probes LOWEST, 0 and HIGHEST (None: not known)."""
    answers = []
    for probe, lines in zip((LOWEST, '0', HIGHEST), outputs):
        answer = 'accepted'
        # Line by line: the file's own value of the setting may be adjusted in the same output.
        for problem in [_problem(_clean(line), {}) for line in lines if '[ERROR]' in line or '[Warning]' in line]:
            if problem is None or problem['name'] != name:
                continue
            if problem['kind'] == 'adjusted' and _same_number(problem['value'], probe):
                answer = problem['used']
            elif problem['kind'] == 'value' and _same_number(problem['value'], probe):
                answer = 'refused'
        answers.append(answer)
    lowest, zero, highest = answers
    if lowest not in ('accepted', 'refused'):
        low = lowest
    elif lowest == 'accepted':
        low = LOWEST
    else:
        low = zero if zero not in ('accepted', 'refused') else '0'
    high = highest if highest not in ('accepted', 'refused') else (HIGHEST if highest == 'accepted' else None)
    return low, high


def _same_number(said, probe):
    """True when the server's number is the probe: a decimal option prints it rounded (MySQL -9.22337e+18,
    MariaDB -9e18), and the probes are far apart."""
    try:
        return said == probe or abs(float(said) - float(probe)) <= abs(float(probe)) * 0.1
    except ValueError:
        return False


def _judge(run, problem, settings, config_text, names):
    """The message for one problem, or None when it is about nothing the module wrote."""
    name, where = problem['name'], run.where
    wrote = dict((_variable(key), value) for key, value in settings.items())
    value = wrote.get(name, problem.get('value'))
    derived = '' if name in names else (' (a value db_container derived from memory, cpus and profile: '
                                        'set settings.%s yourself)' % name)
    if problem['kind'] == 'unknown':
        if name not in wrote:
            return None
        catalogue = parse_catalogue(_help_text(run, config_text))
        if name in catalogue:
            return ('%s refuses %s=%s (server: "%s"); nothing was changed: correct the value'
                    % (where, name, value, problem['line']))
        suggestion = closest(name, catalogue)
        if problem.get('loose') and not suggestion:
            # A plugin's variable (written loose-): its plugin may be installed in the data directory
            # (INSTALL PLUGIN), which the throw-away container does not have. The real start skips it
            # when the plugin is not loaded.
            return ('%s %s: the server knows it only once its plugin is loaded, and this configuration does '
                    'not load it (plugin_load_add); the server skips it at start while the plugin is not installed'
                    % (_NOT_CHECKED, where))
        return ('%s has no setting %s (server: "%s"); nothing was changed: %s' % (
            where, name, problem['line'],
            'did you mean %s?' % suggestion if suggestion else 'remove it or check its name in the manual'))
    if problem['kind'] == 'prefix':
        return ('%s reads %s only as an abbreviation of %s (server: "%s"); nothing was changed: write the full '
                'name %s' % (where, name, problem['full'], problem['line'], problem['full']))
    if problem['kind'] == 'value':
        fix = problem.get('fix')
        if not fix:
            choices = parse_choices(_help_text(run, config_text), name)
            fix = ('one of %s' % ', '.join(choices)) if choices else 'a value the %s manual lists for %s' % (
                run.adapter.label, name)
        return ('%s refuses %s=%s (server: "%s")%s; nothing was changed: use %s'
                % (where, name, value, problem.get('said') or problem['line'], derived, fix))
    if problem['kind'] == 'boolean':
        return ('%s does not read %s=%s as a boolean and would silently use %s%s; nothing was changed: use ON or '
                'OFF (or 1 or 0)' % (where, name, value, problem['used'], derived))
    low, high = bounds(run, name, config_text)
    allowed = 'from %s to %s' % (low, high) if high else 'from %s' % low
    if problem['used'] not in (low, high):
        return ('%s would silently use %s=%s instead of %s (it rounds the value to its block size; it allows '
                '%s)%s; nothing was changed: set %s' % (where, name, problem['used'], value, allowed, derived,
                                                        problem['used']))
    return ('%s=%s is outside the range %s allows (%s) and the server would silently use %s%s; nothing was '
            'changed: set a value %s' % (name, value, where, allowed, problem['used'], derived, allowed))
