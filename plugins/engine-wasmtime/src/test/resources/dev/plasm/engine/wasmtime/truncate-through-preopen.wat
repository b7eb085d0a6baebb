;; Opens "in.txt" in the first preopen (fd 3) with O_TRUNC and every right, without O_CREAT, and
;; exits with the errno path_open returned (0 if it opened the file). Built with
;; wat2wasm truncate-through-preopen.wat -o truncate-through-preopen.wasm
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "in.txt")
  (func (export "_start")
    ;; fd 3, lookupflags 0, path (16, 6), oflags TRUNC (8), all rights, fdflags 0, result at 64
    (call $exit
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 6) (i32.const 8)
        (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 64)))))
