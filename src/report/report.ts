/**
 * Builds results/REPORT.md (and results/charts/*.png) from what is stored:
 *  - the zoo's counts, computed live (src/models/zoo.ts);
 *  - latency results, results/latency/*.json (src/results/latencyFile.ts);
 *  - ablation runs, results/ablation/<experiment>/runs.jsonl, one JSON record per line:
 *    { experiment, cell: { model, deepTraining, seriesAct, shortcut, ... }, seed, status: 'ok'|'diverged'|'failed',
 *      epochs: [{ epoch, valTop1, ... }], valTop1, deployValTop1, ... }
 *
 * Everything is read and checked before anything is written: a corrupt file (bad JSON, wrong shape) is one
 * UserError naming it, and neither the charts nor REPORT.md are touched. What is missing is listed in the report.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { computeStats, meanCI, spearman, welchCI } from '../util/stats.js';
import { readLatencyFile, type LatencyFile, type LatencyRow } from '../results/latencyFile.js';
import { isTorchLatency, readTorchLatencyFile, type TorchLatencyFile } from '../results/torchLatency.js';
import { gpuLatencySection } from './gpu.js';
import { writeFileAtomic } from '../interop/atomic.js';
import { MODEL_NAMES, modelOptions, zooEntry, type ZooEntry } from '../models/zoo.js';
import { PAPER } from '../models/paper.js';
import { EQUIVALENCE_MARGIN, PAPER_NEGLIGIBLE } from '../ablation/summary.js';
import { UserError } from '../util/errors.js';
import { gitCommit } from '../util/provenance.js';
import {
  deployVsTrainChart, depthVsLatencyChart, latencyVsTop1Chart, table2Chart, table3Chart, trainingCurvesChart, writeChart,
  type ChartMeta, type CIBarSeries,
} from './charts.js';

// ---- inputs -----------------------------------------------------------------------------------------------------

export interface AblationRecord {
  experiment: string;
  cell: Record<string, unknown>;
  seed: number | null;
  status: 'ok' | 'diverged' | 'failed' | string;
  /** (epoch, validation top-1) as stored (fraction or percent, see AblationExperiment.scale) */
  epochs: { epoch: number; valTop1: number }[];
  valTop1: number | null;
  deployValTop1: number | null;
  dataset: string | null;
  machine: string | null;
  backend: string | null;
}

export interface AblationExperiment {
  name: string;
  file: string;
  records: AblationRecord[];
  /** 100 when the stored top-1 values are fractions (all <= 1), else 1 */
  scale: number;
  notes: string[];
}

export interface LoadedLatency {
  file: string;
  data: LatencyFile;
}

export interface ReportInputs {
  zoo: ZooEntry[];
  latency: LoadedLatency[];
  /** PyTorch peer figures on a GPU (results/latency/torch-<gpu>.json, scripts/torch_latency.py) */
  torch: { file: string; data: TorchLatencyFile }[];
  ablation: AblationExperiment[];
  missing: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Whether a file holds the PyTorch peer's schema (read by readTorchLatencyFile, not readLatencyFile). */
function isTorchFile(file: string): boolean {
  try {
    return isTorchLatency(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return false; // readLatencyFile names the problem
  }
}

function readTorchPeers(dir: string): ReportInputs['torch'] {
  const d = path.join(dir, 'latency');
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()
    .map((f) => path.join(d, f)).filter(isTorchFile)
    .map((file) => ({ file, data: readTorchLatencyFile(file)! }));
}

function readLatencyDir(dir: string, missing: string[]): LoadedLatency[] {
  const d = path.join(dir, 'latency');
  if (!existsSync(d)) {
    missing.push(`no latency results (${d} does not exist): run \`vanillabench latency\``);
    return [];
  }
  const files = readdirSync(d).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  const out: LoadedLatency[] = [];
  for (const f of files) {
    const file = path.join(d, f);
    if (isTorchFile(file)) continue; // the PyTorch peer: readTorchPeers
    const data = readLatencyFile(file);
    if (data) out.push({ file, data });
  }
  if (out.length === 0) missing.push(`no latency results in ${d}: run \`vanillabench latency\``);
  return out;
}

function parseRecord(raw: unknown, file: string, line: number, expName: string, notes: Set<string>): AblationRecord | null {
  if (!isObject(raw)) throw new UserError(`corrupt ablation results file ${file}: line ${line} is not a JSON object; fix or delete it (nothing was written)`);
  if (!isObject(raw.cell)) {
    notes.add('records without a cell object were skipped');
    return null;
  }
  // the ablate runner's cells (src/ablation/matrix.ts) hold the resolved toggles and the factors of the matrix
  const cell: Record<string, unknown> = isObject(raw.cell.toggles)
    ? { model: raw.cell.model, deepTraining: raw.cell.toggles.deepTraining, seriesAct: raw.cell.toggles.seriesAct, shortcut: raw.cell.toggles.shortcut, ...(isObject(raw.cell.factors) ? raw.cell.factors : {}) }
    : raw.cell;
  const status = str(raw.status);
  if (!status) {
    notes.add('records without a status were skipped');
    return null;
  }
  const epochs: { epoch: number; valTop1: number }[] = [];
  const perEpoch = Array.isArray(raw.epochs) ? raw.epochs : raw.metrics;
  if (Array.isArray(perEpoch)) {
    perEpoch.forEach((e, i) => {
      if (!isObject(e)) return;
      const v = num(e.valTop1);
      if (v !== null) epochs.push({ epoch: num(e.epoch) ?? i + 1, valTop1: v });
    });
  } else notes.add('some records have no epochs list (no training curve for them)');
  let valTop1 = num(raw.valTop1);
  if (valTop1 === null && epochs.length > 0) {
    valTop1 = epochs[epochs.length - 1].valTop1;
    notes.add('some records have no final valTop1: their last epoch\'s was used');
  }
  if (valTop1 === null && status === 'ok') notes.add('some ok records have no top-1 at all (left out of the means)');
  const prov = isObject(raw.provenance) ? raw.provenance : null;
  const machineOf = prov && isObject(prov.machine) ? prov.machine : isObject(raw.machine) ? raw.machine : null;
  const machine = machineOf ? str(machineOf.cpuModel) : null;
  return {
    experiment: str(raw.experiment) ?? expName,
    cell,
    seed: num(raw.seed),
    status,
    epochs,
    valTop1,
    deployValTop1: num(raw.deployValTop1),
    dataset: str(raw.dataset) ?? str(cell.dataset),
    machine,
    backend: prov ? str(prov.backend) : str(raw.backend),
  };
}

function readAblationDir(dir: string, missing: string[]): AblationExperiment[] {
  const d = path.join(dir, 'ablation');
  if (!existsSync(d)) {
    missing.push(`no ablation results (${d} does not exist): the Table 2 / Table 3 runs (results/ablation/<experiment>/runs.jsonl) have not been made`);
    return [];
  }
  const out: AblationExperiment[] = [];
  for (const name of readdirSync(d).sort()) {
    const sub = path.join(d, name);
    if (!statSync(sub).isDirectory()) continue;
    const file = path.join(sub, 'runs.jsonl');
    if (!existsSync(file)) {
      missing.push(`ablation experiment '${name}' has no runs.jsonl yet`);
      continue;
    }
    const notes = new Set<string>();
    const records: AblationRecord[] = [];
    readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new UserError(`corrupt ablation results file ${file}: line ${i + 1}: ${(err as Error).message}; fix or delete it (nothing was written)`);
      }
      const r = parseRecord(raw, file, i + 1, name, notes);
      if (r) records.push(r);
    });
    if (records.length === 0) {
      missing.push(`ablation experiment '${name}' has no usable records yet`);
      continue;
    }
    const values = records.flatMap((r) => [r.valTop1, r.deployValTop1, ...r.epochs.map((e) => e.valTop1)]).filter((v): v is number => v !== null);
    const scale = values.length > 0 && values.every((v) => v <= 1) ? 100 : 1;
    if (scale === 100) notes.add('top-1 values are stored as fractions; shown here in percent');
    out.push({ name, file, records, scale, notes: [...notes] });
  }
  if (out.length === 0 && !missing.some((m) => m.startsWith('ablation experiment'))) {
    missing.push(`no ablation experiments in ${d}`);
  }
  return out;
}

