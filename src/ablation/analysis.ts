/**
 * The ONE analysis of an ablation, computed only from its runs.jsonl (the last record of each run), so that an
 * interrupted and resumed matrix gives the same result as an uninterrupted one with the same records: no
 * timestamps, no timings, values ordered by seed before any arithmetic. summary.md/summary.csv (./summary.ts) and
 * REPORT.md (src/report/ablationSection.ts) only format what `summarize` returns; verdicts and claims are in
 * ./verdicts.ts.
 *
 * Per cell: mean final validation top-1 over the seeds that finished ok, sample sd, 95% CI (Student t, n - 1
 * df), n. Per comparison: a cell against its baseline (every toggle off / shortcut none; the first value of
 * other factors) and against each cell that differs from it in one factor, as a difference of means with
 * Welch's 95% CI. Beside each, the paper's ImageNet figure for the same configuration (Table 2 / Table 3) and
 * its difference, and a verdict per comparison saying whether the paper's direction reproduced.
 */
import { PAPER, paperNetworkName } from '../models/paper.js';
import { familyDefaults } from '../models/zoo.js';
import type { CellDescription } from './matrix.js';
import { meanCI, mean, welchCI, type DiffCI, type MeanCI } from '../util/stats.js';
import type { RunRecord } from './store.js';
import type { FactorName, FactorValue } from './experiment.js';
import { effectVerdict } from './verdicts.js';

export interface CellSummary {
  cell: CellDescription;
  runs: number;
  ok: number;
  diverged: number;
  failed: number;
  /** seeds of the ok runs, ascending, and their final validation top-1 (%) */
  seeds: number[];
  values: number[];
  top1: MeanCI;
  deployTop1: number;
  trainTop1: number;
  paper: PaperFigure | null;
  /** max |valTop1 - deployValTop1| over the ok runs, percentage points (null: none stored) */
  deployGap: number | null;
  /** mean validation top-1 per epoch over the ok runs with per-epoch metrics (curveRuns of them) */
  curve: { epoch: number; valTop1: number }[];
  curveRuns: number;
  /** position of the cell's first record among the records (REPORT.md lists cells in this order) */
  firstSeen: number;
}

export interface PaperFigure {
  top1: number;
  table: 'Table 2' | 'Table 3';
}

export interface Comparison {
  cell: CellSummary;
  against: CellSummary;
  /** the factors in which the two cells differ */
  differing: FactorName[];
  /** against the cell's baseline (every factor at its baseline value) */
  vsBaseline: boolean;
  effect: DiffCI;
  paperEffect: number | null;
  verdict: string;
}

export interface Summary {
  experiment: string;
  preset: string;
  datasets: string[];
  backends: string[];
  /** backend names alone, and the CPU models of the runs (sorted, unique) */
  backendNames: string[];
  machines: string[];
  commits: string[];
  records: number;
  counts: { ok: number; diverged: number; failed: number };
  factors: FactorName[];
  cells: CellSummary[];
  comparisons: Comparison[];
}

const TABLE2_NETWORKS = new Set(PAPER.table2_ablation.rows.map((r) => r.network));

/** The paper's ImageNet top-1 for a model with these toggles (Table 2, else Table 3), or null. */
export function paperFigure(model: string, t: CellDescription['toggles']): PaperFigure | null {
  const network = paperNetworkName(model);
  if (!TABLE2_NETWORKS.has(network) || t.actNum !== 3) return null;
  if (t.shortcut === (familyDefaults(model).shortcut ?? 'none')) {
    const row = PAPER.table2_ablation.rows.find((r) => r.network === network && r.deepTraining === t.deepTraining && r.seriesAct === t.seriesAct);
    if (row) return { top1: row.top1, table: 'Table 2' };
  }
  if (model === 'vanillanet-6' && t.deepTraining && t.seriesAct) {
    const row = PAPER.table3_shortcut.rows.find((r) => r.shortcut === t.shortcut);
    if (row) return { top1: row.top1, table: 'Table 3' };
  }
  return null;
}

/** Only these factors have a paper counterpart; a comparison over any other has no paper effect. */
const PAPER_FACTORS: readonly string[] = ['deepTraining', 'seriesAct', 'shortcut'];

export function showValue(v: FactorValue | undefined): string {
  return v === true ? 'on' : v === false ? 'off' : String(v);
}

/** Mean validation top-1 per epoch over these runs (epochs any of them reached, ascending). */
function meanCurve(runs: readonly RunRecord[]): { epoch: number; valTop1: number }[] {
  const perRun = runs.map((r) => r.metrics
    .map((e, i) => ({ epoch: Number.isFinite(e.epoch) ? e.epoch : i + 1, valTop1: e.valTop1 }))
    .filter((e) => typeof e.valTop1 === 'number' && Number.isFinite(e.valTop1)));
  const epochs = [...new Set(perRun.flatMap((es) => es.map((e) => e.epoch)))].sort((a, b) => a - b);
  return epochs.map((epoch) => ({ epoch, valTop1: mean(perRun.flatMap((es) => es.filter((e) => e.epoch === epoch).map((e) => e.valTop1))) }));
}

