#!/usr/bin/env python
"""db_container's derived settings against stock settings and the best-known calculators.

One run interleaves, on identical container limits (2 CPUs / 4 GiB and 1 CPU / 2 GiB):

- stock:       the image run directly with the Docker SDK, same memory, swap, CPU limits and a
               named data volume, with the image's own defaults (db_container has no "no tuning"
               switch, and its settings file would not be stock);
- tuned:       db_container's derived settings, as the module delivers them;
- calculators: db_container with the calculator's values passed as ``settings`` (the way a user
               applies any calculator's output), so everything the calculator leaves alone is
               identical to ``tuned`` (durability, binary log, logging): the difference measured is
               the sizing alone. PostgreSQL: ``pgtune``. MariaDB: ``dedicated``
               (innodb_dedicated_server sizing) and ``mysqltuner`` (MySQLTuner's "Variables to
               adjust", from a run against a warmed stock server of the same size).

Load: sysbench oltp_read_write (uniform keys) for MariaDB, pgbench TPC-B-like for PostgreSQL, both from
the tools image on the same Docker network, with a data set larger than the stock buffers (128M).
The data set is loaded once per engine into a golden volume; every run gets a fresh copy of it (so
no configuration inherits another's writes), with the copy's pages dropped from the page cache (so
every server starts cold and its reads are charged to its own memory limit). MariaDB's redo log is
rewritten in place before the warm-up (see age_redo_log: a freshly sized log would cost every tuned
configuration a start-up penalty the stock server, keeping the golden log, does not pay). Every run warms the
server the same way (reads every table and index, then WARMUP_S seconds of load), measures MEASURE_S
seconds, then opens max_connections clients for STORM_S seconds (PostgreSQL: all but the 3 slots
reserved for superusers) and reads the container's peak memory (cgroup v1 max_usage, page cache
included) and whether it was OOM-killed.

Per round, every configuration of an engine and size runs back to back in a rotating order; ratios are
taken inside a round and their median over ROUNDS rounds is reported.

    make bench-tuning            # full run: writes bench/results/tuning.json and docs/img/tuning.png
    QUICK=1 make bench-tuning    # CI mode: tiny data set, 1 CPU / 2 GiB only, seconds per run

Environment: QUICK, ROUNDS, WARMUP_S, MEASURE_S, STORM_S, CLIENTS, SIZES (e.g. "4g,2g"),
ENGINES (e.g. "mariadb,postgres"), RESULTS_DIR, PLOT (path of the PNG; empty for none).
"""

from __future__ import absolute_import, division, print_function

import io
import json
import os
import platform
import shlex
import signal
import sys
import tarfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))

import calculators  # noqa: E402
import tuning_stats  # noqa: E402
from conftest import COLLECTIONS, run_module  # noqa: E402

sys.path.insert(0, COLLECTIONS)
from ansible_collections.dbops.containers.plugins.module_utils import tuning  # noqa: E402
from ansible_collections.dbops.containers.plugins.module_utils.engines.mysql import tuning as mysql_tuning

import docker  # noqa: E402
from docker.types import Mount  # noqa: E402

GIB = 1024 ** 3
ROOT_PW = 'bench-Root-pw1'
TOOLS = 'localhost/dbops/tools:bookworm'
# The versions the rules were measured on (docs/benchmarks.md), for every configuration alike: the
# stock server, the golden data set and db_container's (whose local default is now the newest).
IMAGES = {'mariadb': 'localhost/dbops/mariadb:10.11', 'postgres': 'localhost/dbops/postgres:15'}
DATA_DIRS = {'mariadb': '/var/lib/mysql', 'postgres': '/var/lib/postgresql/data'}
LABELS = {'bench.dbops': 'true'}
SIZES = {'4g': (4 * GIB, 2.0), '2g': (2 * GIB, 1.0)}
CALCULATORS = {'mariadb': ('dedicated', 'mysqltuner'), 'postgres': ('pgtune',)}
PG_RESERVED_SLOTS = 3  # superuser_reserved_connections' default: slots no application client gets
CPU_PERIOD = 100000


