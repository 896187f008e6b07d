/**
 * DepthwiseConv2dNativeBackpropFilter (missing from tfjs-backend-wasm 4.22):
 * dW[i, j, c, q] = sum_{b, oy, ox} x[b, oy*sh+i-top, ox*sw+j-left, c] * dy[b, oy, ox, c*m+q].
 *
 * On wasm, stride 1 and multiplier 1: by our SIMD kernel (src/backend/simd)
 * when its lane pixels tile an output row (see laneWidth; always for channels a
 * multiple of 4); otherwise the correlation is itself run as a depthwise convolution, so that XNNPACK does the multiply-adds: batch is
 * moved into the channels (x -> [1, h, w, n*c]), dy becomes the filter
 * ([oh, ow, n*c, 1]), the kh x kw output is summed over the batch. Otherwise
 * a direct loop.
 */
import * as tf from '@tensorflow/tfjs';
import { assertDilationsOne, tensorKernel } from './common.js';
import { laneWidth, simdKernels, type SimdKernels } from '../simd/simd.js';
import { depthwiseStride1 } from './depthwiseConv2d.js';
import { alloc, foldLanes, geom, isWasmBackend, view, window4d } from './storage.js';

export const depthwiseBackpropFilterImpl = tensorKernel(({ x, dy }, attrs, backend) => {
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  assertDilationsOne('DepthwiseConv2dNativeBackpropFilter', dilations);
  const x4 = x as tf.Tensor4D;
  const info = tf.backend_util.computeConv2DInfo(x4.shape, filterShape, strides, 1, pad, dimRoundingMode, true, 'channelsLast');
  const g = geom(info);
  if (filterShape[3] === 1 && g.sh === 1 && g.sw === 1 && isWasmBackend(backend)) {
    return viaDepthwiseConv(backend, x4, dy as tf.Tensor4D, info);
  }
  return directLoop(backend, x4, dy as tf.Tensor4D, info, filterShape);
});

function viaDepthwiseConv(backend: tf.KernelBackend, x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const g = geom(info);
  // Only taps whose window meets the input can be non-zero (on small maps a
  // 7x7 'same' filter mostly sees padding): i in [top - oh + 1, top + h - 1].
  const i0 = Math.max(0, g.top - g.oh + 1);
  const i1 = Math.min(g.kh, g.top + g.h);
  const j0 = Math.max(0, g.left - g.ow + 1);
  const j1 = Math.min(g.kw, g.left + g.w);
  if (i0 >= i1 || j0 >= j1) return tf.zeros([g.kh, g.kw, g.cin, 1]);
  const simd = (g.ow * g.cin) % laneWidth(g.cin) === 0 && g.n > 0 ? simdKernels(backend) : undefined;
  const dW = simd ? simdFilterGrad(backend, simd, x, dy, g, i0, i1, j0, j1) : tiledFilterGrad(backend, x, dy, g, i0, i1, j0, j1);
  return i1 - i0 === g.kh && j1 - j0 === g.kw
    ? dW
    : tf.pad(dW, [
        [i0, g.kh - i1],
        [j0, g.kw - j1],
        [0, 0],
        [0, 0],
      ]);
}

type Geom = ReturnType<typeof geom>;

