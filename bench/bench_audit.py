#!/usr/bin/env python
"""db_tune_report side by side with MySQLTuner (Debian's package) on one MariaDB.

The server is the misconfigured MariaDB of the integration tests (2 GiB, 1 CPU,
a small buffer pool, connections at their limit, a scanned table, an unused and
a redundant index, an anonymous account, general_log on). Both tools read it
over TCP; MySQLTuner runs in the tools image (`--forcemem`, since it cannot
read a remote server's memory). Wall times are medians over RUNS runs and
include each tool's process start. Which of MySQLTuner's recommendations our
report also makes is decided by the MATCHES table below.

    make bench-audit        # writes bench/results/audit.json
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
from scenarios import make_misconfigured_mariadb  # noqa: E402

sys.path.insert(0, COLLECTIONS)
import docker  # noqa: E402
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql.checks import (  # noqa: E402
    table as audit_mysql_checks)

ROOT_PW = 'bench-Root-pw1'
TOOLS = 'localhost/dbops/tools:bookworm'

# MySQLTuner recommendation (regex, first match wins) -> our check ids that make the same recommendation.
MATCHES = [
    (r"User ''@", ['mysql.security.anonymous']),
    (r"User 'root'@%", ['mysql.security.remote_root']),
    # The redo log outgrowing a too-small pool: the fix is the pool (which brings the ratio back to 25%).
    (r'log file size|innodb_log_file_size', ['mysql.innodb.redo_log_small', 'mysql.innodb.log_file_size',
                                             'mysql.memory.buffer_pool_small']),
    (r'innodb_buffer_pool_size|buffer pool', ['mysql.memory.buffer_pool_small', 'mysql.memory.buffer_pool_large',
                                              'mysql.cache.buffer_pool_hit_ratio']),
    (r'max_connections|connection usage', ['mysql.connections.near_peak']),
    (r'general.log|general_log', ['mysql.logging.general_log']),
    (r'anonymous|blank password|without password', ['mysql.security.anonymous', 'mysql.security.no_password']),
    (r'redundant|duplicate', ['mysql.index.duplicate']),
    (r'unused ind', ['mysql.index.unused']),
    (r'joins without indexes|join_buffer_size|full table scan',
     ['mysql.joins.full_join', 'mysql.scans.read_rnd_next', 'mysql.index.full_scans']),
    (r'primary key', ['mysql.schema.no_primary_key']),
    (r'tmp_table_size|max_heap_table_size|temporary table', ['mysql.temp.disk_tables', 'mysql.temp.size_mismatch']),
    (r'thread_cache_size', ['mysql.threads.cache_hit']),
    (r'table_open_cache|table_definition_cache|table cache', ['mysql.tables.open_cache',
                                                              'mysql.tables.definition_cache']),
    (r'binlog cache', ['mysql.binlog.cache_disk_use']),
    (r'skip.name.resolve|name resolution', ['mysql.security.skip_name_resolve']),
    (r'query_cache', ['mysql.cache.query_cache']),
    (r'performance.schema', ['mysql.observability.performance_schema']),
    (r'slow.query|long_query_time', ['mysql.logging.slow_log', 'mysql.logging.long_query_time']),
    (r'innodb_flush_log_at_trx_commit|sync_binlog', ['mysql.durability.flush_log', 'mysql.durability.sync_binlog']),
    (r'EOL software', ['common.version.support']),
]


def mysqltuner_recommendations(output):
    """MySQLTuner's advice: its final Recommendations section when it gets there,
    else every line it flags with [!!] (Debian's 1.9.9 stops with a division by
    zero on MariaDB >= 10.6, which has no innodb_buffer_pool_instances)."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('-------- Recommendations')), None)
    if start is None:
        return [line.strip() for line in lines if line.startswith('[!!]')]
    recs = []
    for line in lines[start + 1:]:
        text = line.strip()
        if not text or text.startswith(('General recommendations', 'Variables to adjust')):
            continue
        if text.startswith('---'):
            break
        recs.append(text)
    return recs


def matched_ids(recommendation):
    for pattern, ids in MATCHES:
        if re.search(pattern, recommendation, re.IGNORECASE):
            return ids
    return []


def main():
    runs = int(os.environ.get('RUNS', '3'))
    client = docker.from_env()
    name = 'dbbench-audit-%s' % uuid.uuid4().hex[:6]
    tools = None
    try:
        host = make_misconfigured_mariadb(name, ROOT_PW)
        tools = client.containers.run(TOOLS, name=name + '-tools', detach=True, labels={'test.dbops': 'true'})
        ours_times, tuner_times = [], []
        report = tuner_output = tuner_code = None
        for _run in range(runs):
            started = time.perf_counter()
            report = run_module('db_tune_report', {'login_host': host, 'login_password': ROOT_PW,
                                                   'memory': '2g', 'cpus': 1, 'format': 'json'})
            ours_times.append(time.perf_counter() - started)
            assert not report.failed, report.get('msg')
            started = time.perf_counter()
            code, raw = tools.exec_run(['mysqltuner', '--host', host, '--port', '3306', '--user', 'root',
                                        '--passenv', 'BENCH_PW', '--forcemem', '2048', '--forceswap', '0',
                                        '--nocolor'], environment={'BENCH_PW': ROOT_PW})
            tuner_times.append(time.perf_counter() - started)
            tuner_output = raw.decode('utf-8', 'replace')
            tuner_code = code
        recs = mysqltuner_recommendations(tuner_output)
        ours = set(f['id'] for f in report['findings'])
        shared, missing = [], []
        for rec in recs:
            ids = [i for i in matched_ids(rec) if i in ours]
            (shared if ids else missing).append({'mysqltuner': rec, 'ours': ids})
        from ansible_collections.dbops.containers.plugins.module_utils.engines.postgres.checks import (
            table as audit_postgres_checks)
        result = {
            'ours_s': round(statistics.median(ours_times), 3),
            'mysqltuner_s': round(statistics.median(tuner_times), 3),
            'mysqltuner_recommendations': len(recs),
            'shared_recommendations': len(shared),
            'checks': {'mariadb': len(audit_mysql_checks.CHECKS), 'postgres': len(audit_postgres_checks.CHECKS)},
            'our_findings': len(report['findings']),
            'our_finding_ids': sorted(ours),
            'mysqltuner_exit_code': tuner_code,
            'mysqltuner_completed': '-------- Recommendations' in tuner_output,
            'shared': shared,
            'not_shared': missing,
            'runs': runs,
        }
        os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
        with open(os.path.join(HERE, 'results', 'audit.json'), 'w') as handle:
            json.dump(result, handle, indent=2)
        print(json.dumps(result, indent=2))
    finally:
        if tools is not None:
            tools.remove(force=True)
        remove_everything(client, name)


if __name__ == '__main__':
    main()
