/**
 * A run record (one line of runs.jsonl: RunRecord) and its check on read (runs.jsonl is a file anyone can edit or
 * append to): every field the summary and the
 * report use has its type and range (top-1 in 0..100, finite losses, a known status, a cell with its factors and
 * toggles), and the records of one file belong to one matrix: one experiment and preset, and one configuration per
 * cell, so that no cell ever averages runs made with different settings.
 */
import type { EpochMetrics } from '../train/trainer.js';
import type { GpuAdapterInfo, MachineInfo } from '../util/provenance.js';
import type { CellDescription } from './matrix.js';

export const RECORD_VERSION = 1;

export type RunStatus = 'ok' | 'diverged' | 'failed';

export interface RunRecord {
  v: number;
  runId: string;
  experiment: string;
  preset: string;
  cell: CellDescription;
  seed: number;
  status: RunStatus;
  message?: string;
  /** per epoch, as the trainer reported them */
  metrics: EpochMetrics[];
  /** final validation top-1 (%) of the trained model; null when it diverged or failed */
  valTop1: number | null;
  /** the same for the merged (deploy) model */
  deployValTop1: number | null;
  /** final top-1 (%) on the test split (the official one, or its testSize subset), trained form at lambda 1 and
   *  deploy form; null when not scored (evalTest off, records before these fields: absent), diverged or failed */
  testTop1?: number | null;
  deployTestTop1?: number | null;
  trainTop1: number | null;
  wallSeconds: number;
  imagesPerSec: number | null;
  /** the data as used, e.g. "fashion-mnist/train (2000 train / 1000 validation, 32x32)" */
  dataset: string;
  /** the dataset's classes (chance is 100 / classes %; older records: absent) */
  classes?: number;
  backend: string;
  /** webgpu: the adapter that ran it (software: a CPU implementation of Vulkan, e.g. llvmpipe, not a GPU) */
  adapter?: GpuAdapterInfo;
  tfjsVersion: string;
  commit: string | null;
  machine: MachineInfo;
  date: string;
  /** the trainer that made the run: ours ('tfjs', also when absent) or the authors' PyTorch code under the same
   *  protocol ('torch'); the analysis keys cells without it and judges effects on tfjs records only */
  engine?: 'tfjs' | 'torch';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

const STATUSES = ['ok', 'diverged', 'failed'];
/** top-1 fields of a record and of its epochs: percentages */
const TOP1 = ['valTop1', 'deployValTop1', 'trainTop1', 'testTop1', 'deployTestTop1'] as const;
/** what an epoch's metrics may hold: [min, max] (null: a value that was not finite when the run wrote it) */
const EPOCH_RANGES: Record<string, [number, number]> = {
  epoch: [1, 1e6],
  lambda: [0, 1],
  lr: [0, 1e6],
  trainLoss: [0, 1e12],
  valLoss: [0, 1e12],
  trainTop1: [0, 100],
  valTop1: [0, 100],
  imagesPerSec: [0, 1e12],
  seconds: [0, 1e12],
};
/** a record's metrics list: at most one entry per epoch of the longest run validation accepts, with room */
const MAX_EPOCH_ENTRIES = 100_000;

function rangeProblem(field: string, v: unknown, min: number, max: number, nullable: boolean): string | null {
  if (v === undefined || (nullable && v === null)) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${field} is ${show(v)}, not a finite number`;
  if (v < min || v > max) return `${field} is ${show(v)}, outside ${min}..${max}`;
  return null;
}

function stringProblem(field: string, v: unknown, optional = false): string | null {
  if (optional && (v === undefined || v === null)) return null;
  return typeof v === 'string' && v.length > 0 && v.length <= 10_000 ? null : `${field} is ${show(v)}, not a non-empty string`;
}

function factorsProblem(field: string, v: unknown): string | null {
  if (!isObj(v)) return `${field} is ${show(v)}, not an object`;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'boolean' && typeof x !== 'string' && !(typeof x === 'number' && Number.isFinite(x))) return `${field}.${k} is ${show(x)}`;
  }
  return null;
}

/** Why `c` is not a matrix cell (null: it is one). */
export function cellProblem(c: unknown): string | null {
  if (!isObj(c)) return `cell is ${show(c)}, not an object`;
  const t = c.toggles;
  return (
    stringProblem('cell.id', c.id) ??
    rangeProblem('cell.index', c.index, 0, 1e9, false) ??
    rangeProblem('cell.entry', c.entry, 0, 1e9, false) ??
    (typeof c.index !== 'number' || typeof c.entry !== 'number' || !Number.isInteger(c.index) || !Number.isInteger(c.entry)
      ? 'cell.index and cell.entry must be integers'
      : null) ??
    stringProblem('cell.model', c.model) ??
    stringProblem('cell.label', c.label) ??
    factorsProblem('cell.factors', c.factors) ??
    factorsProblem('cell.baseline', c.baseline) ??
    (!isObj(t)
      ? `cell.toggles is ${show(t)}, not an object`
      : typeof t.deepTraining !== 'boolean' || typeof t.seriesAct !== 'boolean'
        ? 'cell.toggles.deepTraining and seriesAct must be true or false'
        : (stringProblem('cell.toggles.shortcut', t.shortcut) ??
          stringProblem('cell.toggles.stem', t.stem) ??
          rangeProblem('cell.toggles.actNum', t.actNum, 0, 1e6, false) ??
          rangeProblem('cell.toggles.width', t.width, 1e-9, 1e6, false)))
  );
}

function metricsProblem(m: unknown): string | null {
  if (!Array.isArray(m)) return `metrics is ${show(m)}, not a list of epochs`;
  if (m.length > MAX_EPOCH_ENTRIES) return `metrics has ${m.length} epochs, more than ${MAX_EPOCH_ENTRIES}`;
  for (let i = 0; i < m.length; i++) {
    const e: unknown = m[i];
    if (!isObj(e)) return `metrics[${i}] is ${show(e)}, not an object`;
    for (const [k, [min, max]] of Object.entries(EPOCH_RANGES)) {
      const p = rangeProblem(`metrics[${i}].${k}`, e[k], min, max, true);
      if (p) return p;
    }
    if (e.merged !== undefined && typeof e.merged !== 'boolean') return `metrics[${i}].merged is ${show(e.merged)}`;
  }
  return null;
}

/** Why a parsed line is not a run record this code can use (null: it is one), naming the field and its value. */
export function recordProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a run record (not a JSON object)';
  if (typeof v.v !== 'number' || !Number.isInteger(v.v) || v.v < 1 || v.v > RECORD_VERSION) {
    return `record version ${show(v.v)}: this code reads versions 1..${RECORD_VERSION}`;
  }
  const base =
    stringProblem('runId', v.runId) ??
    stringProblem('experiment', v.experiment) ??
    stringProblem('preset', v.preset) ??
    (STATUSES.includes(v.status as string) ? null : `status is ${show(v.status)}, not ok, diverged or failed`) ??
    (typeof v.seed === 'number' && Number.isInteger(v.seed) && v.seed >= 0 ? null : `seed is ${show(v.seed)}, not an integer of 0 or more`) ??
    (v.engine === undefined || v.engine === 'tfjs' || v.engine === 'torch' ? null : `engine is ${show(v.engine)}, not tfjs or torch`) ??
    stringProblem('message', v.message, true);
  if (base) return base;
  for (const k of TOP1) {
    const p = rangeProblem(k, v[k], 0, 100, true);
    if (p) return `${p} (a top-1 is a percentage)`;
  }
  return (
    cellProblem(v.cell) ??
    metricsProblem(v.metrics) ??
    rangeProblem('wallSeconds', v.wallSeconds, 0, 1e12, false) ??
    rangeProblem('imagesPerSec', v.imagesPerSec, 0, 1e12, true) ??
    stringProblem('dataset', v.dataset) ??
    (v.classes === undefined || (Number.isInteger(v.classes) && (v.classes as number) >= 2 && (v.classes as number) <= 1e6)
      ? null
      : `classes is ${show(v.classes)}, not an integer of 2 or more`) ??
    stringProblem('backend', v.backend) ??
    (typeof v.tfjsVersion === 'string' ? null : `tfjsVersion is ${show(v.tfjsVersion)}`) ??
    (v.commit === null || typeof v.commit === 'string' ? null : `commit is ${show(v.commit)}`) ??
    (isObj(v.machine) && typeof v.machine.cpuModel === 'string' ? null : `machine is ${show(v.machine)}, not a machine description`) ??
    (typeof v.date === 'string' ? null : `date is ${show(v.date)}`)
  );
}

/** What identifies a cell across edits of its experiment: model entry, model and factor values (not its settings). */
export function cellSettingsKey(c: RunRecord['cell']): string {
  const f = Object.entries(c.factors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${c.entry}|${c.model}|${JSON.stringify(f)}`;
}

const factorText = (c: RunRecord['cell']): string =>
  Object.entries(c.factors)
    .map(([k, x]) => `${k} ${String(x)}`)
    .join(', ');

/**
 * The records of one file, checked to belong together; a record that does not is a problem (the caller leaves it
 * out): another experiment or preset than the file's first record, or a cell whose configuration (its id: a hash
 * of every setting) differs from the one the cell had before in the file, e.g. after an edit of the experiment.
 */
export class MatrixConsistency {
  private first: { experiment: string; preset: string; line: number } | null = null;
  private readonly cells = new Map<string, { id: string; line: number }>();

  problem(r: RunRecord, line: number): string | null {
    const f = this.first;
    if (f && (r.experiment !== f.experiment || r.preset !== f.preset)) {
      return `a record of experiment ${r.experiment} preset ${r.preset} in the results of experiment ${f.experiment} preset ${f.preset} (line ${f.line}): mixed matrices are refused`;
    }
    this.first ??= { experiment: r.experiment, preset: r.preset, line };
    const key = cellSettingsKey(r.cell);
    const seen = this.cells.get(key);
    if (seen && seen.id !== r.cell.id) {
      return (
        `${r.cell.label} (${factorText(r.cell) || 'no factors'}) was run with other settings than at line ${seen.line} (cell ${r.cell.id}, there ${seen.id}): ` +
        'the experiment changed between these runs, and a cell never averages different settings'
      );
    }
    if (!seen) this.cells.set(key, { id: r.cell.id, line });
    return null;
  }
}
