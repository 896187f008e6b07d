/**
 * Micro-benchmark of the gradient kernels: stock vs ours on cpu, stock (where
 * one exists) vs ours on wasm, plus the wasm matMul throughput as the
 * machine's practical ceiling. Kernels are invoked directly through the
 * engine, so only the kernel itself is timed.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import {
  ourKernelConfig,
  registerGradientKernels,
  registeredGradientKernels,
  restoreStockKernels,
  type GradientBackend,
} from '../../src/backend/kernels/index.js';

export type KernelImpl = 'cpu-stock' | 'cpu-ours' | 'wasm-stock' | 'wasm-ours';

export interface KernelBenchRow {
  kernel: string;
  /** Human-readable shape summary. */
  case: string;
  impl: KernelImpl;
  /** Median wall time of one kernel call, or null when the kernel does not exist there. */
  ms: number | null;
  /** Useful multiply-adds x2 per second, in GFLOP/s (null for data-movement kernels). */
  gflops: number | null;
  runs: number;
}

export interface KernelBenchResult {
  rows: KernelBenchRow[];
  wasm: { simd: boolean; threads: boolean; threadsCount: number };
  /** wasm 512x512x512 float32 matMul. */
  matMul512: { ms: number; gflops: number };
}

export interface KernelBenchOptions {
  /**
   * Timed runs per measurement (after one warm-up; at least 3 unless the
   * warm-up alone exceeds `budgetMs`, then it is the single sample).
   */
  runs?: number;
  budgetMs?: number;
  /** Skip cpu-stock (several seconds per call for the 1x1 filter gradient). */
  skipCpuStock?: boolean;
  log?: (line: string) => void;
}

interface Case {
  kernel: string;
  label: string;
  /** Useful flops of one call, for the GFLOP/s column; absent for data-movement kernels. */
  flops?: number;
  /** Creates the inputs on the active backend. */
  inputs: () => Record<string, tf.Tensor>;
  attrs: tf.NamedAttrMap;
}

