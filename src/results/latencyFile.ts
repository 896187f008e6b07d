/**
 * The stored latency results: results/latency/<runtime>-<machine-slug>.json (+ a .csv beside it); on a GPU
 * (webgpu) the machine is the GPU: results/latency/webgpu-<gpu-slug>.json, e.g. webgpu-nvidia-h200.json.
 * <runtime> is the tfjs backend (wasm, cpu, webgpu, tensorflow), `wasm-<n>t` for tfjs-wasm on n threads, or
 * `onnxruntime-<n>t` for ONNX Runtime on n intra-op threads (`runtime` says which version ran). Every timed row
 * names the threads it ran on where the runtime has a thread count.
 *
 * One file per backend and machine. A run merges its rows into the file: a row is identified by
 * (model, form, input size, batch, width), and a newer measurement replaces an older one, so timing a few
 * models does not erase the others. Every row names the run (runs[]: provenance) that produced it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { readJsonFile } from '../util/boundedRead.js';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { slug, type MachineInfo, type RunProvenance } from '../util/provenance.js';
import type { GpuAdapterInfo } from '../backend/webgpu.js';
import { lockFileFor, withLock } from '../util/fileLock.js';

export interface LoadWindow {
  /** os.loadavg()[0] when the measurement started */
  before: number;
  /** os.loadavg()[0] when it ended */
  after: number;
}

export const LATENCY_SCHEMA = 'vanillabench/latency@1';

export type LatencyForm = 'deploy' | 'train';

export interface PaperColumns {
  paramsM: number;
  gflops: number;
  depth: number;
  /** batch-1 latency on an NVIDIA A100 (PyTorch), ms */
  latencyMs: number;
  top1: number;
}

export interface LatencyRow {
  model: string;
  form: LatencyForm;
  status: 'ok' | 'skipped';
  /** why a row was skipped (status 'skipped') */
  reason?: string;
  inputSize: number;
  batch: number;
  width: number;
  /** depth of this form (layers with weights on the longest path) */
  depth: number;
  /** parameters of this form, millions */
  paramsM: number;
  /** multiply-accumulates of this form at this input size, giga */
  gmacs: number;
  paper: PaperColumns | null;
  /** statistics of the timed calls, ms (absent when skipped) */
  meanMs?: number;
  medianMs?: number;
  p90Ms?: number;
  p99Ms?: number;
  minMs?: number;
  maxMs?: number;
  sdMs?: number;
  /** relative margin of error of the mean at 95%, percent */
  rmePct?: number;
  samples?: number;
  /** images per second at the mean latency */
  throughput?: number;
  warmupRuns?: number;
  /** the first (probe) call, ms: includes one-time costs */
  probeMs?: number;
  /** passes over the model list whose samples are pooled here (`latency --rounds`); absent: 1 */
  rounds?: number;
  /** train-form mean / deploy-form mean of the same model (on both rows, when both were timed in one run) */
  trainOverDeploy?: number;
  /** the timed samples, ms, sorted (file only) */
  samplesMs?: number[];
  /** threads the runtime computed on: ONNX Runtime intra-op threads, tfjs-wasm XNNPACK threads, 1 for tfjs-cpu */
  threads?: number;
  /** the 1-minute load average before and after this row's measurement (newer runs) */
  load1?: LoadWindow;
  /** index into LatencyFile.runs */
  run: number;
}

/** One runtime of a study (`latency --runtimes`) and what became of it. */
export interface StudyEntry {
  /** wasm, wasm-2t, cpu, webgpu, tensorflow, onnxruntime-1t ... */
  id: string;
  status: 'ok' | 'failed';
  /** the file its rows went to (basename, beside this one) */
  file?: string;
  /** why it failed (not installed, no GPU ...) */
  reason?: string;
}

/** The study a run belongs to: the command that ran every runtime, and every runtime it asked for. */
export interface StudyInfo {
  command: string;
  runtimes: StudyEntry[];
}

/**
 * A run's provenance; also its run id and the load average over the whole run (newer runs), and, for a
 * run of a study, the study (runs of one study share the run id).
 */
export type LatencyRunProvenance = RunProvenance & { runId?: string; load1?: LoadWindow; study?: StudyInfo };

