;; tokenizer.wat: a preprocess module that turns one text into the token ids
;; and attention mask a BERT-style text model takes.
;;
;; Input:  one tensor (the first one, whatever its name), BYTES, holding a single
;;         element: the UTF-8 text.
;; Work:   ASCII letters are lowercased; every byte that is not [a-z0-9] after
;;         that (spaces, punctuation, any non-ASCII byte) separates words. Each
;;         word is looked up in the vocabulary below; a word it lacks is [UNK].
;;         At most 62 words are kept, so that with [CLS] and [SEP] a sequence
;;         is at most 64 tokens (the rest are dropped, with a warning in the log).
;; Output: "input_ids"      INT64 [1, L] = [CLS] id... [SEP]
;;         "attention_mask" INT64 [1, L], all ones
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
  ;;   0 .. 4095   constants: the texts and the vocabulary of the data segments below
  ;;   4096 ..     the heap: the input set (Warden writes it), scratch, the output set
  (global $heap (mut i32) (i32.const 4096))

  ;; ONNX datatype codes (docs/wasm-abi.md).
  (global $INT64 i32 (i32.const 7))
  (global $BYTES i32 (i32.const 8))

  ;; Token ids with a meaning of their own, and the most words kept.
  (global $UNK i64 (i64.const 1))
  (global $CLS i64 (i64.const 2))
  (global $SEP i64 (i64.const 3))
  (global $MAX_WORDS i32 (i32.const 62))

  ;; Texts, each NUL-terminated ($strlen measures them), 128 bytes apart.
  (global $TXT_OUT_OF_MEMORY i32 (i32.const 128))
  (data (i32.const 128) "tokenizer: out of memory\00")
  (global $MSG_MALFORMED i32 (i32.const 256))
  (data (i32.const 256) "the input tensor set is malformed\00")
  (global $MSG_NOT_ONE_TEXT i32 (i32.const 384))
  (data (i32.const 384) "the text must be one BYTES element\00")
  (global $TXT_TRUNCATED i32 (i32.const 512))
  (data (i32.const 512) "the text has more than 62 words; the words after the 62nd are dropped\00")
  ;; The output tensors' names.
  (global $NAME_INPUT_IDS i32 (i32.const 640))
  (data (i32.const 640) "input_ids\00")
  (global $NAME_ATTENTION_MASK i32 (i32.const 768))
  (data (i32.const 768) "attention_mask\00")

  ;; The vocabulary: one entry per id, in id order, each a length byte and the
  ;; word; a zero length ends it. The bracketed special tokens can never match
  ;; a word (words are only [a-z0-9]), but they keep the ids in their places.
  (global $VOCAB i32 (i32.const 1024))
  (data (i32.const 1024)
    "\05[PAD]"   ;; 0
    "\05[UNK]"   ;; 1
    "\05[CLS]"   ;; 2
    "\05[SEP]"   ;; 3
    "\03the"     ;; 4
    "\01a"       ;; 5
    "\05model"   ;; 6
    "\06warden"  ;; 7
    "\05ships"   ;; 8
    "\06models"  ;; 9
    "\06safely"  ;; 10
    "\04fast"    ;; 11
    "\03and"     ;; 12
    "\02is"      ;; 13
    "\06signed"  ;; 14
    "\04wasm"    ;; 15
    "\00")       ;; the end

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

  (func $emit_i64 (param $value i64)
    (i64.store (global.get $cursor) (local.get $value))
    (global.set $cursor (i32.add (global.get $cursor) (i32.const 8))))

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

  ;; ---------------------------------------------------------------------------
  ;; Words and the vocabulary.
  ;; ---------------------------------------------------------------------------

  ;; $byte with ASCII 'A'..'Z' made 'a'..'z'.
  (func $lowercase (param $byte i32) (result i32)
    (if (result i32) (i32.le_u (i32.sub (local.get $byte) (i32.const 0x41)) (i32.const 25))  ;; 'A'..'Z'
      (then (i32.add (local.get $byte) (i32.const 0x20)))
      (else (local.get $byte))))

  ;; 1 when $byte, lowercased, is [a-z0-9]: part of a word. Anything else
  ;; (including every byte of a multi-byte UTF-8 character) separates words.
  (func $is_word_byte (param $byte i32) (result i32)
    (local $lower i32)
    (local.set $lower (call $lowercase (local.get $byte)))
    (i32.or
      (i32.le_u (i32.sub (local.get $lower) (i32.const 0x61)) (i32.const 25))   ;; 'a'..'z'
      (i32.le_u (i32.sub (local.get $lower) (i32.const 0x30)) (i32.const 9))))  ;; '0'..'9'

  ;; 1 when the $n bytes at $word, lowercased, are the $n bytes at $entry.
  (func $same_lowercase (param $word i32) (param $entry i32) (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne
              (call $lowercase (i32.load8_u (i32.add (local.get $word) (local.get $i))))
              (i32.load8_u (i32.add (local.get $entry) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 1))

  ;; The id of the $n-byte word at $word: its place in the vocabulary, or [UNK].
  (func $lookup (param $word i32) (param $n i32) (result i64)
    (local $entry i32)
    (local $entry_len i32)
    (local $id i64)
    (local.set $entry (global.get $VOCAB))
    (loop $each
      (local.set $entry_len (i32.load8_u (local.get $entry)))
      (if (i32.eqz (local.get $entry_len))
        (then (return (global.get $UNK))))
      (if (i32.eq (local.get $entry_len) (local.get $n))
        (then
          (if (call $same_lowercase (local.get $word) (i32.add (local.get $entry) (i32.const 1)) (local.get $n))
            (then (return (local.get $id))))))
      (local.set $entry (i32.add (local.get $entry) (i32.add (local.get $entry_len) (i32.const 1))))
      (local.set $id (i64.add (local.get $id) (i64.const 1)))
      (br $each))
    (unreachable))

  ;; 1 when the tensor holds exactly one element: every dim is 1 (or it is a scalar).
  (func $t_is_single (param $t i32) (result i32)
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (call $t_rank (local.get $t))))
        (if (i32.ne
              (call $read_u32 (i32.add (i32.add (local.get $t) (i32.const 16)) (i32.shl (local.get $i) (i32.const 2))))
              (i32.const 1))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 1))

  ;; ---------------------------------------------------------------------------
  ;; warden_process: text in, token ids and attention mask out.
  ;; ---------------------------------------------------------------------------
  (func (export "warden_process") (param $ptr i32) (param $len i32) (result i64)
    (local $t i32)
    (local $data i32)
    (local $data_len i32)
    (local $text i32)
    (local $text_len i32)
    (local $ids i32)
    (local $words i32)
    (local $dropped i32)
    (local $i i32)
    (local $start i32)
    (local $length i32)
    (local $data_bytes i32)

    ;; 1. The input: one BYTES element, that is a u32 length and the bytes.
    (local.set $t (call $first_tensor (local.get $ptr) (local.get $len)))
    (if (i32.eqz (local.get $t))
      (then (call $reject (global.get $MSG_NOT_ONE_TEXT))))
    (if (i32.ne (call $t_dtype (local.get $t)) (global.get $BYTES))
      (then (call $reject (global.get $MSG_NOT_ONE_TEXT))))
    (if (i32.eqz (call $t_is_single (local.get $t)))
      (then (call $reject (global.get $MSG_NOT_ONE_TEXT))))
    (local.set $data (call $t_data (local.get $t)))
    (local.set $data_len (call $t_data_len (local.get $t)))
    (if (i32.lt_u (local.get $data_len) (i32.const 4))
      (then (call $reject (global.get $MSG_MALFORMED))))
    (local.set $text_len (call $read_u32 (local.get $data)))
    (if (i32.gt_u (local.get $text_len) (i32.sub (local.get $data_len) (i32.const 4)))
      (then (call $reject (global.get $MSG_MALFORMED))))
    (local.set $text (i32.add (local.get $data) (i32.const 4)))

    ;; 2. The words, left to right: the ids of the first 62 go to a scratch block.
    (local.set $ids (call $alloc_or_trap (i64.extend_i32_u (i32.mul (global.get $MAX_WORDS) (i32.const 8)))))
    (block $done
      (loop $each
        ;; skip the separators before the next word; stop at the end of the text
        (block $at_word
          (loop $skip
            (br_if $done (i32.ge_u (local.get $i) (local.get $text_len)))
            (br_if $at_word (call $is_word_byte (i32.load8_u (i32.add (local.get $text) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $skip)))
        ;; a word starts at $i: one too many when 62 are kept already
        (if (i32.eq (local.get $words) (global.get $MAX_WORDS))
          (then
            (local.set $dropped (i32.const 1))
            (br $done)))
        (local.set $start (local.get $i))
        (block $word_end
          (loop $scan
            (br_if $word_end (i32.ge_u (local.get $i) (local.get $text_len)))
            (br_if $word_end (i32.eqz (call $is_word_byte (i32.load8_u (i32.add (local.get $text) (local.get $i))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $scan)))
        (i64.store
          (i32.add (local.get $ids) (i32.shl (local.get $words) (i32.const 3)))
          (call $lookup (i32.add (local.get $text) (local.get $start)) (i32.sub (local.get $i) (local.get $start))))
        (local.set $words (i32.add (local.get $words) (i32.const 1)))
        (br $each)))
    (if (local.get $dropped)
      (then (call $log (i32.const 2) (global.get $TXT_TRUNCATED) (call $strlen (global.get $TXT_TRUNCATED)))))

    ;; 3. The output set: [CLS] ids [SEP] and as many ones, both INT64 [1, L].
    (local.set $length (i32.add (local.get $words) (i32.const 2)))
    (local.set $data_bytes (i32.mul (local.get $length) (i32.const 8)))
    (call $begin_set
      (i64.add (i64.const 8)
        (i64.add
          (call $tensor_size (global.get $NAME_INPUT_IDS) (i32.const 2) (i64.extend_i32_u (local.get $data_bytes)))
          (call $tensor_size (global.get $NAME_ATTENTION_MASK) (i32.const 2) (i64.extend_i32_u (local.get $data_bytes)))))
      (i32.const 2))

    (call $begin_tensor (global.get $NAME_INPUT_IDS) (global.get $INT64) (i32.const 2) (local.get $data_bytes))
    (call $emit_u32 (i32.const 1))
    (call $emit_u32 (local.get $length))
    (call $emit_name (global.get $NAME_INPUT_IDS))
    (call $emit_i64 (global.get $CLS))
    (local.set $i (i32.const 0))
    (block $ids_done
      (loop $each
        (br_if $ids_done (i32.ge_u (local.get $i) (local.get $words)))
        (call $emit_i64 (i64.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $emit_i64 (global.get $SEP))
    (call $emit_pad)

    (call $begin_tensor (global.get $NAME_ATTENTION_MASK) (global.get $INT64) (i32.const 2) (local.get $data_bytes))
    (call $emit_u32 (i32.const 1))
    (call $emit_u32 (local.get $length))
    (call $emit_name (global.get $NAME_ATTENTION_MASK))
    (local.set $i (i32.const 0))
    (block $mask_done
      (loop $each
        (br_if $mask_done (i32.ge_u (local.get $i) (local.get $length)))
        (call $emit_i64 (i64.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $emit_pad)
    (call $end_set)))
