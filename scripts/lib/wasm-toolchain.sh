# Sourced by the scripts that rebuild committed .wasm files; checks the toolchain is installed.
# Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt
require_wasm_toolchain() {
  local missing=()
  command -v clang >/dev/null || missing+=(clang)
  command -v wasm-ld >/dev/null || missing+=(lld)
  command -v wat2wasm >/dev/null || missing+=(wabt)
  [ -d /usr/lib/wasm32-wasi ] || [ -d /usr/share/wasi-sysroot ] || missing+=(wasi-libc)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "error: the WebAssembly toolchain is incomplete (missing: ${missing[*]})." >&2
    echo "       On Debian/Ubuntu: sudo apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt" >&2
    return 1
  fi
}

# compile_c OUT.wasm SRC.c: a small, stripped WASI command.
compile_c() {
  clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$1" "$2"
}
