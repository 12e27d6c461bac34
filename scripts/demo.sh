#!/usr/bin/env bash
# The main job in one command: compile the seed's Action from Rust into one Auth0 Action file,
# then run one login through that file against a local token endpoint and backend.
#
#   scripts/demo.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=${POSTLOGIN_TOOLS:-$HOME/.cache/postlogin}/bin

scripts/setup.sh
cargo run --quiet --release -p postlogin-cli -- build examples/enrich-from-backend --out dist
echo
"$bin/node22" action-shim/demo.js dist/enrich-from-backend/action.js
echo
echo "Paste dist/enrich-from-backend/action.js into the Auth0 Actions editor (post-login trigger)."
