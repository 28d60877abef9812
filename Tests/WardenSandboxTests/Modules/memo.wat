;; Remembers across calls, to test the instance policy. Each call answers
;;   previous INT32 [1]: the i32 at address 512 before this call (the module then writes 42 there)
;;   calls    INT32 [1]: a counter in a global the module does not export
;; A fresh instance per call answers 0 and 1 every time. A reused instance (sandbox.reuse_instances)
;; has its memory restored, so previous stays 0, while calls counts up: globals it does not
;; export keep their values.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  ;; The answer: "WTS1", 2 tensors: previous INT32 [1] (data at 292), calls INT32 [1] (data at 324).
  (data (i32.const 256) "WTS1\02\00\00\00"
    "\08\00\00\00\06\00\00\00\01\00\00\00\04\00\00\00\01\00\00\00previous\00\00\00\00"
    "\05\00\00\00\06\00\00\00\01\00\00\00\04\00\00\00\01\00\00\00calls\00\00\00\00\00\00\00")
  (func (export "warden_abi_version") (result i32) (i32.const 1))
  (func (export "warden_alloc") (param $size i32) (result i32) (i32.const 1024))
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 292) (i32.load (i32.const 512)))
    (i32.store (i32.const 324) (global.get $calls))
    (i32.store (i32.const 512) (i32.const 42))
    (i64.const 0x0000010000000048)))
