/**
 * The series informed activation's ReLU and depthwise convolution as one tape node on our SIMD kernels (wasm):
 * y = depthwise(relu(x), f) with 'same' zero padding P = (k - 1) / 2, stride 1.
 *
 * Why: run as two ops, the ReLU writes its output, the depthwise convolution pads a copy of it (forward) and pads
 * it again for its filter gradient (backward), and the ReLU's gradient takes two more passes (Step, Multiply). Here
 * the ReLU is written straight into the padded buffer the convolution reads, that buffer is kept for the filter
 * gradient, and the ReLU's gradient is a mask applied to the input gradient in place (positive entries of the
 * padded ReLU output are exactly where the input was positive). The same multiply-adds, three fewer passes over
 * the activation and four fewer tape nodes.
 */
import * as tf from '@tensorflow/tfjs';
import { laneWidth, simdKernels, type SimdKernels } from '../simd/simd.js';
import { alloc, expandLanes, flipSpatial, foldLanes, view, window4d } from './storage.js';

/** depthwise(relu(x), f, 'same') as one node, or undefined where the SIMD kernels cannot take it (callers run the two ops). */
export function reluDepthwise(x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D | undefined {
  const backend = tf.backend();
  const [n, h, w, c] = x.shape;
  const [kh, kw, , mult] = f.shape;
  const p = (kh - 1) / 2;
  // every tap meets the input for some output pixel (maps of at least P + 1 pixels); lane pixels tile a row
  const fits = kh === kw && kh % 2 === 1 && mult === 1 && n > 0 && h > p && w > p && (w * c) % laneWidth(c) === 0;
  const simd = fits && x.dtype === 'float32' && f.dtype === 'float32' ? simdKernels(backend) : undefined;
  if (!simd) return undefined;
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, fi] = args as tf.Tensor4D[];
    const ce = laneWidth(c);
    const rp = alloc(backend, [n, h + 2 * p, w + 2 * p, c]).tensor;
    simd.padRelu(simd.ptr(xi), simd.ptr(rp), n, h, w, c, p);
    const y = depthwise(backend, simd, rp, expandLanes(backend, fi, ce), [n, h, w, c], kh, ce);
    (args[2] as tf.GradSaveFunc)([rp]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [rps] = saved;
        // filter gradient on the kept padded ReLU output
        const lanes = alloc(backend, [kh * kw * ce]).tensor;
        simd.dwFilterGrad(simd.ptr(rps), simd.ptr(dy), simd.ptr(lanes), n, h + 2 * p, w + 2 * p, c, h, w, kh, kw, ce);
        const dF = alloc(backend, [kh, kw, c, 1]);
        const lv = view(backend, lanes);
        for (let t = 0; t < kh * kw; t++) dF.values.set(foldLanes(lv.subarray(t * ce, (t + 1) * ce), c), t * c);
        // input gradient: dy padded, convolved with the flipped filter, then the ReLU's mask
        const dyp = window4d(backend, dy as tf.Tensor4D, -p, -p, h + 2 * p, w + 2 * p);
        const dx = depthwise(backend, simd, dyp, expandLanes(backend, flipSpatial(backend, fi), ce), [n, h, w, c], kh, ce);
        simd.reluMask(simd.ptr(dx), simd.ptr(rps), n, h, w, c, p);
        return [dx, dF.tensor];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(x, f) as tf.Tensor4D;
}

/** out [n, h, w, c] = the k x k depthwise convolution of the padded xp with the lane-expanded filter fe. */
function depthwise(backend: tf.KernelBackend, simd: SimdKernels, xp: tf.Tensor, fe: tf.Tensor, shape: number[], k: number, ce: number): tf.Tensor {
  const [n, h, w, c] = shape;
  const out = alloc(backend, shape).tensor;
  simd.dwForward(simd.ptr(xp), simd.ptr(fe), simd.ptr(out), n, h + k - 1, w + k - 1, c, h, w, k, k, ce);
  return out;
}
