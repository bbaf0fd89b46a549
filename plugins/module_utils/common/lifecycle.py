# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-of-life dates of engine release series, as data.

Sources: MySQL "Oracle Lifetime Support Policy" (8.0 ended April 2026; 8.4 LTS
to April 2032); mariadb.org maintenance policy; PostgreSQL versioning policy
(five years per major); MongoDB software lifecycle schedules.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

END_OF_LIFE = {
    'mysql': {(5, 7): '2023-10-31', (8, 0): '2026-04-30', (8, 4): '2032-04-30', (9, 7): '2033-04-30'},
    'mariadb': {(10, 5): '2025-06-24', (10, 6): '2026-07-06', (10, 11): '2028-02-16', (11, 4): '2029-05-29',
                (11, 8): '2028-06-04'},
    'postgres': {(12,): '2024-11-21', (13,): '2025-11-13', (14,): '2026-11-12', (15,): '2027-11-11',
                 (16,): '2028-11-09', (17,): '2029-11-08', (18,): '2030-11-14'},
    'mongodb': {(5, 0): '2024-10-31', (6, 0): '2025-07-31', (7, 0): '2027-08-31', (8, 0): '2029-10-31'},
}
# How many version parts name a release series.
SERIES_DEPTH = {'mysql': 2, 'mariadb': 2, 'postgres': 1, 'mongodb': 2}


def support_status(engine, version, today=None):
    """{'series', 'end_of_life', 'status': supported|ending-soon|end-of-life|unknown, 'days_left'}."""
    today = today or datetime.date.today()
    series = tuple(version[:SERIES_DEPTH[engine]]) if version else None
    date_text = END_OF_LIFE.get(engine, {}).get(series)
    if not date_text:
        return {'series': '.'.join(str(p) for p in series or ()), 'end_of_life': None, 'status': 'unknown',
                'days_left': None}
    end = datetime.datetime.strptime(date_text, '%Y-%m-%d').date()
    days = (end - today).days
    status = 'end-of-life' if days < 0 else ('ending-soon' if days < 180 else 'supported')
    return {'series': '.'.join(str(p) for p in series), 'end_of_life': date_text, 'status': status,
            'days_left': days}
