#!/usr/bin/env bash
# The load benchmark: builds the release server and the load generator, starts the server on
# 127.0.0.1:$BENCH_PORT (3100 by default) with no spin (so fan-out is measured, not the
# animation), runs the load generator against it, and stops the server. Arguments go to the load
# generator, e.g.
#   scripts/bench.sh --players 2000,18000 --draws 10 --json bench.json
# It measures; it asserts nothing about timing (it fails only on errors: lost joins or results).
#
# The bench's own options (the others go to the load generator):
#   --peers LIST  then runs the same load against each peer in LIST, one after the other, and
#                 prints the figures side by side with Raffler's, with ratios. Peers: `node`
#                 (bench/peers/node-ws, the `ws` library; needs Node and npm), `axum`
#                 (bench/peers/axum), `shared-node`, `shared-floor` (the reference peers in
#                 $SHARED_PEERS, ../shared/peers by default, copied to a scratch folder first),
#                 and `bound` (bench/peers/bound: not a server one would write but the least any
#                 server can do for a draw, one write(2) per phone and nothing else; what is
#                 left of its p99 is the kernel's and the load generator's).
#   --rounds N    with --peers: runs Raffler and every peer N times, in rounds (Raffler, then
#                 each peer; the next round the peers, then Raffler), and compares medians: each ratio is the median of the
#                 rounds' own ratios, printed with the lowest and highest (one run's ratios move
#                 ±0.15 on a shared machine). Each round starts Raffler afresh, on a new database.
#   --storm       after the draws of the last room, two storms (loadgen --storm): every phone
#                 drops and resumes while a draw spins, then the server is killed (kill -9) while
#                 a draw spins, started again by this script, and every phone resumes. Raffler
#                 then spins for $STORM_SPIN_MS (5000) ms, so its fan-out rows include the spin.
# Ports: Raffler on $BENCH_PORT, the peers on the ones after it, in the order given.
# BENCH_SERVER=path measures that server binary instead of building this tree's;
# BENCH_LOADGEN=path drives the load with that load generator (scripts/test.sh passes its debug
# build: 200 phones need no speed, and it compiles in seconds where a release build took a
# minute and a half of the first test run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

peers="" storm=0 rounds=1 json="" loadgen_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json="$2"; shift 2 ;;
    --peers) peers="$2"; shift 2 ;;
    --peers=*) peers="${1#--peers=}"; shift ;;
    --storm) storm=1; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) loadgen_args+=("$1"); shift ;;
  esac
done
port="${BENCH_PORT:-3100}"
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then echo "--rounds takes a whole number from 1, not '$rounds'" >&2; exit 2; fi
target="${CARGO_TARGET_DIR:-target}"

