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
import {
  choosePrimary,
  chooseStudy,
  describeRuntime,
  groupStudies,
  otherRuntimeRuns,
  runKey,
  runSelections,
  type LatencySelection,
  type LatencyStudy,
  type StudyMember,
} from './latencyStudy.js';
import { isTorchLatency, readTorchLatencyFile, type TorchLatencyFile } from '../results/torchLatency.js';
import { readAblationDir, type AblationExperiment } from './ablationSection.js';

export type { LatencySelection, LatencyStudy } from './latencyStudy.js';

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
  /** result folders there but left out of the report, each with the reason (not missing: they exist) */
  notShown: string[];
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
export function loadReportInputs(resultsDir: string, ablationFolders?: readonly string[]): ReportInputs {
  const missing: string[] = [];
  const notShown: string[] = [];
  if (!existsSync(resultsDir)) missing.push(`the results folder ${resultsDir} does not exist yet`);
  const latency = readLatencyDir(resultsDir, missing);
  const torch = readTorchPeers(resultsDir);
  const ablation = readAblationDir(resultsDir, missing, notShown, ablationFolders);
  return { zoo: zooAtPaperSetting(), latency, torch, ablation, missing, notShown };
}

/** What the report's latency figures are drawn from (one run each: ./latencyStudy.ts), and every other run. */
export function selectLatency(files: readonly LoadedLatency[]): {
  primary: LatencySelection | null;
  study: LatencyStudy | null;
  /** runtimes the study lacks, each from its own run */
  extra: StudyMember[];
  others: LatencySelection[];
} {
  const all = runSelections(files);
  const study = chooseStudy(groupStudies(all));
  const extra = otherRuntimeRuns(all, study);
  const primary = choosePrimary(all, study);
  const same = (a: LatencySelection, b: LatencySelection) =>
    a.file === b.file && a.run === b.run && a.inputSize === b.inputSize && a.batch === b.batch && a.width === b.width;
  const shown = [...(primary ? [primary] : []), ...(study?.members ?? []), ...extra];
  const others = all.filter((s) => !shown.some((m) => same(m, s)));
  return { primary, study, extra, others };
}

/** The timed (ok) row of a model in one form, if any. */
export function rowOf(sel: Pick<LatencySelection, 'rows'> | null, model: string, form: 'deploy' | 'train'): LatencyRow | undefined {
  return sel?.rows.find((r) => r.model === model && r.form === form && r.status === 'ok');
}

/** What ran a latency file: the tfjs backend (and kernels, version), or ONNX Runtime (version, threads). */
export function runtimeLabel(data: LatencyFile): string {
  if (data.runtime) return `ONNX Runtime ${data.runtime.version} (${data.runtime.executionProvider}, ${data.runtime.threads} threads)`;
  const run = data.runs[data.runs.length - 1];
  const on = data.adapter ? ` on ${data.adapter.name}${data.adapter.software ? ' (software adapter, not a GPU)' : ''}` : '';
  return `backend ${data.backend}${on}${run ? ` (${run.kernels === 'ours' ? 'our' : 'stock'} kernels), tfjs ${run.tfjsVersion}` : ''}`;
}

/** A chart's subtitle: the hardware, the runtime and its threads, the setting and the run. */
export function latencySubtitle(sel: LatencySelection): string {
  const rt = describeRuntime(sel.data, sel.rows);
  return (
    `${rt.hardware}${rt.software ? ' (software adapter, not a GPU)' : ''} - ${rt.label}` +
    ` - ${sel.inputSize} px, batch ${sel.batch}${sel.width !== 1 ? `, width ${sel.width}` : ''} - run ${runKey(sel.data, sel.run)}`
  );
}
