# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""psycopg2 values as Ansible returns them (JSON): numeric sums come back as Decimal,
timestamps as datetime, intervals as timedelta."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import decimal


def plain(value):
    """A JSON-friendly value."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def plain_row(row):
    return dict((key, plain(value)) for key, value in row.items())
