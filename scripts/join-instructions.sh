#!/usr/bin/env bash
#! What one join costs a server in user-space instructions, counted by valgrind's callgrind:
#! deterministic where CPU time on these shared machines moves ±20 % from run to run, so two
#! servers (or two commits) can be told apart by a few per cent. The kernel's part (accept,
#! the 101's and frames' writes, fsync) is not counted: compare syscalls with `strace -c -f`.
#!
#!   scripts/join-instructions.sh [--players SMALL,LARGE] [--top N] [-- COMMAND ...]
#!   scripts/join-instructions.sh --draws SMALL,LARGE [--players N] [--top N] [-- COMMAND ...]
#!
#! Runs COMMAND under callgrind twice, joins SMALL then LARGE phones with one draw (the load
#! generator at 100 joins a second: valgrind runs a server ~50x slower), and prints the
#! difference of the two runs divided by LARGE - SMALL: instructions per join, total and by
#! function, start-up and the draw's per-phone cost mostly cancelled. With --draws, both runs
#! join N phones (1,000 by default) and draw SMALL then LARGE times: the difference divided by
#! the extra results (draws × N) is what a draw costs per phone that hears of it (the draw's
#! own work and its fan-out; under valgrind the sha2 crate finds no SHA extensions and runs
#! its software fallback, so the entries hash counts more than it costs natively). COMMAND (the server
#! binary and its arguments; no `env`, valgrind follows no exec) may use {port} and {db};
#! without one it runs this tree's release server, with the bench's settings. A build with line tables
#! (README, "Profiling it yourself") names files as well as functions.
#!
#! Needs valgrind (`apt-get install valgrind`) and target/release/loadgen.
#! Under valgrind every join is its own commit; at full speed ~50 joins share one, so the
#! SQLite writer thread's share (`write_loop`) counts several times what it costs in the bench.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
players="" draws=""
top=40
while [ $# -gt 0 ]; do
  case "$1" in
    --players) players="$2"; shift 2 ;;
    --draws) draws="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown argument: $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
# What the two runs differ in (joins, or draws) and what the difference is divided by.
if [ -n "$draws" ]; then
  phones="${players:-1000}" varied="$draws" unit="result"
  [[ "$phones" =~ ^[1-9][0-9]*$ ]] || { echo "--players wants one room size with --draws, e.g. 1000" >&2; exit 2; }
else
  phones="" varied="${players:-200,1200}" unit="join"
fi
IFS=',' read -r small large <<< "$varied"
if ! [[ "$small" =~ ^[0-9]+$ && "$large" =~ ^[0-9]+$ ]] || [ "$large" -le "$small" ]; then
  echo "--players or --draws wants SMALL,LARGE with SMALL < LARGE, e.g. 200,1200" >&2
  exit 2
fi
command -v valgrind > /dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 2; }
loadgen="target/release/loadgen"
[ -x "$loadgen" ] || { echo "$loadgen is missing: cargo build --release -p loadgen" >&2; exit 2; }
if [ $# -eq 0 ]; then
  set -- target/release/server
fi
# Raffler's settings, as the bench's (a peer ignores them). Through the environment: valgrind
# follows no exec, so the command must be the server itself, not `env ... server`.
# The address and database are set for each run below.
# The host may send more than 10 frames a second here: --draws asks for dozens in a row.
export RAFFLER_SPIN_MS=0 RAFFLER_BEACON_RELAYS=off RAFFLER_JOINS_PER_MINUTE=10000000 \
  RAFFLER_MAX_CONNECTIONS_PER_IP=100000 RAFFLER_MAX_PRIZES=100000 RAFFLER_FRAMES_PER_SECOND=10000 \
  RUST_LOG=warn
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

count() {
  local n="$1" port pid args=()
  port="$(free_port)"
  for arg in "${@:2}"; do
    arg="${arg//\{port\}/$port}"
    args+=("${arg//\{db\}/$scratch/raffler-$n.db}")
  done
  RAFFLER_LISTEN="127.0.0.1:$port" RAFFLER_PUBLIC_URL="http://127.0.0.1:$port" \
    RAFFLER_DATABASE="$scratch/raffler-$n.db" \
    valgrind --tool=callgrind --callgrind-out-file="$scratch/$n.cg" "${args[@]}" > "$scratch/$n.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    ss -ltn | grep -q "127.0.0.1:$port " && break
    kill -0 "$pid" 2> /dev/null || { cat "$scratch/$n.log" >&2; exit 1; }
    sleep 0.1
  done
  # Joins: $n phones and one draw. Draws: $phones phones and $n draws.
  local room="$n" draw_count=1
  if [ -n "$draws" ]; then room="$phones" draw_count="$n"; fi
  "$loadgen" --url "ws://127.0.0.1:$port/ws" --players "$room" --rate 100 \
    --draws "$draw_count" --idle-secs 1 \
    --server-pid "$pid" > "$scratch/$n.out" 2>&1 || { cat "$scratch/$n.out" >&2; kill "$pid"; exit 1; }
  grep -E "joins accepted|results received" "$scratch/$n.out" | tail -1 >&2
  # SIGINT: Raffler shuts down cleanly; a server that dies of it is still written out by valgrind.
  # One with no handler of its own ignores it here (a script's background job starts with SIGINT
  # ignored): it gets SIGTERM after 10 s, and valgrind writes it out all the same.
  kill -INT "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" || true
}

count "$small" "$@"
count "$large" "$@"
python3 - "$scratch/$small.cg" "$scratch/$large.cg" "$(((large - small) * ${phones:-1}))" "$top" "$unit" <<'PY'
import re, subprocess, sys

def per_function(path, inclusive):
    args = ["callgrind_annotate", "--auto=no", "--threshold=100"]
    if inclusive:
        args.append("--inclusive=yes")
    out = subprocess.run(args + [path], capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            name = re.sub(r"\s*\[.*\]$", "", m.group(2)).strip()
            costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs

small, large, count, top, unit = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
for inclusive in (False, True):
    a, b = per_function(small, inclusive), per_function(large, inclusive)
    rows = sorted(((b.get(k, 0) - a.get(k, 0)) / count, k) for k in set(a) | set(b))[::-1]
    if not inclusive:
        print(f"user-space instructions per {unit}: {sum(r[0] for r in rows):,.0f}")
        print("\nby function, exclusive (its own instructions):")
    else:
        print("\nby function, inclusive (with what it calls), the server's and its crates' own:")
        rows = [r for r in rows if "/rustc/" not in r[1] and "tokio-1" not in r[1]]
    for cost, name in rows[:top]:
        print(f"{cost:10,.0f}  {name[-160:]}")
PY
