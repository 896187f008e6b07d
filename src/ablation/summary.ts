/**
 * summary.csv and summary.md of an ablation folder (one rung: its cells and its effects alone), and of a budget
 * ladder (<experiment>-ladder/: every comparison followed across the rungs, with the verdict read at the largest).
 * Both only format ./analysis.ts and ./ladder.ts; the rules are printed once, from ./rules.ts. Written from the
 * runs.jsonl files alone, so an interrupted and resumed matrix gives the same files.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/atomic.js';
import type { CellSummary, RunTime, Summary } from './analysis.js';
import type { FactorName } from './experiment.js';
import { DASH, ciText, effectText, fixed, showValue, signed, verdictText } from './format.js';
import { toDoLines } from './ladderToDo.js';
import { ladderFolders, readLadder, summarizeFolder, type LadderEffect, type LadderSummary } from './ladder.js';
import { ruleLines } from './rules.js';
import { RUNS_FILE } from './store.js';
import { formatDuration } from '../util/output.js';

/** "VanillaNet-6, deepTraining on, seriesAct off" */
export function cellLabel(c: CellSummary, factors: readonly FactorName[]): string {
  const parts = factors.filter((k) => k in c.cell.factors).map((k) => `${k} ${showValue(c.cell.factors[k])}`);
  return parts.length ? `${c.cell.label}, ${parts.join(', ')}` : c.cell.label;
}

const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));

const CELL_COLUMNS = [
  'runs',
  'ok',
  'diverged',
  'failed',
  'declared_seeds',
  'n',
  'mean_top1',
  'sd_top1',
  'ci95_low',
  'ci95_high',
  'mean_deploy_top1',
  'mean_train_top1',
];
const CELL_TAIL = [
  'near_chance_seeds',
  'paper_top1',
  'paper_table',
  'torch_n',
  'torch_mean_top1',
  'ours_minus_torch',
  'ours_minus_torch_ci95_low',
  'ours_minus_torch_ci95_high',
];
const EFFECT_COLUMNS = ['budget', 'against', 'effect', 'effect_ci95_low', 'effect_ci95_high', 'paired_seeds', 'paper_effect', 'verdict', 'stability', 'why'];

/** summary.csv: one row per cell, then one row per comparison (kind 'effect'), at this folder's budget. */
export function summaryCsv(s: Summary): string {
  const header = ['kind', 'experiment', 'preset', 'cell_id', 'model', 'label', ...s.factors, ...CELL_COLUMNS, ...CELL_TAIL, ...EFFECT_COLUMNS];
  const factorCols = (c: CellSummary) => s.factors.map((k) => (k in c.cell.factors ? showValue(c.cell.factors[k]) : ''));
  const blank = (n: number) => new Array<string>(n).fill('');
  const cellRows = s.cells.map((c) => [
    'cell',
    s.experiment,
    s.preset,
    c.cell.id,
    c.cell.model,
    c.cell.label,
    ...factorCols(c),
    c.runs,
    c.ok,
    c.diverged,
    c.failed,
    c.declared.join(' '),
    c.top1.n,
    num(c.top1.mean),
    num(c.top1.sd),
    num(c.top1.low),
    num(c.top1.high),
    num(c.deployTop1),
    num(c.trainTop1),
    c.nearChance.join(' '),
    num(c.paper?.top1, 2),
    c.paper?.table ?? '',
    c.torch ? c.torch.ok : '',
    num(c.torch?.top1.mean),
    num(c.oursMinusTorch?.diff),
    num(c.oursMinusTorch?.low),
    num(c.oursMinusTorch?.high),
    ...blank(EFFECT_COLUMNS.length),
  ]);
  const effectRows = s.comparisons.map((c) => [
    'effect',
    s.experiment,
    s.preset,
    c.cell.cell.id,
    c.cell.cell.model,
    c.cell.cell.label,
    ...factorCols(c.cell),
    ...blank(CELL_COLUMNS.length + CELL_TAIL.length),
    c.rung.label,
    cellLabel(c.against, s.factors),
    num(c.effect.diff),
    num(c.effect.low),
    num(c.effect.high),
    c.effect.n,
    num(c.paperEffect, 2),
    c.verdict,
    num(c.stability, 3),
    c.detail,
  ]);
  return stringify([header, ...cellRows, ...effectRows]);
}

const SPLIT_TEXT: Record<Summary['figureSplit'], string> = {
  test: "the official test split (each record's testTop1)",
  validation: "the validation split (these records predate the test score: each record's final valTop1)",
  mixed: 'the test split where the record has it (testTop1), else the validation split (valTop1, older records)',
};

/** "12.3 worker-hours, 6h40m of wall clock while any was in progress (2026-12-07 07:08 to 12:50 UTC)" */
export function runTimeText(t: RunTime): string {
  const day = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  const last = t.last.slice(0, 10) === t.first.slice(0, 10) ? t.last.slice(11, 16) : day(t.last);
  return `${(t.workerSeconds / 3600).toFixed(1)} worker-hours in their wall times, ${formatDuration(t.spanSeconds)} of wall clock while any was in progress (${day(t.first)} to ${last} UTC)`;
}

