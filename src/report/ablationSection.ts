/**
 * The report's ablation section: reads each results/ablation/<experiment>-<preset>/runs.jsonl through the run store, takes
 * the one analysis (src/ablation/analysis.ts) and its claims (src/ablation/verdicts.ts), and formats them: a table
 * per experiment, the Table 2 / Table 3 bar chart and the training curves.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readJsonFile } from '../util/boundedRead.js';
import path from 'node:path';
import type { CellSummary, Summary } from '../ablation/analysis.js';
import { ladderOfFolder, summarizeFolder, type LadderSummary } from '../ablation/ladder.js';
import { toDoLines } from '../ablation/ladderToDo.js';
import { cellFields } from '../ablation/matrix.js';
import type { LadderEffect } from '../ablation/ladder.js';
import { EQUIVALENCE_MARGIN, PAPER_NEGLIGIBLE } from '../ablation/rules.js';
import type { FactorName } from '../ablation/experiment.js';
import { effectText, verdictText } from '../ablation/format.js';
import { engineAgreement } from '../ablation/engineAgreement.js';
import { cellLabel as summaryCellLabel, trajectoryCells, trendText } from '../ablation/summary.js';
import { readRuns, RUNS_FILE } from '../ablation/store.js';
import type { RunRecord } from '../ablation/recordCheck.js';
import { ablationClaims, experimentKind, varyingFields, type Claim, type ExperimentKind } from '../ablation/verdicts.js';
import { optionCellLabel } from '../models/options.js';
import { paperNetworkName } from '../models/paper.js';
import { familyDefaults } from '../models/zoo.js';
import { UserError } from '../util/errors.js';
import {
  ablationBarsChart,
  ablationBarsConfig,
  ablationCellColor,
  budgetChart,
  forestChart,
  forestConfig,
  PERCENT_AXIS,
  trainingCurvesChart,
  type AblationBarsConfig,
  type BudgetLine,
  type ForestRow,
} from './ablationCharts.js';
import type { CIBarSeries } from './charts.js';
import { chartLink, f2, mdTable, renderChart, type PendingChart, type Section } from './markdown.js';

export interface AblationExperiment {
  /** the folder shown (the largest rung of a ladder, or the one folder) */
  name: string;
  file: string;
  /** the shown folder's own summary (its cells: the tables and level charts) */
  summary: Summary;
  /** the comparisons followed across the experiment's ladder (one rung when it has none): the verdicts */
  ladder: LadderSummary;
  /** cells in the whole matrix (the folder's experiment.json, written by ablate), when known */
  matrixCells?: number;
}

/** A folder's records; a line that is not a run record is a UserError (before anything is written). */
function readFolder(sub: string): RunRecord[] {
  const problems: string[] = [];
  const { records } = readRuns(path.join(sub, RUNS_FILE), (line) => problems.push(line));
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new UserError(`corrupt ablation results file ${problems[0]}${more}; fix or delete it (nothing was written)`);
  }
  return records;
}

/**
 * Reads every experiment's folders under <dir>/ablation. An experiment whose folders declare a budget ladder is shown
 * as that ladder (its rung folders; the others go to `notShown` with the reason); one without is shown by its most
 * complete folder. `only` (report --ablation) shows exactly these folders, each as its own ladder or alone. A folder
 * left out is not missing: the user may have made it on purpose, so it is named apart from what is missing.
 */
