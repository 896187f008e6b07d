/**
 * Fused training-step pieces for the backends whose storage we can read (wasm, cpu): one typed-array loop where
 * the op-by-op form runs 10-20 small kernels, each with its own allocation, engine bookkeeping and tape record.
 *  - batchNormTraining: batch-norm with batch statistics as one tape node (tf.customGrad) whose gradient is the
 *    closed form, full-size work in the fastest wasm kernels, per-channel work in JS (a JS loop over 10^6
 *    elements is slower than the wasm SIMD ops, a tiny kernel costs more than its JS loop);
 *  - adamwUpdate: AdamW's moment and parameter update for one variable in one JS pass (parameters are few, so
 *    there the ~13 kernel calls per variable are what costs);
 *  - lambdaActivation: the deep-training leaky ReLU as one tape node on the two element-wise kernels wasm runs
 *    fastest (XNNPACK's Prelu forward, Step then Multiply backward), where the stock LeakyRelu forward and its
 *    Greater/Select/Multiply gradient are scalar loops (1M elements, CPU ms: LeakyRelu 6.0 vs Prelu 0.35; Greater
 *    5.8 + Select 3.1 vs Step 0.26). The same float32 values as tf.leakyRelu and its gradient (+0 for -0 at lambda 0).
 *    With our SIMD kernels (wasm): one pass each way instead (leaky, leaky_grad).
 * Results can differ from the op-by-op form in the last float32 bits (summation order, float64 temporaries).
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, view } from './storage.js';
import { simdKernels, type SimdKernels } from '../simd/simd.js';
import { batchNormSimd, batchNormSimdApplies } from './batchNormSimd.js';

/** True when the current backend is one whose tensors these loops can read and write. */
export function canFuse(...ts: tf.Tensor[]): boolean {
  const name = tf.getBackend();
  return (name === 'wasm' || name === 'cpu') && ts.every((t) => t.dtype === 'float32');
}

function backend(): tf.KernelBackend {
  return tf.backend();
}

