/**
 * The ONE analysis of an ablation, computed only from its runs.jsonl (the last record of each run), so that an
 * interrupted and resumed matrix gives the same result as an uninterrupted one with the same records: no
 * timestamps, no timings, values ordered by seed before any arithmetic. summary.md/summary.csv (./summary.ts) and
 * REPORT.md (src/report/ablationSection.ts) only format what `summarize` returns; verdicts and claims are in
 * ./verdicts.ts.
 *
 * The figure of a run: its test-split top-1 (`testTop1`) when the record has one, else its final validation top-1
 * (older records). Per cell: mean figure over the seeds that finished ok, sample sd, 95% CI (Student t, n - 1 df),
 * n, the seeds its experiment declared (experiment.json) and the per-run gate (runs near chance). Per comparison: a
 * cell against its baseline (every toggle off / shortcut none; the first value of other factors) and against each
 * cell that differs from it in one factor, as a difference PAIRED BY SEED (the same seed gives the same data subset
 * and order in every cell) over the declared seeds. Beside each, the paper's ImageNet figure for the same
 * configuration (Table 2 / Table 3) and its difference, and the verdict of ./rules.ts for this folder alone (a
 * one-rung ladder); ./ladder.ts puts the rungs of a budget ladder together.
 *
 * Records may carry `engine` ('tfjs', the default, or 'torch': the authors' PyTorch trainer under the same protocol).
 * Cells are keyed without the engine; effects and verdicts use the tfjs records only; the torch records give each
 * cell a "PyTorch, same protocol" figure and the difference ours - PyTorch paired by seed.
 */
import { PAPER, PAPER_FACTORS, TABLE2_FACTORS, TABLE3_FACTORS, paperNetworkName } from '../models/paper.js';
import { DATASET_CLASSES } from '../data/registry.js';
import { familyDefaults } from '../models/zoo.js';
import type { CellDescription } from './matrix.js';
import { meanCI, mean, pairedCI, type DiffCI, type MeanCI } from '../util/stats.js';
import type { RunRecord } from './recordCheck.js';
import type { FactorName, FactorValue } from './experiment.js';
import {
  BASELINE_GAP_POINTS,
  bootstrapStability,
  ciOf,
  ladderVerdict,
  nearChanceThreshold,
  type EffectVerdict,
  type LadderVerdict,
  type RungEffect,
} from './rules.js';
import type { Declaration } from './declaration.js';
import { showValue } from './format.js';

export type Engine = 'tfjs' | 'torch';

/** The engine that made a record (absent: tfjs, ours). */
export function engineOf(r: RunRecord): Engine {
  return r.engine === 'torch' ? 'torch' : 'tfjs';
}

const finiteOrNull = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The figure of a run: top-1 (%) on the test split when the record has it, else the final validation top-1. */
export function figureOf(r: RunRecord): number | null {
  return finiteOrNull(r.testTop1) ?? finiteOrNull(r.valTop1);
}

/** A difference b - a paired by seed, with the number of paired seeds. */
export type PairedDiff = DiffCI & { n: number };

export interface EngineFigures {
  runs: number;
  ok: number;
  /** seed -> figure of the ok runs */
  bySeed: Map<number, number>;
  top1: MeanCI;
}

