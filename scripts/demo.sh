#!/usr/bin/env bash
# The main job in one command: compile the seed's Action from Rust into one Auth0 Action file,
# then run it with `postlogin test` against a local token endpoint and backend: two logins on
# one warm instance, the second reusing the token the first obtained.
#
#   scripts/demo.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=${POSTLOGIN_TOOLS:-$HOME/.cache/postlogin}/bin

scripts/setup.sh
cargo run --quiet --release -p postlogin-cli -- build examples/enrich-from-backend --out dist
postlogin=$root/target/release/postlogin

scratch=$(mktemp -d)
servers_pid=
cleanup() {
  if [[ -n $servers_pid ]]; then kill "$servers_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# The token endpoint and the backend, on 127.0.0.1; their addresses arrive in a secrets file.
"$bin/node22" action-shim/demo.js "$scratch/secrets.json" &
servers_pid=$!
for _ in $(seq 100); do
  [[ -s $scratch/secrets.json ]] && break
  sleep 0.05
done
[[ -s $scratch/secrets.json ]] || { echo "the demo servers did not start" >&2; exit 1; }

echo
echo "\$ postlogin test dist/enrich-from-backend/action.js --event examples/enrich-from-backend/event.json --secrets-file secrets.json --logins 2"
"$postlogin" test dist/enrich-from-backend/action.js --event examples/enrich-from-backend/event.json \
  --secrets-file "$scratch/secrets.json" --logins 2
echo
echo "Paste dist/enrich-from-backend/action.js into the Auth0 Actions editor (post-login trigger)."
