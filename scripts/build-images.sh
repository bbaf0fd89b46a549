#!/usr/bin/env bash
# Build the project's local images, offline: a Debian bookworm base made with
# debootstrap, then one image per directory under images/.
# Every image carries a label with the hash of what it was built from, and is
# rebuilt only when that hash changes, so a second run takes seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_TAG=localhost/dbops/debian:bookworm
# name of a directory under images/ -> tag
declare -A TAGS=(
    [mariadb]=localhost/dbops/mariadb:10.11
    [postgres]=localhost/dbops/postgres:15
    [dbhost]=localhost/dbops/dbhost:bookworm
    [tools]=localhost/dbops/tools:bookworm
    [haproxy]=localhost/dbops/haproxy:2.6
    [pgbouncer]=localhost/dbops/pgbouncer:1.18
    [prometheus]=localhost/dbops/prometheus:2.42
    [alertmanager]=localhost/dbops/alertmanager:0.25
    [mysqld-exporter]=localhost/dbops/mysqld-exporter:0.14
    [postgres-exporter]=localhost/dbops/postgres-exporter:0.11
    [watcher]=localhost/dbops/watcher:bookworm
)
# Every image whose directory exists, in a fixed order (the base images first).
DEFAULT_ORDER=(mariadb postgres dbhost tools haproxy pgbouncer prometheus alertmanager mysqld-exporter postgres-exporter watcher)
if [ $# -gt 0 ]; then
    ONLY="$*"
else
    ONLY=""
    for name in "${DEFAULT_ORDER[@]}"; do
        [ -d "$ROOT/images/$name" ] && ONLY="$ONLY $name"
    done
fi

label_of() {  # image label -> value, or empty when the image is absent
    docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

build_base() {
    # The recipe is this function's text: it is the base image's content hash.
    local recipe hash
    recipe="debootstrap --variant=minbase bookworm"
    hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
    if [ "$(label_of "$BASE_TAG" dbops.context-hash)" = "$hash" ]; then
        return 0
    fi
    echo "build-images: $BASE_TAG (debootstrap, about 30 s)" >&2
    local dir
    dir=$(mktemp -d /tmp/dbops-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$dir" >/tmp/dbops-debootstrap.log 2>&1 || {
        tail -n 20 /tmp/dbops-debootstrap.log >&2; rm -rf "$dir"; return 1; }
    # Keep image layers small: no apt lists or caches in the base.
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin
    tar -C "$dir" -c . | docker import \
        --change "LABEL dbops.context-hash=$hash" \
        --change 'CMD ["bash"]' - "$BASE_TAG" >/dev/null
    rm -rf "$dir"
}

context_hash() {  # hash of the base image id and every file of the context
    local dir=$1 base_id
    base_id=$(docker image inspect --format '{{.Id}}' "$BASE_TAG")
    {
        echo "$base_id"
        (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-16
}

build_one() {
    local name=$1 tag=${TAGS[$1]} dir=$ROOT/images/$1 hash
    hash=$(context_hash "$dir")
    if [ "$(label_of "$tag" dbops.context-hash)" = "$hash" ]; then
        echo "build-images: $tag is up to date" >&2
        return 0
    fi
    echo "build-images: building $tag" >&2
    local log=/tmp/dbops-build-$name.log
    docker build --build-arg "BASE=$BASE_TAG" --label "dbops.context-hash=$hash" \
        -t "$tag" "$dir" >"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
}

"$ROOT/scripts/ensure-docker.sh"
build_base
for name in $ONLY; do
    build_one "$name"
done
