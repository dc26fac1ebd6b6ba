#!/usr/bin/env bash
# Packs Raffler as one artifact: a folder (and its .tar.gz) that runs anywhere with glibc,
# without cargo-leptos, Rust or Node, from any working directory:
#   raffler/raffler     the server (SQLite compiled in)
#   raffler/hash.txt    which hashed names the site's wasm, JS and CSS have
#   raffler/site/       pkg/ (wasm, JS, CSS, each with .br and .gz) and public/'s files
# The server finds site/ beside itself and runs in production mode (server/src/site.rs).
#   scripts/dist.sh                 builds if needed (scripts/build.sh), packs target/dist/
#   scripts/dist.sh --no-build DIR  packs what is built into DIR/raffler (the end-to-end test)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = "--no-build" ]; then
  out="${2:?usage: scripts/dist.sh --no-build DIR}"
else
  "$root/scripts/build.sh"
  out="$root/target/dist"
fi
target="${CARGO_TARGET_DIR:-$root/target}"
for needed in "$target/release/server" "$target/release/hash.txt" "$target/site/pkg"; do
  [ -e "$needed" ] || { echo "missing $needed: run scripts/build.sh first" >&2; exit 1; }
done

mkdir -p "$out"
rm -rf "$out/raffler"
mkdir "$out/raffler"
cp "$target/release/server" "$out/raffler/raffler"
cp "$target/release/hash.txt" "$out/raffler/hash.txt"
cp -R "$target/site" "$out/raffler/site"
if [ "${1:-}" != "--no-build" ]; then
  tar -C "$out" -czf "$out/raffler-linux-$(uname -m).tar.gz" raffler
  printf '\033[1m==> %s\033[0m\n' "artifact: $out/raffler/ and $out/raffler-linux-$(uname -m).tar.gz ($(du -sh "$out/raffler" | cut -f1))" >&2
fi
