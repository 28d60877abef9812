;; Answers with bytes that are not a tensor set, and then with a range past its memory.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "JUNKJUNK")
  (func (export "warden_abi_version") (result i32) (i32.const 1))
  (func (export "warden_alloc") (param $size i32) (result i32) (i32.const 1024))
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (if (result i64) (i32.eq (local.get $len) (i32.const 8))
      (then (i64.const 8))
      (else (i64.const 0x0000fff000001000)))))
