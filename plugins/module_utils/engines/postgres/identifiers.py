# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names PostgreSQL takes from the user: roles, databases and replication slots."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

# A name that needs no quoting: written as is in SQL, pg_hba.conf and conninfo strings.
IDENTIFIER = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,62}$')
SLOT = re.compile(r'^[a-z0-9_]{1,63}$')


def check_identifier(value, parameter):
    if not value or not IDENTIFIER.match(value):
        raise DbopsError('%r is not a plain identifier: use letters, digits and underscores, at most 63 '
                         'characters, not starting with a digit' % (value,), parameter)
    return value


def quote_ident(value):
    return '"%s"' % value.replace('"', '""')


def is_slot_name(slot):
    """A valid physical slot name: lower-case letters, digits, underscores, at most 63."""
    return bool(SLOT.match(slot or ''))


def slot_name_for(standby_name):
    """A valid physical slot name (lower-case letters, digits, underscores) for a standby's name."""
    slot = re.sub(r'[^a-z0-9_]', '_', standby_name.lower())[:63]
    if not slot:
        raise DbopsError('%r gives no replication slot name' % (standby_name,), 'standby_names')
    return slot
