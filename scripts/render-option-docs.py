#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Write docs/reference/<module or role>.md from the modules' DOCUMENTATION and the roles'
meta/argument_specs.yml, as ansible-doc reads them (doc fragments merged), so the reference is the
argument specs and cannot say something else.

    scripts/render-option-docs.py            # rewrite docs/reference/ (after changing a spec)
    scripts/render-option-docs.py --check    # exit 1 and name the stale pages (tests/packaging runs it)
"""

from __future__ import absolute_import, division, print_function

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
REFERENCE = os.path.join(ROOT, 'docs', 'reference')
NAMESPACE, NAME = 'dbops', 'containers'
COLLECTION = '%s.%s' % (NAMESPACE, NAME)
HEADER = '<!-- Written by scripts/render-option-docs.py from the argument specs: edit those, then run it. -->'


# --- Ansible markup -> Markdown ---------------------------------------------------------------------
def _code(text):
    return '`%s`' % text.replace('`', "'")


def _module_link(name):
    short = name[len(COLLECTION) + 1:] if name.startswith(COLLECTION + '.') else None
    return '[%s](%s.md)' % (_code(short), short) if short else _code(name)


CODE = re.compile(r'\b(?:RV|O|V|C|E|P)\(((?:[^()]|\([^()]*\))*)\)')
MARKUP = [
    (re.compile(r'\bL\(([^,()]+),\s*([^()]+)\)'), lambda m: '[%s](%s)' % (m.group(1), m.group(2))),
    (re.compile(r'\bU\(([^()]+)\)'), lambda m: '<%s>' % m.group(1)),
    (re.compile(r'\bM\(([^()]+)\)'), lambda m: _module_link(m.group(1))),
    (re.compile(r'\bR\(([^,()]+),\s*[^()]+\)'), lambda m: m.group(1)),
    (re.compile(r'\bI\(([^()]+)\)'), lambda m: '*%s*' % m.group(1)),
    (re.compile(r'\bB\(([^()]+)\)'), lambda m: '**%s**' % m.group(1)),
    (re.compile(r'HORIZONTALLINE'), lambda m: '---'),
]


def _prose(text):
    """Text outside code: < and > escaped (a placeholder such as <name> is not an HTML tag), then markup."""
    text = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    for pattern, replace in MARKUP:
        text = pattern.sub(replace, text)
    return text


def markup(text):
    text, out, position = str(text), [], 0
    for match in CODE.finditer(text):
        out += [_prose(text[position:match.start()]), _code(match.group(1))]
        position = match.end()
    return ''.join(out + [_prose(text[position:])])


def paragraphs(value):
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [markup(item) for item in items]


def cell(text):
    return text.replace('|', '\\|').replace('\n', ' ')


def shown(value):
    if isinstance(value, str):
        return _code(value) if value else '`""`'
    return _code(json.dumps(value, sort_keys=True))


# --- pages ------------------------------------------------------------------------------------------
def option_rows(options, prefix=''):
    """Rows of the options table, suboptions after their parent (as parent.sub)."""
    rows = []
    for name in sorted(options):
        spec = options[name] or {}
        kind = spec.get('type', 'str')
        if kind == 'list' and spec.get('elements'):
            kind = 'list of %s' % spec['elements']
        facts = []
        if spec.get('required'):
            facts.append('**required**')
        if 'default' in spec and spec['default'] is not None:
            facts.append('default: %s' % shown(spec['default']))
        if spec.get('choices'):
            facts.append('choices: %s' % ', '.join(shown(c) for c in spec['choices']))
        if spec.get('aliases'):
            facts.append('aliases: %s' % ', '.join(_code(a) for a in spec['aliases']))
        if spec.get('no_log'):
            facts.append('secret (no_log)')
        text = ' '.join(paragraphs(spec.get('description')))
        rows.append('| %s | %s | %s | %s |' % (_code(prefix + name), kind, cell('<br>'.join(facts)), cell(text)))
        for key in ('suboptions', 'options'):
            if spec.get(key):
                rows += option_rows(spec[key], prefix + name + '.')
    return rows


def options_table(options):
    if not options:
        return ['No options.', '']
    return ['| option | type | | description |', '| --- | --- | --- | --- |'] + option_rows(options) + ['']


def return_rows(values, prefix=''):
    rows = []
    for name in sorted(values or {}):
        spec = values[name] or {}
        text = ' '.join(paragraphs(spec.get('description')))
        returned = cell(markup(spec.get('returned', '')))
        rows.append('| %s | %s | %s | %s |' % (_code(prefix + name), spec.get('type', ''), returned, cell(text)))
        if spec.get('contains'):
            rows += return_rows(spec['contains'], prefix + name + '.')
    return rows


def module_page(name, data):
    doc = data['doc']
    short = name.split('.')[-1]
    lines = [HEADER, '', '# %s' % short, '', '%s.' % markup(doc.get('short_description', '')).rstrip('.'), '']
    for text in paragraphs(doc.get('description')):
        lines += [text, '']
    if doc.get('requirements'):
        lines += ['## Requirements (on the host that runs the module)', '']
        lines += ['- %s' % markup(r) for r in doc['requirements']] + ['']
    lines += ['## Options', ''] + options_table(doc.get('options'))
    attributes = doc.get('attributes') or {}
    if attributes:
        lines += ['## Attributes', '', '| attribute | support | description |', '| --- | --- | --- |']
        for attribute in sorted(attributes):
            spec = attributes[attribute]
            lines.append('| %s | %s | %s |' % (attribute, spec.get('support', ''),
                                               cell(' '.join(paragraphs(spec.get('description'))))))
        lines.append('')
    if doc.get('notes'):
        lines += ['## Notes', ''] + ['- %s' % n for n in paragraphs(doc['notes'])] + ['']
    if data.get('return'):
        lines += ['## Return values', '', '| key | type | returned | description |', '| --- | --- | --- | --- |']
        lines += return_rows(data['return']) + ['']
    if data.get('examples'):
        lines += ['## Examples', '', '```yaml', data['examples'].strip('\n'), '```', '']
    return '\n'.join(lines).rstrip('\n') + '\n'


def role_page(name, data):
    short = name.split('.')[-1]
    lines = [HEADER, '', '# Role %s' % short, '']
    readme = os.path.join('roles', short, 'README.md')
    if os.path.exists(os.path.join(ROOT, readme)):
        lines += ['How to use it: [%s](../../%s).' % (readme, readme), '']
    for entry in sorted(data.get('entry_points', {})):
        spec = data['entry_points'][entry]
        title = 'Entry point `%s`' % entry if entry != 'main' else 'Variables'
        lines += ['## %s' % title, '']
        if spec.get('short_description'):
            lines += ['%s.' % markup(spec['short_description']).rstrip('.'), '']
        for text in paragraphs(spec.get('description')):
            lines += [text, '']
        lines += options_table(spec.get('options'))
    return '\n'.join(lines).rstrip('\n') + '\n'


def index_page(modules, roles):
    lines = [HEADER, '', '# Option reference', '',
             'Every option of every module and every variable of every role, rendered from the argument specs '
             '(the modules\' DOCUMENTATION, the roles\' `meta/argument_specs.yml`) by '
             '`scripts/render-option-docs.py`.', '', '## Modules', '']
    for name in sorted(modules):
        short = name.split('.')[-1]
        lines.append('- [%s](%s.md): %s' % (short, short, markup(modules[name]['doc'].get('short_description', ''))))
    lines += ['', '## Roles', '']
    for name in sorted(roles):
        short = name.split('.')[-1]
        main = roles[name].get('entry_points', {}).get('main', {})
        lines.append('- [%s](%s.md): %s' % (short, short, markup(main.get('short_description', ''))))
    return '\n'.join(lines) + '\n'


# --- reading the specs ------------------------------------------------------------------------------
def ansible_doc(kind, names, collections):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1',
               PYTHONWARNINGS='ignore')
    executable = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    command = [executable if os.path.exists(executable) else 'ansible-doc', '-t', kind, '--json'] + names
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit('ansible-doc -t %s failed:\n%s' % (kind, proc.stderr))
    found = json.loads(proc.stdout)
    missing = [n for n in names if n not in found]
    if missing:
        raise SystemExit('ansible-doc -t %s did not document %s:\n%s' % (kind, ', '.join(missing), proc.stderr))
    return found


def render_all():
    """{file name: text} for docs/reference/."""
    sources = glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py'))
    modules = sorted(os.path.splitext(os.path.basename(p))[0] for p in sources
                     if not os.path.basename(p).startswith('_'))
    roles = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
                   for p in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')))
    workdir = tempfile.mkdtemp(prefix='render-option-docs-')
    try:
        home = os.path.join(workdir, 'ansible_collections', NAMESPACE)
        os.makedirs(home)
        os.symlink(ROOT, os.path.join(home, NAME))
        module_docs = ansible_doc('module', ['%s.%s' % (COLLECTION, m) for m in modules], workdir)
        role_docs = ansible_doc('role', ['%s.%s' % (COLLECTION, r) for r in roles], workdir)
    finally:
        shutil.rmtree(workdir)
    pages = {'README.md': index_page(module_docs, role_docs)}
    for name, data in module_docs.items():
        pages[name.split('.')[-1] + '.md'] = module_page(name, data)
    for name, data in role_docs.items():
        pages[name.split('.')[-1] + '.md'] = role_page(name, data)
    return pages


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--check', action='store_true', help='compare with docs/reference/, write nothing')
    parser.add_argument('--reference', default=REFERENCE, help='the directory of the pages (docs/reference/)')
    args = parser.parse_args()
    reference = args.reference
    pages = render_all()
    existing = set(os.path.basename(p) for p in glob.glob(os.path.join(reference, '*.md')))
    stale = []
    for name, text in sorted(pages.items()):
        path = os.path.join(reference, name)
        current = open(path).read() if os.path.exists(path) else None
        if current != text:
            stale.append(name)
    extra = sorted(existing - set(pages))
    if args.check:
        if stale or extra:
            print('docs/reference/ is stale (run scripts/render-option-docs.py): %s'
                  % ', '.join(stale + ['%s (no such module or role)' % e for e in extra]))
            return 1
        print('docs/reference/ matches the argument specs (%d pages)' % len(pages))
        return 0
    if not os.path.isdir(reference):
        os.makedirs(reference)
    for name in stale:
        with open(os.path.join(reference, name), 'w') as handle:
            handle.write(pages[name])
    for name in extra:
        os.unlink(os.path.join(reference, name))
    print('docs/reference/: %d pages, %d written, %d removed' % (len(pages), len(stale), len(extra)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