export function readAblationDir(dir: string, missing: string[], notShown: string[], only?: readonly string[]): AblationExperiment[] {
  const d = path.join(dir, 'ablation');
  if (!only && existsSync(d) && !isFolder(d)) throw new UserError(`${d} is not a folder (the ablation results go there); nothing was written`);
  const folders = only
    ? only.map((f) => path.resolve(f))
    : existsSync(d)
      ? readdirSync(d)
          .sort()
          .map((n) => path.join(d, n))
      : null;
  if (folders === null) {
    missing.push(
      `no ablation results (${d} does not exist): the Table 2 / Table 3 runs (results/ablation/<experiment>-<preset>/runs.jsonl) have not been made`,
    );
    return [];
  }
  const out: AblationExperiment[] = [];
  for (const sub of folders) {
    const name = path.basename(sub);
    if (!isFolder(sub)) {
      if (only) throw new UserError(`--ablation ${sub}: not a folder`);
      continue;
    }
    const file = path.join(sub, RUNS_FILE);
    if (!existsSync(file)) {
      if (only) throw new UserError(`--ablation ${sub}: no ${RUNS_FILE} in it (an ablate output folder has one)`);
      if (!name.endsWith('-ladder')) notShown.push(`ablation folder '${name}' (no runs.jsonl yet)`);
      continue;
    }
    const records = readFolder(sub);
    if (records.length === 0) {
      notShown.push(`ablation folder '${name}' (no usable records yet)`);
      continue;
    }
    const summary = summarizeFolder(sub);
    const ladder = ladderOfFolder(sub, summary);
    out.push({ name, file, summary, ladder, matrixCells: matrixCellsOf(sub) });
  }
  if (out.length === 0 && !only && notShown.length === 0) missing.push(`no ablation experiments in ${d}`);
  if (!only) return onePerExperiment(out, notShown);
  // several rungs of one ladder asked for: the ladder once
  return out.filter((e, i) => !isRung(e) || out.findIndex((x) => isRung(x) && x.ladder.experiment === e.ladder.experiment) === i);
}

/** A folder (following links); a dangling or looping link is not one. */
function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Presets by how much they measure: without a ladder, the report shows an experiment's most complete one. */
const PRESET_ORDER = ['long', 'full', 'quick'];

/** The number of cells of the folder's whole matrix (experiment.json), or undefined (older folders, unreadable file). */
function matrixCellsOf(folder: string): number | undefined {
  try {
    const cells = (readJsonFile(path.join(folder, 'experiment.json'), 'experiment file', 2 ** 20) as { cells?: unknown } | null)?.cells;
    return typeof cells === 'number' ? cells : undefined;
  } catch {
    return undefined;
  }
}

/** Every cell of the matrix has 2 or more ok seeds: enough for a CI. */
const analysable = (e: AblationExperiment) =>
  e.summary.cells.length > 0 && e.summary.cells.length >= (e.matrixCells ?? 0) && e.summary.cells.every((c) => c.ok >= 2);

const isRung = (e: AblationExperiment) => e.ladder.rungs.length > 1;

/**
 * One entry per experiment: its ladder when its folders declare one (shown once, its cells and levels from its largest rung whose every cell has 2 ok seeds, else its rung with the most such cells),
 * else its most complete preset (long, full, quick among the analysable folders). The others are named as not shown,
 * with the reason.
 */
function onePerExperiment(list: AblationExperiment[], notShown: string[]): AblationExperiment[] {
  const rank = (e: AblationExperiment) => {
    const i = PRESET_ORDER.indexOf(e.summary.preset);
    const rung = isRung(e) ? e.ladder.rungs.findIndex((r) => r.preset === e.summary.preset) : -1;
    // a ladder is shown by its largest rung whose every cell has 2 ok seeds (else the rung with the most such cells,
    // so that a rung where only some networks have run does not hide the others' levels)
    const okCells = e.summary.cells.filter((c) => c.ok >= 2).length;
    return isRung(e) ? (analysable(e) ? -100_000 : -10 * okCells) - rung : (analysable(e) ? 0 : 10) + (i < 0 ? PRESET_ORDER.length : i);
  };
  const best = new Map<string, AblationExperiment>();
  for (const e of list) {
    const b = best.get(e.summary.experiment);
    if (!b || rank(e) < rank(b) || (rank(e) === rank(b) && e.summary.records > b.summary.records)) best.set(e.summary.experiment, e);
  }
  const shown = new Set(best.values());
  for (const e of list) {
    if (shown.has(e)) continue;
    const b = best.get(e.summary.experiment)!;
    const inLadder = isRung(b) && b.ladder.rungs.some((r) => r.folder && path.resolve(r.folder) === path.resolve(path.dirname(e.file)));
    if (inLadder) continue;
    const part = e.matrixCells !== undefined && e.summary.cells.length < e.matrixCells ? `, ${e.summary.cells.length} of its ${e.matrixCells} cells run` : '';
    const why = isRung(b)
      ? `it is not a rung of ${e.summary.experiment}'s budget ladder (${b.ladder.rungs.map((r) => r.preset).join(' → ')})`
      : `the report uses '${b.name}' (preset ${b.summary.preset}) for ${e.summary.experiment}`;
    notShown.push(
      `ablation folder '${e.name}' (${e.summary.experiment}, preset ${e.summary.preset}${part}): ${why}; \`report --ablation results/ablation/${e.name}\` shows it`,
    );
  }
  return list.filter((e) => shown.has(e));
}

