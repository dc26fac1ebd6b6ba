#!/usr/bin/env bash
# Builds the verify page's own wasm (verifier/: the core's record check with drand's BLS
# signature check) into public/verifier/ (not in git), beside its page script and stylesheet.
# The site build (sitebuild, or cargo-leptos under `cargo leptos watch`) copies public/ into the
# site on every build (it empties the site first, so nothing can be added after it), and the
# server sends them from /verifier/, compressed.
# Only /verify/<CODE> loads these files: the phone's join page never does.
# Called by build.sh (so test.sh) and watch.sh before the site is built. wasm-bindgen is
# sitebuild's (the wasm-bindgen-cli-support crate at Cargo.lock's version), not the CLI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$RAFFLER_ROOT"
target="${CARGO_TARGET_DIR:-$RAFFLER_ROOT/target}"
out="$RAFFLER_ROOT/public/verifier"
say "the verifier's wasm (verifier/) into $out"
cargo build -p verifier --lib --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$out"
mkdir -p "$out"
sitebuild bindgen "$target/wasm32-unknown-unknown/wasm-release/verifier.wasm" "$out" verifier
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  "$out/verifier_bg.wasm" -o "$out/verifier_bg.wasm"
cp verifier/www/verify.js verifier/www/verify.css "$out/"