export interface CellSummary {
  cell: CellDescription;
  runs: number;
  ok: number;
  diverged: number;
  failed: number;
  /** seeds of the ok runs, ascending, and their figures (test top-1 when recorded, else validation top-1, %) */
  seeds: number[];
  values: number[];
  /** seed -> figure of the ok runs */
  bySeed: Map<number, number>;
  top1: MeanCI;
  deployTop1: number;
  trainTop1: number;
  paper: PaperFigure | null;
  /** max |valTop1 - deployValTop1| over the ok runs, percentage points (null: none stored) */
  deployGap: number | null;
  /** mean validation top-1 per epoch over the ok runs with per-epoch metrics (curveRuns of them) */
  curve: { epoch: number; valTop1: number }[];
  curveRuns: number;
  /**
   * wall time of the fastest ok run, seconds (null: none): what a run of this cell costs on an idle machine
   * (./ladderToDo.ts); a run's wall time also counts any pause or other work, so the fastest is the least disturbed
   */
  fastest: { seconds: number; date: string; commit: string | null } | null;
  /** the scale the cell was measured at, without the seeds: "VanillaNet-6 w1/16 small stem, Fashion-MNIST 32 px, 5000 images x 6 epochs" */
  scale: string;
  /** the seeds its experiment declared for this cell (experiment.json; empty: not known) */
  declared: number[];
  /** seeds of ok runs whose figure is near chance (the per-run gate of ./rules.ts) */
  nearChance: number[];
  /** the network gate: why this cell's network is untestable in this folder (its baseline far below the best), or null */
  baselineGap: string | null;
  /** the authors' PyTorch trainer on the same cell (records with engine 'torch'), and ours - PyTorch paired by seed */
  torch: EngineFigures | null;
  oursMinusTorch: PairedDiff | null;
  /** position of the cell's first record among the records */
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
  /** cell - against, paired by seed */
  effect: PairedDiff;
  paperEffect: number | null;
  /** this folder as one rung: the per-seed differences over the declared seeds, and its gate */
  rung: RungEffect;
  /** the verdict of this folder alone (a one-rung ladder, ./rules.ts), and its bootstrap stability */
  verdict: EffectVerdict;
  detail: string;
  ladder: LadderVerdict;
  stability: number | null;
  /** "(VanillaNet-6 w1/16 small stem, Fashion-MNIST 32 px, 5000 images x 6 epochs, 5 paired seeds)" */
  scale: string;
}

export interface Summary {
  experiment: string;
  preset: string;
  /** what the folder's experiment.json declared (null: none) */
  declared: Declaration | null;
  datasets: string[];
  backends: string[];
  /** backend names alone, and the CPU models of the runs (sorted, unique) */
  backendNames: string[];
  machines: string[];
  commits: string[];
  records: number;
  counts: { ok: number; diverged: number; failed: number };
  /** which split the figures are on: 'test' (every ok tfjs record has testTop1), 'validation' (none has), 'mixed' */
  figureSplit: 'test' | 'validation' | 'mixed';
  /** the engines of the records ('tfjs' first) */
  engines: Engine[];
  /** the PyTorch runs (engine 'torch'): how many, their status, the torch and Python versions; null when none */
  torchRuns: { records: number; ok: number; diverged: number; failed: number; versions: string[] } | null;
  /** what our engine's runs took (the last record of each): null when none is timed */
  runTime: RunTime | null;
  factors: FactorName[];
  /** in the paper's order: models in the experiment's order, then the factor combinations in a fixed order */
  cells: CellSummary[];
  comparisons: Comparison[];
}

export interface RunTime {
  /** the runs' wall times added up: worker time (a run paused mid-way counts its pause) */
  workerSeconds: number;
  /** the wall clock while at least one of them ran: the union of [end - wall time, end] over the runs */
  spanSeconds: number;
  /** the first start and the last end (ISO) */
  first: string;
  last: string;
}

