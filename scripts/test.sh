#!/usr/bin/env bash
# Runs every test: formatting, clippy, the Rust tests and the Playwright end-to-end tests in
# Debian's Chromium. Installs whatever is missing first. .ci/run calls this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$RAFFLER_ROOT"
# A test run builds once: incremental caches would only double the disk it needs.
export CARGO_INCREMENTAL=0

# Chromium is first needed by Playwright, at the end: it installs in the background while the
# tests compile (on a fresh machine apt's download and unpacking would otherwise add a minute or
# two to the run), and Playwright waits for it.
chromium_install=""
chromium_log=""
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's Chromium for Playwright (in the background)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  chromium_log="$(mktemp "${TMPDIR:-/tmp}/raffler-chromium.XXXXXX")"
  (
    set -e
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core
  ) >"$chromium_log" 2>&1 </dev/null &
  chromium_install=$!
fi
wait_for_chromium() {
  [ -n "$chromium_install" ] || return 0
  say "waiting for Chromium's install"
  if ! wait "$chromium_install"; then
    cat "$chromium_log" >&2
    echo "installing Chromium failed (apt-get's output above)" >&2
    exit 1
  fi
  chromium_install=""
  rm -f "$chromium_log"
}

say "cargo fmt --check"
cargo fmt --all -- --check

# No server module imports one that imports it back (the room's parts included).
say "module cycles"
python3 scripts/check-module-cycles.py server/src

# Clippy for the browser's targets (checked only: the release build below compiles them).
say "cargo clippy (the browser's side)"
# The core must stay buildable for the browser: no I/O, no clock, no OS randomness.
cargo build -p raffler-core --target wasm32-unknown-unknown
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p verifier --lib --target wasm32-unknown-unknown -- -D warnings

# Clippy for everything else lints while the tests build: clippy-driver is rustc with the lints
# (cargo runs it only on this workspace's crates; dependencies go to rustc unchanged), and
# CLIPPY_ARGS is how `cargo clippy -- -D warnings` hands it its flags. `cargo clippy` would
# check every dependency a second time only for the lints (README, "First run": the clippy step
# went from 4.8 to 2 minutes, the test builds grew by the lints, 1-1.5). Every `cargo test` below
# builds all of its package's targets (this workspace has no benches), so the lints see what
# `cargo clippy --all-targets` saw.
# The wrapper is unset before the release build (clippy-driver skips some optimizations).
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

say "cargo test"
# The beacon evenings (server/tests/beacon.rs) leave their downloaded records here for the
# Python check below.
record_dir="$(mktemp -d "${TMPDIR:-/tmp}/raffler-record.XXXXXX")"
cargo test -p raffler-core
# The BLS signature check (real recorded quicknet rounds) is behind the core's `beacon` feature.
cargo test -p raffler-core --features beacon raffle::beacon
cargo test -p app
say "cargo test -p server"
# The integration tests (server/tests/main.rs, one program) mostly wait on spins, heartbeats
# and beacon rounds: eight at a time take ~20 s instead of ~50 with one per core. Those that
# hold thousands of sockets take turns (common::many_sockets).
RAFFLER_RECORD_OUT_DIR="$record_dir" cargo test -p server -- --test-threads=8
say "cargo test -p relay-stub -p verifier -p loadgen -p peer-bound -p sitebuild"
cargo test -p relay-stub -p verifier -p loadgen -p peer-bound
# The site build tool in its own profile: the release build below reuses what this compiles.
cargo test -p sitebuild --profile tool
# The drand relay stub (the verify spec's beacon) and the load generator, in debug: the
# dependencies are those the tests above compiled, and neither needs speed here.
cargo build -p relay-stub -p loadgen
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS

