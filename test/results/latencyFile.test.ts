import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  latencyCsv, latencyFileName, mergeLatency, readLatencyFile, writeLatencyFile, type LatencyRow,
} from '../../src/results/latencyFile.js';
import { UserError } from '../../src/util/errors.js';

const machine = { cpuModel: 'AMD EPYC 7B13', cores: 2, memoryGiB: 8, platform: 'linux-x64', node: 'v20.0.0', hostname: 'h' };
const prov = (date: string) => ({
  command: `vanillabench latency # ${date}`, commit: null, dirty: null, backend: 'wasm', tfjsVersion: '4.22.0',
  kernels: 'ours' as const, machine, date, seed: 0,
});
const row = (model: string, form: 'deploy' | 'train', meanMs: number, inputSize = 224): Omit<LatencyRow, 'run'> => ({
  model, form, status: 'ok', inputSize, batch: 1, width: 1, depth: 5, paramsM: 15.5, gmacs: 5.2, paper: null,
  meanMs, medianMs: meanMs, p90Ms: meanMs, p99Ms: meanMs, minMs: meanMs, maxMs: meanMs, sdMs: 0, rmePct: 0, samples: 3, samplesMs: [meanMs, meanMs, meanMs],
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('latency store', () => {
  it('names files by backend and machine', () => {
    expect(latencyFileName('wasm', machine)).toBe('wasm-amd-epyc-7b13-2c.json');
  });

  it('merges runs: newer rows replace older ones with the same key, unreferenced runs are dropped', () => {
    const a = mergeLatency(null, 'wasm', machine, prov('1'), [row('vanillanet-5', 'deploy', 10), row('resnet-18', 'deploy', 20)]);
    expect(a.runs.length).toBe(1);
    const b = mergeLatency(a, 'wasm', machine, prov('2'), [row('vanillanet-5', 'deploy', 11), row('vanillanet-5', 'deploy', 12, 64)]);
    expect(b.rows.map((r) => [r.model, r.inputSize, r.meanMs, b.runs[r.run].date])).toEqual([
      ['vanillanet-5', 224, 11, '2'], ['resnet-18', 224, 20, '1'], ['vanillanet-5', 64, 12, '2'],
    ]);
    const c = mergeLatency(b, 'wasm', machine, prov('3'), [row('resnet-18', 'deploy', 21)]);
    // run '1' no longer holds any row
    expect(c.runs.map((r) => r.date)).toEqual(['2', '3']);
    expect(c.rows.find((r) => r.model === 'resnet-18')!.run).toBe(1);
  });

  it('writes JSON and CSV atomically and reads them back; a corrupt file is a UserError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-lat-'));
    dirs.push(dir);
    const f = mergeLatency(null, 'wasm', machine, prov('1'), [row('vanillanet-5', 'deploy', 10), { ...row('vanillanet-13', 'deploy', 0), status: 'skipped', reason: 'slow, "very"', meanMs: undefined }]);
    const file = join(dir, 'sub', latencyFileName('wasm', machine));
    const w = writeLatencyFile(file, f);
    expect(readLatencyFile(w.json)).toEqual(JSON.parse(JSON.stringify(f)));
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual(['wasm-amd-epyc-7b13-2c.csv', 'wasm-amd-epyc-7b13-2c.json']);
    const csv = readFileSync(w.csv, 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^model,form,status,reason,input,batch,width,depth,params_m,gmacs,mean_ms,median_ms,p90_ms,p99_ms/);
    expect(csv[2]).toContain('"slow, ""very"""');
    expect(latencyCsv(f)).toBe(readFileSync(w.csv, 'utf8'));
    expect(readLatencyFile(join(dir, 'none.json'))).toBeNull();
    writeFileSync(file, '{"schema":');
    expect(() => readLatencyFile(file)).toThrow(UserError);
    expect(() => readLatencyFile(file)).toThrow(file);
    writeFileSync(file, JSON.stringify({ schema: 'vanillabench/latency@1', backend: 'wasm', machine, runs: [], rows: [{ model: 'x', form: 'deploy', status: 'ok' }] }));
    expect(() => readLatencyFile(file)).toThrow(/row 0 \(x\) lacks numeric inputSize/);
  });
});
