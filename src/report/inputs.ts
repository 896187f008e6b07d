/**
 * What the report reads, all before anything is written: the zoo's counts (computed live), the latency files
 * (src/results/latencyFile.ts), the PyTorch peer's files (src/results/torchLatency.ts) and the ablation runs
 * (./ablationSection.ts). A corrupt file is one UserError naming it; what is missing is listed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readJsonFile } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';
import path from 'node:path';
import { MODEL_NAMES, modelOptions, zooEntry, type ZooEntry } from '../models/zoo.js';
import { MAX_LATENCY_FILE_BYTES, readLatencyFile, type LatencyFile, type LatencyRow } from '../results/latencyFile.js';
import { isTorchLatency, readTorchLatencyFile, type TorchLatencyFile } from '../results/torchLatency.js';
import { readAblationDir, type AblationExperiment } from './ablationSection.js';

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

/** Whether a file holds the PyTorch peer's schema (read by readTorchLatencyFile, not readLatencyFile). */
function isTorchFile(file: string): boolean {
  try {
    return isTorchLatency(readJsonFile(file, 'latency file', MAX_LATENCY_FILE_BYTES));
  } catch {
    return false; // readLatencyFile names the problem
  }
}

function readTorchPeers(dir: string): ReportInputs['torch'] {
  const d = path.join(dir, 'latency');
  if (!existsSync(d) || !statSync(d).isDirectory()) return [];
  return readdirSync(d)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(d, f))
    .filter(isTorchFile)
    .map((file) => ({ file, data: readTorchLatencyFile(file)! }));
}

function readLatencyDir(dir: string, missing: string[]): LoadedLatency[] {
  const d = path.join(dir, 'latency');
  if (existsSync(d) && !statSync(d).isDirectory()) throw new UserError(`${d} is not a folder (the latency results go there); nothing was written`);
  if (!existsSync(d)) {
    missing.push(`no latency results (${d} does not exist): run \`vanillabench latency\``);
    return [];
  }
  const files = readdirSync(d)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort();
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

/** The timed (ok) row of a model in one form, if any. */
export function rowOf(sel: LatencySelection | null, model: string, form: 'deploy' | 'train'): LatencyRow | undefined {
  return sel?.rows.find((r) => r.model === model && r.form === form && r.status === 'ok');
}

/** What ran a latency file: the tfjs backend (and kernels, version), or ONNX Runtime (version, threads). */
export function runtimeLabel(data: LatencyFile): string {
  if (data.runtime) return `ONNX Runtime ${data.runtime.version} (${data.runtime.executionProvider}, ${data.runtime.threads} threads)`;
  const run = data.runs[data.runs.length - 1];
  return `backend ${data.backend}${run ? ` (${run.kernels === 'ours' ? 'our' : 'stock'} kernels), tfjs ${run.tfjsVersion}` : ''}`;
}

export function latencySubtitle(sel: LatencySelection): string {
  const m = sel.data.machine;
  return (
    `${m.cpuModel}, ${m.cores} cores, ${m.platform} - ${runtimeLabel(sel.data)}` +
    ` - input ${sel.inputSize} px, batch ${sel.batch}${sel.width !== 1 ? `, width ${sel.width}` : ''}`
  );
}
