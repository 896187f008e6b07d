/** Issue 17 item 5: reference latency measurements are never overwritten silently. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latencyFileName, readLatencyFile } from '../../src/results/latencyFile.js';
import { machineInfo } from '../../src/util/provenance.js';
import { latencyProvenance } from '../../src/report/latencyProvenance.js';
import { selectLatency } from '../../src/report/inputs.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { QUICK_LATENCY } from './latencyFlags.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
/** A latency file of two runs (the suite's 2026-11 measurements, kept as a fixture when results/ moved on). */
const COMMITTED = path.join(ROOT, 'test/fixtures/latency/wasm-two-runs.json');
const QUICK = ['--models', 'vanillanet-5', ...QUICK_LATENCY];
let tmp: string;

beforeAll(() => {
  ensureBuilt(['dist/src/cli.js', 'dist/src/commands/latency.js']);
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-latency-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('latency on a machine that already holds a file for its name', () => {
  it('leaves that file byte-identical and writes the run to a new file with its run id and load', () => {
    const out = path.join(tmp, 'a');
    mkdirSync(out);
    const held = path.join(out, latencyFileName('wasm', machineInfo()));
    copyFileSync(COMMITTED, held);
    const before = readFileSync(held);
    const r = cli('latency', ...QUICK, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(held).equals(before)).toBe(true);
    const fresh = readdirSync(out).filter((f) => f.endsWith('.json') && path.join(out, f) !== held);
    expect(fresh).toHaveLength(1);
    const data = readLatencyFile(path.join(out, fresh[0]))!;
    const run = data.runs[0] as unknown as { runId: string; load1: { before: number; after: number } };
    expect(fresh[0]).toContain(run.runId);
    expect(run.load1.before).toBeGreaterThanOrEqual(0);
    expect(run.load1.after).toBeGreaterThanOrEqual(0);
    expect(r.stderr).toMatch(/vanillanet-5 deploy: \d+ calls/);
  });
  it('--merge merges into it (and says so)', () => {
    const out = path.join(tmp, 'b');
    mkdirSync(out);
    const held = path.join(out, latencyFileName('wasm', machineInfo()));
    copyFileSync(COMMITTED, held);
    const r = cli('latency', ...QUICK, '--merge', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    const data = readLatencyFile(held)!;
    expect(data.runs.length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/merg/);
  });
  it("does not print the webgpu probe's Vulkan hint on a machine without a GPU", () => {
    const r = cli('latency', ...QUICK.slice(0, -2), '--backend', 'auto', '--out', path.join(tmp, 'c'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/libvulkan|install libvulkan1/);
  });
});

describe('the report names where latency rows come from', () => {
  it('never mixes runs: a file of two runs gives a table of one, named with its file and run', () => {
    const data = readLatencyFile(COMMITTED)!;
    const { primary, others } = selectLatency([{ file: COMMITTED, data }]);
    expect(new Set(primary!.rows.map((r) => r.run)).size).toBe(1);
    expect(others.map((o) => o.run)).toEqual([1 - primary!.run]);
    const lines = latencyProvenance(primary!).join('\n');
    expect(lines).toContain('wasm-two-runs.json');
    expect(lines).not.toMatch(/different (measurement )?runs/);
    expect(lines).toMatch(/load .*not recorded/);
  });
  it('latencyProvenance still warns when handed rows of two runs', () => {
    const data = readLatencyFile(COMMITTED)!;
    const lines = latencyProvenance({ file: COMMITTED, data, rows: data.rows }).join('\n');
    expect(lines).toMatch(/different (measurement )?runs/);
  });
  it('warns when a row was measured under load', () => {
    const data = readLatencyFile(COMMITTED)!;
    const runs = data.runs.map((r) => ({ ...r, runId: 'r1', load1: { before: 3.5, after: 3.9 } }));
    const rows = data.rows.map((r) => ({ ...r, run: 0 }));
    const { primary } = selectLatency([{ file: COMMITTED, data: { ...data, runs: [runs[0]], rows } }]);
    const lines = latencyProvenance(primary!).join('\n');
    expect(lines).toMatch(/under load/);
    expect(lines).not.toMatch(/different (measurement )?runs/);
  });
});