/**
 * Training-mode batch norm over every axis but the last: (x - mean) / sqrt(var + eps) * gamma + beta, with the
 * batch's mean and biased variance, which go to `onStats` (tensors of shape [C], disposed with the caller's tidy).
 * One tape node whose gradient is the closed form:
 *   dbeta = sum(dy), dgamma = sum(dy * xc) * rstd,
 *   dx = dy * s - xc * (s * rstd^2 * sum(dy * xc) / n) - s * sum(dy) / n,  s = gamma * rstd, xc = x - mean.
 * Full-size work is done by the kernels wasm runs fastest: per-channel means by an average pooling over all rows
 * (XNNPACK), per-channel affine maps (x * a + b) by a 1x1 depthwise convolution with bias (XNNPACK; a broadcast
 * Mul + Add is slower), same-shape Square/Mul/Add; the per-channel quantities ([C] vectors: rstd, the scale,
 * k2, k3, dgamma, dbeta) are computed in JS in float64 on views of the storage, not by some 30 tiny kernels.
 * Forward 5 full-size passes, backward 6 (fewer passes and kernel calls than the op-by-op closed form).
 * With our SIMD kernels (wasm) it is batchNormSimd.ts instead: 2 + 2 passes and no kernel calls.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  onStats?: (mean: tf.Tensor, variance: tf.Tensor, count: number) => void,
): tf.Tensor {
  if (!canFuse(x, gamma, beta)) return batchNormTrainingOps(x, gamma, beta, eps, onStats);
  const simd = batchNormSimdApplies(x) ? simdKernels(backend()) : undefined;
  if (simd) return batchNormSimd(simd, x, gamma, beta, eps, onStats);
  const c = x.shape[x.shape.length - 1];
  const n = x.size / c;
  const rows: [number, number, number, number] = [1, n, 1, c];
  /** per-channel mean of a [.., c] tensor as a [c] tensor, by an average pooling over the n rows */
  const channelMean = (t: tf.Tensor) => tf.reshape(tf.avgPool(tf.reshape(t, rows) as tf.Tensor4D, [n, 1], 1, 'valid'), [c]);
  /** t * a + b per channel (a, b: float64 arrays rounded to float32), as a 1x1 depthwise conv with bias */
  const affine = (t: tf.Tensor, a: ArrayLike<number>, b?: ArrayLike<number>) =>
    tf.fused.depthwiseConv2d({
      x: tf.reshape(t, rows) as tf.Tensor4D,
      filter: fromArray([1, 1, c, 1], a) as tf.Tensor4D,
      strides: 1,
      pad: 'valid',
      bias: b ? fromArray([c], b) : undefined,
    });
  const bn = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const mean = channelMean(xi);
    const xc = affine(
      xi,
      new Float64Array(c).fill(1),
      read(mean).map((m) => -m),
    );
    const variance = channelMean(tf.square(xc));
    onStats?.(mean, variance, n);
    const gV = read(g);
    const rstd = read(variance).map((v) => 1 / Math.sqrt(v + eps));
    const scale = rstd.map((r, k) => Math.fround(gV[k] * r));
    (args[3] as tf.GradSaveFunc)([xc]);
    return {
      value: tf.reshape(affine(xc, scale, read(b)), xi.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const xcs = tf.reshape(saved[0], xi.shape);
        const mdy = read(channelMean(dy));
        const mdyxc = read(channelMean(tf.mul(dy, xcs)));
        const negK2 = Float64Array.from(scale, (s, k) => -s * rstd[k] * rstd[k] * mdyxc[k]);
        const negK3 = Float64Array.from(scale, (s, k) => -s * mdy[k]);
        const dx = tf.add(affine(dy, scale), affine(xcs, negK2, negK3));
        return [
          tf.reshape(dx, xi.shape),
          fromArray(
            g.shape,
            Float64Array.from(mdyxc, (v, k) => v * n * rstd[k]),
          ),
          fromArray(
            b.shape,
            Float64Array.from(mdy, (v) => v * n),
          ),
        ];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return bn(x, gamma, beta);
}

/**
 * batchNormTraining in backend ops only (any backend): the same closed form, some 40 kernel calls.
 */
export function batchNormTrainingOps(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  onStats?: (mean: tf.Tensor, variance: tf.Tensor, count: number) => void,
): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.shape.length - 1];
  const bn = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const mean = tf.mean(xi, axes);
    const xc = tf.sub(xi, mean);
    const variance = tf.mean(tf.square(xc), axes);
    onStats?.(mean, variance, n);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const scale = tf.mul(tf.reshape(g, rstd.shape), rstd);
    (args[3] as tf.GradSaveFunc)([xc, rstd, scale]);
    return {
      value: tf.add(tf.mul(xc, scale), tf.reshape(b, scale.shape)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xcs, rs, sc] = saved;
        const sdy = tf.sum(dy, axes);
        const sdyxc = tf.sum(tf.mul(dy, xcs), axes);
        const k2 = tf.mul(sc, tf.mul(tf.square(rs), tf.div(sdyxc, n)));
        const k3 = tf.mul(sc, tf.div(sdy, n));
        const dx = tf.sub(tf.sub(tf.mul(dy, sc), tf.mul(xcs, k2)), k3);
        return [dx, tf.reshape(tf.mul(sdyxc, rs), g.shape), tf.reshape(sdy, b.shape)];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return bn(x, gamma, beta);
}

/**
 * A tensor's values copied out of its storage (a view of the wasm heap is detached when a later allocation grows
 * the heap, so nothing may hold one across an allocation).
 */
function read(t: tf.Tensor): Float64Array {
  return Float64Array.from(view(backend(), t));
}

/** A float32 tensor of `shape` holding `values` (rounded to float32). */
function fromArray(shape: number[], values: ArrayLike<number>): tf.Tensor {
  const { tensor, values: out } = alloc(backend(), shape);
  out.set(values);
  return tensor;
}

/**
 * leakyRelu(x, lambda) = x > 0 ? x : lambda * x (0 <= lambda < 1), the deep-training activation, with its gradient
 * dy * (x > 0 ? 1 : lambda): Prelu with a per-channel slope (the last axis; XNNPACK's kernel) forward, and
 * dy * step(x, lambda) backward (step gives exactly 1 or float32(lambda), so the product is the stock gradient's
 * where(x > 0, dy, dy * lambda) value for value).
 */
