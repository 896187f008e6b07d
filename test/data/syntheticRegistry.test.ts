import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { classCounts, type Dataset } from '../../src/data/dataset.js';
import { encodeIdx } from '../../src/data/idx.js';
import { DATASET_NAMES, describeDataset, describeSplits, loadDataset } from '../../src/data/registry.js';
import { makeSynthetic, makeSyntheticSplits } from '../../src/data/synthetic.js';
import { asyncErrorOf, tempDir } from './helpers.js';

/** Nearest-class-centroid accuracy of test against train centroids. */
function centroidAccuracy(train: Dataset, test: Dataset): number {
  const per = train.height * train.width * train.channels;
  const C = train.numClasses;
  const cent = Array.from({ length: C }, () => new Float64Array(per));
  const counts = classCounts(train);
  for (let i = 0; i < train.n; i++) {
    const c = cent[train.labels[i]];
    for (let k = 0; k < per; k++) c[k] += train.images[i * per + k] / counts[train.labels[i]];
  }
  let ok = 0;
  for (let i = 0; i < test.n; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let l = 0; l < C; l++) {
      let d = 0;
      for (let k = 0; k < per; k++) {
        const e = test.images[i * per + k] - cent[l][k];
        d += e * e;
      }
      if (d < bestD) {
        bestD = d;
        best = l;
      }
    }
    if (best === test.labels[i]) ok++;
  }
  return ok / test.n;
}

describe('synthetic data', () => {
  it('is deterministic for a seed and differs across seeds and splits', () => {
    const a = makeSynthetic({ n: 30, height: 8, width: 8, channels: 3, seed: 5 });
    const b = makeSynthetic({ n: 30, height: 8, width: 8, channels: 3, seed: 5 });
    expect(b.images).toEqual(a.images);
    expect(b.labels).toEqual(a.labels);
    expect(makeSynthetic({ n: 30, height: 8, width: 8, channels: 3, seed: 6 }).images).not.toEqual(a.images);
    expect(makeSynthetic({ n: 30, height: 8, width: 8, channels: 3, seed: 5, split: 'test' }).images).not.toEqual(a.images);
    expect(a.source).toBe('synthetic');
    for (const v of a.images) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('supports any size, channels and classes, balanced', () => {
    const d = makeSynthetic({ n: 35, height: 5, width: 7, channels: 1, numClasses: 7 });
    expect([d.height, d.width, d.channels, d.numClasses]).toEqual([5, 7, 1, 7]);
    expect(classCounts(d)).toEqual(new Array(7).fill(5));
    expect(() => makeSynthetic({ n: 0 })).toThrow(UserError);
  });

  it('is learnable: nearest-centroid is far above chance on held-out data', () => {
    const s10 = makeSyntheticSplits({ trainSize: 400, testSize: 200, height: 16, width: 16, seed: 1 });
    expect(centroidAccuracy(s10.train, s10.test)).toBeGreaterThan(0.5); // chance 0.1
    const s100 = makeSyntheticSplits({ trainSize: 2000, testSize: 500, height: 8, width: 8, numClasses: 100, seed: 2 });
    expect(centroidAccuracy(s100.train, s100.test)).toBeGreaterThan(0.15); // chance 0.01
  });
});

describe('registry', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterAll(() => cleanup());

  it('rejects unknown names listing the valid ones', async () => {
    const e = await asyncErrorOf(() => loadDataset('imagenet-1k'));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain("unknown dataset 'imagenet-1k'");
    for (const n of DATASET_NAMES) expect(e.message).toContain(n);
  });

  it('loads synthetic splits with a validation split', async () => {
    const s = await loadDataset('synthetic', { trainSize: 100, testSize: 40, imageSize: 8, valFraction: 0.2, seed: 3 });
    expect(s.train.n).toBe(80);
    expect(s.validation?.n).toBe(20);
    expect(s.test.n).toBe(40);
    expect(describeSplits(s).split('\n')).toHaveLength(3);
    expect(describeDataset(s.train)).toMatch(/^synthetic\/train: 80 × 8×8×3, 10 classes/);
  });

  it('loads an MNIST directory with subsets', async () => {
    const d = join(dir, 'mnist');
    mkdirSync(d);
    for (const [prefix, count] of [
      ['train', 50],
      ['t10k', 20],
    ] as const) {
      writeFileSync(join(d, `${prefix}-images-idx3-ubyte`), encodeIdx([count, 28, 28], new Uint8Array(count * 784)));
      writeFileSync(
        join(d, `${prefix}-labels-idx1-ubyte`),
        encodeIdx(
          [count],
          Uint8Array.from({ length: count }, (_, i) => i % 10),
        ),
      );
    }
    const s = await loadDataset('mnist', { dir: d, trainSize: 30, testSize: 10, balanced: true, seed: 1 });
    expect(s.train.n).toBe(30);
    expect(classCounts(s.test)).toEqual(new Array(10).fill(1));
    const e = await asyncErrorOf(() => loadDataset('cifar10', { dir: join(dir, 'none') }));
    expect(e).toBeInstanceOf(UserError);
    const e2 = await asyncErrorOf(() => loadDataset('image-folder'));
    expect(e2.message).toMatch(/--data DIR/);
  });
});
