#!/usr/bin/env bash
# Create .venv with everything the demo and the tests need (PyPI only), and the
# collection path Ansible loads dbops.containers from. Quick when up to date.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
STAMP=$VENV/.requirements.sha256
PYTHON=${PYTHON:-python3}

want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ]; then
    echo "venv: creating $VENV" >&2
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv "$VENV"
    fi
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    echo "venv: installing requirements-dev.txt (about a minute the first time)" >&2
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q -r "$ROOT/requirements-dev.txt"
    echo "$want" > "$STAMP"
fi

# Ansible finds collections under <path>/ansible_collections/<namespace>/<name>.
mkdir -p "$ROOT/.build/collections/ansible_collections/dbops"
ln -sfn "$ROOT" "$ROOT/.build/collections/ansible_collections/dbops/containers"
