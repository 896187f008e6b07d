/**
 * Training-mode batch norm on our SIMD kernels (src/backend/simd): the per-channel sums in float64 and the two
 * full-size outputs each in one pass over the data, the [C]-sized algebra in JS float64 (the closed form of
 * fused.ts's batchNormTraining). Forward: sum(x - s) and sum((x - s)^2) in one pass (s: the first pixel's values),
 * y = x a + b in another; backward: sum(dy) and sum(dy (x - mean)) in one pass, dx = dy a + x b + c in another.
 *
 * Why: the XNNPACK form takes 5 + 6 kernel calls per batch norm (average poolings and 1x1 depthwise convs, each
 * creating an XNNPACK operator) plus ~15 reshapes and reads; ResNet-50 runs 53 batch norms a step (102 with the
 * series activation), mostly on 2-64 channels, where those per-call costs are most of the time.
 *
 * The data are viewed as [R, CE] with CE = lcm(C, 4): lane k of a row holds channel k % C, so any channel count
 * works with whole 4-lane vectors (C = 2: each vector holds two pixels); per-channel parameters are expanded to
 * CE lanes and the CE sums folded back to C.
 */
import * as tf from '@tensorflow/tfjs';
import { laneWidth, type SimdKernels } from '../simd/simd.js';
import { alloc, foldLanes as fold, view } from './storage.js';

type OnStats = (mean: tf.Tensor, variance: tf.Tensor, count: number) => void;

/** The SIMD form applies when the element count is a whole number of CE-lane rows. */
export function batchNormSimdApplies(x: tf.Tensor): boolean {
  const c = x.shape[x.shape.length - 1];
  return x.dtype === 'float32' && x.size > 0 && c > 0 && x.size % laneWidth(c) === 0;
}

const expand = (v: ArrayLike<number>, ce: number) => Float32Array.from({ length: ce }, (_, k) => v[k % v.length]);

/** A float32 tensor of `shape` holding `v` (rounded to float32). */
function vector(backend: tf.KernelBackend, shape: number[], v: ArrayLike<number>): tf.Tensor {
  const { tensor, values } = alloc(backend, shape);
  values.set(v);
  return tensor;
}

/** batchNormTraining (fused.ts) on the SIMD kernels; call only where batchNormSimdApplies(x). */
export function batchNormSimd(simd: SimdKernels, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number, onStats?: OnStats): tf.Tensor {
  const backend = tf.backend();
  const c = x.shape[x.shape.length - 1];
  const n = x.size / c;
  const ce = laneWidth(c);
  const rows = x.size / ce;
  const bn = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const gv = tf.backend().readSync(g.dataId) as Float32Array;
    const bv = tf.backend().readSync(b.dataId) as Float32Array;
    // scratch: 2 CE doubles of sums, then 3 CE floats of per-lane parameters
    const scratch = simd.malloc(28 * ce);
    const params = scratch + 16 * ce;
    let mean: Float64Array;
    let variance: Float64Array;
    const y = alloc(backend, xi.shape).tensor;
    try {
      // moments about the first pixel's values (near the mean: the variance's two terms do not cancel)
      const shift = view(backend, xi).slice(0, c);
      simd.setF32(params, expand(shift, ce));
      simd.colMoments(simd.ptr(xi), params, rows, ce, scratch);
      const sums = simd.f64(scratch, 2 * ce);
      const d = fold(sums.subarray(0, ce), c).map((v) => v / n);
      const q = fold(sums.subarray(ce), c);
      variance = d.map((dk, k) => Math.max(0, q[k] / n - dk * dk));
      // the float32 mean, which the output and the gradient both centre on
      mean = d.map((dk, k) => Math.fround(shift[k] + dk));
      const scale = variance.map((v, k) => gv[k] / Math.sqrt(v + eps));
      simd.setF32(params, expand(scale, ce));
      simd.setF32(
        params + 4 * ce,
        expand(
          Float64Array.from(scale, (s, k) => bv[k] - mean[k] * Math.fround(s)),
          ce,
        ),
      );
      simd.colAffine(simd.ptr(xi), params, rows, ce, simd.ptr(y));
    } finally {
      simd.free(scratch);
    }
    onStats?.(vector(backend, [c], mean), vector(backend, [c], variance), n);
    (args[3] as tf.GradSaveFunc)([xi]);
    const rstd = variance.map((v) => 1 / Math.sqrt(v + eps));
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(simd, dy, saved[0], { c, n, ce, rows, mean, rstd, gv, gShape: g.shape, bShape: b.shape }),
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return bn(x, gamma, beta);
}

interface Saved {
  c: number;
  n: number;
  ce: number;
  rows: number;
  mean: Float64Array;
  rstd: Float64Array;
  gv: Float32Array;
  gShape: number[];
  bShape: number[];
}

/**
 * dx = dy s - xc s rstd^2 mean(dy xc) - s mean(dy) (s = gamma rstd, xc = x - mean), written as dy a + x b + c;
 * dgamma = sum(dy xc) rstd, dbeta = sum(dy).
 */
function backward(simd: SimdKernels, dy: tf.Tensor, x: tf.Tensor, s: Saved): tf.Tensor[] {
  const backend = tf.backend();
  const { c, n, ce, rows, mean, rstd, gv } = s;
  const scratch = simd.malloc(28 * ce);
  const params = scratch + 16 * ce;
  const dx = alloc(backend, x.shape).tensor;
  let sdy: Float64Array;
  let sdyxc: Float64Array;
  try {
    simd.setF32(params, expand(mean, ce));
    simd.colDySums(simd.ptr(dy), simd.ptr(x), params, rows, ce, scratch);
    const sums = simd.f64(scratch, 2 * ce);
    sdy = fold(sums.subarray(0, ce), c);
    sdyxc = fold(sums.subarray(ce), c);
    const a = Float64Array.from(rstd, (r, k) => Math.fround(gv[k] * r));
    const b = Float64Array.from(a, (ak, k) => Math.fround((-ak * rstd[k] * rstd[k] * sdyxc[k]) / n));
    const d = Float64Array.from(a, (ak, k) => (-ak * sdy[k]) / n - mean[k] * b[k]);
    simd.setF32(params, expand(a, ce));
    simd.setF32(params + 4 * ce, expand(b, ce));
    simd.setF32(params + 8 * ce, expand(d, ce));
    simd.colAffine2(simd.ptr(dy), simd.ptr(x), params, rows, ce, simd.ptr(dx));
  } finally {
    simd.free(scratch);
  }
  return [
    dx,
    vector(
      backend,
      s.gShape,
      Float64Array.from(sdyxc, (v, k) => v * rstd[k]),
    ),
    vector(backend, s.bShape, sdy),
  ];
}
