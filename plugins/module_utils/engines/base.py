# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface every engine adapter implements, and what they share.

Engine differences (images, paths, environment contract, settings catalog,
config syntax, health check) live in the adapters; modules only call this
interface.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import abc
import time
import re
import unicodedata
from collections import namedtuple

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common import sizes
from ansible_collections.dbops.containers.plugins.module_utils import tuning
from ansible_collections.dbops.containers.plugins.module_utils.common.versions import (
    at_least, format_version, parse_version, version_from_tag)

# Where the module puts secrets inside a container (a read-only volume).
SECRETS_DIR = '/run/secrets/dbops'
ROOT_PASSWORD_FILE = SECRETS_DIR + '/root_password'
USER_PASSWORD_FILE = SECRETS_DIR + '/password'
# MongoDB replica sets: the members' shared key (internal authentication).
CLUSTER_KEY_FILE = SECRETS_DIR + '/cluster_key'
# Seconds a session's query may wait for its answer unless its caller says otherwise (adapters' connect):
# room for real work (an ALTER, a CHANGE MASTER waiting on a lock), a bound for a server that stopped answering.
QUERY_TIMEOUT = 60

# A change in an engine's settings catalog.
#   removed:    refused from `version` on; `replacement` says what to use instead.
#   renamed:    translated to `replacement` (with `convert`) from `version` on, with a warning.
#   introduced: refused before `version` (the server would not know it).
SettingChange = namedtuple('SettingChange', 'setting kind version replacement convert note')

# A setting's name as every engine's configuration file can hold it on one line.
_SETTING_NAME = re.compile(r'^[A-Za-z0-9_.-]+$')
# Characters that end a line where Python's str.splitlines() sees one beyond the control characters.
_LINE_SEPARATORS = u'\u2028\u2029'


def _control_character(text):
    """The first control character (C0, DEL, C1) or line separator in text, else None."""
    for char in text:
        if char in _LINE_SEPARATORS or unicodedata.category(char) == 'Cc':
            return char
    return None