/** A runtime other than tfjs; absent for tfjs files (their backend and provenance say what ran). */
export interface LatencyRuntime {
  name: 'onnxruntime';
  version: string;
  /** intra-op threads of the latest run (each row keeps its own) */
  threads: number;
  executionProvider: 'cpu';
  /** the exported models' ONNX opset and IR version */
  opset: number;
  irVersion: number;
}

export interface LatencyFile {
  schema: typeof LATENCY_SCHEMA;
  backend: string;
  runtime?: LatencyRuntime;
  machine: MachineInfo;
  /** the GPU that ran (webgpu), from the latest run; absent on CPU backends */
  adapter?: GpuAdapterInfo;
  /** provenance of each run whose rows are still in the file; the last is the latest */
  runs: LatencyRunProvenance[];
  rows: LatencyRow[];
}

/** A slug naming the machine in file names: CPU model and core count. */
export function machineSlug(m: MachineInfo): string {
  return slug(`${m.cpuModel}-${m.cores}c`);
}

/**
 * `<backend>-<machine>.json`; with a GPU adapter the GPU names the machine (the CPU hardly matters there), and a
 * software adapter (a CPU implementation of Vulkan, e.g. llvmpipe) says so: `webgpu-<adapter>-software.json`.
 */
export function latencyFileName(backend: string, m: MachineInfo, adapter?: Pick<GpuAdapterInfo, 'name'> & { software?: boolean }): string {
  return `${slug(backend)}-${adapter ? `${slug(adapter.name)}${adapter.software ? '-software' : ''}` : machineSlug(m)}.json`;
}

const rowKey = (r: LatencyRow): string => `${r.model}|${r.form}|${r.inputSize}|${r.batch}|${r.width}`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A latency file holds every timed sample of its rows: a few MB; more is not a latency file. */
export const MAX_LATENCY_FILE_BYTES = 256 * 2 ** 20;

/** Numeric fields of a row: [min, max]; those before `meanMs` are required. */
const ROW_NUMBERS: [string, number, number][] = [
  ['inputSize', 1, 1e6],
  ['batch', 1, 1e6],
  ['width', 1e-9, 1e6],
  ['depth', 0, 1e6],
  ['paramsM', 0, 1e9],
  ['gmacs', 0, 1e12],
  ['meanMs', 0, 1e12],
  ['medianMs', 0, 1e12],
  ['p90Ms', 0, 1e12],
  ['p99Ms', 0, 1e12],
  ['minMs', 0, 1e12],
  ['maxMs', 0, 1e12],
  ['sdMs', 0, 1e12],
  ['rmePct', 0, 1e12],
  ['samples', 0, 1e12],
  ['throughput', 0, 1e15],
  ['warmupRuns', 0, 1e12],
  ['probeMs', 0, 1e12],
  ['trainOverDeploy', 0, 1e12],
  ['threads', 0, 1e6],
];
const REQUIRED = ROW_NUMBERS.findIndex(([k]) => k === 'meanMs');

