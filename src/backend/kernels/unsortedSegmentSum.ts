/**
 * UnsortedSegmentSum (missing from tfjs-backend-wasm 4.22; needed by the
 * gradient of gather): out[s, ...] = sum of x[i, ...] over i with ids[i] = s;
 * ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
import * as tf from '@tensorflow/tfjs';
import { tensorKernel } from './common.js';
import { alloc, view } from './storage.js';

export const unsortedSegmentSumImpl = tensorKernel(({ x, segmentIds }, attrs, backend) => {
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  }
  const ids = segmentIds.dtype === 'int32' ? segmentIds : tf.cast(segmentIds, 'int32');
  const inner = tf.util.sizeFromShape(x.shape.slice(ids.rank));
  const outShape = [numSegments, ...x.shape.slice(ids.rank)];
  const { tensor, values: out } = alloc(backend, outShape, x.dtype);
  const xv = view(backend, x);
  const idv = view(backend, ids);
  out.fill(0);
  for (let i = 0; i < idv.length; i++) {
    const s = idv[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += xv[src + k];
  }
  return tensor;
});

export const unsortedSegmentSumConfig = (backendName: string): tf.KernelConfig => ({
  kernelName: tf.UnsortedSegmentSum,
  backendName,
  kernelFunc: unsortedSegmentSumImpl,
});
