;; Hand-written WebAssembly SIMD kernels for the training steps that XNNPACK (as built into tfjs-backend-wasm 4.22)
;; runs slowly. They work in place on tensors of the wasm backend: the module imports the backend's own memory, and
;; every pointer is a byte offset into it. All tensors are float32, row-major; the channel count C (or N) is a
;; multiple of 4 so that channels go 4 at a time in a v128.
;;
;; Source of src/backend/simd/kernelsWasm.ts: `npm run build:simd` (scripts/build-simd.mjs) assembles this file
;; with wabt; `node scripts/build-simd.mjs --check` (run by test/backend/kernels.test.ts) checks they match.
(module
  (import "env" "memory" (memory 1))

  ;; c[M, N] = a[P, M]^T . b[P, N]: the weight gradient of a 1x1 convolution (a = x, b = dy, P = n*h*w).
  ;; M % 4 == 0, N % 8 == 0. Register block: 4 rows x 8 columns of c (8 accumulators) over a chunk of 64 rows of
  ;; a and b, so that the chunk stays in L1 while every block of c passes over it.
  (func (export "gemm_atb") (param $a i32) (param $b i32) (param $c i32) (param $P i32) (param $M i32) (param $N i32)
    (local $p0 i32) (local $p1 i32) (local $m i32) (local $n i32) (local $pa i32) (local $pb i32) (local $pend i32)
    (local $cp i32) (local $rowM i32) (local $rowN i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (memory.fill (local.get $c) (i32.const 0) (i32.shl (i32.mul (local.get $M) (local.get $N)) (i32.const 2)))
    (local.set $rowM (i32.shl (local.get $M) (i32.const 2)))
    (local.set $rowN (i32.shl (local.get $N) (i32.const 2)))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $p0) (local.get $P)))
        (local.set $p1 (i32.add (local.get $p0) (i32.const 64)))
        (if (i32.gt_u (local.get $p1) (local.get $P)) (then (local.set $p1 (local.get $P))))
        (local.set $m (i32.const 0))
        (loop $ms
          (local.set $n (i32.const 0))
          (loop $ns
            (local.set $cp (i32.add (local.get $c)
              (i32.shl (i32.add (i32.mul (local.get $m) (local.get $N)) (local.get $n)) (i32.const 2))))
            (local.set $q1 (i32.add (local.get $cp) (local.get $rowN)))
            (local.set $q2 (i32.add (local.get $q1) (local.get $rowN)))
            (local.set $q3 (i32.add (local.get $q2) (local.get $rowN)))
            (local.set $c00 (v128.load (local.get $cp)))
            (local.set $c01 (v128.load offset=16 (local.get $cp)))
            (local.set $c10 (v128.load (local.get $q1)))
            (local.set $c11 (v128.load offset=16 (local.get $q1)))
            (local.set $c20 (v128.load (local.get $q2)))
            (local.set $c21 (v128.load offset=16 (local.get $q2)))
            (local.set $c30 (v128.load (local.get $q3)))
            (local.set $c31 (v128.load offset=16 (local.get $q3)))
            (local.set $pa (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $p0) (local.get $M)) (local.get $m)) (i32.const 2))))
            (local.set $pend (i32.add (local.get $a)
              (i32.shl (i32.add (i32.mul (local.get $p1) (local.get $M)) (local.get $m)) (i32.const 2))))
            (local.set $pb (i32.add (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $p0) (local.get $N)) (local.get $n)) (i32.const 2))))
            (loop $ps
              (local.set $b0 (v128.load (local.get $pb)))
              (local.set $b1 (v128.load offset=16 (local.get $pb)))
              (local.set $s (v128.load32_splat (local.get $pa)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
              (local.set $s (v128.load32_splat offset=4 (local.get $pa)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
              (local.set $s (v128.load32_splat offset=8 (local.get $pa)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
              (local.set $s (v128.load32_splat offset=12 (local.get $pa)))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
              (local.set $pa (i32.add (local.get $pa) (local.get $rowM)))
              (local.set $pb (i32.add (local.get $pb) (local.get $rowN)))
              (br_if $ps (i32.ne (local.get $pa) (local.get $pend))))
            (v128.store (local.get $cp) (local.get $c00))
            (v128.store offset=16 (local.get $cp) (local.get $c01))
            (v128.store (local.get $q1) (local.get $c10))
            (v128.store offset=16 (local.get $q1) (local.get $c11))
            (v128.store (local.get $q2) (local.get $c20))
            (v128.store offset=16 (local.get $q2) (local.get $c21))
            (v128.store (local.get $q3) (local.get $c30))
            (v128.store offset=16 (local.get $q3) (local.get $c31))
            (local.set $n (i32.add (local.get $n) (i32.const 8)))
            (br_if $ns (i32.lt_u (local.get $n) (local.get $N))))
          (local.set $m (i32.add (local.get $m) (i32.const 4)))
          (br_if $ms (i32.lt_u (local.get $m) (local.get $M))))
        (local.set $p0 (local.get $p1))
        (br $chunks))))

  ;; out[b, oy, ox, c] = sum_{i < KH, j < KW} xp[b, oy + i, ox + j, c] * f[i, j, c]: a stride-1 depthwise
  ;; convolution of an input already padded to [B, HP, WP, C]; out is [B, OH, OW, C].
  ;; A row of OW*C floats is cut into "lane pixels" of CE floats (CE = C when C % 4 == 0, else lcm(C, 4), with
  ;; OW*C % CE == 0): lane k of a lane pixel holds channel k % C, so a 4-lane vector is always whole; a tap
  ;; moves the input by C floats. f is [KH, KW, CE], the filter expanded to that lane pattern.
  ;; Register block: 4 lane pixels x 4 lanes; lane pixels past the last block of 4 go one at a time.
  (func (export "dw_fwd") (param $xp i32) (param $f i32) (param $out i32) (param $B i32) (param $HP i32) (param $WP i32)
    (param $C i32) (param $OH i32) (param $OW i32) (param $KH i32) (param $KW i32) (param $CE i32)
    (local $pix i32) (local $vp i32) (local $vp2 i32) (local $vp3 i32) (local $owv i32) (local $rowX i32) (local $b i32) (local $oy i32) (local $ox i32) (local $cb i32) (local $i i32)
    (local $j i32) (local $xrow i32) (local $orow i32) (local $xi i32) (local $fp i32) (local $op i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $fv v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local.set $pix (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowX (i32.mul (local.get $WP) (local.get $pix)))
    (local.set $vp (i32.shl (local.get $CE) (i32.const 2)))
    (local.set $vp2 (i32.shl (local.get $CE) (i32.const 3)))
    (local.set $vp3 (i32.mul (local.get $CE) (i32.const 12)))
    (local.set $owv (i32.div_u (i32.mul (local.get $OW) (local.get $C)) (local.get $CE)))
    (loop $bs
      (local.set $oy (i32.const 0))
      (loop $oys
        (local.set $xrow (i32.add (local.get $xp)
          (i32.mul (i32.add (i32.mul (local.get $b) (local.get $HP)) (local.get $oy)) (local.get $rowX))))
        (local.set $orow (i32.add (local.get $out)
          (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $OH)) (local.get $oy)) (local.get $OW))
            (local.get $pix))))
        (local.set $ox (i32.const 0))
        ;; blocks of 4 output pixels
        (block $quads_done
          (loop $quads
            (br_if $quads_done (i32.gt_u (i32.add (local.get $ox) (i32.const 4)) (local.get $owv)))
            (local.set $cb (i32.const 0))
            (loop $cbs
              (local.set $a0 (v128.const i32x4 0 0 0 0))
              (local.set $a1 (v128.const i32x4 0 0 0 0))
              (local.set $a2 (v128.const i32x4 0 0 0 0))
              (local.set $a3 (v128.const i32x4 0 0 0 0))
              (local.set $fp (i32.add (local.get $f) (local.get $cb)))
              (local.set $i (i32.const 0))
              (loop $is
                (local.set $xi (i32.add (i32.add (local.get $xrow) (i32.mul (local.get $i) (local.get $rowX)))
                  (i32.add (i32.mul (local.get $ox) (local.get $vp)) (local.get $cb))))
                (local.set $j (local.get $KW))
                (if (i32.eq (local.get $pix) (local.get $vp))
                  (then
                    ;; whole pixels (C % 4 == 0): the 4 pixels' inputs at tap j + 1 are those at tap j moved by one
                    ;; pixel, so each tap loads one new input vector (a window rolling along the row)
                    (local.set $x0 (v128.load (local.get $xi)))
                    (local.set $x1 (v128.load (i32.add (local.get $xi) (local.get $vp))))
                    (local.set $x2 (v128.load (i32.add (local.get $xi) (local.get $vp2))))
                    (local.set $x3 (v128.load (i32.add (local.get $xi) (local.get $vp3))))
                    (local.set $xi (i32.add (local.get $xi) (i32.shl (local.get $vp) (i32.const 2))))
                    (loop $rj
                      (local.set $fv (v128.load (local.get $fp)))
                      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x0) (local.get $fv))))
                      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x1) (local.get $fv))))
                      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x2) (local.get $fv))))
                      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x3) (local.get $fv))))
                      (local.set $fp (i32.add (local.get $fp) (local.get $vp)))
                      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                      (if (local.get $j)
                        (then
                          (local.set $x0 (local.get $x1))
                          (local.set $x1 (local.get $x2))
                          (local.set $x2 (local.get $x3))
                          (local.set $x3 (v128.load (local.get $xi)))
                          (local.set $xi (i32.add (local.get $xi) (local.get $vp)))
                          (br $rj)))))
                  (else
                    (loop $js
                      (local.set $fv (v128.load (local.get $fp)))
                      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xi)) (local.get $fv))))
                      (local.set $a1 (f32x4.add (local.get $a1)
                        (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $vp))) (local.get $fv))))
                      (local.set $a2 (f32x4.add (local.get $a2)
                        (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $vp2))) (local.get $fv))))
                      (local.set $a3 (f32x4.add (local.get $a3)
                        (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $vp3))) (local.get $fv))))
                      (local.set $fp (i32.add (local.get $fp) (local.get $vp)))
                      (local.set $xi (i32.add (local.get $xi) (local.get $pix)))
                      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                      (br_if $js (local.get $j)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $is (i32.lt_u (local.get $i) (local.get $KH))))
              (local.set $op (i32.add (local.get $orow) (i32.add (i32.mul (local.get $ox) (local.get $vp)) (local.get $cb))))
              (v128.store (local.get $op) (local.get $a0))
              (v128.store (i32.add (local.get $op) (local.get $vp)) (local.get $a1))
              (v128.store (i32.add (local.get $op) (local.get $vp2)) (local.get $a2))
              (v128.store (i32.add (local.get $op) (local.get $vp3)) (local.get $a3))
              (local.set $cb (i32.add (local.get $cb) (i32.const 16)))
              (br_if $cbs (i32.lt_u (local.get $cb) (local.get $vp))))
            (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
            (br $quads)))
        ;; the remaining pixels of the row, one at a time
        (block $singles_done
          (loop $singles
            (br_if $singles_done (i32.ge_u (local.get $ox) (local.get $owv)))
            (local.set $cb (i32.const 0))
            (loop $cbs1
              (local.set $a0 (v128.const i32x4 0 0 0 0))
              (local.set $fp (i32.add (local.get $f) (local.get $cb)))
              (local.set $i (i32.const 0))
              (loop $is1
                (local.set $xi (i32.add (i32.add (local.get $xrow) (i32.mul (local.get $i) (local.get $rowX)))
                  (i32.add (i32.mul (local.get $ox) (local.get $vp)) (local.get $cb))))
                (local.set $j (local.get $KW))
                (loop $js1
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xi)) (v128.load (local.get $fp)))))
                  (local.set $fp (i32.add (local.get $fp) (local.get $vp)))
                  (local.set $xi (i32.add (local.get $xi) (local.get $pix)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $js1 (local.get $j)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $is1 (i32.lt_u (local.get $i) (local.get $KH))))
              (v128.store (i32.add (local.get $orow) (i32.add (i32.mul (local.get $ox) (local.get $vp)) (local.get $cb)))
                (local.get $a0))
              (local.set $cb (i32.add (local.get $cb) (i32.const 16)))
              (br_if $cbs1 (i32.lt_u (local.get $cb) (local.get $vp))))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $singles)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br_if $oys (i32.lt_u (local.get $oy) (local.get $OH))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $bs (i32.lt_u (local.get $b) (local.get $B)))))

  ;; dw[i, j, c] = sum_{b, oy, ox} xp[b, oy + i, ox + j, c] * dy[b, oy, ox, c]: the filter gradient of dw_fwd
  ;; (same padded input, same lane pixels of CE floats: dw is [KH, KW, CE], which the caller folds back to C
  ;; channels). Register block: 4 taps of a filter row x 4 lanes, accumulated along an output row (on whole pixels,
  ;; C % 4 == 0, with the input window rolling along the row and the last KW % 4 taps in one more block of 4);
  ;; taps past the last block of 4 otherwise go one at a time.
  (func (export "dw_bwd_filter") (param $xp i32) (param $dy i32) (param $dw i32) (param $B i32) (param $HP i32)
    (param $WP i32) (param $C i32) (param $OH i32) (param $OW i32) (param $KH i32) (param $KW i32) (param $CE i32)
    (local $pix i32) (local $pix2 i32) (local $pix3 i32) (local $vp i32) (local $vp2 i32) (local $vp3 i32) (local $owv i32) (local $rowX i32) (local $b i32) (local $oy i32) (local $i i32) (local $j i32) (local $cb i32)
    (local $ox i32) (local $xrow i32) (local $dyrow i32) (local $xi i32) (local $di i32) (local $wp i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $d v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $skip i32)
    (local.set $pix (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowX (i32.mul (local.get $WP) (local.get $pix)))
    (local.set $vp (i32.shl (local.get $CE) (i32.const 2)))
    (local.set $vp2 (i32.shl (local.get $CE) (i32.const 3)))
    (local.set $vp3 (i32.mul (local.get $CE) (i32.const 12)))
    (local.set $pix2 (i32.shl (local.get $C) (i32.const 3)))
    (local.set $pix3 (i32.mul (local.get $C) (i32.const 12)))
    (local.set $owv (i32.div_u (i32.mul (local.get $OW) (local.get $C)) (local.get $CE)))
    (memory.fill (local.get $dw) (i32.const 0)
      (i32.mul (i32.mul (local.get $KH) (local.get $KW)) (local.get $vp)))
    (loop $bs
      (local.set $oy (i32.const 0))
      (loop $oys
        (local.set $dyrow (i32.add (local.get $dy)
          (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $OH)) (local.get $oy)) (local.get $OW))
            (local.get $pix))))
        (local.set $i (i32.const 0))
        (loop $is
          (local.set $xrow (i32.add (local.get $xp)
            (i32.mul (i32.add (i32.add (i32.mul (local.get $b) (local.get $HP)) (local.get $oy)) (local.get $i))
              (local.get $rowX))))
          (local.set $j (i32.const 0))
          (block $quads_done
            (loop $quads
              (br_if $quads_done (i32.ge_u (local.get $j) (local.get $KW)))
              (local.set $skip (i32.const 0))
              (if (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $KW))
                (then
                  ;; the last KW % 4 taps: on whole pixels, a block of the last 4 taps whose first `skip` are done
                  ;; already (one more sweep of the row instead of one per tap); otherwise the singles below
                  (br_if $quads_done (i32.or (i32.ne (local.get $pix) (local.get $vp)) (i32.lt_u (local.get $KW) (i32.const 4))))
                  (local.set $skip (i32.sub (local.get $j) (i32.sub (local.get $KW) (i32.const 4))))
                  (local.set $j (i32.sub (local.get $KW) (i32.const 4)))))
              (local.set $cb (i32.const 0))
              (loop $cbs
                (local.set $wp (i32.add (local.get $dw)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $KW)) (local.get $j)) (local.get $vp))
                    (local.get $cb))))
                (local.set $a0 (v128.const i32x4 0 0 0 0))
                (local.set $a1 (v128.const i32x4 0 0 0 0))
                (local.set $a2 (v128.const i32x4 0 0 0 0))
                (local.set $a3 (v128.const i32x4 0 0 0 0))
                (local.set $xi (i32.add (local.get $xrow) (i32.add (i32.mul (local.get $j) (local.get $pix)) (local.get $cb))))
                (local.set $di (i32.add (local.get $dyrow) (local.get $cb)))
                (local.set $ox (local.get $owv))
                (if (i32.eq (local.get $pix) (local.get $vp))
                  (then
                    ;; whole pixels: the 4 taps' inputs at pixel ox + 1 are those at ox moved by one pixel
                    (local.set $x0 (v128.load (local.get $xi)))
                    (local.set $x1 (v128.load (i32.add (local.get $xi) (local.get $vp))))
                    (local.set $x2 (v128.load (i32.add (local.get $xi) (local.get $vp2))))
                    (local.set $x3 (v128.load (i32.add (local.get $xi) (local.get $vp3))))
                    (local.set $xi (i32.add (local.get $xi) (i32.shl (local.get $vp) (i32.const 2))))
                    (loop $roxs
                      (local.set $d (v128.load (local.get $di)))
                      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x0) (local.get $d))))
                      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x1) (local.get $d))))
                      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x2) (local.get $d))))
                      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x3) (local.get $d))))
                      (local.set $di (i32.add (local.get $di) (local.get $vp)))
                      (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                      (if (local.get $ox)
                        (then
                          (local.set $x0 (local.get $x1))
                          (local.set $x1 (local.get $x2))
                          (local.set $x2 (local.get $x3))
                          (local.set $x3 (v128.load (local.get $xi)))
                          (local.set $xi (i32.add (local.get $xi) (local.get $vp)))
                          (br $roxs)))))
                  (else
                    (loop $oxs
                      (local.set $d (v128.load (local.get $di)))
                      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xi)) (local.get $d))))
                      (local.set $a1 (f32x4.add (local.get $a1)
                        (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $pix))) (local.get $d))))
                      (local.set $a2 (f32x4.add (local.get $a2)
                        (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $pix2))) (local.get $d))))
                      (local.set $a3 (f32x4.add (local.get $a3)
                        (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $pix3))) (local.get $d))))
                      (local.set $xi (i32.add (local.get $xi) (local.get $vp)))
                      (local.set $di (i32.add (local.get $di) (local.get $vp)))
                      (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                      (br_if $oxs (local.get $ox)))))
                (if (i32.eqz (local.get $skip))
                  (then (v128.store (local.get $wp) (f32x4.add (v128.load (local.get $wp)) (local.get $a0)))))
                (if (i32.le_u (local.get $skip) (i32.const 1))
                  (then (v128.store (i32.add (local.get $wp) (local.get $vp))
                    (f32x4.add (v128.load (i32.add (local.get $wp) (local.get $vp))) (local.get $a1)))))
                (if (i32.le_u (local.get $skip) (i32.const 2))
                  (then (v128.store (i32.add (local.get $wp) (local.get $vp2))
                    (f32x4.add (v128.load (i32.add (local.get $wp) (local.get $vp2))) (local.get $a2)))))
                (v128.store (i32.add (local.get $wp) (local.get $vp3))
                  (f32x4.add (v128.load (i32.add (local.get $wp) (local.get $vp3))) (local.get $a3)))
                (local.set $cb (i32.add (local.get $cb) (i32.const 16)))
                (br_if $cbs (i32.lt_u (local.get $cb) (local.get $vp))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $quads)))
          (block $singles_done
            (loop $singles
              (br_if $singles_done (i32.ge_u (local.get $j) (local.get $KW)))
              (local.set $cb (i32.const 0))
              (loop $cbs1
                (local.set $wp (i32.add (local.get $dw)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $KW)) (local.get $j)) (local.get $vp))
                    (local.get $cb))))
                (local.set $a0 (v128.load (local.get $wp)))
                (local.set $xi (i32.add (local.get $xrow) (i32.add (i32.mul (local.get $j) (local.get $pix)) (local.get $cb))))
                (local.set $di (i32.add (local.get $dyrow) (local.get $cb)))
                (local.set $ox (local.get $owv))
                (loop $oxs1
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xi)) (v128.load (local.get $di)))))
                  (local.set $xi (i32.add (local.get $xi) (local.get $vp)))
                  (local.set $di (i32.add (local.get $di) (local.get $vp)))
                  (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                  (br_if $oxs1 (local.get $ox)))
                (v128.store (local.get $wp) (local.get $a0))
                (local.set $cb (i32.add (local.get $cb) (i32.const 16)))
                (br_if $cbs1 (i32.lt_u (local.get $cb) (local.get $vp))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $singles)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $is (i32.lt_u (local.get $i) (local.get $KH))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br_if $oys (i32.lt_u (local.get $oy) (local.get $OH))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $bs (i32.lt_u (local.get $b) (local.get $B)))))

  ;; Per-channel passes of training batch norm over x viewed as [R, CE] (CE % 4 == 0, CE = lcm(C, 4)): lane k holds
  ;; channel k % C (the caller expands per-channel parameters to CE lanes and folds the CE sums back to C). Sums are
  ;; accumulated in float64 (out: 2 CE doubles), so that batch statistics over 10^5 rows keep float32's precision.

  ;; out[k] = sum_r (x[r, k] - s[k]), out[CE + k] = sum_r (x[r, k] - s[k])^2 (s: CE floats, a per-channel shift
  ;; near the mean, so that the variance n^-1 sum (x - s)^2 - (n^-1 sum (x - s))^2 does not cancel). One pass per
  ;; 4-lane column, the sums in registers (two rows at a time: two sets of accumulators, added at the end).
  (func (export "col_moments") (param $x i32) (param $s i32) (param $R i32) (param $CE i32) (param $out i32)
    (local $row i32) (local $row2 i32) (local $k i32) (local $p i32) (local $end i32) (local $end2 i32)
    (local $sv v128) (local $v v128) (local $lo v128) (local $hi v128)
    (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128)
    (local $t0 v128) (local $t1 v128) (local $u0 v128) (local $u1 v128)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (local.set $row2 (i32.shl (local.get $row) (i32.const 1)))
    (loop $ks
      (local.set $sv (v128.load (i32.add (local.get $s) (local.get $k))))
      (local.set $s0 (f64x2.splat (f64.const 0)))
      (local.set $s1 (local.get $s0)) (local.set $q0 (local.get $s0)) (local.set $q1 (local.get $s0))
      (local.set $t0 (local.get $s0)) (local.set $t1 (local.get $s0)) (local.set $u0 (local.get $s0)) (local.set $u1 (local.get $s0))
      (local.set $p (i32.add (local.get $x) (local.get $k)))
      (local.set $end (i32.add (local.get $p) (i32.mul (local.get $R) (local.get $row))))
      (local.set $end2 (i32.add (local.get $p) (i32.mul (i32.and (local.get $R) (i32.const -2)) (local.get $row))))
      (block $pairs_done
        (loop $pairs
          (br_if $pairs_done (i32.ge_u (local.get $p) (local.get $end2)))
          (local.set $v (f32x4.sub (v128.load (local.get $p)) (local.get $sv)))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
          (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
          (local.set $s0 (f64x2.add (local.get $s0) (local.get $lo)))
          (local.set $s1 (f64x2.add (local.get $s1) (local.get $hi)))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $lo) (local.get $lo))))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $hi) (local.get $hi))))
          (local.set $v (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $row))) (local.get $sv)))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
          (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
          (local.set $t0 (f64x2.add (local.get $t0) (local.get $lo)))
          (local.set $t1 (f64x2.add (local.get $t1) (local.get $hi)))
          (local.set $u0 (f64x2.add (local.get $u0) (f64x2.mul (local.get $lo) (local.get $lo))))
          (local.set $u1 (f64x2.add (local.get $u1) (f64x2.mul (local.get $hi) (local.get $hi))))
          (local.set $p (i32.add (local.get $p) (local.get $row2)))
          (br $pairs)))
      (if (i32.lt_u (local.get $p) (local.get $end))
        (then
          (local.set $v (f32x4.sub (v128.load (local.get $p)) (local.get $sv)))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
          (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
          (local.set $s0 (f64x2.add (local.get $s0) (local.get $lo)))
          (local.set $s1 (f64x2.add (local.get $s1) (local.get $hi)))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $lo) (local.get $lo))))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $hi) (local.get $hi))))))
      (local.set $p (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 1))))
      (v128.store (local.get $p) (f64x2.add (local.get $s0) (local.get $t0)))
      (v128.store offset=16 (local.get $p) (f64x2.add (local.get $s1) (local.get $t1)))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $row) (i32.const 1))))
      (v128.store (local.get $p) (f64x2.add (local.get $q0) (local.get $u0)))
      (v128.store offset=16 (local.get $p) (f64x2.add (local.get $q1) (local.get $u1)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br_if $ks (i32.lt_u (local.get $k) (local.get $row)))))

  ;; out[k] = sum_r dy[r, k]; out[CE + k] = sum_r dy[r, k] (x[r, k] - m[k]): the two sums of batch norm's gradient,
  ;; one pass per 4-lane column with the sums in registers (two rows at a time, as col_moments)
  (func (export "col_dy_sums") (param $dy i32) (param $x i32) (param $m i32) (param $R i32) (param $CE i32) (param $out i32)
    (local $row i32) (local $row2 i32) (local $k i32) (local $p i32) (local $d i32) (local $end i32) (local $end2 i32)
    (local $mv v128) (local $dv v128) (local $v v128)
    (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128)
    (local $t0 v128) (local $t1 v128) (local $u0 v128) (local $u1 v128)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (local.set $row2 (i32.shl (local.get $row) (i32.const 1)))
    (loop $ks
      (local.set $mv (v128.load (i32.add (local.get $m) (local.get $k))))
      (local.set $s0 (f64x2.splat (f64.const 0)))
      (local.set $s1 (local.get $s0)) (local.set $q0 (local.get $s0)) (local.set $q1 (local.get $s0))
      (local.set $t0 (local.get $s0)) (local.set $t1 (local.get $s0)) (local.set $u0 (local.get $s0)) (local.set $u1 (local.get $s0))
      (local.set $p (i32.add (local.get $x) (local.get $k)))
      (local.set $d (i32.add (local.get $dy) (local.get $k)))
      (local.set $end (i32.add (local.get $p) (i32.mul (local.get $R) (local.get $row))))
      (local.set $end2 (i32.add (local.get $p) (i32.mul (i32.and (local.get $R) (i32.const -2)) (local.get $row))))
      (block $pairs_done
        (loop $pairs
          (br_if $pairs_done (i32.ge_u (local.get $p) (local.get $end2)))
          (local.set $dv (v128.load (local.get $d)))
          (local.set $v (f32x4.mul (local.get $dv) (f32x4.sub (v128.load (local.get $p)) (local.get $mv))))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $dv))))
          (local.set $s1 (f64x2.add (local.get $s1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dv) (local.get $dv)))))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $q1 (f64x2.add (local.get $q1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
          (local.set $dv (v128.load (i32.add (local.get $d) (local.get $row))))
          (local.set $v (f32x4.mul (local.get $dv) (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $row))) (local.get $mv))))
          (local.set $t0 (f64x2.add (local.get $t0) (f64x2.promote_low_f32x4 (local.get $dv))))
          (local.set $t1 (f64x2.add (local.get $t1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dv) (local.get $dv)))))
          (local.set $u0 (f64x2.add (local.get $u0) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $u1 (f64x2.add (local.get $u1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
          (local.set $p (i32.add (local.get $p) (local.get $row2)))
          (local.set $d (i32.add (local.get $d) (local.get $row2)))
          (br $pairs)))
      (if (i32.lt_u (local.get $p) (local.get $end))
        (then
          (local.set $dv (v128.load (local.get $d)))
          (local.set $v (f32x4.mul (local.get $dv) (f32x4.sub (v128.load (local.get $p)) (local.get $mv))))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $dv))))
          (local.set $s1 (f64x2.add (local.get $s1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dv) (local.get $dv)))))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $q1 (f64x2.add (local.get $q1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))))
      (local.set $p (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 1))))
      (v128.store (local.get $p) (f64x2.add (local.get $s0) (local.get $t0)))
      (v128.store offset=16 (local.get $p) (f64x2.add (local.get $s1) (local.get $t1)))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $row) (i32.const 1))))
      (v128.store (local.get $p) (f64x2.add (local.get $q0) (local.get $u0)))
      (v128.store offset=16 (local.get $p) (f64x2.add (local.get $q1) (local.get $u1)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br_if $ks (i32.lt_u (local.get $k) (local.get $row)))))

  ;; y[r, k] = x[r, k] p[k] + p[CE + k]: batch norm's output (p: 2 CE floats)
  (func (export "col_affine") (param $x i32) (param $p i32) (param $R i32) (param $CE i32) (param $y i32)
    (local $row i32) (local $end i32) (local $k i32) (local $pb i32)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (local.set $pb (i32.add (local.get $p) (local.get $row)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $R) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $k (i32.const 0))
        (loop $ks
          (v128.store (i32.add (local.get $y) (local.get $k))
            (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $k))) (v128.load (i32.add (local.get $p) (local.get $k))))
              (v128.load (i32.add (local.get $pb) (local.get $k)))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $ks (i32.lt_u (local.get $k) (local.get $row))))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (local.set $y (i32.add (local.get $y) (local.get $row)))
        (br $rows))))

  ;; dx[r, k] = dy[r, k] p[k] + x[r, k] p[CE + k] + p[2 CE + k]: batch norm's input gradient (p: 3 CE floats)
  (func (export "col_affine2") (param $dy i32) (param $x i32) (param $p i32) (param $R i32) (param $CE i32) (param $dx i32)
    (local $row i32) (local $end i32) (local $k i32) (local $pb i32) (local $pc i32)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (local.set $pb (i32.add (local.get $p) (local.get $row)))
    (local.set $pc (i32.add (local.get $pb) (local.get $row)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $R) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $k (i32.const 0))
        (loop $ks
          (v128.store (i32.add (local.get $dx) (local.get $k))
            (f32x4.add
              (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $k))) (v128.load (i32.add (local.get $p) (local.get $k))))
                (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $k))) (v128.load (i32.add (local.get $pb) (local.get $k)))))
              (v128.load (i32.add (local.get $pc) (local.get $k)))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $ks (i32.lt_u (local.get $k) (local.get $row))))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (local.set $dy (i32.add (local.get $dy) (local.get $row)))
        (local.set $dx (i32.add (local.get $dx) (local.get $row)))
        (br $rows))))

  ;; dw[i, j, ci, co] = sum_{b, oy, ox} xp[b, oy*SH + i, ox*SW + j, ci] * dy[b, oy, ox, co]: the weight gradient of
  ;; a KH x KW convolution with strides SH, SW, on an input already padded (or cropped) to [B, HP, WP, CIN] so that
  ;; every tap lands inside it. dy is [B, OH, OW, COUT]; CIN % 4 == 0, COUT % 4 == 0. Per tap it is gemm_atb over
  ;; the output pixels, with x's rows shifted by the tap: the same 4 x 8 register block (4 x 4 for the last columns
  ;; when COUT % 8 == 4), over chunks of output rows (>= 64 pixels) that stay in L1 while every tap and block passes
  ;; over them; x and dy are read where they lie.
  (func (export "conv_bwd_filter") (param $xp i32) (param $dy i32) (param $dw i32) (param $B i32) (param $HP i32)
    (param $WP i32) (param $CIN i32) (param $OH i32) (param $OW i32) (param $COUT i32) (param $KH i32) (param $KW i32)
    (param $SH i32) (param $SW i32)
    (local $R i32) (local $rows i32) (local $r0 i32) (local $r1 i32) (local $r i32) (local $b i32) (local $oy i32)
    (local $i i32) (local $j i32) (local $m i32) (local $n i32) (local $cp i32) (local $q1 i32) (local $q2 i32)
    (local $q3 i32) (local $pa i32) (local $pb i32) (local $ox i32) (local $rowN i32) (local $stepA i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (memory.fill (local.get $dw) (i32.const 0)
      (i32.shl (i32.mul (i32.mul (i32.mul (local.get $KH) (local.get $KW)) (local.get $CIN)) (local.get $COUT)) (i32.const 2)))
    (local.set $rows (i32.mul (local.get $B) (local.get $OH)))
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $OW))) (then (return)))
    (local.set $R (i32.div_u (i32.add (local.get $OW) (i32.const 63)) (local.get $OW)))
    (local.set $rowN (i32.shl (local.get $COUT) (i32.const 2)))
    (local.set $stepA (i32.shl (i32.mul (local.get $SW) (local.get $CIN)) (i32.const 2)))
    (loop $chunks
      (local.set $r1 (i32.add (local.get $r0) (local.get $R)))
      (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
      (local.set $i (i32.const 0))
      (loop $is
        (local.set $j (i32.const 0))
        (loop $js
          (local.set $m (i32.const 0))
          (loop $ms
            (local.set $n (i32.const 0))
            (block $ns_done
              (loop $ns
                (br_if $ns_done (i32.gt_u (i32.add (local.get $n) (i32.const 8)) (local.get $COUT)))
                (local.set $cp (i32.add (local.get $dw) (i32.shl
                  (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $KW)) (local.get $j))
                    (local.get $CIN)) (local.get $m)) (local.get $COUT)) (local.get $n)) (i32.const 2))))
                (local.set $q1 (i32.add (local.get $cp) (local.get $rowN)))
                (local.set $q2 (i32.add (local.get $q1) (local.get $rowN)))
                (local.set $q3 (i32.add (local.get $q2) (local.get $rowN)))
                (local.set $c00 (v128.load (local.get $cp)))
                (local.set $c01 (v128.load offset=16 (local.get $cp)))
                (local.set $c10 (v128.load (local.get $q1)))
                (local.set $c11 (v128.load offset=16 (local.get $q1)))
                (local.set $c20 (v128.load (local.get $q2)))
                (local.set $c21 (v128.load offset=16 (local.get $q2)))
                (local.set $c30 (v128.load (local.get $q3)))
                (local.set $c31 (v128.load offset=16 (local.get $q3)))
                (local.set $r (local.get $r0))
                (loop $rs
                  (local.set $b (i32.div_u (local.get $r) (local.get $OH)))
                  (local.set $oy (i32.sub (local.get $r) (i32.mul (local.get $b) (local.get $OH))))
                  (local.set $pa (i32.add (local.get $xp) (i32.shl (i32.add (i32.mul (i32.add (i32.mul
                    (i32.add (i32.mul (local.get $b) (local.get $HP)) (i32.add (i32.mul (local.get $oy) (local.get $SH)) (local.get $i)))
                    (local.get $WP)) (local.get $j)) (local.get $CIN)) (local.get $m)) (i32.const 2))))
                  (local.set $pb (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (i32.mul (local.get $r) (local.get $OW))
                    (local.get $COUT)) (local.get $n)) (i32.const 2))))
                  (local.set $ox (local.get $OW))
                  (loop $oxs
                    (local.set $b0 (v128.load (local.get $pb)))
                    (local.set $b1 (v128.load offset=16 (local.get $pb)))
                    (local.set $s (v128.load32_splat (local.get $pa)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=4 (local.get $pa)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=8 (local.get $pa)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $s (v128.load32_splat offset=12 (local.get $pa)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $stepA)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowN)))
                    (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                    (br_if $oxs (local.get $ox)))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br_if $rs (i32.lt_u (local.get $r) (local.get $r1))))
                (v128.store (local.get $cp) (local.get $c00))
                (v128.store offset=16 (local.get $cp) (local.get $c01))
                (v128.store (local.get $q1) (local.get $c10))
                (v128.store offset=16 (local.get $q1) (local.get $c11))
                (v128.store (local.get $q2) (local.get $c20))
                (v128.store offset=16 (local.get $q2) (local.get $c21))
                (v128.store (local.get $q3) (local.get $c30))
                (v128.store offset=16 (local.get $q3) (local.get $c31))
                (local.set $n (i32.add (local.get $n) (i32.const 8)))
                (br $ns)))
            ;; COUT % 8 == 4: the last 4 columns, a 4 x 4 block
            (if (i32.lt_u (local.get $n) (local.get $COUT))
              (then
                (local.set $cp (i32.add (local.get $dw) (i32.shl
                  (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $KW)) (local.get $j))
                    (local.get $CIN)) (local.get $m)) (local.get $COUT)) (local.get $n)) (i32.const 2))))
                (local.set $q1 (i32.add (local.get $cp) (local.get $rowN)))
                (local.set $q2 (i32.add (local.get $q1) (local.get $rowN)))
                (local.set $q3 (i32.add (local.get $q2) (local.get $rowN)))
                (local.set $c00 (v128.load (local.get $cp)))
                (local.set $c10 (v128.load (local.get $q1)))
                (local.set $c20 (v128.load (local.get $q2)))
                (local.set $c30 (v128.load (local.get $q3)))
                (local.set $r (local.get $r0))
                (loop $rs4
                  (local.set $b (i32.div_u (local.get $r) (local.get $OH)))
                  (local.set $oy (i32.sub (local.get $r) (i32.mul (local.get $b) (local.get $OH))))
                  (local.set $pa (i32.add (local.get $xp) (i32.shl (i32.add (i32.mul (i32.add (i32.mul
                    (i32.add (i32.mul (local.get $b) (local.get $HP)) (i32.add (i32.mul (local.get $oy) (local.get $SH)) (local.get $i)))
                    (local.get $WP)) (local.get $j)) (local.get $CIN)) (local.get $m)) (i32.const 2))))
                  (local.set $pb (i32.add (local.get $dy) (i32.shl (i32.add (i32.mul (i32.mul (local.get $r) (local.get $OW))
                    (local.get $COUT)) (local.get $n)) (i32.const 2))))
                  (local.set $ox (local.get $OW))
                  (loop $oxs4
                    (local.set $b0 (v128.load (local.get $pb)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (v128.load32_splat (local.get $pa)) (local.get $b0))))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (v128.load32_splat offset=4 (local.get $pa)) (local.get $b0))))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (v128.load32_splat offset=8 (local.get $pa)) (local.get $b0))))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (v128.load32_splat offset=12 (local.get $pa)) (local.get $b0))))
                    (local.set $pa (i32.add (local.get $pa) (local.get $stepA)))
                    (local.set $pb (i32.add (local.get $pb) (local.get $rowN)))
                    (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                    (br_if $oxs4 (local.get $ox)))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br_if $rs4 (i32.lt_u (local.get $r) (local.get $r1))))
                (v128.store (local.get $cp) (local.get $c00))
                (v128.store (local.get $q1) (local.get $c10))
                (v128.store (local.get $q2) (local.get $c20))
                (v128.store (local.get $q3) (local.get $c30))))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (br_if $ms (i32.lt_u (local.get $m) (local.get $CIN))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $js (i32.lt_u (local.get $j) (local.get $KW))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $is (i32.lt_u (local.get $i) (local.get $KH))))
      (local.set $r0 (local.get $r1))
      (br_if $chunks (i32.lt_u (local.get $r0) (local.get $rows)))))

  ;; out[b, oy, ox, k] = x[b, top + oy, left + ox, k] for k < C and (top + oy, left + ox) inside x's [H, W]; 0
  ;; elsewhere (k < OC): the zero padding, crop and channel widening that the convolution kernels read.
  (func (export "pad_copy") (param $x i32) (param $out i32) (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $top i32) (param $left i32) (param $OH i32) (param $OW i32) (param $OC i32)
    (local $b i32) (local $oy i32) (local $iy i32) (local $ox0 i32) (local $ox1 i32) (local $ox i32) (local $k i32)
    (local $orow i32) (local $o i32) (local $s i32) (local $opix i32) (local $ipix i32) (local $orowLen i32)
    (local.set $opix (i32.shl (local.get $OC) (i32.const 2)))
    (local.set $ipix (i32.shl (local.get $C) (i32.const 2)))
    (local.set $orowLen (i32.mul (local.get $OW) (local.get $opix)))
    ;; valid ox: 0 <= left + ox < W, within [0, OW)
    (local.set $ox0 (select (i32.sub (i32.const 0) (local.get $left)) (i32.const 0) (i32.lt_s (local.get $left) (i32.const 0))))
    (if (i32.gt_s (local.get $ox0) (local.get $OW)) (then (local.set $ox0 (local.get $OW))))
    (local.set $ox1 (i32.sub (local.get $W) (local.get $left)))
    (if (i32.gt_s (local.get $ox1) (local.get $OW)) (then (local.set $ox1 (local.get $OW))))
    (if (i32.lt_s (local.get $ox1) (local.get $ox0)) (then (local.set $ox1 (local.get $ox0))))
    (local.set $orow (local.get $out))
    (block $bdone
      (loop $bs
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $oy (i32.const 0))
        (block $ydone
          (loop $ys
            (br_if $ydone (i32.ge_u (local.get $oy) (local.get $OH)))
            (local.set $iy (i32.add (local.get $top) (local.get $oy)))
            (if (i32.or (i32.lt_s (local.get $iy) (i32.const 0)) (i32.ge_s (local.get $iy) (local.get $H)))
              (then (memory.fill (local.get $orow) (i32.const 0) (local.get $orowLen)))
              (else
                (memory.fill (local.get $orow) (i32.const 0) (i32.mul (local.get $ox0) (local.get $opix)))
                (local.set $s (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H))
                  (local.get $iy)) (local.get $W)) (i32.add (local.get $left) (local.get $ox0))) (local.get $ipix))))
                (local.set $o (i32.add (local.get $orow) (i32.mul (local.get $ox0) (local.get $opix))))
                (if (i32.eq (local.get $OC) (local.get $C))
                  (then (memory.copy (local.get $o) (local.get $s)
                    (i32.mul (i32.sub (local.get $ox1) (local.get $ox0)) (local.get $ipix))))
                  (else
                    (memory.fill (local.get $o) (i32.const 0) (i32.mul (i32.sub (local.get $ox1) (local.get $ox0)) (local.get $opix)))
                    (local.set $ox (local.get $ox0))
                    (block $xdone
                      (loop $xs
                        (br_if $xdone (i32.ge_s (local.get $ox) (local.get $ox1)))
                        (local.set $k (i32.const 0))
                        (loop $ks
                          (f32.store (i32.add (local.get $o) (local.get $k)) (f32.load (i32.add (local.get $s) (local.get $k))))
                          (local.set $k (i32.add (local.get $k) (i32.const 4)))
                          (br_if $ks (i32.lt_u (local.get $k) (local.get $ipix))))
                        (local.set $o (i32.add (local.get $o) (local.get $opix)))
                        (local.set $s (i32.add (local.get $s) (local.get $ipix)))
                        (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                        (br $xs)))))
                (memory.fill (i32.add (local.get $orow) (i32.mul (local.get $ox1) (local.get $opix))) (i32.const 0)
                  (i32.mul (i32.sub (local.get $OW) (local.get $ox1)) (local.get $opix)))))
            (local.set $orow (i32.add (local.get $orow) (local.get $orowLen)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $ys)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bs))))

  ;; out[c, r] = a[r, c] for a [R, C]: 4 x 4 blocks transposed in registers (two rounds of shuffles), the edges one
  ;; element at a time. (The wasm backend's 2-D Transpose writes with a stride, its 3-D one took ~3 ns an element.)
  (func (export "transpose") (param $a i32) (param $out i32) (param $R i32) (param $C i32)
    (local $r i32) (local $c i32) (local $R4 i32) (local $C4 i32) (local $rowA i32) (local $rowO i32) (local $pa i32)
    (local $po i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $t0 v128)
    (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $R4 (i32.and (local.get $R) (i32.const -4)))
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (local.set $rowA (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowO (i32.shl (local.get $R) (i32.const 2)))
    (block $rdone
      (loop $rs
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $R4)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cs
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $C4)))
            (local.set $pa (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)) (i32.const 2))))
            (local.set $v0 (v128.load (local.get $pa)))
            (local.set $pa (i32.add (local.get $pa) (local.get $rowA)))
            (local.set $v1 (v128.load (local.get $pa)))
            (local.set $pa (i32.add (local.get $pa) (local.get $rowA)))
            (local.set $v2 (v128.load (local.get $pa)))
            (local.set $pa (i32.add (local.get $pa) (local.get $rowA)))
            (local.set $v3 (v128.load (local.get $pa)))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $r)) (i32.const 2))))
            (v128.store (local.get $po) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (local.set $po (i32.add (local.get $po) (local.get $rowO)))
            (v128.store (local.get $po) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (local.set $po (i32.add (local.get $po) (local.get $rowO)))
            (v128.store (local.get $po) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (local.set $po (i32.add (local.get $po) (local.get $rowO)))
            (v128.store (local.get $po) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $cs)))
        ;; the last C % 4 columns of these 4 rows
        (block $edone
          (loop $es
            (br_if $edone (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $po (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $r)) (i32.const 2))))
            (local.set $pa (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)) (i32.const 2))))
            (f32.store (local.get $po) (f32.load (local.get $pa)))
            (f32.store offset=4 (local.get $po) (f32.load (i32.add (local.get $pa) (local.get $rowA))))
            (f32.store offset=8 (local.get $po) (f32.load (i32.add (local.get $pa) (i32.shl (local.get $rowA) (i32.const 1)))))
            (f32.store offset=12 (local.get $po) (f32.load (i32.add (local.get $pa) (i32.mul (local.get $rowA) (i32.const 3)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $es)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rs)))
    ;; the last R % 4 rows
    (block $ldone
      (loop $ls
        (br_if $ldone (i32.ge_u (local.get $r) (local.get $R)))
        (local.set $c (i32.const 0))
        (block $lcdone
          (loop $lcs
            (br_if $lcdone (i32.ge_u (local.get $c) (local.get $C)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $lcs)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $ls))))

  ;; out[b, oy, ox, co] = sum_{i, j, ci} xp[b, oy*SH + i, ox*SW + j, ci] * w[i, j, ci, co]: a direct convolution of
  ;; an input already padded to [B, HP, WP, CIN] (every tap inside it), for the narrow layers where XNNPACK's
  ;; per-call set-up (an indirection buffer of every output pixel's taps) costs more than the multiply-adds. w is
  ;; [KH, KW, CIN, CO4] with the output channels zero-padded to CO4 = COUT rounded up to 4; out is
  ;; [B, OH, OW, COUT]. For a tap row the KW*CIN (tap, channel) pairs are contiguous in both xp and w, so one loop
  ;; runs over them. Register block: 4 output pixels x 4 output channels (splat x, a vector of w); pixels past the
  ;; last block of 4 go one at a time; with COUT < 4 only the COUT lanes are stored.
  (func (export "conv_fwd") (param $xp i32) (param $w i32) (param $out i32) (param $B i32) (param $HP i32) (param $WP i32)
    (param $CIN i32) (param $OH i32) (param $OW i32) (param $COUT i32) (param $CO4 i32) (param $KH i32) (param $KW i32)
    (param $SH i32) (param $SW i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $co i32) (local $i i32) (local $t i32) (local $taps i32)
    (local $xrow i32) (local $orow i32) (local $pa i32) (local $pw i32) (local $op i32) (local $rowX i32)
    (local $stepA i32) (local $stepA2 i32) (local $stepA3 i32) (local $wstep i32) (local $wrow i32) (local $opix i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wv v128)
    (if (i32.or (i32.eqz (local.get $OW)) (i32.eqz (local.get $OH))) (then (return)))
    (local.set $taps (i32.mul (local.get $KW) (local.get $CIN)))
    (local.set $rowX (i32.shl (i32.mul (local.get $WP) (local.get $CIN)) (i32.const 2)))
    (local.set $stepA (i32.shl (i32.mul (local.get $SW) (local.get $CIN)) (i32.const 2)))
    (local.set $stepA2 (i32.shl (local.get $stepA) (i32.const 1)))
    (local.set $stepA3 (i32.add (local.get $stepA2) (local.get $stepA)))
    (local.set $wstep (i32.shl (local.get $CO4) (i32.const 2)))
    (local.set $wrow (i32.mul (local.get $taps) (local.get $wstep)))
    (local.set $opix (i32.shl (local.get $COUT) (i32.const 2)))
    (block $bdone
      (loop $bs
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $oy (i32.const 0))
        (loop $oys
          (local.set $xrow (i32.add (local.get $xp) (i32.mul (i32.add (i32.mul (local.get $b) (local.get $HP))
            (i32.mul (local.get $oy) (local.get $SH))) (local.get $rowX))))
          (local.set $orow (i32.add (local.get $out) (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $OH))
            (local.get $oy)) (local.get $OW)) (local.get $opix))))
          (local.set $ox (i32.const 0))
          ;; blocks of 4 output pixels
          (block $quads_done
            (loop $quads
              (br_if $quads_done (i32.gt_u (i32.add (local.get $ox) (i32.const 4)) (local.get $OW)))
              (local.set $co (i32.const 0))
              (loop $cos
                (local.set $a0 (v128.const i32x4 0 0 0 0))
                (local.set $a1 (v128.const i32x4 0 0 0 0))
                (local.set $a2 (v128.const i32x4 0 0 0 0))
                (local.set $a3 (v128.const i32x4 0 0 0 0))
                (local.set $i (i32.const 0))
                (loop $is
                  (local.set $pa (i32.add (i32.add (local.get $xrow) (i32.mul (local.get $i) (local.get $rowX)))
                    (i32.mul (local.get $ox) (local.get $stepA))))
                  (local.set $pw (i32.add (local.get $w) (i32.add (i32.mul (local.get $i) (local.get $wrow))
                    (i32.shl (local.get $co) (i32.const 2)))))
                  (local.set $t (local.get $taps))
                  (loop $ts
                    (local.set $wv (v128.load (local.get $pw)))
                    (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat (local.get $pa)) (local.get $wv))))
                    (local.set $a1 (f32x4.add (local.get $a1)
                      (f32x4.mul (v128.load32_splat (i32.add (local.get $pa) (local.get $stepA))) (local.get $wv))))
                    (local.set $a2 (f32x4.add (local.get $a2)
                      (f32x4.mul (v128.load32_splat (i32.add (local.get $pa) (local.get $stepA2))) (local.get $wv))))
                    (local.set $a3 (f32x4.add (local.get $a3)
                      (f32x4.mul (v128.load32_splat (i32.add (local.get $pa) (local.get $stepA3))) (local.get $wv))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
                    (local.set $pw (i32.add (local.get $pw) (local.get $wstep)))
                    (local.set $t (i32.sub (local.get $t) (i32.const 1)))
                    (br_if $ts (local.get $t)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $is (i32.lt_u (local.get $i) (local.get $KH))))
                (local.set $op (i32.add (local.get $orow) (i32.shl (i32.add (i32.mul (local.get $ox) (local.get $COUT))
                  (local.get $co)) (i32.const 2))))
                (if (i32.ge_u (i32.sub (local.get $COUT) (local.get $co)) (i32.const 4))
                  (then
                    (v128.store (local.get $op) (local.get $a0))
                    (v128.store (i32.add (local.get $op) (local.get $opix)) (local.get $a1))
                    (v128.store (i32.add (local.get $op) (i32.shl (local.get $opix) (i32.const 1))) (local.get $a2))
                    (v128.store (i32.add (local.get $op) (i32.mul (local.get $opix) (i32.const 3))) (local.get $a3)))
                  (else
                    (call $store_lanes (local.get $op) (local.get $a0) (i32.sub (local.get $COUT) (local.get $co)))
                    (call $store_lanes (i32.add (local.get $op) (local.get $opix)) (local.get $a1) (i32.sub (local.get $COUT) (local.get $co)))
                    (call $store_lanes (i32.add (local.get $op) (i32.shl (local.get $opix) (i32.const 1))) (local.get $a2) (i32.sub (local.get $COUT) (local.get $co)))
                    (call $store_lanes (i32.add (local.get $op) (i32.mul (local.get $opix) (i32.const 3))) (local.get $a3) (i32.sub (local.get $COUT) (local.get $co)))))
                (local.set $co (i32.add (local.get $co) (i32.const 4)))
                (br_if $cos (i32.lt_u (local.get $co) (local.get $CO4))))
              (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
              (br $quads)))
          ;; the remaining pixels of the row, one at a time
          (block $singles_done
            (loop $singles
              (br_if $singles_done (i32.ge_u (local.get $ox) (local.get $OW)))
              (local.set $co (i32.const 0))
              (loop $cos1
                (local.set $a0 (v128.const i32x4 0 0 0 0))
                (local.set $i (i32.const 0))
                (loop $is1
                  (local.set $pa (i32.add (i32.add (local.get $xrow) (i32.mul (local.get $i) (local.get $rowX)))
                    (i32.mul (local.get $ox) (local.get $stepA))))
                  (local.set $pw (i32.add (local.get $w) (i32.add (i32.mul (local.get $i) (local.get $wrow))
                    (i32.shl (local.get $co) (i32.const 2)))))
                  (local.set $t (local.get $taps))
                  (loop $ts1
                    (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat (local.get $pa)) (v128.load (local.get $pw)))))
                    (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
                    (local.set $pw (i32.add (local.get $pw) (local.get $wstep)))
                    (local.set $t (i32.sub (local.get $t) (i32.const 1)))
                    (br_if $ts1 (local.get $t)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $is1 (i32.lt_u (local.get $i) (local.get $KH))))
                (call $store_lanes (i32.add (local.get $orow) (i32.shl (i32.add (i32.mul (local.get $ox) (local.get $COUT))
                  (local.get $co)) (i32.const 2))) (local.get $a0) (i32.sub (local.get $COUT) (local.get $co)))
                (local.set $co (i32.add (local.get $co) (i32.const 4)))
                (br_if $cos1 (i32.lt_u (local.get $co) (local.get $CO4))))
              (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
              (br $singles)))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br_if $oys (i32.lt_u (local.get $oy) (local.get $OH))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bs))))

  ;; stores the first min(n, 4) lanes of v at p (n >= 4: the whole vector)
  (func $store_lanes (param $p i32) (param $v v128) (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 4)) (then (v128.store (local.get $p) (local.get $v)) (return)))
    (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
    (if (i32.ge_u (local.get $n) (i32.const 2)) (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
    (if (i32.ge_u (local.get $n) (i32.const 3)) (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))

  ;; out[b, P + y, P + x, c] = max(0, x[b, y, x, c]), zero in the P-wide border: the series activation's ReLU
  ;; written straight into the zero-padded input its depthwise convolution reads. out [B, H + 2P, W + 2P, C];
  ;; W * C % 4 == 0 (rows of whole vectors).
  (func (export "pad_relu") (param $x i32) (param $out i32) (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $P i32)
    (local $rows i32) (local $r i32) (local $y i32) (local $orow i32) (local $len i32)
    (local $k i32) (local $o i32) (local $orowLen i32) (local $side i32) (local $zero v128)
    (local.set $orowLen (i32.shl (i32.mul (i32.add (local.get $W) (i32.shl (local.get $P) (i32.const 1))) (local.get $C)) (i32.const 2)))
    (local.set $side (i32.shl (i32.mul (local.get $P) (local.get $C)) (i32.const 2)))
    (local.set $len (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
        (local.set $rows (i32.mul (local.get $B) (i32.add (local.get $H) (i32.shl (local.get $P) (i32.const 1)))))
    (local.set $orow (local.get $out))
    (block $done
      (loop $rs
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        ;; y: the input row of this output row, or out of range
        (local.set $y (i32.sub (i32.rem_u (local.get $r) (i32.add (local.get $H) (i32.shl (local.get $P) (i32.const 1)))) (local.get $P)))
        (if (i32.or (i32.lt_s (local.get $y) (i32.const 0)) (i32.ge_s (local.get $y) (local.get $H)))
          (then (memory.fill (local.get $orow) (i32.const 0) (local.get $orowLen)))
          (else
            (memory.fill (local.get $orow) (i32.const 0) (local.get $side))
            (local.set $o (i32.add (local.get $orow) (local.get $side)))
            (local.set $k (i32.const 0))
            (block $vdone
              (loop $vs
                (br_if $vdone (i32.ge_u (local.get $k) (local.get $len)))
                (v128.store (i32.add (local.get $o) (local.get $k)) (f32x4.max (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $zero)))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $vs)))
            (memory.fill (i32.add (local.get $o) (local.get $len)) (i32.const 0) (local.get $side))
            (local.set $x (i32.add (local.get $x) (local.get $len)))))
        (local.set $orow (i32.add (local.get $orow) (local.get $orowLen)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rs))))

  ;; g[b, y, x, c] = 0 where rp[b, P + y, P + x, c] <= 0 (in place): the ReLU's gradient mask, read from the padded
  ;; ReLU output that pad_relu wrote (positive exactly where the ReLU's input was); W * C % 4 == 0
  (func (export "relu_mask") (param $g i32) (param $rp i32) (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $P i32)
    (local $rows i32) (local $r i32) (local $len i32) (local $k i32) (local $rrow i32)
    (local $prow i32) (local $zero v128)
    (local.set $len (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
        (local.set $prow (i32.shl (i32.mul (i32.add (local.get $W) (i32.shl (local.get $P) (i32.const 1))) (local.get $C)) (i32.const 2)))
    (local.set $rows (i32.mul (local.get $B) (local.get $H)))
    (block $done
      (loop $rs
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        ;; row r = (b, y) reads padded row b * (H + 2P) + P + y, from column P
        (local.set $rrow (i32.add (i32.add (local.get $rp)
          (i32.mul (i32.add (i32.add (local.get $r) (i32.mul (i32.div_u (local.get $r) (local.get $H)) (i32.shl (local.get $P) (i32.const 1))))
            (local.get $P)) (local.get $prow)))
          (i32.shl (i32.mul (local.get $P) (local.get $C)) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $vdone
          (loop $vs
            (br_if $vdone (i32.ge_u (local.get $k) (local.get $len)))
            (v128.store (i32.add (local.get $g) (local.get $k)) (v128.and (v128.load (i32.add (local.get $g) (local.get $k)))
              (f32x4.gt (v128.load (i32.add (local.get $rrow) (local.get $k))) (local.get $zero))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vs)))
        (local.set $g (i32.add (local.get $g) (local.get $len)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rs))))

  ;; dx[b, oy*SH + i - top, ox*SW + j - left, ci] += cols[(b*OH + oy)*OW + ox, (i*KW + j)*CIN + ci] where that lies
  ;; inside dx [B, H, W, CIN] (zeroed first): the scatter-add (col2im) of a strided convolution's input gradient.
  (func (export "col2im") (param $cols i32) (param $dx i32) (param $B i32) (param $H i32) (param $W i32) (param $CIN i32)
    (param $OH i32) (param $OW i32) (param $KH i32) (param $KW i32) (param $SH i32) (param $SW i32) (param $top i32)
    (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $iy i32) (local $ix i32)
    (local $r i32) (local $d i32) (local $k i32) (local $pix i32) (local $pix4 i32) (local $tapRow i32)
    (local.set $pix (i32.shl (local.get $CIN) (i32.const 2)))
    (local.set $pix4 (i32.and (local.get $pix) (i32.const -16)))
    (local.set $tapRow (i32.mul (local.get $KW) (local.get $pix)))
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $B) (local.get $H)) (local.get $W)) (local.get $pix)))
    (local.set $r (local.get $cols))
    (block $bdone
      (loop $bs
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $oy (i32.const 0))
        (block $ydone
          (loop $ys
            (br_if $ydone (i32.ge_u (local.get $oy) (local.get $OH)))
            (local.set $ox (i32.const 0))
            (block $xdone
              (loop $xs
                (br_if $xdone (i32.ge_u (local.get $ox) (local.get $OW)))
                (local.set $i (i32.const 0))
                (block $idone
                  (loop $is
                    (br_if $idone (i32.ge_u (local.get $i) (local.get $KH)))
                    (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $SH)) (local.get $i)) (local.get $top)))
                    (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $H)))
                      (then
                        (local.set $j (i32.const 0))
                        (block $jdone
                          (loop $js
                            (br_if $jdone (i32.ge_u (local.get $j) (local.get $KW)))
                            (local.set $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $SW)) (local.get $j)) (local.get $left)))
                            (if (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $W)))
                              (then
                                (local.set $d (i32.add (local.get $dx) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b)
                                  (local.get $H)) (local.get $iy)) (local.get $W)) (local.get $ix)) (local.get $pix))))
                                (local.set $k (i32.const 0))
                                (block $vdone
                                  (loop $vs
                                    (br_if $vdone (i32.ge_u (local.get $k) (local.get $pix4)))
                                    (v128.store (i32.add (local.get $d) (local.get $k)) (f32x4.add (v128.load (i32.add (local.get $d) (local.get $k)))
                                      (v128.load (i32.add (i32.add (local.get $r) (i32.mul (local.get $j) (local.get $pix))) (local.get $k)))))
                                    (local.set $k (i32.add (local.get $k) (i32.const 16)))
                                    (br $vs)))
                                (block $sdone
                                  (loop $ss
                                    (br_if $sdone (i32.ge_u (local.get $k) (local.get $pix)))
                                    (f32.store (i32.add (local.get $d) (local.get $k)) (f32.add (f32.load (i32.add (local.get $d) (local.get $k)))
                                      (f32.load (i32.add (i32.add (local.get $r) (i32.mul (local.get $j) (local.get $pix))) (local.get $k)))))
                                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                                    (br $ss)))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $js)))))
                    (local.set $r (i32.add (local.get $r) (local.get $tapRow)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $is)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $xs)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $ys)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bs))))

  ;; y[k] = x[k] > 0 ? x[k] : a x[k] over n floats (n % 4 == 0): deep training's activation (a = lambda), and with
  ;; a = 0 the ReLU (+ 0 turns the -0 of a negative x times 0 into the ReLU's +0)
  (func (export "leaky") (param $x i32) (param $y i32) (param $n i32) (param $a f32)
    (local $k i32) (local $end i32) (local $av v128) (local $v v128) (local $zero v128)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $ks
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
        (v128.store (i32.add (local.get $y) (local.get $k)) (f32x4.add (local.get $zero)
          (v128.bitselect (local.get $v) (f32x4.mul (local.get $v) (local.get $av)) (f32x4.gt (local.get $v) (local.get $zero)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $ks))))

  ;; dx[k] = x[k] > 0 ? dy[k] : a dy[k] over n floats (n % 4 == 0): its gradient
  (func (export "leaky_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32) (param $a f32)
    (local $k i32) (local $end i32) (local $av v128) (local $d v128) (local $zero v128)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $ks
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $d (v128.load (i32.add (local.get $dy) (local.get $k))))
        (v128.store (i32.add (local.get $dx) (local.get $k))
          (v128.bitselect (local.get $d) (f32x4.mul (local.get $d) (local.get $av))
            (f32x4.gt (v128.load (i32.add (local.get $x) (local.get $k))) (local.get $zero))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $ks))))
)