# raffler-draw/1 checked by a second, independent implementation (docs/fairness.md): the Python
# check must pass a record the core drew, and must refuse the same record with one winner changed.
say "the Python fairness check on the server's evenings and on a record of the core's"
# docs/fairness.md shows the script in full: the copy there must be this one.
if ! diff <(sed -n '/<!-- verify_record.py begins -->/,/<!-- verify_record.py ends -->/p' docs/fairness.md | sed '1,2d;$d' | sed '$d') scripts/verify_record.py; then
  echo "docs/fairness.md's copy of scripts/verify_record.py differs from the script" >&2
  exit 1
fi
for evening in beacon seed-only; do
  python3 scripts/verify_record.py "$record_dir/$evening.json"
done
RAFFLER_RECORD_OUT="$record_dir/record.json" cargo test -p raffler-core --quiet a_record_for_the_python_check >/dev/null
python3 scripts/verify_record.py "$record_dir/record.json"
python3 - "$record_dir/record.json" "$record_dir/tampered.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
draw = record["draws"][0]
draw["winner"] = next(e for e in draw["entries"] if e != draw["winner"])
json.dump(record, open(sys.argv[2], "w"))
PY
if python3 scripts/verify_record.py "$record_dir/tampered.json" >/dev/null; then
  echo "the Python check accepted a tampered record" >&2
  exit 1
fi
rm -rf "$record_dir"

# The fuzz targets run for a short, fixed time when cargo-fuzz is installed (it needs
# nightly features; RUSTC_BOOTSTRAP lets the stable compiler build them). Longer runs: README.
if cargo fuzz --version >/dev/null 2>&1; then
  for target in decode_frame raffle_commands; do
    say "cargo fuzz run $target (${RAFFLER_FUZZ_SECONDS:-60} s)"
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="${RAFFLER_FUZZ_SECONDS:-60}" 2>&1 | tail -n 3)
  done
else
  say "cargo fuzz is not installed: skipping the fuzz targets (cargo install cargo-fuzz)"
fi

say "the release build, then the load generator and Playwright against it"
# The tests would otherwise talk to whatever already listens there (and pass or fail for it).
if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
  echo "Port 3000 is in use: stop the server running there, then run the tests again." >&2
  exit 1
fi
# A short spin keeps the tests quick while still exercising the reveal timing. Every test
# starts its raffle from this one address, so the per-address raffle limit is raised.
# Its raffles go to a database of their own, not to the data/ of a raffler run by hand.
e2e_data="$(mktemp -d "${TMPDIR:-/tmp}/raffler-e2e.XXXXXX")"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  rm -rf "$e2e_data"
}
trap stop_server EXIT
# The release build as scripts/serve.sh serves it (scripts/build.sh: the wasm split at the lazy
# routes, the brotli and gzip files the server sends; nothing to do when it is up to date), with
# the verify page's wasm in it; tests/deploy_artifact.spec.ts packs this build with
# scripts/dist.sh and runs it alone. The local drand relay serves the verify spec's beacon.
# Every other spec runs with the beacon off (the draws are "seed only").
scripts/build.sh

# The release server just built, driven by the debug load generator built with the tests; then
# the bench's bound peer (README, "The least a server can do"), so that the comparison and the
# peer keep working.
say "load generator at a small size (proves it works; timings are not asserted)"
BENCH_LOADGEN="${CARGO_TARGET_DIR:-$RAFFLER_ROOT/target}/debug/loadgen" scripts/bench.sh --players 200 --draws 2 --idle-secs 1 --peers bound

# The server as an operator runs it: alone, finding its site beside itself, in production
# mode, on port 3000 (end2end/global-setup.ts waits until it answers).
RAFFLER_BEACON_RELAYS=off RAFFLER_SPIN_MS="${RAFFLER_SPIN_MS:-1200}" RAFFLER_RAFFLES_PER_HOUR=1000 \
  RAFFLER_DATABASE="$e2e_data/raffler.db" "${CARGO_TARGET_DIR:-$RAFFLER_ROOT/target}/release/server" &
server_pid=$!
wait_for_chromium
say "Playwright"
(cd end2end && npx playwright test)
share="$(stolen_share)"
say "every test passed${share:+ ($share)}"