/** What these runs took, from each record's end time and wall seconds (records without a valid date are left out). */
export function runTimeOf(records: readonly RunRecord[]): RunTime | null {
  const spans = records
    .map((r) => ({ end: Date.parse(r.date), seconds: r.wallSeconds }))
    .filter((x) => Number.isFinite(x.end) && Number.isFinite(x.seconds) && x.seconds >= 0)
    .map((x) => ({ start: x.end - 1000 * x.seconds, end: x.end, seconds: x.seconds }))
    .sort((a, b) => a.start - b.start);
  if (spans.length === 0) return null;
  let span = 0;
  let from = spans[0].start;
  let to = spans[0].end;
  for (const x of spans) {
    if (x.start > to) {
      span += to - from;
      from = x.start;
    }
    to = Math.max(to, x.end);
  }
  span += to - from;
  return {
    workerSeconds: spans.reduce((a, x) => a + x.seconds, 0),
    spanSeconds: span / 1000,
    first: new Date(spans[0].start).toISOString(),
    last: new Date(Math.max(...spans.map((x) => x.end))).toISOString(),
  };
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

export { showValue };

/** Mean validation top-1 per epoch over these runs (epochs any of them reached, ascending). */
function meanCurve(runs: readonly RunRecord[]): { epoch: number; valTop1: number }[] {
  const perRun = runs.map((r) =>
    r.metrics
      .map((e, i) => ({ epoch: Number.isFinite(e.epoch) ? e.epoch : i + 1, valTop1: e.valTop1 }))
      .filter((e) => typeof e.valTop1 === 'number' && Number.isFinite(e.valTop1)),
  );
  const epochs = [...new Set(perRun.flatMap((es) => es.map((e) => e.epoch)))].sort((a, b) => a - b);
  return epochs.map((epoch) => ({ epoch, valTop1: mean(perRun.flatMap((es) => es.filter((e) => e.epoch === epoch).map((e) => e.valTop1))) }));
}

const DATASET_NAMES: Record<string, string> = { 'fashion-mnist': 'Fashion-MNIST', mnist: 'MNIST', cifar10: 'CIFAR-10', synthetic: 'synthetic' };

/** A width multiplier as the scale line writes it: 0.0625 -> w1/16, 0.125 -> w1/8, 1.5 -> w1.5. */
export function widthLabel(w: number): string {
  const inv = 1 / w;
  return w < 1 && Math.abs(inv - Math.round(inv)) < 1e-9 ? `w1/${Math.round(inv)}` : `w${w}`;
}

/**
 * The scale a cell was measured at: network, width, stem (the cell's resolved toggles); dataset, input size and
 * training images x epochs (the experiment's declaration, when the folder has one; else the epochs its records
 * reached).
 */
function cellScale(cell: CellDescription, runs: readonly RunRecord[], declared: Declaration | null): string {
  const t = cell.toggles;
  const net = `${paperNetworkName(cell.model)} ${widthLabel(t.width)} ${t.stem} stem`;
  const name = declared?.datasetName ?? 'dataset not declared';
  const images = declared?.images ?? null;
  const recorded = Math.max(0, ...runs.flatMap((r) => r.metrics.map((e, i) => (Number.isFinite(e.epoch) ? e.epoch : i + 1))));
  const epochs = declared?.epochs[cell.entry] ?? (recorded > 0 ? recorded : null);
  const size = declared?.inputSize ?? null;
  const data = [`${DATASET_NAMES[name] ?? name}${size ? ` ${size} px` : ''}`];
  if (images !== null || epochs !== null)
    data.push(`${images !== null ? `${images} images` : '? images'} x ${epochs !== null ? `${epochs} epochs` : '? epochs'}`);
  return `${net}, ${data.join(', ')}`;
}

function engineFigures(list: readonly RunRecord[]): EngineFigures {
  const ok = list.filter((r) => r.status === 'ok' && figureOf(r) !== null).sort((a, b) => a.seed - b.seed || (a.runId < b.runId ? -1 : 1));
  return {
    runs: list.length,
    ok: ok.length,
    bySeed: new Map(ok.map((r) => [r.seed, figureOf(r) as number])),
    top1: meanCI(ok.map((r) => figureOf(r) as number)),
  };
}

function summarizeCell(list: RunRecord[], torchList: RunRecord[], firstSeen: number, declared: Declaration | null, chance: number): CellSummary {
  list.sort((a, b) => a.seed - b.seed || (a.runId < b.runId ? -1 : 1));
  const ok = list.filter((r) => r.status === 'ok' && figureOf(r) !== null);
  const cell = (list[0] ?? torchList[0]).cell;
  const nums = (f: (r: RunRecord) => number | null | undefined) => ok.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  // the deploy figure on the same split as the figure
  const deploy = nums((r) => (finiteOrNull(r.testTop1) !== null ? r.deployTestTop1 : r.deployValTop1));
  const gaps = ok.filter((r) => r.valTop1 !== null && r.deployValTop1 !== null).map((r) => Math.abs((r.valTop1 as number) - (r.deployValTop1 as number)));
  const withCurve = ok.filter((r) => r.metrics.some((e) => Number.isFinite(e.valTop1)));
  const bySeed = new Map(ok.map((r) => [r.seed, figureOf(r) as number]));
  const torch = torchList.length > 0 ? engineFigures(torchList) : null;
  return {
    cell,
    runs: list.length,
    ok: ok.length,
    diverged: list.filter((r) => r.status === 'diverged').length,
    failed: list.filter((r) => r.status === 'failed').length,
    seeds: ok.map((r) => r.seed),
    values: ok.map((r) => figureOf(r) as number),
    bySeed,
    top1: meanCI(ok.map((r) => figureOf(r) as number)),
    deployTop1: mean(deploy),
    trainTop1: mean(nums((r) => r.trainTop1)),
    paper: paperFigure(cell.model, cell.toggles),
    deployGap: gaps.length > 0 ? Math.max(...gaps) : null,
    curve: meanCurve(withCurve),
    curveRuns: withCurve.length,
    fastest: fastestRun(ok),
    scale: cellScale(cell, list.length > 0 ? list : torchList, declared),
    declared: declared ? declared.seedsOf(cell.entry) : [],
    nearChance: ok.filter((r) => (figureOf(r) as number) < chance).map((r) => r.seed),
    baselineGap: null,
    torch,
    oursMinusTorch: torch ? pairedCI(torch.bySeed, bySeed) : null,
    firstSeen,
  };
}

/** The ok run with the shortest wall time: its seconds, day and engine commit. */
export function fastestRun(ok: readonly RunRecord[]): CellSummary['fastest'] {
  const timed = ok.filter((r) => Number.isFinite(r.wallSeconds) && r.wallSeconds > 0);
  if (timed.length === 0) return null;
  const r = timed.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
  return { seconds: r.wallSeconds, date: r.date.slice(0, 10), commit: r.commit ? r.commit.slice(0, 7) : null };
}

/** The scale line of a comparison: the cell's scale and the number of paired seeds. */
export function comparisonScale(cell: CellSummary, pairs: number): string {
  return `(${cell.scale}, ${pairs} paired seed${pairs === 1 ? '' : 's'})`;
}

/** A cell as the gates name it: "ResNet-50 (deepTraining on, seriesAct off)". */
export function cellName(c: CellSummary): string {
  const parts = Object.entries(c.cell.factors).map(([k, v]) => `${k} ${showValue(v)}`);
  return `${paperNetworkName(c.cell.model)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** A network's baseline cell: every toggle off and its family's default shortcut. */
export function isBaselineCell(c: CellSummary): boolean {
  const t = c.cell.toggles;
  return TABLE2_FACTORS.every((k) => !t[k]) && t.shortcut === (familyDefaults(c.cell.model).shortcut ?? 'none');
}

/** The network gate: a network whose baseline cell is more than BASELINE_GAP_POINTS below the best baseline here. */
function markBaselineGaps(cells: readonly CellSummary[]): void {
  const network = (c: CellSummary) => `${c.cell.entry}|${c.cell.model}`;
  const baselines = new Map<string, CellSummary>();
  for (const c of cells) if (c.ok > 0 && isBaselineCell(c) && !baselines.has(network(c))) baselines.set(network(c), c);
  const best = [...baselines.values()].reduce<CellSummary | null>((m, c) => (m === null || c.top1.mean > m.top1.mean ? c : m), null);
  for (const c of cells) {
    const base = baselines.get(network(c));
    if (base && best && best !== base && best.top1.mean - base.top1.mean > BASELINE_GAP_POINTS) {
      c.baselineGap =
        `${paperNetworkName(c.cell.model)}'s baseline (every toggle off) ${base.top1.mean.toFixed(2)} % is ${(best.top1.mean - base.top1.mean).toFixed(2)} points below` +
        ` the best baseline (${paperNetworkName(best.cell.model)} ${best.top1.mean.toFixed(2)} %; more than ${BASELINE_GAP_POINTS})`;
    }
  }
}

