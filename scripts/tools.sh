#!/usr/bin/env bash
# Installs what building Raffler needs, skipping whatever is already there. Sourced by serve.sh
# and test.sh (it exports PATH), so it must not `exit`.
#   - the wasm32 target (RUSTUP_AUTO_INSTALL=0: rust-toolchain.toml alone installs nothing)
#   - cargo-leptos 0.3.10 built with no_downloads (0.3.11 needs a newer rustc)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock
#   - the npm packages in end2end/, whose binaryen provides wasm-opt (Debian's wasm-opt 108
#     emits wasm that fails in the browser, so never use it)

set -euo pipefail
RAFFLER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.10

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Build tools need no speed of their own: cargo-leptos' release profile (fat LTO, one codegen
# unit) made its install the longest step of a first run. Lightly optimized, without LTO and in
# many codegen units no single-threaded LTO link ends it, and it still rebuilds and compresses
# the site in under a minute. What it saves was not measured on an idle machine (README, "First
# run": on a loaded one it cost twice the CPU of --debug).
tool_profile=(env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_INCREMENTAL=0)

if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (a few minutes, once)"
  "${tool_profile[@]}" cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$RAFFLER_ROOT/Cargo.lock")"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (about 2 minutes, once)"
  # --locked can fail on a pinned dependency that left the registry; then resolve afresh.
  "${tool_profile[@]}" cargo install wasm-bindgen-cli --version "$bindgen_version" --locked \
    || "${tool_profile[@]}" cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

if [ ! -x "$RAFFLER_ROOT/end2end/node_modules/.bin/wasm-opt" ] \
  || [ "$RAFFLER_ROOT/end2end/package-lock.json" -nt "$RAFFLER_ROOT/end2end/node_modules/.package-lock.json" ]; then
  say "installing the npm packages in end2end/"
  (cd "$RAFFLER_ROOT/end2end" && npm ci --no-audit --no-fund)
fi

export PATH="$RAFFLER_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
