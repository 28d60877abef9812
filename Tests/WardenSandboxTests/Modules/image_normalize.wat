;; image_normalize.wat: a preprocess module that turns a binary PPM image into
;; the normalized float tensor an ImageNet-style model takes.
;;
;; Input:  one tensor (the first one, whatever its name), UINT8, shape [n]:
;;         the bytes of a binary PPM file:
;;           "P6" ws width ws height ws maxval ws1 pixels
;;         where ws is one or more spaces, tabs, CRs or LFs, ws1 is exactly one
;;         of them, maxval must be 255 and pixels are width*height*3 RGB bytes,
;;         row by row (bytes after them are ignored).
;; Output: "pixels", FP32, shape [1, 3, height, width] (channels first, CHW),
;;         value = (byte / 255 - mean[c]) / std[c] with the ImageNet
;;         mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
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
  (global $UINT8 i32 (i32.const 2))

  ;; Texts, each NUL-terminated ($strlen measures them), 128 bytes apart.
  (global $TXT_OUT_OF_MEMORY i32 (i32.const 128))
  (data (i32.const 128) "image_normalize: out of memory\00")
  (global $MSG_MALFORMED i32 (i32.const 256))
  (data (i32.const 256) "the input tensor set is malformed\00")
  (global $MSG_DTYPE i32 (i32.const 384))
  (data (i32.const 384) "the image must be a UINT8 tensor of the file's bytes\00")
  (global $MSG_NOT_P6 i32 (i32.const 512))
  (data (i32.const 512) "expected a binary PPM image (P6)\00")
  (global $MSG_MAXVAL i32 (i32.const 640))
  (data (i32.const 640) "only 8-bit PPM images (maxval 255) are supported\00")
  (global $MSG_HEADER i32 (i32.const 768))
  (data (i32.const 768) "the PPM header must give width, height and maxval as decimal numbers\00")
  (global $MSG_ZERO_SIZE i32 (i32.const 896))
  (data (i32.const 896) "the image must be at least 1x1 pixel\00")
  ;; "the image says WxH but holds fewer pixel bytes (it needs N after the header and has M)"
  (global $TXT_SAYS i32 (i32.const 1024))
  (data (i32.const 1024) "the image says \00")
  (global $TXT_BY i32 (i32.const 1152))
  (data (i32.const 1152) "x\00")
  (global $TXT_FEWER i32 (i32.const 1280))
  (data (i32.const 1280) " but holds fewer pixel bytes (it needs \00")
  (global $TXT_HAS i32 (i32.const 1408))
  (data (i32.const 1408) " after the header and has \00")
  (global $TXT_CLOSE i32 (i32.const 1536))
  (data (i32.const 1536) ")\00")
  ;; The output tensor's name.
  (global $NAME_PIXELS i32 (i32.const 1664))
  (data (i32.const 1664) "pixels\00")

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
  ;; The PPM header scanner: $scan walks the image bytes up to $scan_end.
  ;; ---------------------------------------------------------------------------
  (global $scan (mut i32) (i32.const 0))
  (global $scan_end (mut i32) (i32.const 0))

  ;; The byte at $scan, or -1 at the end of the image.
  (func $peek (result i32)
    (if (result i32) (i32.lt_u (global.get $scan) (global.get $scan_end))
      (then (i32.load8_u (global.get $scan)))
      (else (i32.const -1))))

  (func $advance
    (global.set $scan (i32.add (global.get $scan) (i32.const 1))))

  ;; Header whitespace: space, tab, LF or CR.
  (func $is_space (param $byte i32) (result i32)
    (i32.or
      (i32.or (i32.eq (local.get $byte) (i32.const 0x20)) (i32.eq (local.get $byte) (i32.const 0x09)))
      (i32.or (i32.eq (local.get $byte) (i32.const 0x0a)) (i32.eq (local.get $byte) (i32.const 0x0d)))))

  ;; Skips one or more whitespace bytes; refuses with $message when there is none.
  (func $expect_space (param $message i32)
    (if (i32.eqz (call $is_space (call $peek)))
      (then (call $reject (local.get $message))))
    (loop $more
      (call $advance)
      (br_if $more (call $is_space (call $peek)))))

  ;; Reads a decimal number of 1 to 9 digits (so it fits an i32).
  (func $read_number (result i32)
    (local $value i32)
    (local $digits i32)
    (local $digit i32)
    (block $done
      (loop $each
        ;; '0'..'9' give 0..9; any other byte (and -1, the end) gives more than 9 unsigned
        (local.set $digit (i32.sub (call $peek) (i32.const 0x30)))
        (br_if $done (i32.gt_u (local.get $digit) (i32.const 9)))
        (local.set $value (i32.add (i32.mul (local.get $value) (i32.const 10)) (local.get $digit)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (call $advance)
        (br $each)))
    (if (i32.or (i32.eqz (local.get $digits)) (i32.gt_u (local.get $digits) (i32.const 9)))
      (then (call $reject (global.get $MSG_HEADER))))
    (local.get $value))

  ;; ---------------------------------------------------------------------------
  ;; Normalization constants per channel (R, G, B).
  ;; ---------------------------------------------------------------------------
  (func $mean (param $channel i32) (result f32)
    (select (f32.const 0.485)
      (select (f32.const 0.456) (f32.const 0.406) (i32.eq (local.get $channel) (i32.const 1)))
      (i32.eqz (local.get $channel))))

  (func $std (param $channel i32) (result f32)
    (select (f32.const 0.229)
      (select (f32.const 0.224) (f32.const 0.225) (i32.eq (local.get $channel) (i32.const 1)))
      (i32.eqz (local.get $channel))))

  ;; ---------------------------------------------------------------------------
  ;; warden_process: PPM bytes in, normalized CHW floats out.
  ;; ---------------------------------------------------------------------------
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (local $t i32)
    (local $width i32)
    (local $height i32)
    (local $maxval i32)
    (local $needed i64)
    (local $have i64)
    (local $message i32)
    (local $pixels i32)
    (local $plane i32)
    (local $data_len i64)
    (local $channel i32)
    (local $mean f32)
    (local $std f32)
    (local $from i32)
    (local $end i32)
    (local $to i32)

    ;; 1. The input: the first tensor, whatever its name, as UINT8 bytes.
    ;;    (Its shape is not checked: the bytes are the file.)
    (local.set $t (call $first_tensor (local.get $ptr) (local.get $len)))
    (if (i32.eqz (local.get $t))
      (then (call $reject (global.get $MSG_DTYPE))))
    (if (i32.ne (call $t_dtype (local.get $t)) (global.get $UINT8))
      (then (call $reject (global.get $MSG_DTYPE))))
    (global.set $scan (call $t_data (local.get $t)))
    (global.set $scan_end (i32.add (global.get $scan) (call $t_data_len (local.get $t))))

    ;; 2. The header: "P6" ws width ws height ws maxval, then one whitespace byte.
    (if (i32.ne (call $peek) (i32.const 0x50))  ;; 'P'
      (then (call $reject (global.get $MSG_NOT_P6))))
    (call $advance)
    (if (i32.ne (call $peek) (i32.const 0x36))  ;; '6'
      (then (call $reject (global.get $MSG_NOT_P6))))
    (call $advance)
    (call $expect_space (global.get $MSG_NOT_P6))  ;; "P61..." is not P6 either
    (local.set $width (call $read_number))
    (call $expect_space (global.get $MSG_HEADER))
    (local.set $height (call $read_number))
    (call $expect_space (global.get $MSG_HEADER))
    (local.set $maxval (call $read_number))
    (if (i32.ne (local.get $maxval) (i32.const 255))
      (then (call $reject (global.get $MSG_MAXVAL))))
    (if (i32.or (i32.eqz (local.get $width)) (i32.eqz (local.get $height)))
      (then (call $reject (global.get $MSG_ZERO_SIZE))))
    ;; Exactly one whitespace byte ends the header: the pixel bytes that follow
    ;; may be anything, whitespace values included. (At the end of the file,
    ;; the pixel check below says what is missing.)
    (if (i32.ge_s (call $peek) (i32.const 0))
      (then
        (if (i32.eqz (call $is_space (call $peek)))
          (then (call $reject (global.get $MSG_HEADER))))
        (call $advance)))

    ;; 3. The pixels: width * height * 3 bytes must follow (more are ignored).
    (local.set $needed
      (i64.mul (i64.mul (i64.extend_i32_u (local.get $width)) (i64.extend_i32_u (local.get $height))) (i64.const 3)))
    (local.set $have (i64.extend_i32_u (i32.sub (global.get $scan_end) (global.get $scan))))
    (if (i64.lt_u (local.get $have) (local.get $needed))
      (then
        (local.set $message (call $begin_message))
        (call $emit_text (global.get $TXT_SAYS))
        (call $emit_decimal (i64.extend_i32_u (local.get $width)))
        (call $emit_text (global.get $TXT_BY))
        (call $emit_decimal (i64.extend_i32_u (local.get $height)))
        (call $emit_text (global.get $TXT_FEWER))
        (call $emit_decimal (local.get $needed))
        (call $emit_text (global.get $TXT_HAS))
        (call $emit_decimal (local.get $have))
        (call $emit_text (global.get $TXT_CLOSE))
        (call $fail_message (local.get $message))))
    (local.set $pixels (global.get $scan))
    ;; width * height fits an i32: three times it fits in the input.
    (local.set $plane (i32.mul (local.get $width) (local.get $height)))

    ;; 4. The output set: one tensor "pixels", FP32, [1, 3, height, width].
    ;;    ($begin_set traps if the memory cannot hold it, before the i32 data
    ;;    length below could wrap.)
    (local.set $data_len (i64.mul (i64.extend_i32_u (local.get $plane)) (i64.const 12)))
    (call $begin_set
      (i64.add (i64.const 8) (call $tensor_size (global.get $NAME_PIXELS) (i32.const 4) (local.get $data_len)))
      (i32.const 1))
    (call $begin_tensor (global.get $NAME_PIXELS) (global.get $FP32) (i32.const 4) (i32.wrap_i64 (local.get $data_len)))
    (call $emit_u32 (i32.const 1))
    (call $emit_u32 (i32.const 3))
    (call $emit_u32 (local.get $height))
    (call $emit_u32 (local.get $width))
    (call $emit_name (global.get $NAME_PIXELS))

    ;; Channel by channel (CHW). The image is RGB interleaved, row by row, so
    ;; channel c of pixel i is byte 3*i + c. This is the hot loop (a 224x224
    ;; image runs it 150,528 times), so it stores at $to itself rather than
    ;; calling $emit_f32 for each value.
    (local.set $to (global.get $cursor))
    (loop $channels
      (local.set $mean (call $mean (local.get $channel)))
      (local.set $std (call $std (local.get $channel)))
      (local.set $from (i32.add (local.get $pixels) (local.get $channel)))
      (local.set $end (i32.add (local.get $from) (i32.mul (local.get $plane) (i32.const 3))))
      (block $plane_done
        (loop $each
          (br_if $plane_done (i32.ge_u (local.get $from) (local.get $end)))
          (f32.store (local.get $to)
            (f32.div
              (f32.sub
                (f32.div (f32.convert_i32_u (i32.load8_u (local.get $from))) (f32.const 255))
                (local.get $mean))
              (local.get $std)))
          (local.set $from (i32.add (local.get $from) (i32.const 3)))
          (local.set $to (i32.add (local.get $to) (i32.const 4)))
          (br $each)))
      (local.set $channel (i32.add (local.get $channel) (i32.const 1)))
      (br_if $channels (i32.lt_u (local.get $channel) (i32.const 3))))
    (global.set $cursor (local.get $to))
    (call $emit_pad)
    (call $end_set)))