/** The zoo at the paper's setting (224 px, width 1, 1000 classes), counted live. */
export function zooAtPaperSetting(): ZooEntry[] {
  return MODEL_NAMES.map((n) => zooEntry(n, modelOptions(n)));
}

/** Reads and checks everything the report uses; throws a UserError on a corrupt file (before anything is written). */
export function loadReportInputs(resultsDir: string): ReportInputs {
  const missing: string[] = [];
  if (!existsSync(resultsDir)) missing.push(`the results folder ${resultsDir} does not exist yet`);
  const latency = readLatencyDir(resultsDir, missing);
  const torch = readTorchPeers(resultsDir);
  const ablation = readAblationDir(resultsDir, missing);
  return { zoo: zooAtPaperSetting(), latency, torch, ablation, missing };
}

// ---- latency analysis -------------------------------------------------------------------------------------------

export interface LatencySelection {
  file: string;
  data: LatencyFile;
  inputSize: number;
  batch: number;
  width: number;
  rows: LatencyRow[];
}

/**
 * The measurements the report's Table 4 uses: over all files and (input, batch, width) settings, the one with the
 * most timed deploy rows, the paper's setting (224 px, batch 1, width 1) first.
 */
export function selectLatency(files: readonly LoadedLatency[]): { primary: LatencySelection | null; others: LatencySelection[] } {
  const all: LatencySelection[] = [];
  for (const { file, data } of files) {
    const groups = new Map<string, LatencyRow[]>();
    for (const r of data.rows) {
      const k = `${r.inputSize}|${r.batch}|${r.width}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rows] of groups) {
      const [inputSize, batch, width] = k.split('|').map(Number);
      all.push({ file, data, inputSize, batch, width, rows });
    }
  }
  const okDeploy = (s: LatencySelection) => s.rows.filter((r) => r.form === 'deploy' && r.status === 'ok').length;
  const paperSetting = (s: LatencySelection) => (s.inputSize === 224 && s.batch === 1 && s.width === 1 ? 1 : 0);
  // tfjs files first: they time both forms (ONNX Runtime files hold deploy forms only; they are shown beside them)
  const tfjs = (s: LatencySelection) => (s.data.runtime ? 0 : 1);
  all.sort((a, b) => paperSetting(b) - paperSetting(a) || tfjs(b) - tfjs(a) || okDeploy(b) - okDeploy(a) || b.rows.length - a.rows.length);
  const primary = all.find((s) => okDeploy(s) > 0) ?? all[0] ?? null;
  return { primary, others: all.filter((s) => s !== primary) };
}

export type Verdict = 'held' | 'did not hold' | 'inconclusive' | 'not tested';

export interface Claim {
  id: string;
  claim: string;
  verdict: Verdict;
  detail: string;
}

const f2 = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const signed = (x: number, d = 2): string => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;

function rowOf(sel: LatencySelection | null, model: string, form: 'deploy' | 'train'): LatencyRow | undefined {
  return sel?.rows.find((r) => r.model === model && r.form === form && r.status === 'ok');
}

/** Similar-accuracy pairs of the paper: each ResNet with the least accurate VanillaNet at least as accurate. */
export function similarAccuracyPairs(zoo: readonly ZooEntry[]): { resnet: ZooEntry; vanilla: ZooEntry }[] {
  const vanillas = zoo.filter((z) => /^vanillanet-\d+$/.test(z.name) && z.paper).sort((a, b) => a.paper!.top1 - b.paper!.top1);
  return zoo
    .filter((z) => z.name.startsWith('resnet') && z.paper)
    .flatMap((r) => {
      const v = vanillas.find((x) => x.paper!.top1 >= r.paper!.top1);
      return v ? [{ resnet: r, vanilla: v }] : [];
    });
}

/** Whether the 95% confidence intervals of two rows' mean latencies overlap. */
function ciOverlap(a: LatencyRow, b: LatencyRow): boolean {
  const moe = (r: LatencyRow) => (r.meanMs! * (r.rmePct ?? 0)) / 100;
  return Math.abs(a.meanMs! - b.meanMs!) <= moe(a) + moe(b);
}

export function latencyClaims(sel: LatencySelection | null, zoo: readonly ZooEntry[]): Claim[] {
  const claims: Claim[] = [];
  const deploy = sel ? sel.rows.filter((r) => r.form === 'deploy' && r.status === 'ok') : [];
  const setting = sel ? `${sel.data.backend} on ${sel.data.machine.cpuModel} (${sel.data.machine.cores} cores), ${sel.inputSize} px, batch ${sel.batch}` : '';

  // 1. depth vs FLOPs as a predictor of latency
  const c1 = 'Latency follows depth more than FLOPs (so a shallow network with more FLOPs can be faster)';
  if (deploy.length < 3) {
    claims.push({ id: 'depth-vs-flops', claim: c1, verdict: 'not tested', detail: `needs deploy latency of at least 3 models (have ${deploy.length})` });
  } else {
    const lat = deploy.map((r) => r.meanMs!);
    const rd = spearman(deploy.map((r) => r.depth), lat);
    const rg = spearman(deploy.map((r) => r.gmacs), lat);
    const withPaper = deploy.filter((r) => r.paper);
    const pd = withPaper.length >= 3 ? spearman(withPaper.map((r) => r.paper!.depth), withPaper.map((r) => r.paper!.latencyMs)) : Number.NaN;
    const pg = withPaper.length >= 3 ? spearman(withPaper.map((r) => r.paper!.gflops), withPaper.map((r) => r.paper!.latencyMs)) : Number.NaN;
    const same = spearman(deploy.map((r) => r.depth), deploy.map((r) => r.gmacs));
    const verdict: Verdict = !Number.isFinite(rd) || !Number.isFinite(rg) || rd === rg ? 'inconclusive' : rd > rg ? 'held' : 'did not hold';
    claims.push({
      id: 'depth-vs-flops',
      claim: c1,
      verdict,
      detail: `Spearman rank correlation over the ${deploy.length} models timed (${setting}): latency vs depth ρ = ${f2(rd, 3)}, `
        + `latency vs GMACs ρ = ${f2(rg, 3)}${same === 1 ? ' (depth and GMACs rank these models alike, so they cannot be told apart)' : ''}. `
        + `The paper's A100 figures for the ${withPaper.length} of them in its Table 4: ρ(depth) = ${f2(pd, 3)}, ρ(FLOPs) = ${f2(pg, 3)}.`,
    });
  }

  // 2. VanillaNet beats ResNets of similar paper accuracy
  const c2 = 'VanillaNet (deploy) is faster than a ResNet of similar ImageNet accuracy';
  const pairs = similarAccuracyPairs(zoo);
  const tested = pairs.flatMap(({ resnet, vanilla }) => {
    const r = rowOf(sel, resnet.name, 'deploy');
    const v = rowOf(sel, vanilla.name, 'deploy');
    return r && v ? [{ resnet, vanilla, r, v }] : [];
  });
  if (tested.length === 0) {
    claims.push({ id: 'vanilla-vs-resnet', claim: c2, verdict: 'not tested', detail: `no pair timed (pairs by paper top-1: ${pairs.map((p) => `${p.vanilla.name} vs ${p.resnet.name}`).join(', ')})` });
  } else {
    const wins = tested.filter((t) => t.v.meanMs! < t.r.meanMs!);
    claims.push({
      id: 'vanilla-vs-resnet',
      claim: c2,
      verdict: wins.length === tested.length ? 'held' : wins.length === 0 ? 'did not hold' : 'inconclusive',
      detail: `${wins.length} of ${tested.length} pairs (${setting}): ` + tested.map((t) =>
        `${t.vanilla.name} (paper ${t.vanilla.paper!.top1}%) ${f2(t.v.meanMs)} ms vs ${t.resnet.name} (paper ${t.resnet.paper!.top1}%) ${f2(t.r.meanMs)} ms`
        + ` = ${f2(t.v.meanMs! / t.r.meanMs!, 2)}x${ciOverlap(t.v, t.r) ? ' (95% CIs overlap)' : ''} (paper A100: ${t.vanilla.paper!.latencyMs} vs ${t.resnet.paper!.latencyMs} ms = ${f2(t.vanilla.paper!.latencyMs / t.resnet.paper!.latencyMs, 2)}x)`).join('; ') + '.',
    });
  }

  // 3. deploy form faster than the training form
  const c3 = 'The merged deploy form is faster than the training form (deep training pairs + series activation BN un-merged)';
  const both = (sel?.rows ?? []).filter((r) => r.form === 'deploy' && r.status === 'ok' && rowOf(sel, r.model, 'train'));
  if (both.length === 0) {
    claims.push({ id: 'deploy-vs-train', claim: c3, verdict: 'not tested', detail: 'no model timed in both forms (run `vanillabench latency --form both`)' });
  } else {
    const items = both.map((d) => {
      const t = rowOf(sel, d.model, 'train')!;
      return { model: d.model, ratio: t.meanMs! / d.meanMs!, separated: !ciOverlap(t, d), vanilla: d.model.startsWith('vanillanet') };
    });
    const vanilla = items.filter((i) => i.vanilla);
    const judged = vanilla.length > 0 ? vanilla : items;
    const faster = judged.filter((i) => i.ratio > 1);
    claims.push({
      id: 'deploy-vs-train',
      claim: c3,
      verdict: faster.length === judged.length ? 'held' : faster.length === 0 ? 'did not hold' : 'inconclusive',
      detail: `train/deploy mean latency: ` + items.map((i) => `${i.model} ${f2(i.ratio, 3)}x${i.separated ? '' : ' (95% CIs overlap)'}`).join(', ')
        + `${vanilla.length > 0 && vanilla.length < items.length ? ' (verdict on the VanillaNet models; the baselines have no pairs to merge, only BN)' : ''}.`,
    });
  }
  return claims;
}

