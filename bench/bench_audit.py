#!/usr/bin/env python
"""db_tune_report side by side with MySQLTuner 2.9 (Debian sid's package), per server.

Each server (MySQL 9.7, MariaDB 11.8, MariaDB 10.11) is the same misconfigured
MySQL-family server of the integration tests (tests/integration/scenarios.py,
make_misconfigured_mysql: 2 GiB, 1 CPU, a small buffer pool, connections at
their limit, general_log on, a scanned table, an unused and a redundant index,
a table without a primary key, an anonymous account and a network account
without a password). Both tools read it over TCP; MySQLTuner runs in the
localhost/dbops/mysqltuner:2.9 image (`--forcemem`, since it cannot read a
remote server's memory; `--json`). Wall times are medians over RUNS runs and
include each tool's process start. In each run MySQLTuner goes first, so the
recommendations graded are the ones it makes on the server as the scenario
left it (the audit's own information_schema queries count as joins without an
index in Select_full_join, and each tool would otherwise see the other's).

Every line MySQLTuner recommends (its Recommendations and AdjustVariables) is
put under one TOPIC below: a topic our report makes (one of its check ids is
among our findings), or one with a verdict and the reason ours does not make
it (docs/benchmarks.md, "Tuning audit", lists them). Recall per server is the
topics ours makes over MySQLTuner's actionable topics; a line no topic matches
counts as actionable, missed and unexplained (the benchmark says so: the
docs' table needs a row for it).

    make bench-audit        # writes bench/results/audit.json
    SERVERS=mysql-9.7 RUNS=1 make bench-audit
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import statistics
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

from conftest import COLLECTIONS, remove_everything, run_module  # noqa: E402
from scenarios import make_misconfigured_mysql  # noqa: E402

sys.path.insert(0, COLLECTIONS)
import docker  # noqa: E402
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks import (  # noqa: E402
    table as audit_mysql_checks)

ROOT_PW = 'bench-Root-pw1'
TUNER_IMAGE = 'localhost/dbops/mysqltuner:2.9'
# name -> (engine, image); SERVERS (comma-separated names) chooses among them.
SERVERS = {
    'mysql-9.7': ('mysql', 'localhost/dbops/mysql:9.7'),
    'mariadb-11.8': ('mariadb', 'localhost/dbops/mariadb:11.8'),
    'mariadb-10.11': ('mariadb', 'localhost/dbops/mariadb:10.11'),
}

NOT_ACTIONABLE, WRONG, OUT_OF_SCOPE = 'not actionable', 'wrong here', 'out of scope'

# MySQLTuner's recommendation lines -> one topic each (first pattern that matches wins).
# 'ours': the check ids that make the same recommendation; 'verdict' and 'why': for a topic ours
# does not make (or one that is no recommendation at all).
TOPICS = [
    {'topic': 'anonymous accounts', 'pattern': r'anonymous', 'ours': ['mysql.security.anonymous']},
    # Before the next topic: MySQLTuner asks for a 'Secure Password' for both kinds of account.
    {'topic': 'account with a guessable password',
     'pattern': r"basic or weak|weak password|Secure Password for '[^']*'@'[^']*' user\.$",
     'ours': ['mysql.security.weak_password']},
    {'topic': 'account without a password', 'pattern': r'secure password|no password|without password',
     'ours': ['mysql.security.wildcard_no_password', 'mysql.security.no_password']},
    {'topic': "accounts on '%' hosts", 'pattern': r"user_name@'%'|LimitedIPRange|hostname restriction",
     'ours': ['mysql.security.remote_root'],
     'partly': "ours for root only: application accounts are reached over a Docker network, whose "
               "addresses change with every container"},
    {'topic': 'TLS on the server', 'pattern': r'NOT encrypted|Enable SSL support|SSL certificates|Enable TLS',
     'ours': ['mysql.security.tls']},
    {'topic': 'TLS required for every connection',
     'pattern': r'require_secure_transport|REQUIRE SSL|without SSL',
     'verdict': OUT_OF_SCOPE,
     'why': "the collection's own connections (its modules, replication channels, HAProxy's health checks) "
            "do not use TLS yet: requiring it would lock them out; ours reports a server without TLS at all "
            "(mysql.security.tls)"},
    {'topic': 'uptime under 24 hours', 'pattern': r'started within the last 24 hours',
     'ours': ['mysql.server.uptime'], 'verdict': NOT_ACTIONABLE,
     'why': 'a caveat about the counters, not a change (ours says the same: mysql.server.uptime)'},
    {'topic': 'connections at max_connections', 'pattern': r'max_connections|persistent connections',
     'ours': ['mysql.connections.near_peak']},
    {'topic': 'lower wait_timeout / interactive_timeout', 'pattern': r'wait_timeout|interactive_timeout',
     'verdict': WRONG,
     'why': 'the peak came from 11 clients that had disconnected: no idle session holds a slot, so a '
            'shorter timeout frees nothing (ours recommends it when sleeping sessions do: '
            'mysql.connections.idle); below a pool\'s idle lifetime it breaks the pool\'s connections'},
    {'topic': 'joins without indexes / join_buffer_size', 'pattern': r'join_buffer_size|JOINs',
     'verdict': WRONG,
     'why': "the scenario runs no join: Select_full_join counts the audit tools' own information_schema "
            "queries; and a bigger join_buffer_size hides a missing index rather than adding it"},
    {'topic': 'binlog_cache_size', 'pattern': r'binlog_cache_size|binlog cache',
     'verdict': WRONG,
     'why': "1 or 2 spills among a handful of transactions (mysqltuner_saw): the scenario's 3000-row "
            "INSERTs; ours (mysql.binlog.cache_disk_use) waits for 1000 transactions and more than 10 % "
            "spilled, and 16M per connection is a lot of memory for one bulk load"},
    {'topic': 'innodb_status_output_locks', 'pattern': r'innodb_status_output_locks',
     'verdict': NOT_ACTIONABLE,
     'why': "advice for 'during active lock contention troubleshooting'; there is none (ours reports "
            "lock waits and deadlocks when they happen: mysql.innodb.row_lock_waits, deadlocks_unlogged)"},
    {'topic': 'binlog_transaction_compression', 'pattern': r'binlog_transaction_compression',
     'verdict': OUT_OF_SCOPE,
     'why': 'trades source and replica CPU for replication bandwidth; a standalone server has no '
            'replication stream, and containers on one host or LAN are seldom bandwidth-bound'},
    {'topic': 'source_verify_checksum', 'pattern': r'source_verify_checksum|master_verify_checksum',
     'verdict': OUT_OF_SCOPE,
     'why': 'events already carry CRC32 checksums (binlog_checksum) that replicas verify when they read '
            'and apply them; the source re-checking its own log at every read is extra CPU, and this '
            'server has no replica'},
    {'topic': 'Disk I/O bottleneck', 'pattern': r'bottleneck',
     'verdict': WRONG,
     'why': "the 'top waits' are a fraction of a second of the scenario's own inserts; no workload runs, "
            "and the advice names no change"},
    {'topic': 'authentication plugin (MariaDB ed25519/parsec)', 'pattern': r'ed25519|parsec|unix_socket',
     'verdict': OUT_OF_SCOPE,
     'why': 'MariaDB keeps mysql_native_password as its default; ed25519 and PARSEC lock out the many '
            'connectors that lack them (PHP mysqlnd, MySQL Connector/J, PyMySQL without PyNaCl): '
            'a change to make account by account, knowing its clients (on MySQL, where the plugin is '
            'deprecated, ours reports it: mysql.security.native_password)'},
    {'topic': 'NO_AUTO_CREATE_USER in sql_mode', 'pattern': r'NO_AUTO_CREATE_USER',
     'verdict': WRONG,
     'why': "MariaDB's default sql_mode has it (10.11 and 11.8 alike) and MariaDB keeps it; it is MySQL 8.0 "
            "that removed it (a 'migration risk' only for a move to MySQL)"},
    {'topic': 'settings a later version removes (migration risk)', 'pattern': r'Migration Risk',
     'verdict': NOT_ACTIONABLE,
     'why': 'flagged because the variable exists at its default, not because anyone set it: nothing to '
            'change (when one is set, db_container\'s version catalog refuses it on the version that removed '
            'it, before any start)'},
    {'topic': 'known CVEs of the patch release', 'pattern': r'CVE',
     'verdict': OUT_OF_SCOPE,
     'why': "correct for this patch release (fixed in a later 10.11), but the report keeps no vulnerability "
            "list (it would be out of date in every release of the collection); it checks the release line's "
            "support dates (common.version.support); the fix is the line's newest image tag"},
    {'topic': 'innodb_snapshot_isolation', 'pattern': r'innodb_snapshot_isolation',
     'verdict': OUT_OF_SCOPE,
     'why': 'not a tuning: it changes what applications see (a write conflict under REPEATABLE READ becomes '
            'an error the application must retry); MariaDB made it the default in 11.6, so the upgrade to '
            '11.8 brings it'},
    {'topic': 'innodb_flush_neighbors on SSD', 'pattern': r'innodb_flush_neighbors',
     'verdict': WRONG,
     'why': 'MariaDB ignores innodb_flush_neighbors for files on SSD since 10.4 (MDEV-17380), and MySQL '
            'defaults it to 0; and a remote MySQLTuner cannot see the disk it calls SSD'},
    {'topic': 'innodb_io_capacity for SSD', 'pattern': r'innodb_io_capacity',
     'verdict': WRONG,
     'why': 'set from a storage type MySQLTuner guesses from afar; ours raises it when dirty pages show the '
            'page cleaners lag (mysql.innodb.io_capacity), which they do not here'},
    {'topic': 'EOL version', 'pattern': r'EOL', 'ours': ['common.version.support']},
]


def mysqltuner_lines(report):
    """MySQLTuner's advice in its --json report: general recommendations, then variables to adjust."""
    lines = list(report.get('Recommendations') or []) + list(report.get('AdjustVariables') or [])
    return [' '.join(str(line).split()) for line in lines]


