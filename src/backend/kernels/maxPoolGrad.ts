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

export const maxPoolGradImpl = tensorKernel(({ dy, input }, attrs, backend) => {
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
    pool2x2(xv, dyv, dx, n, h, w, c, oh, ow);
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

export const maxPoolGradConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.MaxPoolGrad,
  backendName,
  kernelFunc: maxPoolGradImpl,
});
