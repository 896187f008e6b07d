import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, fashionMnistAvailable, loadFashionMnist, loadMnist } from '../../src/data/fashionMnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { classCounts } from '../../src/data/dataset.js';
import { tempDir, userErrorOf } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

describe('Fashion-MNIST / MNIST directory loading', () => {
  it('explains how to fix a missing directory', () => {
    const e = userErrorOf(() => loadFashionMnist({ dir: join(dir, 'absent'), split: 'train' }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(join(dir, 'absent'));
    expect(e.message).toContain('apt-get install dataset-fashion-mnist');
    expect(e.message).toContain('--data DIR');
  });

  it('names the missing file', () => {
    const d = join(dir, 'partial');
    mkdirSync(d);
    writeFileSync(join(d, 'train-images-idx3-ubyte'), encodeIdx([1, 2, 2], new Uint8Array(4)));
    const e = userErrorOf(() => loadFashionMnist({ dir: d, split: 'train' }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('train-labels-idx1-ubyte.gz');
    expect(e.message).toContain('apt-get install dataset-fashion-mnist');
    expect(fashionMnistAvailable(d)).toBe(false);
  });

  it('loads un-gzipped MNIST-named files through the generic loader', () => {
    const d = join(dir, 'mnist');
    mkdirSync(d);
    const n = 6;
    for (const [prefix, count] of [
      ['train', n],
      ['t10k', 2],
    ] as const) {
      writeFileSync(join(d, `${prefix}-images-idx3-ubyte`), encodeIdx([count, 28, 28], new Uint8Array(count * 784).fill(255)));
      writeFileSync(
        join(d, `${prefix}-labels-idx1-ubyte`),
        encodeIdx(
          [count],
          Uint8Array.from({ length: count }, (_, i) => i),
        ),
      );
    }
    const train = loadMnist({ dir: d, split: 'train' });
    expect(train.n).toBe(n);
    expect(train.name).toBe('mnist/train');
    expect(train.images[0]).toBe(1);
    expect(loadMnist({ dir: d, split: 'test' }).n).toBe(2);
  });
});

const realSkip = fashionMnistAvailable() ? false : `Fashion-MNIST not installed at ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`;

describe.skipIf(realSkip !== false)(`real Fashion-MNIST at ${FASHION_MNIST_DIR}`, () => {
  if (realSkip) console.warn(`skipping: ${realSkip}`);

  it('loads the test split', () => {
    const ds = loadFashionMnist({ split: 'test' });
    expect(ds.n).toBe(10000);
    expect([ds.height, ds.width, ds.channels, ds.numClasses]).toEqual([28, 28, 1, 10]);
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(classCounts(ds)).toEqual(new Array(10).fill(1000));
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('loads the train split', () => {
    const ds = loadFashionMnist({ split: 'train' });
    expect(ds.n).toBe(60000);
    expect(ds.images.length).toBe(60000 * 784);
    expect(ds.labels.reduce((a, b) => Math.min(a, b), 99)).toBe(0);
    expect(ds.labels.reduce((a, b) => Math.max(a, b), -1)).toBe(9);
    expect(classCounts(ds)).toEqual(new Array(10).fill(6000));
  });

  it('accepts un-gzipped copies of the real files', () => {
    const d = join(dir, 'fm-raw');
    mkdirSync(d);
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      writeFileSync(join(d, f), gunzipSync(readFileSync(join(FASHION_MNIST_DIR, `${f}.gz`))));
    }
    copyFileSync(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'), join(d, 'train-labels-idx1-ubyte.gz'));
    const raw = loadFashionMnist({ dir: d, split: 'test' });
    const gz = loadFashionMnist({ split: 'test' });
    expect(raw.n).toBe(gz.n);
    expect(raw.labels).toEqual(gz.labels);
    expect(raw.images.subarray(0, 5000)).toEqual(gz.images.subarray(0, 5000));
  });
});
