;; topk.wat: a postprocess module that turns a classifier's probabilities into
;; its two best labels with their scores.
;;
;; Input:  the model's outputs; the module reads the tensor named
;;         "probabilities", FP32, shape [N, C], and ignores the others (such as
;;         "label", INT64 [N]). C must be the number of labels below (3).
;; Work:   per row, the k = 2 classes with the highest probability, best first;
;;         of two equal probabilities the lower class index comes first.
;; Output: "labels" BYTES [N, 2] (each element a u32 length and the label's
;;         bytes) and "scores" FP32 [N, 2], both best first.
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
  ;;   0 .. 4095   constants: the texts and the labels of the data segments below
  ;;   4096 ..     the heap: the input set (Warden writes it), scratch, the output set
  (global $heap (mut i32) (i32.const 4096))

  ;; ONNX datatype codes (docs/wasm-abi.md).
  (global $FP32 i32 (i32.const 1))
  (global $BYTES i32 (i32.const 8))

  ;; How many of the best classes each row answers with.
  (global $K i32 (i32.const 2))

  ;; Texts, each NUL-terminated ($strlen measures them), 128 bytes apart.
  (global $TXT_OUT_OF_MEMORY i32 (i32.const 128))
  (data (i32.const 128) "topk: out of memory\00")
  (global $MSG_MALFORMED i32 (i32.const 256))
  (data (i32.const 256) "the input tensor set is malformed\00")
  (global $MSG_NO_PROBABILITIES i32 (i32.const 384))
  (data (i32.const 384) "no 'probabilities' tensor in the model's outputs\00")
  (global $MSG_PROBABILITIES_SHAPE i32 (i32.const 512))
  (data (i32.const 512) "the 'probabilities' tensor must be FP32 with shape [N, C]\00")
  ;; "the model gives C classes but the module has 3 labels"
  (global $TXT_GIVES i32 (i32.const 640))
  (data (i32.const 640) "the model gives \00")
  (global $TXT_CLASSES_BUT i32 (i32.const 768))
  (data (i32.const 768) " classes but the module has \00")
  (global $TXT_LABELS i32 (i32.const 896))
  (data (i32.const 896) " labels\00")
  ;; Tensor names: the one read and the two written.
  (global $NAME_PROBABILITIES i32 (i32.const 1024))
  (data (i32.const 1024) "probabilities\00")
  (global $NAME_LABELS i32 (i32.const 1152))
  (data (i32.const 1152) "labels\00")
  (global $NAME_SCORES i32 (i32.const 1280))
  (data (i32.const 1280) "scores\00")

  ;; The class labels, in class index order: each a length byte and the label;
  ;; a zero length ends the list.
  (global $LABELS i32 (i32.const 2048))
  (data (i32.const 2048)
    "\06setosa"      ;; class 0
    "\0aversicolor"  ;; class 1
    "\09virginica"   ;; class 2
    "\00")           ;; the end

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

  ;; The $i-th dim of the tensor.
  (func $t_dim (param $t i32) (param $i i32) (result i32)
    (call $read_u32 (i32.add (i32.add (local.get $t) (i32.const 16)) (i32.shl (local.get $i) (i32.const 2)))))

  ;; Where the next tensor's header starts: after the padded data.
  (func $t_next (param $t i32) (result i32)
    (i32.add (call $t_data (local.get $t)) (call $pad4 (call $t_data_len (local.get $t)))))

  ;; 1 when the $n bytes at $a are the $n bytes at $b.
  (func $bytes_equal (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne
              (i32.load8_u (i32.add (local.get $a) (local.get $i)))
              (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 1))

  ;; 1 when the tensor's name is the NUL-terminated text at $name.
  (func $t_has_name (param $t i32) (param $name i32) (result i32)
    (local $n i32)
    (local.set $n (call $strlen (local.get $name)))
    (if (i32.ne (call $t_name_len (local.get $t)) (local.get $n))
      (then (return (i32.const 0))))
    (call $bytes_equal (call $t_name (local.get $t)) (local.get $name) (local.get $n)))

  ;; The tensor named $name (a NUL-terminated text), or 0 when the set has none.
  (func $find_tensor (param $ptr i32) (param $len i32) (param $name i32) (result i32)
    (local $count i32)
    (local $i i32)
    (local $t i32)
    (local.set $count (call $open_set (local.get $ptr) (local.get $len)))
    (local.set $t (i32.add (local.get $ptr) (i32.const 8)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (call $t_check (local.get $t))
        (if (call $t_has_name (local.get $t) (local.get $name))
          (then (return (local.get $t))))
        (local.set $t (call $t_next (local.get $t)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 0))

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
  ;; The labels.
  ;; ---------------------------------------------------------------------------

  ;; How many labels the list holds.
  (func $label_count (result i32)
    (local $entry i32)
    (local $count i32)
    (local.set $entry (global.get $LABELS))
    (block $done
      (loop $each
        (br_if $done (i32.eqz (i32.load8_u (local.get $entry))))
        (local.set $entry (i32.add (local.get $entry) (i32.add (i32.load8_u (local.get $entry)) (i32.const 1))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $each)))
    (local.get $count))

  ;; The entry of class $class: its length byte, then its bytes.
  (func $label (param $class i32) (result i32)
    (local $entry i32)
    (local.set $entry (global.get $LABELS))
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $class)))
        (local.set $entry (i32.add (local.get $entry) (i32.add (i32.load8_u (local.get $entry)) (i32.const 1))))
        (local.set $class (i32.sub (local.get $class) (i32.const 1)))
        (br $each)))
    (local.get $entry))

  ;; The probability of class $j in the row at $row.
  (func $probability (param $row i32) (param $j i32) (result f32)
    (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))

  ;; ---------------------------------------------------------------------------
  ;; warden_process: probabilities in, the best labels and scores out.
  ;; ---------------------------------------------------------------------------
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (local $t i32)
    (local $rows i32)
    (local $classes i32)
    (local $probabilities i32)
    (local $message i32)
    (local $picks i32)
    (local $picked i32)
    (local $row i32)
    (local $row_at i32)
    (local $chosen i32)
    (local $place i32)
    (local $j i32)
    (local $best i32)
    (local $label i32)
    (local $labels_bytes i64)
    (local $scores_bytes i64)
    (local $i i32)

    ;; 1. The input: "probabilities", FP32 [N, C], with C the number of labels.
    (local.set $t (call $find_tensor (local.get $ptr) (local.get $len) (global.get $NAME_PROBABILITIES)))
    (if (i32.eqz (local.get $t))
      (then (call $reject (global.get $MSG_NO_PROBABILITIES))))
    (if (i32.or
          (i32.ne (call $t_dtype (local.get $t)) (global.get $FP32))
          (i32.ne (call $t_rank (local.get $t)) (i32.const 2)))
      (then (call $reject (global.get $MSG_PROBABILITIES_SHAPE))))
    (local.set $rows (call $t_dim (local.get $t) (i32.const 0)))
    (local.set $classes (call $t_dim (local.get $t) (i32.const 1)))
    (if (i32.ne (local.get $classes) (call $label_count))
      (then
        (local.set $message (call $begin_message))
        (call $emit_text (global.get $TXT_GIVES))
        (call $emit_decimal (i64.extend_i32_u (local.get $classes)))
        (call $emit_text (global.get $TXT_CLASSES_BUT))
        (call $emit_decimal (i64.extend_i32_u (call $label_count)))
        (call $emit_text (global.get $TXT_LABELS))
        (call $fail_message (local.get $message))))
    (if (i64.ne
          (i64.extend_i32_u (call $t_data_len (local.get $t)))
          (i64.mul (i64.mul (i64.extend_i32_u (local.get $rows)) (i64.extend_i32_u (local.get $classes))) (i64.const 4)))
      (then (call $reject (global.get $MSG_MALFORMED))))
    (local.set $probabilities (call $t_data (local.get $t)))

    ;; 2. Per row, pick the best class K times among those not chosen yet (a bit
    ;;    per class in $chosen). Only a strictly greater probability replaces the
    ;;    best so far, so of equal ones the lower index wins. The picks go to a
    ;;    scratch block, N*K class indices, and the label bytes they need are
    ;;    counted for the header.
    (local.set $picks
      (call $alloc_or_trap (i64.mul (i64.extend_i32_u (local.get $rows)) (i64.extend_i32_u (i32.shl (global.get $K) (i32.const 2))))))
    (local.set $picked (local.get $picks))
    (block $rows_done
      (loop $each_row
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $row_at
          (i32.add (local.get $probabilities) (i32.shl (i32.mul (local.get $row) (local.get $classes)) (i32.const 2))))
        (local.set $chosen (i32.const 0))
        (local.set $place (i32.const 0))
        (loop $each_place
          (local.set $best (i32.const -1))
          (local.set $j (i32.const 0))
          (block $classes_done
            (loop $each_class
              (br_if $classes_done (i32.ge_u (local.get $j) (local.get $classes)))
              (if (i32.eqz (i32.and (local.get $chosen) (i32.shl (i32.const 1) (local.get $j))))
                (then
                  (if (i32.lt_s (local.get $best) (i32.const 0))
                    (then (local.set $best (local.get $j)))
                    (else
                      (if (f32.gt
                            (call $probability (local.get $row_at) (local.get $j))
                            (call $probability (local.get $row_at) (local.get $best)))
                        (then (local.set $best (local.get $j))))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $each_class)))
          (local.set $chosen (i32.or (local.get $chosen) (i32.shl (i32.const 1) (local.get $best))))
          (call $write_u32 (local.get $picked) (local.get $best))
          (local.set $picked (i32.add (local.get $picked) (i32.const 4)))
          ;; a BYTES element: a u32 length and the label
          (local.set $labels_bytes
            (i64.add (local.get $labels_bytes)
              (i64.extend_i32_u (i32.add (i32.const 4) (i32.load8_u (call $label (local.get $best)))))))
          (local.set $place (i32.add (local.get $place) (i32.const 1)))
          (br_if $each_place (i32.lt_u (local.get $place) (global.get $K))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $each_row)))

    ;; 3. The output set: "labels" BYTES [N, K], then "scores" FP32 [N, K].
    (local.set $scores_bytes
      (i64.mul (i64.extend_i32_u (local.get $rows)) (i64.extend_i32_u (i32.shl (global.get $K) (i32.const 2)))))
    (call $begin_set
      (i64.add (i64.const 8)
        (i64.add
          (call $tensor_size (global.get $NAME_LABELS) (i32.const 2) (local.get $labels_bytes))
          (call $tensor_size (global.get $NAME_SCORES) (i32.const 2) (local.get $scores_bytes))))
      (i32.const 2))

    (call $begin_tensor (global.get $NAME_LABELS) (global.get $BYTES) (i32.const 2) (i32.wrap_i64 (local.get $labels_bytes)))
    (call $emit_u32 (local.get $rows))
    (call $emit_u32 (global.get $K))
    (call $emit_name (global.get $NAME_LABELS))
    (local.set $picked (local.get $picks))
    (local.set $i (i32.const 0))
    (block $labels_done
      (loop $each
        (br_if $labels_done (i32.ge_u (local.get $i) (i32.mul (local.get $rows) (global.get $K))))
        (local.set $label (call $label (call $read_u32 (local.get $picked))))
        (call $emit_u32 (i32.load8_u (local.get $label)))
        (call $emit_bytes (i32.add (local.get $label) (i32.const 1)) (i32.load8_u (local.get $label)))
        (local.set $picked (i32.add (local.get $picked) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $emit_pad)

    (call $begin_tensor (global.get $NAME_SCORES) (global.get $FP32) (i32.const 2) (i32.wrap_i64 (local.get $scores_bytes)))
    (call $emit_u32 (local.get $rows))
    (call $emit_u32 (global.get $K))
    (call $emit_name (global.get $NAME_SCORES))
    (local.set $picked (local.get $picks))
    (local.set $row (i32.const 0))
    (block $scores_done
      (loop $each_row
        (br_if $scores_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $row_at
          (i32.add (local.get $probabilities) (i32.shl (i32.mul (local.get $row) (local.get $classes)) (i32.const 2))))
        (local.set $place (i32.const 0))
        (loop $each_place
          (call $emit_f32 (call $probability (local.get $row_at) (call $read_u32 (local.get $picked))))
          (local.set $picked (i32.add (local.get $picked) (i32.const 4)))
          (local.set $place (i32.add (local.get $place) (i32.const 1)))
          (br_if $each_place (i32.lt_u (local.get $place) (global.get $K))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $each_row)))
    (call $emit_pad)
    (call $end_set)))
