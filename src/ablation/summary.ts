/**
 * The summary of an ablation, computed only from its runs.jsonl (the last record of each run), so that an
 * interrupted and resumed matrix gives the same summary as an uninterrupted one with the same records:
 * no timestamps, no timings, values ordered by seed before any arithmetic.
 *
 * Per cell: mean final validation top-1 over the seeds that finished ok, sample sd, 95% CI (Student t, n - 1
 * df), n. Per comparison: a cell against its baseline (every toggle off / shortcut none; the first value of
 * other factors) and against each cell that differs from it in one factor, as a difference of means with
 * Welch's 95% CI. Beside each, the paper's ImageNet figure for the same configuration (Table 2 / Table 3) and
 * its difference, and a sentence per single-factor comparison saying whether the paper's direction reproduced.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { PAPER } from '../models/paper.js';
import { familyDefaults } from '../models/zoo.js';
import type { CellDescription } from './matrix.js';
import { meanCI, mean, welchCI, type DiffCI, type MeanCI } from '../util/stats.js';
import { readRuns, RUNS_FILE, type RunRecord } from './store.js';
import type { FactorName, FactorValue } from './experiment.js';

/** Comparisons whose paper effect is smaller than this are "negligible in the paper". */
export const PAPER_NEGLIGIBLE = 0.5;
/**
 * Equivalence margin (top-1 points): an effect whose whole CI lies within +-this is "negligible here" too. Twice the
 * paper's own threshold; a CI that includes 0 but is wider says nothing either way, and the verdict says so.
 */
export const EQUIVALENCE_MARGIN = 1;

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
  commits: string[];
  records: number;
  counts: { ok: number; diverged: number; failed: number };
  factors: FactorName[];
  cells: CellSummary[];
  comparisons: Comparison[];
}

const NETWORKS: Record<string, string> = { 'vanillanet-6': 'VanillaNet-6', alexnet: 'AlexNet', 'resnet-50': 'ResNet-50' };

/** The paper's ImageNet top-1 for a model with these toggles (Table 2, else Table 3), or null. */
export function paperFigure(model: string, t: CellDescription['toggles']): PaperFigure | null {
  const network = NETWORKS[model];
  if (!network || t.actNum !== 3) return null;
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

const NAMES: Record<string, string> = { deepTraining: 'deep training', seriesAct: 'series activation', actNum: 'series activation n' };

export function showValue(v: FactorValue | undefined): string {
  return v === true ? 'on' : v === false ? 'off' : String(v);
}

const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;

function verdict(effect: DiffCI, paperEffect: number | null, nA: number, nB: number): string {
  if (nA === 0 || nB === 0) return 'no result (a cell has no ok runs)';
  const excludesZero = Number.isFinite(effect.half) && (effect.low > 0 || effect.high < 0);
  if (paperEffect === null) {
    if (!Number.isFinite(effect.half)) return 'no CI (needs 2 or more ok seeds per cell)';
    return excludesZero ? 'a clear effect (CI excludes 0)' : 'no clear effect (CI includes 0)';
  }
  const same = Math.sign(effect.diff) === Math.sign(paperEffect);
  const negligible = Math.abs(paperEffect) < PAPER_NEGLIGIBLE;
  if (!Number.isFinite(effect.half)) {
    return `${same ? 'same direction as' : 'opposite direction to'} the paper, untested (no CI: needs 2 or more ok seeds per cell)`;
  }
  // an effect the paper finds negligible and whose whole CI here lies within the margin is negligible here too, even
  // when the CI excludes 0 (the report's "makes little difference" claims use the same rule)
  const withinMargin = Math.max(-effect.low, effect.high) <= EQUIVALENCE_MARGIN;
  if (negligible && withinMargin) return `consistent with the paper's negligible effect (CI within ±${EQUIVALENCE_MARGIN} point)`;
  if (excludesZero) {
    if (same) return negligible ? 'same direction as the paper, but clearer here than the paper\'s negligible effect' : 'reproduced (same direction, CI excludes 0)';
    return negligible ? 'a clear effect here against the paper\'s negligible one (opposite sign)' : 'not reproduced: the opposite direction (CI excludes 0)';
  }
  // the CI includes 0: say whether it rules anything out
  if (negligible) return `inconclusive: CI includes 0 but reaches past ±${EQUIVALENCE_MARGIN} point, so it cannot show a negligible effect`;
  const includesPaper = effect.low <= paperEffect && paperEffect <= effect.high;
  return includesPaper
    ? 'inconclusive: CI includes both 0 and the paper\'s effect'
    : 'not reproduced at this scale: no clear effect (CI includes 0, excludes the paper\'s effect)';
}

/** Summary of records (any order; the last record of each run wins). */
export function summarize(records: readonly RunRecord[]): Summary {
  const latest = new Map<string, RunRecord>();
  for (const r of records) latest.set(r.runId, r);
  const byCell = new Map<string, RunRecord[]>();
  for (const r of latest.values()) {
    const list = byCell.get(r.cell.id) ?? [];
    list.push(r);
    byCell.set(r.cell.id, list);
  }
  const cells: CellSummary[] = [...byCell.values()].map((list) => {
    list.sort((a, b) => a.seed - b.seed || (a.runId < b.runId ? -1 : 1));
    const ok = list.filter((r) => r.status === 'ok' && r.valTop1 !== null);
    const cell = list[0].cell;
    const nums = (f: (r: RunRecord) => number | null) => ok.map(f).filter((x): x is number => x !== null);
    return {
      cell, runs: list.length, ok: ok.length,
      diverged: list.filter((r) => r.status === 'diverged').length,
      failed: list.filter((r) => r.status === 'failed').length,
      seeds: ok.map((r) => r.seed), values: ok.map((r) => r.valTop1 as number),
      top1: meanCI(ok.map((r) => r.valTop1 as number)),
      deployTop1: mean(nums((r) => r.deployValTop1)),
      trainTop1: mean(nums((r) => r.trainTop1)),
      paper: paperFigure(cell.model, cell.toggles),
    };
  });
  cells.sort((a, b) => a.cell.index - b.cell.index || (a.cell.id < b.cell.id ? -1 : 1));

  const factors: FactorName[] = [];
  for (const c of cells) for (const k of Object.keys(c.cell.factors) as FactorName[]) if (!factors.includes(k)) factors.push(k);
  const key = (entry: number, f: Partial<Record<string, FactorValue>>) => `${entry}|${factors.map((k) => JSON.stringify(f[k] ?? null)).join('|')}`;
  const byKey = new Map(cells.map((c) => [key(c.cell.entry, c.cell.factors), c]));

  const comparisons: Comparison[] = [];
  const compare = (cell: CellSummary, against: CellSummary, differing: FactorName[], vsBaseline: boolean) => {
    const effect = welchCI(cell.values, against.values);
    const paperEffect = cell.paper && against.paper && differing.every((k) => PAPER_FACTORS.includes(k))
      ? Math.round((cell.paper.top1 - against.paper.top1) * 100) / 100 : null;
    comparisons.push({ cell, against, differing, vsBaseline, effect, paperEffect, verdict: verdict(effect, paperEffect, cell.ok, against.ok) });
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

  const all = [...latest.values()];
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))].sort();
  return {
    experiment: uniq(all.map((r) => r.experiment)).join(', '),
    preset: uniq(all.map((r) => r.preset)).join(', '),
    datasets: uniq(all.filter((r) => r.status !== 'failed').map((r) => r.dataset)),
    backends: uniq(all.map((r) => `${r.backend} (tfjs ${r.tfjsVersion})`)),
    commits: uniq(all.map((r) => r.commit)),
    records: latest.size,
    counts: {
      ok: all.filter((r) => r.status === 'ok').length,
      diverged: all.filter((r) => r.status === 'diverged').length,
      failed: all.filter((r) => r.status === 'failed').length,
    },
    factors, cells, comparisons,
  };
}

