/**
 * What travels through the queue: one job per run (cell x seed), its data the run description plus the versions
 * that decide how it is computed and recorded, its return value the run record. Coordinators and workers of
 * different versions refuse each other's jobs with a clear message instead of mixing results.
 */
import type { RunStep } from '../ablation/executor.js';
import { MATRIX_VERSION, type RunDescription } from '../ablation/matrix.js';
import { recordProblem } from '../ablation/recordCheck.js';
import { RECORD_VERSION, type RunRecord } from '../ablation/recordCheck.js';

/**
 * What the worker process tells its sandboxed children (src/queue/processor.ts) through their environment, besides
 * the backend (src/ablation/runBackend.ts).
 */
export const PROCESSOR_ENV = {
  runsDir: 'VANILLABENCH_QUEUE_RUNS_DIR',
  worker: 'VANILLABENCH_QUEUE_WORKER',
} as const;

/** Bump when the job data or the progress messages change shape. */
export const QUEUE_PROTOCOL = 1;

export interface RunJobData {
  protocol: number;
  matrixVersion: number;
  recordVersion: number;
  experiment: string;
  preset: string;
  /** the backend the coordinator asks for ('auto': whatever each worker selected), checked by the worker (runBackend.ts) */
  backend: string;
  run: RunDescription;
}

/** Progress a worker reports (job.updateProgress), at most a few times a second. */
export interface RunJobProgress extends RunStep {
  /** host:pid of the process that trains */
  worker: string;
}

export function jobData(run: RunDescription, backend: string): RunJobData {
  return {
    protocol: QUEUE_PROTOCOL,
    matrixVersion: MATRIX_VERSION,
    recordVersion: RECORD_VERSION,
    experiment: run.experiment,
    preset: run.preset,
    backend,
    run,
  };
}

/**
 * The job id of a run: the experiment name and the runId (a hash of everything that decides the result, and of
 * MATRIX_VERSION), so adding a run twice is a no-op. BullMQ ids must not contain ':' nor be plain integers; experiment
 * names are [A-Za-z0-9._-] and the prefix keeps the id from ever being a number.
 */
export function jobIdOf(run: Pick<RunDescription, 'experiment' | 'runId'>): string {
  return `${run.experiment}.${run.runId}`;
}

/** The job's name in BullMQ (shown by dashboards): experiment, preset and versions. */
export function jobName(d: Pick<RunJobData, 'experiment' | 'preset' | 'matrixVersion' | 'recordVersion'>): string {
  return `${d.experiment}/${d.preset} m${d.matrixVersion} r${d.recordVersion}`;
}

/** Why a job's data is not of this version (null: it is), in words for an error message. */
export function versionMismatch(data: unknown): string | null {
  const d = data as Partial<RunJobData> | null;
  if (!d || typeof d !== 'object' || typeof d.run !== 'object' || d.run === null) return 'its data is not a vanillabench run';
  if (d.protocol !== QUEUE_PROTOCOL) return `queue protocol ${String(d.protocol)}, this code speaks ${QUEUE_PROTOCOL}`;
  if (d.matrixVersion !== MATRIX_VERSION) return `matrix version ${String(d.matrixVersion)}, this code has ${MATRIX_VERSION}`;
  if (d.recordVersion !== RECORD_VERSION) return `record version ${String(d.recordVersion)}, this code has ${RECORD_VERSION}`;
  return null;
}

/** A worker's return value checked before it goes into the result store. */
export function checkReturnedRecord(v: unknown, run: RunDescription): string | null {
  const r = v as Partial<RunRecord> | null;
  if (!r || typeof r !== 'object') return `the job returned ${v === null ? 'null' : typeof v}, not a run record`;
  if (r.runId !== run.runId) return `the job returned the record of run ${String(r.runId)}, not ${run.runId}`;
  if (r.experiment !== run.experiment || r.preset !== run.preset || r.seed !== run.seed) return 'the returned record names another experiment, preset or seed';
  if (r.status !== 'ok' && r.status !== 'diverged' && r.status !== 'failed') return `the returned record has status ${String(r.status)}`;
  if (r.v !== RECORD_VERSION) return `the returned record has version ${String(r.v)}, this code writes ${RECORD_VERSION}`;
  if (typeof r.cell !== 'object' || r.cell === null || !Array.isArray(r.metrics)) return 'the returned record lacks its cell or metrics';
  if (r.cell.id !== run.cell.id) return `the returned record is of cell ${String(r.cell.id)}, not ${run.cell.id}`;
  if (r.engine !== run.engine) return `the returned record names engine ${String(r.engine)}, the run ${String(run.engine)}`;
  // what the store's reader would refuse never reaches the store
  const why = recordProblem(r);
  return why ? `the returned record cannot be stored: ${why}` : null;
}
