/**
 * What identifies one `latency` run in the stored files: a run id (UTC time to the second), the machine's 1-minute
 * load average before and after (per run and per row), and the file a run writes to: a new
 * `<backend>-<machine>-<runid>.json` unless `--merge` folds it into `<backend>-<machine>.json`, so measurements
 * already there (e.g. committed idle-machine figures) are never replaced silently.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { lockFileFor, tryLock, unlock } from '../util/fileLock.js';
import { readLatencyFile, type LoadWindow } from './latencyFile.js';

/** The 1-minute load average, rounded to 2 decimals (0 where the platform has none). */
export function load1(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

/** e.g. 20261201T203900Z */
export function newRunId(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * `base.json` -> `base-<runId>.json`, with -2, -3... should that name exist already or be reserved by a run still
 * going: the name is reserved by its lock file (created exclusively), so two runs started in the same second never
 * write one file. `release` frees the name once the run has written its file.
 */
export function reserveRunFile(mergeFile: string, runId: string): { file: string; release: () => void } {
  const stem = mergeFile.replace(/\.json$/, '');
  mkdirSync(path.dirname(mergeFile), { recursive: true });
  for (let i = 1; i < 10_000; i++) {
    const file = i === 1 ? `${stem}-${runId}.json` : `${stem}-${runId}-${i}.json`;
    if (existsSync(file)) continue;
    const lock = lockFileFor(file);
    if (tryLock(lock) !== null) continue;
    if (existsSync(file)) {
      unlock(lock); // written by a run that finished between the two looks
      continue;
    }
    return { file, release: () => unlock(lock) };
  }
  throw new UserError(`no free name for this run's results beside ${mergeFile}`);
}

/**
 * Where a run's measurements go: its own reserved file unless --merge, so that measurements already stored (committed
 * ones too) are never replaced silently; with --merge, the stored file it merges into (read first: a corrupt one
 * stops here; every write reads it again under its lock, so concurrent merges keep each other's rows).
 */
export function chooseRunFile(
  mergeFile: string,
  merge: boolean,
  log: (line: string) => void,
  runId = newRunId(),
): { runId: string; file: string; release: () => void } {
  if (merge) {
    // a merged file tells its runs apart by id: two runs merging in the same second get the pid as well
    const mergeId = `${runId}-${process.pid}`;
    if (readLatencyFile(mergeFile)) log(`latency: merging into ${mergeFile} (rows of the same model, form and setting are replaced)`);
    return { runId: mergeId, file: mergeFile, release: () => {} };
  }
  const { file, release } = reserveRunFile(mergeFile, runId);
  if (existsSync(mergeFile)) log(`latency: ${mergeFile} is left as it is; this run goes to ${file} (--merge merges into it)`);
  return { runId, file, release };
}

/** Load from other work above this share of the cores counts as a busy machine in the report. */
export const BUSY_LOAD_PER_CORE = 0.5;

/**
 * Whether other work loaded the machine while a run measured. The 1-minute load average counts the measuring process
 * itself (about one per thread it computes on), and at the start it still holds the minute before (in a study, the
 * runtime measured just before): so what the run's end shows beyond its own threads is the other work.
 */
export function underLoad(load: LoadWindow | undefined, cores: number, ownThreads: number): boolean {
  return load !== undefined && load.after - ownThreads > BUSY_LOAD_PER_CORE * cores;
}

