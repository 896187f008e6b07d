/**
 * `vanillabench worker --queue redis://host:6379`: takes run jobs from the queue that `ablate --queue` fills,
 * trains each in a child process (BullMQ's sandboxed processor, src/queue/processor.ts), reports progress, and
 * returns the run record as the job's result. Runs on any machine with this repository built.
 *
 * SIGTERM or Ctrl-C: stops taking jobs and finishes the running ones, then exits 0; a second signal stops at once
 * (the unfinished jobs go to other workers once their locks expire). A killed worker's jobs are retaken the same way.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { BACKENDS, backendLine, selectBackend } from '../backend/select.js';
import { describeFactors } from '../ablation/matrix.js';
import { backendEnv } from '../ablation/runBackend.js';
import type { RunRecord } from '../ablation/recordCheck.js';
import {
  checkQueueName,
  checkRedis,
  DEFAULT_QUEUE_NAME,
  parseRedisUrl,
  PASSWORD_ENV,
  redactText,
  redisErrorWarner,
  redisOptions,
} from '../queue/connection.js';
import { PROCESSOR_ENV as ENV, type RunJobData } from '../queue/protocol.js';
import { parseCommandFlags, type CommandSpec } from '../util/args.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputDir.js';
import { formatDuration, log, printJson } from '../util/output.js';
import { packageRoot } from '../util/provenance.js';

export const summary = 'take ablation runs from a Redis job queue (ablate --queue) and train them here; any number of machines';

const SPEC = {
  command: 'worker',
  summary,
  flags: {
    queue: {
      type: 'string',
      required: true,
      description: `Redis URL: redis://[:PASSWORD@]host:port[/db], rediss:// for TLS (or the password in $${PASSWORD_ENV})`,
      valueName: 'url',
    },
    queueName: { type: 'string', default: DEFAULT_QUEUE_NAME, description: "the BullMQ queue (the same as the coordinator's)", valueName: 'name' },
    concurrency: {
      type: 'number',
      integer: true,
      min: 1,
      max: 64,
      default: 1,
      description: 'runs at once, each in its own process (on CPU backends: at most one per core)',
    },
    backend: { type: 'string', default: 'auto', choices: BACKENDS, description: 'tfjs backend for every run here' },
    runsDir: {
      type: 'string',
      description: "keep each run's folder (metrics.jsonl, summary.json, deploy weights) under DIR/<experiment>/<runId>",
      valueName: 'dir',
    },
    lockDuration: {
      type: 'number',
      integer: true,
      min: 1000,
      default: 20_000,
      description: "ms a job stays locked without renewal: a killed worker's job is retaken after about this long",
      valueName: 'ms',
    },
    stalledInterval: {
      type: 'number',
      integer: true,
      min: 500,
      default: 10_000,
      description: "ms between this worker's checks for jobs whose lock expired",
      valueName: 'ms',
    },
  },
} as const satisfies CommandSpec;

export interface WorkerResult {
  queue: string;
  queueName: string;
  worker: string;
  backend: string;
  concurrency: number;
  jobs: { ok: number; diverged: number; failed: number; errors: number };
  wallSeconds: number;
}

export function processorFile(): string {
  return path.join(packageRoot(), 'dist', 'src', 'queue', 'processor.js');
}

/** Resolves once a signal (SIGINT, SIGTERM) has closed the worker after its running jobs; a second signal exits at once. */
function stopOnSignal(worker: Worker<RunJobData, RunRecord>): Promise<void> {
  return new Promise<void>((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        log(`${signal} again: stopping now; the unfinished jobs go to other workers when their locks expire`);
        void worker.close(true).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
        return;
      }
      closing = true;
      log(`${signal}: taking no more jobs, finishing the running ones (${signal} again stops at once)`);
      void worker.close().then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

type JobCounts = WorkerResult['jobs'];

/** Logs each job's start and end, and counts the ends by status. */
function countJobs(worker: Worker<RunJobData, RunRecord>, redact: (s: string) => string): JobCounts {
  const counts: JobCounts = { ok: 0, diverged: 0, failed: 0, errors: 0 };
  const label = (job: { id?: string; data: RunJobData }) => {
    const r = job.data?.run;
    return r ? `${r.experiment} ${r.cell?.label} ${describeFactors(r.cell?.factors ?? {})} seed ${r.seed} (job ${job.id})` : `job ${job.id}`;
  };
  worker.on('active', (job) => log(`started ${label(job)}`));
  worker.on('completed', (job, r) => {
    const status = r && typeof r === 'object' && (r.status === 'ok' || r.status === 'diverged' || r.status === 'failed') ? r.status : 'failed';
    counts[status]++;
    const top1 = r?.valTop1 !== null && r?.valTop1 !== undefined ? `top-1 ${r.valTop1.toFixed(2)}` : (r?.message ?? '').slice(0, 160);
    log(`${status} ${label(job)}: ${top1}${r?.wallSeconds ? ` (${formatDuration(r.wallSeconds)})` : ''}`);
  });
  worker.on('failed', (job, err) => {
    counts.errors++;
    log(`job error ${job ? label(job) : ''}: ${redact(err.message)}`);
  });
  return counts;
}

export async function run(argv: string[]): Promise<void> {
  const f = parseCommandFlags(argv, SPEC);
  if (!f) return;
  const target = parseRedisUrl(f.queue);
  const queueName = checkQueueName(f.queueName);
  if (f.runsDir !== undefined) checkOutputDir(f.runsDir, '--runs-dir'); // before Redis and the backend
  const file = processorFile();
  if (!existsSync(file)) throw new UserError(`${file} is missing: run \`npm run build\` first`);
  const t0 = performance.now();
  const { version } = await checkRedis(target);
  const backend = await selectBackend(f.backend, { log: () => {} });
  log(backendLine(backend));
  const name = `${os.hostname()}-${process.pid}`;
  // the sandboxed children's settings: the backend selected here (as the local pool's workers get it), our name, run folders
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...backendEnv(backend.name), [ENV.worker]: name };
  if (f.runsDir) childEnv[ENV.runsDir] = path.resolve(f.runsDir);
  else delete childEnv[ENV.runsDir];

  const worker = new Worker<RunJobData, RunRecord>(queueName, file, {
    // a worker is a daemon: it keeps reconnecting while Redis is away
    connection: redisOptions(target, { reconnectWindowMs: 0 }),
    concurrency: f.concurrency,
    lockDuration: f.lockDuration,
    stalledInterval: f.stalledInterval,
    maxStalledCount: 1,
    name,
    useWorkerThreads: false,
    // the children's stdout goes to our stderr: with --json, stdout carries our one document only
    workerForkOptions: { stdio: ['ignore', 2, 2, 'ipc'], env: childEnv },
  });
  // from here on a signal closes the worker gracefully, even before it is ready
  const stopped = stopOnSignal(worker);
  worker.on('error', redisErrorWarner(target, log));
  const counts = countJobs(worker, (s) => redactText(s, target.password));
  await worker.waitUntilReady();
  log(
    `worker ${name}: queue '${queueName}' on ${target.redacted} (Redis ${version}), ${f.concurrency} at a time; SIGTERM or Ctrl-C finishes the running jobs and stops`,
  );

  await stopped;

  const result: WorkerResult = {
    queue: target.redacted,
    queueName,
    worker: name,
    backend: backend.name,
    concurrency: f.concurrency,
    jobs: counts,
    wallSeconds: (performance.now() - t0) / 1000,
  };
  if (f.json) printJson(result);
  else
    console.log(
      `worker ${name}: ${counts.ok} ok, ${counts.diverged} diverged, ${counts.failed} failed, ${counts.errors} job errors in ${formatDuration(result.wallSeconds)}`,
    );
}
