/**
 * The report's ablation section: reads each results/ablation/<experiment>/runs.jsonl through the run store, takes
 * the one analysis (src/ablation/analysis.ts) and its claims (src/ablation/verdicts.ts), and formats them: a table
 * per experiment, the Table 2 / Table 3 bar chart and the training curves.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { summarize, type CellSummary, type Summary } from '../ablation/analysis.js';
import { cellFields } from '../ablation/matrix.js';
import { readRuns, RUNS_FILE } from '../ablation/store.js';
import { ablationClaims, cellsInRecordOrder, experimentKind, varyingFields, type Claim, type ExperimentKind } from '../ablation/verdicts.js';
import { optionCellLabel } from '../models/options.js';
import { paperNetworkName } from '../models/paper.js';
import { UserError } from '../util/errors.js';
import { table2Chart, table3Chart, trainingCurvesChart, type ChartMeta, type CIBarSeries } from './charts.js';
import { chartLink, f2, mdTable, renderChart, type PendingChart, type Section } from './markdown.js';

export interface AblationExperiment {
  name: string;
  file: string;
  summary: Summary;
}

/** Reads every experiment's runs.jsonl; a line that is not a run record is a UserError (before anything is written). */
export function readAblationDir(dir: string, missing: string[]): AblationExperiment[] {
  const d = path.join(dir, 'ablation');
  if (!existsSync(d)) {
    missing.push(`no ablation results (${d} does not exist): the Table 2 / Table 3 runs (results/ablation/<experiment>/runs.jsonl) have not been made`);
    return [];
  }
  const out: AblationExperiment[] = [];
  for (const name of readdirSync(d).sort()) {
    const sub = path.join(d, name);
    if (!statSync(sub).isDirectory()) continue;
    const file = path.join(sub, RUNS_FILE);
    if (!existsSync(file)) {
      missing.push(`ablation experiment '${name}' has no runs.jsonl yet`);
      continue;
    }
    const problems: string[] = [];
    const { records } = readRuns(file, (line) => problems.push(line));
    if (problems.length > 0) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
      throw new UserError(`corrupt ablation results file ${problems[0]}${more}; fix or delete it (nothing was written)`);
    }
    if (records.length === 0) {
      missing.push(`ablation experiment '${name}' has no usable records yet`);
      continue;
    }
    out.push({ name, file, summary: summarize(records) });
  }
  if (out.length === 0 && !missing.some((m) => m.startsWith('ablation experiment'))) missing.push(`no ablation experiments in ${d}`);
  return out;
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

/** The Table 2 chart's data: a category per model, a series per toggle combination (mean, CI whisker, paper marker). */
export function table2Series(cells: readonly CellSummary[]): { categories: string[]; series: CIBarSeries[] } {
  const categories = [...new Set(cells.map((c) => c.cell.model))];
  const combos = [...new Set(cells.map(comboLabel))];
  const series = combos.map((label) => {
    const at = (m: string) => cells.find((c) => c.cell.model === m && comboLabel(c) === label);
    return { label, mean: categories.map((m) => meanOf(at(m))), halfWidth: categories.map((m) => halfOf(at(m))), paper: categories.map((m) => at(m)?.paper?.top1 ?? null) };
  });
  return { categories: categories.map(paperNetworkName), series };
}

/** The Table 3 chart's data: a category per shortcut placement, a series per model. */
export function table3Series(cells: readonly CellSummary[]): { categories: string[]; series: CIBarSeries[] } {
  const categories = [...new Set(cells.map((c) => c.cell.toggles.shortcut))];
  const models = [...new Set(cells.map((c) => c.cell.model))];
  const series = models.map((m) => {
    const at = (s: string) => cells.find((c) => c.cell.model === m && c.cell.toggles.shortcut === s);
    return { label: paperNetworkName(m), mean: categories.map((s) => meanOf(at(s))), halfWidth: categories.map((s) => halfOf(at(s))), paper: categories.map((s) => at(s)?.paper?.top1 ?? null) };
  });
  return { categories, series };
}

