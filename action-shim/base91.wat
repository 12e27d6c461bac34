;; basE91 decoding for the shim: the embedded wasm is about 50 kB of basE91 text, and a plain
;; JavaScript loop over it runs cold (interpreted) at every cold start of an Action. This module
;; is instantiated once per process, decodes in a fraction of a millisecond and is dropped.
;;
;; Memory, grown by the shim to fit: [0, 128) the value of each ASCII character (written by the
;; shim), [128, 128 + n) the text, then the decoded bytes, which are never more than the text.
;; d(n, out) decodes the n characters at 128 into out and returns how many bytes it wrote.
(module
  (memory (export "m") 0)
  (func (export "d") (param $n i32) (param $out i32) (result i32)
    (local $i i32) (local $at i32) (local $queue i32) (local $bits i32) (local $value i32)
    (local.set $at (local.get $out))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)))
        (local.set $value
          (i32.add
            (i32.load8_u (i32.load8_u offset=128 (local.get $i)))
            (i32.mul (i32.load8_u (i32.load8_u offset=129 (local.get $i))) (i32.const 91))))
        (local.set $queue (i32.or (local.get $queue) (i32.shl (local.get $value) (local.get $bits))))
        (local.set $bits
          (i32.add (local.get $bits)
            (select (i32.const 13) (i32.const 14)
              (i32.gt_u (i32.and (local.get $value) (i32.const 8191)) (i32.const 88)))))
        (loop $bytes
          (i32.store8 (local.get $at) (local.get $queue))
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (local.set $queue (i32.shr_u (local.get $queue) (i32.const 8)))
          (local.set $bits (i32.sub (local.get $bits) (i32.const 8)))
          (br_if $bytes (i32.gt_s (local.get $bits) (i32.const 7))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (i32.store8 (local.get $at)
          (i32.or (local.get $queue)
            (i32.shl (i32.load8_u (i32.load8_u offset=128 (local.get $i))) (local.get $bits))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))))
    (i32.sub (local.get $at) (local.get $out))))
