/**
 * Batch-N inference latency of an exported deploy model in ONNX Runtime, with the same statistics machinery as the
 * tfjs runs (sampleCalls: tinybench, warm-up excluded, sampling until both minimums are met; computeStats).
 *
 * One timed call = session.run on a fixed NCHW input (created once, outside the timing) + reading the output back
 * (every logit is touched, so the result is in host memory, as `await out.data()` ensures for tfjs).
 */
import type { ModelDescription } from '../models/graph.js';
import type { OrtModule, OrtSession } from '../interop/ort.js';
import { latencyResult, sampleCalls, type LatencyOptions, type LatencyResult } from './measureLatency.js';

export interface OrtModelRunner {
  /** one inference call as timed */
  call(): Promise<void>;
}

/** Deterministic pseudo-random NCHW input (the values do not affect the timing of a CNN). */
function randomInput(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** A timed call on `session` for a batch of the description's input shape. */
export function ortRunner(ort: OrtModule, session: OrtSession, desc: ModelDescription, batch: number, seed = 1): OrtModelRunner {
  const [h, w, c] = desc.inputShape;
  const input = new ort.Tensor('float32', randomInput(batch * c * h * w, seed), [batch, c, h, w]);
  const feeds = { [session.inputNames[0]]: input };
  const outName = session.outputNames[0];
  let sink = 0;
  return {
    async call() {
      const out = await session.run(feeds);
      const y = out[outName].data as Float32Array;
      for (let i = 0; i < y.length; i++) sink += y[i];
      if (Number.isNaN(sink)) sink = 0; // keeps the read observable without letting NaN stick
    },
  };
}

/** Wall time (ms) of one call. */
export async function timeSingleOrtCall(r: OrtModelRunner, clock: () => number = () => performance.now()): Promise<number> {
  const t0 = clock();
  await r.call();
  return clock() - t0;
}

export async function measureOrtLatency(r: OrtModelRunner, opts: LatencyOptions): Promise<LatencyResult> {
  if (!(opts.batch >= 1) || !Number.isInteger(opts.batch)) throw new RangeError(`batch must be a positive integer, got ${opts.batch}`);
  const { samples, warmupRuns } = await sampleCalls(() => r.call(), opts);
  return latencyResult(samples, warmupRuns, opts.batch);
}