class Bench(object):
    def __init__(self, client, plan):
        self.client = client
        self.plan = plan
        self.prefix = 'dbbench-tune-%s' % uuid.uuid4().hex[:6]
        self.network = self.prefix + '-net'
        self.tools = None
        self.log_lines = []

    # ------------------------------------------------------------ plumbing
    def log(self, message):
        line = '%s %s' % (time.strftime('%H:%M:%S'), message)
        self.log_lines.append(line)
        print(line, flush=True)

    def setup(self):
        self.client.networks.create(self.network, labels=LABELS)
        self.tools = self.client.containers.run(TOOLS, ['sleep', 'infinity'], name=self.prefix + '-tools',
                                                detach=True, labels=LABELS, network=self.network)
        self.patch_mysqltuner()

    def cleanup(self):
        """Every container, volume and network this run created, whatever happened."""
        for container in self.client.containers.list(all=True, filters={'label': 'bench.dbops=true'}):
            if container.name.startswith(self.prefix):
                try:
                    container.remove(force=True, v=True)
                except docker.errors.APIError:
                    pass
        for volume in self.client.volumes.list():
            if volume.name.startswith(self.prefix):
                try:
                    volume.remove(force=True)
                except docker.errors.APIError:
                    pass
        for network in self.client.networks.list(names=[self.network]):
            try:
                network.remove()
            except docker.errors.APIError:
                pass

    def sh(self, command, env=None, check=True):
        """Run a shell command in the tools container: (exit code, output)."""
        code, raw = self.tools.exec_run(['sh', '-c', command], environment=env or {})
        output = raw.decode('utf-8', 'replace')
        if check and code != 0:
            raise RuntimeError('tools: %s\nexit %s: %s' % (command, code, output[-2000:]))
        return code, output

    def mysql(self, host, sql, check=True):
        return self.sh('mariadb -h %s -uroot -N -B -e %s' % (host, shlex.quote(sql)),
                       env={'MYSQL_PWD': ROOT_PW}, check=check)

    def psql(self, host, sql, database='bench', check=True):
        return self.sh('psql -h %s -U postgres -d %s -At -v ON_ERROR_STOP=1 -c %s'
                       % (host, database, shlex.quote(sql)), env={'PGPASSWORD': ROOT_PW}, check=check)

    def wait_ready(self, engine, host, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if engine == 'mariadb':
                code, _out = self.mysql(host, 'SELECT 1', check=False)
            else:
                code, _out = self.psql(host, 'SELECT 1', database='postgres', check=False)
            if code == 0:
                return
            time.sleep(1)
        raise RuntimeError('%s did not answer within %d s' % (host, timeout))

    # ------------------------------------------------------------ MySQLTuner
    def patch_mysqltuner(self):
        """Debian's MySQLTuner 1.9.9 dies on MariaDB >= 10.6 (docs/benchmarks.md): it divides the pool by
        innodb_buffer_pool_chunk_size, which MariaDB >= 10.8 reports as 0 (sized automatically), and
        Innodb_log_waits by Innodb_log_writes, which MariaDB 10.11 reports as 0. Two guards make it run
        to its Recommendations; nothing else changes. The copy lives in the tools container only."""
        _code, script = self.sh('cat /usr/bin/mysqltuner')
        guards = [
            ('    $myvar{"innodb_buffer_pool_instances"} = 1\n',
             "    delete $myvar{'innodb_buffer_pool_chunk_size'} unless $myvar{'innodb_buffer_pool_chunk_size'};\n"
             '    $myvar{"innodb_buffer_pool_instances"} = 1\n'),
            ("        and defined( $mystat{'Innodb_log_writes'} ) )",
             "        and $mystat{'Innodb_log_writes'} )"),
        ]
        for old, new in guards:
            if script.count(old) != 1:
                raise RuntimeError('mysqltuner changed: cannot find %r once' % old)
            script = script.replace(old, new)
        payload = script.encode('utf-8')
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode='w') as tar:
            info = tarfile.TarInfo('mysqltuner-guarded')
            info.size, info.mode = len(payload), 0o755
            tar.addfile(info, io.BytesIO(payload))
        self.tools.put_archive('/usr/local/bin', archive.getvalue())

    def mysqltuner_settings(self, size):
        """MySQLTuner's advice for this size, from a stock server warmed with the benchmark's own load."""
        memory, cpus = SIZES[size]
        name = '%s-mariadb-%s-mysqltuner-probe' % (self.prefix, size)
        try:
            self.copy_golden('mariadb', name + '-data')
            self.start_stock('mariadb', name, size)
            self.warm('mariadb', name, seconds=max(self.plan['warmup_s'], self.plan['measure_s']))
            _code, output = self.sh('mysqltuner-guarded --host %s --port 3306 --user root --pass "$BENCH_PW" '
                                    '--forcemem %d --forceswap 0 --skippassword --nocolor' % (name, memory // 2 ** 20),
                                    env={'BENCH_PW': ROOT_PW}, check=False)
        finally:
            self.remove(name)
        adjustments = calculators.mysqltuner_adjustments(output)
        # The advice is applied to db_container's server of this size: its pool is the one the log is sized for.
        derived = tuning.derive(mysql_tuning.MARIADB_RULES, tuning.Resources(memory, cpus, 'oltp', (10, 11)))
        settings, skipped = calculators.apply_mysqltuner(adjustments, memory, derived['innodb_buffer_pool_size'])
        completed = '-------- Recommendations' in output
        self.log('mysqltuner %s: completed=%s adjust=%s -> %s; skipped %s'
                 % (size, completed, [a[0] for a in adjustments], settings, skipped))
        if not completed:
            raise RuntimeError('mysqltuner did not reach its recommendations:\n' + output[-3000:])
        return settings, {'adjustments': [a[0] for a in adjustments], 'skipped': skipped,
                          'output_tail': output.splitlines()[-40:]}

    # ------------------------------------------------------------ data
    def golden_volume(self, engine):
        return '%s-%s-golden' % (self.prefix, engine)

    def load_golden(self, engine):
        """Load the data set once per engine into a volume; runs get copies of it."""
        volume = self.golden_volume(engine)
        self.client.volumes.create(volume, labels=LABELS)
        name = volume + '-loader'
        started = time.time()
        # The loader gets memory for a fast load; its settings leave no trace in the data files that
        # a configuration would keep (MariaDB resizes the redo log at start, PostgreSQL reads no
        # setting from the data files but postgresql.auto.conf, which stays empty).
        if engine == 'mariadb':
            command = ['mariadbd', '--innodb-buffer-pool-size=2G', '--innodb-flush-log-at-trx-commit=0']
        else:
            command = ['postgres', '-c', 'maintenance_work_mem=512MB', '-c', 'max_wal_size=4GB',
                       '-c', 'shared_buffers=1GB']
        self.run_image(engine, name, volume, 4 * GIB, 2.0, command)
        try:
            self.wait_ready(engine, name)
            if engine == 'mariadb':
                self.sh('sysbench oltp_read_write %s --threads=2 prepare'
                        % self.sysbench_args(name), env={'BENCH_PW': ROOT_PW})
                _code, size = self.mysql(name, "SELECT SUM(data_length + index_length) FROM "
                                               "information_schema.tables WHERE table_schema = 'sbtest'")
            else:
                self.sh('pgbench -i -I dtGvp -q -s %d -h %s -U postgres bench'
                        % (self.plan['pgbench_scale'], name), env={'PGPASSWORD': ROOT_PW})
                self.psql(name, 'CREATE EXTENSION IF NOT EXISTS pg_prewarm')
                self.psql(name, 'CHECKPOINT')
                _code, size = self.psql(name, "SELECT sum(pg_total_relation_size(oid)) FROM pg_class "
                                              "WHERE relname LIKE 'pgbench_%' AND relkind = 'r'")
        finally:
            self.client.containers.get(name).stop(timeout=120)  # a clean shutdown: files copy as they are
            self.client.containers.get(name).remove(v=True)
        data_bytes = int(float(size.strip().splitlines()[-1]))
        self.log('%s data set: %.0f MiB, loaded in %.0f s' % (engine, data_bytes / 2 ** 20, time.time() - started))
        return data_bytes

    def copy_golden(self, engine, volume):
        """A fresh copy of the golden volume. The copier's page cache is dropped (dd iflag=nocache) for
        the source and the copy, so the server reads its data cold, charged to its own memory limit."""
        self.client.volumes.create(volume, labels=LABELS)
        script = ('cp -a /golden/. /data/ && sync && '
                  'find /golden /data -type f -exec dd if={} iflag=nocache count=0 status=none \\;')
        self.client.containers.run(TOOLS, ['sh', '-c', script], remove=True, labels=LABELS,
                                   name=volume + '-copier', mem_limit='512m',
                                   mounts=[Mount('/golden', self.golden_volume(engine), type='volume', read_only=True),
                                           Mount('/data', volume, type='volume')])

    # ------------------------------------------------------------ servers
    def run_image(self, engine, name, volume, memory, cpus, command=None):
        environment = ({'MARIADB_ROOT_PASSWORD': ROOT_PW, 'MARIADB_DATABASE': 'sbtest'} if engine == 'mariadb'
                       else {'POSTGRES_PASSWORD': ROOT_PW, 'POSTGRES_DB': 'bench'})
        return self.client.containers.run(
            IMAGES[engine], command, name=name, detach=True, labels=LABELS, network=self.network,
            environment=environment, mem_limit=memory, memswap_limit=memory,
            cpu_period=CPU_PERIOD, cpu_quota=int(cpus * CPU_PERIOD),
            mounts=[Mount(DATA_DIRS[engine], volume, type='volume')])

    def start_stock(self, engine, name, size):
        memory, cpus = SIZES[size]
        self.run_image(engine, name, name + '-data', memory, cpus)
        self.wait_ready(engine, name)

    def start_db_container(self, engine, name, size, settings):
        memory, cpus = SIZES[size]
        args = {
            'name': name, 'engine': engine, 'image': IMAGES[engine], 'memory': size, 'cpus': cpus,
            'profile': 'oltp', 'root_password': ROOT_PW, 'data_volume': name + '-data',
            'networks': [self.network], 'labels': dict(LABELS), 'wait_timeout': 300,
            # An OOM-killed server must stay down to be counted, not come back by itself.
            'restart_policy': 'no', 'settings': settings or {},
        }
        result = run_module('db_container', args)
        if result.failed:
            raise RuntimeError('db_container %s failed: %s' % (name, result.get('msg')))
        self.wait_ready(engine, name)
        return result.get('settings')

    def age_redo_log(self, name):
        """Give every MariaDB the redo log of a server that has run for a while.

        A server whose innodb_log_file_size differs from the data directory's creates a new log with
        fallocate: its blocks are unwritten extents, and until the log has wrapped once every commit's
        fdatasync also journals an extent conversion. The stock server keeps the golden copy's log, written
        all through by the load, so without this every configuration that sizes the log would pay a
        start-up cost production never sees. The server is stopped cleanly, the log rewritten in place
        with its own bytes (same content, written extents), and started again. Done for every
        configuration, stock included, so all are treated alike."""
        container = self.client.containers.get(name)
        container.stop(timeout=120)
        script = ('dd if=/data/ib_logfile0 of=/data/ib_logfile0 bs=4M conv=notrunc,fsync status=none && '
                  'dd if=/data/ib_logfile0 iflag=nocache count=0 status=none')
        self.client.containers.run(TOOLS, ['sh', '-c', script], remove=True, labels=LABELS,
                                   name=name + '-redo-ager', mem_limit='512m',
                                   mounts=[Mount('/data', name + '-data', type='volume')])
        container.start()
        self.wait_ready('mariadb', name)

    def remove(self, name):
        for container in self.client.containers.list(all=True, filters={'name': '^/%s$' % name}):
            container.remove(force=True, v=True)
        for volume in self.client.volumes.list():
            if volume.name.startswith(name + '-'):
                try:
                    volume.remove(force=True)
                except docker.errors.APIError:
                    pass

    # ------------------------------------------------------------ load
    def sysbench_args(self, host):
        return ('--db-driver=mysql --mysql-host=%s --mysql-user=root --mysql-password="$BENCH_PW" '
                '--mysql-db=sbtest --tables=%d --table-size=%d'
                % (host, self.plan['sysbench_tables'], self.plan['sysbench_rows']))

    def workload(self, engine, host, clients, seconds, latency_log=None, storm=False):
        """Run the load; (tps, p95 ms, exit code, output)."""
        if engine == 'mariadb':
            # In the storm every client runs plain statements: sysbench prepares about 9 statements per
            # table and client, which with 200 clients passes max_prepared_stmt_count (16382) - a limit of
            # the load generator, not of the memory the storm is there to measure.
            code, output = self.sh('sysbench oltp_read_write %s --rand-type=uniform --threads=%d --time=%d '
                                   '--percentile=95 --report-interval=0 %s run'
                                   % (self.sysbench_args(host), clients, seconds,
                                      '--db-ps-mode=disable' if storm else ''),
                                   env={'BENCH_PW': ROOT_PW}, check=False)
            tps, p95 = tuning_stats.parse_sysbench(output)
            return tps, p95, code, output
        log_option = ''
        if latency_log:
            self.sh('rm -f %s*' % latency_log)
            log_option = '-l --log-prefix=%s' % latency_log
        # pgbench's -T clock runs while its clients connect: 300 SCRAM handshakes on a busy machine can
        # take longer than a short storm, which then counts no transaction at all. In the storm every
        # client runs a number of transactions instead, so each one is connected and working together.
        length = '-t %d' % max(5, seconds * 3) if storm else '-T %d' % seconds
        code, output = self.sh('pgbench -h %s -U postgres -n -M prepared -c %d -j %d %s %s bench'
                               % (host, clients, min(clients, 2), length, log_option),
                               env={'PGPASSWORD': ROOT_PW}, check=False)
        tps = tuning_stats.parse_pgbench_tps(output)
        p95 = None
        if latency_log:
            _code, log_text = self.sh('cat %s* 2>/dev/null; rm -f %s*' % (latency_log, latency_log), check=False)
            latencies = tuning_stats.pgbench_latencies_ms(log_text)
            p95 = tuning_stats.percentile(latencies, 0.95) if latencies else None
        return tps, p95, code, output

    def warm(self, engine, host, seconds):
        """The same warm-up for every configuration: read every table and index once, then load."""
        if engine == 'mariadb':
            for table in range(1, self.plan['sysbench_tables'] + 1):
                self.mysql(host, 'SELECT SUM(LENGTH(c)) FROM sbtest.sbtest%d; '
                                 'SELECT COUNT(*) FROM sbtest.sbtest%d FORCE INDEX (k_%d)' % (table, table, table))
        else:
            self.psql(host, "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c WHERE c.relname LIKE 'pgbench_%' "
                            "AND c.relkind IN ('r', 'i')")
        self.workload(engine, host, self.plan['clients'], seconds)

    def max_connections(self, engine, host):
        if engine == 'mariadb':
            return int(self.mysql(host, 'SELECT @@max_connections')[1].split()[-1])
        return int(self.psql(host, 'SHOW max_connections')[1].split()[-1])

    # ------------------------------------------------------------ one run
    def run_config(self, engine, size, config, round_number, settings):
        name = '%s-%s-%s-%s-r%d' % (self.prefix, engine, size, config, round_number)
        started = time.time()
        run = {'engine': engine, 'size': size, 'config': config, 'round': round_number}
        try:
            self.copy_golden(engine, name + '-data')
            if config == tuning_stats.CONFIG_STOCK:
                self.start_stock(engine, name, size)
            else:
                run['effective_settings'] = self.start_db_container(
                    engine, name, size, None if config == tuning_stats.CONFIG_TUNED else settings)
            if engine == 'mariadb':
                self.age_redo_log(name)
            self.warm(engine, name, self.plan['warmup_s'])
            tps, p95, code, output = self.workload(engine, name, self.plan['clients'], self.plan['measure_s'],
                                                   latency_log='/tmp/pgb-%s' % uuid.uuid4().hex[:6])
            run.update({'tps': tps, 'p95_ms': p95, 'workload_exit': code})
            if not tps:
                run['workload_output'] = output[-2000:]
            max_connections = self.max_connections(engine, name)
            storm_clients = max_connections - (PG_RESERVED_SLOTS if engine == 'postgres' else 0)
            storm_tps, _p95, storm_code, storm_output = self.workload(engine, name, storm_clients,
                                                                      self.plan['storm_s'], storm=True)
            run.update({'max_connections': max_connections, 'storm_clients': storm_clients,
                        'storm_tps': storm_tps, 'storm_ok': storm_code == 0 and bool(storm_tps)})
            if not run['storm_ok']:
                run['storm_output'] = storm_output[-2000:]
            container = self.client.containers.get(name)
            stats = self.client.api.stats(name, stream=False)
            memory_stats = stats.get('memory_stats') or {}
            state = container.attrs['State']
            run.update({'peak_memory_bytes': memory_stats.get('max_usage') or memory_stats.get('usage'),
                        'oom_killed': bool(state.get('OOMKilled')), 'running': bool(state.get('Running'))})
        except Exception as exc:  # noqa: BLE001 - one failed run is recorded, the others go on
            run['error'] = '%s: %s' % (type(exc).__name__, exc)
            try:
                run['oom_killed'] = bool(self.client.containers.get(name).attrs['State'].get('OOMKilled'))
            except docker.errors.NotFound:
                pass
        finally:
            self.remove(name)
        run['seconds'] = round(time.time() - started, 1)
        self.log('%-8s %-3s %-10s r%d tps=%s p95=%s ms peak=%s MiB oom=%s storm=%s/%s %s'
                 % (engine, size, config, round_number, run.get('tps'), run.get('p95_ms'),
                    round((run.get('peak_memory_bytes') or 0) / 2 ** 20), run.get('oom_killed'),
                    run.get('storm_clients'), run.get('storm_ok'), run.get('error', '')))
        return run


def calculator_settings(bench, engine, size):
    memory, cpus = SIZES[size]
    notes = {}
    if engine == 'postgres':
        settings = {'pgtune': calculators.pgtune(memory, cpus, 'oltp', 15, 'ssd')}
    else:
        tuner, notes = bench.mysqltuner_settings(size)
        settings = {'dedicated': calculators.innodb_dedicated_server(memory, cpus), 'mysqltuner': tuner}
    return settings, notes


def plot(results, path):
    """Two panels: TPS and p95 latency of every configuration relative to stock, per engine and size.

    Also run on its own to redraw from a results file: python bench/bench_tuning.py --plot-only."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    colours = {'stock': '#9e9e9e', 'tuned': '#1f77b4', 'pgtune': '#ff7f0e', 'dedicated': '#2ca02c',
               'mysqltuner': '#d62728'}
    groups = [(engine, size) for engine in ('mariadb', 'postgres') for size in ('4g', '2g')
              if size in results.get(engine, {})]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    panels = ((axes[0], 'tps_vs_stock', 'TPS relative to stock (higher is better)', 1.2),
              (axes[1], 'p95_latency_vs_stock', 'p95 latency relative to stock (lower is better)', None))
    for axis, key, title, goal in panels:
        labelled, highest = set(), 1.0
        for index, (engine, size) in enumerate(groups):
            summary = results[engine][size]
            configs = ['stock', 'tuned'] + sorted(c for c in summary[key] if c != 'tuned')
            width = 0.8 / len(configs)
            for position, config in enumerate(configs):
                value = 1.0 if config == 'stock' else summary[key].get(config)
                if value is None:
                    continue
                x = index - 0.4 + width * (position + 0.5)
                axis.bar(x, value, width, color=colours.get(config), label=None if config in labelled else config)
                labelled.add(config)
                highest = max(highest, value)
                axis.annotate('%.2f' % value, (x, value), ha='center', va='bottom', fontsize=7)
        if goal:
            axis.axhline(goal, color='black', linestyle='--', linewidth=0.8, label='goal: tuned %.1fx stock' % goal)
        axis.set_xticks(range(len(groups)))
        axis.set_xticklabels(['%s\n%s' % (engine, '4 GiB / 2 CPUs' if size == '4g' else '2 GiB / 1 CPU')
                              for engine, size in groups])
        axis.set_title(title, fontsize=10)
        axis.set_ylim(0, highest * 1.3)  # room for the legend above the bars
        axis.legend(fontsize=7, loc='upper center', ncol=3)
    figure.suptitle('db_container derived settings vs stock and calculators (medians of paired runs)', fontsize=11)
    figure.tight_layout()
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def hardware():
    info = {'python': platform.python_version(), 'kernel': platform.release(), 'cpus': os.cpu_count()}
    try:
        with open('/proc/meminfo') as handle:
            info['memory_gib'] = round(int(handle.readline().split()[1]) / 2 ** 20, 1)
        with open('/proc/cpuinfo') as handle:
            info['cpu_model'] = next((line.split(':', 1)[1].strip() for line in handle if 'model name' in line), '')
    except OSError:
        pass
    return info


def main():
    plan = tuning_stats.plan_from_env(os.environ)
    results_dir = os.environ.get('RESULTS_DIR') or os.path.join(HERE, 'results')
    plot_path = os.environ.get('PLOT', os.path.join(ROOT, 'docs', 'img', 'tuning.png'))
    if '--plot-only' in sys.argv[1:]:
        with open(os.path.join(results_dir, 'tuning.json')) as handle:
            plot(json.load(handle), plot_path)
        return 0
    client = docker.from_env()
    bench = Bench(client, plan)
    # `kill` or Ctrl-C still cleans up: the handler turns SIGTERM into SystemExit.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    started = time.time()
    runs, settings_by_size, notes, data_bytes = [], {}, {}, {}
    bench.log('plan: %s (prefix %s)' % (json.dumps(plan), bench.prefix))
    try:
        bench.setup()
        for engine in plan['engines']:
            data_bytes[engine] = bench.load_golden(engine)
        for size in plan['sizes']:
            for engine in plan['engines']:
                settings_by_size[(engine, size)], notes[(engine, size)] = calculator_settings(bench, engine, size)
        for round_number in range(1, plan['rounds'] + 1):
            for size in plan['sizes']:
                for engine in plan['engines']:
                    configs = [tuning_stats.CONFIG_STOCK, tuning_stats.CONFIG_TUNED] + list(CALCULATORS[engine])
                    for config in tuning_stats.rotated(configs, round_number - 1):
                        settings = settings_by_size[(engine, size)].get(config)
                        runs.append(bench.run_config(engine, size, config, round_number, settings))
    finally:
        bench.cleanup()
    results = {}
    for engine in plan['engines']:
        for size in plan['sizes']:
            mine = [r for r in runs if r['engine'] == engine and r['size'] == size]
            summary = tuning_stats.summarise(mine, CALCULATORS[engine])
            summary['calculator_settings'] = settings_by_size[(engine, size)]
            summary['data_set_mib'] = round(data_bytes[engine] / 2 ** 20)
            summary['tuned_settings'] = next((r.get('effective_settings') for r in mine
                                              if r['config'] == tuning_stats.CONFIG_TUNED
                                              and r.get('effective_settings')), None)
            if notes.get((engine, size)):
                summary['mysqltuner'] = notes[(engine, size)]
            results.setdefault(engine, {})[size] = summary
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, 'tuning.json'), 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
    with open(os.path.join(results_dir, 'tuning-runs.json'), 'w') as handle:
        json.dump({'plan': plan, 'prefix': bench.prefix, 'hardware': hardware(),
                   'started': time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(started)),
                   'wall_s': round(time.time() - started), 'runs': runs, 'log': bench.log_lines}, handle, indent=2)
    if plot_path:
        plot(results, plot_path)
    for engine in results:
        for size, summary in results[engine].items():
            bench.log('%s %s: tuned/stock %s, tuned/calculator %s (%s), oom %s, goal met %s'
                      % (engine, size, summary['tuned_vs_stock'], summary['tuned_vs_calculator'],
                         summary['strongest_calculator'], summary['oom_kills'], summary['goal_met']))
    bench.log('wall time %.0f s' % (time.time() - started))
    failed = [r for r in runs if r.get('error')]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