def topic_of(line):
    for topic in TOPICS:
        if re.search(topic['pattern'], line, re.IGNORECASE):
            return topic
    return None


def grade(lines, our_ids):
    """MySQLTuner's lines grouped by topic, each with whether ours makes it; and the recall."""
    graded = {}
    for line in lines:
        topic = topic_of(line) or {'topic': 'unclassified: ' + line[:60], 'verdict': None,
                                   'why': 'no row in TOPICS: add one (made by ours, or why not)'}
        entry = graded.setdefault(topic['topic'], {
            'topic': topic['topic'], 'mysqltuner': [],
            'ours': sorted(set(topic.get('ours', [])) & our_ids),
            'actionable': topic.get('verdict') != NOT_ACTIONABLE,
            'verdict': topic.get('verdict'), 'why': topic.get('why'), 'partly': topic.get('partly')})
        entry['mysqltuner'].append(line)
    topics = list(graded.values())
    for entry in topics:
        entry['made_by_ours'] = entry['actionable'] and bool(entry['ours'])
        entry['explained'] = entry['made_by_ours'] or (entry['verdict'] is not None
                                                       and not entry['topic'].startswith('unclassified'))
    actionable = [t for t in topics if t['actionable']]
    made = [t for t in actionable if t['made_by_ours']]
    return topics, {
        'actionable': len(actionable),
        'made_by_ours': len(made),
        'recall': round(len(made) / len(actionable), 2) if actionable else None,
        'unexplained': [t['topic'] for t in actionable if not t['explained']],
    }