/** Why row `i` cannot be used (null: it can). */
function rowProblem(row: Record<string, unknown>, i: number, runs: number): string | null {
  const name = `row ${i} (${String(row.model).slice(0, 40)})`;
  if (typeof row.model !== 'string' || (row.form !== 'deploy' && row.form !== 'train')) return `row ${i} lacks model/form`;
  if (row.status !== 'ok' && row.status !== 'skipped') return `row ${i} has status ${JSON.stringify(row.status)}`;
  for (const [j, [k, min, max]] of ROW_NUMBERS.entries()) {
    const v = row[k];
    // an optional figure may be absent, or null where it was not finite when written
    if ((v === undefined || v === null) && j >= REQUIRED) continue;
    if (v === undefined) return `${name} lacks numeric ${k}`;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return `${name} has ${k} ${JSON.stringify(v)}, not a number in ${min}..${max}`;
  }
  if (row.status === 'ok' && typeof row.meanMs !== 'number') return `${name} is ok but has no meanMs`;
  if (!Number.isInteger(row.run) || (row.run as number) < 0 || (row.run as number) >= runs) return `${name} names run ${JSON.stringify(row.run)}, not one of the file's ${runs} runs`;
  if (row.paper !== undefined && row.paper !== null && !isObject(row.paper)) return `${name} has paper ${JSON.stringify(row.paper)}`;
  if (row.samplesMs !== undefined && !(Array.isArray(row.samplesMs) && row.samplesMs.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
    return `${name} has samplesMs that are not a list of numbers`;
  }
  if (row.load1 !== undefined && !(isObject(row.load1) && typeof row.load1.before === 'number' && typeof row.load1.after === 'number')) return `${name} has a bad load1`;
  return null;
}

/** Why a run's provenance cannot be shown (null: it can): the fields the report prints. */
function runProblem(r: unknown): string | null {
  if (!isObject(r)) return `is ${JSON.stringify(r)}, not a run's provenance`;
  for (const k of ['command', 'backend', 'tfjsVersion', 'date'] as const) if (typeof r[k] !== 'string') return `has ${k} ${JSON.stringify(r[k])}, not text`;
  if (r.commit !== null && typeof r.commit !== 'string') return `has commit ${JSON.stringify(r.commit)}`;
  if (r.kernels !== undefined && r.kernels !== 'ours' && r.kernels !== 'stock') return `has kernels ${JSON.stringify(r.kernels)}, not ours or stock`;
  if (r.runId !== undefined && typeof r.runId !== 'string') return `has runId ${JSON.stringify(r.runId)}`;
  const m = r.machine;
  if (!isObject(m) || typeof m.cpuModel !== 'string' || typeof m.cores !== 'number') return 'has no machine (cpuModel, cores)';
  const l = r.load1;
  if (l !== undefined && !(isObject(l) && Number.isFinite(l.before) && Number.isFinite(l.after))) return `has load1 ${JSON.stringify(l)}`;
  return null;
}

/** Reads and checks a latency file; a missing file gives null, a bad one a UserError naming it. */
export function readLatencyFile(file: string): LatencyFile | null {
  if (!existsSync(file)) return null;
  const bad = (why: string): never => {
    throw new UserError(`corrupt latency results file ${file}: ${why}; fix or delete it (nothing was written)`);
  };
  let data: unknown;
  try {
    data = readJsonFile(file, 'latency results file', MAX_LATENCY_FILE_BYTES);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (!isObject(data)) bad('not a JSON object');
  const d = data as Record<string, unknown>;
  if (d.schema !== LATENCY_SCHEMA) bad(`schema is ${JSON.stringify(d.schema)}, expected "${LATENCY_SCHEMA}"`);
  if (typeof d.backend !== 'string') bad('no backend');
  if (!isObject(d.machine) || typeof d.machine.cpuModel !== 'string') bad('no machine');
  if (!Array.isArray(d.runs)) bad('no runs array');
  if (!Array.isArray(d.rows)) bad('no rows array');
  (d.runs as unknown[]).forEach((r, i) => {
    const why = runProblem(r);
    if (why) bad(`run ${i} ${why}`);
  });
  (d.rows as unknown[]).forEach((r, i) => {
    if (!isObject(r)) bad(`row ${i} is not an object`);
    const why = rowProblem(r as Record<string, unknown>, i, (d.runs as unknown[]).length);
    if (why) bad(why);
  });
  return data as LatencyFile;
}

/** Merges this run's rows into what the file held (newer replaces older per key); drops unreferenced runs. */
export function mergeLatency(
  previous: LatencyFile | null, backend: string, machine: MachineInfo, run: LatencyRunProvenance, rows: Omit<LatencyRow, 'run'>[], runtime?: LatencyRuntime,
): LatencyFile {
  // a run writes after every model: its provenance entry is updated in place, not repeated
  const runs = [...(previous?.runs ?? [])];
  const mine = run.runId !== undefined ? runs.findIndex((r) => r.runId === run.runId) : -1;
  const newIndex = mine >= 0 ? mine : runs.push(run) - 1;
  runs[newIndex] = run;
  const byKey = new Map<string, LatencyRow>();
  for (const r of previous?.rows ?? []) byKey.set(rowKey(r), r);
  for (const r of rows) byKey.set(rowKey({ ...r, run: newIndex }), { ...r, run: newIndex });
  // compact the run list to the runs still referenced
  const used = [...new Set([...byKey.values()].map((r) => r.run))].sort((a, b) => a - b);
  const remap = new Map(used.map((old, i) => [old, i]));
  const adapter = run.adapter ?? previous?.adapter;
  return {
    schema: LATENCY_SCHEMA,
    backend,
    ...(runtime ? { runtime } : {}),
    machine,
    ...(adapter ? { adapter } : {}),
    runs: used.map((i) => runs[i]),
    rows: [...byKey.values()].map((r) => ({ ...r, run: remap.get(r.run)! })),
  };
}

const CSV_COLUMNS: [string, (r: LatencyRow, f: LatencyFile) => unknown][] = [
  ['model', (r) => r.model],
  ['form', (r) => r.form],
  ['status', (r) => r.status],
  ['reason', (r) => r.reason ?? ''],
  ['input', (r) => r.inputSize],
  ['batch', (r) => r.batch],
  ['width', (r) => r.width],
  ['depth', (r) => r.depth],
  ['params_m', (r) => r.paramsM],
  ['gmacs', (r) => r.gmacs],
  ['mean_ms', (r) => r.meanMs],
  ['median_ms', (r) => r.medianMs],
  ['p90_ms', (r) => r.p90Ms],
  ['p99_ms', (r) => r.p99Ms],
  ['min_ms', (r) => r.minMs],
  ['max_ms', (r) => r.maxMs],
  ['sd_ms', (r) => r.sdMs],
  ['rme_pct', (r) => r.rmePct],
  ['samples', (r) => r.samples],
  ['images_per_s', (r) => r.throughput],
  ['train_over_deploy', (r) => r.trainOverDeploy],
  ['paper_a100_latency_ms', (r) => r.paper?.latencyMs],
  ['paper_top1', (r) => r.paper?.top1],
  ['paper_depth', (r) => r.paper?.depth],
  ['paper_params_m', (r) => r.paper?.paramsM],
  ['paper_gflops', (r) => r.paper?.gflops],
  ['backend', (_r, f) => f.backend],
  ['gpu', (_r, f) => (f.adapter ? `${f.adapter.name}${f.adapter.software ? ' (software adapter, not a GPU)' : ''}` : undefined)],
  ['date', (r, f) => f.runs[r.run]?.date],
  ['commit', (r, f) => f.runs[r.run]?.commit],
  ['runtime', (_r, f) => (f.runtime ? `${f.runtime.name} ${f.runtime.version}` : 'tfjs')],
  ['threads', (r) => r.threads],
  ['rounds', (r) => r.rounds ?? 1],
];

export function latencyCsv(f: LatencyFile): string {
  return stringify(
    f.rows.map((r) => CSV_COLUMNS.map(([, get]) => {
      const v = get(r, f);
      return v === undefined || v === null ? '' : v;
    })),
    { header: true, columns: CSV_COLUMNS.map(([name]) => name) },
  );
}

/** The file's JSON text: the header pretty-printed, one line per row (rows carry long sample lists). */
export function formatLatencyJson(f: LatencyFile): string {
  const { rows, ...head } = f;
  const headText = JSON.stringify(head, null, 2);
  const rowsText = rows.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `${headText.slice(0, -2)},\n  "rows": [\n${rowsText}\n  ]\n}\n`;
}

/**
 * Merges `rows` into the stored `file` under its lock: the file is read again there, so two runs merging into one
 * file at the same time both keep their rows (each write sees the other's). Returns the paths written.
 */
export function mergeIntoLatencyFile(
  file: string, backend: string, machine: MachineInfo, run: LatencyRunProvenance, rows: Omit<LatencyRow, 'run'>[], runtime?: LatencyRuntime,
): { json: string; csv: string } {
  mkdirSync(path.dirname(file), { recursive: true });
  return withLock(lockFileFor(file), file, () => writeLatencyFile(file, mergeLatency(readLatencyFile(file), backend, machine, run, rows, runtime)));
}

/** Writes the .json and the .csv atomically (each: temp file + rename); returns both paths. */
export function writeLatencyFile(file: string, f: LatencyFile): { json: string; csv: string } {
  mkdirSync(path.dirname(file), { recursive: true });
  const csv = file.replace(/\.json$/, '') + '.csv';
  writeFileAtomic(file, formatLatencyJson(f));
  writeFileAtomic(csv, latencyCsv(f));
  return { json: file, csv };
}
