/**
 * `ablate --dry-run`: the runs a matrix would train, in dispatch order, each with its estimated time, and the whole
 * matrix's estimated wall time on the workers (list scheduling, as the pool hands runs out). Nothing is trained or
 * written.
 *
 * The seconds come from the dispatch order's cost model (dispatchOrder.ts) scaled to wall time on the wasm backend
 * with our SIMD kernels, one worker per core of the project's 2-core VM: fitted to the committed matrices made with
 * those kernels (table3-full: 24 runs, table2-long: 12 runs, table2 quick in a fresh clone), which it predicts within
 * ~10% per matrix and ~30% per run. Another machine or backend scales it; `ablate` prints its own ETA as runs finish.
 */
import { estimatedCost } from './dispatchOrder.js';
import { describeFactors, type RunDescription } from './matrix.js';
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

/** `ordered`: the selected runs in dispatch order; `done`: the run keys already ok. */
export function planMatrix(ordered: readonly RunDescription[], done: (r: RunDescription) => boolean, workers: number): Plan {
  const runs = ordered.map((r) => ({
    run: `${r.cell.label} ${describeFactors(r.cell.factors)} seed ${r.seed}`,
    runId: r.runId,
    seed: r.seed,
    done: done(r),
    estimatedSeconds: Math.round(estimatedSeconds(r)),
  }));
  const todo = runs.filter((r) => !r.done).map((r) => r.estimatedSeconds);
  return { runs, workers, estimatedSeconds: Math.round(makespan(todo, workers)), basis: ESTIMATE_BASIS };
}

/** The listing on stdout: one line per run, then the total. */
export function formatPlan(p: Plan, header: string): string {
  const width = Math.max(...p.runs.map((r) => r.run.length), 3);
  const lines = p.runs.map(
    (r, i) => `${String(i + 1).padStart(4)}  ${r.run.padEnd(width)}  ${r.done ? 'already ok' : `~${formatDuration(r.estimatedSeconds)}`}`,
  );
  const todo = p.runs.filter((r) => !r.done).length;
  return [
    header,
    ...lines,
    `${todo} run${todo === 1 ? '' : 's'} to train${todo < p.runs.length ? ` (${p.runs.length - todo} already ok)` : ''}: ~${formatDuration(p.estimatedSeconds)} on ${p.workers} worker${p.workers === 1 ? '' : 's'} (estimated for ${p.basis}; nothing was run)`,
  ].join('\n');
}
