/**
 * Fused training-step pieces for the backends whose storage we can read (wasm, cpu): one typed-array loop where
 * the op-by-op form runs 10-20 small kernels, each with its own allocation, engine bookkeeping and tape record.
 *  - batchNormTraining: batch-norm with batch statistics as one tape node (tf.customGrad) whose gradient is the
 *    closed form, in backend ops (a JS loop over 10^6 elements is slower than the wasm SIMD ops);
 *  - adamwUpdate: AdamW's moment and parameter update for one variable in one JS pass (parameters are few, so
 *    there the ~13 kernel calls per variable are what costs);
 *  - lambdaActivation: the deep-training leaky ReLU as one tape node on the two element-wise kernels wasm runs
 *    fastest (XNNPACK's Prelu forward, Step then Multiply backward), where the stock LeakyRelu forward and its
 *    Greater/Select/Multiply gradient are scalar loops (1M elements, CPU ms: LeakyRelu 6.0 vs Prelu 0.35; Greater
 *    5.8 + Select 3.1 vs Step 0.26). The same float32 values as tf.leakyRelu and its gradient (+0 for -0 at lambda 0).
 * Results can differ from the op-by-op form in the last float32 bits (summation order, float64 temporaries).
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, view } from './storage.js';

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
 * One tape node whose gradient is the closed form (about 10 full-size ops forward and backward together, where the
 * op-by-op form records some 40 ops, 20 of them full-size):
 *   dbeta = sum(dy), dgamma = sum(dy * xc) * rstd,
 *   dx = dy * s - xc * (s * rstd^2 * sum(dy * xc) / n) - s * sum(dy) / n,  s = gamma * rstd, xc = x - mean.
 */
export function batchNormTraining(
  x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number,
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
 * leakyRelu(x, lambda) = x > 0 ? x : lambda * x (0 <= lambda < 1), the deep-training activation, with its gradient
 * dy * (x > 0 ? 1 : lambda): Prelu with a per-channel slope (the last axis; XNNPACK's kernel) forward, and
 * dy * step(x, lambda) backward (step gives exactly 1 or float32(lambda), so the product is the stock gradient's
 * where(x > 0, dy, dy * lambda) value for value).
 */
export function lambdaActivation(x: tf.Tensor, lambda: number): tf.Tensor {
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

/**
 * One AdamW step for one variable: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr ((m / bc1) / (sqrt(v / bc2) + eps) + decay p). New tensors are assigned (the wasm backend caches packed
 * weights by tensor, so storage is never written in place).
 */
export function adamwUpdate(
  p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor,
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