// ---- ablation analysis ------------------------------------------------------------------------------------------

export interface CellSummary {
  key: string;
  cell: Record<string, unknown>;
  label: string;
  ok: number;
  diverged: number;
  failed: number;
  /** final top-1 of the ok runs, percent */
  top1: number[];
  mean: number | null;
  halfWidth: number | null;
  /** max |valTop1 - deployValTop1| over ok runs, percentage points (null: not stored) */
  deployGap: number | null;
  paper: number | null;
}

const CELL_LABELS: Record<string, (v: unknown) => string> = {
  model: (v) => paperNetworkName(String(v)),
  deepTraining: (v) => (v ? 'deep training' : 'no deep training'),
  seriesAct: (v) => (v ? 'series act.' : 'no series act.'),
  shortcut: (v) => `shortcut ${String(v)}`,
};

const cellKey = (cell: Record<string, unknown>): string => JSON.stringify(Object.keys(cell).sort().map((k) => [k, cell[k]]));

/** The paper's network name for a zoo model name (vanillanet-6 -> VanillaNet-6, resnet-50 -> ResNet-50, alexnet -> AlexNet). */
export function paperNetworkName(model: string): string {
  return model.replace(/^vanillanet/, 'VanillaNet').replace(/^resnet/, 'ResNet').replace(/^alexnet$/, 'AlexNet');
}

