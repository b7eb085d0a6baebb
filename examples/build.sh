#!/usr/bin/env bash
# Rebuilds examples/*.wasm from their C sources. The .wasm files are committed, so running
# Plasm never needs this; run it after editing a source.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/lib/wasm-toolchain.sh"
require_wasm_toolchain
for src in "$here"/*.c; do
  out="${src%.c}.wasm"
  compile_c "$out" "$src"
  echo "built ${out#$here/} ($(stat -c %s "$out") bytes)"
done
