#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
# A fresh machine of the project's kind has the docker client at most and no
# systemd: install Debian's docker.io when needed and start dockerd ourselves.
set -euo pipefail

SOCKET=/var/run/docker.sock
LOG=${DOCKERD_LOG:-/var/log/dockerd-dbops.log}

engine_answers() {
    docker info >/dev/null 2>&1
}

install_engine() {
    echo "ensure-docker: installing docker.io and debootstrap from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io debootstrap ca-certificates >/dev/null
}

start_daemon() {
    echo "ensure-docker: starting dockerd (log: $LOG)" >&2
    nohup /usr/sbin/dockerd >"$LOG" 2>&1 &
    for _ in $(seq 1 60); do
        if [ -S "$SOCKET" ] && engine_answers; then
            return 0
        fi
        sleep 1
    done
    echo "ensure-docker: dockerd did not answer within 60 s; last log lines:" >&2
    tail -n 20 "$LOG" >&2
    return 1
}

if engine_answers; then
    exit 0
fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    install_engine
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
    start_daemon
else
    # A daemon is starting (or hung): give it the same minute to answer.
    for _ in $(seq 1 60); do engine_answers && exit 0; sleep 1; done
    echo "ensure-docker: a dockerd process exists but does not answer on $SOCKET" >&2
    exit 1
fi
