/**
 * Whole runs by the PyTorch reference trainer (`ablate --engine torch`): a tiny VanillaNet-6 with both tricks and
 * dropout, and the AlexNet-like net, on a few hundred Fashion-MNIST images (synthetic where it is not installed).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { runReferenceTraining } from '../../src/crosscheck/referenceRun.js';
import { executeRun } from '../../src/ablation/executor.js';
import { runKey, type RunDescription } from '../../src/ablation/matrix.js';
import type { RunSpec } from '../../src/train/runTraining.js';
import type { CellDescription } from '../../src/ablation/matrix.js';
import { readRuns } from '../../src/ablation/store.js';
import { ensureBuilt } from '../support/build.js';
import { runCli } from '../support/cli.js';
import { torchPython } from './support.js';

const { py } = torchPython();

const spec = (model: string, modelOptions: Record<string, unknown>): RunSpec => ({
  model,
  modelOptions: { width: 1 / 32, stem: 'small', ...modelOptions },
  data: { name: 'default', trainSize: 320, valSize: 64, testSize: 96, inputSize: 32 },
  train: { epochs: 3, batchSize: 32, lr: 2e-3, warmupEpochs: 0.5, augment: true },
  seed: 5,
});

describe.skipIf(!py)('the PyTorch reference trainer, whole runs', () => {
  let out: string;
  beforeAll(async () => {
    await selectBackend('wasm');
    out = mkdtempSync(path.join(tmpdir(), 'vb-reference-run-'));
    return () => rmSync(out, { recursive: true, force: true });
  });

  it('VanillaNet-6, both tricks, dropout: every epoch scored, the merged deploy form agrees with the trained form', async () => {
    const epochs: number[] = [];
    let steps = 0;
    const s = await runReferenceTraining(
      spec('vanillanet-6', { deepTraining: true, seriesAct: true, dropRate: 0.05 }),
      path.join(out, 'vn6'),
      {
        onEpoch: (m) => epochs.push(m.epoch),
        onStep: () => steps++,
      },
      py!,
    );
    expect(s.status).toBe('ok');
    expect(epochs).toEqual([1, 2, 3]);
    expect(steps).toBeGreaterThan(0);
    expect(s.metrics.map((m) => m.lambda)).toEqual([expect.any(Number), expect.any(Number), 1]);
    expect(s.metrics[2].trainLoss).toBeLessThan(s.metrics[0].trainLoss);
    for (const v of [s.valTop1, s.testTop1!, s.deployValTop1!, s.deployTestTop1!]) expect(v).toBeGreaterThanOrEqual(0);
    // deploy = trained form at lambda 1, up to float32 rounding: at most one of 64 / 96 images may flip
    expect(Math.abs(s.valTop1 - s.deployValTop1!)).toBeLessThanOrEqual(100 / 64 + 1e-9);
    expect(Math.abs(s.testTop1! - s.deployTestTop1!)).toBeLessThanOrEqual(100 / 96 + 1e-9);
    expect(s.dataset).toMatch(/256 train \/ 64 validation, 32x32/);
    expect(s.deployMaxLogitDiff).toBeLessThan(1e-4);
    expect(s.testSet).toMatch(/\(96\)/);
    expect(s.engine).toMatch(/^torch \d/);
    const lines = readFileSync(path.join(out, 'vn6', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(3);
  }, 300_000);

  it('a pool run with engine torch becomes a record marked torch, in its own folder; AlexNet has no deploy figure in the reference', async () => {
    const run: RunDescription = {
      runId: 'r1',
      experiment: 'x',
      preset: 'p',
      seed: 5,
      engine: 'torch',
      cell: {
        id: 'c',
        index: 0,
        entry: 0,
        model: 'alexnet',
        label: 'AlexNet',
        factors: {},
        baseline: {},
        toggles: { deepTraining: true, seriesAct: true, shortcut: 'none', actNum: 3, width: 1 / 32, stem: 'small' },
      } as CellDescription,
      spec: spec('alexnet', { deepTraining: true, seriesAct: true }),
    };
    const ctx = {
      backend: 'wasm',
      tfjsVersion: '4',
      commit: null,
      machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', hostname: 'h' },
    };
    const r = await executeRun(run, path.join(out, runKey(run)), ctx);
    expect(r.status).toBe('ok');
    expect(r.engine).toBe('torch');
    expect(r.backend).toMatch(/^torch /);
    expect(r.metrics).toHaveLength(3);
    expect(r.testTop1).toBeGreaterThan(0);
    expect(r.deployTestTop1).toBeNull();
    expect(runKey(run)).toBe('r1-torch');
    expect(readFileSync(path.join(out, 'r1-torch', 'summary.json'), 'utf8')).toContain('"engine"');
  }, 300_000);
});

describe.skipIf(!py)('ablate --engine torch (the CLI, experiments/smoke.ts)', () => {
  const cli = (...args: string[]) => runCli(args);
  let out: string;
  beforeAll(() => {
    ensureBuilt(['dist/src/cli.js', 'dist/src/ablation/poolWorker.js', 'dist/src/crosscheck/referenceRun.js', 'dist/experiments/smoke.js']);
    out = mkdtempSync(path.join(tmpdir(), 'vb-ablate-torch-'));
    return () => rmSync(out, { recursive: true, force: true });
  }, 120_000);

  it('PyTorch runs beside ours in one folder: their own records and keys; --models and --max-seeds pick runs; the summary shows both', async () => {
    const dir = path.join(out, 'm');
    const a = await cli('ablate', 'experiments/smoke.ts', '--preset', 'test', '--engine', 'torch', '--out', dir, '--workers', '2', '--no-run-files', '--json');
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).runs).toMatchObject({ ok: 4, failed: 0 });
    const torchRecords = readRuns(path.join(dir, 'runs.jsonl')).records;
    expect(torchRecords.map((r) => r.engine)).toEqual(['torch', 'torch', 'torch', 'torch']);
    expect(torchRecords.every((r) => /^torch /.test(r.backend) && r.testTop1 !== null && r.deployTestTop1 !== null)).toBe(true);
    // ours, seed 1 only: the PyTorch records do not count as done for our trainer
    const b = await cli(
      'ablate',
      'experiments/smoke.ts',
      '--preset',
      'test',
      '--out',
      dir,
      '--resume',
      '--models',
      'vanillanet-5',
      '--max-seeds',
      '1',
      '--no-run-files',
      '--json',
    );
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).runs).toMatchObject({ ok: 2, skipped: 0 });
    const all = readRuns(path.join(dir, 'runs.jsonl'));
    expect(all.records).toHaveLength(6);
    expect(all.latest.size).toBe(6);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('PyTorch, same protocol');
    // the PyTorch matrix again: every run stored already
    const c = await cli('ablate', 'experiments/smoke.ts', '--preset', 'test', '--engine', 'torch', '--out', dir, '--resume', '--json');
    expect(JSON.parse(c.stdout).runs).toMatchObject({ ok: 0, skipped: 4 });
  }, 300_000);

  it('mistakes: an unknown --models name, a seed not in the preset, --engine torch with --queue, --python without it', async () => {
    const m = await cli('ablate', 'experiments/smoke.ts', '--preset', 'test', '--models', 'alexnet', '--out', path.join(out, 'x'));
    expect(m.code).not.toBe(0);
    expect(m.stderr).toMatch(/--models alexnet: not in this experiment: alexnet \(it has vanillanet-5\)/);
    const q = await cli('ablate', 'experiments/smoke.ts', '--engine', 'torch', '--queue', 'redis://127.0.0.1:1', '--out', path.join(out, 'y'));
    expect(q.stderr).toMatch(/--engine torch runs on local workers only/);
    const sd = await cli('ablate', 'experiments/smoke.ts', '--preset', 'test', '--seeds', '2,7', '--out', path.join(out, 'w'));
    expect(sd.stderr).toMatch(/--seeds 2,7: not seeds of this preset: 7 \(it has 1, 2\)/);
    const p = await cli('ablate', 'experiments/smoke.ts', '--python', '/usr/bin/python3', '--out', path.join(out, 'z'));
    expect(p.stderr).toMatch(/--python is for --engine torch/);
  }, 120_000);
});