/** The gate reasons of a comparison of two cells: runs near chance in either, its network's baseline gap. */
function gateOf(a: CellSummary, b: CellSummary, chance: number): string[] {
  const why: string[] = [];
  for (const c of [a, b])
    if (c.nearChance.length > 0)
      why.push(
        `${cellName(c)} has run${c.nearChance.length > 1 ? 's' : ''} near chance (seed${c.nearChance.length > 1 ? 's' : ''} ${c.nearChance.join(', ')} below ${chance} %)`,
      );
  const gap = b.baselineGap ?? a.baselineGap;
  if (gap) why.push(gap);
  return why;
}

/** One folder's comparison as a rung: the per-seed differences over the seeds declared for both cells. */
export function rungOf(cell: CellSummary, against: CellSummary, label: string, budget: number, chance: number): RungEffect {
  const declared = cell.declared.filter((s) => against.declared.includes(s));
  const diffs = new Map<number, number>();
  for (const s of declared) if (cell.bySeed.has(s) && against.bySeed.has(s)) diffs.set(s, (cell.bySeed.get(s) as number) - (against.bySeed.get(s) as number));
  return { label, budget, diffs, declared, gate: gateOf(against, cell, chance) };
}

/** A comparison's stable key across the rungs of a ladder: the two cells without their data (their ids include it). */
export const comparisonKey = (c: { cell: CellSummary; against: CellSummary }): string => `${cellKey(c.cell.cell)} vs ${cellKey(c.against.cell)}`;

