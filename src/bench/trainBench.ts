/**
 * Training throughput of one model cell (by default the fixed reference: VanillaNet-6 at width 1/16, 32x32x3
 * inputs, 10 classes, batch 64, AdamW, lambda = 0.5) on every backend configuration we can run, with the effective
 * GFLOP/s (3 x forward MACs x 2 per image: forward, input gradient, weight gradient) and the wasm matrix-product
 * GFLOP/s of this machine as a ceiling. With `profile`, a second timed pass on wasm/cpu records each kernel's share
 * of the step time (src/backend/kernels/timers.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { UserError } from '../util/errors.js';
import { countModel } from '../models/count.js';
import { modelOptions } from '../models/zoo.js';
import { Model } from '../nn/model.js';
import { AdamW } from '../train/adamw.js';
import { makeTrainable, trainStep, trainStepAsync } from '../train/trainStep.js';
import { withKernelTimers } from '../backend/kernels/timers.js';

export const REFERENCE = { model: 'vanillanet-6', width: 1 / 16, inputSize: 32, classes: 10, batch: 64, lambda: 0.5 } as const;

/** The backends bench-train can time ('all' = every one, each that cannot run says why). */
export const BENCH_BACKENDS = ['all', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

/** What is timed: a zoo model with options (those not given come from the family defaults), a batch and lambda. */
export interface BenchCell {
  model: string;
  /** model options as modelOptions() takes them (width, inputSize, numClasses, stem, deepTraining, ...) */
  options: Record<string, unknown>;
  batch: number;
  lambda: number;
}

export const REFERENCE_CELL: BenchCell = {
  model: REFERENCE.model,
  options: { width: REFERENCE.width, inputSize: REFERENCE.inputSize, numClasses: REFERENCE.classes },
  batch: REFERENCE.batch,
  lambda: REFERENCE.lambda,
};

/** One kernel's share of the profiled steps. */
export interface KernelShare {
  kernel: string;
  msPerStep: number;
  callsPerStep: number;
  /** fraction of the step's wall time */
  share: number;
}

export interface TrainBenchRow {
  backend: string;
  kernels: 'stock' | 'ours';
  /** webgpu: the GPU's name */
  device?: string;
  imagesPerSec: number | null;
  /** images per second of this process's CPU time (user + system): less sensitive to other load on the machine */
  imagesPerCpuSec?: number;
  gflops: number | null;
  steps: number;
  reason?: string;
  /** profile only: per-kernel self time, largest first; 'outside kernels' is JS (tape, gradient functions) */
  profile?: KernelShare[];
}

export interface TrainBenchResult {
  model: string;
  /** resolved model options of the timed cell */
  options: Record<string, unknown>;
  lambda: number;
  inputSize: number;
  batch: number;
  macsPerImage: number;
  wasmMatmulGflops: number;
  results: TrainBenchRow[];
}

/**
 * Times training steps on the current backend: `warmup` steps, then steps until `minMs` and `minSteps` are met.
 * `readAsync`: read each step's loss with data() (webgpu in Node cannot read synchronously).
 */
async function timeSteps(
  cell: BenchCell,
  minMs: number,
  minSteps: number,
  warmup: number,
  readAsync: boolean,
  onTimed?: () => void,
): Promise<{ imagesPerSec: number; imagesPerCpuSec: number; steps: number; ms: number }> {
  const o = modelOptions(cell.model, cell.options);
  const model = Model.create(cell.model, o, 'train', 0);
  model.setLambda(cell.lambda);
  const vars = makeTrainable(model.weights);
  const opt = new AdamW();
  const x = tf.randomNormal([cell.batch, o.inputSize, o.inputSize, o.inputChannels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([cell.batch], 0, o.numClasses, 'int32', 2) as tf.Tensor1D;
  const cfg = { labelSmoothing: 0.1, seed: 0, bnMomentum: 0.1 };
  const step = async (i: number) => {
    const args = { model, vars, opt, x, y, numClasses: o.numClasses, lr: 1e-3, cfg, step: i };
    if (readAsync) await trainStepAsync(args);
    else trainStep(args);
  };
  try {
    for (let i = 0; i < warmup; i++) await step(i);
    onTimed?.();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let steps = 0;
    while (performance.now() - t0 < minMs || steps < minSteps) await step(warmup + steps++);
    const secs = (performance.now() - t0) / 1000;
    const c1 = process.cpuUsage(c0);
    const cpuSecs = (c1.user + c1.system) / 1e6;
    return { imagesPerSec: (steps * cell.batch) / secs, imagesPerCpuSec: (steps * cell.batch) / cpuSecs, steps, ms: secs * 1000 };
  } finally {
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }
}

/** GFLOP/s of a 512x512x512 matrix product on wasm (2 * 512^3 flops). */
function matmulGflops(): number {
  const a = tf.randomNormal([512, 512]);
  const b = tf.randomNormal([512, 512]);
  const once = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    once();
    times.push(performance.now() - t);
  }
  tf.dispose([a, b]);
  times.sort((p, q) => p - q);
  return (2 * 512 ** 3) / (times[Math.floor(times.length / 2)] / 1000) / 1e9;
}

/** Times `steps` steps with every kernel timed; shares of the wall time, largest first. */
async function profileSteps(backendName: string, cell: BenchCell, steps: number): Promise<KernelShare[]> {
  const { result, times } = await withKernelTimers(backendName, (reset) => timeSteps(cell, 0, steps, 1, false, reset));
  const perStep = (ms: number) => ms / result.steps;
  const wallPerStep = result.ms / result.steps;
  const rows: KernelShare[] = [...times.self].map(([kernel, t]) => ({
    kernel,
    msPerStep: perStep(t.ms),
    callsPerStep: t.calls / result.steps,
    share: perStep(t.ms) / wallPerStep,
  }));
  const outside = Math.max(0, wallPerStep - perStep(times.kernelMs));
  rows.push({ kernel: 'outside kernels (JS: tape, gradient functions)', msPerStep: outside, callsPerStep: 0, share: outside / wallPerStep });
  return rows.sort((a, b) => b.msPerStep - a.msPerStep);
}

export async function benchTrain(opts: {
  minMs: number;
  minSteps: number;
  log: (s: string) => void;
  skipCpuStock?: boolean;
  backend?: BenchBackend;
  cell?: BenchCell;
  profile?: boolean;
}): Promise<TrainBenchResult> {
  const cell = opts.cell ?? REFERENCE_CELL;
  const options = modelOptions(cell.model, cell.options);
  const macsPerImage = countModel(Model.descriptionOf(cell.model, options, 'train')).macs;
  const gflops = (ips: number) => (ips * macsPerImage * 2 * 3) / 1e9;
  const results: TrainBenchRow[] = [];
  const configs: { backend: BackendChoice; kernels: 'stock' | 'ours' }[] = [
    { backend: 'tensorflow', kernels: 'stock' },
    { backend: 'webgpu', kernels: 'stock' },
    { backend: 'wasm', kernels: 'ours' },
    { backend: 'wasm', kernels: 'stock' },
    { backend: 'cpu', kernels: 'ours' },
    { backend: 'cpu', kernels: 'stock' },
  ].filter((c) => (opts.backend ?? 'all') === 'all' || c.backend === opts.backend) as { backend: BackendChoice; kernels: 'stock' | 'ours' }[];
  let wasmMatmulGflops = NaN;
  for (const c of configs) {
    const row: TrainBenchRow = { backend: c.backend, kernels: c.kernels, imagesPerSec: null, gflops: null, steps: 0 };
    try {
      if (c.backend === 'cpu' && c.kernels === 'stock' && opts.skipCpuStock) throw new UserError('skipped (--skip-cpu-stock)');
      const info = await selectBackend(c.backend, { ourKernels: c.kernels === 'ours' });
      if (info.adapter) row.device = info.adapter.name;
      if (c.backend === 'wasm' && Number.isNaN(wasmMatmulGflops)) wasmMatmulGflops = matmulGflops();
      opts.log(`timing ${c.backend} with ${c.kernels} kernels...`);
      // the stock cpu (and wasm) kernels take seconds per step: time fewer steps there
      const slow = c.kernels === 'stock' && (c.backend === 'cpu' || c.backend === 'wasm');
      const r = await timeSteps(cell, slow ? 0 : opts.minMs, slow ? 2 : opts.minSteps, 1, c.backend === 'webgpu');
      Object.assign(row, { imagesPerSec: r.imagesPerSec, imagesPerCpuSec: r.imagesPerCpuSec, gflops: gflops(r.imagesPerSec), steps: r.steps });
      opts.log(
        `  ${r.imagesPerSec.toFixed(1)} images/s, ${r.imagesPerCpuSec.toFixed(1)} per CPU second (${gflops(r.imagesPerSec).toFixed(2)} GFLOP/s effective)`,
      );
      if (opts.profile && !slow && (c.backend === 'wasm' || c.backend === 'cpu')) {
        opts.log('  profiling kernels...');
        row.profile = await profileSteps(c.backend, cell, Math.max(3, Math.min(r.steps, opts.minSteps)));
      }
    } catch (e) {
      row.reason = (e as Error).message.split(/[\n;]/)[0];
      opts.log(`  cannot run: ${row.reason}`);
    }
    results.push(row);
  }
  return {
    model: cell.model,
    options: { ...options },
    lambda: cell.lambda,
    inputSize: options.inputSize,
    batch: cell.batch,
    macsPerImage,
    wasmMatmulGflops,
    results,
  };
}