// ---- rendering ----

const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));

function cellName(c: CellSummary, factors: readonly FactorName[]): string {
  const parts = factors.filter((k) => k in c.cell.factors).map((k) => `${k} ${showValue(c.cell.factors[k])}`);
  return parts.length ? `${c.cell.label}, ${parts.join(', ')}` : c.cell.label;
}

export function summaryCsv(s: Summary): string {
  const header = ['experiment', 'preset', 'cell_id', 'model', 'label', ...s.factors, 'runs', 'ok', 'diverged', 'failed', 'n',
    'mean_top1', 'sd_top1', 'ci95_low', 'ci95_high', 'mean_deploy_top1', 'mean_train_top1', 'paper_top1', 'paper_table',
    'baseline', 'effect_vs_baseline', 'effect_ci95_low', 'effect_ci95_high', 'effect_df', 'paper_effect'];
  const rows = s.cells.map((c) => {
    const cmp = s.comparisons.find((x) => x.cell === c && x.vsBaseline);
    return [
      s.experiment, s.preset, c.cell.id, c.cell.model, c.cell.label, ...s.factors.map((k) => (k in c.cell.factors ? showValue(c.cell.factors[k]) : '')),
      c.runs, c.ok, c.diverged, c.failed, c.top1.n,
      num(c.top1.mean), num(c.top1.sd), num(c.top1.low), num(c.top1.high), num(c.deployTop1), num(c.trainTop1),
      num(c.paper?.top1, 2), c.paper?.table ?? '',
      cmp ? cellName(cmp.against, s.factors) : '', num(cmp?.effect.diff), num(cmp?.effect.low), num(cmp?.effect.high), num(cmp?.effect.df, 2), num(cmp?.paperEffect, 2),
    ];
  });
  return stringify([header, ...rows]);
}

const md = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pm = (ci: { half: number }) => (Number.isFinite(ci.half) ? `± ${ci.half.toFixed(2)}` : '(no CI)');

