/**
 * MaxPoolGrad for wasm. The stock tfjs-backend-wasm 4.22 kernel seeds its
 * running maximum with std::numeric_limits<float>::min() (the smallest
 * *positive* float), so in every window whose values are all <= 0 no
 * element is ever selected and the gradient goes to the window's first
 * offset instead of its argmax: silently wrong gradients after batch-norm.
 * This version routes dy to the first maximum of each window, like the cpu
 * backend.
 */
import * as tf from '@tensorflow/tfjs';
import { tensorKernel } from './common.js';
import { alloc, view, type NumArray } from './storage.js';

export const maxPoolGradImpl = tensorKernel(({ dy, input, output }, attrs, backend) => {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const { tensor, values: dx } = alloc(backend, [n, h, w, c]);
  const xv = view(backend, input);
  const dyv = view(backend, dy);
  dx.fill(0);
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * oh <= h && 2 * ow <= w) {
    if (output) pool2x2Max(xv, dyv, view(backend, output), dx, n, h, w, c, oh, ow);
    else pool2x2(xv, dyv, dx, n, h, w, c, oh, ow);
    return tensor;
  }
  // Per output pixel, track the running max of all channels at once (contiguous reads).
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const i0 = Math.max(0, y0);
      const i1 = Math.min(h, y0 + kh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const j0 = Math.max(0, x0);
        const j1 = Math.min(w, x0 + kw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let iy = i0; iy < i1; iy++) {
          for (let ix = j0; ix < j1; ix++) {
            const p = ((b * h + iy) * w + ix) * c;
            for (let k = 0; k < c; k++) {
              const v = xv[p + k];
              if (v > best[k]) {
                best[k] = v;
                where[k] = p + k;
              }
            }
          }
        }
        const d = ((b * oh + oy) * ow + ox) * c;
        for (let k = 0; k < c; k++) if (where[k] >= 0) dx[where[k]] += dyv[d + k];
      }
    }
  }
  return tensor;
});

/** The common non-overlapping 2x2 / stride 2 case in one pass (first maximum wins, as above). */
function pool2x2(xv: NumArray, dyv: NumArray, dx: NumArray, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const row = w * c;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p00 = ((b * h + 2 * oy) * w + 2 * ox) * c;
        const p01 = p00 + c;
        const p10 = p00 + row;
        const p11 = p10 + c;
        const d = ((b * oh + oy) * ow + ox) * c;
        for (let k = 0; k < c; k++) {
          let at = -1;
          let best = -Infinity;
          let v = xv[p00 + k];
          if (v > best) {
            best = v;
            at = p00 + k;
          }
          v = xv[p01 + k];
          if (v > best) {
            best = v;
            at = p01 + k;
          }
          v = xv[p10 + k];
          if (v > best) {
            best = v;
            at = p10 + k;
          }
          v = xv[p11 + k];
          if (v > best) at = p11 + k;
          if (at >= 0) dx[at] = dyv[d + k];
        }
      }
    }
  }
}

/**
 * pool2x2 given the forward output m (each window's maximum, one of its values): the first element equal to m
 * wins, found with branch-free integer flags instead of a chain of unpredictable compares (the loop over 1M
 * inputs: 6.2 -> 3.6 ms CPU). A window with no element equal to its m (NaN) falls back to the running maximum,
 * as pool2x2. Writes every element of every window (-0 where no gradient goes and dy < 0).
 */
function pool2x2Max(xv: NumArray, dyv: NumArray, mv: NumArray, dx: NumArray, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const row = w * c;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const p00 = ((b * h + 2 * oy) * w + 2 * ox) * c;
        const p01 = p00 + c;
        const p10 = p00 + row;
        const p11 = p10 + c;
        const d = ((b * oh + oy) * ow + ox) * c;
        for (let k = 0; k < c; k++) {
          const m = mv[d + k];
          const g = dyv[d + k];
          // unary + of a comparison compiles to a flag, not a branch (a ternary is slower here)
          const s0 = +(xv[p00 + k] === m);
          const s1 = +(xv[p01 + k] === m) & (s0 ^ 1);
          const s2 = +(xv[p10 + k] === m) & ((s0 | s1) ^ 1);
          const s3 = +(xv[p11 + k] === m) & ((s0 | s1 | s2) ^ 1);
          dx[p00 + k] = g * s0;
          dx[p01 + k] = g * s1;
          dx[p10 + k] = g * s2;
          dx[p11 + k] = g * s3;
          if ((s0 | s1 | s2 | s3) === 0) firstMax(xv, dx, g, p00 + k, p01 + k, p10 + k, p11 + k);
        }
      }
    }
  }
}

/** The running-maximum choice of pool2x2 for one window (no element equals the recorded maximum: NaN). */
function firstMax(xv: NumArray, dx: NumArray, g: number, a: number, b: number, c: number, d: number): void {
  let at = -1;
  let best = -Infinity;
  if (xv[a] > best) {
    best = xv[a];
    at = a;
  }
  if (xv[b] > best) {
    best = xv[b];
    at = b;
  }
  if (xv[c] > best) {
    best = xv[c];
    at = c;
  }
  if (xv[d] > best) at = d;
  if (at >= 0) dx[at] = g;
}

export const maxPoolGradConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.MaxPoolGrad,
  backendName,
  kernelFunc: maxPoolGradImpl,
});
