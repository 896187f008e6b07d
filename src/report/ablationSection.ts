/**
 * The report's ablation section: reads each results/ablation/<experiment>-<preset>/runs.jsonl through the run store, takes
 * the one analysis (src/ablation/analysis.ts) and its claims (src/ablation/verdicts.ts), and formats them: a table
 * per experiment, the Table 2 / Table 3 bar chart and the training curves.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readJsonFile } from '../util/boundedRead.js';
import path from 'node:path';
import { summarize, type CellSummary, type Summary } from '../ablation/analysis.js';
import { cellFields } from '../ablation/matrix.js';
import { readRuns, RUNS_FILE } from '../ablation/store.js';
import { ablationClaims, experimentKind, varyingFields, type Claim, type ExperimentKind } from '../ablation/verdicts.js';
import { optionCellLabel } from '../models/options.js';
import { paperNetworkName } from '../models/paper.js';
import { UserError } from '../util/errors.js';
import {
  ablationBarsChart,
  ablationBarsConfig,
  ablationCellColor,
  PERCENT_AXIS,
  trainingCurvesChart,
  type AblationBarsConfig,
  type ChartMeta,
  type CIBarSeries,
} from './charts.js';
import { chartLink, f2, mdTable, renderChart, type PendingChart, type Section } from './markdown.js';

export interface AblationExperiment {
  name: string;
  file: string;
  summary: Summary;
  /** cells in the whole matrix (the folder's experiment.json, written by ablate), when known */
  matrixCells?: number;
}

/** Reads every experiment's runs.jsonl; a line that is not a run record is a UserError (before anything is written). */
export function readAblationDir(dir: string, missing: string[]): AblationExperiment[] {
  const d = path.join(dir, 'ablation');
  if (existsSync(d) && !isFolder(d)) throw new UserError(`${d} is not a folder (the ablation results go there); nothing was written`);
  if (!existsSync(d)) {
    missing.push(
      `no ablation results (${d} does not exist): the Table 2 / Table 3 runs (results/ablation/<experiment>-<preset>/runs.jsonl) have not been made`,
    );
    return [];
  }
  const out: AblationExperiment[] = [];
  for (const name of readdirSync(d).sort()) {
    const sub = path.join(d, name);
    if (!isFolder(sub)) continue;
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
    out.push({ name, file, summary: summarize(records), matrixCells: matrixCellsOf(sub) });
  }
  if (out.length === 0 && !missing.some((m) => m.startsWith('ablation experiment'))) missing.push(`no ablation experiments in ${d}`);
  return onePresetPerExperiment(out, missing);
}

/** A folder (following links); a dangling or looping link is not one. */
function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Presets by how much they measure: the report shows an experiment's most complete one. */
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

/**
 * Every cell of the matrix has 2 or more ok seeds: enough for a CI, so the folder can carry verdicts. A folder that
 * ran part of its matrix (`--models`, or stopped before some cells started) is not: a long preset run for one
 * network only must not hide the full results of the others.
 */
const analysable = (e: AblationExperiment) =>
  e.summary.cells.length > 0 && e.summary.cells.length >= (e.matrixCells ?? 0) && e.summary.cells.every((c) => c.ok >= 2);

/**
 * One folder per experiment: a user's quick preview (results/ablation/table2-quick) beside the committed full results
 * (table2-full) would otherwise give two Table 2 sections with different verdicts. The report takes the largest
 * preset (long, full, quick) among the folders whose every cell has 2 ok seeds (a matrix still running may not), else
 * the folder with the most runs; the others are named as not shown.
 */
