/**
 * `ablate --dry-run`: the runs a matrix would train, in dispatch order, each with its estimated time, and the whole
 * matrix's estimated wall time on the workers (list scheduling, as the pool hands runs out). Nothing is trained or
 * written.
 *
 * The seconds come from the dispatch order's cost model (dispatchOrder.ts) scaled to wall time on the wasm backend
 * with our SIMD kernels, one worker per core of the project's 2-core VM: fitted to the committed matrices made with
 * those kernels (table3-full: 24 runs, table2-long: 12 runs, table2 quick in a fresh clone), which it predicts within
 * ~10% per matrix and ~30% per run. Another machine or backend scales it; `ablate` prints its own ETA as runs finish.
 * So a run whose cell already has an ok run of the same engine in the folder (a resumed matrix) is timed as that
 * cell's fastest one instead (the least disturbed: a wall time counts pauses and other work too): a measurement on
 * this machine and engine beats the model, which knows neither PyTorch's speed (`--engine torch`) nor another CPU's.
 */
import { engineOf, fastestRun } from './analysis.js';
import { estimatedCost } from './dispatchOrder.js';
import { describeFactors, type RunDescription } from './matrix.js';
import type { RunRecord } from './recordCheck.js';
import { formatDuration } from '../util/output.js';

/** Seconds per unit of estimated cost, and a fixed cost per run (worker start-up share, data, final evaluation). */
const SECONDS_PER_COST = 250e-12;
const SECONDS_PER_RUN = 5;

export interface PlannedRun {
  run: string;
  runId: string;
  seed: number;
  /** already ok in the folder: not run again with --resume */
  done: boolean;
  estimatedSeconds: number;
  /** timed as its cell's fastest ok run of the same engine in the folder (else: the cost model) */
  timed: boolean;
}

export interface Plan {
  runs: PlannedRun[];
  workers: number;
  /** the runs still to do, scheduled on the workers */
  estimatedSeconds: number;
  basis: string;
}

export const ESTIMATE_BASIS = 'wasm with our SIMD kernels, one worker per core of a 2-core AMD EPYC VM';

export function estimatedSeconds(run: RunDescription): number {
  return SECONDS_PER_RUN + SECONDS_PER_COST * estimatedCost(run);
}

/** Wall time of `durations` handed out in order, each to the worker that is free first. */
export function makespan(durations: readonly number[], workers: number): number {
  const free = new Array<number>(Math.max(1, workers)).fill(0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] += d;
  }
  return Math.max(...free);
}

const timeKey = (cellId: string, engine: string): string => `${cellId} ${engine}`;

/** Per cell and engine: the wall seconds of its fastest ok run among these records. */
export function measuredTimes(records: Iterable<RunRecord>): Map<string, number> {
  const ok = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const k = timeKey(r.cell.id, engineOf(r));
    if (!ok.has(k)) ok.set(k, []);
    ok.get(k)!.push(r);
  }
  const times = new Map<string, number>();
  for (const [k, runs] of ok) {
    const fastest = fastestRun(runs);
    if (fastest) times.set(k, fastest.seconds);
  }
  return times;
}

/** `ordered`: the selected runs in dispatch order; `done`: the run keys already ok; `measured`: ./measuredTimes of the folder. */
export function planMatrix(
  ordered: readonly RunDescription[],
  done: (r: RunDescription) => boolean,
  workers: number,
  measured: ReadonlyMap<string, number> = new Map(),
): Plan {
  const runs = ordered.map((r) => {
    const t = measured.get(timeKey(r.cell.id, r.engine ?? 'tfjs'));
    return {
      run: `${r.cell.label} ${describeFactors(r.cell.factors)} seed ${r.seed}`,
      runId: r.runId,
      seed: r.seed,
      done: done(r),
      estimatedSeconds: Math.round(t ?? estimatedSeconds(r)),
      timed: t !== undefined,
    };
  });
  const todo = runs.filter((r) => !r.done);
  const timed = todo.filter((r) => r.timed).length;
  const model = `estimated for ${ESTIMATE_BASIS}${ordered.some((r) => r.engine === 'torch') ? ' (a model of our engine, not of PyTorch)' : ''}`;
  const fastest = "cell's fastest ok run in the folder";
  const basis =
    timed === 0
      ? model
      : timed === todo.length
        ? `every run timed by its ${fastest}`
        : `${timed === 1 ? '1 run timed by its' : `${timed} runs timed by their`} ${fastest}; the rest ${model}`;
  return {
    runs,
    workers,
    estimatedSeconds: Math.round(
      makespan(
        todo.map((r) => r.estimatedSeconds),
        workers,
      ),
    ),
    basis,
  };
}

/** The listing on stdout: one line per run, then the total. */
export function formatPlan(p: Plan, header: string): string {
  const width = Math.max(...p.runs.map((r) => r.run.length), 3);
  const lines = p.runs.map(
    (r, i) =>
      `${String(i + 1).padStart(4)}  ${r.run.padEnd(width)}  ${r.done ? 'already ok' : `~${formatDuration(r.estimatedSeconds)}${r.timed ? ' (timed)' : ''}`}`,
  );
  const todo = p.runs.filter((r) => !r.done).length;
  return [
    header,
    ...lines,
    `${todo} run${todo === 1 ? '' : 's'} to train${todo < p.runs.length ? ` (${p.runs.length - todo} already ok)` : ''}: ~${formatDuration(p.estimatedSeconds)} on ${p.workers} worker${p.workers === 1 ? '' : 's'} (${p.basis}; nothing was run)`,
  ].join('\n');
}
