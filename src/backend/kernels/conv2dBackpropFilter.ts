/**
 * Conv2DBackpropFilter. On wasm, by our SIMD kernels (src/backend/simd): a plain 1x1 conv whose channels suit it
 * as dW = x^T · dy (gemm_atb) on x and dy as they lie; any other conv (kxk, strided, padded, narrow channels) by
 * conv_bwd_filter, the same register block over the output pixels with x shifted per tap, on x zero-padded once
 * (no im2col, which costs more than the products it feeds).
 * Elsewhere (cpu, or the kernels turned off) one matrix product: dW[kh*kw*cin, cout] = patchesT · dy2d,
 * where patchesT [kh*kw*cin, n*oh*ow] is the transposed im2col of x.
 * The product runs on the backend's untransposed 2-D matMul, the only matMul
 * path the wasm backend sends to XNNPACK (transposed or batched ones use a
 * scalar loop, far slower). A 1x1 conv that widens or keeps the width (cout >= cin) computes dW^T = dy^T · x
 * instead, so that the operand XNNPACK packs per call is the narrower one or, at equal width, so that the
 * transposes are a 3-D one of dy and a tiny one of dW^T instead of a 4-D one of x. */
import * as tf from '@tensorflow/tfjs';
import { simdKernels, type SimdKernels } from '../simd/simd.js';
import { tensorKernel, toNHWC, transpose2d } from './common.js';
import { alloc, geom, im2colT, view, window4dChannels, type ConvGeom } from './storage.js';

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
  const simd0 = simdKernels(backend);
  const simd = trivial && k % 4 === 0 && cout % 8 === 0 && p > 0 ? simd0 : undefined;
  if (simd) {
    // Our SIMD kernel reads x [p, cin] and dy [p, cout] where they lie: no transposes, no packing.
    const { tensor } = alloc(backend, filterShape);
    simd.gemmAtB(simd.ptr(x4), simd.ptr(dy4), simd.ptr(tensor), p, k, cout);
    return tensor;
  }
  if (simd0 && p > 0) return simdFilterGrad(backend, simd0, x4, dy4, g, cout, filterShape);
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

/**
 * Any other conv on wasm: our SIMD kernel over x padded to the window the taps read (and widened to a multiple of
 * 4 channels) and dy (widened to a multiple of 4 channels when it is not one); a widened dW is cropped after.
 */
function simdFilterGrad(
  backend: tf.KernelBackend,
  simd: SimdKernels,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  g: ConvGeom,
  cout: number,
  filterShape: number[],
): tf.Tensor {
  const cin4 = Math.ceil(g.cin / 4) * 4;
  const cout4 = Math.ceil(cout / 4) * 4;
  const hp = (g.oh - 1) * g.sh + g.kh;
  const wp = (g.ow - 1) * g.sw + g.kw;
  const asIs = g.top === 0 && g.left === 0 && hp === g.h && wp === g.w && cin4 === g.cin;
  const xp = asIs ? x : window4dChannels(backend, x, -g.top, -g.left, hp, wp, cin4);
  const dyp = cout4 === cout ? dy : window4dChannels(backend, dy, 0, 0, g.oh, g.ow, cout4);
  const wide = cin4 !== g.cin || cout4 !== cout;
  const { tensor } = alloc(backend, wide ? [g.kh, g.kw, cin4, cout4] : filterShape);
  simd.convFilterGrad(simd.ptr(xp), simd.ptr(dyp), simd.ptr(tensor), g.n, hp, wp, cin4, g.oh, g.ow, cout4, g.kh, g.kw, g.sh, g.sw);
  if (!wide) return tensor;
  const { tensor: dW, values } = alloc(backend, filterShape);
  const src = view(backend, tensor);
  for (let t = 0; t < g.kh * g.kw; t++) {
    for (let ci = 0; ci < g.cin; ci++) {
      const s = (t * cin4 + ci) * cout4;
      values.set(src.subarray(s, s + cout), (t * g.cin + ci) * cout);
    }
  }
  return dW;
}

export const conv2DBackpropFilterConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.Conv2DBackpropFilter,
  backendName,
  kernelFunc: conv2DBackpropFilterImpl,
});
