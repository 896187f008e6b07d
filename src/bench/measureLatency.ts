/**
 * Batch-N inference latency of a model, timed with tinybench, summarized by src/util/stats.ts.
 *
 * One timed call = model.predict on a fixed input (created once, outside the timing) + `await out.data()` (so async
 * backends are timed to the end of the computation, readback included) + disposing the output. Warm-up calls run
 * first and are excluded; then calls are timed until BOTH `minTimeMs` of accumulated call time and `minSamples`
 * calls are reached (tinybench's sequential rule). The statistics are computed by computeStats from tinybench's
 * retained samples, so they follow the definitions documented in src/util/stats.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Bench, type BenchOptions } from 'tinybench';
import type { Model } from '../nn/model.js';
import { computeStats, type SampleStats } from '../util/stats.js';

export interface LatencyOptions {
  /** images per call */
  batch: number;
  /** accumulated timed call time to reach (ms) */
  minTimeMs: number;
  /** timed calls to reach */
  minSamples: number;
  /** warm-up time budget (ms), default 250 */
  warmupMs?: number;
  /** warm-up calls (at least), default 3 */
  warmupRuns?: number;
  /** clock in ms (tests inject a stub); default process.hrtime via tinybench's 'auto' provider */
  clock?: () => number;
  /** seed of the random input */
  seed?: number;
  /** called after every call (warm-up and timed), e.g. for a progress line */
  onCall?: (phase: 'warmup' | 'run') => void;
}

export interface LatencyResult extends SampleStats {
  batch: number;
  /** images per second at the mean latency: batch / (mean / 1000) */
  throughput: number;
  /** warm-up calls made (excluded from the statistics) */
  warmupRuns: number;
  /** the timed samples (ms), sorted ascending */
  samplesMs: number[];
}

export interface SampleOptions {
  minTimeMs: number;
  minSamples: number;
  warmupMs?: number;
  warmupRuns?: number;
  clock?: () => number;
  /** called after every call (warm-up and timed), e.g. for a progress line */
  onCall?: (phase: 'warmup' | 'run') => void;
}

/**
 * Times an async call with tinybench (warm-up excluded) and returns the timed samples (ms) and the number of
 * warm-up calls. The building block of measureLatency, usable with any function.
 */
export async function sampleCalls(fn: () => Promise<void>, o: SampleOptions): Promise<{ samples: number[]; warmupRuns: number }> {
  if (!(o.minSamples >= 1) || !Number.isInteger(o.minSamples)) throw new RangeError(`minSamples must be a positive integer, got ${o.minSamples}`);
  if (!(o.minTimeMs >= 0)) throw new RangeError(`minTimeMs must be >= 0, got ${o.minTimeMs}`);
  const warmupRuns = o.warmupRuns ?? 3;
  const warmupMs = o.warmupMs ?? 250;
  let phase: 'warmup' | 'run' = 'run';
  let warmupCalls = 0;
  const options: BenchOptions = {
    time: o.minTimeMs,
    iterations: o.minSamples,
    warmup: warmupRuns > 0 || warmupMs > 0,
    warmupIterations: warmupRuns,
    warmupTime: warmupMs,
    retainSamples: true,
    throws: true,
  };
  if (o.clock) options.now = o.clock;
  else options.timestampProvider = 'auto';
  const bench = new Bench(options);
  bench.add(
    'call',
    async () => {
      if (phase === 'warmup') warmupCalls++;
      await fn();
      o.onCall?.(phase);
    },
    {
      async: true,
      beforeAll(mode) {
        phase = mode ?? 'run';
      },
    },
  );
  await bench.run();
  const task = bench.tasks[0];
  const r = task.result;
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed' || !r.latency.samples) throw new Error(`internal: benchmark ended in state ${r.state}`);
  return { samples: [...r.latency.samples], warmupRuns: warmupCalls };
}

/** A random input of the model's shape for `batch` images (the caller disposes it). */
export function modelInput(model: Model, batch: number, seed = 1): tf.Tensor4D {
  const { inputSize, inputChannels } = model.options;
  return tf.randomNormal([batch, inputSize, inputSize, inputChannels], 0, 1, 'float32', seed) as tf.Tensor4D;
}

/** One inference call as timed: predict, read back, dispose. */
async function inferOnce(model: Model, x: tf.Tensor4D): Promise<void> {
  const out = model.predict(x);
  try {
    await out.data();
  } finally {
    out.dispose();
  }
}

/** Wall time (ms) of one inference call (predict + readback) on a fresh input; nothing is left allocated. */
export async function timeSingleCall(model: Model, batch: number, clock: () => number = () => performance.now()): Promise<number> {
  const x = modelInput(model, batch);
  try {
    const t0 = clock();
    await inferOnce(model, x);
    return clock() - t0;
  } finally {
    x.dispose();
  }
}

/** The statistics of timed calls (ms) of `batch` images each, as every runtime reports them. */
export function latencyResult(samples: readonly number[], warmupRuns: number, batch: number): LatencyResult {
  const stats = computeStats(samples);
  return {
    ...stats,
    batch,
    throughput: stats.mean > 0 ? batch / (stats.mean / 1000) : Number.POSITIVE_INFINITY,
    warmupRuns,
    samplesMs: [...samples].sort((a, b) => a - b),
  };
}

export async function measureLatency(model: Model, opts: LatencyOptions): Promise<LatencyResult> {
  if (!(opts.batch >= 1) || !Number.isInteger(opts.batch)) throw new RangeError(`batch must be a positive integer, got ${opts.batch}`);
  const x = modelInput(model, opts.batch, opts.seed ?? 1);
  try {
    const { samples, warmupRuns } = await sampleCalls(() => inferOnce(model, x), opts);
    return latencyResult(samples, warmupRuns, opts.batch);
  } finally {
    x.dispose();
  }
}