export function lambdaActivation(x: tf.Tensor, lambda: number): tf.Tensor {
  const simd = x.dtype === 'float32' && x.size > 0 && x.size % 4 === 0 ? simdKernels(backend()) : undefined;
  if (simd) return lambdaActivationSimd(simd, x, lambda);
  const channels = x.rank > 0 ? x.shape[x.rank - 1] : 1;
  const act = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xi = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([xi]);
    return {
      value: tf.prelu(xi, tf.fill([channels], lambda)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.step(saved[0], lambda)),
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return act(x);
}

/** ReLU with its gradient as one SIMD pass each way where lambdaActivation has one (lambda 0), else tf.relu. */
export function reluActivation(x: tf.Tensor): tf.Tensor {
  const simd = x.dtype === 'float32' && x.size > 0 && x.size % 4 === 0 ? simdKernels(backend()) : undefined;
  return simd ? lambdaActivationSimd(simd, x, 0) : tf.relu(x);
}

/**
 * lambdaActivation on our SIMD kernels (one pass each way, no Fill/Prelu/Step/Multiply calls): the same float32
 * values, x or float32(lambda) x forward, dy or dy float32(lambda) backward.
 */
function lambdaActivationSimd(simd: SimdKernels, x: tf.Tensor, lambda: number): tf.Tensor {
  const act = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xi = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([xi]);
    const y = alloc(backend(), xi.shape).tensor;
    simd.leaky(simd.ptr(xi), simd.ptr(y), xi.size, lambda);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dx = alloc(backend(), dy.shape).tensor;
        simd.leakyGrad(simd.ptr(dy), simd.ptr(saved[0]), simd.ptr(dx), dy.size, lambda);
        return dx;
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return act(x);
}

/**
 * PyTorch's running-statistics update of one batch norm, in one JS pass instead of six kernels:
 * mean' = (1 - m) mean + m batchMean, var' = (1 - m) var + m n / (n - 1) batchVar (float32 products and sums, as
 * the op-by-op form computes them). Returns the new tensors; the inputs are left alone.
 */
export function runningStatsUpdate(
  runMean: tf.Tensor,
  runVar: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  momentum: number,
  n: number,
): [tf.Tensor, tf.Tensor] {
  const keep = Math.fround(1 - momentum);
  const m = Math.fround(momentum);
  const mv = Math.fround((momentum * n) / Math.max(1, n - 1));
  const nm = alloc(backend(), runMean.shape).tensor;
  const nv = alloc(backend(), runVar.shape).tensor;
  const [rmv, rvv, bm, bv, nmv, nvv] = [runMean, runVar, mean, variance, nm, nv].map((t) => view(backend(), t));
  for (let i = 0; i < nmv.length; i++) {
    nmv[i] = Math.fround(rmv[i] * keep) + Math.fround(bm[i] * m);
    nvv[i] = Math.fround(rvv[i] * keep) + Math.fround(bv[i] * mv);
  }
  return [nm, nv];
}

/**
 * One AdamW step for one variable: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr ((m / bc1) / (sqrt(v / bc2) + eps) + decay p). New tensors are assigned (the wasm backend caches packed
 * weights by tensor, so storage is never written in place).
 */
export function adamwUpdate(
  p: tf.Variable,
  m: tf.Variable,
  v: tf.Variable,
  g: tf.Tensor,
  o: { beta1: number; beta2: number; eps: number; decay: number; lr: number; bc1: number; bc2: number },
): void {
  const n = p.size;
  const pn = alloc(backend(), p.shape).tensor;
  const mn = alloc(backend(), p.shape).tensor;
  const vn = alloc(backend(), p.shape).tensor;
  const [pv, mv, vv, gv, pnv, mnv, vnv] = [p, m, v, g, pn, mn, vn].map((t) => view(backend(), t));
  const { beta1, beta2, eps, decay, lr, bc1, bc2 } = o;
  for (let i = 0; i < n; i++) {
    const gi = gv[i];
    const mi = beta1 * mv[i] + (1 - beta1) * gi;
    const vi = beta2 * vv[i] + (1 - beta2) * gi * gi;
    mnv[i] = mi;
    vnv[i] = vi;
    // moments rounded to float32 first, as the op-by-op form stores them
    pnv[i] = pv[i] - lr * (mnv[i] / bc1 / (Math.sqrt(vnv[i] / bc2) + eps) + decay * pv[i]);
  }
  p.assign(pn);
  m.assign(mn);
  v.assign(vn);
  tf.dispose([pn, mn, vn]);
}
