# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which accounts the collection may change: the ones it created, and no other.

db_monitoring_user and db_replication create an account and later repair it (password,
limits, privileges). Repairing an account someone else owns is taking it over: with
``user: root`` the exporter's password replaced the superuser's. So every account the
collection creates carries a mark naming its purpose (how, is the engine's business:
engines/<engine>/accounts.py), and before any change an existing account is judged here:

* the superuser, the account the module logs in as and the application user db_container
  created are refused, always;
* an account with administrator rights is refused, always;
* an account marked for another purpose (the replication account, for the exporter) is refused;
* an account without a mark is refused, unless the caller says ``adopt`` (then it is marked
  and repaired like a new one), or it is indistinguishable from one an earlier release of the
  collection made: the default name, exactly the privileges the collection grants, and the
  password given already logs in (marking it then changes nothing but the mark).

Every refusal happens before the first change, and says so.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.dbops.containers.plugins.module_utils.common.errors import DbopsError
from ansible_collections.dbops.containers.plugins.module_utils.common.login_errors import unchanged

# The key (MySQL attribute, MongoDB customData) or the prefix (PostgreSQL comment, MariaDB role) of the mark.
MARK = 'dbops.containers'
MARK_ACCOUNT = 'mark account'
ADOPT_ACCOUNT = 'adopt account'
MARK_EARLIER_RELEASE = 'mark account created by an earlier release'
# The superusers' names, refused on every engine: an account of that name on another engine is at best
# confusing (a 'root' role on PostgreSQL) and at worst the superuser itself behind an unexpected engine.
SUPERUSER_NAMES = {'root': 'the superuser name of MySQL and MariaDB',
                   'postgres': 'the superuser name of PostgreSQL'}


class AccountFacts(object):
    """What the server says about an account, before anything changes.

    ``marker``: the purpose its mark names (None: no mark). ``admin``: a short text naming its
    administrator rights, or None. ``like_ours``: it has exactly the privileges the collection grants
    and the password given logs in; a callable is asked only for an unmarked account of the default
    name, so no login is tried against an account that is refused anyway (a failed login may count
    towards locking it).
    """

    def __init__(self, exists, marker=None, admin=None, like_ours=False):
        self.exists, self.marker, self.admin, self.like_ours = exists, marker, admin, like_ours


class Ownership(object):
    """The rules for one account of one purpose ('monitoring', 'replication').

    ``reserved``: {name: why} of the accounts never to be touched (the superuser, the login user, the
    application user). ``parameter``: the option that names the account; ``adopt_option``: the option
    that takes an unmarked account over; ``what``: the account's role in messages ('exporter account').
    """

    def __init__(self, purpose, parameter, adopt_option, what, default_user, reserved=None, adopt=False,
                 changes='its password and privileges'):
        self.purpose, self.parameter, self.adopt_option = purpose, parameter, adopt_option
        self.what, self.default_user, self.adopt, self.changes = what, default_user, bool(adopt), changes
        self.reserved = dict(SUPERUSER_NAMES)
        self.reserved.update(reserved or {})

    def reserve(self, name, why):
        """Never touch the account name; the first reason given wins over the generic superuser-name one."""
        if name and (name not in self.reserved or self.reserved[name] == SUPERUSER_NAMES.get(name)):
            self.reserved[name] = why

    def check_name(self, user):
        """Refuse a reserved name before the server is even asked. Raises DbopsError."""
        for name, why in self.reserved.items():
            if user == name or (user or '').lower() == (name or '').lower():
                raise DbopsError(unchanged('%r is %s: the %s must be an account of its own, never touched by '
                                           'anything else; choose another %s (%s does not apply to it)'
                                           % (user, why, self.what, self.parameter, self.adopt_option)),
                                 self.parameter)

    def judge(self, user, facts):
        """The ownership actions before the repairs: [] (ours, or to be created) or one marking action.

        Raises DbopsError (nothing changed yet) for an account the collection may not touch.
        """
        self.check_name(user)
        if not facts.exists:
            return []
        if facts.admin:
            raise DbopsError(unchanged('account %r exists and has administrator rights (%s): the %s must be an '
                                       'unprivileged account of its own; choose another %s (%s does not apply '
                                       'to administrators)' % (user, facts.admin, self.what, self.parameter,
                                                               self.adopt_option)), self.parameter)
        if facts.marker == self.purpose:
            return []
        if facts.marker:
            raise DbopsError(unchanged('account %r was created by dbops.containers as the %s account, not as the '
                                       '%s: choose another %s' % (user, facts.marker, self.what, self.parameter)),
                             self.parameter)
        if self.adopt:
            return [ADOPT_ACCOUNT]
        if user == self.default_user and (facts.like_ours() if callable(facts.like_ours) else facts.like_ours):
            return [MARK_EARLIER_RELEASE]
        raise DbopsError(unchanged('account %r exists and was not created by dbops.containers (it carries no '
                                   '%s mark): choose another %s, or set %s: true to take it over deliberately '
                                   '(%s are then set for the %s, and it is marked as the collection\'s)'
                                   % (user, MARK, self.parameter, self.adopt_option, self.changes, self.what)),
                         self.parameter)


def marking_needed(actions):
    """True when the plan marks an existing account (adopted, or made by an earlier release)."""
    return ADOPT_ACCOUNT in actions or MARK_EARLIER_RELEASE in actions