# BENCH_SERVER: a server binary built earlier (another commit) to measure instead of this tree's.
# BENCH_BUILD=0: use the binaries already built.
server_bin="${BENCH_SERVER:-$target/release/server}"
loadgen="${BENCH_LOADGEN:-$target/release/loadgen}"
if [ "${BENCH_BUILD:-1}" != 0 ]; then
  # The server exactly as it is served and deployed: scripts/build.sh's (nothing to do when it is
  # up to date). A `cargo build -p server` here would compile it a second time, differently: the
  # site build compiles Leptos with the site's settings in its environment. Building it once took
  # the first test run from 32 to 28 minutes.
  [ -n "${BENCH_SERVER:-}" ] || scripts/build.sh
  # The load generator (unless one is given) and the peers asked for, no more: `-p peer-axum`
  # would compile axum and hyper once more (other features than the server's), which no test
  # needs; the bound peer builds on what the server's build already compiled.
  packages=()
  [ -n "${BENCH_LOADGEN:-}" ] || packages+=(-p loadgen)
  [[ ",$peers," != *,axum,* ]] || packages+=(-p peer-axum)
  [[ ",$peers," != *,bound,* ]] || packages+=(-p peer-bound)
  [ ${#packages[@]} -eq 0 ] || cargo build --release "${packages[@]}"
fi
# Each process may hold at most this many open files: 18,000 phones need more than the usual
# 20,000 across server and load generator. Root may raise the hard limit; others keep theirs.
ulimit -Hn 200000 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/raffler-bench.XXXXXX")"
server_pid=""
stop_server() {
  # The supervisor first (it would start the server again), then the server.
  touch "$scratch/stop"
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  [ -s "$scratch/pid" ] && kill "$(cat "$scratch/pid")" 2>/dev/null || true
  server_pid=""
  rm -f "$scratch/pid"
}
trap 'stop_server; rm -rf "$scratch"' EXIT

wait_for_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(date -u +%FT%TZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(awk '{print "load " $1 " " $2 " " $3}' /proc/loadavg)"

# Raffler. A fresh database on the same disk: every join and draw is on disk before it is
# announced, as in production. The load generator is one machine joining from a few 127.0.0.x
# addresses as fast as it can: the per-address limits that protect a real hall are opened up so
# that it is not throttled. Connections not yet WebSockets (those still in their handshake) may
# be 20,000 when the open-file limit allows it, else 1,500 (1,024 by default): a hall joining at
# 20,000 a second on a busy machine otherwise has handshakes closed as "the idlest".
# The beacon is off (RAFFLER_BEACON_RELAYS, where the server has it; the host also turns it off
# in its raffle): the bench measures fan-out, not a relay's latency.
# A supervisor starts the server again if it dies (the storm kills it) and keeps its pid in a
# file; the database survives, so the raffle is restored as after a crash.
spin=0
storm_args=()
if [ "$storm" = 1 ]; then
  spin="${STORM_SPIN_MS:-5000}"
  storm_args=(--storm --server-pid-file "$scratch/pid")
fi
pending=1500
if [ "$(ulimit -n)" -ge 60000 ]; then pending=20000; fi
# An error (a lost join or result) fails the bench, but only once the peers have run too.
status=0
compare=()
# What a round's file is called: NAME.json, or NAME.rN.json when there are rounds (the same for
# the copies --json asks for).
round_file() { if [ "$rounds" = 1 ]; then echo "$1.json"; else echo "$1.r$2.json"; fi; }

# The database's side of a run, from the server's own /metrics: how many commits (fsyncs) the
# joins and draws of every room above cost, and how long they took.
# Bash's /dev/tcp rather than curl: a fresh machine may not have curl.
metrics() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  cat <&3
  exec 3<&-
}

# Raffler for round $1, on a new database.
run_raffler() {
  local db="$scratch/raffler-$1.db" file
  file="$scratch/$(round_file raffler "$1")"
  rm -f "$scratch/stop"
  (
    while [ ! -e "$scratch/stop" ]; do
      RAFFLER_LISTEN="127.0.0.1:$port" RAFFLER_PUBLIC_URL="http://127.0.0.1:$port" RAFFLER_SPIN_MS="$spin" \
        RAFFLER_DATABASE="$db" RAFFLER_BEACON_RELAYS=off \
        RAFFLER_JOINS_PER_MINUTE=10000000 RAFFLER_MAX_CONNECTIONS_PER_IP=100000 \
        RAFFLER_MAX_PENDING_CONNECTIONS="$pending" RAFFLER_MAX_PRIZES=100000 \
        RUST_LOG=warn "$server_bin" >> "${TMPDIR:-/tmp}/raffler-bench-server.log" 2>&1 &
      echo $! > "$scratch/pid.new" && mv "$scratch/pid.new" "$scratch/pid"
      wait $! || true
    done
  ) &
  server_pid=$!
  for _ in $(seq 1 100); do [ -s "$scratch/pid" ] && break; sleep 0.05; done
  wait_for_port "$port"
  "$loadgen" --url "ws://127.0.0.1:$port/ws" --server-pid "$(cat "$scratch/pid")" \
    --json "$file" "${storm_args[@]}" "${loadgen_args[@]}" || status=$?
  if [ -n "$json" ]; then cp "$file" "${json%.json}${file#"$scratch/raffler"}"; fi
  metrics | awk '
    /^raffler_players_joined_total / { joins = $2 }
    /^raffler_db_write_seconds_count / { commits = $2 }
    /^raffler_db_write_seconds_sum / { seconds = $2 }
    END { if (commits > 0) printf "database: %d commits (fsync each) for %d joins and the draws; %.2f ms per commit on average\n", commits, joins, 1000 * seconds / commits }'
  stop_server
  compare+=(raffler="$file")
}

# The peers, one after the other, with the same arguments (minus the storm: they have no spin,
# no tokens and no database to come back to). Each is installed or built once, before the
# first round.
shared="${SHARED_PEERS:-$root/../shared/peers}"
IFS=',' read -r -a peer_list <<< "$peers"
prepare_peer() {
  case "$1" in
    node) [ -d bench/peers/node-ws/node_modules ] || (cd bench/peers/node-ws && npm ci --no-audit --no-fund --silent) ;;
    axum | bound) ;;
    shared-node)
      cp -r "$shared/node-ws" "$scratch/shared-node"
      (cd "$scratch/shared-node" && npm ci --no-audit --no-fund --silent) ;;
    shared-floor)
      cp -r "$shared/floor" "$scratch/shared-floor"
      (cd "$scratch/shared-floor" && CARGO_TARGET_DIR="$scratch/shared-floor/target" cargo build --release --quiet) ;;
    *) echo "unknown peer $1 (node, axum, shared-node, shared-floor, bound)" >&2; exit 2 ;;
  esac
}
# Peer $1 on port $2 for round $3.
run_peer() {
  local command file
  case "$1" in
    node) command=(node bench/peers/node-ws/server.mjs "$2") ;;
    axum) command=("$target/release/peer-axum" --port "$2") ;;
    bound) command=("$target/release/peer-bound" --port "$2") ;;
    shared-node) command=(node "$scratch/shared-node/server.mjs" "$2") ;;
    shared-floor) command=("$scratch/shared-floor/target/release/floor" --port "$2") ;;
  esac
  file="$scratch/$(round_file "$1" "$3")"
  "${command[@]}" > "${TMPDIR:-/tmp}/raffler-bench-$1.log" 2>&1 &
  server_pid=$!
  wait_for_port "$2"
  echo "peer $1 on port $2"
  "$loadgen" --url "ws://127.0.0.1:$2/ws" --server-pid "$server_pid" \
    --json "$file" "${loadgen_args[@]}" || status=$?
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  compare+=("$1=$file")
  if [ -n "$json" ]; then cp "$file" "${json%.json}.${file#"$scratch/"}"; fi
}

for peer in "${peer_list[@]}"; do prepare_peer "$peer"; done
# A build just wrote hundreds of megabytes: flushed now, not during the first run's fsyncs.
sync
# Every other round runs the peers first and Raffler last: whatever drifts within a round (the
# machine settling, a neighbour's load) falls on each side in turn.
for round in $(seq 1 "$rounds"); do
  if [ "$rounds" != 1 ]; then echo "round $round of $rounds"; fi
  if [ $((round % 2)) = 1 ]; then run_raffler "$round"; fi
  peer_port=$port
  for peer in "${peer_list[@]}"; do
    peer_port=$((peer_port + 1))
    run_peer "$peer" "$peer_port" "$round"
  done
  if [ $((round % 2)) = 0 ]; then run_raffler "$round"; fi
done
if [ -n "$peers" ]; then "$loadgen" --compare "${compare[@]}"; fi
exit "$status"