def _strings_in(value):
    if isinstance(value, dict):
        return [u'%s' % (key,) for key in value] + [text for item in value.values() for text in _strings_in(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings_in(item)]
    return [u'%s' % (value,)]


def _shown(char):
    return {'\n': 'a line break (\\n)', '\r': 'a carriage return (\\r)', '\t': 'a tab (\\t)'}.get(
        char, 'the control character U+%04X' % ord(char))


def removed(setting, version, replacement, note=''):
    return SettingChange(setting, 'removed', version, replacement, None, note)


def renamed(setting, version, replacement, convert=None, note=''):
    return SettingChange(setting, 'renamed', version, replacement, convert, note)


def introduced(setting, version, replacement=None, note=''):
    return SettingChange(setting, 'introduced', version, replacement, None, note)


# Abstract base without six: the failover watcher runs this code in a container without Ansible.
AbstractBase = abc.ABCMeta('AbstractBase', (object,), {})


class EngineAdapter(AbstractBase):
    """Base adapter. Subclasses fill in the class attributes and implement the abstract hooks."""

    name = None                 # engine name as users write it
    label = None                # engine name as people read it
    port = None
    official_image = None       # default image (current supported version)
    local_image = None          # the project's local stand-in, None when there is none
    version_env = ()            # image environment variables that carry the version
    data_dir = None
    config_dir = None
    config_file = None          # file name inside config_dir
    log_dir = None              # None: the engine logs to stdout only
    runtime_uid = 999           # the server's user in the official images
    rules = ()                  # tuning rule table
    catalog = ()                # SettingChange entries
    memory_bounded = ()         # settings that must stay below the memory limit
    superuser = None
    login_db_env = None         # image variable naming the database to log in to by default

    # --- images and versions ------------------------------------------------
    def default_image(self, source):
        if source == 'local':
            if not self.local_image:
                raise DbopsError(
                    "no local image is built for %s; set image to a %s image or image_source=official"
                    % (self.label, self.label), 'image_source')
            return self.local_image
        return self.official_image

    def version_of_image(self, image, image_env):
        """Engine version from the image's environment (official images set it) or its tag."""
        env = dict(item.split('=', 1) for item in image_env or () if '=' in item)
        for variable in self.version_env:
            version = parse_version(env.get(variable))
            if version:
                return version
        return version_from_tag(image)

    def check_upgrade(self, old, new):
        """Refuse a version change the data directory cannot take."""
        if old and new and tuple(new) < tuple(old)[:len(new)]:
            raise DbopsError(
                "the data volume was last used by %s %s; starting %s %s on it is a downgrade the "
                "server cannot read: keep image at %s or restore a logical dump into a new volume"
                % (self.label, format_version(old), self.label, format_version(new), format_version(old)),
                'image')

    # --- settings -----------------------------------------------------------
    def normalize_name(self, setting):
        return setting

    def derive_settings(self, resources):
        return tuning.derive(self.rules, resources)

    def kinds(self):
        return tuning.kinds(self.rules)

    # What a value must not hold in the engine's configuration file: (text, why), checked after the
    # control characters every engine refuses.
    config_value_forbidden = ()

    def validate_settings(self, user_settings, version):
        """Check user settings against the catalog for ``version``.

        Returns (settings, warnings): renamed settings are translated. Raises
        DbopsError for a removed or not-yet-introduced setting, and for a name or value
        that could escape its line in the configuration file (check_setting_text).
        """
        result, warnings = {}, []
        for raw_name, value in (user_settings or {}).items():
            self.check_setting_text(raw_name, value)
            name = self.normalize_name(raw_name)
            change = self._catalog_entry(name, version)
            if change is None:
                result[name] = value
                continue
            where = '%s %s' % (self.label, format_version(version))
            if change.kind == 'removed':
                raise DbopsError("%s was removed in %s %s and the server refuses to start with it (%s): %s"
                                 % (name, self.label, format_version(change.version), where,
                                    change.replacement), 'settings.%s' % raw_name)
            if change.kind == 'introduced':
                advice = change.replacement or 'remove it or use a newer image'
                raise DbopsError("%s needs %s %s or later and the image is %s: %s"
                                 % (name, self.label, format_version(change.version), where, advice),
                                 'settings.%s' % raw_name)
            new_value = change.convert(value) if change.convert else value
            result[change.replacement] = new_value
            warnings.append("settings.%s is deprecated since %s %s: translated to %s=%s%s"
                            % (raw_name, self.label, format_version(change.version), change.replacement,
                               new_value, (' (%s)' % change.note) if change.note else ''))
        return result, warnings

    def check_setting_text(self, raw_name, value):
        """Refuse a name or value that would not stay one setting on one line of the configuration
        file: a line break would write a directive no validation saw, a comment character would cut
        the value short."""
        parameter = 'settings.%s' % raw_name
        name = u'%s' % (raw_name,)
        char = _control_character(name)
        if char is not None:
            raise DbopsError('the setting name %r holds %s, which would start another line of the %s '
                             'configuration; nothing was changed: write the name on one line' % (
                                 name, _shown(char), self.label),
                             'settings.%s' % name.encode('unicode_escape').decode('ascii'))
        if not _SETTING_NAME.match(name.strip()):
            raise DbopsError('%r is not a setting name: a name holds only letters, digits, "_", "." and "-"; '
                             'nothing was changed: correct the name' % name, parameter)
        if value is None:
            raise DbopsError('%s has no value; nothing was changed: give it a value or remove it' % name, parameter)
        text = u'%s' % (value,)
        # A list or mapping (MongoDB's YAML takes them) is checked through every string it holds.
        char = _control_character(u''.join(_strings_in(value)))
        if char is not None:
            raise DbopsError('the value of %s holds %s, which would end its line in the %s configuration and '
                             'start another directive; nothing was changed: remove it from the value'
                             % (name, _shown(char), self.label), parameter)
        for forbidden, why in self.config_value_forbidden:
            if forbidden in text:
                raise DbopsError('the value of %s holds %r: %s; nothing was changed: remove it from the value'
                                 % (name, forbidden, why), parameter)

    def _catalog_entry(self, name, version):
        for change in self.catalog:
            if change.setting != name:
                continue
            if change.kind == 'introduced':
                if not at_least(version, change.version):
                    return change
            elif at_least(version, change.version):
                return change
        return None

    def check_memory_bounds(self, settings, memory):
        for name in self.memory_bounded:
            if name not in settings:
                continue
            value = self.size_in_bytes(name, settings[name])
            if value is not None and value >= memory:
                raise DbopsError("%s=%s does not fit in memory=%s: lower it or raise memory"
                                 % (name, settings[name], sizes.to_docker(memory)), 'settings.%s' % name)

    def size_in_bytes(self, name, value):
        try:
            return sizes.parse_size(value, name)
        except DbopsError:
            return None

    def check_settings_on_server(self, docker, image, image_id, version, settings, config_text, user_settings):
        """Ask the image's own server whether it accepts ``config_text`` before anything changes.

        ``settings``: every setting in engine syntax; ``user_settings``: the user's own (their names are the
        ones an error names, as ``settings.<name>``). Returns warnings; raises DbopsError naming the setting
        and the fix. The base has no server-side check (an engine without one says so in its docs).
        """
        return []

    def format_settings(self, values):
        """Engine syntax for every value (sizes as the engine writes them)."""
        kinds = self.kinds()
        return dict((name, self.format_value(value, kinds.get(name))) for name, value in values.items())

    def format_value(self, value, kind):
        return value

    def coerce_user_value(self, name, value):
        """A user's value in engine syntax: sizes accept "4g", "512M", "2GiB"."""
        if self.kinds().get(name) == tuning.SIZE and not isinstance(value, bool):
            return self.format_value(sizes.parse_size(value, 'settings.%s' % name), tuning.SIZE)
        return value

    def effective_settings(self, resources, user_settings):
        """Derived settings, overridden by the user's (validated) settings.

        Returns (settings in engine syntax, warnings).
        """
        validated, warnings = self.validate_settings(user_settings, resources.version)
        settings = self.format_settings(self.derive_settings(resources))
        for name, value in validated.items():
            settings[name] = self.coerce_user_value(name, value)
        self.check_memory_bounds(settings, resources.memory)
        return settings, warnings

    # --- container contract -------------------------------------------------
    def default_shm_size_for(self, memory):
        return 64 * sizes.MIB  # Docker's default

    def data_mount(self, version):
        return self.data_dir

    @abc.abstractmethod
    def render_config(self, settings):
        """The configuration file's text for the settings (the engine's syntax)."""

    def server_args(self):
        """Arguments after the image name: how the server finds the rendered config."""
        return []

    @abc.abstractmethod
    def environment(self, database, user, has_password, version):
        """The image's environment contract: variables that name the database, the user and the secret files."""

    def init_scripts(self, database, user, settings=None):
        """{file name: content} for /docker-entrypoint-initdb.d (first start only)."""
        return {}

    @abc.abstractmethod
    def healthcheck(self):
        """Shell command that runs a real query against the server inside the container."""

    def validate_identity(self, database, user):
        """Engine-specific checks on database and user names."""
        return None

    def cluster_key_settings(self, settings):
        """``settings`` plus what makes the server read the cluster key file
        (db_container's cluster_key_file). Engines without one refuse it."""
        raise DbopsError('%s has no cluster key file (it is MongoDB\'s replica set internal authentication): '
                         'remove cluster_key_file' % self.label, 'cluster_key_file')

    # --- audit (db_tune_report) -----------------------------------------------
    @staticmethod
    @abc.abstractmethod
    def connect(host, port, user, password, database, timeout, purpose='admin', query_timeout=QUERY_TIMEOUT):
        """A client connection opened for its purpose: 'audit' (read-only where the engine has such a
        session) or 'admin' (read-write), within ``timeout`` seconds; its queries wait ``query_timeout``
        seconds for an answer. DbopsError naming login_host or login_password when it fails."""

    @staticmethod
    @abc.abstractmethod
    def replication_driver():
        """db_replication: the class that runs roles primary, replica, replicaset and status (a Driver
        taking a replication.Context), from engines/<engine>/replication.py."""

    @staticmethod
    @abc.abstractmethod
    def failover_driver():
        """db_failover: the class that probes, compares, promotes, re-points and fences
        (engines/<engine>/failover.py)."""

    @staticmethod
    @abc.abstractmethod
    def audit_hooks():
        """(collect(connection) -> facts, CHECKS): the engine's audit."""


# ---------------------------------------------------------------------------------------
# The driver interfaces. An engine's replication and failover code implement these;
# provision, replication.run and the failover orchestrator call nothing else. A
# capability an engine lacks is a declared attribute (False / None), never a missing
# method probed with hasattr().
# ---------------------------------------------------------------------------------------

class ReplicationDriver(AbstractBase):
    """db_replication for one engine. ``context`` is replication.Context (connections, options, notes)."""

    # The replication account's default name when the user names none.
    default_user = None
    # False: the engine has no per-node status to report for this call (status() is not called).
    reports_status = True

    def __init__(self, context):
        self.context = context
        self.params = context.params
        # The replica set configuration after role replicaset (MongoDB), else None.
        self.config = None

    @abc.abstractmethod
    def primary(self):
        """Make the server a primary that replicas can follow: (changed, actions)."""

    @abc.abstractmethod
    def replica(self):
        """Make the server follow its primary: (changed, actions)."""

    @abc.abstractmethod
    def replicaset(self):
        """Configure a replica set from one member: (changed, actions); engines without them raise DbopsError."""

    @abc.abstractmethod
    def status(self):
        """The node's replication status as a dict with a ``severity``."""


class FailoverDriver(AbstractBase):
    """What the failover orchestrator (failover/orchestrator.py) asks of an engine.

    ``cluster`` is failover.cluster.Cluster; the SQL engines share failover/sql_driver.py."""

    # Semi-sync: a commit on the new primary waits for a replica's acknowledgement, so the
    # replicas are re-pointed before the endpoint moves (MySQL/MariaDB). False: endpoint first.
    ack_needs_replica = False
    # Set by rejoin(): True when the node's data had to be discarded and copied again.
    last_rejoin_reseeded = False
    # Set by rejoin(): the volume the node's diverged data was copied into before it was rewound or
    # rebuilt (no automatic step deletes commits a client may have been told of), else None.
    last_rejoin_kept = None
    # How an observer tells a live server from a frozen one whose kernel still accepts connections:
    # send probe_request, then probe_answer_bytes bytes must come back within probe_timeout.
    # The base (0 bytes) is a bare TCP connect, for an engine whose server waits for the client's
    # full message before it says anything.
    probe_request = b''
    probe_answer_bytes = 0

    def __init__(self, cluster):
        self.cluster = cluster
        self.params = cluster.params

    # --- discovery and probes
    @abc.abstractmethod
    def discover_primary(self):
        """The node the others follow (or the one writable primary), else None."""

    @abc.abstractmethod
    def controller_probe(self, primary):
        """True when the controller can log in to the primary and it answers a query."""

    # Seconds allowed to open a session to a candidate while reading positions.
    position_connect_timeout = 3
    # Seconds a candidate's whole position read may take (session and queries): a frozen replica
    # costs this once, not its client library's own read timeouts.
    position_read_timeout = 5

    # What the controller's probe last learnt of the primary's commits: (time, True when a commit is
    # acknowledged only once a replica holds it, False when it commits asynchronously, None unknown).
    synchronous_seen = None

    def positions(self, nodes):
        """One row per node: {name, priority, healthy, position, why?, ...} (compared by choose_candidate).

        Read from every node at once, and a node that has not answered by the deadline is a row whose
        ``why`` says so: a frozen replica must not hold the failover back."""
        from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
        rows = [{'name': node.name, 'priority': node.priority, 'healthy': False, 'position': None}
                for node in nodes]
        if not nodes:
            return rows
        deadline = time.time() + self.position_read_timeout
        pool = ThreadPoolExecutor(max_workers=len(nodes))
        try:
            futures = [pool.submit(self._read_one_position, node, dict(row)) for node, row in zip(nodes, rows)]
            for index, future in enumerate(futures):
                try:
                    rows[index] = future.result(timeout=max(0.0, deadline - time.time()))
                except FutureTimeout:
                    rows[index]['why'] = 'did not answer within %s s (frozen or overloaded)' % self.position_read_timeout
        finally:
            pool.shutdown(wait=False)
        return rows

    def _read_one_position(self, node, row):
        if not node.running:
            row['why'] = 'container not running'
            return row
        try:
            # Its queries are bounded too: the thread of a replica frozen mid-read ends, not only the wait for it.
            session = self.cluster.connect(node, self.position_connect_timeout,
                                           query_timeout=self.position_read_timeout)
        except DbopsError as exc:
            row['why'] = str(exc)
            return row
        try:
            self.read_position(session, node, row)
            # It answered: what it holds is known, even when it is no candidate (not a replica).
            row['answered'] = True
        except Exception as exc:  # noqa: BLE001 - one unreadable node is one unusable candidate
            row['healthy'] = False
            row['why'] = 'its position could not be read: %s' % exc
        finally:
            session.close()
        return row

    @abc.abstractmethod
    def read_position(self, session, node, row):
        """Fill row from the node's session: 'position' (comparable) and 'healthy', or 'why' it cannot be one."""

    @abc.abstractmethod
    def ensure_caught_up(self, candidate, row, max_lag, force, check_mode=False):
        """Refuse (DbopsError) a candidate that lacks acknowledged writes, unless force."""

    @abc.abstractmethod
    def follows(self, node, primary):
        """True when node is a running replica of primary."""

    def role_of(self, node, timeout=None):
        """'writable' (takes writes, follows nobody), 'replica', 'read_only', or None: not running, cannot
        be asked, or an engine whose members are not told apart this way (MongoDB elects its primary)."""
        return None

    def source_of(self, node):
        """The host node is configured to replicate from, working or not (None: none, unreachable, or an
        engine whose members are not pointed at a source, MongoDB). Reads only."""
        return None

    # --- failover
    @abc.abstractmethod
    def fence(self, node, silent=False):
        """Make sure the old primary cannot take writes again on its own. silent: the probe rounds that just
        found it dead had no answer from it, so nothing is asked of it before it is stopped."""

    @abc.abstractmethod
    def promote(self, node):
        """Make node the primary; returns the node promoted (MongoDB's election may choose another) or None."""

    @abc.abstractmethod
    def repoint(self, node, new_primary):
        """Make a running replica follow new_primary."""

    def after_promote(self, node):
        """Work left once the endpoint has moved and the replicas follow node (none by default)."""

    # --- switchover
    @abc.abstractmethod
    def prepare_switchover(self, primary, target):
        """Positions read while the primary still takes writes (the candidate is chosen from them)."""

    @abc.abstractmethod
    def freeze(self, primary):
        """Stop the primary from taking writes, reversibly."""

    @abc.abstractmethod
    def unfreeze(self, primary):
        """Undo freeze() (a switchover that failed before any promotion)."""

    @abc.abstractmethod
    def wait_replicas_caught_up(self, primary, target, timeout):
        """Wait until the target replica holds every write of the frozen primary."""

    @abc.abstractmethod
    def before_promote(self, primary, candidate):
        """Last step on the old primary before the candidate is promoted."""

    @abc.abstractmethod
    def demote(self, primary, new_primary):
        """Make the (running) old primary of a switchover follow new_primary."""

    # --- rejoin
    @abc.abstractmethod
    def rejoin(self, node, primary):
        """Make a fenced old primary a replica of primary; sets last_rejoin_reseeded."""
