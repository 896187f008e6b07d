/**
 * How the runs of a matrix get executed, behind one small interface: the local process pool (pool.ts) is one
 * Executor, the BullMQ job queue (src/queue/queueExecutor.ts) the other, whose workers reuse `executeRun`. An executor
 * takes run descriptions and hands back one record per run, whatever happens to the run (a failure is a record
 * with status 'failed', never a rejected promise); it rejects only when it cannot execute anything at all.
 */
import { runTraining } from '../train/runTraining.js';
import { runReferenceTraining } from '../crosscheck/referenceRun.js';
import type { EpochMetrics, StepProgress } from '../train/trainer.js';
import type { RunDescription } from './matrix.js';
import { recordProblem } from './recordCheck.js';
import { failedRecord, recordFromSummary, type RecordContext } from './store.js';
import type { RunRecord } from './recordCheck.js';

export interface RunStep {
  /** 1-based */
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  imagesPerSec: number;
}

export type ExecutorEvent =
  | { kind: 'start'; worker: number; run: RunDescription }
  | ({ kind: 'step'; worker: number; runId: string } & RunStep)
  | { kind: 'epoch'; worker: number; runId: string; metrics: EpochMetrics }
  | { kind: 'record'; worker: number; record: RunRecord }
  | { kind: 'worker'; worker: number; state: 'starting' | 'ready' | 'stopped' | 'died'; message?: string };

export interface Executor {
  /** Executes every run of `queue` once; `onRecord` is called once per run, in completion order. */
  run(queue: readonly RunDescription[], onRecord: (r: RunRecord) => void, onProgress?: (e: ExecutorEvent) => void): Promise<void>;
}

export interface ExecuteHooks {
  onStep?: (p: RunStep) => void;
  onEpoch?: (m: EpochMetrics) => void;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.name === 'UserError' || err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
  return String(err);
}

/** Runs one run description in this process: its record, 'failed' when runTraining throws. */
export async function executeRun(run: RunDescription, out: string | null, ctx: RecordContext, hooks: ExecuteHooks = {}): Promise<RunRecord> {
  const t0 = performance.now();
  const r = await executeUnchecked(run, out, ctx, hooks);
  // the store's reader would leave out a record it cannot use: such a run is recorded as failed, saying why
  const why = recordProblem(r);
  return why ? failedRecord(run, `the run gave a record that cannot be stored (${why})`, (performance.now() - t0) / 1000, ctx) : r;
}

async function executeUnchecked(run: RunDescription, out: string | null, ctx: RecordContext, hooks: ExecuteHooks): Promise<RunRecord> {
  const t0 = performance.now();
  const metrics: EpochMetrics[] = [];
  const epochs = run.spec.train.epochs ?? 0;
  const trainHooks = {
    onStep: (p: StepProgress) => hooks.onStep?.({ ...p, epoch: p.epoch + 1, epochs }),
    onEpoch: (m: EpochMetrics) => {
      metrics.push(m);
      hooks.onEpoch?.(m);
    },
  };
  if (run.engine === 'torch') {
    // the reference trainer's records name torch where ours name the tfjs backend (data and init are still ours)
    const { adapter: _tfjsAdapter, ...cpu } = ctx;
    try {
      const s = await runReferenceTraining(run.spec, out, trainHooks);
      return recordFromSummary(run, s, { ...cpu, backend: s.engine });
    } catch (err) {
      return failedRecord(run, errorMessage(err), (performance.now() - t0) / 1000, { ...cpu, backend: 'torch' }, metrics);
    }
  }
  try {
    return recordFromSummary(run, await runTraining(run.spec, out, trainHooks), ctx);
  } catch (err) {
    return failedRecord(run, errorMessage(err), (performance.now() - t0) / 1000, ctx, metrics);
  }
}

// ---- the messages between a pool and its worker processes ----

export type ToWorker = { type: 'init' } | { type: 'run'; run: RunDescription; out: string | null } | { type: 'exit' };

export type FromWorker =
  | { type: 'ready'; backend: string; tfjsVersion: string }
  | { type: 'fatal'; message: string }
  | ({ type: 'step'; runId: string } & RunStep)
  | { type: 'epoch'; runId: string; metrics: EpochMetrics }
  | { type: 'record'; record: RunRecord };
