;; A whole model (format: wasm) that is a compute loop: takes n (INT64 [1]) and answers
;; sum (INT64 [1]) = the sum over i < n of (i*i) xor (i >> 3). About 10 operators per
;; iteration, so n sets the fuel a call burns: the serving tests use it to run a call out of
;; fuel, and bench/wasm.sh to compare fuel-metered WasmKit with wasmtime on the same module.
(module
  (import "warden" "fail" (func $fail (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 128) "the input must be one INT64 tensor, such as n = [1000]")
  ;; The answer's fixed header: "WTS1", 1 tensor; name_len 3, INT64 (7), rank 1, 8 bytes, dim 1; "sum" padded.
  (data (i32.const 256) "WTS1\01\00\00\00\03\00\00\00\07\00\00\00\01\00\00\00\08\00\00\00\01\00\00\00sum\00")
  (global $next (mut i32) (i32.const 1024))
  (func (export "warden_abi_version") (result i32) (i32.const 1))
  (func (export "warden_alloc") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.and (i32.add (i32.add (local.get $at) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $next) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (local.get $at))
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (local $data i32) (local $n i64) (local $i i64) (local $acc i64)
    ;; one tensor, INT64, with 8 bytes of data
    (if (i32.or
          (i32.or (i32.ne (i32.load offset=4 (local.get $ptr)) (i32.const 1))
                  (i32.ne (i32.load offset=12 (local.get $ptr)) (i32.const 7)))
          (i32.ne (i32.load offset=20 (local.get $ptr)) (i32.const 8)))
      (then (call $fail (i32.const 128) (i32.const 54))))
    ;; data = ptr + 24 + 4*rank + name_len rounded up to 4
    (local.set $data
      (i32.add (i32.add (i32.add (local.get $ptr) (i32.const 24))
                        (i32.shl (i32.load offset=16 (local.get $ptr)) (i32.const 2)))
               (i32.and (i32.add (i32.load offset=8 (local.get $ptr)) (i32.const 3)) (i32.const -4))))
    (local.set $n (i64.load (local.get $data)))
    (if (i64.gt_s (local.get $n) (i64.const 0))
      (then
        (loop $next_i
          (local.set $acc
            (i64.add (local.get $acc)
              (i64.xor (i64.mul (local.get $i) (local.get $i)) (i64.shr_u (local.get $i) (i64.const 3)))))
          (local.set $i (i64.add (local.get $i) (i64.const 1)))
          (br_if $next_i (i64.lt_s (local.get $i) (local.get $n))))))
    (i64.store (i32.const 288) (local.get $acc))
    (i64.const 0x0000010000000028)))
