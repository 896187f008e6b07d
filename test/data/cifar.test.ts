import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import {
  CIFAR100_COARSE_CLASSES,
  CIFAR100_FINE_CLASSES,
  CIFAR10_CLASSES,
  encodeCifarBinary,
  loadCifar10,
  loadCifar100,
  parseCifarBinary,
} from '../../src/data/cifar.js';
import { tempDir, userErrorOf } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

function pixelsFor(n: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: n * 3072 }, (_, i) => (i * 31 + salt * 7) % 256);
}

describe('CIFAR binary', () => {
  it('has the right class-name lists', () => {
    expect(CIFAR10_CLASSES).toHaveLength(10);
    expect(CIFAR100_FINE_CLASSES).toHaveLength(100);
    expect(new Set(CIFAR100_FINE_CLASSES).size).toBe(100);
    expect(CIFAR100_COARSE_CLASSES).toHaveLength(20);
  });

  it('converts CHW records to NHWC', () => {
    const rec = new Uint8Array(3073);
    rec[0] = 7;
    rec[1 + 0] = 10; // R of pixel (0,0)
    rec[1 + 1024] = 20; // G of pixel (0,0)
    rec[1 + 2048] = 30; // B of pixel (0,0)
    rec[1 + 33] = 255; // R of pixel (1,1)
    const { images, labels, n } = parseCifarBinary(rec, 'x.bin', 'cifar10');
    expect(n).toBe(1);
    expect(labels[0]).toBe(7);
    expect(images[0]).toBeCloseTo(10 / 255, 6);
    expect(images[1]).toBeCloseTo(20 / 255, 6);
    expect(images[2]).toBeCloseTo(30 / 255, 6);
    expect(images[(1 * 32 + 1) * 3]).toBe(1);
  });

  it('loads a tiny CIFAR-10 directory (5 train batches + test) round trip', () => {
    const d = join(dir, 'cifar-10-batches-bin');
    mkdirSync(d);
    const all: Uint8Array[] = [];
    for (let b = 1; b <= 5; b++) {
      const px = pixelsFor(2, b);
      all.push(px);
      writeFileSync(join(d, `data_batch_${b}.bin`), encodeCifarBinary('cifar10', px, [b, b + 1]));
    }
    writeFileSync(join(d, 'test_batch.bin'), encodeCifarBinary('cifar10', pixelsFor(3, 9), [0, 9, 4]));
    // The parent directory works too (archive layout).
    const train = loadCifar10({ dir, split: 'train' });
    expect(train.n).toBe(10);
    expect([train.height, train.width, train.channels, train.numClasses]).toEqual([32, 32, 3, 10]);
    expect(Array.from(train.labels)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    const expected = new Uint8Array(10 * 3072);
    all.forEach((px, b) => expected.set(px, b * 2 * 3072));
    for (let i = 0; i < expected.length; i += 997) expect(Math.round(train.images[i] * 255)).toBe(expected[i]);
    const test = loadCifar10({ dir: d, split: 'test' });
    expect(Array.from(test.labels)).toEqual([0, 9, 4]);
    expect(test.classNames).toEqual(CIFAR10_CLASSES);
  });

  it('loads CIFAR-100 fine and coarse labels', () => {
    const d = join(dir, 'c100');
    mkdirSync(d);
    writeFileSync(join(d, 'train.bin'), encodeCifarBinary('cifar100', pixelsFor(3, 1), [99, 0, 42], [19, 0, 5]));
    writeFileSync(join(d, 'test.bin'), encodeCifarBinary('cifar100', pixelsFor(1, 2), [3], [1]));
    const fine = loadCifar100({ dir: d, split: 'train' });
    expect(Array.from(fine.labels)).toEqual([99, 0, 42]);
    expect(fine.numClasses).toBe(100);
    const coarse = loadCifar100({ dir: d, split: 'train', labels: 'coarse' });
    expect(Array.from(coarse.labels)).toEqual([19, 0, 5]);
    expect(coarse.numClasses).toBe(20);
    expect(coarse.images).toEqual(fine.images);
    expect(loadCifar100({ dir: d, split: 'test' }).n).toBe(1);
  });

  it('rejects a size that is not a multiple of the record size', () => {
    const d = join(dir, 'bad');
    mkdirSync(d);
    const f = join(d, 'test_batch.bin');
    writeFileSync(f, encodeCifarBinary('cifar10', pixelsFor(2, 0), [1, 2]).subarray(0, 3073 * 2 - 100));
    const e = userErrorOf(() => loadCifar10({ dir: d, split: 'test' }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/3073-byte record/);
    // A CIFAR-100 file read as CIFAR-10 has the wrong record size too.
    const e2 = userErrorOf(() => parseCifarBinary(new Uint8Array(3074 * 3), 'c100.bin', 'cifar10'));
    expect(e2.message).toMatch(/not a positive multiple/);
  });

  it('names the missing batch file', () => {
    const d = join(dir, 'missing');
    mkdirSync(d);
    writeFileSync(join(d, 'test_batch.bin'), encodeCifarBinary('cifar10', pixelsFor(1, 0), [1]));
    const e = userErrorOf(() => loadCifar10({ dir: d, split: 'train' }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('data_batch_1.bin');
    expect(userErrorOf(() => loadCifar10({ dir: join(dir, 'nowhere'), split: 'train' })).message).toMatch(/--data DIR/);
  });
});