export type ExperimentKind = 'table2' | 'table3';

/** Table 3 if the experiment is named so or only the shortcut varies; Table 2 otherwise. */
export function experimentKind(exp: AblationExperiment): ExperimentKind {
  if (/table.?3|shortcut/i.test(exp.name)) return 'table3';
  if (/table.?2/i.test(exp.name)) return 'table2';
  const varying = varyingFields(exp.records.map((r) => r.cell));
  return varying.includes('shortcut') && !varying.includes('deepTraining') && !varying.includes('seriesAct') ? 'table3' : 'table2';
}

function varyingFields(cells: readonly Record<string, unknown>[]): string[] {
  const keys = new Set(cells.flatMap((c) => Object.keys(c)));
  return [...keys].filter((k) => new Set(cells.map((c) => JSON.stringify(c[k]))).size > 1).sort();
}

function paperValue(kind: ExperimentKind, cell: Record<string, unknown>): number | null {
  if (kind === 'table2') {
    const network = paperNetworkName(String(cell.model ?? ''));
    const row = PAPER.table2_ablation.rows.find((r) => r.network === network && r.deepTraining === cell.deepTraining && r.seriesAct === cell.seriesAct);
    return row?.top1 ?? null;
  }
  if (cell.model !== undefined && cell.model !== 'vanillanet-6') return null;
  return PAPER.table3_shortcut.rows.find((r) => r.shortcut === cell.shortcut)?.top1 ?? null;
}

export function summarizeCells(exp: AblationExperiment): CellSummary[] {
  const kind = experimentKind(exp);
  const varying = varyingFields(exp.records.map((r) => r.cell));
  const byKey = new Map<string, AblationRecord[]>();
  for (const r of exp.records) byKey.set(cellKey(r.cell), [...(byKey.get(cellKey(r.cell)) ?? []), r]);
  return [...byKey.entries()].map(([key, rs]) => {
    const cell = rs[0].cell;
    const ok = rs.filter((r) => r.status === 'ok');
    const top1 = ok.map((r) => r.valTop1).filter((v): v is number => v !== null).map((v) => v * exp.scale);
    const ci = top1.length > 0 ? meanCI(top1) : null;
    const gaps = ok.filter((r) => r.valTop1 !== null && r.deployValTop1 !== null).map((r) => Math.abs(r.valTop1! - r.deployValTop1!) * exp.scale);
    const fields = varying.length > 0 ? [...varying.filter((k) => k === 'model'), ...varying.filter((k) => k !== 'model')] : ['model'];
    const label = fields.map((k) => (CELL_LABELS[k] ? CELL_LABELS[k](cell[k]) : String(cell[k]))).join(', ');
    return {
      key,
      cell,
      label,
      ok: ok.length,
      diverged: rs.filter((r) => r.status === 'diverged').length,
      failed: rs.filter((r) => r.status !== 'ok' && r.status !== 'diverged').length,
      top1,
      mean: ci ? ci.mean : null,
      halfWidth: ci && Number.isFinite(ci.half) ? ci.half : null,
      deployGap: gaps.length > 0 ? Math.max(...gaps) : null,
      paper: paperValue(kind, cell),
    };
  });
}

function comboLabel(cell: Record<string, unknown>): string {
  const d = cell.deepTraining === true;
  const s = cell.seriesAct === true;
  return d && s ? 'deep training + series act.' : d ? 'deep training' : s ? 'series act.' : 'neither';
}