def run_tuner(tuner, host):
    started = time.perf_counter()
    code, raw = tuner.exec_run(['mysqltuner', '--host', host, '--port', '3306', '--user', 'root',
                                '--passenv', 'BENCH_PW', '--forcemem', '2048', '--forceswap', '0',
                                '--nocolor', '--json'], environment={'BENCH_PW': ROOT_PW}, demux=True)
    elapsed = time.perf_counter() - started
    stdout = (raw[0] or b'').decode('utf-8', 'replace')
    try:
        report = json.loads(stdout[stdout.index('{'):])
    except ValueError:
        raise AssertionError('MySQLTuner printed no JSON (exit %s): %s %s'
                             % (code, stdout[-2000:], (raw[1] or b'').decode('utf-8', 'replace')[-2000:]))
    return elapsed, code, report


def run_ours(host):
    started = time.perf_counter()
    report = run_module('db_tune_report', {'login_host': host, 'login_password': ROOT_PW,
                                           'memory': '2g', 'cpus': 1, 'format': 'json'})
    elapsed = time.perf_counter() - started
    assert not report.failed, report.get('msg')
    return elapsed, report


def bench_server(client, tuner, server, runs):
    engine, image = SERVERS[server]
    name = 'dbbench-audit-%s' % uuid.uuid4().hex[:6]
    try:
        host = make_misconfigured_mysql(name, ROOT_PW, engine, image)
        ours_times, tuner_times, ours_reports, tuner_reports, tuner_codes = [], [], [], [], []
        for _run in range(runs):
            # MySQLTuner first: the recommendations graded are its first run's, on the scenario's server.
            elapsed, code, tuned = run_tuner(tuner, host)
            tuner_times.append(elapsed)
            tuner_reports.append(tuned)
            tuner_codes.append(code)
            elapsed, report = run_ours(host)
            ours_times.append(elapsed)
            ours_reports.append(report)
        lines = mysqltuner_lines(tuner_reports[0])
        our_ids = set(f['id'] for f in ours_reports[0]['findings'])
        topics, summary = grade(lines, our_ids)
        matched = set(i for t in topics for i in t['ours'])
        ours_s, tuner_s = statistics.median(ours_times), statistics.median(tuner_times)
        seen = tuner_reports[0].get('Status') or {}
        result = {
            'server': ours_reports[0]['server'].get('version'),
            # The counters MySQLTuner's first run read, behind its connection, join and binlog advice.
            'mysqltuner_saw': dict((name, seen.get(name)) for name in (
                'Uptime', 'Max_used_connections', 'Select_full_join', 'Binlog_cache_use', 'Binlog_cache_disk_use')),
            'image': image,
            'mysqltuner_version': (tuner_reports[0].get('MySQLTuner') or {}).get('version'),
            'ours_s': round(ours_s, 3),
            'mysqltuner_s': round(tuner_s, 3),
            'ratio': round(ours_s / tuner_s, 3),
            'ratio_per_run': [round(o / t, 3) for o, t in zip(ours_times, tuner_times)],
            'goal_met': ours_s <= 0.5 * tuner_s and ours_s <= 5.0,
            'mysqltuner_exit_codes': tuner_codes,
            'mysqltuner_lines': len(lines),
            'topics': topics,
            'our_findings': len(our_ids),
            'our_finding_ids': sorted(our_ids),
            # What ours reports beyond MySQLTuner's topics.
            'ours_only': sorted(our_ids - matched),
            'runs': runs,
        }
        result.update(summary)
        return result
    finally:
        remove_everything(client, name)


