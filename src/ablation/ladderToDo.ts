/**
 * What a budget ladder still has to run, and what that would cost, from the ladder's own measurements: per rung, the
 * runs its experiment declared (every cell seen at any rung x the seeds declared for it) that are not ok yet. Each is
 * timed as its cell's fastest run at the made rung nearest in budget, times the budget ratio (a run's time grows with
 * its training images x epochs), and the rung's runs are handed to the workers costliest first (./plan.ts's
 * makespan). A cell never timed at any rung is counted, not timed. The fastest run is the least disturbed one (a wall
 * time counts pauses and other work too); one made with an older, slower engine makes the figure high.
 */
import { cellKey, type CellSummary } from './analysis.js';
import type { LadderSummary } from './ladder.js';
import { makespan } from './plan.js';
import { paperNetworkName } from '../models/paper.js';
import { formatDuration } from '../util/output.js';

/** The workers the wall time is given for: one per core of the project's 2-core machine. */
export const TODO_WORKERS = 2;

export interface NetworkToDo {
  network: string;
  runs: number;
  /** sum of its timed runs' estimates (untimed runs left out) */
  workerSeconds: number;
  untimed: number;
  /** where its times come from: '<rung label> (<day>, <commit>)' of each cell's fastest run, unique, cells in order */
  timedAt: string[];
}

export interface RungToDo {
  label: string;
  preset: string;
  budget: number;
  networks: NetworkToDo[];
  runs: number;
  workerSeconds: number;
  untimed: number;
  /** the timed runs on TODO_WORKERS workers, costliest first */
  wallSeconds: number;
}

interface LadderCell {
  network: string;
  entry: number;
  /** per rung: the cell's summary there (undefined: no record of it at that rung) */
  at: (CellSummary | undefined)[];
}

/** Every cell of the ladder, in the order first seen (rung by rung), with its summary at each rung. */
function ladderCells(l: LadderSummary): LadderCell[] {
  const cells = new Map<string, LadderCell>();
  l.rungs.forEach((r, i) => {
    for (const c of r.summary?.cells ?? []) {
      const k = cellKey(c.cell);
      const lc = cells.get(k) ?? { network: paperNetworkName(c.cell.model), entry: c.cell.entry, at: l.rungs.map(() => undefined) };
      lc.at[i] = c;
      cells.set(k, lc);
    }
  });
  return [...cells.values()];
}

/** The seeds declared for a cell at rung i: its own there, else the rung's declaration, else any rung's (a ladder declares one seed list). */
function declaredAt(l: LadderSummary, c: LadderCell, i: number): number[] {
  const own = c.at[i]?.declared;
  if (own && own.length > 0) return own;
  const rung = l.rungs[i].summary?.declared?.seedsOf(c.entry);
  if (rung && rung.length > 0) return rung;
  return c.at.find((s) => s && s.declared.length > 0)?.declared ?? [];
}

/** One run of the cell at rung i, timed at the rung nearest in budget that has a time (ties: the larger budget). */
function timeAt(l: LadderSummary, c: LadderCell, i: number): { seconds: number; from: number; source: string } | null {
  let best: { seconds: number; from: number; source: string; distance: number } | null = null;
  for (let j = 0; j < c.at.length; j++) {
    const t = c.at[j]?.fastest;
    const from = l.rungs[j].budget;
    if (t == null || !(from > 0)) continue;
    const distance = Math.abs(Math.log(l.rungs[i].budget / from));
    if (!best || distance < best.distance || (distance === best.distance && from > l.rungs[best.from].budget))
      best = {
        seconds: (t.seconds * l.rungs[i].budget) / from,
        from: j,
        source: `${l.rungs[j].label} (${t.date}${t.commit ? `, ${t.commit}` : ''})`,
        distance,
      };
  }
  return best;
}

/** Per rung with runs still to do: what they are and what they would cost. */
export function ladderToDo(l: LadderSummary, workers = TODO_WORKERS): RungToDo[] {
  const cells = ladderCells(l);
  const out: RungToDo[] = [];
  l.rungs.forEach((r, i) => {
    const networks = new Map<string, NetworkToDo>();
    const durations: number[] = [];
    for (const c of cells) {
      const ok = new Set(c.at[i]?.seeds ?? []);
      const missing = declaredAt(l, c, i).filter((s) => !ok.has(s)).length;
      if (missing === 0) continue;
      const n = networks.get(c.network) ?? { network: c.network, runs: 0, workerSeconds: 0, untimed: 0, timedAt: [] };
      n.runs += missing;
      const t = timeAt(l, c, i);
      if (t) {
        n.workerSeconds += missing * t.seconds;
        for (let k = 0; k < missing; k++) durations.push(t.seconds);
        if (!n.timedAt.includes(t.source)) n.timedAt.push(t.source);
      } else n.untimed += missing;
      networks.set(c.network, n);
    }
    if (networks.size === 0) return;
    const list = [...networks.values()];
    out.push({
      label: r.label,
      preset: r.preset,
      budget: r.budget,
      networks: list,
      runs: list.reduce((a, n) => a + n.runs, 0),
      workerSeconds: list.reduce((a, n) => a + n.workerSeconds, 0),
      untimed: list.reduce((a, n) => a + n.untimed, 0),
      wallSeconds: makespan(
        durations.sort((a, b) => b - a),
        workers,
      ),
    });
  });
  return out;
}

/** Markdown lines: one per rung with runs to do, then how the times were made; none when the ladder is complete. */
export function toDoLines(l: LadderSummary, workers = TODO_WORKERS): string[] {
  const todo = ladderToDo(l, workers);
  if (todo.length === 0) return [];
  const hours = (s: number) => formatDuration(s);
  const lines = todo.map((t) => {
    const parts = t.networks.map((n) => {
      const timed = n.runs - n.untimed;
      const cost = timed > 0 ? `~${hours(n.workerSeconds)} of one worker, timed at ${n.timedAt.join(', ')}` : '';
      return `${n.network} ${n.runs} (${[cost, n.untimed ? `${n.untimed} never timed` : ''].filter(Boolean).join('; ')})`;
    });
    const wall = t.runs > t.untimed ? `: ~${hours(t.wallSeconds)} on ${workers} workers${t.untimed ? ' for the timed ones' : ''}` : '';
    return `- ${t.label} (\`${t.preset}\`): ${t.runs} run${t.runs === 1 ? '' : 's'} to go${wall}; ${parts.join(', ')}`;
  });
  return [
    ...lines,
    '',
    `Each run still to go is timed as its cell's fastest run at the nearest rung that has one (the least disturbed: a wall time also counts pauses and other work), times the budget ratio; the runs go to ${workers} workers costliest first. Each network names the rung, day and engine commit of those runs: one timed with an older, slower engine makes its figure high.`,
  ];
}
