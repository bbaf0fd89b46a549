# -*- coding: utf-8 -*-
"""docs/reference/ is the argument specs rendered (scripts/render-option-docs.py): a spec changed without
rendering the reference again fails here, naming the stale pages."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCRIPT = os.path.join(ROOT, 'scripts', 'render-option-docs.py')


def test_the_committed_reference_matches_the_argument_specs():
    proc = subprocess.run([sys.executable, SCRIPT, '--check'], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_module_and_role_has_a_page_linked_from_the_index():
    modules = [os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'plugins', 'modules',
                                                                                        '*.py'))]
    roles = [p.split(os.sep)[-3] for p in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml'))]
    with open(os.path.join(ROOT, 'docs', 'reference', 'README.md')) as handle:
        index = handle.read()
    for name in modules + roles:
        assert os.path.exists(os.path.join(ROOT, 'docs', 'reference', name + '.md')), name
        assert '](%s.md)' % name in index, name
    with open(os.path.join(ROOT, 'README.md')) as handle:
        assert 'docs/reference/' in handle.read(), 'the README links the option reference'


def test_the_check_names_a_stale_page(tmp_path):
    """--check fails on a page that says something the specs do not (so the first test can fail)."""
    for page in glob.glob(os.path.join(ROOT, 'docs', 'reference', '*.md')):
        with open(page) as handle:
            (tmp_path / os.path.basename(page)).write_text(handle.read())
    page = tmp_path / 'db_tune_report.md'
    page.write_text(page.read_text().replace('default: `markdown`', 'default: `html`'))
    (tmp_path / 'db_gone.md').write_text('a module that no longer exists')
    proc = subprocess.run([sys.executable, SCRIPT, '--check', '--reference', str(tmp_path)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'db_tune_report.md' in proc.stdout and 'db_gone.md (no such module or role)' in proc.stdout
    assert 'db_container.md' not in proc.stdout
