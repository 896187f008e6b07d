/**
 * A budget ladder put together: the folders of an experiment's rungs (results/ablation/<experiment>-<preset>, one
 * per preset of its declared ladder), each summarised alone by ./analysis.ts, and every comparison followed across
 * them. The verdict of a comparison is ./rules.ts's `ladderVerdict` over its rungs (read at the largest), with its
 * bootstrap stability; a rung whose folder or cells are missing makes the comparison interim.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FactorName } from './experiment.js';
import { comparisonKey, summarize, type CellSummary, type Comparison, type Summary } from './analysis.js';
import { readDeclaration, type Declaration } from './declaration.js';
import { bootstrapStability, ladderVerdict, STABLE_SHARE, type EffectVerdict, type LadderVerdict, type RungEffect } from './rules.js';
import { readRuns, RUNS_FILE } from './store.js';

export interface LadderRung {
  preset: string;
  /** '1x', '2x', ... */
  label: string;
  /** training images x epochs relative to the first rung */
  budget: number;
  /** the rung's folder (null: not made yet) */
  folder: string | null;
  summary: Summary | null;
}

export interface LadderEffect {
  key: string;
  /** the two cells at the largest rung that has them */
  cell: CellSummary;
  against: CellSummary;
  differing: FactorName[];
  vsBaseline: boolean;
  paperEffect: number | null;
  /** per rung, in ladder order */
  rungs: RungEffect[];
  ladder: LadderVerdict;
  verdict: EffectVerdict;
  detail: string;
  /** bootstrap stability (share of resamples giving the same verdict); null where not resampled (interim, gated) */
  stability: number | null;
  unstable: boolean;
  /** the scale at the largest rung that has the cells */
  scale: string;
}

export interface LadderSummary {
  experiment: string;
  rungs: LadderRung[];
  effects: LadderEffect[];
}

/** Summarises one folder as a rung (its runs.jsonl and experiment.json). */
export function summarizeFolder(dir: string, rungLabel?: string, warn?: (line: string) => void): Summary {
  const declared = readDeclaration(dir);
  const file = path.join(dir, RUNS_FILE);
  const records = existsSync(file) ? readRuns(file, warn).records : [];
  const label = rungLabel ?? labelIn(declared);
  return summarize(records, { declared, rungLabel: label });
}

/** A folder's rung label in its own ladder ('1x' when it is not in one). */
function labelIn(d: Declaration | null): string {
  if (!d?.ladder) return '1x';
  return d.ladder.labels[d.ladder.presets.indexOf(d.preset)] ?? '1x';
}

/** The folders of the ladder a folder's experiment.json declares (siblings named <experiment>-<preset>). */
export function ladderFolders(dir: string): { presets: string[]; labels: string[]; budgets: number[]; folders: string[] } | null {
  const d = readDeclaration(dir);
  if (!d?.ladder) return null;
  const parent = path.dirname(path.resolve(dir));
  return { ...d.ladder, folders: d.ladder.presets.map((p) => path.join(parent, `${d.experiment}-${p}`)) };
}

/** Reads every rung folder of a ladder (a missing one is a rung not made yet). */
export function readLadder(
  experiment: string,
  ladder: { presets: string[]; labels: string[]; budgets: number[]; folders: string[] },
  warn?: (line: string) => void,
): LadderSummary {
  const rungs = ladder.presets.map((preset, i) => {
    const folder = ladder.folders[i];
    const made = existsSync(path.join(folder, RUNS_FILE));
    const summary = made ? summarizeFolder(folder, ladder.labels[i], warn) : null;
    return { preset, label: ladder.labels[i], budget: ladder.budgets[i], folder: made ? folder : null, summary };
  });
  // where the first rung and this one are both made, the budget ratio of their own declarations (images x epochs)
  const first = rungs[0].summary?.declared?.budgets[0];
  for (const r of rungs) {
    const own = r.summary?.declared?.budgets[0];
    if (typeof first === 'number' && typeof own === 'number' && first > 0) r.budget = own / first;
  }
  return analyseLadder(experiment, rungs);
}

/** Follows every comparison of the rungs across the ladder and takes its verdict. */
export function analyseLadder(experiment: string, rungs: LadderRung[]): LadderSummary {
  const byKey = new Map<string, (Comparison | null)[]>();
  rungs.forEach((r, i) => {
    for (const c of r.summary?.comparisons ?? []) {
      const k = comparisonKey(c);
      const list = byKey.get(k) ?? rungs.map(() => null);
      list[i] = c;
      byKey.set(k, list);
    }
  });
  const effects: LadderEffect[] = [];
  for (const [key, list] of byKey) {
    const last = [...list].reverse().find((c): c is Comparison => c !== null) as Comparison;
    const rungEffects = list.map((c, i): RungEffect => {
      if (c) return { ...c.rung, label: rungs[i].label, budget: rungs[i].budget };
      const declared = rungs[i].summary?.declared?.seedsOf(last.cell.cell.entry) ?? [];
      return { label: rungs[i].label, budget: rungs[i].budget, diffs: new Map(), declared, gate: [], notRun: true };
    });
    const ladder = ladderVerdict(rungEffects, last.paperEffect);
    const stability = bootstrapStability(rungEffects, last.paperEffect, ladder, key);
    effects.push({
      key,
      cell: last.cell,
      against: last.against,
      differing: last.differing,
      vsBaseline: last.vsBaseline,
      paperEffect: last.paperEffect,
      rungs: rungEffects,
      ladder,
      verdict: ladder.verdict,
      detail: ladder.detail,
      stability,
      unstable: stability !== null && stability < STABLE_SHARE,
      scale: last.scale,
    });
  }
  return { experiment, rungs, effects };
}

/** The ladder a folder belongs to (its declared rungs, read from the sibling folders), or the folder alone as a one-rung ladder. */
export function ladderOfFolder(dir: string, summary: Summary, warn?: (line: string) => void): LadderSummary {
  const rungs = ladderFolders(dir);
  if (rungs && summary.declared) return readLadder(summary.declared.experiment, rungs, warn);
  return analyseLadder(summary.experiment, [{ preset: summary.preset, label: '1x', budget: 1, folder: dir, summary }]);
}
