;; The clock shim of the wasmtime engine (rebuild: wat2wasm clock-shim.wat -o clock-shim.wasm).
;;
;; WASI is Plasm's own, in Java, but a call from wasm into Java costs ~10 us through wasmtime-java,
;; and some guests read the clock in their inner loops (Go's scheduler, Rust's Instant::now). This
;; instance gives the guest a clock_time_get that serves the realtime and monotonic clocks from
;; wasmtime's own WASI (native, well under a microsecond) and every other clock id from Plasm's
;; (the CPU-time clocks, and every error: a bad id, or a pointer out of bounds, which Plasm's WASI
;; answers with EFAULT). Deterministic runs do not use it: their clock is the
;; recorded one. wasmtime's WASI writes through the memory the calling instance exports as
;; "memory": this instance re-exports the guest's memory, which the engine creates and gives to both.
(module
  (import "plasm" "memory" (memory 0))
  (import "wasi" "clock_time_get" (func $native (param i32 i64 i32) (result i32)))
  (import "plasm" "clock_time_get" (func $plasm (param i32 i64 i32) (result i32)))
  (export "memory" (memory 0))
  (func (export "clock_time_get") (param $id i32) (param $precision i64) (param $out i32) (result i32)
    (if (result i32)
        (i32.and
          (i32.lt_u (local.get $id) (i32.const 2))
          (i64.le_u
            (i64.add (i64.extend_i32_u (local.get $out)) (i64.const 8))
            (i64.mul (i64.extend_i32_u (memory.size)) (i64.const 65536))))
      (then (call $native (local.get $id) (local.get $precision) (local.get $out)))
      (else (call $plasm (local.get $id) (local.get $precision) (local.get $out))))))
