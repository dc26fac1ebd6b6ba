#!/usr/bin/env bash
# The development loop: `cargo leptos watch --split` (a debug build that rebuilds and reloads
# the page on every save), at http://localhost:3000. Installs cargo-leptos and wasm-bindgen-cli
# the first time (scripts/tools.sh: install_watch_tools; about 20 minutes on 2 cores), which
# nothing else needs. Arguments pass on to cargo leptos watch.
# Every wasm build needs --split: the home, host and stage screens are lazy routes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$RAFFLER_ROOT"
install_watch_tools
# The verify page's wasm, which cargo-leptos copies from public/ (not in git).
[ -f public/verifier/verifier_bg.wasm ] || scripts/build_verifier.sh
exec cargo leptos watch --split "$@"
