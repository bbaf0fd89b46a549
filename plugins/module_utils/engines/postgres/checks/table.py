# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL audit's CHECKS: every category's rows, in the order of the report.

Each category file (memory.py, wal.py, ...) writes its rows with the audit.core.check
decorator right above their functions; a new category is a new file, added here."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks import (
    cache, connections, database, durability, indexes, memory, planner, replication, security, server, server_log,
    statements, temp, vacuum, wal)

CATEGORIES = (memory, wal, planner, connections, cache, temp, database, indexes, vacuum, statements, server_log,
              security, replication, durability, server)

CHECKS = tuple(row for category in CATEGORIES for row in category.TABLE)
