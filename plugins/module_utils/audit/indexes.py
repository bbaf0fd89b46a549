# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Duplicate and redundant indexes, from index definitions (engine-neutral, pure)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def redundant_indexes(indexes):
    """Indexes another index of the same table makes unnecessary.

    ``indexes``: [{'schema', 'table', 'index', 'columns': [..], 'unique': bool,
    'primary': bool, 'predicate': str or None}]. An index is a duplicate when
    another has the same columns (and predicate), redundant when its columns are
    a leading prefix of another's. A unique or primary index is never reported
    as made redundant by a non-unique one (it enforces a constraint).
    Returns [{'schema', 'table', 'index', 'covered_by', 'kind'}].
    """
    by_table = {}
    for index in indexes:
        by_table.setdefault((index['schema'], index['table']), []).append(index)
    found = []
    for (schema, table), group in sorted(by_table.items()):
        reported = set()
        for index in sorted(group, key=lambda i: i['index']):
            for other in sorted(group, key=lambda i: i['index']):
                if other is index or other['index'] in reported:
                    continue
                if (index.get('predicate') or None) != (other.get('predicate') or None):
                    continue
                cols, other_cols = list(index['columns']), list(other['columns'])
                if len(cols) > len(other_cols) or other_cols[:len(cols)] != cols:
                    continue
                same_constraint = cols == other_cols and (other['unique'] or other['primary'])
                if (index['unique'] or index['primary']) and not same_constraint:
                    continue
                if cols == other_cols:
                    # Same definition: keep the constraint (primary, unique) or the first name.
                    keep_other = other['primary'] or (other['unique'] and not index['primary']) or (
                        not index['primary'] and not index['unique'] and other['index'] < index['index'])
                    if not keep_other:
                        continue
                    kind = 'duplicate'
                else:
                    kind = 'redundant'
                found.append({'schema': schema, 'table': table, 'index': index['index'],
                              'covered_by': other['index'], 'kind': kind, 'columns': cols})
                reported.add(index['index'])
                break
    return found
