/**
 * BatchMatMul front-end for the wasm backend. The stock kernel hands only
 * untransposed, unbatched products to XNNPACK; transposeA/transposeB (which
 * every matMul gradient uses) or a batch dimension fall to a scalar loop that
 * is far slower. Here products whose shape suits our SIMD gemm_atb go there (a^T b as the operands lie;
 * dense-layer products whose b XNNPACK would pack per call after transposing); otherwise transposes are done
 * explicitly (cheap, O(size)) and
 * a batched `a` times a shared `b` is folded into one 2-D product; what
 * remains (truly batched products) goes to the stock kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { tensorKernel, transpose2d } from './common.js';
import { simdKernels } from '../simd/simd.js';
import { alloc } from './storage.js';

/**
 * Whether a 2-D product [m, k] x [k, n] goes to our gemm_atb: its block shape (m % 4, n % 8), and either a^T b as
 * it lies or a b operand large against a's rows, which XNNPACK would pack anew on every call (weights change every
 * step): [64, 512] x [512, 512] with a fresh b took 2.1 ms in XNNPACK, 1.1 ms as transposes + gemm_atb; with
 * [4096, 32] x [32, 32] XNNPACK stays faster (0.3 vs 0.7 ms).
 */
function suitsGemmAtB(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): boolean {
  return m % 4 === 0 && n % 8 === 0 && m > 0 && k > 0 && ((transposeA && !transposeB) || k * n >= 8 * m);
}

const folded = tensorKernel(({ a, b }, attrs, backend) => {
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const m = transposeA ? ac : ar;
  const n = transposeB ? br : bc;
  const k = transposeA ? ar : ac;
  const simd = batchA === 1 && suitsGemmAtB(m, k, n, transposeA, transposeB) ? simdKernels(backend) : undefined;
  if (simd) {
    // c = a^T b with both operands k rows long: a^T b as they lie (a dense layer's weight gradient), else transposed
    const at = transposeA ? a : transpose2d(tf.reshape(a, [m, k]) as tf.Tensor2D);
    const bk = transposeB ? transpose2d(tf.reshape(b, [n, k]) as tf.Tensor2D) : b;
    const { tensor } = alloc(backend, [...outer, m, n]);
    simd.gemmAtB(simd.ptr(at), simd.ptr(bk), simd.ptr(tensor), k, m, n);
    return tensor;
  }
  // Rows of a batched, untransposed `a` can be stacked: [batch*m, k].
  let a2 = tf.reshape(a, [batchA * ar, ac]) as tf.Tensor2D;
  if (transposeA) a2 = transpose2d(a2);
  let b2 = tf.reshape(b, [br, bc]) as tf.Tensor2D;
  if (transposeB) b2 = transpose2d(b2);
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
      const [m, k] = a.shape.slice(-2);
      const ours = suitsGemmAtB(m, k, b.shape[b.shape.length - 1], false, false) && simdKernels(args.backend as tf.KernelBackend) !== undefined;
      const simple = batchA === 1 && batchB === 1 && !transposeA && !transposeB && !ours;
      const foldable = batchB === 1 && (batchA === 1 || !transposeA) && a.dtype === 'float32' && b.dtype === 'float32';
      return simple || !foldable ? stock.kernelFunc(args) : folded(args);
    },
  };
}
