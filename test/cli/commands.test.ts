/** The commands end to end, as a user runs them: real processes of the built CLI. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
let tmp: string;

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/src/cli.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT });
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('zoo', () => {
  it('--json prints one array with the paper beside our counts', () => {
    const r = cli('zoo', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      name: string;
      depth: number;
      paramsM: number;
      gmacs: number;
      trainParamsM: number;
      trainGmacs: number;
      paper: { paramsM: number; gflops: number; depth: number } | null;
    }[];
    expect(rows).toHaveLength(15);
    const v5 = rows.find((x) => x.name === 'vanillanet-5')!;
    expect([Math.round(v5.paramsM * 10) / 10, Math.round(v5.gmacs * 10) / 10, v5.depth]).toEqual([15.5, 5.2, 5]);
    expect(v5.paper).toMatchObject({ paramsM: 15.5, gflops: 5.2, depth: 5 });
    expect(v5.trainParamsM).toBeGreaterThan(v5.paramsM);
  });
  it('an unknown model lists the valid ones, without a stack trace', () => {
    const r = cli('zoo', '--models', 'vanillanet-4');
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^vanillabench: unknown model 'vanillanet-4': valid models are vanillanet-5,/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('an invalid toggle names the valid values', () => {
    const r = cli('zoo', '--shortcut', 'sideways');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--shortcut must be none, before-act or after-act/);
  });
});

describe('verify-reparam, export, train', () => {
  it('verify-reparam --json: every maxRelErr <= 1e-4', () => {
    const r = cli('verify-reparam', '--json', '--models', 'vanillanet-5,vanillanet-13', '--width', '0.0625', '--input', '64');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; maxRelErr: number; outputsCompared: number }[];
    expect(rows.map((x) => x.name)).toEqual(['vanillanet-5', 'vanillanet-13']);
    for (const x of rows) expect(x.maxRelErr).toBeLessThanOrEqual(1e-4);
  });
  it('export writes a LayersModel directory', () => {
    const dir = path.join(tmp, 'v5');
    const r = cli('export', 'vanillanet-5', dir, '--width', '0.0625', '--input', '64', '--classes', '10', '--json');
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { format: string; weightsManifest: unknown[] };
    expect(json.format).toBe('layers-model');
    expect(existsSync(path.join(dir, 'weights.bin'))).toBe(true);
  });
  it('train --json: a short synthetic run reports both forms, on validation and test, and writes metrics, weights and provenance', () => {
    const out = path.join(tmp, 'run');
    const r = cli(
      'train',
      '--model',
      'vanillanet-5',
      '--dataset',
      'synthetic',
      '--train-size',
      '256',
      '--val-size',
      '64',
      '--test-size',
      '128',
      '--epochs',
      '2',
      '--batch-size',
      '32',
      '--width',
      '0.03125',
      '--seed',
      '1',
      '--out',
      out,
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ model: 'vanillanet-5', backend: 'wasm', status: 'ok', epochs: 2 });
    expect(s.deployValTop1).toBe(s.valTop1);
    // validation (64 of the training images) monitors the epochs; the final figure is scored on the test split too
    expect(s.testSet).toBe('synthetic/test (128)');
    expect(typeof s.testTop1).toBe('number');
    expect(s.deployTestTop1).toBe(s.testTop1);
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'))).toMatchObject({ testTop1: s.testTop1, deployTestTop1: s.testTop1 });
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(path.join(out, 'deploy', 'model.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'provenance.json'), 'utf8'))).toMatchObject({ backend: 'wasm', seed: 1 });
  });
});
