/**
 * Registration of the gradient kernels (and a few faster front-ends) with tfjs.
 *
 * wasm (tfjs-backend-wasm 4.22) lacks Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter/-Input and UnsortedSegmentSum, so
 * training convnets (or anything gathering from a trainable tensor) throws
 * "Kernel ... not registered"; its MaxPoolGrad is wrong for windows of
 * non-positive values; its Conv2DBackpropInput, transposed/batched
 * BatchMatMul, 7x7-like DepthwiseConv2dNative and Sum/Mean over leading axes
 * are several times slower than ours, so those are replaced by front-ends that keep
 * the stock kernel for the cases they do not improve; its Identity and
 * same-dtype Cast copy their input, ours share it. On cpu the stock
 * kernels exist but some are far slower than ours; only those are swapped in.
 * The kernels themselves are backend-neutral (tf ops plus typed-array views of
 * wasm or cpu storage); only the choice of formulation looks at the backend.
 */
import * as tf from '@tensorflow/tfjs';
// The stock wasm kernels must be registered before ours replace some of them.
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulConfig } from './batchMatMul.js';
import { conv2DConfig } from './conv2d.js';
import { conv2DBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2DBackpropInputConfig } from './conv2dBackpropInput.js';
import { depthwiseBackpropFilterConfig } from './depthwiseBackpropFilter.js';
import { depthwiseBackpropInputConfig } from './depthwiseBackpropInput.js';
import { depthwiseConv2dNativeConfig } from './depthwiseConv2d.js';
import { castConfig, identityConfig } from './identity.js';
import { maxPoolGradConfig } from './maxPoolGrad.js';
import { meanConfig, sumConfig } from './reduce.js';
import { unsortedSegmentSumConfig } from './unsortedSegmentSum.js';

export type GradientBackend = 'wasm' | 'cpu';

/** Builds our config for a kernel; `stock` is the backend's own one, if any. */
type Maker = (backendName: string, stock: tf.KernelConfig | undefined) => tf.KernelConfig | undefined;

const wrapStock =
  (wrap: (stock: tf.KernelConfig) => tf.KernelConfig): Maker =>
  (_name, stock) =>
    stock ? wrap(stock) : undefined;

/** Every kernel we implement, by name. */
const MAKERS: Record<string, Maker> = {
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilterConfig,
  [tf.Conv2DBackpropInput]: conv2DBackpropInputConfig,
  [tf.DepthwiseConv2dNativeBackpropFilter]: depthwiseBackpropFilterConfig,
  [tf.DepthwiseConv2dNativeBackpropInput]: depthwiseBackpropInputConfig,
  [tf.UnsortedSegmentSum]: unsortedSegmentSumConfig,
  [tf.MaxPoolGrad]: maxPoolGradConfig,
  [tf.BatchMatMul]: wrapStock(batchMatMulConfig),
  [tf.Conv2D]: wrapStock(conv2DConfig),
  [tf.DepthwiseConv2dNative]: wrapStock(depthwiseConv2dNativeConfig),
  [tf.Sum]: wrapStock(sumConfig),
  [tf.Mean]: wrapStock(meanConfig),
  [tf.Identity]: wrapStock(identityConfig),
  [tf.Cast]: wrapStock(castConfig),
};

/**
 * What each backend gets. The cpu list holds only kernels that measure faster than the stock ones
 * (scripts/bench/kernelBench.ts; the figures are in docs/throughput.md). Not taken on cpu: Conv2DBackpropInput
 * (the cpu matMul is no faster than its direct loop), BatchMatMul, DepthwiseConv2dNative (no gain).
 */
const PLAN: Record<GradientBackend, string[]> = {
  wasm: Object.keys(MAKERS),
  cpu: [tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput, tf.MaxPoolGrad, tf.Sum, tf.Mean],
};

/** Per backend: kernel name -> the stock config we displaced (undefined if there was none). */
const displaced = new Map<GradientBackend, Map<string, tf.KernelConfig | undefined>>();

/**
 * Registers our kernels for `backendName` (idempotent) and returns their names.
 * Stock kernels that get replaced are kept for restoreStockKernels().
 */
export function registerGradientKernels(backendName: GradientBackend): string[] {
  const done = displaced.get(backendName);
  if (done) return [...done.keys()];
  const saved = new Map<string, tf.KernelConfig | undefined>();
  for (const name of PLAN[backendName]) {
    const stock = tf.getKernel(name, backendName);
    const ours = MAKERS[name](backendName, stock);
    if (!ours) continue;
    // Re-registering only warns in tfjs 4.22, but be explicit about the swap.
    if (stock) tf.unregisterKernel(name, backendName);
    tf.registerKernel(ours);
    saved.set(name, stock);
  }
  displaced.set(backendName, saved);
  return [...saved.keys()];
}

/** Undoes registerGradientKernels(backendName); returns the names restored. */
export function restoreStockKernels(backendName: GradientBackend): string[] {
  const saved = displaced.get(backendName);
  if (!saved) return [];
  for (const [name, stock] of saved) {
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    if (stock) tf.registerKernel(stock);
  }
  displaced.delete(backendName);
  return [...saved.keys()];
}

/** Names of our kernels currently registered for `backendName`. */
export function registeredGradientKernels(backendName: GradientBackend): string[] {
  return [...(displaced.get(backendName)?.keys() ?? [])];
}

/**
 * Our implementation of `name` for `backendName` whether or not the plan
 * registers it there (for benchmarks); undefined if we have none.
 */
export function ourKernelConfig(name: string, backendName: GradientBackend): tf.KernelConfig | undefined {
  const saved = displaced.get(backendName);
  const stock = saved?.has(name) ? saved.get(name) : tf.getKernel(name, backendName);
  return MAKERS[name]?.(backendName, stock);
}
