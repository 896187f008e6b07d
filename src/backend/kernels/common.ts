/**
 * Glue between tfjs' kernel interface and kernels written with high-level tf ops.
 */
import * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../simd/simd.js';
import { alloc } from './storage.js';

/** Kernel inputs as Tensors; attrs untyped (each kernel casts to its Attrs type). */
export type TensorKernelImpl = (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap, backend: tf.KernelBackend) => tf.Tensor;

/**
 * Inputs reach a kernel as Tensors when called through ops (the normal case);
 * a bare TensorInfo gets a Tensor wrapper holding its own reference, so that
 * tidy() disposing the wrapper leaves the caller's data intact.
 */
function asTensor(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/**
 * Wraps an implementation made of tf ops as a KernelFunc. Everything it
 * allocates is disposed by tidy() except the returned tensor; the engine uses
 * a returned Tensor (it has `rank`) as the kernel output as-is, so no extra
 * reference is taken and nothing leaks. Ops called inside a kernel are not
 * recorded on the gradient tape (the engine is at kernelDepth > 0).
 */
export function tensorKernel(impl: TensorKernelImpl): tf.KernelFunc {
  return ({ inputs, attrs, backend }) =>
    tf.tidy(() => {
      const ts: Record<string, tf.Tensor> = {};
      for (const [k, v] of Object.entries(inputs)) {
        if (v != null) ts[k] = asTensor(v, backend as tf.KernelBackend);
      }
      return impl(ts, attrs ?? {}, backend as tf.KernelBackend);
    });
}

export function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export function assertDilationsOne(kernel: string, dilations: number | [number, number] | undefined): void {
  if (dilations == null) return;
  const [dh, dw] = pair(dilations);
  if (dh !== 1 || dw !== 1) {
    throw new Error(`${kernel}: dilations > 1 are not supported (got ${dilations})`);
  }
}

/** NCHW -> NHWC and back; the kernels compute in NHWC. */
export function toNHWC<T extends tf.Tensor>(t: T, dataFormat: string | undefined): T {
  return dataFormat === 'NCHW' ? (tf.transpose(t, [0, 2, 3, 1]) as T) : t;
}
export function fromNHWC<T extends tf.Tensor>(t: T, dataFormat: string | undefined): T {
  return dataFormat === 'NCHW' ? (tf.transpose(t, [0, 3, 1, 2]) as T) : t;
}
export function nhwcShape(shape: number[], dataFormat: string | undefined): [number, number, number, number] {
  const [a, b, c, d] = shape;
  return dataFormat === 'NCHW' ? [a, c, d, b] : [a, b, c, d];
}

/**
 * Transpose of a 2-D tensor: on wasm by our SIMD kernel (4 x 4 blocks in registers). Otherwise: the wasm 2-D
 * transpose writes with a stride and is much slower than its 3-D one, which writes sequentially; splitting a
 * dimension routes it to the 3-D code (a no-op cost elsewhere).
 */
export function transpose2d(t: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = t.shape;
  const simd = t.dtype === 'float32' ? simdKernels(tf.backend()) : undefined;
  if (simd) {
    const out = alloc(tf.backend(), [c, r]).tensor as tf.Tensor2D;
    simd.transpose(simd.ptr(t), simd.ptr(out), r, c);
    return out;
  }
  const split = smallFactor(r);
  if (split > 1) {
    return tf.reshape(tf.transpose(tf.reshape(t, [split, r / split, c]), [2, 0, 1]), [c, r]);
  }
  const splitC = smallFactor(c);
  if (splitC > 1) {
    return tf.reshape(tf.transpose(tf.reshape(t, [r, splitC, c / splitC]), [1, 2, 0]), [c, r]);
  }
  return tf.transpose(t);
}

/** Smallest factor f > 1 of n with n/f > 1, or 1 when n is prime or < 4. */
function smallFactor(n: number): number {
  for (let f = 2; f * f <= n; f++) if (n % f === 0) return f;
  return 1;
}