async function experimentSection(exp: AblationExperiment, chartsDir: string): Promise<Section & { kind: ExperimentKind; cells: number }> {
  const s = exp.summary;
  const cells = cellsInRecordOrder(s);
  const kind = experimentKind(exp.name, cells);
  const varying = varyingFields(cells);
  const md: string[] = [];
  const charts: PendingChart[] = [];
  const dataset = s.datasets.join('; ') || 'small-scale';
  const subtitle = `${dataset} - ${s.machines.join(', ') || 'machine not recorded'}${s.backendNames.length ? `, backend ${s.backendNames.join(', ')}` : ''} - ${s.records} runs (${exp.name}/runs.jsonl)`;
  // the dataset is in the subtitle: a rotated axis title longer than the plot is clipped at both ends
  const ourTitle = 'our validation top-1 (%), mean over seeds, whiskers: 95% CI';
  md.push(`### ${exp.name} (${kind === 'table2' ? 'Table 2: deep training and series activation' : 'Table 3: shortcuts'})`, '');
  md.push(mdTable(
    ['cell', 'ok runs', 'diverged', 'failed', `top-1 % (ours, ${dataset})`, '95% CI ±', 'max train/deploy gap pp', 'top-1 % (paper, ImageNet)'],
    cells.map((c) => [cellLabel(c, varying), String(c.ok), String(c.diverged), String(c.failed), f2(meanOf(c)), f2(halfOf(c)), f2(c.deployGap, 3), f2(c.paper?.top1)]),
  ), '');
  const meta: ChartMeta = { title: '', subtitle };
  if (cells.some((c) => c.values.length > 0)) {
    const bars = kind === 'table2'
      ? await renderChart(chartsDir, `${exp.name}-table2.png`, `${exp.name}: Table 2`, () => table2Chart(
        { ...table2Series(cells), ourTitle }, { ...meta, title: 'Table 2: deep training and series informed activation' }))
      : await renderChart(chartsDir, `${exp.name}-table3.png`, `${exp.name}: Table 3`, () => table3Chart(
        { ...table3Series(cells), ourTitle }, { ...meta, title: 'Table 3: shortcut placement (VanillaNet-6)' }));
    charts.push(bars);
    md.push(chartLink(bars), '');
  } else md.push('No successful run yet: no chart.', '');
  const colorKeyOf = (c: CellSummary) => (kind === 'table2' ? comboLabel(c) : c.cell.toggles.shortcut);
  const colorKeys = [...new Set(cells.map(colorKeyOf))];
  const models = [...new Set(cells.map((c) => c.cell.model))];
  const curves = cells.filter((c) => c.curveRuns > 0).map((c) => ({
    label: `${cellLabel(c, varying)} (n = ${c.curveRuns})`, points: c.curve, colorIndex: colorKeys.indexOf(colorKeyOf(c)), dashIndex: models.indexOf(c.cell.model),
  }));
  if (curves.length > 0) {
    const cc = await renderChart(chartsDir, `${exp.name}-curves.png`, `${exp.name}: training curves`, () => trainingCurvesChart(
      curves, { ...meta, title: `Training curves: ${exp.name}` }, 'our validation top-1 (%), mean over seeds'));
    charts.push(cc);
    md.push(chartLink(cc), '');
  } else md.push('No per-epoch records: no training curves.', '');
  return { markdown: md, charts, claims: ablationClaims(exp.name, s), kind, cells: cells.length };
}

/** The ablation section of REPORT.md: one subsection per experiment, and the claims they test. */
export async function ablationSection(experiments: readonly AblationExperiment[], chartsDir: string): Promise<Section & { experiments: { experiment: string; kind: ExperimentKind; records: number; cells: number }[] }> {
  const out = { markdown: [] as string[], charts: [] as PendingChart[], claims: [] as Claim[], experiments: [] as { experiment: string; kind: ExperimentKind; records: number; cells: number }[] };
  for (const exp of experiments) {
    const sec = await experimentSection(exp, chartsDir);
    out.markdown.push(...sec.markdown);
    out.charts.push(...sec.charts);
    out.claims.push(...sec.claims);
    out.experiments.push({ experiment: exp.name, kind: sec.kind, records: exp.summary.records, cells: sec.cells });
  }
  if (experiments.length === 0) {
    out.claims.push({ id: 'table2', claim: 'Table 2: deep training and series informed activation improve shallow networks', verdict: 'not tested', detail: 'no ablation runs stored yet' });
    out.claims.push({ id: 'table3', claim: 'Table 3: shortcuts do not help VanillaNet-6', verdict: 'not tested', detail: 'no ablation runs stored yet' });
  }
  return out;
}
