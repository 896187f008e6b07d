import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { epochOrder, iterateBatches, iterateHostBatches, numBatches } from '../../src/data/batches.js';
import type { Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/data/rng.js';
import { makeSynthetic } from '../../src/data/synthetic.js';
import { augmentImage, computeChannelStats, fitToInput, normalize, padTo, prepareSplits, repeatChannels, resizeBilinear } from '../../src/data/transforms.js';

function tiny(n: number, h: number, w: number, c: number): Dataset {
  return {
    images: Float32Array.from({ length: n * h * w * c }, (_, i) => (i % 97) / 96),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    n,
    height: h,
    width: w,
    channels: c,
    numClasses: 3,
    name: 'tiny/train',
    source: 'test',
  };
}

describe('transforms', () => {
  it('normalises with training statistics only', () => {
    const train = makeSynthetic({ n: 50, height: 8, width: 8, channels: 3, seed: 1 });
    const test = makeSynthetic({ n: 20, height: 8, width: 8, channels: 3, seed: 1, split: 'test' });
    const p = prepareSplits({ train, test }, { normalize: true });
    expect(p.stats).toEqual(computeChannelStats(train));
    const s = computeChannelStats(p.train);
    for (let c = 0; c < 3; c++) {
      expect(s.mean[c]).toBeCloseTo(0, 4);
      expect(s.std[c]).toBeCloseTo(1, 3);
    }
    expect(p.test.stats).toEqual(p.stats);
    expect(p.test.images[0]).toBeCloseTo((test.images[0] - p.stats!.mean[0]) / p.stats!.std[0], 5);
    expect(train.stats).toBeUndefined(); // input untouched
  });

  it('pads 28 → 32 with black (also after normalisation) and repeats gray to 3 channels', () => {
    const ds = tiny(2, 28, 28, 1);
    const padded = fitToInput(ds, { height: 32, width: 32, channels: 3 });
    expect([padded.height, padded.width, padded.channels]).toEqual([32, 32, 3]);
    expect(padded.images[0]).toBe(0);
    const at = (y: number, x: number, c: number) => padded.images[(y * 32 + x) * 3 + c];
    expect(at(2, 2, 0)).toBe(ds.images[0]);
    expect(at(2, 2, 2)).toBe(ds.images[0]);
    const norm = normalize(ds, { mean: [0.5], std: [0.25] });
    expect(padTo(norm, 32, 32).images[0]).toBe(-2);
    expect(repeatChannels(norm, 3).stats).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  });

  it('resizes bilinearly (constant stays constant, identity at same size)', () => {
    const ds = tiny(1, 4, 4, 2);
    ds.images.fill(0.25);
    const r = resizeBilinear(ds, 7, 9);
    expect(r.images.length).toBe(7 * 9 * 2);
    for (const v of r.images) expect(v).toBeCloseTo(0.25, 6);
    expect(resizeBilinear(ds, 4, 4)).toBe(ds);
    const ramp = tiny(1, 1, 2, 1);
    ramp.images.set([0, 1]);
    expect(Array.from(resizeBilinear(ramp, 1, 4).images)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('augmentation is deterministic for a seed and only crops/flips', () => {
    const h = 6;
    const w = 5;
    const src = Float32Array.from({ length: h * w }, (_, i) => i + 1);
    const a = new Float32Array(h * w);
    const b = new Float32Array(h * w);
    augmentImage(src, a, h, w, 1, new Rng(3), { padding: 2 });
    augmentImage(src, b, h, w, 1, new Rng(3), { padding: 2 });
    expect(a).toEqual(b);
    for (const v of a) expect(v === 0 || src.includes(v)).toBe(true);
    const flipOnly = new Float32Array(h * w);
    let flipped = 0;
    for (let s = 0; s < 20; s++) {
      augmentImage(src, flipOnly, h, w, 1, new Rng(s), { padding: 0 });
      if (flipOnly[0] === w) flipped++;
      else expect(flipOnly).toEqual(src);
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(20);
  });
});

describe('batches', () => {
  const ds = makeSynthetic({ n: 23, height: 4, width: 4, channels: 2, numClasses: 5, seed: 4 });

  it('order is deterministic per (seed, epoch) and covers every example once', () => {
    const o = epochOrder(ds.n, { seed: 1, epoch: 0 });
    expect(epochOrder(ds.n, { seed: 1, epoch: 0 })).toEqual(o);
    expect(epochOrder(ds.n, { seed: 1, epoch: 1 })).not.toEqual(o);
    expect(epochOrder(ds.n, { seed: 2, epoch: 0 })).not.toEqual(o);
    const seen: number[] = [];
    for (const b of iterateHostBatches(ds, { batchSize: 5, seed: 1 })) seen.push(...b.indices);
    expect(seen).toEqual(Array.from(o));
    expect(numBatches(23, 5)).toBe(5);
    expect([...iterateHostBatches(ds, { batchSize: 5, dropLast: true })].length).toBe(4);
    expect([...iterateHostBatches(ds, { batchSize: 5, shuffle: false })][0].indices).toEqual(Int32Array.from([0, 1, 2, 3, 4]));
  });

  it('yields tensors with the right shapes and contents; caller disposes', () => {
    const before = tf.memory().numTensors;
    const sizes: number[] = [];
    for (const b of iterateBatches(ds, { batchSize: 10, seed: 3, epoch: 2 })) {
      expect(b.x.shape).toEqual([b.size, 4, 4, 2]);
      expect(b.y.shape).toEqual([b.size]);
      expect(b.y.dtype).toBe('int32');
      const x = b.x.dataSync();
      const j = b.indices[1];
      expect(Array.from(x.subarray(32, 64))).toEqual(Array.from(ds.images.subarray(j * 32, j * 32 + 32)));
      expect(b.y.dataSync()[1]).toBe(ds.labels[j]);
      sizes.push(b.size);
      b.x.dispose();
      b.y.dispose();
    }
    expect(sizes).toEqual([10, 10, 3]);
    for (const b of iterateBatches(ds, { batchSize: 8, oneHot: true })) {
      expect(b.y.shape).toEqual([b.size, 5]);
      const y = b.y.arraySync();
      expect(y[0][ds.labels[b.indices[0]]]).toBe(1);
      expect(y[0].reduce((s, v) => s + v, 0)).toBe(1);
      tf.dispose([b.x, b.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('augmented batches are deterministic and independent of batch size', () => {
    const run = (batchSize: number, epoch: number) => {
      const byIndex = new Map<number, number[]>();
      for (const b of iterateHostBatches(ds, { batchSize, seed: 5, epoch, augment: true })) {
        b.indices.forEach((j, k) => byIndex.set(j, Array.from(b.x.subarray(k * 32, (k + 1) * 32))));
      }
      return byIndex;
    };
    const a = run(4, 0);
    expect(run(4, 0)).toEqual(a);
    expect(run(7, 0)).toEqual(a);
    expect(run(4, 1)).not.toEqual(a);
    let changed = 0;
    for (const [j, v] of a) if (v.join() !== Array.from(ds.images.subarray(j * 32, j * 32 + 32)).join()) changed++;
    expect(changed).toBeGreaterThan(ds.n / 2);
  });
});
