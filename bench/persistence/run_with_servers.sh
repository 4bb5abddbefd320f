#!/usr/bin/env bash
# Runs persistence_bench against every backend, the server ones included: starts
# a throw-away PostgreSQL and Redis on free loopback ports in temp dirs (the
# same commands as tests/harness), runs the bench, stops both (trap on exit).
#
#   bench/persistence/run_with_servers.sh [path/to/persistence_bench] [bench flags...]
set -euo pipefail

BENCH=${1:-build/bench/persistence_bench}
shift || true
PGBIN=${SYNOD_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[[ -x "$PGBIN/initdb" ]] || { echo "initdb not found: install the Debian package 'postgresql'" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found: install 'redis-server'" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

PGDIR=$(mktemp -d /tmp/synod-bench-pg-XXXXXX)
REDISDIR=$(mktemp -d /tmp/synod-bench-redis-XXXXXX)
REDIS_PID=""
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
  [[ -n "$REDIS_PID" ]] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
  rm -rf "$PGDIR" "$REDISDIR"
}
trap cleanup EXIT
[[ $(id -u) == 0 ]] && chown postgres "$PGDIR"

PGPORT=$(free_port)
as_pg "$PGBIN/initdb" -A trust -U postgres -D "$PGDIR/data" >"$PGDIR/initdb.log"
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=on" -w start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres synod_bench

REDISPORT=$(free_port)
redis-server --port "$REDISPORT" --bind 127.0.0.1 --appendonly yes --appendfsync always \
  --dir "$REDISDIR" --save "" --daemonize no >"$REDISDIR/server.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 300); do
  redis-cli -p "$REDISPORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done

"$BENCH" --backends file,sqlite,postgres,redis,memory \
  --postgres-url "postgresql://postgres@127.0.0.1:$PGPORT/synod_bench" \
  --redis-address "127.0.0.1:$REDISPORT" "$@"
