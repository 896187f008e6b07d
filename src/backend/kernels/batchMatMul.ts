/**
 * BatchMatMul front-end for the wasm backend. The stock kernel hands only
 * untransposed, unbatched products to XNNPACK; transposeA/transposeB (which
 * every matMul gradient uses) or a batch dimension fall to a scalar loop that
 * is 10-30x slower. Here a^T b goes to our SIMD gemm_atb where its shape suits it (no transpose at all);
 * otherwise transposes are done explicitly (cheap, O(size)) and
 * a batched `a` times a shared `b` is folded into one 2-D product; what
 * remains (truly batched products) goes to the stock kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { tensorKernel, transpose2d } from './common.js';
import { simdKernels } from '../simd/simd.js';
import { alloc } from './storage.js';

const folded = tensorKernel(({ a, b }, attrs, backend) => {
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const simd = transposeA && !transposeB && batchA === 1 && ac % 4 === 0 && bc % 8 === 0 && ar > 0 ? simdKernels(backend) : undefined;
  if (simd) {
    // a^T b (the weight gradient of a dense layer) by our SIMD kernel, on a and b as they lie
    const { tensor } = alloc(backend, [...outer, ac, bc]);
    simd.gemmAtB(simd.ptr(a), simd.ptr(b), simd.ptr(tensor), ar, ac, bc);
    return tensor;
  }
  // Rows of a batched, untransposed `a` can be stacked: [batch*m, k].
  let a2 = tf.reshape(a, [batchA * ar, ac]) as tf.Tensor2D;
  if (transposeA) a2 = transpose2d(a2);
  let b2 = tf.reshape(b, [br, bc]) as tf.Tensor2D;
  if (transposeB) b2 = transpose2d(b2);
  const m = transposeA ? ac : ar;
  const n = transposeB ? br : bc;
  return tf.reshape(tf.matMul(a2, b2), [...outer, m, n]);
});

export function batchMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: stock.backendName,
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
      const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
      const simple = batchA === 1 && batchB === 1 && !transposeA && !transposeB;
      const foldable = batchB === 1 && (batchA === 1 || !transposeA) && a.dtype === 'float32' && b.dtype === 'float32';
      return simple || !foldable ? stock.kernelFunc(args) : folded(args);
    },
  };
}
