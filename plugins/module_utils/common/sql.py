# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Query results as dictionaries, for any DB-API driver (PyMySQL, psycopg2).

Shared by the audit collectors and the replication logic.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def fetch_dicts(cursor, sql, params=None, lower_names=False, convert=None):
    """Run ``sql`` on ``cursor``: one dict per row, keyed by column name.

    ``params`` is passed to execute() as given (None: no interpolation).
    A statement without a result set gives [].
    """
    if params is None:
        cursor.execute(sql)
    else:
        cursor.execute(sql, params)
    if cursor.description is None:
        return []
    names = [column[0].lower() if lower_names else column[0] for column in cursor.description]
    if convert is None:
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    return [dict(zip(names, [convert(value) for value in row])) for row in cursor.fetchall()]


def try_fetch_dicts(cursor, sql, notes, what, **options):
    """fetch_dicts(), or None with a note saying what could not be read and why."""
    try:
        return fetch_dicts(cursor, sql, **options)
    except Exception as exc:  # noqa: BLE001 - any server error: the fact is missing, say so
        notes.append('%s not read: %s' % (what, str(exc).strip().splitlines()[0] if str(exc).strip() else exc))
        return None


def query_dicts(connection, sql, params=None):
    """fetch_dicts() on a cursor of its own, closed afterwards."""
    cursor = connection.cursor()
    try:
        return fetch_dicts(cursor, sql, params)
    finally:
        cursor.close()


# --- the one way product code talks SQL (PyMySQL and psycopg2 alike) -------------------
# ``params`` is passed to the driver as given: None means "no interpolation", so a
# literal % in the statement stays as it is; a tuple or dict interpolates.
# ``executed``, when given, is a list the statement is appended to before it runs:
# check mode and diff report it, and unit tests read it.

def rows(conn, sql, params=None, executed=None):
    """Every row of ``sql`` as a dict keyed by column name ([] for a statement without rows)."""
    if executed is not None:
        executed.append(sql)
    return query_dicts(conn, sql, params)


def scalar(conn, sql, params=None, executed=None):
    """The first column of the first row, or None when there is no row."""
    found = rows(conn, sql, params, executed)
    if not found:
        return None
    return list(found[0].values())[0]


def execute(conn, sql, params=None, executed=None):
    """Run a statement whose result is not read."""
    if executed is not None:
        executed.append(sql)
    cursor = conn.cursor()
    try:
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, params)
    finally:
        cursor.close()
