# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-of-life dates of engine release series, as data.

Sources, one per engine (a series absent here reports status 'unknown'):

- MySQL: Oracle Lifetime Support Policy, the end of Extended Support: 5.7 October 2023, 8.0 April 2026,
  8.4 LTS April 2032 (https://www.oracle.com/us/support/library/lifetime-support-technology-069183.pdf).
  An LTS series has "5 years of premier support and 3 years of extended support" (MySQL 9.7 Reference
  Manual, 1.3 "MySQL Releases: Innovation and LTS", https://dev.mysql.com/doc/refman/9.7/en/mysql-releases.html);
  9.7 LTS went GA in April 2026 (MySQL 9.7 Release Notes), hence April 2034. Innovation releases (8.1-8.3,
  9.0-9.6) are supported only until the next release and are not listed. The last day of the month is used.
- MariaDB: mariadb.org maintenance policy (https://mariadb.org/about/#maintenance-policy): 10.6 LTS
  2021-07-06 to 2026-07-06, 10.11 to February 2028, 11.4 to May 2029, 11.8 (a three-year LTS) to June 2028
  ("What is MariaDB 10.11 / 11.4 / 11.8" release notes); the day is five (11.8: three) years after GA.
- PostgreSQL: versioning policy table, "Final Release" (https://www.postgresql.org/support/versioning/).
- MongoDB: MongoDB Software Lifecycle Schedules, "End of Life Date" of each major release
  (https://www.mongodb.com/legal/support-policy/lifecycles).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

END_OF_LIFE = {
    'mysql': {(5, 7): '2023-10-31', (8, 0): '2026-04-30', (8, 4): '2032-04-30', (9, 7): '2034-04-30'},
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
