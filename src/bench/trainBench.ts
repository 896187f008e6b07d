/**
 * Training throughput of a fixed reference model (VanillaNet-6 at width 1/16, 32x32x3 inputs, 10 classes, batch 64,
 * AdamW, lambda = 0.5) on every backend configuration we can run, with the effective GFLOP/s
 * (3 x forward MACs x 2 per image: forward, input gradient, weight gradient) and the wasm matrix-product GFLOP/s of
 * this machine as a ceiling.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { UserError } from '../util/errors.js';
import { countModel } from '../models/count.js';
import { modelOptions } from '../models/zoo.js';
import { Model } from '../nn/model.js';
import { AdamW } from '../train/adamw.js';
import { makeTrainable, trainStep, trainStepAsync } from '../train/trainer.js';

export const REFERENCE = { model: 'vanillanet-6', width: 1 / 16, inputSize: 32, classes: 10, batch: 64, lambda: 0.5 } as const;

/** The backends bench-train can time ('all' = every one, each that cannot run says why). */
export const BENCH_BACKENDS = ['all', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

export interface TrainBenchRow {
  backend: string;
  kernels: 'stock' | 'ours';
  /** webgpu: the GPU's name */
  device?: string;
  imagesPerSec: number | null;
  gflops: number | null;
  steps: number;
  reason?: string;
}

export interface TrainBenchResult {
  model: string;
  inputSize: number;
  batch: number;
  macsPerImage: number;
  wasmMatmulGflops: number;
  results: TrainBenchRow[];
}

function referenceOptions() {
  return modelOptions(REFERENCE.model, { width: REFERENCE.width, inputSize: REFERENCE.inputSize, numClasses: REFERENCE.classes });
}

/**
 * Times training steps on the current backend: `warmup` steps, then steps until `minMs` and `minSteps` are met.
 * `readAsync`: read each step's loss with data() (webgpu in Node cannot read synchronously).
 */
async function timeSteps(minMs: number, minSteps: number, warmup: number, readAsync: boolean): Promise<{ imagesPerSec: number; steps: number }> {
  const model = Model.create(REFERENCE.model, referenceOptions(), 'train', 0);
  model.setLambda(REFERENCE.lambda);
  const vars = makeTrainable(model.weights);
  const opt = new AdamW();
  const x = tf.randomNormal([REFERENCE.batch, REFERENCE.inputSize, REFERENCE.inputSize, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([REFERENCE.batch], 0, REFERENCE.classes, 'int32', 2) as tf.Tensor1D;
  const cfg = { labelSmoothing: 0.1, seed: 0, bnMomentum: 0.1 };
  const step = async (i: number) => {
    if (readAsync) await trainStepAsync(model, vars, opt, x, y, REFERENCE.classes, 1e-3, cfg, i);
    else trainStep(model, vars, opt, x, y, REFERENCE.classes, 1e-3, cfg, i);
  };
  try {
    for (let i = 0; i < warmup; i++) await step(i);
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < minMs || steps < minSteps) await step(warmup + steps++);
    const secs = (performance.now() - t0) / 1000;
    return { imagesPerSec: (steps * REFERENCE.batch) / secs, steps };
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

export async function benchTrain(opts: {
  minMs: number; minSteps: number; log: (s: string) => void; skipCpuStock?: boolean; backend?: BenchBackend;
}): Promise<TrainBenchResult> {
  const macsPerImage = countModel(Model.descriptionOf(REFERENCE.model, referenceOptions(), 'train')).macs;
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
      const r = await timeSteps(slow ? 0 : opts.minMs, slow ? 2 : opts.minSteps, 1, c.backend === 'webgpu');
      Object.assign(row, { imagesPerSec: r.imagesPerSec, gflops: gflops(r.imagesPerSec), steps: r.steps });
      opts.log(`  ${r.imagesPerSec.toFixed(1)} images/s (${gflops(r.imagesPerSec).toFixed(2)} GFLOP/s effective)`);
    } catch (e) {
      row.reason = (e as Error).message.split(/[\n;]/)[0];
      opts.log(`  cannot run: ${row.reason}`);
    }
    results.push(row);
  }
  return { model: REFERENCE.model, inputSize: REFERENCE.inputSize, batch: REFERENCE.batch, macsPerImage, wasmMatmulGflops, results };
}