/** A cell's label from the fields that vary in its experiment, the model first. */
function cellLabel(c: CellSummary, varying: readonly string[]): string {
  const fields = varying.length > 0 ? [...varying.filter((k) => k === 'model'), ...varying.filter((k) => k !== 'model')] : ['model'];
  const f = cellFields(c.cell);
  return fields.map((k) => (k === 'model' ? paperNetworkName(String(f[k])) : optionCellLabel(k, f[k]))).join(', ');
}

function comboLabel(c: CellSummary): string {
  const d = c.cell.toggles.deepTraining;
  const s = c.cell.toggles.seriesAct;
  return d && s ? 'deep training + series act.' : d ? 'deep training' : s ? 'series act.' : 'neither';
}

const meanOf = (c: CellSummary | undefined): number | null => (c && c.values.length > 0 ? c.top1.mean : null);
const halfOf = (c: CellSummary | undefined): number | null => (c && c.values.length > 0 && Number.isFinite(c.top1.half) ? c.top1.half : null);
const signed = (x: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)}`;

/** The bar a cell belongs to in its group: its toggle combination (Table 2) or shortcut (Table 3). */
function seriesKey(c: CellSummary, kind: ExperimentKind): string {
  return kind === 'table2' ? comboLabel(c) : c.cell.toggles.shortcut;
}

/** Networks in a fixed order for colour shades: a network has the same shade in every chart of the report. */
const NETWORK_ORDER = ['vanillanet-6', 'alexnet', 'resnet-50'];
const SHORTCUT_HUES = ['before-act', 'after-act'];

/**
 * A cell's colour, the same in every chart and table of the report: the hue of its configuration (neither, deep
 * training, series act., both; a non-default shortcut its own hue, so Table 3's "none" cell, which is Table 2's
 * VanillaNet-6 with both tricks, has that cell's colour), the shade of its network.
 */
export function cellColor(c: CellSummary): string {
  const t = c.cell.toggles;
  const sc = SHORTCUT_HUES.indexOf(t.shortcut);
  const hue = sc >= 0 && !isBaselineShortcut(c) ? 4 + sc : (t.deepTraining ? 1 : 0) + (t.seriesAct ? 2 : 0);
  const net = NETWORK_ORDER.indexOf(c.cell.model);
  return ablationCellColor(hue, net < 0 ? NETWORK_ORDER.length : net);
}

/** Whether a cell's shortcut is its family's default (ResNet's own shortcuts are not a Table 3 placement). */
function isBaselineShortcut(c: CellSummary): boolean {
  return c.cell.toggles.shortcut === (familyDefaults(c.cell.model).shortcut ?? 'none');
}

/**
 * The level chart's data, cells in the paper's order (summarize's): a group per network in the experiment's order, a
 * bar per factor combination (Table 2: neither, deep training, series act., both; Table 3: the shortcut placements),
 * each cell's colour (cellColor). Only our figures: the paper's ImageNet levels and the PyTorch means stay in the
 * tables (a second axis of ImageNet levels invited comparing levels; marks across the bars hid the whiskers).
 */
export function ablationSeries(cells: readonly CellSummary[], kind: ExperimentKind): { categories: string[]; series: CIBarSeries[] } {
  const models = [...new Set(cells.map((c) => c.cell.model))];
  const keys = [...new Set(cells.map((c) => seriesKey(c, kind)))];
  const series = keys.map((label) => {
    const at = (m: string) => cells.find((c) => c.cell.model === m && seriesKey(c, kind) === label);
    return {
      label,
      mean: models.map((m) => meanOf(at(m))),
      halfWidth: models.map((m) => halfOf(at(m))),
      paper: models.map(() => null),
      colors: models.map((m) => {
        const c = at(m);
        return c ? cellColor(c) : '#cccccc';
      }),
      torch: models.map(() => null),
    };
  });
  return { categories: models.map(paperNetworkName), series };
}

/** The cell table of an experiment: ours, PyTorch under the same protocol (when run), the gate, the paper. */
export function cellTable(s: Summary, varying: readonly string[]): string {
  const torch = s.cells.some((c) => c.torch !== null);
  const split = s.figureSplit === 'test' ? 'test split' : s.figureSplit === 'validation' ? 'validation split' : 'test split, else validation';
  const head = ['cell', 'ok / declared seeds', 'diverged', 'failed', `top-1 % (ours, ${split})`, '95% CI ±'];
  if (torch) head.push('PyTorch, same protocol', 'ours − PyTorch (paired, 95% CI)');
  head.push('max train/deploy gap pp', 'top-1 % (paper, ImageNet)');
  return mdTable(
    head,
    s.cells.map((c) => {
      const row = [cellLabel(c, varying), `${c.ok} / ${c.declared.length || '?'}`, String(c.diverged), String(c.failed), f2(meanOf(c)), f2(halfOf(c))];
      if (torch) {
        const t = c.torch;
        const d = c.oursMinusTorch;
        row.push(t && t.ok > 0 ? `${f2(t.top1.mean)}${Number.isFinite(t.top1.half) ? ` ± ${f2(t.top1.half)}` : ''} (n ${t.ok})` : '–');
        row.push(d && d.n > 0 ? `${signed(d.diff)}${Number.isFinite(d.half) ? ` [${signed(d.low)}, ${signed(d.high)}]` : ' (no CI)'} (${d.n} pairs)` : '–');
      }
      row.push(f2(c.deployGap, 3), f2(c.paper?.top1));
      return row;
    }),
  );
}

/** The ladder's effects: a column per rung, the trend, the paper's effect, the verdict with its stability. */
export function ladderTable(l: LadderSummary): string {
  const head = ['comparison', ...l.rungs.map((r) => `${r.label} (${r.preset})`), 'trend', 'paper', 'verdict'];
  return mdTable(
    head,
    l.effects.map((e) => {
      const factors = Object.keys(e.cell.cell.factors) as FactorName[];
      return [
        `${summaryCellLabel(e.cell, factors)} vs ${summaryCellLabel(e.against, factors)}`,
        ...trajectoryCells(e),
        trendText(e),
        signed(e.paperEffect ?? Number.NaN),
        `${verdictText(e)}: ${e.detail}`,
      ];
    }),
  );
}

/** "deep training (with series act.)": what a comparison changes, and the other factors where they are on. */
function comparisonLabel(e: LadderEffect): string {
  const names: Record<string, string> = { deepTraining: 'deep training', seriesAct: 'series act.', shortcut: 'shortcut' };
  const f = e.cell.cell.factors;
  const what = e.differing.map((k) => (k === 'shortcut' ? `shortcut ${String(f.shortcut)}` : (names[k] ?? k))).join(' + ');
  const others = (Object.keys(f) as FactorName[]).filter((k) => !e.differing.includes(k) && f[k] === true).map((k) => names[k] ?? k);
  return `${paperNetworkName(e.cell.cell.model)}: ${what}${others.length ? ` (with ${others.join(', ')})` : ''}`;
}

/** The hue of a comparison's line: the hue of the cell it reaches (deep training 1, series act. 2, both 3, shortcuts 4-5). */
function comparisonHue(e: LadderEffect): number {
  const t = e.cell.cell.toggles;
  const sc = SHORTCUT_HUES.indexOf(t.shortcut);
  return sc >= 0 && !isBaselineShortcut(e.cell) ? 4 + sc : (t.deepTraining ? 1 : 0) + (t.seriesAct ? 2 : 0);
}

/** Per rung with PyTorch runs: each engine's effects on the same protocol (shown beside the verdicts, not used in them). */
export function engineTables(l: LadderSummary): string[] {
  const md: string[] = [];
  for (const r of l.rungs) {
    if (!r.summary || !r.folder) continue;
    const rows = engineAgreement(r.summary);
    if (rows.length === 0) continue;
    const factors = r.summary.factors;
    md.push(
      `The authors' PyTorch code on the same protocol at ${r.label} (\`${path.basename(r.folder)}\`; ${r.summary.torchRuns?.versions.join('; ') ?? 'PyTorch'}): each comparison's paired effect by each engine over the seeds both ran ok (top-1 points, 95% CI), and ours − PyTorch paired by seed. Shown beside the verdicts, which are our engine's; an interval of ours − PyTorch that holds 0 means the engines agree within the seeds' noise.`,
      '',
      mdTable(
        ['comparison', 'seeds', 'ours', 'PyTorch', 'ours − PyTorch'],
        rows.map((a) => [
          `${summaryCellLabel(a.comparison.cell, factors)} vs ${summaryCellLabel(a.comparison.against, factors)}`,
          String(a.seeds.length),
          effectText(a.ours),
          effectText(a.torch),
          effectText(a.oursMinusTorch),
        ]),
      ),
      '',
    );
  }
  return md;
}

/** What a ladder's effect charts are drawn from: every made rung (one rung's dataset line would name its size alone). */
export function ladderSubtitle(l: LadderSummary): string {
  const made = l.rungs.flatMap((r) => (r.summary && r.folder ? [{ summary: r.summary, folder: path.basename(r.folder) }] : []));
  const uniq = (xs: string[]) => [...new Set(xs)];
  const datasets = uniq(made.flatMap((m) => m.summary.datasets.map((d) => d.split(' (')[0])));
  const machines = uniq(made.flatMap((m) => m.summary.machines));
  const backends = uniq(made.flatMap((m) => m.summary.backendNames));
  const ok = made.reduce((a, m) => a + m.summary.counts.ok, 0);
  return `${datasets.join('; ') || 'small-scale'} - ${machines.join(', ') || 'machine not recorded'}${backends.length ? `, backend ${backends.join(', ')}` : ''} - ${ok} ok runs (${made.map((m) => m.folder).join(', ')})`;
}

/** The forest plot of an experiment and its effect-vs-budget chart per network (with their captions in `md`). */
async function effectCharts(exp: AblationExperiment, chartsDir: string, folderSubtitle: string, md: string[]): Promise<PendingChart[]> {
  const l = exp.ladder;
  const subtitle = l.rungs.length > 1 ? ladderSubtitle(l) : folderSubtitle;
  const withPaper = l.effects.filter((e) => e.paperEffect !== null);
  if (withPaper.length === 0 || !withPaper.some((e) => e.ladder.effects.some((x) => x.n > 0))) return [];
  const out: PendingChart[] = [];
  const rows: ForestRow[] = withPaper.map((e) => ({
    label: comparisonLabel(e),
    verdict: e.verdict,
    rungs: e.ladder.effects.map((x) => ({ label: x.label, diff: x.n > 0 ? x.diff : Number.NaN, low: x.low, high: x.high })),
    paper: e.paperEffect,
    margin: Math.abs(e.paperEffect as number) < PAPER_NEGLIGIBLE ? EQUIVALENCE_MARGIN : null,
  }));
  const cfg = forestConfig(
    rows,
    l.rungs.map((r) => r.label),
  );
  const prefix = l.rungs.length > 1 ? l.experiment : exp.name;
  const forest = await renderChart(chartsDir, `${prefix}-forest.png`, `${l.experiment}: effects (forest plot)`, () =>
    forestChart(
      cfg,
      { title: `${l.experiment}: paired effects beside the paper's`, subtitle },
      "paired difference in our test top-1 (points), 95% CI; diamond: the paper's ImageNet effect",
    ),
  );
  out.push(forest);
  md.push(
    chartLink(forest),
    '',
    `Forest plot: each comparison's paired difference (dot) with its 95% CI at every rung (${l.rungs.map((r) => r.label).join(', ')}: top to bottom, paler to darker), coloured by its verdict; the paper's ImageNet effect as a black diamond; the vertical line is 0; shaded: the ±${EQUIVALENCE_MARGIN} point equivalence band on the comparisons judged by equivalence (negligible in the paper).`,
    '',
  );
  const budgets = l.rungs.map((r) => ({ value: r.budget, label: `${r.label} (${r.preset})` }));
  if (budgets.length < 2) return out;
  for (const model of [...new Set(withPaper.map((e) => e.cell.cell.model))]) {
    const lines: BudgetLine[] = withPaper
      .filter((e) => e.cell.cell.model === model && e.vsBaseline)
      .map((e) => ({
        label: comparisonLabel(e).split(': ')[1],
        points: e.ladder.effects.map((x, i) => ({ budget: l.rungs[i].budget, diff: x.n > 0 ? x.diff : Number.NaN, low: x.low, high: x.high })),
        paper: e.paperEffect,
        colorIndex: comparisonHue(e),
      }));
    const net = paperNetworkName(model);
    const chart = await renderChart(chartsDir, `${prefix}-${model}-budget.png`, `${l.experiment}: ${net}, effect vs budget`, () =>
      budgetChart(
        lines,
        budgets,
        { title: `${l.experiment}, ${net}: effect against the baseline vs training budget`, subtitle },
        'paired difference in our test top-1 (points)',
      ),
    );
    out.push(chart);
    md.push(chartLink(chart), '');
  }
  md.push(
    "Effect vs budget: each trick's paired effect against the network's baseline at every rung (a rung not run yet has no point), its 95% CI as a band, the zero line, and the paper's ImageNet effect as a dashed line of the same colour.",
    '',
  );
  return out;
}

