# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one wait-until-deadline loop: every "wait for the server to ..." goes through it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


def wait_until(probe, timeout, interval=1.0, clock=None, sleep=None):
    """Call ``probe()`` until it returns something truthy or ``timeout`` seconds have passed.

    Returns the truthy value, or the last (falsy) value when the time ran out: the
    caller raises its own error, which names what it waited for and the parameter
    to change. The probe is always called at least once, and once more at the
    deadline, so a slow probe never turns a success into a timeout.
    """
    # Looked up at call time, so a test that patches time.sleep reaches every wait.
    clock = clock or time.time
    sleep = sleep or time.sleep
    deadline = clock() + float(timeout)
    while True:
        result = probe()
        if result:
            return result
        remaining = deadline - clock()
        if remaining <= 0:
            return result
        sleep(min(interval, remaining))
