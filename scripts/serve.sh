#!/usr/bin/env bash
# Serves Raffler (release build) at http://localhost:3000, installing what is missing first.
# Settings pass through, e.g. RAFFLER_PUBLIC_URL=https://raffle.example.org scripts/serve.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$RAFFLER_ROOT"
exec cargo leptos serve --release