function compareCells(cells: readonly CellSummary[], factors: FactorName[], chance: number, rungLabel: string): Comparison[] {
  const key = (c: CellSummary, f: Partial<Record<string, FactorValue>>) =>
    `${c.cell.entry}|${c.cell.model}|${factors.map((k) => JSON.stringify(f[k] ?? null)).join('|')}`;
  const byKey = new Map(cells.map((c) => [key(c, c.cell.factors), c]));
  const comparisons: Comparison[] = [];
  const compare = (cell: CellSummary, against: CellSummary, differing: FactorName[], vsBaseline: boolean) => {
    const rung = rungOf(cell, against, rungLabel, 1, chance);
    const effect = ciOf([...rung.diffs.entries()].sort(([x], [y]) => x - y).map(([, d]) => d));
    const paperEffect =
      cell.paper && against.paper && differing.every((k) => PAPER_FACTORS.includes(k)) ? Math.round((cell.paper.top1 - against.paper.top1) * 100) / 100 : null;
    const ladder = ladderVerdict([rung], paperEffect);
    const partial = { cell, against };
    comparisons.push({
      cell,
      against,
      differing,
      vsBaseline,
      effect,
      paperEffect,
      rung,
      verdict: ladder.verdict,
      detail: ladder.detail,
      ladder,
      stability: bootstrapStability([rung], paperEffect, ladder, comparisonKey(partial)),
      scale: comparisonScale(cell, effect.n),
    });
  };
  for (const c of cells) {
    const f = c.cell.factors;
    const differing = factors.filter((k) => k in c.cell.baseline && JSON.stringify(f[k]) !== JSON.stringify(c.cell.baseline[k]));
    if (differing.length === 0) continue;
    const base = byKey.get(key(c, { ...f, ...c.cell.baseline }));
    if (base) compare(c, base, differing, true);
    if (differing.length > 1) {
      for (const k of differing) {
        const partner = byKey.get(key(c, { ...f, [k]: c.cell.baseline[k] }));
        if (partner) compare(c, partner, [k], false);
      }
    }
  }
  return comparisons;
}

const SHORTCUT_ORDER = PAPER.table3_shortcut.rows.map((r) => r.shortcut);

/**
 * The paper's order of cells: models in the experiment's order, then the factor combinations as the paper's tables
 * list them (Table 2: neither, deep training, series activation, both; Table 3: none, before-act, after-act), then
 * the matrix order.
 */
