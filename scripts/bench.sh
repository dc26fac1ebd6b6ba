#!/usr/bin/env bash
# The load benchmark: builds the release server and the load generator, starts the server on
# 127.0.0.1:3100 with no spin (so fan-out is measured, not the animation), runs the load
# generator against it, and stops the server. Arguments go to the load generator, e.g.
#   scripts/bench.sh --players 2000,18000 --draws 10 --json bench.json
# It measures; it asserts nothing about timing (it fails only on errors: lost joins or results).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --release -p server -p loadgen
ulimit -n "$(ulimit -Hn)"   # each process may hold at most this many open files

# A fresh database on the same disk: every join and draw is on disk before it is announced,
# as in production.
data="$(mktemp -d "${TMPDIR:-/tmp}/raffler-bench.XXXXXX")"
# The load generator is one machine joining from a few 127.0.0.x addresses as fast as it can:
# the per-address limits that protect a real hall are opened up so that it is not throttled.
# The beacon is off: the bench measures fan-out, not a relay's latency.
# Connections not yet WebSockets may be 1,500 (1,024 by default), which still leaves room for
# 18,000 WebSockets with 20,000 open files (the server logs the figures at start).
RAFFLER_LISTEN=127.0.0.1:3100 RAFFLER_PUBLIC_URL=http://127.0.0.1:3100 RAFFLER_SPIN_MS=0 \
  RAFFLER_DATABASE="$data/raffler.db" RAFFLER_BEACON_RELAYS=off \
  RAFFLER_JOINS_PER_MINUTE=10000000 RAFFLER_MAX_CONNECTIONS_PER_IP=100000 \
  RAFFLER_MAX_PENDING_CONNECTIONS=1500 RAFFLER_MAX_PRIZES=100000 \
  RUST_LOG=warn target/release/server > "${TMPDIR:-/tmp}/raffler-bench-server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/3100) 2>/dev/null && break
  sleep 0.1
done
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(date -u +%FT%TZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
target/release/loadgen --url ws://127.0.0.1:3100/ws --server-pid "$server" "$@"
# The database's side of the run, from the server's own /metrics: how many commits (fsyncs) the
# joins and draws of every room above cost, and how long they took.
# Bash's /dev/tcp rather than curl: a fresh machine may not have curl.
metrics() {
  exec 3<>/dev/tcp/127.0.0.1/3100
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  cat <&3
  exec 3<&-
}
metrics | awk '
  /^raffler_players_joined_total / { joins = $2 }
  /^raffler_db_write_seconds_count / { commits = $2 }
  /^raffler_db_write_seconds_sum / { seconds = $2 }
  END { if (commits > 0) printf "database: %d commits (fsync each) for %d joins and the draws; %.2f ms per commit on average\n", commits, joins, 1000 * seconds / commits }'

