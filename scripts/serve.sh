#!/usr/bin/env bash
# Serves Raffler (release build) at http://localhost:3000, installing what is missing and
# building what changed first (scripts/build.sh; nothing when it is up to date).
# Settings pass through, e.g. RAFFLER_PUBLIC_URL=https://raffle.example.org scripts/serve.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
# The server finds target/site beside target/release by itself, in production mode.
exec "${CARGO_TARGET_DIR:-$root/target}/release/server" "$@"