async function experimentSection(exp: AblationExperiment, chartsDir: string): Promise<Section & { kind: ExperimentKind; cells: number }> {
  const s = exp.summary;
  const cells = s.cells;
  const kind = experimentKind(cells);
  const varying = varyingFields(cells);
  const md: string[] = [];
  const charts: PendingChart[] = [];
  const dataset = s.datasets.join('; ') || 'small-scale';
  const subtitle = `${dataset} - ${s.machines.join(', ') || 'machine not recorded'}${s.backendNames.length ? `, backend ${s.backendNames.join(', ')}` : ''} - ${s.records} runs (${exp.name}/runs.jsonl)`;
  const split = s.figureSplit === 'test' ? 'test' : s.figureSplit === 'validation' ? 'validation' : 'test (else validation)';
  // the dataset is in the subtitle: a rotated axis title longer than the plot is clipped at both ends
  const ourTitle = `our ${split} top-1 (%), mean over seeds, whiskers: 95% CI`;
  md.push(`### ${exp.name} (${kind === 'table2' ? 'Table 2: deep training and series activation' : 'Table 3: shortcuts'})`, '');
  md.push(ladderTable(exp.ladder), '');
  const todo = toDoLines(exp.ladder);
  if (todo.length > 0) md.push('Still to run (declared, not ok yet) and what it would cost:', '', ...todo, '');
  md.push(...engineTables(exp.ladder));
  charts.push(...(await effectCharts(exp, chartsDir, subtitle, md)));
  md.push(`Cells at ${exp.ladder.rungs.find((r) => r.preset === s.preset)?.label ?? 'this budget'} (\`${exp.name}\`):`, '', cellTable(s, varying), '');
  if (cells.some((c) => c.values.length > 0)) {
    const cfg: AblationBarsConfig = ablationBarsConfig(ablationSeries(cells, kind));
    const title = kind === 'table2' ? 'Table 2: deep training and series informed activation' : 'Table 3: shortcut placement';
    const bars = await renderChart(chartsDir, `${exp.name}-${kind}.png`, `${exp.name}: ${kind === 'table2' ? 'Table 2' : 'Table 3'}`, () =>
      ablationBarsChart(cfg, { title, subtitle: `${subtitle} - bars: ${split} split` }, 'network', ourTitle, ''),
    );
    charts.push(bars);
    md.push(chartLink(bars), '');
    md.push(
      `Levels (our ${split} top-1, not the paper's ImageNet levels, which are in the table above): cells in the paper's order, one colour per cell (the same in every chart of this report); axis 0-100 %.${cfg.clippedNotes.length ? ` Whiskers clipped to the axis (arrow heads): ${cfg.clippedNotes.join('; ')}.` : ''}`,
      '',
    );
  } else md.push('No successful run yet: no chart.', '');
  const models = [...new Set(cells.map((c) => c.cell.model))];
  const curves = cells
    .filter((c) => c.curveRuns > 0)
    .map((c) => ({
      label: `${cellLabel(c, varying)} (n = ${c.curveRuns})`,
      points: c.curve,
      color: cellColor(c),
      dashIndex: models.indexOf(c.cell.model),
    }));
  if (curves.length > 0) {
    const cc = await renderChart(chartsDir, `${exp.name}-curves.png`, `${exp.name}: training curves`, () =>
      trainingCurvesChart(
        curves,
        { title: `Training curves: ${exp.name}`, subtitle: `${subtitle} - curves: validation split` },
        'our validation top-1 (%), mean over seeds',
        PERCENT_AXIS,
      ),
    );
    charts.push(cc);
    md.push(chartLink(cc), '');
  } else md.push('No per-epoch records: no training curves.', '');
  return { markdown: md, charts, claims: ablationClaims(exp.ladder.experiment, exp.ladder), kind, cells: cells.length };
}

