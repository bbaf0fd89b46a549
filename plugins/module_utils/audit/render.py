# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tune report as people read it: markdown, HTML, or JSON for other tools."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import re

# What a report says, as opposed to when it was made and what the counters read at that moment: the
# fingerprint covers these, so a report whose findings and recommendations are the same is the same report
# (db_tune_report rewrites dest, and says changed, only when the fingerprint differs).
# Each finding's current value and evidence are measurements (counters move on a live server between two
# runs): they are shown, not compared.
MEASURED_FINDING_KEYS = ('current', 'evidence')
FINGERPRINT_MARK = 'dbops-report-fingerprint'
_FINGERPRINT_RES = {
    'markdown': re.compile(r'<!-- %s: ([0-9a-f]{64}) -->' % FINGERPRINT_MARK),
    'html': re.compile(r'<meta name="%s" content="([0-9a-f]{64})">' % FINGERPRINT_MARK),
}


def fingerprint(report, fmt):
    """sha256 of what the report concludes, in this format: the server audited, the findings without
    their measured values, what could not be evaluated, the notes. Not the generation time."""
    content = {
        'format': fmt,
        'server': report.get('server'),
        'summary': report.get('summary'),
        'findings': [dict((k, v) for k, v in item.items() if k not in MEASURED_FINDING_KEYS)
                     for item in report.get('findings', [])],
        'not_evaluated': report.get('not_evaluated'),
        'notes': report.get('notes'),
    }
    text = json.dumps(content, sort_keys=True, default=str, separators=(',', ':'))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def fingerprint_of_text(text, fmt):
    """The fingerprint a rendered report carries, or None (an older report, or not one of ours)."""
    if fmt == 'json':
        try:
            value = json.loads(text).get('fingerprint')
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) and re.match(r'^[0-9a-f]{64}$', value) else None
    found = _FINGERPRINT_RES[fmt].search(text)
    return found.group(1) if found else None


def _md_cell(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace('|', '\\|').replace('\n', ' ')


def render_markdown(report):
    server = report['server']
    lines = ['# Tuning report: %s' % server['name'], '',
             'Generated %s.' % report.get('generated', 'unknown'), '',
             '%s %s, %s; limits: memory %s, CPUs %s (%s).' % (
                 server['engine'], server['version'], server['support'],
                 server['memory_human'], server['cpus'], server['limits_source']), '',
             'Score **%(score)d**/100: %(critical)d critical, %(warning)d warning, %(info)d info '
             '(%(checks)d checks).' % report['summary'], '']
    if not report['findings']:
        lines.append('No findings.')
    for item in report['findings']:
        lines += ['## [%s] %s (`%s`)' % (item['severity'].upper(), item['title'], item['id']), '',
                  '| | |', '| --- | --- |',
                  '| category | %s |' % _md_cell(item['category']),
                  '| current | %s |' % _md_cell(item['current']),
                  '| recommended | %s |' % _md_cell(item['recommended']),
                  '| evidence | %s |' % _md_cell(item['evidence']),
                  '| why | %s |' % _md_cell(item['rationale']),
                  '| fix | %s |' % _md_cell(item['fix']),
                  '| source | %s |' % _md_cell(item['source']), '']
    for note in report.get('notes', []):
        lines.append('> %s' % note)
    lines += ['', '<!-- %s: %s -->' % (FINGERPRINT_MARK, fingerprint(report, 'markdown'))]
    return '\n'.join(lines) + '\n'


def _html_escape(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;'))


def render_html(report):
    server = report['server']
    rows = []
    for item in report['findings']:
        rows.append('<tr class="%s"><td>%s</td><td>%s</td><td>%s<br><code>%s</code></td><td>%s</td><td>%s</td>'
                    '<td>%s</td><td><code>%s</code></td></tr>' % tuple(
                        _html_escape(v) for v in (item['severity'], item['severity'], item['category'],
                                                  item['title'], item['id'], item['current'],
                                                  item['recommended'], item['evidence'], item['fix'])))
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="%s" content="%s">'
            '<title>Tuning report: %s</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}'
            'td,th{border:1px solid #ccc;padding:4px;vertical-align:top}.critical{background:#fdd}'
            '.warning{background:#ffd}</style></head><body><h1>Tuning report: %s</h1><p>Generated %s</p>'
            '<p>%s %s (%s); memory %s, CPUs %s (%s)</p><p>Score <b>%d</b>/100: %d critical, %d warning, '
            '%d info (%d checks)</p><table><tr><th>severity</th><th>category</th><th>finding</th>'
            '<th>current</th><th>recommended</th><th>evidence</th><th>fix</th></tr>%s</table></body></html>\n'
            % (FINGERPRINT_MARK, fingerprint(report, 'html'), _html_escape(server['name']),
               _html_escape(server['name']), _html_escape(report.get('generated', 'unknown')),
               _html_escape(server['engine']),
               _html_escape(server['version']), _html_escape(server['support']),
               _html_escape(server['memory_human']), _html_escape(server['cpus']),
               _html_escape(server['limits_source']), report['summary']['score'], report['summary']['critical'],
               report['summary']['warning'], report['summary']['info'], report['summary']['checks'],
               ''.join(rows)))


def render(report, fmt):
    if fmt == 'json':
        document = dict(report, fingerprint=fingerprint(report, 'json'))
        document.pop('report', None)
        return json.dumps(document, indent=2, sort_keys=True, default=str) + '\n'
    if fmt == 'markdown':
        return render_markdown(report)
    if fmt == 'html':
        return render_html(report)
    raise ValueError('unknown format %r' % fmt)