function summarizeCell(list: RunRecord[], firstSeen: number): CellSummary {
  list.sort((a, b) => a.seed - b.seed || (a.runId < b.runId ? -1 : 1));
  const ok = list.filter((r) => r.status === 'ok' && r.valTop1 !== null);
  const cell = list[0].cell;
  const nums = (f: (r: RunRecord) => number | null) => ok.map(f).filter((x): x is number => x !== null);
  const gaps = ok.filter((r) => r.deployValTop1 !== null).map((r) => Math.abs((r.valTop1 as number) - (r.deployValTop1 as number)));
  const withCurve = ok.filter((r) => r.metrics.some((e) => Number.isFinite(e.valTop1)));
  return {
    cell, runs: list.length, ok: ok.length,
    diverged: list.filter((r) => r.status === 'diverged').length,
    failed: list.filter((r) => r.status === 'failed').length,
    seeds: ok.map((r) => r.seed), values: ok.map((r) => r.valTop1 as number),
    top1: meanCI(ok.map((r) => r.valTop1 as number)),
    deployTop1: mean(nums((r) => r.deployValTop1)),
    trainTop1: mean(nums((r) => r.trainTop1)),
    paper: paperFigure(cell.model, cell.toggles),
    deployGap: gaps.length > 0 ? Math.max(...gaps) : null,
    curve: meanCurve(withCurve),
    curveRuns: withCurve.length,
    firstSeen,
  };
}

function compareCells(cells: readonly CellSummary[], factors: FactorName[]): Comparison[] {
  const key = (entry: number, f: Partial<Record<string, FactorValue>>) => `${entry}|${factors.map((k) => JSON.stringify(f[k] ?? null)).join('|')}`;
  const byKey = new Map(cells.map((c) => [key(c.cell.entry, c.cell.factors), c]));
  const comparisons: Comparison[] = [];
  const compare = (cell: CellSummary, against: CellSummary, differing: FactorName[], vsBaseline: boolean) => {
    const effect = welchCI(cell.values, against.values);
    const paperEffect = cell.paper && against.paper && differing.every((k) => PAPER_FACTORS.includes(k))
      ? Math.round((cell.paper.top1 - against.paper.top1) * 100) / 100 : null;
    comparisons.push({ cell, against, differing, vsBaseline, effect, paperEffect, verdict: effectVerdict(effect, paperEffect, cell.ok, against.ok) });
  };
  for (const c of cells) {
    const f = c.cell.factors;
    const differing = factors.filter((k) => k in c.cell.baseline && JSON.stringify(f[k]) !== JSON.stringify(c.cell.baseline[k]));
    if (differing.length === 0) continue;
    const base = byKey.get(key(c.cell.entry, { ...f, ...c.cell.baseline }));
    if (base) compare(c, base, differing, true);
    if (differing.length > 1) {
      for (const k of differing) {
        const partner = byKey.get(key(c.cell.entry, { ...f, [k]: c.cell.baseline[k] }));
        if (partner) compare(c, partner, [k], false);
      }
    }
  }
  return comparisons;
}

/** Summary of records (any order; the last record of each run wins). */
export function summarize(records: readonly RunRecord[]): Summary {
  const latest = new Map<string, RunRecord>();
  for (const r of records) latest.set(r.runId, r);
  const byCell = new Map<string, RunRecord[]>();
  const firstSeen = new Map<string, number>();
  records.forEach((r, i) => {
    if (!firstSeen.has(r.cell.id)) firstSeen.set(r.cell.id, i);
  });
  for (const r of latest.values()) {
    const list = byCell.get(r.cell.id) ?? [];
    list.push(r);
    byCell.set(r.cell.id, list);
  }
  const cells = [...byCell.entries()].map(([id, list]) => summarizeCell(list, firstSeen.get(id) ?? 0));
  cells.sort((a, b) => a.cell.index - b.cell.index || (a.cell.id < b.cell.id ? -1 : 1));

  const factors: FactorName[] = [];
  for (const c of cells) for (const k of Object.keys(c.cell.factors) as FactorName[]) if (!factors.includes(k)) factors.push(k);

  const all = [...latest.values()];
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))].sort();
  return {
    experiment: uniq(all.map((r) => r.experiment)).join(', '),
    preset: uniq(all.map((r) => r.preset)).join(', '),
    datasets: uniq(all.filter((r) => r.status !== 'failed').map((r) => r.dataset)),
    backends: uniq(all.map((r) => `${r.backend} (tfjs ${r.tfjsVersion})`)),
    backendNames: uniq(all.map((r) => r.backend)),
    machines: uniq(all.map((r) => r.machine?.cpuModel ?? null)),
    commits: uniq(all.map((r) => r.commit)),
    records: latest.size,
    counts: {
      ok: all.filter((r) => r.status === 'ok').length,
      diverged: all.filter((r) => r.status === 'diverged').length,
      failed: all.filter((r) => r.status === 'failed').length,
    },
    factors, cells, comparisons: compareCells(cells, factors),
  };
}
