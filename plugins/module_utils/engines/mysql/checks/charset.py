# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL and MariaDB checks, category charset: the server's character set."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.audit.core import check, finding
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks.common import (
    is_mariadb, setting_fix, text)

# The rows of this category (checks/table.py puts them in the order of the report).
TABLE = []


@check(TABLE, 'mysql.charset.server', 'charset', 'warning', 'Server character set is not utf8mb4',
       'latin1 and utf8mb3 cannot store all of Unicode; utf8mb4 can.',
       'MySQL manual: The utf8mb4 Character Set; MariaDB KB: Unicode')
def character_set_not_utf8mb4(facts):
    charset = text(facts, 'character_set_server').lower()
    if charset == 'utf8mb4':
        return None
    recommended = facts.get('recommended') or {}
    default_collation = 'utf8mb4_unicode_ci' if is_mariadb(facts) else 'utf8mb4_0900_ai_ci'
    collation = recommended.get('collation_server') or default_collation
    return finding(charset, 'utf8mb4', '%s cannot store every Unicode character (emoji, some CJK); new '
                   'databases and tables inherit it' % charset,
                   '%s; %s; existing tables: ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4'
                   % (setting_fix('character_set_server', 'utf8mb4', facts),
                      setting_fix('collation_server', collation, facts)))
