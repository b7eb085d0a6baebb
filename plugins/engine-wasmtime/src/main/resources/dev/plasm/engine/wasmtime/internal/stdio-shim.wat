;; The stdio shim of the wasmtime engine (rebuild: wat2wasm stdio-shim.wat -o stdio-shim.wasm).
;;
;; wasmtime-java's WASI opens stdio only from file paths, and opens each with create/truncate
;; (write-only) semantics, so a guest could never read its stdin. The engine gives the guest these
;; two functions instead of WASI's fd_read and fd_write: they send fds 0, 1 and 2 to Java (the
;; request's streams) and every other fd to WASI. They are wasm, not Java, because WASI finds the
;; guest's memory through the export "memory" of the instance that calls it: this instance
;; re-exports the guest's memory, which the engine creates and gives to both.
(module
  (import "plasm" "memory" (memory 0))
  (import "wasi" "fd_read" (func $wasi_fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi" "fd_write" (func $wasi_fd_write (param i32 i32 i32 i32) (result i32)))
  ;; (iovs, iovs_len, nread_ptr) -> errno
  (import "plasm" "stdin_read" (func $stdin_read (param i32 i32 i32) (result i32)))
  ;; (fd, iovs, iovs_len, nwritten_ptr) -> errno, fd is 1 or 2
  (import "plasm" "stdio_write" (func $stdio_write (param i32 i32 i32 i32) (result i32)))
  (export "memory" (memory 0))
  (func (export "fd_read") (param $fd i32) (param $iovs i32) (param $len i32) (param $out i32) (result i32)
    (if (result i32) (i32.eqz (local.get $fd))
      (then (call $stdin_read (local.get $iovs) (local.get $len) (local.get $out)))
      (else (call $wasi_fd_read (local.get $fd) (local.get $iovs) (local.get $len) (local.get $out)))))
  (func (export "fd_write") (param $fd i32) (param $iovs i32) (param $len i32) (param $out i32) (result i32)
    (if (result i32) (i32.or (i32.eq (local.get $fd) (i32.const 1)) (i32.eq (local.get $fd) (i32.const 2)))
      (then (call $stdio_write (local.get $fd) (local.get $iovs) (local.get $len) (local.get $out)))
      (else (call $wasi_fd_write (local.get $fd) (local.get $iovs) (local.get $len) (local.get $out))))))
