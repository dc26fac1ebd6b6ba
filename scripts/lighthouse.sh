#!/usr/bin/env bash
# Measures the phone's join page as Lighthouse's mobile profile sees it (simulated slow 4G, a
# mid-range phone's CPU): performance, accessibility, best practices, what it transfers, when
# it is interactive. A measurement, not a test: it asserts nothing, and prints the figures
# README's "What a phone downloads" reports.
#   scripts/lighthouse.sh [--runs N] [--json FILE]
# Builds the release if needed (scripts/build.sh), installs lighthouse 12.2.3 with npm into
# target/tools/ (not into end2end/, whose npm ci stays light), starts the release server on
# 127.0.0.1:${RAFFLER_LIGHTHOUSE_PORT:-3035} with a database of its own, starts a raffle over a
# WebSocket and runs Lighthouse in Debian's Chromium against /join/<code>.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=1
json=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    *) echo "usage: scripts/lighthouse.sh [--runs N] [--json FILE]" >&2; exit 2 ;;
  esac
done
"$root/scripts/build.sh"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
target="${CARGO_TARGET_DIR:-$root/target}"
tools="$target/tools/lighthouse"
LIGHTHOUSE_VERSION=12.2.3
if [ "$(cat "$tools/node_modules/lighthouse/package.json" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).version)}catch{}})')" != "$LIGHTHOUSE_VERSION" ]; then
  say "installing lighthouse $LIGHTHOUSE_VERSION into $tools"
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --no-save --prefix "$tools" "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null)
fi
chromium="${CHROME_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "no Chromium at $chromium (apt-get install chromium, or set CHROME_PATH)" >&2; exit 1; }

port="${RAFFLER_LIGHTHOUSE_PORT:-3035}"
url="http://127.0.0.1:$port"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/raffler-lighthouse.XXXXXX")"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
say "starting the release server on $url"
(cd "$scratch" && exec env -u LEPTOS_OUTPUT_NAME RAFFLER_LISTEN="127.0.0.1:$port" RAFFLER_PUBLIC_URL="$url" \
  RAFFLER_DATABASE="$scratch/raffler.db" RAFFLER_BEACON_RELAYS=off RUST_LOG=warn "$target/release/server" >"$scratch/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 200); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$url/healthz" >/dev/null || { cat "$scratch/server.log" >&2; exit 1; }

# A real raffle to join: its host's socket stays open while Lighthouse runs.
code="$(node -e '
  // Lighthouse brings the ws package (Node 20 has no WebSocket of its own).
  const WebSocket = require(process.argv[2] + "/node_modules/ws");
  const ws = new WebSocket(process.argv[1]);
  ws.onopen = () => ws.send(JSON.stringify({ type: "start_raffle" }));
  ws.onmessage = (m) => { const msg = JSON.parse(m.data); if (msg.type === "raffle_started") { console.log(msg.code); process.exit(0); } };
  ws.onerror = (e) => { console.error(e.message ?? e); process.exit(1); };
  setTimeout(() => process.exit(1), 10000);
' "ws://127.0.0.1:$port/ws" "$tools")"
page="$url/join/$code"
say "Lighthouse $LIGHTHOUSE_VERSION, mobile profile, against $page ($runs run(s))"

for run in $(seq 1 "$runs"); do
  CHROME_PATH="$chromium" "$tools/node_modules/.bin/lighthouse" "$page" \
    --quiet --output=json --output-path="$scratch/run-$run.json" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="--no-sandbox --headless=new --disable-gpu" >/dev/null 2>"$scratch/lighthouse-$run.log" \
    || { cat "$scratch/lighthouse-$run.log" >&2; exit 1; }
done

node - "$scratch" "$runs" "$json" <<'JS'
const fs = require("fs");
const [dir, runs, jsonOut] = process.argv.slice(2);
const reports = [];
for (let i = 1; i <= Number(runs); i++) reports.push(JSON.parse(fs.readFileSync(`${dir}/run-${i}.json`, "utf8")));
const kib = (bytes) => (bytes / 1024).toFixed(1);
const rows = reports.map((r) => {
  const a = r.audits;
  const items = a["network-requests"].details.items;
  return {
    performance: Math.round(r.categories.performance.score * 100),
    accessibility: Math.round(r.categories.accessibility.score * 100),
    bestPractices: Math.round(r.categories["best-practices"].score * 100),
    transferBytes: a["total-byte-weight"].numericValue,
    interactiveMs: a.interactive.numericValue,
    lcpMs: a["largest-contentful-paint"].numericValue,
    fcpMs: a["first-contentful-paint"].numericValue,
    tbtMs: a["total-blocking-time"].numericValue,
    // The main thread's tasks over 50 ms (as simulated on the slow phone): what the blocking
    // time is made of.
    longTasks: (a["long-tasks"].details?.items ?? []).map((t) => ({ url: t.url.replace(/^https?:\/\/[^/]+/, ""), startMs: t.startTime, ms: t.duration })),
    requests: items.map((i) => ({ url: i.url.replace(/^https?:\/\/[^/]+/, ""), transfer: i.transferSize, resource: i.resourceSize })),
    failed: [...Object.values(r.categories).flatMap((c) => c.auditRefs.filter((ref) => ref.weight > 0).map((ref) => r.audits[ref.id]).filter((au) => au.score !== null && au.score < 1).map((au) => `${c.id}: ${au.id} (${au.score})`))],
  };
});
for (const [i, row] of rows.entries()) {
  console.log(`run ${i + 1}: performance ${row.performance}, accessibility ${row.accessibility}, best practices ${row.bestPractices}`);
  console.log(`  transfer ${kib(row.transferBytes)} KiB, interactive ${(row.interactiveMs / 1000).toFixed(2)} s, LCP ${(row.lcpMs / 1000).toFixed(2)} s, FCP ${(row.fcpMs / 1000).toFixed(2)} s, TBT ${Math.round(row.tbtMs)} ms`);
  console.log(`  long tasks: ${row.longTasks.map((t) => `${Math.round(t.ms)} ms at ${(t.startMs / 1000).toFixed(2)} s (${t.url || "the page"})`).join(", ") || "none"}`);
  for (const req of row.requests) console.log(`    ${kib(req.transfer).padStart(7)} KiB sent (${kib(req.resource)} KiB unpacked)  ${req.url}`);
  if (row.failed.length) console.log(`  audits below 1: ${row.failed.join(", ")}`);
}
const transfer = Math.max(...rows.map((r) => r.transferBytes));
console.log(`2,000 phones joining: ${(transfer * 2000 / 1e6).toFixed(0)} MB through the hall's Wi-Fi (${kib(transfer)} KiB each, first visit)`);
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
JS