def main():
    runs = int(os.environ.get('RUNS', '3'))
    chosen = [s.strip() for s in os.environ.get('SERVERS', ','.join(SERVERS)).split(',') if s.strip()]
    unknown = [s for s in chosen if s not in SERVERS]
    if unknown:
        sys.exit('SERVERS: unknown %s (known: %s)' % (', '.join(unknown), ', '.join(SERVERS)))
    client = docker.from_env()
    tuner = client.containers.run(TUNER_IMAGE, name='dbbench-audit-tuner-%s' % uuid.uuid4().hex[:6], detach=True,
                                  labels={'test.dbops': 'true'})
    try:
        servers = dict((server, bench_server(client, tuner, server, runs)) for server in chosen)
    finally:
        tuner.remove(force=True)
    from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks import (
        table as audit_postgres_checks)
    result = {
        'measured_at': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
        'load_average': list(os.getloadavg()),
        'checks': {'mysql': len(audit_mysql_checks.CHECKS), 'postgres': len(audit_postgres_checks.CHECKS)},
        'runs': runs,
        'servers': servers,
    }
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'audit.json'), 'w') as handle:
        json.dump(result, handle, indent=2)
    print(json.dumps(result, indent=2))
    for server, figures in servers.items():
        print('%s: ours %.2f s, MySQLTuner %.2f s (%.2fx); recall %d/%d = %s; unexplained: %s'
              % (server, figures['ours_s'], figures['mysqltuner_s'], figures['ratio'], figures['made_by_ours'],
                 figures['actionable'], figures['recall'], ', '.join(figures['unexplained']) or 'none'),
              file=sys.stderr)


if __name__ == '__main__':
    main()
