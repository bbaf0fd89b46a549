# -*- coding: utf-8 -*-
"""The execution environment, built the way docs/awx.md says: the collection's tarball in the build context,
docs/examples/execution-environment.yml as the definition, and the collection's meta/execution-environment.yml
as the only source of its requirements (ansible-builder reads it while it builds the image)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)
BUILDER = os.path.join(BIN, 'ansible-builder')
GALAXY = os.path.join(BIN, 'ansible-galaxy')
DEFINITION = os.path.join(ROOT, 'docs', 'examples', 'execution-environment.yml')
TEST_TOOLS = ('pytest', 'molecule', 'ansible-lint', 'antsibull', 'ansible-builder', 'ansible-test', 'mock')


@pytest.fixture(scope='module')
def build(tmp_path_factory):
    """The work directory of docs/awx.md: the tarball in dist/, the definition, and the context ansible-builder
    creates from them. Nothing is written into the checkout."""
    if not os.path.exists(BUILDER):
        subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', 'ansible-builder'])
    work = tmp_path_factory.mktemp('ee')
    subprocess.check_call([GALAXY, 'collection', 'build', ROOT, '--output-path', str(work / 'dist')],
                          stdout=subprocess.DEVNULL)
    built = glob.glob(str(work / 'dist' / 'dbops-containers-*.tar.gz'))
    assert len(built) == 1, built
    os.rename(built[0], str(work / 'dist' / 'dbops-containers.tar.gz'))
    shutil.copy(DEFINITION, str(work / 'execution-environment.yml'))
    subprocess.check_call([BUILDER, 'create', '-f', 'execution-environment.yml', '-c', 'context',
                           '--output-filename', 'Containerfile'], cwd=str(work), stdout=subprocess.DEVNULL)
    return work


@pytest.fixture(scope='module')
def installed(build):
    """The galaxy stage of the Containerfile (cwd /build = the context's _build), into a directory of the test's
    own; the collection's dependencies come from Galaxy at image build time and are not needed here."""
    target = build / 'installed'
    # Only the test's directory counts as installed (not the checkout on ANSIBLE_COLLECTIONS_PATH).
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(target))
    subprocess.check_call([GALAXY, 'collection', 'install', '--no-deps', '--force', '-r', 'requirements.yml',
                           '-p', str(target)], cwd=str(build / 'context' / '_build'), env=env,
                          stdout=subprocess.DEVNULL)
    return target


@pytest.fixture(scope='module')
def introspected(installed):
    """What the builder stage's introspect step reads from the installed collection."""
    output = subprocess.check_output([BUILDER, 'introspect', '--sanitize', str(installed)], text=True)
    return yaml.safe_load(output.split('\n', 1)[1])


def test_the_definition_lists_no_requirements_of_its_own():
    with open(DEFINITION) as handle:
        definition = yaml.safe_load(handle)
    assert definition['version'] == 3
    assert set(definition['dependencies']) == {'galaxy'}     # python and system come from the collection


def test_every_file_the_containerfile_copies_is_in_the_context(build):
    context = build / 'context'
    sources = []
    for line in (context / 'Containerfile').read_text().splitlines():
        words = shlex.split(line)
        if words and words[0] in ('COPY', 'ADD') and not any(w.startswith('--from') for w in words):
            sources.extend(w for w in words[1:-1] if not w.startswith('--'))
    assert '_build' in sources or '_build/' in sources, sources
    for source in sources:
        assert (context / source).exists(), source


def test_the_context_holds_the_collection_and_no_host_path(build):
    context = build / 'context'
    requirements = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    for item in requirements['collections']:
        assert not os.path.isabs(item['name']), item
        assert (context / '_build' / item['name']).is_file(), item
    for path in context.rglob('*'):
        if path.is_file() and path.suffix in ('.yml', '.txt', '') and path.stat().st_size < 1000000:
            text = path.read_text(errors='replace')
            assert ROOT not in text and str(build / 'dist') not in text, path


def test_the_installed_collection_carries_its_requirements(installed):
    collection = installed / 'ansible_collections' / 'dbops' / 'containers'
    meta = yaml.safe_load((collection / 'meta' / 'execution-environment.yml').read_text())
    assert (collection / meta['dependencies']['python']).is_file()
    assert (collection / meta['dependencies']['system']).is_file()


def test_python_requirements_are_the_modules_runtime_needs(introspected):
    names = sorted(line.split('>=')[0].split()[0].lower() for line in introspected['python'])
    # cryptography: PyMySQL's caching_sha2_password login without TLS (MySQL 8.0+ default accounts).
    assert names == ['cryptography', 'docker', 'psycopg2-binary', 'pymongo', 'pymysql']
    assert not [line for line in introspected['python'] if any(tool in line.lower() for tool in TEST_TOOLS)]


def test_system_requirements_for_both_package_families(introspected):
    system = ' '.join(introspected['system'])
    assert 'libpq5 [platform:dpkg]' in system and 'libpq [platform:rpm]' in system
    assert not [line for line in introspected['system'] if any(tool in line for tool in TEST_TOOLS)]
