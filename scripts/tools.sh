#!/usr/bin/env bash
# Installs what building Raffler needs, skipping whatever is already there. Sourced by build.sh,
# test.sh and watch.sh (it exports PATH and defines `sitebuild`), so it must not `exit`.
#   - the wasm32 target (RUSTUP_AUTO_INSTALL=0: rust-toolchain.toml alone installs nothing)
#   - the npm packages in end2end/: binaryen provides wasm-opt (Debian's wasm-opt 108 emits
#     wasm that fails in the browser, so never use it), esbuild minifies the JS
#   - `sitebuild`: the release build of the site (sitebuild/, a workspace member) compiled on
#     first use; it does what `cargo leptos build --release --precompress --split` did
# cargo-leptos is not needed to build, serve or test: only `cargo leptos watch` (the development
# loop) uses it, and scripts/watch.sh installs it the first time (install_watch_tools below).

set -euo pipefail
RAFFLER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.10

# Each step is printed with the minutes and seconds since the outermost script started (build.sh
# run by test.sh counts from test.sh's start), so a slow first run shows where its time went.
RAFFLER_T0="${RAFFLER_T0:-$(date +%s)}"
export RAFFLER_T0

# The machine's CPU ticks at that start: all of them, and those the hypervisor gave to other
# guests ("steal" in /proc/stat). These machines are virtual and shared: the same run took
# 23 to 35 minutes on CI, and `stolen_share` tells a slow run from a slow change.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat 2>/dev/null; }
RAFFLER_CPU0="${RAFFLER_CPU0:-$(cpu_ticks)}"
export RAFFLER_CPU0
# "N % of the machine's time stolen since the start", or nothing where /proc/stat is missing.
stolen_share() {
  local total0 steal0 total1 steal1
  read -r total0 steal0 <<< "$RAFFLER_CPU0"
  read -r total1 steal1 <<< "$(cpu_ticks)"
  [ -n "${total0:-}" ] && [ -n "${total1:-}" ] && [ "$total1" -gt "$total0" ] || return 0
  echo "$(((steal1 - steal0) * 100 / (total1 - total0))) % of the machine's time stolen by other guests"
}
say() {
  local spent=$(($(date +%s) - RAFFLER_T0))
  printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((spent / 60)) $((spent % 60)) "$*" >&2
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ ! -x "$RAFFLER_ROOT/end2end/node_modules/.bin/wasm-opt" ] \
  || [ ! -x "$RAFFLER_ROOT/end2end/node_modules/.bin/esbuild" ] \
  || [ "$RAFFLER_ROOT/end2end/package-lock.json" -nt "$RAFFLER_ROOT/end2end/node_modules/.package-lock.json" ]; then
  say "installing the npm packages in end2end/"
  (cd "$RAFFLER_ROOT/end2end" && npm ci --no-audit --no-fund)
fi

export PATH="$RAFFLER_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Runs the site build tool, compiling it first if a source changed (cargo decides; nothing to
# do takes a fraction of a second). Its `tool` profile (Cargo.toml) compiles fast and optimizes
# only the compressors. The first time: about 2 minutes (README, "First run").
sitebuild() {
  cargo build --package sitebuild --profile tool
  "${CARGO_TARGET_DIR:-$RAFFLER_ROOT/target}/tool/sitebuild" "$@"
}

# cargo-leptos and wasm-bindgen-cli, for `cargo leptos watch` only (scripts/watch.sh).
# cargo-leptos 0.3.10 built with no_downloads (0.3.11 needs a newer rustc); wasm-bindgen-cli at
# exactly the wasm-bindgen version in Cargo.lock. Build tools need no speed of their own:
# lightly optimized, without LTO and in many codegen units no single-threaded LTO link ends the
# install (cargo-leptos' own release profile took 20 minutes on this project's machine).
install_watch_tools() {
  local tool_profile=(env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_INCREMENTAL=0)
  if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (once; 20 minutes or more on 2 cores)"
    "${tool_profile[@]}" cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  local bindgen_version
  bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$RAFFLER_ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
    say "installing wasm-bindgen-cli $bindgen_version (about 2 minutes, once)"
    # --locked can fail on a pinned dependency that left the registry; then resolve afresh.
    "${tool_profile[@]}" cargo install wasm-bindgen-cli --version "$bindgen_version" --locked \
      || "${tool_profile[@]}" cargo install wasm-bindgen-cli --version "$bindgen_version" --force
  fi
}
