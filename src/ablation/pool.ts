/**
 * The local executor: a pool of worker processes (child_process.fork of dist/src/ablation/poolWorker.js), one per core
 * by default. Each worker selects the coordinator's backend (named in its environment: runBackend.ts), then takes
 * one run at a time over IPC. A worker that dies (crash, out of memory, killed) costs only its current run, which is
 * recorded as 'failed' with the reason and the tail of its stderr; a replacement worker takes over the rest of the
 * queue. Workers that keep dying before they are ready (e.g. the backend is missing) stop the pool with an error.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EpochMetrics } from '../train/trainer.js';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/provenance.js';
import type { Executor, ExecutorEvent, FromWorker, ToWorker } from './executor.js';
import { runKey, type RunDescription } from './matrix.js';
import { backendEnv, backendMismatch } from './runBackend.js';
import { failedRecord, type RecordContext } from './store.js';
import type { RunRecord } from './recordCheck.js';

export interface PoolOptions {
  /** worker processes (default: one per core; never more than runs) */
  workers?: number;
  /** the backend the coordinator selected ('tensorflow', 'webgpu', 'wasm' or 'cpu'): every worker selects the same */
  backend: string;
  /** per-run folders (metrics.jsonl, summary.json, deploy/) go to <runsDir>/<runId>; null: none */
  runsDir: string | null;
  /** provenance for the records the pool writes itself (runs whose worker died) */
  context: RecordContext;
  /** default: dist/src/ablation/poolWorker.js of this package */
  workerScript?: string;
  /** more environment for the workers (tests), over the backend's */
  env?: NodeJS.ProcessEnv;
}

interface Worker {
  slot: number;
  child: ChildProcess;
  ready: boolean;
  stopping: boolean;
  current: RunDescription | null;
  started: number;
  metrics: EpochMetrics[];
  output: string[];
}

const START_FAILURES = 3;

