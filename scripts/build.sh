#!/usr/bin/env bash
# Builds the release (the server, and the site: wasm, JS, CSS under hashed names, each with its
# brotli and gzip precompressed beside it) unless what is built is already up to date.
# The build is sitebuild's (sitebuild/, compiled on first use): what `cargo leptos build
# --release --precompress --split` did, with the same output, without compiling cargo-leptos.
# The split cuts the wasm at the lazy routes (app/src/lib.rs): the main wasm holds the phone's
# page, the other screens load as chunks (`split_*.<hash>.wasm`) through the split loader
# (`__wasm_split.<hash>.js`), named with the manifest in hash.txt.
#   scripts/build.sh            builds if any source changed since the last release build
#   scripts/build.sh --force    builds anyway
# Results: target/release/server, target/release/hash.txt, target/site/ (under CARGO_TARGET_DIR
# when it is set). The server run alone finds target/site by itself (see server/src/site.rs);
# scripts/dist.sh packs them as one folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$RAFFLER_ROOT"
# A release builds once: incremental caches would only double the disk it needs.
export CARGO_INCREMENTAL=0
target="${CARGO_TARGET_DIR:-$RAFFLER_ROOT/target}"
stamp="$target/release/.raffler-release-stamp"

# Up to date when the stamp is newer than every source, and the site it describes is still
# there (`cargo leptos watch` rebuilds target/site in debug and would leave stale names).
up_to_date() {
  [ -f "$stamp" ] && [ -x "$target/release/server" ] && [ -f "$target/release/hash.txt" ] || return 1
  local wasm split
  wasm="$(awk -F': ' '$1 == "wasm" { print $2 }' "$target/release/hash.txt")"
  [ -n "$wasm" ] && [ -f "$target/site/pkg/raffler.$wasm.wasm.br" ] || return 1
  # A build without --split (an older script, `cargo leptos watch`) has no split loader.
  split="$(awk -F': ' '$1 == "split" { print $2 }' "$target/release/hash.txt")"
  [ -n "$split" ] && [ -f "$target/site/pkg/__wasm_split.$split.js.br" ] || return 1
  [ -f "$target/site/verifier/verifier_bg.wasm" ] || return 1
  # public/verifier/ is built here (by build_verifier.sh), not a source. Files only: remaking
  # public/verifier/ touches the folder public/ itself, which made every run rebuild.
  [ -z "$(find app core frontend server verifier sitebuild style public Cargo.toml Cargo.lock scripts/build_verifier.sh \
    -path public/verifier -prune -o -type f -newer "$stamp" -print -quit)" ]
}

if [ "${1:-}" != "--force" ] && up_to_date; then
  say "release build is up to date (scripts/build.sh --force rebuilds)"
  exit 0
fi
say "release build (sitebuild site: the server, the split wasm, JS, CSS, public/, compressed)"
# Stamped before the build starts: a file saved during the build makes the next run rebuild.
mkdir -p "$target/release"
touch "$stamp.new"
# The verify page's own wasm, into public/ for the site build to copy into the site.
scripts/build_verifier.sh
sitebuild site
# flate2's best (as cargo-leptos' libflate before it) is weaker than gzip -9, and gzip is what
# a browser gets over plain HTTP (Chromium asks for brotli over HTTPS only).
find "$target/site" -name '*.gz' -print0 | while IFS= read -r -d '' packed; do
  gzip -9 -n -c "${packed%.gz}" >"$packed"
done
mv "$stamp.new" "$stamp"
