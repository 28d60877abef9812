;; csv_features.wat: a preprocess module that turns CSV lines into the float
;; feature matrix a tabular model (such as an iris classifier) takes.
;;
;; Input:  one tensor (the first one, whatever its name), BYTES, shape [N] with
;;         N >= 1: each element one line of exactly 4 comma-separated decimal
;;         numbers, such as "5.1,3.5,1.4,0.2". A number is an optional '-',
;;         digits, and optionally '.' and more digits ("7", "-0.5", "3.",
;;         ".25"); spaces and tabs (and a line's trailing CR or LF) may surround
;;         it. There is no exponent form.
;; Output: "input", FP32, shape [N, 4]: each number parsed as an f64 (its
;;         digits as an integer, divided by 10^k for its k decimals) and then
;;         rounded to f32.
;;
;; Bad input is refused through warden.fail, which answers 400 with the message.
;; The host ABI (exports, imports, the WTS1 tensor set) is docs/wasm-abi.md.
(module
  ;; ---------------------------------------------------------------------------
  ;; Host imports: the only two functions the ABI allows.
  ;; ---------------------------------------------------------------------------
  (import "warden" "log" (func $log (param $level i32) (param $ptr i32) (param $len i32)))
  (import "warden" "fail" (func $fail (param $ptr i32) (param $len i32)))

  ;; One page to start with; warden_alloc grows it as needed.
  (memory (export "memory") 1)

  ;; Memory map:
  ;;   0 .. 4095   constants: the NUL-terminated texts of the data segments below
  ;;   4096 ..     the heap: the input set (Warden writes it), then the output set
  (global $heap (mut i32) (i32.const 4096))

  ;; ONNX datatype codes (docs/wasm-abi.md).
  (global $FP32 i32 (i32.const 1))
  (global $BYTES i32 (i32.const 8))

  ;; The numbers on each line.
  (global $COLUMNS i32 (i32.const 4))

  ;; Texts, each NUL-terminated ($strlen measures them), 128 bytes apart.
  (global $TXT_OUT_OF_MEMORY i32 (i32.const 128))
  (data (i32.const 128) "csv_features: out of memory\00")
  (global $MSG_MALFORMED i32 (i32.const 256))
  (data (i32.const 256) "the input tensor set is malformed\00")
  (global $MSG_NOT_LINES i32 (i32.const 384))
  (data (i32.const 384) "the input must be a BYTES tensor of shape [N], one CSV line per element, N at least 1\00")
  ;; "each line must hold 4 comma-separated numbers, such as 5.1,3.5,1.4,0.2 (line 2 does not)"
  (global $MSG_BAD_LINE i32 (i32.const 512))
  (data (i32.const 512) "each line must hold 4 comma-separated numbers, such as 5.1,3.5,1.4,0.2\00")
  (global $TXT_LINE i32 (i32.const 640))
  (data (i32.const 640) " (line \00")
  (global $TXT_DOES_NOT i32 (i32.const 768))
  (data (i32.const 768) " does not)\00")
  ;; The output tensor's name.
  (global $NAME_INPUT i32 (i32.const 896))
  (data (i32.const 896) "input\00")

  ;; ---------------------------------------------------------------------------
  ;; The ABI version and the allocator.
  ;; ---------------------------------------------------------------------------
  (func (export "warden_abi_version") (result i32) (i32.const 1))

  ;; warden_alloc: a bump allocator. Returns the address of $size free bytes,
  ;; 8-aligned, growing the memory when the block passes its end, or 0 when the
  ;; memory cannot grow. Nothing is ever freed: each call gets a fresh instance,
  ;; so the heap lives only as long as one request.
  (func $alloc (export "warden_alloc") (param $size i32) (result i32)
    (call $alloc64 (i64.extend_i32_u (local.get $size))))

  ;; The allocator proper, with a 64-bit size so that no sum can wrap around.
  (func $alloc64 (param $size i64) (result i32)
    (local $at i32)
    (local $end i64)
    (local $pages i64)
    (local.set $at (global.get $heap))
    ;; Where the block ends, rounded up to 8 so that the next block is 8-aligned too.
    (local.set $end
      (i64.and
        (i64.add (i64.add (i64.extend_i32_u (local.get $at)) (local.get $size)) (i64.const 7))
        (i64.const -8)))
    ;; A 32-bit memory ends at 4 GiB.
    (if (i64.ge_u (local.get $end) (i64.const 0x100000000))
      (then (return (i32.const 0))))
    ;; The pages the memory needs to hold the block; grow when it has fewer.
    (local.set $pages (i64.shr_u (i64.add (local.get $end) (i64.const 0xffff)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size)))))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (i32.wrap_i64 (local.get $end)))
    (local.get $at))

  ;; For the module's own blocks: when the memory is full there is nothing to
  ;; do but stop, so the call traps (after saying why in the log).
  (func $alloc_or_trap (param $size i64) (result i32)
    (local $at i32)
    (local.set $at (call $alloc64 (local.get $size)))
    (if (i32.eqz (local.get $at))
      (then
        (call $log (i32.const 3) (global.get $TXT_OUT_OF_MEMORY) (call $strlen (global.get $TXT_OUT_OF_MEMORY)))
        (unreachable)))
    (local.get $at))

  ;; ---------------------------------------------------------------------------
  ;; Small helpers.
  ;; ---------------------------------------------------------------------------

  ;; Every integer in a tensor set is a little-endian u32, which is how
  ;; WebAssembly loads and stores an i32 (unaligned addresses are fine).
  (func $read_u32 (param $at i32) (result i32)
    (i32.load (local.get $at)))

  (func $write_u32 (param $at i32) (param $value i32)
    (i32.store (local.get $at) (local.get $value)))

  ;; $n rounded up to a multiple of 4.
  (func $pad4 (param $n i32) (result i32)
    (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4)))

  ;; The length of the NUL-terminated text at $text.
  (func $strlen (param $text i32) (result i32)
    (local $n i32)
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $text) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $scan)))
    (local.get $n))

  ;; Refuses the request with the NUL-terminated message at $message.
  ;; warden.fail does not return: the host stops the call and answers 400.
  (func $reject (param $message i32)
    (call $fail (local.get $message) (call $strlen (local.get $message)))
    (unreachable))

  ;; ---------------------------------------------------------------------------
  ;; Reading the input tensor set (docs/wasm-abi.md):
  ;;   set    := "WTS1" count:u32 tensor*
  ;;   tensor := name_len:u32 dtype:u32 rank:u32 data_len:u32 dim:u32*rank
  ;;             name pad data pad           (pad: zeros up to a multiple of 4)
  ;; A tensor is known here by the address of its header, $t.
  ;; ---------------------------------------------------------------------------
  (global $input_end (mut i32) (i32.const 0))

  ;; Checks the magic, remembers where the set ends, and returns its tensor count.
  (func $open_set (param $ptr i32) (param $len i32) (result i32)
    (if (i32.lt_u (local.get $len) (i32.const 8))
      (then (call $reject (global.get $MSG_MALFORMED))))
    ;; "WTS1" read as a little-endian u32
    (if (i32.ne (call $read_u32 (local.get $ptr)) (i32.const 0x31535457))
      (then (call $reject (global.get $MSG_MALFORMED))))
    (global.set $input_end (i32.add (local.get $ptr) (local.get $len)))
    (call $read_u32 (i32.add (local.get $ptr) (i32.const 4))))

  (func $t_name_len (param $t i32) (result i32) (call $read_u32 (local.get $t)))
  (func $t_dtype (param $t i32) (result i32) (call $read_u32 (i32.add (local.get $t) (i32.const 4))))
  (func $t_rank (param $t i32) (result i32) (call $read_u32 (i32.add (local.get $t) (i32.const 8))))
  (func $t_data_len (param $t i32) (result i32) (call $read_u32 (i32.add (local.get $t) (i32.const 12))))

  ;; The address of the tensor's name: after the 16-byte header and its dims.
  (func $t_name (param $t i32) (result i32)
    (i32.add (i32.add (local.get $t) (i32.const 16)) (i32.shl (call $t_rank (local.get $t)) (i32.const 2))))

  ;; The address of the tensor's data: after its padded name.
  (func $t_data (param $t i32) (result i32)
    (i32.add (call $t_name (local.get $t)) (call $pad4 (call $t_name_len (local.get $t)))))

  ;; Refuses the set unless tensor $t (header, dims, name and data) lies inside it.
  (func $t_check (param $t i32)
    (local $end i64)
    (local.set $end (i64.add (i64.extend_i32_u (local.get $t)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (i64.extend_i32_u (global.get $input_end)))
      (then (call $reject (global.get $MSG_MALFORMED))))
    (local.set $end
      (i64.add (local.get $end)
        (i64.add
          (i64.shl (i64.extend_i32_u (call $t_rank (local.get $t))) (i64.const 2))
          (i64.add
            (i64.and (i64.add (i64.extend_i32_u (call $t_name_len (local.get $t))) (i64.const 3)) (i64.const -4))
            (i64.extend_i32_u (call $t_data_len (local.get $t)))))))
    (if (i64.gt_u (local.get $end) (i64.extend_i32_u (global.get $input_end)))
      (then (call $reject (global.get $MSG_MALFORMED)))))

  ;; The first tensor of the set, or 0 when the set is empty.
  (func $first_tensor (param $ptr i32) (param $len i32) (result i32)
    (local $t i32)
    (if (i32.eqz (call $open_set (local.get $ptr) (local.get $len)))
      (then (return (i32.const 0))))
    (local.set $t (i32.add (local.get $ptr) (i32.const 8)))
    (call $t_check (local.get $t))
    (local.get $t))

  ;; ---------------------------------------------------------------------------
  ;; Writing the output tensor set. $begin_set takes a block for the whole set,
  ;; the $emit_* functions append at $cursor, and $end_set packs the answer.
  ;; ---------------------------------------------------------------------------
  (global $out_start (mut i32) (i32.const 0))
  (global $cursor (mut i32) (i32.const 0))

  (func $emit_u32 (param $value i32)
    (call $write_u32 (global.get $cursor) (local.get $value))
    (global.set $cursor (i32.add (global.get $cursor) (i32.const 4))))

  (func $emit_f32 (param $value f32)
    (f32.store (global.get $cursor) (local.get $value))
    (global.set $cursor (i32.add (global.get $cursor) (i32.const 4))))

  (func $emit_bytes (param $from i32) (param $n i32)
    (memory.copy (global.get $cursor) (local.get $from) (local.get $n))
    (global.set $cursor (i32.add (global.get $cursor) (local.get $n))))

  (func $emit_text (param $text i32)
    (call $emit_bytes (local.get $text) (call $strlen (local.get $text))))

  ;; Zero bytes up to the next multiple of 4, counted from the start of the set.
  (func $emit_pad
    (block $done
      (loop $more
        (br_if $done (i32.eqz (i32.and (i32.sub (global.get $cursor) (global.get $out_start)) (i32.const 3))))
        (i32.store8 (global.get $cursor) (i32.const 0))
        (global.set $cursor (i32.add (global.get $cursor) (i32.const 1)))
        (br $more))))

  ;; The bytes one tensor takes in a set: header, dims, padded name, padded data.
  (func $tensor_size (param $name i32) (param $rank i32) (param $data_len i64) (result i64)
    (i64.add
      (i64.extend_i32_u
        (i32.add
          (i32.add (i32.const 16) (i32.shl (local.get $rank) (i32.const 2)))
          (call $pad4 (call $strlen (local.get $name)))))
      (i64.and (i64.add (local.get $data_len) (i64.const 3)) (i64.const -4))))

  ;; Starts the output set in a fresh block of $size bytes: magic and count.
  (func $begin_set (param $size i64) (param $count i32)
    (global.set $out_start (call $alloc_or_trap (local.get $size)))
    (global.set $cursor (global.get $out_start))
    (call $emit_u32 (i32.const 0x31535457))  ;; "WTS1"
    (call $emit_u32 (local.get $count)))

  ;; A tensor's fixed header. The caller then emits its $rank dims, calls
  ;; $emit_name, emits the data and calls $emit_pad.
  (func $begin_tensor (param $name i32) (param $dtype i32) (param $rank i32) (param $data_len i32)
    (call $emit_u32 (call $strlen (local.get $name)))
    (call $emit_u32 (local.get $dtype))
    (call $emit_u32 (local.get $rank))
    (call $emit_u32 (local.get $data_len)))

  ;; The name after the dims, padded, so that the data starts 4-aligned.
  (func $emit_name (param $name i32)
    (call $emit_text (local.get $name))
    (call $emit_pad))

  ;; The answer of warden_process: (address << 32) | length.
  (func $end_set (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (global.get $out_start)) (i64.const 32))
      (i64.extend_i32_u (i32.sub (global.get $cursor) (global.get $out_start)))))

  ;; Messages with numbers in them are built at the cursor too, in a fresh
  ;; block; any output in progress is abandoned, as warden.fail does not return.
  (func $begin_message (result i32)
    (global.set $cursor (call $alloc_or_trap (i64.const 512)))
    (global.get $cursor))

  (func $fail_message (param $start i32)
    (call $fail (local.get $start) (i32.sub (global.get $cursor) (local.get $start)))
    (unreachable))

  ;; Appends $value in decimal.
  (func $emit_decimal (param $value i64)
    (local $digits i32)
    (local $rest i64)
    (local $at i32)
    ;; count the digits
    (local.set $digits (i32.const 1))
    (local.set $rest (local.get $value))
    (block $done
      (loop $more
        (br_if $done (i64.lt_u (local.get $rest) (i64.const 10)))
        (local.set $rest (i64.div_u (local.get $rest) (i64.const 10)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br $more)))
    ;; write them from the last one back
    (global.set $cursor (i32.add (global.get $cursor) (local.get $digits)))
    (local.set $at (global.get $cursor))
    (local.set $rest (local.get $value))
    (loop $each
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i64.store8 (local.get $at) (i64.add (i64.const 48) (i64.rem_u (local.get $rest) (i64.const 10))))
      (local.set $rest (i64.div_u (local.get $rest) (i64.const 10)))
      (br_if $each (i64.ne (local.get $rest) (i64.const 0)))))

  ;; ---------------------------------------------------------------------------
  ;; The line scanner: $scan walks one line up to $scan_end. $line is the line's
  ;; number (from 1) for the message when it does not parse.
  ;; ---------------------------------------------------------------------------
  (global $scan (mut i32) (i32.const 0))
  (global $scan_end (mut i32) (i32.const 0))
  (global $line (mut i32) (i32.const 0))

  ;; The byte at $scan, or -1 at the end of the line.
  (func $peek (result i32)
    (if (result i32) (i32.lt_u (global.get $scan) (global.get $scan_end))
      (then (i32.load8_u (global.get $scan)))
      (else (i32.const -1))))

  (func $advance
    (global.set $scan (i32.add (global.get $scan) (i32.const 1))))

  ;; Refuses the request: line $line does not parse.
  (func $bad_line
    (local $message i32)
    (local.set $message (call $begin_message))
    (call $emit_text (global.get $MSG_BAD_LINE))
    (call $emit_text (global.get $TXT_LINE))
    (call $emit_decimal (i64.extend_i32_u (global.get $line)))
    (call $emit_text (global.get $TXT_DOES_NOT))
    (call $fail_message (local.get $message)))

  ;; Skips spaces, tabs, CRs and LFs.
  (func $skip_blanks
    (local $byte i32)
    (block $done
      (loop $more
        (local.set $byte (call $peek))
        (br_if $done
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $byte) (i32.const 0x20)) (i32.eq (local.get $byte) (i32.const 0x09)))
              (i32.or (i32.eq (local.get $byte) (i32.const 0x0d)) (i32.eq (local.get $byte) (i32.const 0x0a))))))
        (call $advance)
        (br $more))))

  ;; The value of the digit at $scan (0..9), or -1 when there is no digit there.
  (func $digit (result i32)
    (local $value i32)
    ;; '0'..'9' give 0..9; any other byte (and -1, the end) gives more than 9 unsigned
    (local.set $value (i32.sub (call $peek) (i32.const 0x30)))
    (select (local.get $value) (i32.const -1) (i32.le_u (local.get $value) (i32.const 9))))

  ;; 10^$k as an f64 (exact up to 10^22).
  (func $power_of_ten (param $k i32) (result f64)
    (local $power f64)
    (local.set $power (f64.const 1))
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $power (f64.mul (local.get $power) (f64.const 10)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $more)))
    (local.get $power))

  ;; Reads one number at $scan: ['-'] digits ['.' digits], at least one digit.
  (func $read_number (result f64)
    (local $negative i32)
    (local $digits i32)
    (local $decimals i32)
    (local $mantissa f64)
    (local $digit i32)
    (local $value f64)
    (if (i32.eq (call $peek) (i32.const 0x2d))  ;; '-'
      (then
        (local.set $negative (i32.const 1))
        (call $advance)))
    ;; the integer part
    (block $done
      (loop $each
        (local.set $digit (call $digit))
        (br_if $done (i32.lt_s (local.get $digit) (i32.const 0)))
        (local.set $mantissa (f64.add (f64.mul (local.get $mantissa) (f64.const 10)) (f64.convert_i32_u (local.get $digit))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (call $advance)
        (br $each)))
    ;; the decimals, each one more power of ten to divide by
    (if (i32.eq (call $peek) (i32.const 0x2e))  ;; '.'
      (then
        (call $advance)
        (block $done
          (loop $each
            (local.set $digit (call $digit))
            (br_if $done (i32.lt_s (local.get $digit) (i32.const 0)))
            (local.set $mantissa (f64.add (f64.mul (local.get $mantissa) (f64.const 10)) (f64.convert_i32_u (local.get $digit))))
            (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
            (local.set $decimals (i32.add (local.get $decimals) (i32.const 1)))
            (call $advance)
            (br $each)))))
    (if (i32.eqz (local.get $digits))
      (then (call $bad_line)))
    (local.set $value (f64.div (local.get $mantissa) (call $power_of_ten (local.get $decimals))))
    (select (f64.neg (local.get $value)) (local.get $value) (local.get $negative)))

  ;; Parses the $n-byte line at $at and emits its 4 numbers as f32.
  (func $emit_line (param $at i32) (param $n i32)
    (local $column i32)
    (global.set $scan (local.get $at))
    (global.set $scan_end (i32.add (local.get $at) (local.get $n)))
    (loop $each
      (call $skip_blanks)
      (call $emit_f32 (f32.demote_f64 (call $read_number)))
      (call $skip_blanks)
      (local.set $column (i32.add (local.get $column) (i32.const 1)))
      (if (i32.lt_u (local.get $column) (global.get $COLUMNS))
        (then
          ;; a comma before each number but the first
          (if (i32.ne (call $peek) (i32.const 0x2c))  ;; ','
            (then (call $bad_line)))
          (call $advance)
          (br $each))))
    ;; and nothing after the last one
    (if (i32.lt_u (global.get $scan) (global.get $scan_end))
      (then (call $bad_line))))

  ;; ---------------------------------------------------------------------------
  ;; warden_process: CSV lines in, an [N, 4] float matrix out.
  ;; ---------------------------------------------------------------------------
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (local $t i32)
    (local $lines i32)
    (local $element i32)
    (local $data_end i32)
    (local $n i32)
    (local $data_len i64)

    ;; 1. The input: BYTES [N], N >= 1.
    (local.set $t (call $first_tensor (local.get $ptr) (local.get $len)))
    (if (i32.eqz (local.get $t))
      (then (call $reject (global.get $MSG_NOT_LINES))))
    (if (i32.or
          (i32.ne (call $t_dtype (local.get $t)) (global.get $BYTES))
          (i32.ne (call $t_rank (local.get $t)) (i32.const 1)))
      (then (call $reject (global.get $MSG_NOT_LINES))))
    (local.set $lines (call $read_u32 (i32.add (local.get $t) (i32.const 16))))  ;; dim 0
    (if (i32.eqz (local.get $lines))
      (then (call $reject (global.get $MSG_NOT_LINES))))

    ;; 2. The output set: one tensor "input", FP32 [N, 4], filled line by line.
    (local.set $data_len
      (i64.mul (i64.extend_i32_u (local.get $lines)) (i64.extend_i32_u (i32.shl (global.get $COLUMNS) (i32.const 2)))))
    (call $begin_set
      (i64.add (i64.const 8) (call $tensor_size (global.get $NAME_INPUT) (i32.const 2) (local.get $data_len)))
      (i32.const 1))
    (call $begin_tensor (global.get $NAME_INPUT) (global.get $FP32) (i32.const 2) (i32.wrap_i64 (local.get $data_len)))
    (call $emit_u32 (local.get $lines))
    (call $emit_u32 (global.get $COLUMNS))
    (call $emit_name (global.get $NAME_INPUT))

    ;; Each BYTES element is a u32 length and that many bytes.
    (local.set $element (call $t_data (local.get $t)))
    (local.set $data_end (i32.add (local.get $element) (call $t_data_len (local.get $t))))
    (global.set $line (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.gt_u (global.get $line) (local.get $lines)))
        (if (i32.lt_u (i32.sub (local.get $data_end) (local.get $element)) (i32.const 4))
          (then (call $reject (global.get $MSG_MALFORMED))))
        (local.set $n (call $read_u32 (local.get $element)))
        (local.set $element (i32.add (local.get $element) (i32.const 4)))
        (if (i32.gt_u (local.get $n) (i32.sub (local.get $data_end) (local.get $element)))
          (then (call $reject (global.get $MSG_MALFORMED))))
        (call $emit_line (local.get $element) (local.get $n))
        (local.set $element (i32.add (local.get $element) (local.get $n)))
        (global.set $line (i32.add (global.get $line) (i32.const 1)))
        (br $each)))
    (call $emit_pad)
    (call $end_set)))