/** Taps [i0, i1) x [j0, j1) of dW by our SIMD kernel, on x padded (or cropped) to the window they read. */
function simdFilterGrad(
  backend: tf.KernelBackend,
  simd: SimdKernels,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  g: Geom,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
): tf.Tensor4D {
  const hp = g.oh + i1 - i0 - 1;
  const wp = g.ow + j1 - j0 - 1;
  const xp = window4d(backend, x, i0 - g.top, j0 - g.left, hp, wp);
  const ce = laneWidth(g.cin);
  const { tensor } = alloc(backend, [i1 - i0, j1 - j0, g.cin, 1]);
  const { tensor: lanes, values } = ce === g.cin ? { tensor, values: undefined } : alloc(backend, [(i1 - i0) * (j1 - j0) * ce]);
  simd.dwFilterGrad(simd.ptr(xp), simd.ptr(dy), simd.ptr(lanes), g.n, hp, wp, g.cin, g.oh, g.ow, i1 - i0, j1 - j0, ce);
  if (values) {
    // fold the lanes of each tap back to its channels
    const out = view(backend, tensor);
    const lv = view(backend, lanes);
    for (let t = 0; t < (i1 - i0) * (j1 - j0); t++) out.set(foldLanes(lv.subarray(t * ce, (t + 1) * ce), g.cin), t * g.cin);
    lanes.dispose();
  }
  return tensor as tf.Tensor4D;
}

/** Taps [i0, i1) x [j0, j1) of dW as XNNPACK depthwise convs of x with dy as the filter (see the file comment). */
function tiledFilterGrad(backend: tf.KernelBackend, x: tf.Tensor4D, dy: tf.Tensor4D, g: Geom, i0: number, i1: number, j0: number, j1: number): tf.Tensor4D {
  const nc = g.n * g.cin;
  const xs = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, g.h, g.w, nc]) as tf.Tensor4D;
  const f = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [g.oh, g.ow, nc, 1]) as tf.Tensor4D;
  // 'valid' correlation of the padded input with dy, for output taps [i0, i1) x [j0, j1).
  const top = g.top - i0;
  const left = g.left - j0;
  const out = depthwiseStride1(backend, xs, f, {
    top,
    bottom: g.oh + (i1 - i0) - 1 - g.h - top,
    left,
    right: g.ow + (j1 - j0) - 1 - g.w - left,
  });
  const perTap = tf.reshape(out, [(i1 - i0) * (j1 - j0), g.n, g.cin]);
  return tf.reshape(tf.sum(perTap, 1), [i1 - i0, j1 - j0, g.cin, 1]) as tf.Tensor4D;
}

/**
 * Direct accumulation, innermost loop over contiguous channels; taps whose
 * window lies in the padding are never visited.
 */
function directLoop(backend: tf.KernelBackend, x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, filterShape: number[]): tf.Tensor4D {
  const g = geom(info);
  const c = g.cin;
  const m = filterShape[3];
  const cm = c * m;
  const acc = new Float64Array(g.kh * g.kw * cm);
  const xv = view(backend, x);
  const dyv = view(backend, dy);
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let i = 0; i < g.kh; i++) {
        const iy = oy * g.sh + i - g.top;
        if (iy < 0 || iy >= g.h) continue;
        const xRow = (b * g.h + iy) * g.w;
        const yRow = (b * g.oh + oy) * g.ow;
        for (let j = 0; j < g.kw; j++) {
          const a = (i * g.kw + j) * cm;
          // Valid ox: 0 <= ox*sw + j - left < w.
          const dxj = j - g.left;
          const ox0 = Math.max(0, Math.ceil(-dxj / g.sw));
          const ox1 = Math.min(g.ow, Math.ceil((g.w - dxj) / g.sw));
          for (let ox = ox0; ox < ox1; ox++) {
            const xo = (xRow + ox * g.sw + dxj) * c;
            const yo = (yRow + ox) * cm;
            if (m === 1) {
              for (let k = 0; k < c; k++) acc[a + k] += xv[xo + k] * dyv[yo + k];
            } else {
              for (let k = 0; k < c; k++) {
                const xk = xv[xo + k];
                for (let q = 0; q < m; q++) acc[a + k * m + q] += xk * dyv[yo + k * m + q];
              }
            }
          }
        }
      }
    }
  }
  const { tensor, values } = alloc(backend, filterShape);
  values.set(acc);
  return tensor as tf.Tensor4D;
}

export const depthwiseBackpropFilterConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName,
  kernelFunc: depthwiseBackpropFilterImpl,
});
