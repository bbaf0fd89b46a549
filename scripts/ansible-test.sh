#!/usr/bin/env bash
# `ansible-test sanity` or `ansible-test units` offline, from a copy of the
# collection under .build/ansible-test-<command>/ansible_collections/dbops/containers
# (ansible-test wants that layout; one copy per command, because `make test`
# runs sanity and units at the same time). Extra arguments go to ansible-test, e.g.
#   scripts/ansible-test.sh sanity --test validate-modules
#   scripts/ansible-test.sh units
# Exits with ansible-test's status.
#
# Offline: ansible-test bootstraps pip in each virtual environment it creates
# with a get-pip.py it downloads from ci-files.testing.ansible.com (unreachable
# here) and caches as ~/.ansible/test/cache/get_pip_<version>.py. When that file
# is missing this script writes a stand-in that runs `python -m ensurepip` and
# then pip-installs the requested packages from the configured index (PyPI).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COMMAND=${1:?usage: scripts/ansible-test.sh sanity|units [ansible-test options]}
shift
case "$COMMAND" in sanity|units) ;; *) echo "ansible-test.sh: sanity or units, not $COMMAND" >&2; exit 2 ;; esac
VENV=${VENV:-$ROOT/.venv}
PYTHON_VERSION=${SANITY_PYTHON:-3.11}
DEST=$ROOT/.build/ansible-test-$COMMAND/ansible_collections/dbops/containers

export PATH="$VENV/bin:$PATH"
# ansible-test sets up its own collection path and configuration; the
# project's (the Makefile exports both) would load the checkout a second time.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_CONFIG

if ! command -v ansible-test >/dev/null 2>&1; then
    echo "sanity: ansible-test not found in $VENV/bin (run scripts/venv.sh first)" >&2
    exit 2
fi

# 1. The pip bootstrap script ansible-test would download.
pip_version=$("$VENV/bin/python" - <<'EOF'
import os
import re

import ansible_test

source = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
with open(source, encoding='utf-8') as handle:
    match = re.search(r"pip='([0-9.]+)'", handle.read())
print(match.group(1) if match else '24.2')
EOF
)
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -s "$cache" ]; then
    echo "sanity: writing offline pip bootstrap $cache" >&2
    mkdir -p "$(dirname "$cache")"
    cat > "$cache.tmp.$$" <<'EOF'
"""Offline stand-in for get-pip.py, written by dbops.containers scripts/ansible-test.sh.

ansible-test runs it as `python get_pip.py [pip options] pip==X [--no-setuptools] [--no-wheel]`
in a virtual environment created without pip. It bootstraps pip from the
interpreter's bundled wheel (ensurepip, in a subprocess so that the new pip is
imported fresh) and then installs the requested packages from the configured index.
"""
import subprocess
import sys


def main():
    args = sys.argv[1:]
    no_setuptools = '--no-setuptools' in args
    no_wheel = '--no-wheel' in args
    args = [arg for arg in args if arg not in ('--no-setuptools', '--no-wheel')]

    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'],
                          stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)

    unwanted = (['setuptools'] if no_setuptools else []) + (['wheel'] if no_wheel else [])
    if unwanted:
        # get-pip.py leaves these out when asked; ensurepip may have brought them.
        subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet'] + unwanted,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == '__main__':
    try:
        main()
    except subprocess.CalledProcessError as ex:
        sys.exit(ex.returncode)
EOF
    mv "$cache.tmp.$$" "$cache"
fi

# 2. A clean copy of the collection: tracked and untracked-but-not-ignored files.
rm -rf "$DEST"
mkdir -p "$DEST"
(
    cd "$ROOT"
    git ls-files -z -co --exclude-standard | while IFS= read -r -d '' path; do
        # skip files deleted from the work tree but still in the index
        if [ -e "$path" ] || [ -L "$path" ]; then
            printf '%s\0' "$path"
        fi
    done | xargs -0 -r cp --parents -P -t "$DEST"
)
# ansible-test lists a collection's files with git when it finds a .git directory
# at or above the collection root; without its own repository here it would find
# the checkout's, in which .build/ is ignored, and see no files at all.
git -C "$DEST" init -q
git -C "$DEST" add -A
git -C "$DEST" -c user.name=sanity -c user.email=sanity@localhost \
    -c commit.gpgsign=false commit -q -m "sanity snapshot" --no-verify

# 3. Run it.
cd "$DEST"
echo "ansible-test: $COMMAND --venv --python $PYTHON_VERSION $* (in $DEST)" >&2
status=0
ansible-test "$COMMAND" --venv --python "$PYTHON_VERSION" "$@" || status=$?
exit "$status"
