/** evaluate, export-onnx and latency --runtime onnxruntime end to end, as a user runs them (the built CLI). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
let tmp: string;
const W16 = ['--width', '0.0625', '--input', '32', '--classes', '3'];

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/src/cli.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT });
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-cli-interop-'));
  for (const [i, c] of ['a', 'b', 'c'].entries()) {
    mkdirSync(path.join(tmp, 'val', c), { recursive: true });
    for (const j of [0, 1]) {
      const raw = Buffer.alloc(50 * 40 * 3, (i * 80 + j * 40) % 256);
      await sharp(raw, { raw: { width: 50, height: 40, channels: 3 } })
        .png()
        .toFile(path.join(tmp, 'val', c, `${j}.png`));
    }
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('evaluate', () => {
  it('--json: one document with top-1/top-5, images/s and the backend; progress on stderr', () => {
    const dir = path.join(tmp, 'v5');
    expect(cli('export', 'vanillanet-5', dir, ...W16).status).toBe(0);
    const r = cli('evaluate', dir, '--data', path.join(tmp, 'val'), '--batch', '4', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ model: 'vanillanet-5', images: 6, classes: 3, top5: 1, backend: 'wasm' });
    expect(j.top1).toBeGreaterThanOrEqual(0);
    expect(j.imagesPerSec).toBeGreaterThan(0);
    expect(j.preprocessing).toMatchObject({ resize: 36, crop: 32, interpolation: 'cubic' });
    expect(r.stderr).toMatch(/evaluate 6\/6 100%/);
  });
  it('a missing folder and a class count mismatch are one clear message each', async () => {
    const dir = path.join(tmp, 'v5');
    let r = cli('evaluate', dir, '--data', path.join(tmp, 'nope'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--data .*nope does not exist/);
    mkdirSync(path.join(tmp, 'val', 'd'));
    await sharp(Buffer.alloc(40 * 40 * 3), { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(path.join(tmp, 'val', 'd', '0.png'));
    r = cli('evaluate', dir, '--data', path.join(tmp, 'val'));
    rmSync(path.join(tmp, 'val', 'd'), { recursive: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/has 4 class folders but the model has 3 outputs/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('export-onnx', () => {
  it('a zoo name and a model directory: opset 13, verified in ONNX Runtime', () => {
    const file = path.join(tmp, 'r18.onnx');
    let r = cli('export-onnx', 'resnet-18', file, ...W16, '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      opset: number;
      irVersion: number;
      input: { name: string; shape: unknown[] };
      output: { name: string };
      verification: { maxRelErr: number; passed: boolean };
    };
    expect(j).toMatchObject({ opset: 13, irVersion: 7, input: { name: 'input', shape: ['batch', 3, 32, 32] }, output: { name: 'logits' } });
    expect(j.verification.passed).toBe(true);
    expect(j.verification.maxRelErr).toBeLessThanOrEqual(1e-4);
    expect(readFileSync(file).length).toBeGreaterThan(1000);
    r = cli('export-onnx', path.join(tmp, 'v5'), path.join(tmp, 'v5.onnx'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verified in ONNX Runtime .*: max relative error/);
  });
  it('an unknown source is one clear message', () => {
    const r = cli('export-onnx', 'vanillanet-4', path.join(tmp, 'x.onnx'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/'vanillanet-4' is neither a model directory nor a zoo model/);
  });
});

describe('latency --runtime onnxruntime', () => {
  it('times the deploy form, skips the train form with the reason, stores onnxruntime-<machine>.json', () => {
    const out = path.join(tmp, 'latency');
    const r = cli(
      'latency',
      '--runtime',
      'onnxruntime',
      '--threads',
      '1',
      '--models',
      'vanillanet-5',
      '--form',
      'both',
      '--input',
      '32',
      '--width',
      '0.0625',
      '--min-samples',
      '3',
      '--min-time-ms',
      '0',
      '--warmup-ms',
      '0',
      '--out',
      out,
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      runtime: { name: string; threads: number };
      rows: { form: string; status: string; threads?: number; reason?: string }[];
    };
    expect(j.runtime).toMatchObject({ name: 'onnxruntime', threads: 1 });
    expect(j.rows.find((x) => x.form === 'deploy')).toMatchObject({ status: 'ok', threads: 1 });
    expect(j.rows.find((x) => x.form === 'train')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/only deploy forms are exported/) });
    const files = readdirSync(out);
    expect(
      files
        .filter((f) => f.startsWith('onnxruntime-'))
        .sort()
        .map((f) => path.extname(f)),
    ).toEqual(['.csv', '.json']);
    const stored = JSON.parse(
      readFileSync(
        path.join(
          out,
          files.find((f) => f.endsWith('.json'))!,
        ),
        'utf8',
      ),
    ) as { backend: string; runtime: { version: string } };
    expect(stored.backend).toBe('onnxruntime');
    expect(stored.runtime.version).toMatch(/^\d+\.\d+/);
  });
  it('--form train alone is refused with the reason', () => {
    const r = cli('latency', '--runtime', 'onnxruntime', '--form', 'train', '--models', 'vanillanet-5');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--form train: not available on onnxruntime/);
  });
});
