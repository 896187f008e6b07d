/**
 * Conv2DBackpropFilter as one matrix product: dW[kh*kw*cin, cout] = patchesT · dy2d,
 * where patchesT [kh*kw*cin, n*oh*ow] is the transposed im2col of x.
 * The product runs on the backend's untransposed 2-D matMul, the only matMul
 * path the wasm backend sends to XNNPACK (transposed or batched ones use a
 * scalar loop, ~20-100x slower).
 */
import * as tf from '@tensorflow/tfjs';
import { tensorKernel, toNHWC } from './common.js';
import { geom, im2colT } from './storage.js';

export const conv2DBackpropFilterImpl = tensorKernel(({ x, dy }, attrs, backend) => {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x4 = toNHWC(x as tf.Tensor4D, dataFormat);
  const dy4 = toNHWC(dy as tf.Tensor4D, dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x4.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const g = geom(info);
  const cout = info.outChannels;
  const p = g.n * g.oh * g.ow;

  // Channel-major x: each patchesT row is then a (strided) window of one plane.
  const xT = tf.transpose(x4, [3, 0, 1, 2]);
  const trivial = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 &&
    g.top === 0 && g.left === 0 && g.oh === g.h && g.ow === g.w;
  const patchesT = trivial ? tf.reshape(xT, [g.cin, p]) : im2colT(backend, xT, g);
  const dW = tf.matMul(patchesT as tf.Tensor2D, tf.reshape(dy4, [p, cout]));
  return tf.reshape(dW, filterShape);
});

export const conv2DBackpropFilterConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.Conv2DBackpropFilter,
  backendName,
  kernelFunc: conv2DBackpropFilterImpl,
});