function headerLines(s: Summary): string[] {
  const L: string[] = [];
  L.push(`- Dataset: ${s.datasets.length ? s.datasets.join('; ') : 'none (no run finished)'}`);
  L.push(`- Backend: ${s.backends.join('; ') || DASH}; commit ${s.commits.map((c) => c.slice(0, 12)).join(', ') || 'unknown'}`);
  L.push(`- Runs: ${s.records} (${s.counts.ok} ok, ${s.counts.diverged} diverged, ${s.counts.failed} failed)${s.runTime ? `; ${runTimeText(s.runTime)}` : ''}`);
  const t = s.torchRuns;
  if (t)
    L.push(
      `- PyTorch, same protocol (\`ablate --engine torch\`: the authors' model code with our data, batch order, augmentation and initial weights): ${t.records} runs (${t.ok} ok) on ${t.versions.join('; ')}; shown beside ours, not used in the effects`,
    );
  L.push(`- Figures: top-1 (%) on ${SPLIT_TEXT[s.figureSplit]}; the paper's are ImageNet top-1 at full scale (Chen et al. 2023): compare effects, not levels.`);
  return L;
}

function cellsTable(s: Summary): string[] {
  const torch = s.cells.some((c) => c.torch !== null);
  const head = [
    'cell',
    'ok / declared seeds',
    'mean top-1',
    '95% CI',
    'deploy top-1',
    ...(torch ? ['PyTorch, same protocol', 'ours − PyTorch (paired)'] : []),
    'paper (ImageNet)',
  ];
  const rows = s.cells.map((c) => {
    const ci = Number.isFinite(c.top1.half) ? `${fixed(c.top1.low)} – ${fixed(c.top1.high)}` : DASH;
    const extra = c.diverged + c.failed > 0 ? ` (${c.diverged} diverged, ${c.failed} failed)` : '';
    const row = [cellLabel(c, s.factors), `${c.ok} / ${c.declared.length || '?'}${extra}`, fixed(c.top1.mean), ci, fixed(c.deployTop1)];
    if (torch) {
      const t = c.torch;
      const d = c.oursMinusTorch;
      row.push(t && t.ok > 0 ? `${fixed(t.top1.mean)} (n ${t.ok})` : DASH, d && d.n > 0 ? `${effectText(d)} (${d.n} pairs)` : DASH);
    }
    row.push(c.paper ? `${fixed(c.paper.top1)} (${c.paper.table})` : DASH);
    return row;
  });
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** The rules as a numbered footnote list, printed once at the end of each file. */
function rulesFootnote(): string[] {
  return ['## Rules', '', ...ruleLines().map((l, i) => `${i + 1}. ${l}`)];
}

/** summary.md of one folder: its header, one cells table, one effects table, the gate reasons once, the rules once. */
export function summaryMarkdown(s: Summary): string {
  const L: string[] = [];
  const d = s.declared;
  const rung = d?.ladder ? ` (rung ${d.ladder.labels[d.ladder.presets.indexOf(d.preset)]} of the ladder ${d.ladder.presets.join(' → ')})` : '';
  L.push(`# Ablation ${s.experiment}, preset ${s.preset}${rung}`, '');
  L.push(...headerLines(s));
  if (d?.ladder)
    L.push(`- The experiment's verdicts are read at the largest rung: \`../${d.experiment}-ladder/summary.md\`. The verdicts below are this rung's alone.`);
  L.push('', '## Cells', '', ...cellsTable(s));
  if (s.comparisons.length) {
    L.push('', '## Effects', '', 'Each cell against its baseline (every toggle off, shortcut none) and against each cell one factor away; rules below.', '');
    L.push('| cell | against | difference [95% CI] | pairs | paper | verdict | why |', '|---|---|---|---:|---:|---|---|');
    for (const c of s.comparisons) {
      L.push(
        `| ${cellLabel(c.cell, s.factors)} | ${cellLabel(c.against, s.factors)}${c.vsBaseline ? ' (baseline)' : ''} | ${effectText(c.effect)} | ${c.effect.n} | ${signed(c.paperEffect)} | ${verdictText(c)} | ${c.detail} |`,
      );
    }
    L.push('', `Scale: ${[...new Set(s.cells.map((c) => c.scale))].join('; ')}.`);
  }
  L.push('', ...rulesFootnote(), '', `Computed from ${RUNS_FILE} alone (the last record of each run) and experiment.json (the declared seeds).`, '');
  return L.join('\n');
}

/** The ladder's CSV: one row per comparison and rung; the verdict, trajectory and stability on every row of the comparison. */
export function ladderCsv(l: LadderSummary): string {
  const header = [
    'experiment',
    'model',
    'cell',
    'against',
    'vs_baseline',
    'budget',
    'preset',
    'declared_seeds',
    'paired_seeds',
    'effect',
    'effect_ci95_low',
    'effect_ci95_high',
    'paper_effect',
    'verdict',
    'stability',
    'unstable',
    'ours_over_paper',
    'trend',
    'trend_change',
    'trend_ci95_low',
    'trend_ci95_high',
    'why',
  ];
  const rows = l.effects.flatMap((e) =>
    e.rungs.map((r, i) => {
      const eff = e.ladder.effects[i];
      const t = e.ladder.trend;
      return [
        l.experiment,
        e.cell.cell.model,
        cellLabel(e.cell, Object.keys(e.cell.cell.factors) as FactorName[]),
        cellLabel(e.against, Object.keys(e.against.cell.factors) as FactorName[]),
        e.vsBaseline ? 'yes' : 'no',
        r.label,
        l.rungs[i].preset,
        r.declared.join(' '),
        eff.n,
        num(eff.diff),
        num(eff.low),
        num(eff.high),
        num(e.paperEffect, 2),
        e.verdict,
        num(e.stability, 3),
        e.unstable ? 'yes' : 'no',
        num(e.ladder.ratio, 3),
        t?.word ?? '',
        num(t?.change.diff),
        num(t?.change.low),
        num(t?.change.high),
        e.detail,
      ];
    }),
  );
  return stringify([header, ...rows]);
}

/** One line per effect: "-2.67 [-3.37, -1.97] → ... ; trend". */
export function trajectoryCells(e: LadderEffect): string[] {
  return e.ladder.effects.map((x, i) => (e.rungs[i].notRun ? 'not run' : effectText(x)));
}

export function trendText(e: LadderEffect): string {
  const t = e.ladder.trend;
  if (!t) return DASH;
  return `${t.word} (${signed(t.change.diff)} ${ciText(t.change)})`;
}

/** summary.md of a ladder: one effects table with a column per rung, the verdict at the largest, the rules once. */
export function ladderMarkdown(l: LadderSummary): string {
  const L: string[] = [];
  L.push(`# Ablation ${l.experiment}: budget ladder ${l.rungs.map((r) => `${r.preset} (${r.label})`).join(' → ')}`, '');
  for (const r of l.rungs) {
    const s = r.summary;
    L.push(
      `- ${r.label}: ${r.folder ? `\`${path.basename(r.folder)}/\`, ${s ? `${s.counts.ok} ok runs; ${s.datasets.join('; ')}${s.runTime ? `; ${runTimeText(s.runTime)}` : ''}` : ''}` : `preset ${r.preset}, not run yet`}`,
    );
  }
  const todo = toDoLines(l);
  if (todo.length > 0) L.push('', '## Still to run', '', 'The declared runs not ok yet, and what they would cost:', '', ...todo);
  L.push(
    '',
    '## Effects across the budgets',
    '',
    'Paired differences (cell − against, top-1 points, 95% CI) at each rung; the verdict is read at the largest rung (rules below).',
    '',
  );
  const head = ['cell', 'against', ...l.rungs.map((r) => r.label), 'trend (largest − smallest)', 'paper', 'verdict', 'why'];
  L.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const e of l.effects) {
    const factors = Object.keys(e.cell.cell.factors) as FactorName[];
    L.push(
      `| ${cellLabel(e.cell, factors)} | ${cellLabel(e.against, factors)}${e.vsBaseline ? ' (baseline)' : ''} | ${trajectoryCells(e).join(' | ')} | ${trendText(e)} | ${signed(e.paperEffect)} | ${verdictText(e)} | ${e.detail} |`,
    );
  }
  L.push('', `Scale at the largest rung: ${[...new Set(l.effects.map((e) => e.scale))].join('; ')}.`);
  L.push('', ...rulesFootnote(), '', `Computed from the rungs' ${RUNS_FILE} and experiment.json files alone.`, '');
  return L.join('\n');
}

/** The folder of a ladder's summary: <parent>/<experiment>-ladder. */
export const ladderDir = (parent: string, experiment: string): string => path.join(parent, `${experiment}-ladder`);

/**
 * Reads <dir>/runs.jsonl and experiment.json and (re)writes <dir>/summary.csv and summary.md atomically; when the
 * folder is a rung of a ladder, also the ladder's summary (<experiment>-ladder/ beside it).
 */
export function writeSummary(dir: string, warn?: (line: string) => void): Summary {
  const s = summarizeFolder(dir, undefined, warn);
  writeFileAtomic(path.join(dir, 'summary.csv'), summaryCsv(s));
  writeFileAtomic(path.join(dir, 'summary.md'), summaryMarkdown(s));
  const ladder = ladderFolders(dir);
  if (ladder && s.declared) {
    const l = readLadder(s.declared.experiment, ladder, warn);
    const out = ladderDir(path.dirname(path.resolve(dir)), s.declared.experiment);
    if (!existsSync(out)) mkdirSync(out, { recursive: true });
    writeFileAtomic(path.join(out, 'summary.csv'), ladderCsv(l));
    writeFileAtomic(path.join(out, 'summary.md'), ladderMarkdown(l));
  }
  return s;
}
