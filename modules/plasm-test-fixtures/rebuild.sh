#!/usr/bin/env bash
# Rebuilds the committed test fixtures (*.wasm) from their WAT and C sources.
# invalid.wat is compiled without validation on purpose: it must decode but fail validation.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib/wasm-toolchain.sh"
require_wasm_toolchain
dir="$here/src/main/resources/dev/plasm/fixtures"
for src in "$dir"/*.wat; do
  out="${src%.wat}.wasm"
  if [ "$(basename "$src")" = invalid.wat ]; then
    wat2wasm --no-check "$src" -o "$out"
  else
    wat2wasm "$src" -o "$out"
  fi
done
for src in "$dir"/*.c; do
  compile_c "${src%.c}.wasm" "$src"
done
ls "$dir"/*.wasm | wc -l | xargs echo "fixtures built:"
