# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors the modules turn into a clean ``fail_json`` (no traceback)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class DbopsError(Exception):
    """A user-facing error: the message names the parameter and the fix."""

    def __init__(self, message, parameter=None):
        super(DbopsError, self).__init__(message)
        self.parameter = parameter
        self.message = message

    def __str__(self):
        if self.parameter:
            return "%s: %s" % (self.parameter, self.message)
        return self.message
