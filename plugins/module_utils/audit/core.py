# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tuning audit's framework: checks as data, findings, summary (render.py writes the report).

A check is a row in an engine's table (engines/<engine>/checks/<category>.py, joined in
checks/table.py): an id, a category, a default severity, a title, a function of the
collected facts, the reason, and the source of the rule. The function returns None when
the server is healthy on that point, or a dict with ``current``, ``recommended``,
``evidence`` and ``fix`` (and optionally a ``severity`` that overrides the default, e.g.
warning -> critical past a limit).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple

SEVERITIES = ('critical', 'warning', 'info')
# Score: 100 minus a weight per finding; a critical finding costs a lot.
SEVERITY_WEIGHT = {'critical': 20, 'warning': 5, 'info': 1}

Check = namedtuple('Check', 'id category severity title evaluate rationale source')


def check(table, check_id, category, severity, title, rationale, source):
    """Decorator: a check's row, written right above its function, appended to ``table``.

    Each engine keeps its checks in checks/<category>.py, one table per file; the
    engine's audit module joins the tables into its CHECKS.
    """
    def register(evaluate):
        table.append(Check(check_id, category, severity, title, evaluate, rationale, source))
        return evaluate
    return register


def finding(current, recommended, evidence, fix, severity=None):
    """What a check returns when it fires."""
    result = {'current': current, 'recommended': recommended, 'evidence': evidence, 'fix': fix}
    if severity:
        result['severity'] = severity
    return result


def run_checks(checks, facts):
    """Evaluate every check; a check whose facts are missing stays quiet.

    Returns (findings, skipped) where skipped lists (check id, reason).
    """
    findings, skipped = [], []
    for check in checks:
        try:
            result = check.evaluate(facts)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            skipped.append((check.id, '%s: %s' % (type(exc).__name__, exc)))
            continue
        if not result:
            continue
        severity = result.get('severity', check.severity)
        findings.append({
            'id': check.id,
            'severity': severity,
            'category': check.category,
            'title': check.title,
            'current': result['current'],
            'recommended': result['recommended'],
            'evidence': result['evidence'],
            'rationale': check.rationale,
            'fix': result['fix'],
            'source': check.source,
        })
    order = dict((name, i) for i, name in enumerate(SEVERITIES))
    findings.sort(key=lambda f: (order[f['severity']], f['category'], f['id']))
    return findings, skipped


def summarize(findings, checks_run, skipped):
    counts = dict((severity, 0) for severity in SEVERITIES)
    for item in findings:
        counts[item['severity']] += 1
    score = max(0, 100 - sum(SEVERITY_WEIGHT[s] * n for s, n in counts.items()))
    summary = dict(counts)
    summary.update({'score': score, 'checks': checks_run, 'findings': len(findings),
                    'not_evaluated': len(skipped)})
    return summary
