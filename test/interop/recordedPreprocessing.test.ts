/**
 * A model carries how its inputs were made: `train` records its dataset's pipeline and class names, `import` the
 * ImageNet evaluation transform; `predict` and `evaluate` apply what the model records. `export` says its weights are
 * random. The images are the shipped fixture test/fixtures/fashion-mnist-20 (Fashion-MNIST test images, 28x28 grey).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage, readRecordedIO, type DatasetPreprocessing } from '../../src/data/preprocessing.js';
import { prepareSplits } from '../../src/data/transforms.js';
import type { Dataset } from '../../src/data/dataset.js';
import { FASHION_MNIST_CLASSES, fashionMnistAvailable } from '../../src/data/fashionMnist.js';
import { ensureBuilt, ROOT } from '../support/build.js';

const IMAGES = path.join(ROOT, 'test/fixtures/fashion-mnist-20');
const BAG = path.join(IMAGES, '8-bag/t10k-00018.png');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
let tmp: string;
beforeAll(() => {
  ensureBuilt(['dist/src/cli.js', 'dist/src/commands/predict.js', 'dist/src/commands/train.js', 'dist/src/data/preprocessing.js']);
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-recorded-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const trainTiny = (out: string, dataset: string) =>
  cli(
    'train',
    '--model',
    'vanillanet-5',
    '--width',
    '0.03125',
    '--dataset',
    dataset,
    '--train-size',
    '256',
    '--test-size',
    '64',
    '--epochs',
    '1',
    '--batch-size',
    '32',
    '--out',
    out,
  );

describe('preprocessImage with a dataset record', () => {
  it("gives exactly the numbers training gave the same image (grey 28x28, padded to 32, repeated to RGB, the split's mean/std)", async () => {
    const raw = await sharp(BAG).extractChannel(0).raw().toBuffer();
    expect(raw.length).toBe(28 * 28);
    const one: Dataset = {
      images: Float32Array.from(raw, (v) => v / 255),
      labels: new Int32Array(1),
      n: 1,
      height: 28,
      width: 28,
      channels: 1,
      numClasses: 10,
      name: 'x/train',
      source: 'x',
    };
    const stats = { mean: [0.29, 0.29, 0.29], std: [0.35, 0.35, 0.35] };
    const trained = prepareSplits({ train: one, test: one }, { height: 32, width: 32, channels: 3, method: 'pad', normalize: stats }).train.images;
    const record: DatasetPreprocessing = {
      kind: 'dataset',
      dataset: 'fashion-mnist',
      source: { height: 28, width: 28, channels: 1 },
      fit: 'pad',
      inputSize: 32,
      channels: 3,
      ...stats,
    };
    const got = await preprocessImage(BAG, record, 32);
    expect(got.length).toBe(32 * 32 * 3);
    expect(Array.from(got)).toEqual(Array.from(trained));
    // the padding is raw black, i.e. -mean/std after normalisation
    expect(got[0]).toBeCloseTo(-0.29 / 0.35, 6);
  });
});

describe('train records, predict and evaluate apply', () => {
  it('a synthetic run records its pipeline; predict --json and evaluate use it', () => {
    const out = path.join(tmp, 'syn');
    const t = trainTiny(out, 'synthetic');
    expect(t.status, t.stderr).toBe(0);
    const dir = path.join(out, 'deploy');
    const udm = (JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { userDefinedMetadata: { preprocessing: DatasetPreprocessing } })
      .userDefinedMetadata;
    expect(udm.preprocessing).toMatchObject({
      kind: 'dataset',
      dataset: 'synthetic',
      source: { height: 32, width: 32, channels: 3 },
      inputSize: 32,
      channels: 3,
    });
    const p = cli('predict', dir, '--image', BAG, '--json');
    expect(p.status, p.stderr).toBe(0);
    const j = JSON.parse(p.stdout) as { model: string; preprocessing: { kind: string }; top5: { index: number; name?: string }[] };
    expect(j).toMatchObject({ model: 'vanillanet-5', preprocessing: { kind: 'dataset' } });
    expect(j.top5.map((t) => t.name)).toEqual(j.top5.map((t) => `class${t.index}`)); // the synthetic data's class names
    const e = cli('evaluate', dir, '--data', IMAGES);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain('preprocessing: as trained on synthetic: 32x32, 3 channels, its training mean/std');
  }, 60_000);

  it.skipIf(!fashionMnistAvailable())(
    'a Fashion-MNIST model names its classes and pads the grey image as in training',
    () => {
      const out = path.join(tmp, 'fm');
      expect(trainTiny(out, 'fashion-mnist').status).toBe(0);
      const p = cli('predict', path.join(out, 'deploy'), '--image', BAG);
      expect(p.status, p.stderr).toBe(0);
      expect(p.stdout).toContain('preprocessing: as trained on fashion-mnist: grey 28x28, zero-padded to 32, 3 channels, its training mean/std');
      const names = [...p.stdout.matchAll(/^ {2}class +(\d+) (.+?) {2}[\d.]+%$/gm)].map((m) => [Number(m[1]), m[2]]);
      expect(names).toHaveLength(5);
      for (const [i, name] of names) expect(name).toBe(FASHION_MNIST_CLASSES[i as number]);
    },
    60_000,
  );
});

describe('export and import', () => {
  it('export says its weights are random and how large they are', () => {
    const out = path.join(tmp, 'exp');
    const r = cli('export', 'vanillanet-5', out, '--width', '0.0625', '--input', '32', '--classes', '10', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { weights: string; weightsBytes: number };
    expect(j.weights).toBe('random');
    expect(j.weightsBytes).toBe(statSync(path.join(out, 'weights.bin')).size);
    expect(r.stderr).toMatch(/random weights \(seed 0\), ~[\d.]+ [kM]B/);
    const text = cli('export', 'vanillanet-5', path.join(tmp, 'exp2'), '--width', '0.0625', '--input', '32');
    expect(text.stdout).toMatch(/\([\d.]+ [kM]B\): vanillanet-5, deploy form, RANDOM weights/);
    expect(readRecordedIO(out, 10)).toEqual({ preprocessing: null, classNames: null });
    // a malformed record is one clear line, not a stack trace
    const file = path.join(out, 'model.json');
    const mj = JSON.parse(readFileSync(file, 'utf8')) as { userDefinedMetadata: Record<string, unknown> };
    mj.userDefinedMetadata.preprocessing = {
      kind: 'dataset',
      source: { height: 28, width: 28, channels: 1 },
      fit: 'pad',
      inputSize: 32,
      channels: 3,
      mean: [0],
      std: [1],
    };
    writeFileSync(file, JSON.stringify(mj));
    const p = cli('predict', out, '--image', BAG);
    expect(p.status).toBe(1);
    expect(p.stderr.trim().split('\n').at(-1)).toMatch(/model\.json: preprocessing mean and std must be 3 numbers \(std positive\); remove it to fall back/);
    expect(p.stderr).not.toMatch(/\n\s+at /);
  });
  it("import records the authors' ImageNet evaluation transform, and predict says so", () => {
    const out = path.join(tmp, 'imp');
    const fx = path.join(ROOT, 'test/fixtures/torch-vanillanet-5-w16');
    const r = cli('import', path.join(fx, 'checkpoint.pth'), '--model', 'vanillanet-5', '--width', '0.0625', '--classes', '10', '--input', '64', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(readRecordedIO(out, 10).preprocessing).toEqual({ kind: 'imagenet', cropPct: 0.875 });
    const p = cli('predict', out, '--image', BAG);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toContain('preprocessing: ImageNet evaluation (shorter side to input / 0.875, centre crop, ImageNet mean/std)');
    expect(p.stdout).not.toContain('records none');
  });
});
