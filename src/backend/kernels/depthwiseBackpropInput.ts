/**
 * DepthwiseConv2dNativeBackpropInput (missing from tfjs-backend-wasm 4.22).
 * Channel multiplier 1: a stride-1 depthwise conv of dy (zero-interleaved
 * first when strides > 1) with the spatially flipped filter and mirrored
 * padding, run through the fast tiled depthwise conv. Multiplier > 1: a
 * direct loop (correct, not tuned).
 */
import * as tf from '@tensorflow/tfjs';
import { assertDilationsOne, tensorKernel } from './common.js';
import { depthwiseStride1 } from './depthwiseConv2d.js';
import { alloc, flipSpatial, geom, scatter4d, view } from './storage.js';

export const depthwiseBackpropInputImpl = tensorKernel(({ dy, filter }, attrs, backend) => {
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  assertDilationsOne('DepthwiseConv2dNativeBackpropInput', dilations);
  const dy4 = dy as tf.Tensor4D;
  const w4 = filter as tf.Tensor4D;
  const info = tf.backend_util.computeConv2DInfo(inputShape, w4.shape, strides, 1, pad, dimRoundingMode, true, 'channelsLast');
  const g = geom(info);
  const mult = w4.shape[3];
  if (mult !== 1) return directLoop(backend, dy4, w4, info);

  const wFlip = flipSpatial(backend, w4);
  const pt = g.kh - 1 - g.top;
  const pl = g.kw - 1 - g.left;
  if (g.sh === 1 && g.sw === 1) {
    return depthwiseStride1(backend, dy4, wFlip, {
      top: pt,
      bottom: g.h + g.kh - 1 - g.oh - pt,
      left: pl,
      right: g.w + g.kw - 1 - g.ow - pl,
    });
  }
  const dyDilated = scatter4d(backend, dy4, pt, pl, g.h + g.kh - 1, g.w + g.kw - 1, g.sh, g.sw);
  return depthwiseStride1(backend, dyDilated, wFlip, { top: 0, bottom: 0, left: 0, right: 0 });
});

/** dx[b, oy*sh+i-top, ox*sw+j-left, c] += sum_q dy[b, oy, ox, c*m+q] * w[i, j, c, q]. */
function directLoop(backend: tf.KernelBackend, dy: tf.Tensor4D, w: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const g = geom(info);
  const c = g.cin;
  const m = w.shape[3];
  const { tensor, values: dx } = alloc(backend, [g.n, g.h, g.w, c]);
  const dyv = view(backend, dy);
  const wv = view(backend, w);
  dx.fill(0);
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const yo = ((b * g.oh + oy) * g.ow + ox) * c * m;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.sh + i - g.top;
          if (iy < 0 || iy >= g.h) continue;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.sw + j - g.left;
            if (ix < 0 || ix >= g.w) continue;
            const xo = ((b * g.h + iy) * g.w + ix) * c;
            const wo = (i * g.kw + j) * c * m;
            for (let k = 0; k < c; k++) {
              let s = 0;
              for (let q = 0; q < m; q++) s += dyv[yo + k * m + q] * wv[wo + k * m + q];
              dx[xo + k] += s;
            }
          }
        }
      }
    }
  }
  return tensor as tf.Tensor4D;
}

export const depthwiseBackpropInputConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName,
  kernelFunc: depthwiseBackpropInputImpl,
});
