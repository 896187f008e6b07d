/**
 * summary.csv and summary.md of an ablation: the analysis of ./analysis.ts (cells, effects, verdicts), formatted.
 * Written after every run from runs.jsonl alone, so an interrupted and resumed matrix gives the same files.
 */
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/atomic.js';
import { optionLabel } from '../models/options.js';
import { showValue, summarize, type CellSummary, type Comparison, type Summary } from './analysis.js';
import { BASELINE_GAP_POINTS, CHANCE_CLASSES, EQUIVALENCE_MARGIN, NEAR_CHANCE_FACTOR, PAPER_NEGLIGIBLE, STILL_IMPROVING_POINTS } from './verdicts.js';
import type { FactorName } from './experiment.js';
import { readRuns, RUNS_FILE } from './store.js';

const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(digits)}`;

const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));

function cellName(c: CellSummary, factors: readonly FactorName[]): string {
  const parts = factors.filter((k) => k in c.cell.factors).map((k) => `${k} ${showValue(c.cell.factors[k])}`);
  return parts.length ? `${c.cell.label}, ${parts.join(', ')}` : c.cell.label;
}

/** summary.csv's columns after the cell's name and its factors (one column per factor of the experiment). */
const CSV_COLUMNS = [
  'runs',
  'ok',
  'diverged',
  'failed',
  'n',
  'mean_top1',
  'sd_top1',
  'ci95_low',
  'ci95_high',
  'mean_deploy_top1',
  'mean_train_top1',
  'paper_top1',
  'paper_table',
  'baseline',
  'effect_vs_baseline',
  'effect_ci95_low',
  'effect_ci95_high',
  'effect_df',
  'paper_effect',
  'paired_seeds',
  'verdict',
  'last_epoch_gain',
  'converged',
  'torch_n',
  'torch_mean_top1',
  'torch_ci95_low',
  'torch_ci95_high',
  'ours_minus_torch',
  'ours_minus_torch_ci95_low',
  'ours_minus_torch_ci95_high',
];

/** One cell's row of summary.csv. */
function csvRow(s: Summary, c: CellSummary): (string | number)[] {
  const cmp = s.comparisons.find((x) => x.cell === c && x.vsBaseline);
  return [
    s.experiment,
    s.preset,
    c.cell.id,
    c.cell.model,
    c.cell.label,
    ...s.factors.map((k) => (k in c.cell.factors ? showValue(c.cell.factors[k]) : '')),
    c.runs,
    c.ok,
    c.diverged,
    c.failed,
    c.top1.n,
    num(c.top1.mean),
    num(c.top1.sd),
    num(c.top1.low),
    num(c.top1.high),
    num(c.deployTop1),
    num(c.trainTop1),
    num(c.paper?.top1, 2),
    c.paper?.table ?? '',
    cmp ? cellName(cmp.against, s.factors) : '',
    num(cmp?.effect.diff),
    num(cmp?.effect.low),
    num(cmp?.effect.high),
    num(cmp?.effect.df, 2),
    num(cmp?.paperEffect, 2),
    cmp ? cmp.effect.n : '',
    cmp?.verdict ?? '',
    num(c.lastEpochGain),
    c.notConverged.length ? 'no' : 'yes',
    c.torch ? c.torch.ok : '',
    num(c.torch?.top1.mean),
    num(c.torch?.top1.low),
    num(c.torch?.top1.high),
    num(c.oursMinusTorch?.diff),
    num(c.oursMinusTorch?.low),
    num(c.oursMinusTorch?.high),
  ];
}

export function summaryCsv(s: Summary): string {
  const header = ['experiment', 'preset', 'cell_id', 'model', 'label', ...s.factors, ...CSV_COLUMNS];
  return stringify([header, ...s.cells.map((c) => csvRow(s, c))]);
}

const md = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pm = (ci: { half: number }) => (Number.isFinite(ci.half) ? `± ${ci.half.toFixed(2)}` : '(no CI)');

function sentence(c: Comparison, factors: readonly FactorName[]): string {
  const k = c.differing[0];
  const from = c.against.cell.factors[k];
  const to = c.cell.cell.factors[k];
  const what =
    k === 'shortcut'
      ? `shortcut ${showValue(to)} (vs ${showValue(from)})`
      : typeof to === 'boolean'
        ? `${optionLabel(k)}`
        : `${optionLabel(k)} ${showValue(to)} (vs ${showValue(from)})`;
  const others = factors.filter((f) => f !== k && f in c.cell.cell.factors).map((f) => `${f} ${showValue(c.cell.cell.factors[f])}`);
  // 'helps'/'hurts' only for a clear effect that passed the convergence gate: an untestable or unclear one is a change
  const clear = c.verdict !== 'untestable at this budget' && Number.isFinite(c.effect.half) && (c.effect.low > 0 || c.effect.high < 0);
  const verb = !clear ? 'changes' : c.effect.diff > 0 ? 'helps' : 'hurts';
  const where = `${c.cell.cell.label}${others.length ? ` (${others.join(', ')})` : ''}`;
  const ours = c.effect.n > 0 ? `${signed(c.effect.diff)} ${pm(c.effect)} points paired` : 'no paired seeds';
  const paper = c.paperEffect !== null ? `; paper ${signed(c.paperEffect)}` : '; no paper figure';
  const cap = what.charAt(0).toUpperCase() + what.slice(1);
  return `- ${cap} ${c.effect.n > 0 ? verb : 'vs'} ${where}: ${ours}${paper} → **${c.verdict}**: ${c.detail} ${c.scale}.`;
}

const SPLIT_TEXT: Record<Summary['figureSplit'], string> = {
  test: "the official test split (each record's testTop1)",
  validation: "the validation split (these records predate the test score: each record's final valTop1)",
  mixed: 'the test split where the record has it (testTop1), else the validation split (valTop1, older records)',
};

/** The rules summary.md's verdicts follow, as its header lines (also in the README). */
export function ruleLines(): string[] {
  const M = EQUIVALENCE_MARGIN;
  return [
    "- Differences: cell B - cell A paired by seed (the same seed gives the same data subset and order in every cell): mean over the seeds ok in both of (B_s - A_s), 95% CI by Student's t on n - 1 df (n paired seeds); no CI below 2 pairs.",
    `- Convergence gate: a cell is not converged when (a) the mean over its ok seeds of (last epoch's validation top-1 - the previous epoch's) > ${STILL_IMPROVING_POINTS} point, (b) its mean is below ${NEAR_CHANCE_FACTOR}x chance (${(NEAR_CHANCE_FACTOR * 100) / CHANCE_CLASSES} % for ${CHANCE_CLASSES} classes), or (c) its network's baseline cell (every toggle off) is more than ${BASELINE_GAP_POINTS} points below the best baseline of the experiment's networks. A comparison involving such a cell is **untestable at this budget**.`,
    `- Verdicts (with a paper figure): paper effect of ${PAPER_NEGLIGIBLE} point or more: **reproduced** = CI excludes 0 in the paper's direction, **opposite at this scale** = CI excludes 0 the other way, **inconclusive** = CI includes 0. Paper effect under ${PAPER_NEGLIGIBLE}: **reproduced** = whole CI within ±${M} point, **opposite at this scale** = whole CI beyond ±${M} on one side, **inconclusive** otherwise. Fewer than 2 paired seeds: inconclusive. Without a paper figure: clear effect / no clear effect. Each verdict names the scale it was measured at.`,
  ];
}

