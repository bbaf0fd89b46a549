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
import re
import tarfile

from ansible_collections.dbops.containers.plugins.module_utils.docker.helper import CARRIER_MOUNT, FileEntry
from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError

MOUNT = CARRIER_MOUNT


# Docker's own rule for volume names.
VOLUME_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
# Set on the volumes this module creates: an existing volume without it, used by a container, holds
# somebody else's files.
OWN_LABEL = 'dbops.volume_files'


def normalise(files):
    """Validated file specs: [{path, content (bytes), mode (int), uid, gid}]."""
    result = []
    seen = set()
    for spec in files:
        given = spec['path'] or ''
        if given.startswith('/'):
            raise DbopsError('file path %r is absolute: give it relative to the volume\'s root (for example %r)'
                             % (given, given.lstrip('/') or 'name'), 'files')
        path = posixpath.normpath(given)
        if path in ('', '.') or path == '..' or path.startswith('../'):
            raise DbopsError('file path %r is empty or leaves the volume: give a path inside it, such as '
                             '\'conf/app.yml\'' % given, 'files')
        if path in seen:
            raise DbopsError('file path %r is given twice: give each file once' % given, 'files')
        seen.add(path)
        mode = spec.get('mode') or '0644'
        try:
            mode = int(str(mode), 8)
        except ValueError:
            mode = -1
        if not 0 <= mode <= 0o7777:
            raise DbopsError('mode %r of %s is not an octal file mode from 0000 to 7777, such as \'0640\''
                             % (spec.get('mode'), path), 'files')
        for owner in ('uid', 'gid'):
            if not 0 <= int(spec.get(owner) or 0) <= 0xfffffffe:
                raise DbopsError('%s %r of %s is not a user or group id (0 or more)' % (owner, spec.get(owner), path),
                                 'files')
        content = spec.get('content') or ''
        result.append({'path': path, 'content': content.encode('utf-8') if not isinstance(content, bytes) else content,
                       'mode': mode, 'uid': int(spec.get('uid') or 0), 'gid': int(spec.get('gid') or 0)})
    return result


def check_volume(helper, volume, existing, image=None):
    """Refuse a volume name Docker would refuse, and a volume that holds another container's files.

    A volume this module created carries OWN_LABEL. One made before the label existed (an earlier release of
    the roles) is still accepted when every container that mounts it is one of the collection's components
    (the roles label them dbops_cluster, dbops_watcher, dbops.component, dbops.monitors) and runs ``image``,
    the image the task names to carry the files: the same service's volume, not a stranger's."""
    if not VOLUME_NAME_RE.match(volume or ''):
        raise DbopsError('%r is not a valid volume name (letters, digits, and _ . - after the first character)'
                         % volume, 'volume')
    if existing is None:
        return
    labels = existing.get('Labels') or {}
    if labels.get('dbops.container'):
        raise DbopsError('volume %s belongs to the database container %s (made by db_container), which writes its '
                         'files itself: give a volume of its own. Nothing was changed'
                         % (volume, labels['dbops.container']), 'volume')
    for name, _running in helper.containers_mounting(volume):
        inspect = helper.container(name) or {}
        container_labels = (inspect.get('Config') or {}).get('Labels') or {}
        if container_labels.get('dbops.engine'):
            raise DbopsError('volume %s is mounted by the database container %s: writing files into it could '
                             'overwrite the server\'s own; give a volume of its own. Nothing was changed'
                             % (volume, name), 'volume')
        if labels.get(OWN_LABEL) != 'true' and not _component_of_ours(inspect, image):
            raise DbopsError('volume %s was not created by db_volume_files and is mounted by the container %s: its '
                             'files are that container\'s; give a volume of its own (or remove %s first). Nothing '
                             'was changed' % (volume, name, name), 'volume')


# Labels the roles put on the containers they run next to the databases.
COMPONENT_LABELS = ('dbops_cluster', 'dbops_watcher', 'dbops.component', 'dbops.monitors')


def _component_of_ours(inspect, image):
    config = inspect.get('Config') or {}
    container_labels = config.get('Labels') or {}
    return (image is not None and config.get('Image') == image
            and any(label in container_labels for label in COMPONENT_LABELS))


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
    """Create the volume when missing and make its files match; (changed, changed paths).
    Everything is checked before the volume is created: a refusal leaves nothing behind."""
    wanted = normalise(files)
    existing = helper.volume(volume)
    check_volume(helper, volume, existing, image)
    if helper.image(image) is None:
        raise DbopsError('image %s is not on the Docker host: it carries the files into the volume (name an image '
                         'the host has, usually the one that mounts the volume). Nothing was changed' % image, 'image')
    created = False
    if existing is None:
        created = True
        if check_mode:
            return True, [spec['path'] for spec in wanted]
        volume_labels = dict(labels)
        volume_labels[OWN_LABEL] = 'true'
        helper.create_volume(volume, volume_labels)
    with helper.carrier(image, volume, user='0') as carrier_id:
        state = {}
        if not created:
            chunks = helper.archive(carrier_id, MOUNT + '/.')
            state = current_state(chunks) if chunks is not None else {}
        changed = differences(wanted, state)
        if changed and not check_mode:
            helper.put_files(carrier_id, MOUNT, entries_for(changed))
    return bool(changed) or created, [spec['path'] for spec in changed]
