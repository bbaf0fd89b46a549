# dbops.containers: the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.build/collections
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
# Tests and the demo run the images this project builds (no registry here).
export DBOPS_IMAGE_SOURCE ?= local
PYTEST := $(VENV)/bin/python -m pytest

.PHONY: demo test static images venv lint sanity units ansible-test-units integration molecule clean-test-containers demo-clean bench-provision bench-audit bench-cluster bench-failover bench-faults bench-tuning

## make demo: a 3-node MariaDB cluster (HAProxy) and a 2-node PostgreSQL cluster (PgBouncer) on the
## local Docker engine, writes through the endpoints read on every replica, cluster status, tune reports
demo: venv images
	ansible-playbook -i inventory/local.yml playbooks/demo.yml
	ansible-playbook -i inventory/local.yml playbooks/tune_audit.yml
	@echo; cat .build/tune-reports/index.md; echo; echo "Reports: $(ROOT)/.build/tune-reports/"
	@echo "MariaDB writer 127.0.0.1:6446, reader 127.0.0.1:6447; PostgreSQL (PgBouncer) 127.0.0.1:6432"
	@echo "Prometheus http://127.0.0.1:9090 (alerts: http://127.0.0.1:9090/alerts)"

demo-clean: venv
	ansible-playbook -i inventory/local.yml playbooks/demo.yml -e demo_state=absent

## make test: every test (lint, sanity, unit, integration on real servers, Molecule).
## The checks that need no image run while the images build (minutes on a bare machine), then the
## tests on real servers (two files at a time, then the timing-sensitive ones alone), then Molecule.
test: venv
	$(MAKE) -j2 --output-sync=target images static
	$(MAKE) integration molecule

## make static: the checks that need no database image
static: lint sanity units ansible-test-units

venv:
	@scripts/venv.sh

images:
	@scripts/build-images.sh

lint: venv
	ansible-lint --profile production
	@if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh images/*/docker-entrypoint.sh .ci/run; fi

sanity: venv
	scripts/ansible-test.sh sanity

## ansible-test's own unit runner over tests/unit (make units runs the same tests with pytest)
ansible-test-units: venv
	scripts/ansible-test.sh units

units: venv
	$(PYTEST) -q tests/unit tests/packaging

## Two workers, a test file each (tests/integration/conftest.py says why files can run side by side),
## then the tests marked `alone` (detection-time bounds, benchmarks) with nothing beside them.
integration: venv images
	$(PYTEST) -q --durations=20 -n 2 --dist loadfile -m 'not alone' tests/integration
	$(PYTEST) -q --durations=10 -m alone tests/integration

molecule: venv images
	scripts/molecule.sh

clean-test-containers:
	docker ps -aq --filter label=test.dbops=true | xargs -r docker rm -fv
	docker volume ls -q | grep -E '^(dbt|dbbench)-' | xargs -r docker volume rm

## make bench-provision: time db_container (create, no-op rerun, resize) on the local engine
bench-provision: venv images
	TRIALS=$${TRIALS:-5} $(VENV)/bin/python bench/bench_provision.py

## make bench-audit: db_tune_report side by side with MySQLTuner 2.9 on MySQL 9.7, MariaDB 11.8 and 10.11
bench-audit: venv images
	RUNS=$${RUNS:-3} $(VENV)/bin/python bench/bench_audit.py

## make bench-cluster: from images to a replicating 3-node MariaDB and 2-node PostgreSQL cluster, timed
bench-cluster: venv images
	TRIALS=$${TRIALS:-1} $(VENV)/bin/python bench/bench_cluster.py

## make bench-failover: kill -9 the primary under load, TRIALS times per engine; RTO, lost commits, false alarms.
## ENGINES=mysql,mariadb,postgres (default: all, newest images); MYSQL_IMAGE=, MARIADB_IMAGE=, POSTGRES_IMAGE= override
bench-failover: venv images
	TRIALS=$${TRIALS:-10} ASYNC_TRIALS=$${ASYNC_TRIALS:-3} $(VENV)/bin/python bench/bench_failover.py

## make bench-faults: the fault suite under load (kill -9, pause, partitions, the watcher killed mid-failover, double
## faults, a frozen replica, replicas down, slow primary, 800 ms network delay, kill/rejoin cycles); ENGINES= (also
## postgres-one-standby), FAULTS=, RUNS=3, CYCLES=10, QUICK=1 (CI mode); bench/results/faults.json
bench-faults: venv images
	$(VENV)/bin/python bench/bench_faults.py

## make bench-tuning: derived settings vs stock and the calculators (QUICK=1: the CI mode);
## bench/results/tuning.json and docs/img/tuning.png
bench-tuning: venv images
	$(VENV)/bin/python bench/bench_tuning.py
