/**
 * BullMQ's sandboxed processor for run jobs: the `worker` command hands this file to BullMQ, which forks one
 * process per concurrency slot and keeps it for the next job. Training runs here, so the worker process's event
 * loop stays free to renew the job locks (a long synchronous tfjs step in the same process would let a lock
 * expire and the job be taken twice), and tfjs's process-global state stays one run per process at a time.
 *
 * The worker passes its settings in the children's environment: the backend it selected (src/ablation/runBackend.ts,
 * as the local pool does), where to keep run folders, its name. A child whose worker process died (SIGKILL) notices
 * at its next training step and exits: BullMQ then gives the job to another worker after stall detection.
 */
import os from 'node:os';
import type { SandboxedJob } from 'bullmq';
import { executeRun } from '../ablation/executor.js';
import { backendMismatch, workerContext } from '../ablation/runBackend.js';
import type { RecordContext } from '../ablation/store.js';
import type { RunRecord } from '../ablation/recordCheck.js';
import { jobProblem, jobRunFolder } from './jobCheck.js';
import { PROCESSOR_ENV as ENV, versionMismatch, type RunJobData, type RunJobProgress } from './protocol.js';

let context: Promise<RecordContext> | null = null;

function recordContext(): Promise<RecordContext> {
  context ??= workerContext(() => {});
  return context;
}

function workerAlive(): boolean {
  return process.connected;
}

export default async function processRunJob(job: SandboxedJob<RunJobData, RunRecord>): Promise<RunRecord> {
  const name = `${process.env[ENV.worker] ?? os.hostname()} (pid ${process.pid})`;
  const mismatch = versionMismatch(job.data);
  if (mismatch) throw new Error(`worker ${name} cannot run job ${job.id}: ${mismatch}; run the same vanillabench version on the coordinator and the workers`);
  // untrusted input: checked before anything is trained or written
  const problem = jobProblem(job.data);
  if (problem) throw new Error(`worker ${name} refuses job ${job.id}: ${problem}`);
  const ctx = await recordContext();
  const want = job.data.backend;
  const wrongBackend = backendMismatch(want, ctx.backend);
  if (wrongBackend) throw new Error(`worker ${name} ${wrongBackend}: start the workers with --backend ${want}`);
  const run = job.data.run;
  const out = jobRunFolder(process.env[ENV.runsDir], run);
  let last = -Infinity;
  return executeRun(run, out, ctx, {
    onStep: (p) => {
      if (!workerAlive()) process.exit(1);
      const t = performance.now();
      if (t - last < 250 && p.step < p.stepsPerEpoch) return;
      last = t;
      const progress: RunJobProgress = { ...p, worker: name };
      try {
        job.updateProgress(progress).catch(() => {});
      } catch {
        // the worker is going away: the check above ends this process at the next step
      }
    },
  });
}
