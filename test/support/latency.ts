/** Builders for the latency files the report and latency tests write: a machine, a timed row, temporary folders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { LatencyRow } from '../../src/results/latencyFile.js';

export const TEST_MACHINE = { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, platform: 'linux-x64', node: 'v20.0.0', hostname: 'test' };

/** A timed (ok) row at the paper's setting (224 px, batch 1, width 1); `over` sets anything else. */
export function timedRow(model: string, form: 'deploy' | 'train', meanMs: number, over: Partial<LatencyRow> = {}): LatencyRow {
  return {
    model,
    form,
    status: 'ok',
    inputSize: 224,
    batch: 1,
    width: 1,
    depth: 5,
    paramsM: 10,
    gmacs: 5,
    paper: null,
    meanMs,
    medianMs: meanMs,
    p90Ms: meanMs,
    p99Ms: meanMs,
    minMs: meanMs,
    maxMs: meanMs,
    sdMs: 0,
    rmePct: 1,
    samples: 20,
    run: 0,
    ...over,
  };
}

/** A new temporary folder per call, all removed after each test of the file that calls it. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
