/**
 * What identifies one `latency` run in the stored files: a run id (UTC time to the second), the machine's 1-minute
 * load average before and after (per run and per row), and the file a run writes to: a new
 * `<backend>-<machine>-<runid>.json` unless `--merge` folds it into `<backend>-<machine>.json`, so measurements
 * already there (e.g. committed idle-machine figures) are never replaced silently.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LoadWindow {
  /** os.loadavg()[0] when the measurement started */
  before: number;
  /** os.loadavg()[0] when it ended */
  after: number;
}

/** The 1-minute load average, rounded to 2 decimals (0 where the platform has none). */
export function load1(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

/** e.g. 20261201T203900Z */
export function newRunId(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** `base.json` -> `base-<runId>.json`, with -2, -3... should that name exist already. */
export function runFile(mergeFile: string, runId: string): string {
  const stem = mergeFile.replace(/\.json$/, '');
  let file = `${stem}-${runId}.json`;
  for (let i = 2; existsSync(file); i++) file = `${stem}-${runId}-${i}.json`;
  return file;
}

/** A load average above this share of the cores counts as a busy machine in the report. */
export const BUSY_LOAD_PER_CORE = 0.5;

export function underLoad(load: LoadWindow | undefined, cores: number): boolean {
  return load !== undefined && Math.max(load.before, load.after) > BUSY_LOAD_PER_CORE * cores;
}

export const relativeName = (file: string): string => path.basename(file);
