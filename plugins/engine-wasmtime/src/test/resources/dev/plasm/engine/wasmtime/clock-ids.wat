;; clock_time_get on every clock id, and into a pointer past the end of memory. Exits 0 when each
;; errno is as Plasm's WASI specifies, else with the number of the first check that differed.
;; Built with wat2wasm clock-ids.wat -o clock-ids.wasm
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $expect (param $check i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $check)))))
  (func (export "_start")
    (call $expect (i32.const 1) (call $clock (i32.const 0) (i64.const 0) (i32.const 64)) (i32.const 0))
    (call $expect (i32.const 2) (i64.eqz (i64.load (i32.const 64))) (i32.const 0))
    (call $expect (i32.const 3) (call $clock (i32.const 1) (i64.const 0) (i32.const 64)) (i32.const 0))
    (call $expect (i32.const 4) (call $clock (i32.const 2) (i64.const 0) (i32.const 64)) (i32.const 0))
    (call $expect (i32.const 5) (call $clock (i32.const 3) (i64.const 0) (i32.const 64)) (i32.const 0))
    (call $expect (i32.const 6) (call $clock (i32.const 4) (i64.const 0) (i32.const 64)) (i32.const 28))
    (call $expect (i32.const 7) (call $clock (i32.const 1) (i64.const 0) (i32.const 65532)) (i32.const 21))
    (call $expect (i32.const 8) (call $clock (i32.const 0) (i64.const 0) (i32.const 65528)) (i32.const 0))))
