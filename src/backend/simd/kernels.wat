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
    (local $pix i32) (local $vp i32) (local $owv i32) (local $rowX i32) (local $b i32) (local $oy i32) (local $ox i32) (local $cb i32) (local $i i32)
    (local $j i32) (local $xrow i32) (local $orow i32) (local $xi i32) (local $fp i32) (local $op i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $fv v128)
    (local.set $pix (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowX (i32.mul (local.get $WP) (local.get $pix)))
    (local.set $vp (i32.shl (local.get $CE) (i32.const 2)))
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
                (loop $js
                  (local.set $fv (v128.load (local.get $fp)))
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xi)) (local.get $fv))))
                  (local.set $a1 (f32x4.add (local.get $a1)
                    (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $vp))) (local.get $fv))))
                  (local.set $a2 (f32x4.add (local.get $a2)
                    (f32x4.mul (v128.load (i32.add (local.get $xi) (i32.shl (local.get $vp) (i32.const 1)))) (local.get $fv))))
                  (local.set $a3 (f32x4.add (local.get $a3)
                    (f32x4.mul (v128.load (i32.add (local.get $xi) (i32.mul (local.get $vp) (i32.const 3)))) (local.get $fv))))
                  (local.set $fp (i32.add (local.get $fp) (local.get $vp)))
                  (local.set $xi (i32.add (local.get $xi) (local.get $pix)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $js (local.get $j)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $is (i32.lt_u (local.get $i) (local.get $KH))))
              (local.set $op (i32.add (local.get $orow) (i32.add (i32.mul (local.get $ox) (local.get $vp)) (local.get $cb))))
              (v128.store (local.get $op) (local.get $a0))
              (v128.store (i32.add (local.get $op) (local.get $vp)) (local.get $a1))
              (v128.store (i32.add (local.get $op) (i32.shl (local.get $vp) (i32.const 1))) (local.get $a2))
              (v128.store (i32.add (local.get $op) (i32.mul (local.get $vp) (i32.const 3))) (local.get $a3))
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
  ;; channels). Register block: 4 taps of a filter row x 4 lanes, accumulated along an output row; taps past the
  ;; last block of 4 go one at a time.
  (func (export "dw_bwd_filter") (param $xp i32) (param $dy i32) (param $dw i32) (param $B i32) (param $HP i32)
    (param $WP i32) (param $C i32) (param $OH i32) (param $OW i32) (param $KH i32) (param $KW i32) (param $CE i32)
    (local $pix i32) (local $vp i32) (local $owv i32) (local $rowX i32) (local $b i32) (local $oy i32) (local $i i32) (local $j i32) (local $cb i32)
    (local $ox i32) (local $xrow i32) (local $dyrow i32) (local $xi i32) (local $di i32) (local $wp i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $d v128)
    (local.set $pix (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowX (i32.mul (local.get $WP) (local.get $pix)))
    (local.set $vp (i32.shl (local.get $CE) (i32.const 2)))
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
              (br_if $quads_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $KW)))
              (local.set $cb (i32.const 0))
              (loop $cbs
                (local.set $wp (i32.add (local.get $dw)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $KW)) (local.get $j)) (local.get $vp))
                    (local.get $cb))))
                (local.set $a0 (v128.load (local.get $wp)))
                (local.set $a1 (v128.load (i32.add (local.get $wp) (local.get $vp))))
                (local.set $a2 (v128.load (i32.add (local.get $wp) (i32.shl (local.get $vp) (i32.const 1)))))
                (local.set $a3 (v128.load (i32.add (local.get $wp) (i32.mul (local.get $vp) (i32.const 3)))))
                (local.set $xi (i32.add (local.get $xrow) (i32.add (i32.mul (local.get $j) (local.get $pix)) (local.get $cb))))
                (local.set $di (i32.add (local.get $dyrow) (local.get $cb)))
                (local.set $ox (local.get $owv))
                (loop $oxs
                  (local.set $d (v128.load (local.get $di)))
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $xi)) (local.get $d))))
                  (local.set $a1 (f32x4.add (local.get $a1)
                    (f32x4.mul (v128.load (i32.add (local.get $xi) (local.get $pix))) (local.get $d))))
                  (local.set $a2 (f32x4.add (local.get $a2)
                    (f32x4.mul (v128.load (i32.add (local.get $xi) (i32.shl (local.get $pix) (i32.const 1)))) (local.get $d))))
                  (local.set $a3 (f32x4.add (local.get $a3)
                    (f32x4.mul (v128.load (i32.add (local.get $xi) (i32.mul (local.get $pix) (i32.const 3)))) (local.get $d))))
                  (local.set $xi (i32.add (local.get $xi) (local.get $vp)))
                  (local.set $di (i32.add (local.get $di) (local.get $vp)))
                  (local.set $ox (i32.sub (local.get $ox) (i32.const 1)))
                  (br_if $oxs (local.get $ox)))
                (v128.store (local.get $wp) (local.get $a0))
                (v128.store (i32.add (local.get $wp) (local.get $vp)) (local.get $a1))
                (v128.store (i32.add (local.get $wp) (i32.shl (local.get $vp) (i32.const 1))) (local.get $a2))
                (v128.store (i32.add (local.get $wp) (i32.mul (local.get $vp) (i32.const 3))) (local.get $a3))
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

  ;; Per-channel passes of training batch norm over x viewed as [R, CE] (CE % 4 == 0): a channel count C that is a
  ;; multiple of 4 gives CE = C; C = 1 or 2 gives CE = 4, the lanes then cycling through the channels (the caller
  ;; expands per-channel parameters to CE lanes and folds the CE sums back to C). Sums are accumulated in float64
  ;; (out: CE or 2 CE doubles), so that batch statistics over 10^5 rows keep float32's precision.

  ;; out[k] = sum_r x[r, k]
  (func (export "col_sums") (param $x i32) (param $R i32) (param $CE i32) (param $out i32)
    (local $row i32) (local $end i32) (local $k i32) (local $o i32) (local $v v128)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $row) (i32.const 1)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $R) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $k (i32.const 0))
        (local.set $o (local.get $out))
        (loop $ks
          (local.set $v (v128.load (i32.add (local.get $x) (local.get $k))))
          (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (f64x2.promote_low_f32x4 (local.get $v))))
          (v128.store offset=16 (local.get $o) (f64x2.add (v128.load offset=16 (local.get $o))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
          (local.set $o (i32.add (local.get $o) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $ks (i32.lt_u (local.get $k) (local.get $row))))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (br $rows))))

  ;; out[k] = sum_r (x[r, k] - m[k])^2 (m: CE floats)
  (func (export "col_sqdev") (param $x i32) (param $m i32) (param $R i32) (param $CE i32) (param $out i32)
    (local $row i32) (local $end i32) (local $k i32) (local $o i32) (local $v v128)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $row) (i32.const 1)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $R) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $k (i32.const 0))
        (local.set $o (local.get $out))
        (loop $ks
          (local.set $v (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k)))
            (v128.load (i32.add (local.get $m) (local.get $k)))))
          (local.set $v (f32x4.mul (local.get $v) (local.get $v)))
          (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (f64x2.promote_low_f32x4 (local.get $v))))
          (v128.store offset=16 (local.get $o) (f64x2.add (v128.load offset=16 (local.get $o))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
          (local.set $o (i32.add (local.get $o) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $ks (i32.lt_u (local.get $k) (local.get $row))))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (br $rows))))

  ;; out[k] = sum_r dy[r, k]; out[CE + k] = sum_r dy[r, k] (x[r, k] - m[k]): the two sums of batch norm's gradient
  (func (export "col_dy_sums") (param $dy i32) (param $x i32) (param $m i32) (param $R i32) (param $CE i32) (param $out i32)
    (local $row i32) (local $end i32) (local $k i32) (local $o i32) (local $o2 i32) (local $d v128) (local $v v128)
    (local.set $row (i32.shl (local.get $CE) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $row) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $R) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $k (i32.const 0))
        (local.set $o (local.get $out))
        (local.set $o2 (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 1))))
        (loop $ks
          (local.set $d (v128.load (i32.add (local.get $dy) (local.get $k))))
          (local.set $v (f32x4.mul (local.get $d) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $k)))
            (v128.load (i32.add (local.get $m) (local.get $k))))))
          (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (f64x2.promote_low_f32x4 (local.get $d))))
          (v128.store offset=16 (local.get $o) (f64x2.add (v128.load offset=16 (local.get $o))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d)))))
          (v128.store (local.get $o2) (f64x2.add (v128.load (local.get $o2)) (f64x2.promote_low_f32x4 (local.get $v))))
          (v128.store offset=16 (local.get $o2) (f64x2.add (v128.load offset=16 (local.get $o2))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
          (local.set $o (i32.add (local.get $o) (i32.const 32)))
          (local.set $o2 (i32.add (local.get $o2) (i32.const 32)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br_if $ks (i32.lt_u (local.get $k) (local.get $row))))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (local.set $dy (i32.add (local.get $dy) (local.get $row)))
        (br $rows))))

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
)
