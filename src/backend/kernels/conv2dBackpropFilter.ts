/**
 * Conv2DBackpropFilter. A plain 1x1 conv on wasm: dW = x^T · dy by our SIMD kernel (src/backend/simd), on x and dy
 * as they lie. Otherwise one matrix product: dW[kh*kw*cin, cout] = patchesT · dy2d,
 * where patchesT [kh*kw*cin, n*oh*ow] is the transposed im2col of x.
 * The product runs on the backend's untransposed 2-D matMul, the only matMul
 * path the wasm backend sends to XNNPACK (transposed or batched ones use a
 * scalar loop, ~20-100x slower). A 1x1 conv that widens or keeps the width (cout >= cin) computes dW^T = dy^T · x
 * instead, so that the operand XNNPACK packs per call is the narrower one (1x1 32->64 on [64,16,16,32]: 20 -> 7 ms)
 * or, at equal width, so that the transposes are a 3-D one of dy and a tiny one of dW^T instead of a 4-D one of x
 * (1x1 32->32 on [64,16,16,32], with the operand packing: 5.6 -> 4.7 ms CPU).
 */
import * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../simd/simd.js';
import { tensorKernel, toNHWC, transpose2d } from './common.js';
import { alloc, geom, im2colT } from './storage.js';

export const conv2DBackpropFilterImpl = tensorKernel(({ x, dy }, attrs, backend) => {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x4 = toNHWC(x as tf.Tensor4D, dataFormat);
  const dy4 = toNHWC(dy as tf.Tensor4D, dataFormat);
  const info = tf.backend_util.computeConv2DInfo(x4.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const g = geom(info);
  const cout = info.outChannels;
  const p = g.n * g.oh * g.ow;

  const k = g.kh * g.kw * g.cin;
  const trivial = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.top === 0 && g.left === 0 && g.oh === g.h && g.ow === g.w;
  const simd = trivial && k % 4 === 0 && cout % 8 === 0 && p > 0 ? simdKernels(backend) : undefined;
  if (simd) {
    // Our SIMD kernel reads x [p, cin] and dy [p, cout] where they lie: no transposes, no packing.
    const { tensor } = alloc(backend, filterShape);
    simd.gemmAtB(simd.ptr(x4), simd.ptr(dy4), simd.ptr(tensor), p, k, cout);
    return tensor;
  }
  const dy2d = tf.reshape(dy4, [p, cout]) as tf.Tensor2D;
  // Channel-major x: each patchesT row is then a (strided) window of one plane.
  const channelMajor = () => tf.transpose(x4, [3, 0, 1, 2]);
  if (trivial && cout >= k) {
    // dW^T = dy^T · x: the right operand, which XNNPACK packs anew on every call (a fresh tensor each step,
    // costing several times the product when it is p rows long), is then the narrower x, untransposed.
    // (Not for im2col patches: on the 2x2/2 stem, 3 -> 32, the extra transposes cost more than they save.)
    const dWT = tf.matMul(transpose2d(dy2d), tf.reshape(x4, [p, k]) as tf.Tensor2D) as tf.Tensor2D;
    return tf.reshape(transpose2d(dWT), filterShape);
  }
  const xT = channelMajor();
  const patchesT = trivial ? tf.reshape(xT, [g.cin, p]) : im2colT(backend, xT, g);
  const dW = tf.matMul(patchesT as tf.Tensor2D, dy2d);
  return tf.reshape(dW, filterShape);
});

export const conv2DBackpropFilterConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.Conv2DBackpropFilter,
  backendName,
  kernelFunc: conv2DBackpropFilterImpl,
});
