# -*- coding: utf-8 -*-
# Copyright: dbops.containers contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tune report as people read it: markdown, HTML, or JSON for other tools."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


def _md_cell(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace('|', '\\|').replace('\n', ' ')


def render_markdown(report):
    server = report['server']
    lines = ['# Tuning report: %s' % server['name'], '',
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
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Tuning report: %s</title>'
            '<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}'
            'td,th{border:1px solid #ccc;padding:4px;vertical-align:top}.critical{background:#fdd}'
            '.warning{background:#ffd}</style></head><body><h1>Tuning report: %s</h1>'
            '<p>%s %s (%s); memory %s, CPUs %s (%s)</p><p>Score <b>%d</b>/100: %d critical, %d warning, '
            '%d info (%d checks)</p><table><tr><th>severity</th><th>category</th><th>finding</th>'
            '<th>current</th><th>recommended</th><th>evidence</th><th>fix</th></tr>%s</table></body></html>\n'
            % (_html_escape(server['name']), _html_escape(server['name']), _html_escape(server['engine']),
               _html_escape(server['version']), _html_escape(server['support']),
               _html_escape(server['memory_human']), _html_escape(server['cpus']),
               _html_escape(server['limits_source']), report['summary']['score'], report['summary']['critical'],
               report['summary']['warning'], report['summary']['info'], report['summary']['checks'],
               ''.join(rows)))


def render(report, fmt):
    if fmt == 'json':
        return json.dumps(report, indent=2, sort_keys=True, default=str) + '\n'
    if fmt == 'markdown':
        return render_markdown(report)
    if fmt == 'html':
        return render_html(report)
    raise ValueError('unknown format %r' % fmt)
