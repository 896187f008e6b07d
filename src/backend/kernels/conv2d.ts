/**
 * Conv2D front-end for the wasm backend: narrow convolutions (few channels on large maps, ResNet-50's stages at
 * widths 1/32 and 1/16) by our SIMD kernel (src/backend/simd conv_fwd), the rest by the stock XNNPACK kernel.
 *
 * Why: XNNPACK builds an indirection buffer (a pointer per output pixel and tap) on every call, since the input
 * is a new tensor each time; with 2-8 channels that set-up, not the multiply-adds, is the cost (a 3x3 conv 2 -> 2
 * on [64, 32, 32, 2]: ~2 ms for 2.4 M multiply-adds in a training step).
 */
import * as tf from '@tensorflow/tfjs';
import { simdKernels, type SimdKernels } from '../simd/simd.js';
import { tensorKernel } from './common.js';
import { alloc, view, window4d } from './storage.js';

/**
 * Convolutions our kernel runs faster than XNNPACK: at most 4 output channels. Measured (batch 64, a fresh filter
 * each call, ours vs XNNPACK, ms): 3x3 2 -> 2 on 32x32 maps 0.76 vs 1.07, 3x3 4 -> 4 1.03 vs 1.74, 1x1 16 -> 4 0.50
 * vs 0.85, 1x1 8 -> 2 0.35 vs 0.60; from 8 output channels on, even or slower (1x1 2 -> 8 0.54 vs 0.34).
 */
export function isNarrowConv(cin: number, cout: number): boolean {
  return cin > 0 && cout <= 4;
}

/**
 * out[b, oy, ox, co] = sum_{i, j, ci} x[b, oy*sh + i - top, ox*sw + j - left, ci] * w[i, j, ci, co] (zero outside x),
 * output [n, oh, ow, cout], by our SIMD kernel.
 */
export function simdConv2d(
  backend: tf.KernelBackend,
  simd: SimdKernels,
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  g: { top: number; left: number; oh: number; ow: number; sh: number; sw: number },
): tf.Tensor4D {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, , cout] = w.shape;
  const hp = (g.oh - 1) * g.sh + kh;
  const wp = (g.ow - 1) * g.sw + kw;
  const { tensor } = alloc(backend, [n, g.oh, g.ow, cout]);
  if (n === 0 || g.oh <= 0 || g.ow <= 0 || cout === 0) return tensor as tf.Tensor4D;
  const xp = g.top === 0 && g.left === 0 && hp === h && wp === wd ? x : window4d(backend, x, -g.top, -g.left, hp, wp);
  const co4 = Math.ceil(cout / 4) * 4;
  const we = co4 === cout ? w : widenLast(backend, w, co4);
  simd.convForward(simd.ptr(xp), simd.ptr(we), simd.ptr(tensor), n, hp, wp, cin, g.oh, g.ow, cout, co4, kh, kw, g.sh, g.sw);
  return tensor as tf.Tensor4D;
}

/** w [..., c] zero-padded to [..., c4]. */
function widenLast(backend: tf.KernelBackend, w: tf.Tensor, c4: number): tf.Tensor {
  const c = w.shape[w.rank - 1];
  const rows = w.size / c;
  const { tensor, values } = alloc(backend, [...w.shape.slice(0, -1), c4]);
  const src = view(backend, w);
  values.fill(0);
  for (let r = 0; r < rows; r++) values.set(src.subarray(r * c, (r + 1) * c), r * c4);
  return tensor;
}

export function conv2DConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const ours = tensorKernel(({ x, filter }, attrs, backend) => {
    const { strides, pad, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    const x4 = x as tf.Tensor4D;
    const f = filter as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(x4.shape, f.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const g = { top: info.padInfo.top, left: info.padInfo.left, oh: info.outHeight, ow: info.outWidth, sh: info.strideHeight, sw: info.strideWidth };
    return simdConv2d(backend, simdKernels(backend)!, x4, f, g);
  });
  return {
    kernelName: tf.Conv2D,
    backendName: stock.backendName,
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const { dilations, dataFormat } = args.attrs as unknown as tf.Conv2DAttrs;
      const one = dilations == null || (typeof dilations === 'number' ? dilations === 1 : dilations[0] === 1 && dilations[1] === 1);
      const handled =
        one &&
        dataFormat !== 'NCHW' &&
        x.dtype === 'float32' &&
        filter.dtype === 'float32' &&
        x.shape.length === 4 &&
        isNarrowConv(filter.shape[2], filter.shape[3]) &&
        simdKernels(args.backend as tf.KernelBackend) !== undefined;
      return handled ? ours(args) : stock.kernelFunc(args);
    },
  };
}
