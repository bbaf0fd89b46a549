# -*- coding: utf-8 -*-
"""Servers with known problems, shared by the integration tests and bench/."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pymysql

from conftest import base_args, container_ip, mysql_query, pg_query, run_module

MISCONFIGURED_POSTGRES_SETTINGS = {
    'shared_buffers': '128MB',            # in a 2g container: db_container would give 512MB
    'shared_preload_libraries': '',       # pg_stat_statements absent
}


def make_misconfigured_postgres(name, root_password):
    """A PostgreSQL with the usual mistakes; returns its address."""
    result = run_module('db_container', base_args(name, 'postgres', memory='2g', cpus=1, root_password=root_password,
                                                  settings=MISCONFIGURED_POSTGRES_SETTINGS))
    assert not result.failed, result.get('msg')
    host = container_ip(result)
    statements = [
        # events.kind has no index and is filtered on: sequential scans.
        "CREATE TABLE events (id serial PRIMARY KEY, kind text, payload text)",
        "INSERT INTO events (kind, payload) SELECT 'k' || (g % 50), 'x' FROM generate_series(1, 20000) g",
        # orders_never_used is never read.
        "CREATE TABLE orders (id serial PRIMARY KEY, customer text, status text)",
        "CREATE INDEX orders_never_used ON orders (customer)",
        "INSERT INTO orders (customer, status) SELECT 'c' || g, 'done' FROM generate_series(1, 2000) g",
        "ANALYZE",
    ]
    for sql in statements:
        pg_query(host, sql, password=root_password, database='app')
    for _scan in range(20):
        pg_query(host, "SELECT count(*) FROM events WHERE kind = 'k7'", password=root_password, database='app')
    pg_query(host, "SELECT count(*) FROM orders WHERE id = 5", password=root_password, database='app')
    return host


# The same known problems on every MySQL-family server (MySQL 9.7, MariaDB 10.11 and 11.8): only
# what exists on each (no query cache, which MySQL 8.0 removed; rows inserted without MariaDB's
# seq_1_to_N tables), for the tune report's tests and bench/bench_audit.py.
MISCONFIGURED_MYSQL_SETTINGS = {
    'innodb_buffer_pool_size': '128M',   # in a 2g container: db_container would give 1G
    'max_connections': 12,               # the workload below peaks at 12
    'general_log': 'ON',                 # every statement logged
    'performance_schema': 'ON',          # so index and scan statistics exist
}
MISCONFIGURED_MYSQL_IMAGES = {'mysql': 'localhost/dbops/mysql:9.7', 'mariadb': 'localhost/dbops/mariadb:11.8'}


def _values(count, row):
    """One multi-row VALUES list: row(n) for n in 1..count."""
    return ', '.join(row(n) for n in range(1, count + 1))


def make_misconfigured_mysql(name, root_password, engine='mysql', image=None):
    """A MySQL or MariaDB (engine, image: MISCONFIGURED_MYSQL_IMAGES by default) with the usual
    mistakes, the same on both; returns its address. The problems, and the check that finds each:
    a 128M pool in 2g (memory.buffer_pool_small), connections at their limit (connections.near_peak),
    general_log on (logging.general_log), a table filtered on a column without an index
    (index.full_scans), an unused and a redundant index (index.unused, index.duplicate), a table
    without a primary key (schema.no_primary_key), an anonymous account (security.anonymous), a
    network account without a password (security.wildcard_no_password) and one whose password is
    'password' (security.weak_password: found on MariaDB, whose mysql_native_password hash is
    unsalted; MySQL 9.7's caching_sha2_password hash is salted, and no audit can check it offline)."""
    image = image or MISCONFIGURED_MYSQL_IMAGES[engine]
    result = run_module('db_container', base_args(name, engine, image=image, memory='2g', cpus=1,
                                                  root_password=root_password, settings=MISCONFIGURED_MYSQL_SETTINGS))
    assert not result.failed, result.get('msg')
    host = container_ip(result)
    statements = [
        # idx_status is a leading prefix of idx_status_customer (redundant); idx_never_used is never read.
        "CREATE TABLE app.orders (id INT PRIMARY KEY AUTO_INCREMENT, customer VARCHAR(20), status VARCHAR(10), "
        "KEY idx_status (status), KEY idx_status_customer (status, customer), KEY idx_never_used (customer, id))",
        "INSERT INTO app.orders (customer, status) VALUES "
        + _values(3000, lambda n: "('c%d', '%s')" % (n, 'open' if n % 7 == 0 else 'done')),
        # events.kind has no index, and is filtered on.
        "CREATE TABLE app.events (id INT PRIMARY KEY AUTO_INCREMENT, kind VARCHAR(20), payload VARCHAR(50))",
        "INSERT INTO app.events (kind, payload) VALUES " + _values(3000, lambda n: "('k%d', 'x')" % (n % 50)),
        # No primary key: row-based replication scans it for every changed row.
        "CREATE TABLE app.audit_trail (happened_at DATETIME, what VARCHAR(50))",
        "INSERT INTO app.audit_trail VALUES (NOW(), 'created')",
        "CREATE USER ''@'%'",
        "CREATE USER 'reporting'@'%'",   # no password, from anywhere
        "GRANT SELECT ON app.* TO 'reporting'@'%'",
        "CREATE USER 'analyst'@'%' IDENTIFIED BY 'password'",   # the most common password there is
        "GRANT SELECT ON app.* TO 'analyst'@'%'",
    ]
    for sql in statements:
        mysql_query(host, sql, password=root_password, database='app')
    for _scan in range(5):
        mysql_query(host, "SELECT COUNT(*) FROM app.events WHERE kind = 'k7'", password=root_password)
    mysql_query(host, "SELECT COUNT(*) FROM app.orders WHERE status = 'open'", password=root_password)
    # 11 clients at once, plus this one's own: the peak reaches max_connections.
    held = [pymysql.connect(host=host, user='root', password=root_password) for _client in range(11)]
    for conn in held:
        conn.close()
    return host
