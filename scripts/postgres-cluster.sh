#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: Debian's postgresql package, a fresh data directory in
# a temp dir, a random free port on 127.0.0.1, trust authentication, no Docker.
#   eval "$(scripts/postgres-cluster.sh start)"   # exports ML_CONNECTOR_TEST_POSTGRES_URL, PG_CLUSTER_DIR
#   scripts/postgres-cluster.sh stop "$PG_CLUSTER_DIR"
set -euo pipefail

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] || { echo "postgresql is not installed (apt-get install -y postgresql)" >&2; exit 1; }
  echo "$d"
}

# PostgreSQL refuses to run as root: as root, run its programs as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin="$(bindir)"
    dir="$(mktemp -d /tmp/ml-pg-XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Durability is not what these tests measure; fsync off keeps a loaded 2-core machine quick.
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export PG_CLUSTER_DIR='$dir'"
    echo "export ML_CONNECTOR_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:$port/postgres'"
    ;;
  stop)
    dir="${2:?usage: postgres-cluster.sh stop DIR}"
    as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
