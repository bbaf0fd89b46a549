# -*- coding: utf-8 -*-
"""Unit tests import the collection by its namespace, as Ansible does:
``ansible_collections.dbops.containers``. That package is the repository itself,
reached through the symlink .build/collections/ansible_collections/dbops/containers.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'dbops', 'containers')


def _ensure_link():
    if os.path.islink(LINK) and not os.path.exists(LINK):
        os.unlink(LINK)  # a dangling link (the checkout moved): point it here again
    if os.path.lexists(LINK):
        if os.path.realpath(LINK) != os.path.realpath(ROOT):
            # Another checkout's code would be tested silently.
            raise RuntimeError('%s points to %s, not to this checkout (%s): remove the link and rerun'
                               % (LINK, os.path.realpath(LINK), ROOT))
        return
    try:
        os.makedirs(os.path.dirname(LINK))
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise
    try:
        os.symlink(ROOT, LINK)
    except OSError as exc:  # another worker created it first
        if exc.errno != errno.EEXIST:
            raise


_ensure_link()
if COLLECTIONS in sys.path:
    sys.path.remove(COLLECTIONS)
sys.path.insert(0, COLLECTIONS)