export function summaryMarkdown(s: Summary): string {
  const L: string[] = [];
  const torch = s.cells.some((c) => c.torch !== null);
  L.push(`# Ablation ${s.experiment} (preset ${s.preset})`, '');
  L.push(`- Dataset: ${s.datasets.length ? s.datasets.join('; ') : 'none (no run finished)'}`);
  L.push(`- Backend: ${s.backends.join('; ') || '–'}; commit ${s.commits.map((c) => c.slice(0, 12)).join(', ') || 'unknown'}`);
  L.push(
    `- Runs: ${s.records} (${s.counts.ok} ok, ${s.counts.diverged} diverged, ${s.counts.failed} failed)${torch ? "; PyTorch (the authors' trainer, same protocol) runs are reported beside ours and not used in the effects" : ''}`,
  );
  const t = s.torchRuns;
  if (t)
    L.push(
      `- PyTorch, same protocol (\`ablate --engine torch\`: our data, batch order, augmentation and initial weights, scripts/torch_train.py): ${t.records} runs (${t.ok} ok, ${t.diverged} diverged, ${t.failed} failed) on ${t.versions.join('; ')}`,
    );
  L.push(`- Figures: top-1 (%) on ${SPLIT_TEXT[s.figureSplit]}; per cell mean, sd and 95% CI over the seeds that finished ok (Student t, n - 1 df).`);
  L.push(...ruleLines());
  L.push('- Paper: ImageNet top-1 (%) at full scale (Chen et al. 2023, Tables 2 and 3). Our runs are tiny: compare directions and effects, not levels.');
  L.push('', '## Cells', '');
  const torchHead = torch ? ' PyTorch, same protocol | ours − PyTorch (paired, 95% CI) |' : '';
  L.push(
    `| model | ${s.factors.join(' | ')}${s.factors.length ? ' | ' : ''}n | mean top-1 | sd | 95% CI | deploy top-1 |${torchHead} last-epoch gain | converged | diverged | failed | paper |`,
  );
  L.push(`|---|${s.factors.map(() => '---|').join('')}---:|---:|---:|---|---:|${torch ? '---:|---|' : ''}---:|---|---:|---:|---:|`);
  for (const c of s.cells) {
    const ci = Number.isFinite(c.top1.half) ? `${c.top1.low.toFixed(2)} – ${c.top1.high.toFixed(2)}` : '–';
    const paper = c.paper ? `${c.paper.top1.toFixed(2)} (${c.paper.table})` : '–';
    let torchCols = '';
    if (torch) {
      const t = c.torch;
      const d = c.oursMinusTorch;
      const tm = t && t.ok > 0 ? `${md(t.top1.mean)} ${pm(t.top1)} (n ${t.ok})` : '–';
      const dm = d && d.n > 0 ? `${signed(d.diff)}${Number.isFinite(d.half) ? ` (${signed(d.low)} – ${signed(d.high)})` : ' (no CI)'}, ${d.n} pairs` : '–';
      torchCols = ` ${tm} | ${dm} |`;
    }
    const gain = c.lastEpochGain === null ? '–' : signed(c.lastEpochGain);
    L.push(
      `| ${c.cell.label} | ${s.factors.map((k) => `${k in c.cell.factors ? showValue(c.cell.factors[k]) : ''} | `).join('')}${c.top1.n}/${c.runs} | ${md(c.top1.mean)} | ${md(c.top1.sd)} | ${ci} | ${md(c.deployTop1)} |${torchCols} ${gain} | ${c.notConverged.length ? 'no' : 'yes'} | ${c.diverged} | ${c.failed} | ${paper} |`,
    );
  }
  const gated = [...new Set(s.cells.flatMap((c) => c.notConverged))];
  if (gated.length) L.push('', `Not converged at this budget: ${gated.join('; ')}.`);
  if (s.comparisons.length) {
    L.push(
      '',
      '## Effects',
      '',
      'Each cell against its baseline (every toggle off, shortcut none) and against each cell one factor away; differences paired by seed.',
      '',
    );
    L.push('| cell | against | difference | 95% CI | pairs | paper | verdict | why | scale |');
    L.push('|---|---|---:|---|---:|---:|---|---|---|');
    for (const c of s.comparisons) {
      const ci = Number.isFinite(c.effect.half) ? `${signed(c.effect.low)} – ${signed(c.effect.high)}` : '–';
      L.push(
        `| ${cellName(c.cell, s.factors)} | ${cellName(c.against, s.factors)}${c.vsBaseline ? ' (baseline)' : ''} | ${Number.isFinite(c.effect.diff) ? signed(c.effect.diff) : '–'} | ${ci} | ${c.effect.n} | ${c.paperEffect !== null ? signed(c.paperEffect) : '–'} | ${c.verdict} | ${c.detail} | ${c.scale} |`,
      );
    }
    const single = s.comparisons.filter((c) => c.differing.length === 1);
    if (single.length) {
      L.push('', "## Does the paper's direction reproduce?", '');
      for (const c of single) L.push(sentence(c, s.factors));
    }
  }
  L.push('', `Computed from ${RUNS_FILE} alone (the last record of each run).`, '');
  return L.join('\n');
}

/** Reads <dir>/runs.jsonl and (re)writes <dir>/summary.csv and <dir>/summary.md atomically. */
export function writeSummary(dir: string, warn?: (line: string) => void): Summary {
  const s = summarize(readRuns(path.join(dir, RUNS_FILE), warn).records);
  writeFileAtomic(path.join(dir, 'summary.csv'), summaryCsv(s));
  writeFileAtomic(path.join(dir, 'summary.md'), summaryMarkdown(s));
  return s;
}