export function paperOrder(a: CellDescription, b: CellDescription): number {
  const rank = (c: CellDescription) => {
    const f = c.factors;
    // Table 2's rows as bits (deep training 1, series activation 2), Table 3's by its order
    const combo = TABLE2_FACTORS.reduce((n, k, i) => n + (f[k] ? 2 ** i : 0), 0);
    const [shortcut] = TABLE3_FACTORS;
    const sc = shortcut in f ? SHORTCUT_ORDER.indexOf(String(f[shortcut])) : 0;
    return [c.entry, combo, sc < 0 ? SHORTCUT_ORDER.length : sc, c.index];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Cells are keyed without the engine (a torch run of a cell is the same cell). */
export const cellKey = (c: CellDescription) => `${c.entry}|${c.model}|${JSON.stringify(Object.entries(c.factors).sort(([x], [y]) => (x < y ? -1 : 1)))}`;

export interface SummarizeOptions {
  /** the folder's experiment.json (declared seeds, ladder); without it every comparison is interim */
  declared?: Declaration | null;
  /** the rung's label in its ladder ('1x' when alone) */
  rungLabel?: string;
  /** classes of the dataset (chance = 100 / classes %; default: as the records, or the declared dataset, say) */
  classes?: number;
}

/**
 * The dataset's classes: as the records say (the fewest, should they differ: the stricter gate), else (older records)
 * the declared dataset's, else 10 (every dataset those older records were trained on has 10).
 */
function classesOf(records: readonly RunRecord[], declared: Declaration | null): number {
  const recorded = records.map((r) => r.classes).filter((n): n is number => typeof n === 'number');
  if (recorded.length > 0) return Math.min(...recorded);
  const name = declared?.datasetName;
  return name && Object.hasOwn(DATASET_CLASSES, name) ? DATASET_CLASSES[name] : 10;
}

/** Summary of records (any order; the last record of each run wins). */
export function summarize(records: readonly RunRecord[], opts: SummarizeOptions = {}): Summary {
  const declared = opts.declared ?? null;
  const chance = nearChanceThreshold(opts.classes ?? classesOf(records, declared));
  const latest = new Map<string, RunRecord>();
  for (const r of records) latest.set(`${engineOf(r)}|${r.runId}`, r);
  const byCell = new Map<string, { ours: RunRecord[]; torch: RunRecord[] }>();
  const firstSeen = new Map<string, number>();
  records.forEach((r, i) => {
    if (!firstSeen.has(cellKey(r.cell))) firstSeen.set(cellKey(r.cell), i);
  });
  for (const r of latest.values()) {
    const k = cellKey(r.cell);
    const lists = byCell.get(k) ?? { ours: [], torch: [] };
    (engineOf(r) === 'torch' ? lists.torch : lists.ours).push(r);
    byCell.set(k, lists);
  }
  const cells = [...byCell.entries()].map(([k, l]) => summarizeCell(l.ours, l.torch, firstSeen.get(k) ?? 0, declared, chance));
  cells.sort((a, b) => paperOrder(a.cell, b.cell));
  markBaselineGaps(cells);

  const factors: FactorName[] = [];
  for (const c of cells) for (const k of Object.keys(c.cell.factors) as FactorName[]) if (!factors.includes(k)) factors.push(k);

  const all = [...latest.values()];
  const ours = all.filter((r) => engineOf(r) === 'tfjs');
  const torchList = all.filter((r) => engineOf(r) === 'torch');
  const okOurs = ours.filter((r) => r.status === 'ok' && figureOf(r) !== null);
  const withTest = okOurs.filter((r) => finiteOrNull(r.testTop1) !== null).length;
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))].sort();
  return {
    experiment: uniq(all.map((r) => r.experiment)).join(', '),
    preset: uniq(all.map((r) => r.preset)).join(', '),
    declared,
    datasets: uniq(ours.filter((r) => r.status !== 'failed').map((r) => r.dataset)),
    backends: uniq(ours.map((r) => `${r.backend} (tfjs ${r.tfjsVersion})`)),
    backendNames: uniq(ours.map((r) => r.backend)),
    machines: uniq(all.map((r) => (r.machine?.cpuModel ? `${r.machine.cpuModel}${r.machine.cpuId ? ` (${r.machine.cpuId})` : ''}` : null))),
    commits: uniq(all.map((r) => r.commit)),
    records: ours.length,
    counts: {
      ok: ours.filter((r) => r.status === 'ok').length,
      diverged: ours.filter((r) => r.status === 'diverged').length,
      failed: ours.filter((r) => r.status === 'failed').length,
    },
    figureSplit: withTest === 0 ? 'validation' : withTest === okOurs.length ? 'test' : 'mixed',
    engines: torchList.length > 0 ? (ours.length > 0 ? ['tfjs', 'torch'] : ['torch']) : ['tfjs'],
    torchRuns:
      torchList.length === 0
        ? null
        : {
            records: torchList.length,
            ok: torchList.filter((r) => r.status === 'ok').length,
            diverged: torchList.filter((r) => r.status === 'diverged').length,
            failed: torchList.filter((r) => r.status === 'failed').length,
            versions: uniq(torchList.map((r) => r.backend)),
          },
    runTime: runTimeOf(ours),
    factors,
    cells,
    comparisons: compareCells(cells, factors, chance, opts.rungLabel ?? '1x'),
  };
}