/** The ablation section of REPORT.md: one subsection per experiment, and the claims they test. */
export async function ablationSection(
  experiments: readonly AblationExperiment[],
  chartsDir: string,
): Promise<Section & { experiments: { experiment: string; kind: ExperimentKind; records: number; cells: number }[] }> {
  const out = {
    markdown: [] as string[],
    charts: [] as PendingChart[],
    claims: [] as Claim[],
    experiments: [] as { experiment: string; kind: ExperimentKind; records: number; cells: number }[],
  };
  for (const exp of experiments) {
    const sec = await experimentSection(exp, chartsDir);
    out.markdown.push(...sec.markdown);
    out.charts.push(...sec.charts);
    out.claims.push(...sec.claims);
    out.experiments.push({ experiment: exp.name, kind: sec.kind, records: exp.summary.records, cells: sec.cells });
  }
  if (experiments.length === 0) {
    out.claims.push({
      id: 'table2',
      claim: 'Table 2: deep training and series informed activation improve shallow networks',
      verdict: 'not tested',
      detail: 'no ablation runs stored yet',
    });
    out.claims.push({ id: 'table3', claim: 'Table 3: shortcuts do not help VanillaNet-6', verdict: 'not tested', detail: 'no ablation runs stored yet' });
  }
  return out;
}