function onePresetPerExperiment(list: AblationExperiment[], missing: string[]): AblationExperiment[] {
  const rank = (e: AblationExperiment) => {
    const i = PRESET_ORDER.indexOf(e.summary.preset);
    return (analysable(e) ? 0 : 10) + (i < 0 ? PRESET_ORDER.length : i);
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
    const part = e.matrixCells !== undefined && e.summary.cells.length < e.matrixCells ? `, ${e.summary.cells.length} of its ${e.matrixCells} cells run` : '';
    missing.push(
      `ablation folder '${e.name}' (${e.summary.experiment}, preset ${e.summary.preset}${part}) is not shown: the report uses '${b.name}' (preset ${b.summary.preset}) for ${e.summary.experiment}`,
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

/** The bar (and colour) a cell belongs to in its group: its toggle combination (Table 2) or shortcut (Table 3). */
function seriesKey(c: CellSummary, kind: ExperimentKind): string {
  return kind === 'table2' ? comboLabel(c) : c.cell.toggles.shortcut;
}

/**
 * The ablation chart's data, cells in the paper's order (summarize's): a group per network in the experiment's
 * order, a bar per factor combination (Table 2: neither, deep training, series act., both; Table 3: the shortcut
 * placements), each cell's fixed colour (ablationCellColor(bar, group): the same in the curves), the paper's figure.
 */
export function ablationSeries(cells: readonly CellSummary[], kind: ExperimentKind): { categories: string[]; series: CIBarSeries[] } {
  const models = [...new Set(cells.map((c) => c.cell.model))];
  const keys = [...new Set(cells.map((c) => seriesKey(c, kind)))];
  const series = keys.map((label, si) => {
    const at = (m: string) => cells.find((c) => c.cell.model === m && seriesKey(c, kind) === label);
    return {
      label,
      mean: models.map((m) => meanOf(at(m))),
      halfWidth: models.map((m) => halfOf(at(m))),
      paper: models.map((m) => at(m)?.paper?.top1 ?? null),
      colors: models.map((_, mi) => ablationCellColor(si, mi)),
      torch: models.map((m) => {
        const t = at(m)?.torch;
        return t && t.ok > 0 ? t.top1.mean : null;
      }),
    };
  });
  return { categories: models.map(paperNetworkName), series };
}

/** A cell's fixed colour (as in ablationSeries). */
export function cellColor(cells: readonly CellSummary[], c: CellSummary, kind: ExperimentKind): string {
  const models = [...new Set(cells.map((x) => x.cell.model))];
  const keys = [...new Set(cells.map((x) => seriesKey(x, kind)))];
  return ablationCellColor(keys.indexOf(seriesKey(c, kind)), models.indexOf(c.cell.model));
}

/** The cell table of an experiment: ours, PyTorch under the same protocol (when run), the gate, the paper. */
export function cellTable(s: Summary, varying: readonly string[]): string {
  const torch = s.cells.some((c) => c.torch !== null);
  const split = s.figureSplit === 'test' ? 'test split' : s.figureSplit === 'validation' ? 'validation split' : 'test split, else validation';
  const head = ['cell', 'ok runs', 'diverged', 'failed', `top-1 % (ours, ${split})`, '95% CI ±'];
  if (torch) head.push('PyTorch, same protocol', 'ours − PyTorch (paired, 95% CI)');
  head.push('last-epoch gain', 'converged', 'max train/deploy gap pp', 'top-1 % (paper, ImageNet)');
  return mdTable(
    head,
    s.cells.map((c) => {
      const row = [cellLabel(c, varying), String(c.ok), String(c.diverged), String(c.failed), f2(meanOf(c)), f2(halfOf(c))];
      if (torch) {
        const t = c.torch;
        const d = c.oursMinusTorch;
        row.push(t && t.ok > 0 ? `${f2(t.top1.mean)}${Number.isFinite(t.top1.half) ? ` ± ${f2(t.top1.half)}` : ''} (n ${t.ok})` : '–');
        row.push(d && d.n > 0 ? `${signed(d.diff)}${Number.isFinite(d.half) ? ` [${signed(d.low)}, ${signed(d.high)}]` : ' (no CI)'} (${d.n} pairs)` : '–');
      }
      row.push(c.lastEpochGain === null ? '–' : signed(c.lastEpochGain), c.notConverged.length ? 'no' : 'yes', f2(c.deployGap, 3), f2(c.paper?.top1));
      return row;
    }),
  );
}

async function experimentSection(exp: AblationExperiment, chartsDir: string): Promise<Section & { kind: ExperimentKind; cells: number }> {
  const s = exp.summary;
  const cells = s.cells;
  const kind = experimentKind(exp.name, cells);
  const varying = varyingFields(cells);
  const md: string[] = [];
  const charts: PendingChart[] = [];
  const dataset = s.datasets.join('; ') || 'small-scale';
  const subtitle = `${dataset} - ${s.machines.join(', ') || 'machine not recorded'}${s.backendNames.length ? `, backend ${s.backendNames.join(', ')}` : ''} - ${s.records} runs (${exp.name}/runs.jsonl)`;
  const split = s.figureSplit === 'test' ? 'test' : s.figureSplit === 'validation' ? 'validation' : 'test (else validation)';
  // the dataset is in the subtitle: a rotated axis title longer than the plot is clipped at both ends
  const ourTitle = `our ${split} top-1 (%), mean over seeds, whiskers: 95% CI`;
  md.push(`### ${exp.name} (${kind === 'table2' ? 'Table 2: deep training and series activation' : 'Table 3: shortcuts'})`, '');
  md.push(cellTable(s, varying), '');
  const gated = cells.filter((c) => c.notConverged.length > 0);
  if (gated.length > 0)
    md.push(`Not converged at this budget (their comparisons are untestable): ${[...new Set(gated.flatMap((c) => c.notConverged))].join('; ')}.`, '');
  const meta: ChartMeta = { title: '', subtitle };
  if (cells.some((c) => c.values.length > 0)) {
    const cfg: AblationBarsConfig = ablationBarsConfig(ablationSeries(cells, kind));
    const title = kind === 'table2' ? 'Table 2: deep training and series informed activation' : 'Table 3: shortcut placement';
    const bars = await renderChart(chartsDir, `${exp.name}-${kind}.png`, `${exp.name}: ${kind === 'table2' ? 'Table 2' : 'Table 3'}`, () =>
      ablationBarsChart(cfg, { ...meta, title }, 'network', ourTitle, "paper's ImageNet top-1 (%), diamonds, same axis"),
    );
    charts.push(bars);
    md.push(chartLink(bars), '');
    md.push(
      `Bars: cells in the paper's order, one colour per cell (the same in the curves); axis 0-100 %; diamonds: the paper's ImageNet figure on the same axis.${cfg.bars.some((b) => b.torch.some((v) => v !== null)) ? ' Black bars across ours: the PyTorch reference trainer under the same protocol (mean over its seeds).' : ''}${cfg.clippedNotes.length ? ` Whiskers clipped to the axis (arrow heads): ${cfg.clippedNotes.join('; ')}.` : ''}`,
      '',
    );
  } else md.push('No successful run yet: no chart.', '');
  const models = [...new Set(cells.map((c) => c.cell.model))];
  const curves = cells
    .filter((c) => c.curveRuns > 0)
    .map((c) => ({
      label: `${cellLabel(c, varying)} (n = ${c.curveRuns})`,
      points: c.curve,
      color: cellColor(cells, c, kind),
      dashIndex: models.indexOf(c.cell.model),
    }));
  if (curves.length > 0) {
    const cc = await renderChart(chartsDir, `${exp.name}-curves.png`, `${exp.name}: training curves`, () =>
      trainingCurvesChart(curves, { ...meta, title: `Training curves: ${exp.name}` }, 'our validation top-1 (%), mean over seeds', PERCENT_AXIS),
    );
    charts.push(cc);
    md.push(chartLink(cc), '');
  } else md.push('No per-epoch records: no training curves.', '');
  return { markdown: md, charts, claims: ablationClaims(exp.name, s), kind, cells: cells.length };
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
