/**
 * One model/form timed on the chosen runtime (tfjs, or its ONNX export in ONNX Runtime): a probe call that decides
 * whether it is fast enough to time at all, then the measurement, with a progress line meanwhile.
 */
import { exportOnnx } from '../interop/onnxExport.js';
import { createOrtSession, type OrtModule } from '../interop/ort.js';
import type { Model } from '../nn/model.js';
import { load1 } from '../results/latencyRun.js';
import type { LoadWindow } from '../results/latencyFile.js';
import { log } from '../util/output.js';
import { measureLatency, timeSingleCall, type LatencyOptions, type LatencyResult } from './measureLatency.js';
import { measureOrtLatency, ortRunner, timeSingleOrtCall } from './ortLatency.js';

/** How a form is timed: the sampling settings, and the single-call limit above which it is not timed. */
export type MeasureSettings = Pick<LatencyOptions, 'batch' | 'minTimeMs' | 'minSamples' | 'warmupRuns' | 'warmupMs'> & { maxSingleMs: number };

/** One model/form made ready to time on the chosen runtime. */
export interface Timed {
  probe(): Promise<number>;
  measure(o: LatencyOptions): Promise<LatencyResult>;
  dispose(): Promise<void>;
}

export function tfjsTimed(model: Model, batch: number): Timed {
  return {
    probe: () => timeSingleCall(model, batch),
    measure: (o) => measureLatency(model, o),
    dispose: async () => model.dispose(),
  };
}

/** The deploy model exported to ONNX in memory and opened in a session; the tfjs weights are freed at once. */
export async function ortTimed(ort: OrtModule, model: Model, batch: number, threads: number): Promise<Timed> {
  let bytes: Uint8Array;
  try {
    bytes = exportOnnx(model.desc, model.weights).bytes;
  } finally {
    model.dispose();
  }
  const session = await createOrtSession(ort, bytes, { threads });
  const runner = ortRunner(ort, session, model.desc, batch);
  return {
    probe: () => timeSingleOrtCall(runner),
    measure: (o) => measureOrtLatency(runner, o),
    dispose: () => session.release(),
  };
}

/**
 * A progress line while one model/form is timed (instead of silence until it ends): calls so far and an ETA from
 * the sampling minimums, at the start and then every 5 s.
 */
function latencyProgress(prefix: string, probeMs: number, o: { minTimeMs: number; minSamples: number }): { onCall: () => void; stop: () => void } {
  const t0 = performance.now();
  let calls = 0;
  const line = () => {
    const elapsed = performance.now() - t0;
    const perCall = calls > 0 ? elapsed / calls : probeMs;
    const eta = Math.max(o.minTimeMs - elapsed, (o.minSamples - calls) * perCall, 0) / 1000;
    log(`${prefix}: ${calls} calls, ${(elapsed / 1000).toFixed(0)} s, ETA ~${eta.toFixed(0)} s`);
  };
  line();
  const timer = setInterval(line, 5000);
  timer.unref();
  return {
    onCall: () => {
      calls++;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Probe, then measure. The first call carries one-time costs (weight packing, kernel set-up: often 10-30x a warm
 * call), so over the limit it is judged on a second, warm call, unless the cold one was beyond 10x the limit.
 */
export async function probeAndMeasure(
  timed: Timed,
  f: MeasureSettings,
  prefix: string,
): Promise<{ r: LatencyResult; cold: number; load: LoadWindow } | { skip: string }> {
  const cold = await timed.probe();
  let probe = cold;
  if (cold > f.maxSingleMs && cold <= 10 * f.maxSingleMs) probe = await timed.probe();
  if (probe > f.maxSingleMs) {
    return {
      skip:
        probe === cold
          ? `the first (cold) forward pass took ${Math.round(cold)} ms > 10 x --max-single-ms ${f.maxSingleMs}`
          : `a warm forward pass took ${Math.round(probe)} ms > --max-single-ms ${f.maxSingleMs} (cold: ${Math.round(cold)} ms)`,
    };
  }
  const before = load1();
  const progress = latencyProgress(prefix, probe, f);
  try {
    const r = await timed.measure({
      batch: f.batch,
      minTimeMs: f.minTimeMs,
      minSamples: f.minSamples,
      warmupRuns: f.warmupRuns,
      warmupMs: f.warmupMs,
      onCall: progress.onCall,
    });
    return { r, cold, load: { before, after: load1() } };
  } finally {
    progress.stop();
  }
}
