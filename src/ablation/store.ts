/**
 * The ablation's results: `<out>/runs.jsonl`, one JSON record per finished run (ok, diverged or failed).
 *
 * Appends are one write of one complete line followed by fsync, from the coordinator only. A line torn by a kill
 * during that write is ignored on read (with a warning) and cut off before the next append, so it never breaks a
 * resume. When a run has several records (a failed run rerun on --resume), the last one wins.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { EpochMetrics } from '../train/trainer.js';
import type { RunSummary } from '../train/runTraining.js';
import { UserError } from '../util/errors.js';
import type { GpuAdapterInfo, MachineInfo } from '../util/provenance.js';
import { runKey, type CellDescription, type RunDescription } from './matrix.js';

export const RECORD_VERSION = 1;
export const RUNS_FILE = 'runs.jsonl';

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

export interface RecordContext {
  backend: string;
  adapter?: GpuAdapterInfo;
  tfjsVersion: string;
  commit: string | null;
  machine: MachineInfo;
}

const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** What every record of a run says of the run itself (and of the trainer, for a PyTorch run). */
function runFields(run: RunDescription): Pick<RunRecord, 'v' | 'runId' | 'experiment' | 'preset' | 'cell' | 'seed' | 'engine'> {
  return {
    v: RECORD_VERSION,
    runId: run.runId,
    experiment: run.experiment,
    preset: run.preset,
    cell: run.cell,
    seed: run.seed,
    ...(run.engine ? { engine: run.engine } : {}),
  };
}

/** The record of a run that finished (ok or diverged). */
export function recordFromSummary(run: RunDescription, s: RunSummary, ctx: RecordContext): RunRecord {
  return {
    ...runFields(run),
    status: s.status,
    ...(s.message ? { message: s.message } : {}),
    metrics: s.metrics,
    valTop1: finite(s.valTop1),
    deployValTop1: finite(s.deployValTop1),
    trainTop1: finite(s.trainTop1),
    testTop1: finite(s.testTop1),
    deployTestTop1: finite(s.deployTestTop1),
    wallSeconds: s.wallSeconds,
    imagesPerSec: finite(s.imagesPerSec),
    dataset: s.dataset,
    ...ctx,
    date: new Date().toISOString(),
  };
}

/** The record of a run that did not finish: an error in the run, or its worker died. */
export function failedRecord(run: RunDescription, message: string, wallSeconds: number, ctx: RecordContext, metrics: EpochMetrics[] = []): RunRecord {
  const d = run.spec.data;
  const sizes = [
    d.trainSize !== undefined ? `${d.trainSize} train` : '',
    d.valSize ? `${d.valSize} validation` : '',
    d.testSize !== undefined ? `${d.testSize} test` : '',
  ]
    .filter(Boolean)
    .join(' / ');
  return {
    ...runFields(run),
    status: 'failed',
    message,
    metrics,
    valTop1: null,
    deployValTop1: null,
    testTop1: null,
    deployTestTop1: null,
    trainTop1: null,
    wallSeconds,
    imagesPerSec: null,
    dataset: `${d.name} (requested${sizes ? ` ${sizes}` : ''}, ${d.inputSize}x${d.inputSize})`,
    ...ctx,
    date: new Date().toISOString(),
  };
}

export interface ReadResult {
  /** every valid record, in file order */
  records: RunRecord[];
  /** the last record of each run, by runKey (the runId; runId-torch for a PyTorch run) */
  latest: Map<string, RunRecord>;
  /** byte length of the complete lines (where a torn tail starts) */
  completeBytes: number;
  /** a torn final line was found (and ignored) */
  torn: boolean;
}

function isRecord(v: unknown): v is RunRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<RunRecord>;
  return (
    typeof r.runId === 'string' &&
    typeof r.experiment === 'string' &&
    typeof r.preset === 'string' &&
    (r.status === 'ok' || r.status === 'diverged' || r.status === 'failed') &&
    typeof r.cell === 'object' &&
    r.cell !== null &&
    typeof r.seed === 'number'
  );
}