/**
 * Compares two cells' top-1 (b - a) against the paper's difference; a claim per comparison, judged on the 95% Welch
 * CI of b - a (no CI, fewer than 2 seeds a cell: inconclusive). M = EQUIVALENCE_MARGIN (1 top-1 point), as in the
 * ablation summary. Modes:
 *   'improves': held when the CI is above 0, did not hold when below 0;
 *   'little-difference' (equivalence): held when the CI lies within +-M, did not hold when it lies wholly beyond +-M;
 *   'not-worse' (b >= a, non-inferiority): held when the CI's low end is above -M, did not hold when its high end is.
 * Anything else is inconclusive: a CI that includes 0 but also large effects does not show "little difference".
 */
function compareCells(id: string, claim: string, a: CellSummary | undefined, b: CellSummary | undefined, mode: 'improves' | 'little-difference' | 'not-worse'): Claim {
  if (!a || !b) return { id, claim, verdict: 'not tested', detail: 'one of the two cells has not been run' };
  const paperDiff = a.paper !== null && b.paper !== null ? b.paper - a.paper : null;
  const paperText = paperDiff === null ? '' : `paper (ImageNet): ${signed(paperDiff)} pp (${a.paper} -> ${b.paper}); `;
  if (a.top1.length === 0 || b.top1.length === 0) return { id, claim, verdict: 'not tested', detail: `${paperText}no successful runs in one of the cells` };
  const meanDiff = computeStats(b.top1).mean - computeStats(a.top1).mean;
  const diff = welchCI(b.top1, a.top1);
  const w = Number.isFinite(diff.half) ? diff : null;
  const ours = `ours: ${signed(meanDiff)} pp (${f2(a.mean)} -> ${f2(b.mean)}, n = ${a.top1.length} / ${b.top1.length}`
    + `${w ? `, 95% CI of the difference [${signed(w.low)}, ${signed(w.high)}]` : ', too few seeds for a CI'})`;
  const M = EQUIVALENCE_MARGIN;
  let verdict: Verdict = 'inconclusive';
  if (w && mode === 'little-difference') verdict = w.low >= -M && w.high <= M ? 'held' : w.low > M || w.high < -M ? 'did not hold' : 'inconclusive';
  else if (w && mode === 'not-worse') verdict = w.low >= -M ? 'held' : w.high < -M ? 'did not hold' : 'inconclusive';
  else if (w) verdict = w.low > 0 ? 'held' : w.high < 0 ? 'did not hold' : 'inconclusive';
  return { id, claim, verdict, detail: `${paperText}${ours}.` };
}

export function ablationClaims(exp: AblationExperiment, cells: readonly CellSummary[]): Claim[] {
  const kind = experimentKind(exp);
  const claims: Claim[] = [];
  const find = (pred: (c: Record<string, unknown>) => boolean) => cells.find((c) => pred(c.cell));
  if (kind === 'table2') {
    const models = [...new Set(cells.map((c) => String(c.cell.model ?? '')))];
    for (const m of models) {
      const cell = (d: boolean, s: boolean) => find((c) => String(c.model ?? '') === m && c.deepTraining === d && c.seriesAct === s);
      const net = paperNetworkName(m);
      const small = (a: CellSummary | undefined, b: CellSummary | undefined) => a?.paper != null && b?.paper != null && Math.abs(b.paper - a.paper) < PAPER_NEGLIGIBLE;
      const pairs: [string, string, CellSummary | undefined, CellSummary | undefined][] = [
        [`${exp.name}:${m}:series-act`, `series informed activation improves ${net} (no deep training)`, cell(false, false), cell(false, true)],
        [`${exp.name}:${m}:deep-training`, `deep training improves ${net} (plain ReLU)`, cell(false, false), cell(true, false)],
        [`${exp.name}:${m}:both`, `deep training + series activation together beat neither for ${net}`, cell(false, false), cell(true, true)],
      ];
      for (const [id, text, a, b] of pairs) {
        const isSmall = small(a, b);
        claims.push(compareCells(id, isSmall ? text.replace(/improves|together beat neither for/, 'makes little difference to') : text, a, b, isSmall ? 'little-difference' : 'improves'));
      }
    }
  } else {
    const none = find((c) => c.shortcut === 'none');
    for (const s of ['before-act', 'after-act']) {
      const other = find((c) => c.shortcut === s);
      claims.push(compareCells(`${exp.name}:shortcut-${s}`, `a shortcut (${s}) does not help VanillaNet-6 (no shortcut at least as good)`, other, none, 'not-worse'));
    }
  }
  const gaps = cells.map((c) => c.deployGap).filter((g): g is number => g !== null);
  if (gaps.length > 0) {
    const worst = Math.max(...gaps);
    claims.push({
      id: `${exp.name}:deploy-accuracy`,
      claim: `the re-parameterized (deploy) model keeps the trained model's accuracy (${exp.name})`,
      verdict: worst <= 0.1 ? 'held' : 'did not hold',
      detail: `largest |train - deploy| validation top-1 gap over the successful runs: ${f2(worst, 3)} pp.`,
    });
  }
  return claims;
}

// ---- rendering --------------------------------------------------------------------------------------------------

function mdTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** What ran a latency file: the tfjs backend (and kernels, version), or ONNX Runtime (version, threads). */
function runtimeLabel(data: LatencyFile): string {
  if (data.runtime) return `ONNX Runtime ${data.runtime.version} (${data.runtime.executionProvider}, ${data.runtime.threads} threads)`;
  const run = data.runs[data.runs.length - 1];
  return `backend ${data.backend}${run ? ` (${run.kernels === 'ours' ? 'our' : 'stock'} kernels), tfjs ${run.tfjsVersion}` : ''}`;
}

function latencySubtitle(sel: LatencySelection): string {
  const m = sel.data.machine;
  return `${m.cpuModel}, ${m.cores} cores, ${m.platform} - ${runtimeLabel(sel.data)}`
    + ` - input ${sel.inputSize} px, batch ${sel.batch}${sel.width !== 1 ? `, width ${sel.width}` : ''}`;
}

