# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files in a Docker volume, written and compared through a carrier container
(created, never started, removed), so it works on a remote engine and through a
mounted socket (Molecule) alike: nothing is written on the module's host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import posixpath
import tarfile

from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import CARRIER_MOUNT, FileEntry
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

MOUNT = CARRIER_MOUNT


def normalise(files):
    """Validated file specs: [{path, content (bytes), mode (int), uid, gid}]."""
    result = []
    seen = set()
    for spec in files:
        path = posixpath.normpath(spec['path']).lstrip('/')
        if path in ('', '.') or path.startswith('..') or path in seen:
            raise DbopsError('file path %r is empty, leaves the volume or is given twice' % spec['path'], 'files')
        seen.add(path)
        mode = spec.get('mode') or '0644'
        try:
            mode = int(str(mode), 8)
        except ValueError:
            raise DbopsError('mode %r of %s is not an octal number' % (spec.get('mode'), path), 'files')
        content = spec.get('content') or ''
        result.append({'path': path, 'content': content.encode('utf-8') if not isinstance(content, bytes) else content,
                       'mode': mode, 'uid': int(spec.get('uid') or 0), 'gid': int(spec.get('gid') or 0)})
    return result


def current_state(archive_chunks):
    """{path: (content, mode, uid, gid)} of the regular files in a tar stream."""
    state = {}
    buf = io.BytesIO(b''.join(archive_chunks))
    with tarfile.open(fileobj=buf, mode='r') as tar:
        for member in tar.getmembers():
            if member.isfile():
                name = member.name.split('/', 1)[1] if '/' in member.name else ''
                if name:
                    state[name] = (tar.extractfile(member).read(), member.mode & 0o7777, member.uid, member.gid)
    return state


def differences(wanted, state):
    """The wanted files whose content, mode or owner differ from state."""
    return [spec for spec in wanted
            if state.get(spec['path']) != (spec['content'], spec['mode'], spec['uid'], spec['gid'])]


def entries_for(changed):
    """Tar entries: the parent directories, then the files."""
    entries, dirs = [], set()
    for spec in changed:
        parent = posixpath.dirname(spec['path'])
        while parent and parent not in dirs:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    for directory in sorted(dirs):
        entries.append(FileEntry(directory, None, mode=0o755))
    for spec in changed:
        entries.append(FileEntry(spec['path'], spec['content'], mode=spec['mode'], uid=spec['uid'], gid=spec['gid']))
    return entries


def sync(helper, volume, image, files, labels, check_mode):
    """Create the volume when missing and make its files match; (changed, changed paths)."""
    wanted = normalise(files)
    created = False
    if helper.volume(volume) is None:
        created = True
        if check_mode:
            return True, [spec['path'] for spec in wanted]
        helper.create_volume(volume, labels)
    if helper.image(image) is None:
        raise DbopsError('image %s is not on the Docker host: it carries the files into the volume' % image, 'image')
    with helper.carrier(image, volume, user='0') as carrier_id:
        state = {}
        if not created:
            chunks = helper.archive(carrier_id, MOUNT + '/.')
            state = current_state(chunks) if chunks is not None else {}
        changed = differences(wanted, state)
        if changed and not check_mode:
            helper.put_files(carrier_id, MOUNT, entries_for(changed))
    return bool(changed) or created, [spec['path'] for spec in changed]