function sentence(c: Comparison, factors: readonly FactorName[]): string {
  const k = c.differing[0];
  const from = c.against.cell.factors[k];
  const to = c.cell.cell.factors[k];
  const what = k === 'shortcut' ? `shortcut ${showValue(to)} (vs ${showValue(from)})`
    : typeof to === 'boolean' ? `${NAMES[k] ?? k}` : `${NAMES[k] ?? k} ${showValue(to)} (vs ${showValue(from)})`;
  const others = factors.filter((f) => f !== k && f in c.cell.cell.factors).map((f) => `${f} ${showValue(c.cell.cell.factors[f])}`);
  const verb = c.effect.diff > 0 ? 'helps' : c.effect.diff < 0 ? 'hurts' : 'does not change';
  const where = `${c.cell.cell.label}${others.length ? ` (${others.join(', ')})` : ''}`;
  const ours = `${signed(c.effect.diff)} ${pm(c.effect)} points (${c.cell.ok} vs ${c.against.ok} seeds)`;
  const paper = c.paperEffect !== null ? `; paper ${signed(c.paperEffect)}` : '; no paper figure';
  const cap = what.charAt(0).toUpperCase() + what.slice(1);
  return `- ${cap} ${verb} ${where}: ${ours}${paper} → ${c.verdict}.`;
}

export function summaryMarkdown(s: Summary): string {
  const L: string[] = [];
  L.push(`# Ablation ${s.experiment} (preset ${s.preset})`, '');
  L.push(`- Dataset: ${s.datasets.length ? s.datasets.join('; ') : 'none (no run finished)'}`);
  L.push(`- Backend: ${s.backends.join('; ') || '–'}; commit ${s.commits.map((c) => c.slice(0, 12)).join(', ') || 'unknown'}`);
  L.push(`- Runs: ${s.records} (${s.counts.ok} ok, ${s.counts.diverged} diverged, ${s.counts.failed} failed)`);
  L.push('- Top-1: final validation top-1 (%) of each run; mean, sd and 95% CI over the seeds that finished ok (Student t, n - 1 df).');
  L.push('- Differences: mean minus mean, 95% CI by Welch\'s t (Welch-Satterthwaite df).');
  L.push('- Paper: ImageNet top-1 (%) at full scale (Chen et al. 2023, Tables 2 and 3). Our runs are tiny: compare directions and effects, not levels.');
  L.push('', '## Cells', '');
  L.push(`| model | ${s.factors.join(' | ')}${s.factors.length ? ' | ' : ''}n | mean top-1 | sd | 95% CI | deploy top-1 | diverged | failed | paper |`);
  L.push(`|---|${s.factors.map(() => '---|').join('')}---:|---:|---:|---|---:|---:|---:|---:|`);
  for (const c of s.cells) {
    const ci = Number.isFinite(c.top1.half) ? `${c.top1.low.toFixed(2)} – ${c.top1.high.toFixed(2)}` : '–';
    const paper = c.paper ? `${c.paper.top1.toFixed(2)} (${c.paper.table})` : '–';
    L.push(`| ${c.cell.label} | ${s.factors.map((k) => `${k in c.cell.factors ? showValue(c.cell.factors[k]) : ''} | `).join('')}${c.top1.n}/${c.runs} | ${md(c.top1.mean)} | ${md(c.top1.sd)} | ${ci} | ${md(c.deployTop1)} | ${c.diverged} | ${c.failed} | ${paper} |`);
  }
  if (s.comparisons.length) {
    L.push('', '## Effects', '', 'Each cell against its baseline (every toggle off, shortcut none) and against each cell one factor away.', '');
    L.push('| cell | against | difference | 95% CI | paper | verdict |');
    L.push('|---|---|---:|---|---:|---|');
    for (const c of s.comparisons) {
      const ci = Number.isFinite(c.effect.half) ? `${signed(c.effect.low)} – ${signed(c.effect.high)}` : '–';
      L.push(`| ${cellName(c.cell, s.factors)} | ${cellName(c.against, s.factors)}${c.vsBaseline ? ' (baseline)' : ''} | ${Number.isFinite(c.effect.diff) ? signed(c.effect.diff) : '–'} | ${ci} | ${c.paperEffect !== null ? signed(c.paperEffect) : '–'} | ${c.verdict} |`);
    }
    const single = s.comparisons.filter((c) => c.differing.length === 1);
    if (single.length) {
      L.push('', '## Does the paper\'s direction reproduce?', '');
      for (const c of single) L.push(sentence(c, s.factors));
    }
  }
  L.push('', `Computed from ${RUNS_FILE} alone (the last record of each run).`, '');
  return L.join('\n');
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Reads <dir>/runs.jsonl and (re)writes <dir>/summary.csv and <dir>/summary.md atomically. */
export function writeSummary(dir: string, warn?: (line: string) => void): Summary {
  const s = summarize(readRuns(path.join(dir, RUNS_FILE), warn).records);
  writeAtomic(path.join(dir, 'summary.csv'), summaryCsv(s));
  writeAtomic(path.join(dir, 'summary.md'), summaryMarkdown(s));
  return s;
}