/** Reads runs.jsonl; a torn final line or an unreadable line is skipped with a warning. A missing file reads as empty. */
export function readRuns(file: string, warn: (line: string) => void = () => {}): ReadResult {
  const out: ReadResult = { records: [], latest: new Map(), completeBytes: 0, torn: false };
  if (!existsSync(file)) return out;
  const buf = readFileSync(file);
  const end = buf.lastIndexOf(0x0a) + 1; // after the last newline
  out.completeBytes = end;
  const tail = buf.subarray(end).toString('utf8');
  if (tail.trim() !== '') {
    out.torn = true;
    warn(`${file}: ignoring an incomplete last line (${tail.length} bytes, from a run killed while writing it)`);
  }
  const lines = buf.subarray(0, end).toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      warn(`${file}: line ${i + 1}: ignoring a line that is not JSON (${line.length} bytes)`);
      return;
    }
    if (!isRecord(v)) {
      warn(`${file}: line ${i + 1}: ignoring a line that is not a run record`);
      return;
    }
    out.records.push(v);
    out.latest.set(runKey(v), v);
  });
  return out;
}

export interface OpenOptions {
  resume: boolean;
  experiment: string;
  preset: string;
  warn?: (line: string) => void;
}

/**
 * The run store of one output folder. Opening it takes `<out>/.lock` (a second coordinator on the same folder
 * would duplicate runs; a lock left by a killed one is taken over), refuses to touch existing results without
 * --resume, and cuts a torn last line before anything is appended.
 */
export class RunStore {
  readonly dir: string;
  readonly file: string;
  private readonly lockFile: string;
  private fd: number | null = null;

  private constructor(dir: string) {
    this.dir = dir;
    this.file = path.join(dir, RUNS_FILE);
    this.lockFile = path.join(dir, '.lock');
  }

  static open(dir: string, opts: OpenOptions): RunStore {
    const warn = opts.warn ?? (() => {});
    const store = new RunStore(dir);
    if (existsSync(store.file) && statSync(store.file).size > 0) {
      if (!opts.resume) {
        throw new UserError(`${store.file} already holds results: add --resume to continue that matrix (runs already ok are kept), or --out DIR for a new one`);
      }
      const r = readRuns(store.file, warn);
      const other = r.records.find((x) => x.experiment !== opts.experiment || x.preset !== opts.preset);
      if (other) {
        throw new UserError(
          `${store.file} holds results of experiment ${other.experiment}, preset ${other.preset}, not ${opts.experiment} preset ${opts.preset}: use --out DIR for this one`,
        );
      }
    }
    mkdirSync(dir, { recursive: true });
    store.lock();
    try {
      store.fd = openSync(store.file, 'a+');
      const r = readRuns(store.file);
      if (r.torn) {
        ftruncateSync(store.fd, r.completeBytes);
        fsyncSync(store.fd);
        warn(`${store.file}: cut the incomplete last line before appending`);
      }
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockFile, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number.parseInt(readFileSync(this.lockFile, 'utf8'), 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
          throw new UserError(`${this.dir} is in use by another ablate run (pid ${pid}); wait for it or use --out DIR`);
        }
        unlinkSync(this.lockFile); // left by a run that was killed
      }
    }
    throw new UserError(`could not lock ${this.dir} (${this.lockFile})`);
  }

  /** Appends one record: one write of one complete line, then fsync. */
  append(r: RunRecord): void {
    if (this.fd === null) throw new Error('run store is closed');
    const buf = Buffer.from(`${JSON.stringify(r)}\n`, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    fsyncSync(this.fd);
  }

  read(warn?: (line: string) => void): ReadResult {
    return readRuns(this.file, warn);
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    try {
      if (existsSync(this.lockFile) && Number.parseInt(readFileSync(this.lockFile, 'utf8'), 10) === process.pid) unlinkSync(this.lockFile);
    } catch {
      // best effort
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
