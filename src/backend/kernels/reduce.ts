/**
 * Sum / Mean front-ends for wasm. The stock kernels reduce only innermost
 * axes, so reducing the leading axes of NHWC data (batch-norm statistics,
 * the gradients of every per-channel broadcast, global average pooling)
 * first transposes the whole tensor. An average pooling over the reduced
 * block (XNNPACK, contiguous reads) gives the same mean far faster.
 */
import * as tf from '@tensorflow/tfjs';
import { tensorKernel } from './common.js';
import { alloc, view } from './storage.js';

/** The contiguous block [a, b] of reduced axes, if it leaves a trailing dim; else null. */
function leadingBlock(shape: number[], axis: number | number[]): [number, number] | null {
  const axes = [...new Set(tf.util.parseAxisParam(axis, shape))].sort((p, q) => p - q);
  if (axes.length === 0) return null;
  const a = axes[0];
  const b = axes[axes.length - 1];
  if (b - a + 1 !== axes.length || b === shape.length - 1) return null;
  return [a, b];
}

/**
 * t * r as a new tensor, in JS (the same float32 products as a Multiply kernel: the exact double product of two
 * float32 values, rounded once); the means are small ([channels]), where a kernel call costs more than the loop.
 */
function times(backend: tf.KernelBackend, t: tf.Tensor, r: number): tf.Tensor {
  const { tensor, values } = alloc(backend, t.shape);
  const src = view(backend, t);
  for (let i = 0; i < src.length; i++) values[i] = src[i] * r;
  return tensor;
}

function viaAvgPool(kind: 'sum' | 'mean') {
  return tensorKernel(({ x }, attrs, backend) => {
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const [a, b] = leadingBlock(x.shape, axis)!;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, a));
    const r = tf.util.sizeFromShape(x.shape.slice(a, b + 1));
    const t = tf.util.sizeFromShape(x.shape.slice(b + 1));
    const pooled = tf.avgPool(tf.reshape(x, [outer, r, 1, t]) as tf.Tensor4D, [r, 1], 1, 'valid');
    const value = kind === 'sum' ? (pooled.size <= 4096 ? times(backend, pooled, r) : tf.mul(pooled, r)) : pooled;
    const outShape = keepDims ? x.shape.map((d, i) => (i >= a && i <= b ? 1 : d)) : [...x.shape.slice(0, a), ...x.shape.slice(b + 1)];
    return tf.reshape(value, outShape);
  });
}

function reduceConfig(kind: 'sum' | 'mean', stock: tf.KernelConfig): tf.KernelConfig {
  const fast = viaAvgPool(kind);
  return {
    kernelName: kind === 'sum' ? tf.Sum : tf.Mean,
    backendName: stock.backendName,
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { axis } = args.attrs as unknown as tf.SumAttrs;
      const handled = x.dtype === 'float32' && tf.util.sizeFromShape(x.shape) > 0 && leadingBlock(x.shape, axis) != null;
      return handled ? fast(args) : stock.kernelFunc(args);
    },
  };
}

export const sumConfig = (stock: tf.KernelConfig) => reduceConfig('sum', stock);
export const meanConfig = (stock: tf.KernelConfig) => reduceConfig('mean', stock);
