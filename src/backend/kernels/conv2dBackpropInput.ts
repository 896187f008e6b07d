/**
 * Conv2DBackpropInput (the transposed convolution), on fast backend kernels:
 *  - 1x1, stride 1, unpadded: dx2d = dy2d · W^T (one matMul);
 *  - stride 1: a 'valid'-geometry conv2d of dy with the spatially flipped,
 *    in/out-swapped filter, padding mirrored (kh-1-top, ...);
 *  - strides > 1: cols = dy2d · Wmat^T, then col2im scatter-adds the columns
 *    (no zero-interleaved dy, so no s^2 wasted multiply-adds).
 * The stock wasm kernel is a scalar C++ loop.
 */
import * as tf from '@tensorflow/tfjs';
import { fromNHWC, nhwcShape, tensorKernel, toNHWC, transpose2d } from './common.js';
import { col2im, flipSpatial, geom, window4d } from './storage.js';
import { isNarrowConv } from './conv2d.js';

export const conv2DBackpropInputImpl = tensorKernel(({ dy, filter }, attrs, backend) => {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dy4 = toNHWC(dy as tf.Tensor4D, dataFormat);
  const w4 = filter as tf.Tensor4D;
  const xShape = nhwcShape(inputShape, dataFormat);
  const info = tf.backend_util.computeConv2DInfo(xShape, w4.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const g = geom(info);
  const cout = info.outChannels;
  const p = g.n * g.oh * g.ow;
  let dx: tf.Tensor4D;

  if (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.top === 0 && g.left === 0 && g.oh === g.h && g.ow === g.w) {
    const wT = transpose2d(tf.reshape(w4, [g.cin, cout]));
    // a narrow input (few channels) is a narrow 1x1 conv of dy, which our Conv2D front-end runs (conv2d.ts)
    dx = isNarrowConv(cout, g.cin)
      ? tf.conv2d(dy4, tf.reshape(wT, [1, 1, cout, g.cin]) as tf.Tensor4D, 1, 'valid')
      : tf.reshape(tf.matMul(tf.reshape(dy4, [p, cout]), wT), xShape);
  } else if (g.sh === 1 && g.sw === 1) {
    const wFlip = tf.transpose(flipSpatial(backend, w4), [0, 1, 3, 2]);
    const pt = g.kh - 1 - g.top;
    const pl = g.kw - 1 - g.left;
    const pb = g.h + g.kh - 1 - g.oh - pt;
    const pr = g.w + g.kw - 1 - g.ow - pl;
    if (pt >= 0 && pl >= 0 && pb >= 0 && pr >= 0) {
      dx = tf.conv2d(dy4, wFlip, 1, [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ]);
    } else {
      // Forward padding beyond kh-1 (or unused trailing rows): crop dy instead.
      const dyWin = window4d(backend, dy4, -pt, -pl, g.h + g.kh - 1, g.w + g.kw - 1);
      dx = tf.conv2d(dyWin, wFlip, 1, 'valid');
    }
  } else {
    const wT = transpose2d(tf.reshape(w4, [g.kh * g.kw * g.cin, cout]));
    const cols = tf.matMul(tf.reshape(dy4, [p, cout]), wT) as tf.Tensor2D;
    dx = col2im(backend, cols, g);
  }
  return fromNHWC(dx, dataFormat);
});

export const conv2DBackpropInputConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.Conv2DBackpropInput,
  backendName,
  kernelFunc: conv2DBackpropInputImpl,
});
