/**
 * The ablation's results: `<out>/runs.jsonl`, one JSON record per finished run (ok, diverged or failed).
 *
 * Appends are one write of one complete line followed by fsync, from the coordinator only. A line torn by a kill
 * during that write is ignored on read (with a warning) and cut off before the next append, so it never breaks a
 * resume. When a run has several records (a failed run rerun on --resume), the last one wins.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { EpochMetrics } from '../train/trainer.js';
import type { RunSummary } from '../train/runTraining.js';
import { UserError } from '../util/errors.js';
import type { GpuAdapterInfo, MachineInfo } from '../util/provenance.js';
import { tryLock, unlock } from '../util/fileLock.js';
import { scanJsonLines } from '../util/jsonLines.js';
import { describeFactors, runKey, type CellDescription, type RunDescription } from './matrix.js';
import { cellSettingsKey, MatrixConsistency, RECORD_VERSION, recordProblem, type RunRecord } from './recordCheck.js';

export const RUNS_FILE = 'runs.jsonl';

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
    classes: s.classes,
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

/** runs.jsonl is read whole: at most this much (a long matrix writes a few kB per run) */
export const MAX_RUNS_FILE_BYTES = 2 ** 30;
/** one record: its metrics hold one entry per epoch (a few hundred bytes each) */
export const MAX_RECORD_BYTES = 16 * 2 ** 20;

/** The warning for a file's bad lines: the first with its reason, and how many more (one line per file). */
function badLinesWarning(file: string, bad: { line: number; why: string }[]): string {
  const [first, ...more] = bad;
  const list = more.slice(0, 5).map((b) => b.line);
  const rest = more.length
    ? ` (and ${more.length} more line${more.length > 1 ? 's' : ''} ignored: ${list.join(', ')}${more.length > list.length ? ', ...' : ''})`
    : '';
  return `${file}: line ${first.line}: ${first.why}${rest}`;
}

/**
 * Reads runs.jsonl: every record checked (./recordCheck.ts: types, ranges, one matrix, one configuration per cell);
 * the lines that fail are left out with one warning for the file (file:line and why), a torn final line with another.
 * A missing file reads as empty; one that is not a regular file or over the size bound is a UserError.
 */
export function readRuns(file: string, warn: (line: string) => void = () => {}): ReadResult {
  const out: ReadResult = { records: [], latest: new Map(), completeBytes: 0, torn: false };
  if (!existsSync(file) && !isLink(file)) return out;
  const bad: { line: number; why: string }[] = [];
  const matrix = new MatrixConsistency();
  const scan = scanJsonLines(file, { what: 'results file', maxBytes: MAX_RUNS_FILE_BYTES, maxLineBytes: MAX_RECORD_BYTES }, ({ line, text, bytes }) => {
    if (text === null) return bad.push({ line, why: `ignoring a line of ${bytes} bytes, longer than a record may be (${MAX_RECORD_BYTES})` });
    if (text.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return bad.push({ line, why: `ignoring a line that is not JSON (${text.length} bytes)` });
    }
    const why = recordProblem(v) ?? matrix.problem(v as RunRecord, line);
    if (why) return bad.push({ line, why: `ignoring a record: ${why}` });
    out.records.push(v as RunRecord);
    out.latest.set(runKey(v as RunRecord), v as RunRecord);
  });
  out.completeBytes = scan.completeBytes;
  if (scan.tail !== null) {
    out.torn = true;
    warn(`${file}: ignoring an incomplete last line (${scan.tail.length} bytes, from a run killed while writing it)`);
  }
  if (bad.length) warn(badLinesWarning(file, bad));
  return out;
}

/**
 * A resumed matrix whose experiment changed: a stored run of a cell (same model entry, model and factor values) made
 * with other settings than the matrix now gives that cell would be averaged with the new runs: refused.
 */
function checkSameSettings(file: string, records: readonly RunRecord[], cells: readonly CellDescription[]): void {
  const now = new Map(cells.map((c) => [cellSettingsKey(c), c]));
  for (const r of records) {
    const c = now.get(cellSettingsKey(r.cell));
    if (c && c.id !== r.cell.id) {
      throw new UserError(
        `${file} holds runs of ${c.label} (${describeFactors(c.factors)}) made with other settings than the experiment now gives (cell ${r.cell.id}, now ${c.id}): ` +
          'the experiment changed since, and a cell never averages different settings: use --out DIR for the new settings (or restore the experiment to resume)',
      );
    }
  }
}

/** Whether `file` is a symbolic link (a dangling one does not "exist" but is still something there). */
function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface OpenOptions {
  resume: boolean;
  experiment: string;
  preset: string;
  /** the matrix's cells: a resume refuses a folder whose runs of a cell were made with other settings */
  cells?: readonly CellDescription[];
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
    // read and checked before anything is created: a folder, FIFO or device in its place is refused here
    const held = readRuns(store.file, opts.resume ? warn : () => {});
    if (held.completeBytes > 0 || held.torn) {
      if (!opts.resume) {
        throw new UserError(`${store.file} already holds results: add --resume to continue that matrix (runs already ok are kept), or --out DIR for a new one`);
      }
      const other = held.records.find((x) => x.experiment !== opts.experiment || x.preset !== opts.preset);
      if (other) {
        throw new UserError(
          `${store.file} holds results of experiment ${other.experiment}, preset ${other.preset}, not ${opts.experiment} preset ${opts.preset}: use --out DIR for this one`,
        );
      }
      if (opts.cells) checkSameSettings(store.file, held.records, opts.cells);
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
    const pid = tryLock(this.lockFile);
    if (pid !== null) throw new UserError(`${this.dir} is in use by another ablate run (pid ${pid}); wait for it or use --out DIR`);
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
    unlock(this.lockFile);
  }
}
