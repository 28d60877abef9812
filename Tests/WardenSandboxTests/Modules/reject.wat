;; Rejects every input through warden.fail, after logging through warden.log.
(module
  (import "warden" "log" (func $log (param i32 i32 i32)))
  (import "warden" "fail" (func $fail (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "checking the input")
  (data (i32.const 64) "expected a PPM image (P6)")
  (func (export "warden_abi_version") (result i32) (i32.const 1))
  (func (export "warden_alloc") (param $size i32) (result i32) (i32.const 1024))
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (call $log (i32.const 1) (i32.const 16) (i32.const 18))
    (call $fail (i32.const 64) (i32.const 25))
    (i64.const 0)))
