;; A start function (run during instantiation) that traps. Built with
;; wat2wasm start-function-traps.wat -o start-function-traps.wasm
(module
  (func $init unreachable)
  (start $init)
  (func (export "_start")))