function cases(): Case[] {
  const rnd = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 42);
  return [
    {
      kernel: tf.Conv2DBackpropFilter,
      label: '1x1 s1, x[64,8,8,256] dy[64,8,8,256]',
      flops: 2 * 64 * 8 * 8 * 256 * 256,
      inputs: () => ({ x: rnd([64, 8, 8, 256]), dy: rnd([64, 8, 8, 256]) }),
      attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 1, 256, 256] },
    },
    {
      kernel: tf.Conv2DBackpropFilter,
      label: '4x4 s4, x[64,32,32,3] dy[64,8,8,128]',
      flops: 2 * 64 * 8 * 8 * 4 * 4 * 3 * 128,
      inputs: () => ({ x: rnd([64, 32, 32, 3]), dy: rnd([64, 8, 8, 128]) }),
      attrs: { strides: 4, pad: 'valid', dataFormat: 'NHWC', filterShape: [4, 4, 3, 128] },
    },
    {
      kernel: tf.Conv2DBackpropInput,
      label: '1x1 s1, dy[64,8,8,256] w[1,1,256,256]',
      flops: 2 * 64 * 8 * 8 * 256 * 256,
      inputs: () => ({ dy: rnd([64, 8, 8, 256]), filter: rnd([1, 1, 256, 256]) }),
      attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [64, 8, 8, 256] },
    },
    {
      kernel: tf.DepthwiseConv2dNativeBackpropFilter,
      label: '7x7 same, x[64,8,8,256]',
      flops: 2 * 64 * 8 * 8 * 256 * 49,
      inputs: () => ({ x: rnd([64, 8, 8, 256]), dy: rnd([64, 8, 8, 256]) }),
      attrs: { strides: 1, pad: 'same', dilations: 1, filterShape: [7, 7, 256, 1] },
    },
    {
      kernel: tf.DepthwiseConv2dNativeBackpropInput,
      label: '7x7 same, dy[64,8,8,256]',
      flops: 2 * 64 * 8 * 8 * 256 * 49,
      inputs: () => ({ dy: rnd([64, 8, 8, 256]), filter: rnd([7, 7, 256, 1]) }),
      attrs: { strides: 1, pad: 'same', dilations: 1, inputShape: [64, 8, 8, 256] },
    },
    {
      kernel: tf.DepthwiseConv2dNative,
      label: '7x7 same (forward), x[64,8,8,256]',
      flops: 2 * 64 * 8 * 8 * 256 * 49,
      inputs: () => ({ x: rnd([64, 8, 8, 256]), filter: rnd([7, 7, 256, 1]) }),
      attrs: { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' },
    },
    {
      kernel: tf.Sum,
      label: 'axes [0,1,2] of [64,8,8,256] (BN grads)',
      inputs: () => ({ x: rnd([64, 8, 8, 256]) }),
      attrs: { axis: [0, 1, 2], keepDims: false },
    },
    {
      kernel: tf.MaxPoolGrad,
      label: '2x2 s2, x[64,8,8,256]',
      inputs: () => {
        const input = rnd([64, 8, 8, 256]);
        const output = tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid');
        return { input, output, dy: rnd(output.shape) };
      },
      attrs: { filterSize: 2, strides: 2, pad: 'valid' },
    },
    {
      kernel: tf.BatchMatMul,
      label: 'a^T b, a[4096,256] b[4096,256] (matMul grad)',
      flops: 2 * 4096 * 256 * 256,
      inputs: () => ({ a: rnd([1, 4096, 256]), b: rnd([1, 4096, 256]) }),
      attrs: { transposeA: true, transposeB: false },
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times one call of `kernel` (wasm and cpu kernels are synchronous, so wall
 * time around the call is the kernel's time).
 */
async function timeKernel(c: Case, kernel: tf.KernelConfig, runs: number, budgetMs: number): Promise<{ ms: number; runs: number }> {
  const inputs = c.inputs();
  const once = () => {
    const t0 = performance.now();
    const info = kernel.kernelFunc({ inputs, attrs: c.attrs, backend: tf.backend() }) as tf.TensorInfo;
    const out = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
    const dt = performance.now() - t0;
    out.dataSync();
    out.dispose();
    return dt;
  };
  try {
    // The warm-up call; a call slower than the whole budget is its own measurement.
    const first = once();
    if (first > budgetMs) return { ms: first, runs: 1 };
    const times: number[] = [];
    const start = performance.now();
    while (times.length < runs && (times.length < 3 || performance.now() - start < budgetMs)) times.push(once());
    return { ms: median(times), runs: times.length };
  } finally {
    tf.dispose(Object.values(inputs));
  }
}

export async function benchKernels(options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const runs = options.runs ?? 7;
  const budgetMs = options.budgetMs ?? 3000;
  const log = options.log ?? (() => {});
  const prevBackend = tf.getBackend();
  const prevOurs = {
    cpu: registeredGradientKernels('cpu').length > 0,
    wasm: registeredGradientKernels('wasm').length > 0,
  };
  const rows: KernelBenchRow[] = [];

  const measure = async (backend: GradientBackend, ours: boolean) => {
    const impl = `${backend}-${ours ? 'ours' : 'stock'}` as KernelImpl;
    if (ours) registerGradientKernels(backend);
    else restoreStockKernels(backend);
    await tf.setBackend(backend);
    await tf.ready();
    for (const c of cases()) {
      const kernel = ours ? ourKernelConfig(c.kernel, backend) : tf.getKernel(c.kernel, backend);
      let row: KernelBenchRow;
      if (!kernel) {
        row = { kernel: c.kernel, case: c.label, impl, ms: null, gflops: null, runs: 0 };
      } else {
        const { ms, runs: n } = await timeKernel(c, kernel, runs, budgetMs);
        row = { kernel: c.kernel, case: c.label, impl, ms, gflops: c.flops ? c.flops / ms / 1e6 : null, runs: n };
      }
      rows.push(row);
      log(
        `${impl.padEnd(10)} ${c.kernel.padEnd(36)} ${c.label.padEnd(46)} ` +
          (row.ms == null ? 'n/a' : `${row.ms.toFixed(2)} ms` + (row.gflops == null ? '' : `  ${row.gflops.toFixed(2)} GFLOP/s`)),
      );
    }
  };

  try {
    if (!options.skipCpuStock) await measure('cpu', false);
    await measure('cpu', true);
    await measure('wasm', false);
    await measure('wasm', true);

    // The ceiling: the plain (untransposed, unbatched) matMul XNNPACK runs.
    const a = tf.randomNormal([512, 512]);
    const b = tf.randomNormal([512, 512]);
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      const dt = performance.now() - t0;
      c.dispose();
      if (i >= 2) times.push(dt);
    }
    tf.dispose([a, b]);
    const ms = median(times);
    const matMul512 = { ms, gflops: (2 * 512 ** 3) / ms / 1e6 };
    log(`wasm matMul 512^3: ${ms.toFixed(2)} ms, ${matMul512.gflops.toFixed(1)} GFLOP/s`);

    const wasm = {
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      threadsCount: getThreadsCount(),
    };
    return { rows, wasm, matMul512 };
  } finally {
    for (const backend of ['cpu', 'wasm'] as const) {
      if (prevOurs[backend]) registerGradientKernels(backend);
      else restoreStockKernels(backend);
    }
    if (prevBackend) await tf.setBackend(prevBackend);
  }
}