export function defaultWorkers(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** SIGKILL to a worker's process group (the worker and its children), or to the worker alone where that fails. */
export function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

export function workerScript(): string {
  return path.join(packageRoot(), 'dist', 'src', 'ablation', 'poolWorker.js');
}

export class LocalPool implements Executor {
  private readonly workers = new Set<Worker>();

  constructor(private readonly opts: PoolOptions) {}

  /**
   * Kills every worker at once, with whatever it started (a reference trainer, hung or not): each worker leads its
   * own process group. Their current runs get no record: a resume reruns them.
   */
  kill(): void {
    for (const w of this.workers) {
      w.stopping = true;
      w.current = null;
      killGroup(w.child);
    }
  }

  run(queue: readonly RunDescription[], onRecord: (r: RunRecord) => void, onProgress: (e: ExecutorEvent) => void = () => {}): Promise<void> {
    const script = this.opts.workerScript ?? workerScript();
    if (!existsSync(script)) return Promise.reject(new UserError(`${script} is missing: run \`npm run build\` first`));
    if (queue.length === 0) return Promise.resolve();
    const slots = Math.max(1, Math.min(this.opts.workers ?? defaultWorkers(), queue.length));
    return new Promise<void>((resolve, reject) => {
      const run = new PoolRun(this.opts, script, this.workers, queue, { onRecord, onProgress, resolve, reject, kill: () => this.kill() });
      for (let slot = 0; slot < slots; slot++) run.spawn(slot);
    });
  }
}

interface PoolRunCallbacks {
  onRecord: (r: RunRecord) => void;
  onProgress: (e: ExecutorEvent) => void;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** kills every worker of the pool */
  kill: () => void;
}

function send(w: Worker, msg: ToWorker): void {
  try {
    w.child.send(msg);
  } catch {
    // the worker is dying: its exit event handles the rest
  }
}

/** One matrix on the pool: spawns workers, dispatches runs, turns every result or crash into one record. */
class PoolRun {
  private readonly pending: RunDescription[];
  private outstanding: number;
  private startFailures = 0;
  private settled = false;

  constructor(
    private readonly opts: PoolOptions,
    private readonly script: string,
    private readonly workers: Set<Worker>,
    queue: readonly RunDescription[],
    private readonly cb: PoolRunCallbacks,
  ) {
    this.pending = [...queue];
    this.outstanding = this.pending.length;
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cb.kill();
    this.cb.reject(err);
  }

  private maybeDone(): void {
    if (!this.settled && this.outstanding === 0 && this.workers.size === 0) {
      this.settled = true;
      this.cb.resolve();
    }
  }

  private record(w: Worker, r: RunRecord): void {
    w.current = null;
    this.outstanding--;
    try {
      this.cb.onRecord(r);
      this.cb.onProgress({ kind: 'record', worker: w.slot, record: r });
    } catch (err) {
      this.fail(err);
    }
  }

  private dispatch(w: Worker): void {
    if (this.settled) return;
    const next = this.pending.shift();
    if (!next) {
      w.stopping = true;
      send(w, { type: 'exit' });
      return;
    }
    w.current = next;
    w.started = performance.now();
    w.metrics = [];
    this.cb.onProgress({ kind: 'start', worker: w.slot, run: next });
    send(w, { type: 'run', run: next, out: this.opts.runsDir ? path.join(this.opts.runsDir, runKey(next)) : null });
  }

  spawn(slot: number): void {
    const child = fork(this.script, [], {
      // its own process group: a kill reaches the processes it started too (./pool.ts killGroup)
      detached: true,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...backendEnv(this.opts.backend), ...this.opts.env },
      serialization: 'json',
    });
    const w: Worker = { slot, child, ready: false, stopping: false, current: null, started: 0, metrics: [], output: [] };
    this.workers.add(w);
    this.cb.onProgress({ kind: 'worker', worker: slot, state: 'starting' });
    const keep = (chunk: Buffer) => {
      w.output.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      if (w.output.length > 20) w.output.splice(0, w.output.length - 20);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (msg: FromWorker) => this.onMessage(w, msg));
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (exited) return;
      exited = true;
      this.onExit(w, code, signal, error);
    };
    child.on('exit', (code, signal) => onExit(code, signal));
    child.on('error', (err) => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) return; // exit follows
      onExit(null, null, err);
    });
    send(w, { type: 'init' });
  }

  private onMessage(w: Worker, msg: FromWorker): void {
    const onProgress = this.cb.onProgress;
    switch (msg.type) {
      case 'ready': {
        w.ready = true;
        this.startFailures = 0;
        const mismatch = backendMismatch(this.opts.backend, msg.backend);
        if (mismatch) {
          this.fail(new Error(`a pool worker ${mismatch}`));
          return;
        }
        onProgress({ kind: 'worker', worker: w.slot, state: 'ready' });
        this.dispatch(w);
        return;
      }
      case 'fatal':
        this.fail(new UserError(`a worker could not start: ${msg.message}`));
        return;
      case 'step':
        if (w.current?.runId === msg.runId) {
          const { type: _t, ...rest } = msg;
          onProgress({ kind: 'step', worker: w.slot, ...rest });
        }
        return;
      case 'epoch':
        if (w.current?.runId === msg.runId) {
          w.metrics.push(msg.metrics);
          onProgress({ kind: 'epoch', worker: w.slot, runId: msg.runId, metrics: msg.metrics });
        }
        return;
      case 'record':
        if (w.current?.runId !== msg.record.runId) return;
        this.record(w, msg.record);
        this.dispatch(w);
        return;
    }
  }

  /** A worker's end: its current run gets a failed record; an unexpected death is replaced while runs remain. */
  private onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    this.workers.delete(w);
    const how = error ? `could not run (${error.message})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = w.output.length ? `; its last output: ${w.output.slice(-5).join(' | ')}` : '';
    if (w.current) {
      const run = w.current;
      this.record(w, failedRecord(run, `worker process ${how} during the run${tail}`, (performance.now() - w.started) / 1000, this.opts.context, w.metrics));
    }
    if (this.settled) return;
    const unexpected = !w.stopping;
    this.cb.onProgress({ kind: 'worker', worker: w.slot, state: unexpected ? 'died' : 'stopped', message: unexpected ? `worker ${how}` : undefined });
    if (unexpected && !w.ready && ++this.startFailures >= START_FAILURES) {
      this.fail(new Error(`worker processes keep dying before they are ready (${how}${tail})`));
      return;
    }
    if (unexpected && this.pending.length > 0) this.spawn(w.slot);
    this.maybeDone();
  }
}
