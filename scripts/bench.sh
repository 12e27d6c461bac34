#!/usr/bin/env bash
# Benchmark the compiled Action against the hand-written baseline and the seed blog post's Action,
# or soak-test the compiled Actions with random faults. Everything runs on 127.0.0.1.
#
#   scripts/bench.sh                          benchmark (sizes, first login, per-login times,
#                                             token requests, memory growth) -> dist/bench-results.json
#   scripts/bench.sh --logins 500 --memory-logins 2000      a quicker benchmark
#   scripts/bench.sh --soak [--soak-logins N]               100,000 logins with faults -> dist/soak-results.json
#   scripts/bench.sh --compare OLD.js                       this build minus an earlier one, per warm login
#   scripts/bench.sh -h                                     every option
#
# Installs the tools (scripts/setup.sh), builds examples/enrich-from-backend and
# examples/fault-injection, then runs action-shim/bench/bench.js on Node 22 with --expose-gc.
# Every other argument goes to bench.js. Exit status: 0 on success, 1 when a login gave an
# unexpected outcome, a login hung or the heap grew beyond its limit (see bench.js -h), 2 usage.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=${POSTLOGIN_TOOLS:-$HOME/.cache/postlogin}/bin

usage() {
  cat <<'EOF'
usage: scripts/bench.sh [bench.js options]

Runs scripts/setup.sh, builds dist/enrich-from-backend/action.js and dist/fault-injection/action.js
with `postlogin build`, then `node22 --expose-gc action-shim/bench/bench.js [options]`.

  scripts/bench.sh                                   full benchmark (2,000 logins each, 20,000 for memory)
  scripts/bench.sh --logins 500 --memory-logins 2000 quicker benchmark
  scripts/bench.sh --soak --soak-logins 5000         soak test with random faults
  scripts/bench.sh --compare OLD.js                  this build against an earlier one (a copy of its action.js)
  scripts/bench.sh --out FILE ...                    where the JSON results go

EOF
  # bench.js's own help lists every option; it needs no build.
  if [[ -x $bin/node22 ]]; then
    "$bin/node22" action-shim/bench/bench.js --help
  else
    echo "(run scripts/setup.sh, then scripts/bench.sh -h again for the benchmark's options)"
  fi
}

for arg in "$@"; do
  case $arg in
    -h | --help)
      usage
      exit 0
      ;;
  esac
done

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "tools"
scripts/setup.sh

section "build: examples/enrich-from-backend and examples/fault-injection"
cargo run -q --release -p postlogin-cli -- build examples/enrich-from-backend
cargo run -q --release -p postlogin-cli -- build examples/fault-injection

section "bench: $("$bin/node22" --version), action-shim/bench/bench.js $*"
exec "$bin/node22" --expose-gc action-shim/bench/bench.js "$@"
