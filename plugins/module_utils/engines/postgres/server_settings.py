# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL: the image's own server judges the rendered postgresql.conf before anything changes.

A throw-away container of the target image (no network, no volume of the real container) gets the
rendered file where the real container reads it (``/etc/postgresql/postgresql.conf``) and runs, as the
image's postgres user:

* ``postgres -D <empty directory> -c config_file=<file> -C data_directory``: the server reads the file the
  way it does at start and checks every name, type, unit, range and enum value, then prints one setting
  and exits. An empty directory is enough (-C reads no data); the real data volume is never mounted.
  PostgreSQL reports every bad line ("invalid value for parameter ...", "... is outside the valid range
  for parameter ... (1 .. 262143)", "unrecognized configuration parameter ...") with its own HINT.
* ``postgres --describe-config``: the server's catalogue (name, context, type, minimum, maximum), for the
  closest valid name of a misspelled one and for the fix when the server gives no hint.

Both take milliseconds; the container around them takes the time (a few tenths of a second). The
catalogue is therefore read in the same container on every check rather than cached per image id on disk:
a cache would save nothing measurable, and a module that writes files on the Docker host in check mode
would be a surprise.

A name under the prefix of a library shared_preload_libraries loads (``pg_stat_statements.max``) is a
placeholder until the library loads at the real start, which then drops an unknown one with a WARNING and
starts: only when there is such a setting, a throw-away ``initdb`` and one single-user session with the
rendered file judge them (seconds; check_extension_settings). The libraries the settings load must be in the
server's $libdir (a missing shared_preload_libraries entry stops the server).

Not checked here: a name under the prefix of a library that is not preloaded (a placeholder the server
keeps), and files the settings name (ssl_cert_file, hba_file), which exist only in the real container.
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

MARKER = '@@dbops-server-check@@'
TIMEOUT = 120
# An empty directory for -D (the server only checks that it exists, and is private to its user).
SCRATCH_DIR = '/tmp/dbops-settings-check'

_LOG_LINE = re.compile(r'^(?:\S+ \S+ \S+ \[\d+\] )?(LOG|FATAL|ERROR|WARNING|HINT|DETAIL):\s+(.*)$')
_UNKNOWN = re.compile(r'unrecognized configuration parameter "([^"]+)"')
_INVALID = re.compile(r'invalid value for parameter "([^"]+)": "(.*)"')
_RANGE = re.compile(r'^(.*) is outside the valid range for parameter "([^"]+)" \((.*) \.\. (.*)\)')
_TYPED = re.compile(r'parameter "([^"]+)" requires an? (\w+) value')
_SYNTAX = re.compile(r'syntax error in file "[^"]*" line (\d+)')

_UNITS_HINT = ('a number in the parameter\'s own unit, or with a unit: memory B, kB, MB, GB, TB; time us, ms, s, '
               'min, h, d')


# Settings whose libraries the server loads (at start for shared_preload_libraries: a missing one is FATAL).
LIBRARY_SETTINGS = ('shared_preload_libraries', 'session_preload_libraries', 'local_preload_libraries')
MISSING = '@@dbops-missing-library'


def libraries(settings):
    """[(setting, library as written, path to look for)] of the settings that load libraries; a name without
    a directory is looked for in the server's $libdir, with or without .so (as the server does)."""
    found = []
    for setting in LIBRARY_SETTINGS:
        for library in str(settings.get(setting) or '').split(','):
            library = library.strip().strip('"').strip()
            if not library:
                continue
            path = library[len('$libdir/'):] if library.startswith('$libdir/') else library
            found.append((setting, library, path))
    return found


def script(config_path, settings=None):
    """The shell script of the throw-away container: the libraries the settings load, the check, its exit code,
    then the catalogue."""
    checks = []
    for _setting, library, path in libraries(settings or {}):
        # Every name the user wrote is quoted for the shell: it reaches the script as data only.
        if path.startswith('/'):
            candidates = [shlex_quote(path)]
        else:
            candidates = ['"$libdir"/%s' % shlex_quote(path), '"$libdir"/%s' % shlex_quote(path + '.so')]
        found = ' || '.join('[ -e %s ]' % candidate for candidate in candidates)
        checks.append('{ %s; } || echo "%s "%s' % (found, MISSING, shlex_quote(library)))
    libdir = 'libdir="$(dirname "$(readlink -f "$(command -v postgres)")")/../lib"; ' if checks else ''
    return ('{libdir}{checks}mkdir -p -m 700 {scratch} && postgres -D {scratch} -c config_file={config} '
            '-C data_directory 2>&1; echo "{marker} $?"; postgres --describe-config 2>/dev/null'
            .format(libdir=libdir, checks=''.join(check + '; ' for check in checks), scratch=SCRATCH_DIR,
                    config=config_path, marker=MARKER))


def check(adapter, docker, image, version, settings, config_text, user_settings):
    """Raise DbopsError naming the first setting the server refuses; returns warnings."""
    where = '%s %s' % (adapter.label, format_version(version))
    config_path = '%s/%s' % (adapter.config_dir, adapter.config_file)
    try:
        code, output = docker.run_once(
            image, ['sh', '-c', script(config_path, settings)], [], [], user=str(adapter.runtime_uid),
            timeout=TIMEOUT, files=[FileEntry(config_path.lstrip('/'), config_text, mode=0o644)])
    except (APIError, DockerException) as exc:
        # An image without a shell, say: the check cannot run, the catalog's has.
        code, output = None, 'docker: %s' % exc
    lines, status, catalogue_text = split_output(output)
    if status is None or status == 127:
        return ['the server of image %s could not be run to check the settings (%s): they were checked against '
                'the catalog of %s only' % (image, ' / '.join(lines[-3:]) or 'exit code %s' % code, where)]
    catalogue = parse_catalogue(catalogue_text)
    names = user_names(adapter, user_settings, version)
    for library in missing_libraries(lines):
        setting = next((setting for setting, written, _path in libraries(settings) if written == library),
                       'shared_preload_libraries')
        raise DbopsError('%s has no library %s in the image %s, and %s loads it (the server would not start); '
                         'nothing was changed: correct the name or use an image that ships it'
                         % (where, library, image, setting), 'settings.%s' % names.get(setting, setting))
    problems = parse_output(lines, config_text)
    for problem in problems:
        name = problem['name']
        raise DbopsError(message(problem, where, catalogue, name in names, settings),
                         'settings.%s' % names.get(name, name))
    if status != 0:
        said = [text for level, text in (_split(line) for line in lines) if level in ('FATAL', 'ERROR')]
        raise DbopsError('%s refuses the configuration (%s); nothing was changed: correct the settings'
                         % (where, ' / '.join(said) or 'exit code %s' % status), 'settings')
    if extension_settings(settings):
        check_extension_settings(docker, image, adapter, where, config_path, config_text, settings, names)
    return []


def extension_settings(settings):
    """The settings under the prefix of a library shared_preload_libraries loads (pg_stat_statements.max)."""
    prefixes = set(path.rsplit('/', 1)[-1].split('.so')[0] for setting, _library, path in libraries(settings)
                   if setting == 'shared_preload_libraries')
    return sorted(name for name in settings if '.' in name and name.split('.', 1)[0] in prefixes)


def extension_script(config_path):
    """A throw-away cluster, and one single-user session with the libraries loaded: the server reads the
    settings of their prefixes only then (it drops an unknown one with a WARNING and starts)."""
    return ('initdb -D {scratch} --no-sync -A trust -U postgres >/dev/null 2>&1 || echo "{marker} initdb failed"; '
            'echo "SELECT name FROM pg_settings WHERE name LIKE \'%.%\';" | postgres --single -D {scratch} '
            '-c config_file={config} -c shared_buffers=16MB -c huge_pages=off postgres 2>&1; echo "{marker} $?"'
            .format(scratch=SCRATCH_DIR, config=config_path, marker=MARKER))


_RESERVED = re.compile(r'invalid configuration parameter name "([^"]+)", removing it')
_KNOWN = re.compile(r'\d+: name = "([^"]+)"')


def check_extension_settings(docker, image, adapter, where, config_path, config_text, settings, names):
    """Refuse a setting under a preloaded library's prefix that the library does not know (or whose value it
    refuses): a throw-away initdb and single-user session, only when there are such settings (seconds)."""
    try:
        _code, output = docker.run_once(
            image, ['sh', '-c', extension_script(config_path)], [], [], user=str(adapter.runtime_uid),
            timeout=TIMEOUT, files=[FileEntry(config_path.lstrip('/'), config_text, mode=0o644)])
    except (APIError, DockerException):
        return
    known = set(_KNOWN.findall(output))
    for line in output.splitlines():
        _level, text = _split(line)
        match = _RESERVED.search(text)
        if match:
            name = match.group(1)
            suggestion = closest(name, known)
            raise DbopsError('%s has no setting %s: the library that owns its prefix does not know it and the '
                             'server drops it at start (server: %s); nothing was changed: %s' % (
                                 where, name, text, 'did you mean %s?' % suggestion if suggestion
                                 else 'remove it or check its name in the extension\'s manual'),
                             'settings.%s' % names.get(name, name))
    for problem in parse_output(output.splitlines(), config_text):
        if problem['name'] in settings and problem['kind'] != 'syntax':
            raise DbopsError(message(problem, where, {}, problem['name'] in names, settings),
                             'settings.%s' % names.get(problem['name'], problem['name']))


def missing_libraries(lines):
    """The libraries the script did not find, and the lines without them."""
    found = [line[len(MISSING):].strip() for line in lines if line.startswith(MISSING)]
    lines[:] = [line for line in lines if not line.startswith(MISSING)]
    return found


def split_output(output):
    """(the check's log lines, its exit code or None, the --describe-config text)."""
    before, marker, after = output.partition(MARKER)
    if not marker:
        return before.splitlines(), None, ''
    status_line, _newline, catalogue = after.partition('\n')
    try:
        status = int(status_line.strip())
    except ValueError:
        status = None
    return before.splitlines(), status, catalogue


def user_names(adapter, user_settings, version):
    """{name the server uses: name the user wrote}, translated names included."""
    names = {}
    for raw_name, value in (user_settings or {}).items():
        names[adapter.normalize_name(raw_name)] = raw_name
        try:
            translated, _warnings = adapter.validate_settings({raw_name: value}, version)
        except DbopsError:
            continue
        for name in translated:
            names.setdefault(name, raw_name)
    return names


def parse_catalogue(text):
    """{name: {'context', 'type', 'min', 'max'}} from ``postgres --describe-config`` (tab-separated)."""
    catalogue = {}
    for line in text.splitlines():
        fields = line.split('\t')
        if len(fields) < 7:
            continue
        catalogue[fields[0]] = {'context': fields[1], 'type': fields[3], 'min': fields[5], 'max': fields[6]}
    return catalogue


def _split(line):
    match = _LOG_LINE.match(line.strip())
    return (match.group(1), match.group(2).strip()) if match else (None, line.strip())


def _line_setting(config_text, number):
    """The setting on line ``number`` (1-based) of the rendered file."""
    lines = config_text.splitlines()
    if 0 < number <= len(lines):
        return lines[number - 1].split('=', 1)[0].strip()
    return None


def parse_output(lines, config_text):
    """The settings the server refuses, in its order: dicts with kind ('unknown', 'invalid', 'range',
    'type', 'syntax'), name, value, said (the server's message), hint (its HINT or DETAIL), and for 'range'
    low and high."""
    found = []
    for line in lines:
        level, text = _split(line)
        if level in ('HINT', 'DETAIL'):
            if found and not found[-1].get('hint'):
                found[-1]['hint'] = text
            continue
        problem = _problem(text, config_text)
        if problem:
            problem['said'] = text
            found.append(problem)
    return found


def _problem(text, config_text):
    match = _UNKNOWN.search(text)
    if match:
        return {'kind': 'unknown', 'name': match.group(1)}
    match = _INVALID.search(text)
    if match:
        return {'kind': 'invalid', 'name': match.group(1), 'value': match.group(2)}
    match = _RANGE.search(text)
    if match:
        return {'kind': 'range', 'name': match.group(2), 'value': match.group(1), 'low': match.group(3),
                'high': match.group(4)}
    match = _TYPED.search(text)
    if match:
        return {'kind': 'type', 'name': match.group(1), 'type': match.group(2)}
    match = _SYNTAX.search(text)
    if match:
        return {'kind': 'syntax', 'name': _line_setting(config_text, int(match.group(1))) or 'settings'}
    return None


def closest(name, catalogue):
    matches = difflib.get_close_matches(name, sorted(catalogue), n=1, cutoff=0.7)
    return matches[0] if matches else None


def fix_for(problem, catalogue):
    """What to write instead: the server's hint, else what its catalogue says of the setting."""
    if problem['kind'] == 'range':
        return 'set a value from %s to %s' % (problem['low'], problem['high'])
    entry = catalogue.get(problem['name'])
    if problem['kind'] == 'unknown':
        suggestion = closest(problem['name'], catalogue)
        return 'did you mean %s?' % suggestion if suggestion else 'remove it or check its name in the manual'
    hint = problem.get('hint')
    if hint and hint.startswith('Available values:'):
        return 'use one of %s' % hint[len('Available values:'):].strip().rstrip('.')
    if hint:
        return hint
    if entry is None:
        return 'correct the value'
    if entry['type'] == 'BOOLEAN':
        return 'use on or off'
    if entry['type'] == 'INTEGER':
        return 'use %s, from %s to %s' % (_UNITS_HINT, entry['min'], entry['max'])
    if entry['type'] == 'REAL':
        return 'use a number from %s to %s' % (entry['min'], entry['max'])
    return 'use a value the PostgreSQL manual lists for %s' % problem['name']


def message(problem, where, catalogue, users_own, settings):
    name = problem['name']
    value = settings.get(name, problem.get('value'))
    derived = '' if users_own else (' (a value db_container derived from memory, cpus and profile: set '
                                    'settings.%s yourself)' % name)
    if problem['kind'] == 'unknown':
        return '%s has no setting %s (server: %s); nothing was changed: %s' % (
            where, name, problem['said'], fix_for(problem, catalogue))
    if problem['kind'] == 'syntax':
        return ('%s cannot read the line of %s in the configuration (server: %s); nothing was changed: correct '
                'its value' % (where, name, problem['said']))
    return '%s refuses %s=%s (server: %s)%s; nothing was changed: %s' % (
        where, name, value, problem['said'], derived, fix_for(problem, catalogue))
