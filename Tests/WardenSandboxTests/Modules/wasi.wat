;; Imports WASI's fd_write: must be refused when it loads, naming the import.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "warden_abi_version") (result i32) (i32.const 1))
  (func (export "warden_alloc") (param $size i32) (result i32) (i32.const 1024))
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i64.const 0)))