const VERDICT_MARK: Record<Verdict, string> = { held: 'HELD', 'did not hold': 'DID NOT HOLD', inconclusive: 'INCONCLUSIVE', 'not tested': 'NOT TESTED' };

interface PendingChart {
  file: string;
  title: string;
  png: Buffer;
}

export interface ReportResult {
  report: string;
  charts: string[];
  missing: string[];
  claims: Claim[];
  latency: { file: string; inputSize: number; batch: number; width: number; timed: number } | null;
  ablation: { experiment: string; kind: ExperimentKind; records: number; cells: number }[];
}

export interface ReportOptions {
  resultsDir: string;
  log?: (line: string) => void;
  /** for tests: a fixed date */
  now?: Date;
}

/** Reads the results folder, renders the charts, writes them and REPORT.md (all atomically, after all reading). */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const log = opts.log ?? (() => {});
  const dir = opts.resultsDir;
  const inputs = loadReportInputs(dir); // throws before anything is written
  const missing = [...inputs.missing];
  const chartsDir = path.join(dir, 'charts');
  const charts: PendingChart[] = [];
  const md: string[] = [];
  const claims: Claim[] = [];
  const chartLink = (c: PendingChart) => `![${c.title}](charts/${path.basename(c.file)})`;
  const addChart = async (name: string, title: string, render: () => Promise<Buffer>): Promise<PendingChart> => {
    const c = { file: path.join(chartsDir, name), title, png: await render() };
    charts.push(c);
    return c;
  };

  const { primary, others } = selectLatency(inputs.latency);
  const zoo = inputs.zoo;

  md.push('# VanillaNet reproduction report', '');
  md.push(`Generated ${(opts.now ?? new Date()).toISOString()} by \`vanillabench report\` from \`${dir}\`${gitCommit() ? ` (commit ${gitCommit()!.slice(0, 12)})` : ''}.`);
  md.push('Paper: VanillaNet: the Power of Minimalism in Deep Learning (Chen et al., 2023). Our counts come from the model zoo (computed now); measurements from the files listed below.', '');

  // --- what is missing
  md.push('## What is here and what is missing', '');
  md.push(`- Model zoo: ${zoo.length} models counted at the paper's setting (224 px, width 1, 1000 classes).`);
  md.push(primary
    ? `- Latency: ${inputs.latency.length} file(s); Table 4 below uses \`${primary.file}\` at ${primary.inputSize} px, batch ${primary.batch}, width ${primary.width}.`
    : '- Latency: none.');
  md.push(inputs.ablation.length > 0
    ? `- Ablations: ${inputs.ablation.map((e) => `${e.name} (${e.records.length} runs)`).join(', ')}.`
    : '- Ablations: none.');
  if (primary && (primary.inputSize !== 224 || primary.batch !== 1 || primary.width !== 1)) {
    missing.push(`no latency at the paper's setting (224 px, batch 1, width 1): the latency columns use ${primary.inputSize} px, batch ${primary.batch}, width ${primary.width}`);
  }
  if (primary) {
    const untimed = zoo.filter((z) => !rowOf(primary, z.name, 'deploy'));
    if (untimed.length > 0) missing.push(`deploy latency not measured for: ${untimed.map((z) => z.name).join(', ')}`);
    for (const r of primary.rows.filter((x) => x.status === 'skipped')) missing.push(`latency skipped for ${r.model} (${r.form}): ${r.reason}`);
  }
  if (missing.length > 0) md.push('', 'Missing:', '', ...missing.map((m) => `- ${m}`));
  md.push('');

  // --- Table 4
  md.push('## Table 4 reproduced', '');
  md.push('Params (M) follow the paper\'s convention; GMACs and depth are the deploy form\'s at 224 px. Paper latency: A100, PyTorch, batch 1.'
    + (primary ? ` Our latency: mean of the timed calls ± relative 95% margin of error, ${latencySubtitle(primary)}.` : ' Our latency: not measured yet.'), '');
  md.push(mdTable(
    ['model', 'params M (paper)', 'params M (ours)', 'GFLOPs (paper)', 'GMACs (ours)', 'depth (paper)', 'depth (ours)', 'A100 ms (paper)', 'deploy ms (ours)', 'train ms (ours)', 'train/deploy', 'top-1 % (paper)'],
    zoo.map((z) => {
      const d = rowOf(primary, z.name, 'deploy');
      const t = rowOf(primary, z.name, 'train');
      const skipped = primary?.rows.find((r) => r.model === z.name && r.form === 'deploy' && r.status === 'skipped');
      return [
        z.name, f2(z.paper?.paramsM, 1), f2(z.paramsM, 1), f2(z.paper?.gflops, 2), f2(z.gmacs, 2), z.paper ? String(z.paper.depth) : '-', String(z.depth),
        f2(z.paper?.latencyMs), d ? `${f2(d.meanMs)} ± ${f2(d.rmePct, 1)}%` : skipped ? 'skipped' : '-', t ? `${f2(t.meanMs)} ± ${f2(t.rmePct, 1)}%` : '-',
        d && t ? f2(t.meanMs! / d.meanMs!, 3) : '-', f2(z.paper?.top1),
      ];
    }),
  ), '');

  // --- latency charts
  if (primary) {
    const meta = (title: string): ChartMeta => ({ title, subtitle: latencySubtitle(primary) });
    const deployRows = primary.rows.filter((r) => r.form === 'deploy' && r.status === 'ok');
    const withTop1 = deployRows.filter((r) => r.paper);
    const made: PendingChart[] = [];
    if (withTop1.length > 0) {
      made.push(await addChart('latency-vs-top1.png', 'Our latency vs the paper\'s top-1', () => latencyVsTop1Chart(
        withTop1.map((r) => ({ model: r.model, latencyMs: r.meanMs!, top1: r.paper!.top1, vanilla: r.model.startsWith('vanillanet') })),
        meta('Our deploy latency vs the paper\'s ImageNet top-1'),
        `our measured batch-${primary.batch} latency, deploy form (ms)`,
      )));
    }
    if (deployRows.length > 0) {
      made.push(await addChart('depth-vs-latency.png', 'Depth vs our latency', () => depthVsLatencyChart(
        primary.rows.filter((r) => r.status === 'ok').map((r) => ({
          model: r.model, depth: r.depth, latencyMs: r.meanMs!,
          series: `${r.model.startsWith('vanillanet') ? 'VanillaNet' : 'baselines'}, ${r.form} form`,
        })),
        meta('Depth vs measured latency'),
        `our measured batch-${primary.batch} latency (ms)`,
      )));
    }
    const bothRows = deployRows.filter((r) => rowOf(primary, r.model, 'train'));
    if (bothRows.length > 0) {
      made.push(await addChart('deploy-vs-train.png', 'Deploy vs train form latency', () => deployVsTrainChart(
        bothRows.map((d) => {
          const t = rowOf(primary, d.model, 'train')!;
          return { model: d.model, deployMs: d.meanMs!, trainMs: t.meanMs!, deployMoeMs: (d.meanMs! * (d.rmePct ?? 0)) / 100, trainMoeMs: (t.meanMs! * (t.rmePct ?? 0)) / 100 };
        }),
        meta('Deploy (merged) vs train form latency'),
      )));
    }
    if (made.length > 0) md.push('### Latency charts', '', ...made.flatMap((c) => [chartLink(c), '']));
  }

  // --- our GPU latency beside PyTorch's on the same card and the paper's A100
  md.push(...gpuLatencySection(inputs, zoo));

  // --- claims
  const lc = latencyClaims(primary, zoo);
  claims.push(...lc);

  // --- ablations
  const ablationSummary: ReportResult['ablation'] = [];
  const ablationMd: string[] = [];
  for (const exp of inputs.ablation) {
    const kind = experimentKind(exp);
    const cells = summarizeCells(exp);
    ablationSummary.push({ experiment: exp.name, kind, records: exp.records.length, cells: cells.length });
    const dataset = exp.records.find((r) => r.dataset)?.dataset ?? 'small-scale';
    const machine = exp.records.find((r) => r.machine)?.machine;
    const backend = exp.records.find((r) => r.backend)?.backend;
    const subtitle = `${dataset} - ${machine ?? 'machine not recorded'}${backend ? `, backend ${backend}` : ''} - ${exp.records.length} runs (${exp.name}/runs.jsonl)`;
    // the dataset is in the subtitle: a rotated axis title longer than the plot is clipped at both ends
    const ourTitle = 'our validation top-1 (%), mean over seeds, whiskers: 95% CI';
    ablationMd.push(`### ${exp.name} (${kind === 'table2' ? 'Table 2: deep training and series activation' : 'Table 3: shortcuts'})`, '');
    for (const n of exp.notes) ablationMd.push(`- note: ${n}`);
    if (exp.notes.length > 0) ablationMd.push('');
    ablationMd.push(mdTable(
      ['cell', 'ok runs', 'diverged', 'failed', `top-1 % (ours, ${dataset})`, '95% CI ±', 'max train/deploy gap pp', 'top-1 % (paper, ImageNet)'],
      cells.map((c) => [c.label, String(c.ok), String(c.diverged), String(c.failed), f2(c.mean), f2(c.halfWidth), f2(c.deployGap, 3), f2(c.paper)]),
    ), '');
    const meta: ChartMeta = { title: '', subtitle };
    let bars: PendingChart | null = null;
    if (cells.some((c) => c.mean !== null)) {
      if (kind === 'table2') {
        const categories = [...new Set(cells.map((c) => String(c.cell.model ?? '?')))];
        const combos = [...new Set(cells.map((c) => comboLabel(c.cell)))];
        const series: CIBarSeries[] = combos.map((label) => {
          const at = (m: string) => cells.find((c) => String(c.cell.model ?? '?') === m && comboLabel(c.cell) === label);
          return { label, mean: categories.map((m) => at(m)?.mean ?? null), halfWidth: categories.map((m) => at(m)?.halfWidth ?? null), paper: categories.map((m) => at(m)?.paper ?? null) };
        });
        bars = await addChart(`${exp.name}-table2.png`, `${exp.name}: Table 2`, () => table2Chart(
          { categories: categories.map(paperNetworkName), series, ourTitle }, { ...meta, title: 'Table 2: deep training and series informed activation' }));
      } else {
        const categories = [...new Set(cells.map((c) => String(c.cell.shortcut ?? '?')))];
        const models = [...new Set(cells.map((c) => String(c.cell.model ?? 'vanillanet-6')))];
        const series: CIBarSeries[] = models.map((m) => {
          const at = (s: string) => cells.find((c) => String(c.cell.model ?? 'vanillanet-6') === m && String(c.cell.shortcut ?? '?') === s);
          return { label: paperNetworkName(m), mean: categories.map((s) => at(s)?.mean ?? null), halfWidth: categories.map((s) => at(s)?.halfWidth ?? null), paper: categories.map((s) => at(s)?.paper ?? null) };
        });
        bars = await addChart(`${exp.name}-table3.png`, `${exp.name}: Table 3`, () => table3Chart(
          { categories, series, ourTitle }, { ...meta, title: 'Table 3: shortcut placement (VanillaNet-6)' }));
      }
    } else ablationMd.push('No successful run yet: no chart.', '');
    if (bars) ablationMd.push(chartLink(bars), '');
    const curves = cells.flatMap((c) => {
      const recs = exp.records.filter((r) => cellKey(r.cell) === c.key && r.status === 'ok' && r.epochs.length > 0);
      if (recs.length === 0) return [];
      const epochs = [...new Set(recs.flatMap((r) => r.epochs.map((e) => e.epoch)))].sort((a, b) => a - b);
      const points = epochs.map((epoch) => {
        const vs = recs.flatMap((r) => r.epochs.filter((e) => e.epoch === epoch).map((e) => e.valTop1 * exp.scale));
        return { epoch, valTop1: vs.reduce((a, b) => a + b, 0) / vs.length };
      });
      const model = String(c.cell.model ?? '');
      const models = [...new Set(cells.map((x) => String(x.cell.model ?? '')))];
      const colorKey = kind === 'table2' ? comboLabel(c.cell) : String(c.cell.shortcut ?? '');
      const colorKeys = [...new Set(cells.map((x) => (kind === 'table2' ? comboLabel(x.cell) : String(x.cell.shortcut ?? ''))))];
      return [{ label: `${c.label} (n = ${recs.length})`, points, colorIndex: colorKeys.indexOf(colorKey), dashIndex: models.indexOf(model) }];
    });
    if (curves.length > 0) {
      const cc = await addChart(`${exp.name}-curves.png`, `${exp.name}: training curves`, () => trainingCurvesChart(
        curves, { ...meta, title: `Training curves: ${exp.name}` }, 'our validation top-1 (%), mean over seeds'));
      ablationMd.push(chartLink(cc), '');
    } else ablationMd.push('No per-epoch records: no training curves.', '');
    claims.push(...ablationClaims(exp, cells));
  }
  if (inputs.ablation.length === 0) {
    claims.push({ id: 'table2', claim: 'Table 2: deep training and series informed activation improve shallow networks', verdict: 'not tested', detail: 'no ablation runs stored yet' });
    claims.push({ id: 'table3', claim: 'Table 3: shortcuts do not help VanillaNet-6', verdict: 'not tested', detail: 'no ablation runs stored yet' });
  }

  md.push('## Claims on this machine', '');
  md.push('Each claim of the paper we can test here, with the verdict and the numbers. Ablation verdicts compare our small-scale runs (95% Welch CIs over seeds), not ImageNet.', '');
  for (const c of claims) md.push(`- **${VERDICT_MARK[c.verdict]}**: ${c.claim}. ${c.detail}`);
  const held = claims.filter((c) => c.verdict === 'held').length;
  const notHeld = claims.filter((c) => c.verdict === 'did not hold').length;
  md.push('', `In short: ${held} held, ${notHeld} did not hold, ${claims.filter((c) => c.verdict === 'inconclusive').length} inconclusive, ${claims.filter((c) => c.verdict === 'not tested').length} not tested.`, '');

  md.push('## Ablations', '');
  if (ablationMd.length > 0) md.push(...ablationMd);
  else md.push('No ablation results yet (expected under `ablation/<experiment>/runs.jsonl`).', '');

  if (others.length > 0) {
    md.push('## Other latency measurements', '');
    md.push(mdTable(['file', 'backend', 'machine', 'input', 'batch', 'width', 'timed rows', 'skipped rows'], others.map((s) => [
      path.basename(s.file), s.data.runtime ? runtimeLabel(s.data) : s.data.backend, `${s.data.machine.cpuModel} (${s.data.machine.cores} cores)`, String(s.inputSize), String(s.batch), String(s.width),
      String(s.rows.filter((r) => r.status === 'ok').length), String(s.rows.filter((r) => r.status === 'skipped').length),
    ])), '');
    // the same setting on another runtime: deploy latency side by side
    const beside = primary ? others.filter((s) => s.data.runtime && s.inputSize === primary.inputSize && s.batch === primary.batch && s.width === primary.width) : [];
    if (primary && beside.length > 0) {
      md.push('### Deploy latency by runtime', '', `Mean ms of the timed calls at ${primary.inputSize} px, batch ${primary.batch}${primary.width !== 1 ? `, width ${primary.width}` : ''} (deploy form).`, '');
      const models = zoo.map((z) => z.name).filter((n) => rowOf(primary, n, 'deploy') || beside.some((s) => rowOf(s, n, 'deploy')));
      md.push(mdTable(['model', `${primary.data.backend} (${path.basename(primary.file)})`, ...beside.map((s) => `${runtimeLabel(s.data)} (${path.basename(s.file)})`)],
        models.map((n) => [n, f2(rowOf(primary, n, 'deploy')?.meanMs), ...beside.map((s) => f2(rowOf(s, n, 'deploy')?.meanMs))])), '');
    }
  }

  if (inputs.latency.length > 0) {
    md.push('## Provenance', '');
    for (const { file, data } of inputs.latency) {
      for (const r of data.runs) md.push(`- \`${path.basename(file)}\`: \`${r.command}\` at ${r.date}, commit ${r.commit?.slice(0, 12) ?? 'unknown'}${r.dirty ? ' (uncommitted changes)' : ''}, ${data.runtime ? `${runtimeLabel(data)}, weights built with tfjs ${r.tfjsVersion}` : `${r.backend} (${r.kernels} kernels), tfjs ${r.tfjsVersion}`}, ${r.machine.cpuModel} x ${r.machine.cores}, node ${r.machine.node}`);
    }
    md.push('');
  }

  // --- write: charts first, the report last (it links them)
  mkdirSync(dir, { recursive: true });
  for (const c of charts) {
    writeChart(c.file, c.png);
    log(`report: wrote ${c.file}`);
  }
  const report = path.join(dir, 'REPORT.md');
  writeFileAtomic(report, [Buffer.from(`${md.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`)]);
  log(`report: wrote ${report}`);
  return {
    report,
    charts: charts.map((c) => c.file),
    missing,
    claims,
    latency: primary ? { file: primary.file, inputSize: primary.inputSize, batch: primary.batch, width: primary.width, timed: primary.rows.filter((r) => r.status === 'ok').length } : null,
    ablation: ablationSummary,
  };
}
