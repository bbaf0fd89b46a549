# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine versions: parse them from image metadata and compare them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

_VERSION_RE = re.compile(r'(\d+)(?:\.(\d+))?(?:\.(\d+))?')


def parse_version(text):
    """``"1:11.4.3+maria~ubu2404"`` -> (11, 4, 3); ``"17.2-1.pgdg120+1"`` -> (17, 2, 0).

    A Debian epoch (``1:``) is dropped. Returns None when no version is found.
    """
    if text is None:
        return None
    text = str(text).strip()
    if ':' in text and text.split(':', 1)[0].isdigit():
        text = text.split(':', 1)[1]
    match = _VERSION_RE.match(text)
    if not match:
        return None
    return tuple(int(part) if part else 0 for part in match.groups())


def version_from_tag(image):
    """Version from an image reference's tag (``mysql:8.4`` -> (8, 4, 0)), or None."""
    reference = image.split('@', 1)[0]
    last = reference.rsplit('/', 1)[-1]
    if ':' not in last:
        return None
    return parse_version(last.split(':', 1)[1])


def format_version(version):
    return '.'.join(str(part) for part in version) if version else 'unknown'


def at_least(version, minimum):
    """True when ``version`` >= ``minimum`` (tuples of any length)."""
    if version is None:
        return False
    width = max(len(version), len(minimum))

    def pad(parts):
        return tuple(parts) + (0,) * (width - len(parts))
    return pad(version) >= pad(minimum)
