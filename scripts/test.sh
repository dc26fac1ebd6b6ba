#!/usr/bin/env bash
# Runs every test: formatting, clippy, the Rust tests and the Playwright end-to-end tests in
# Debian's Chromium. Installs whatever is missing first. .ci/run calls this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$RAFFLER_ROOT"

if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's Chromium for Playwright"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core
fi

say "cargo fmt --check"
cargo fmt --all -- --check

# app is built once per side (ssr for the server, hydrate for the browser); checking the
# packages one by one keeps cargo from switching both features on at once.
say "cargo clippy"
cargo clippy -p app --all-targets -- -D warnings
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

say "cargo test"
cargo test -p app
cargo test -p server

say "Playwright end-to-end (release build)"
# A short spin keeps the tests quick while still exercising the reveal timing.
RAFFLER_SPIN_MS="${RAFFLER_SPIN_MS:-1200}" cargo leptos end-to-end --release
