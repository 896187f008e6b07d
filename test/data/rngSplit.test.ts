import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { deriveSeed, Rng } from '../../src/data/rng.js';
import { assertDisjoint, splitDataset, splitIndices, subsetDataset, subsetIndices } from '../../src/data/split.js';
import { classCounts } from '../../src/data/dataset.js';
import { makeSynthetic } from '../../src/data/synthetic.js';

describe('Rng', () => {
  it('is deterministic and seed-dependent', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 10 }, () => a.nextU32());
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 10 }, () => c.nextU32())).not.toEqual(sa);
    // Pinned values: the stream must not change across versions/platforms.
    expect(sa.slice(0, 3)).toEqual([660444221, 3652823732, 77672526]);
    expect(deriveSeed(0, 'x')).toBe(2799239110);
  });

  it('has sane uniform, int, normal and shuffle', () => {
    const r = new Rng(1);
    let sum = 0;
    let sumSq = 0;
    const counts = new Array(7).fill(0);
    const N = 20000;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < N; i++) {
      const u = r.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      counts[r.int(7)]++;
      const z = r.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(sum / N)).toBeLessThan(0.05);
    expect(Math.abs(sumSq / N - 1)).toBeLessThan(0.05);
    for (const k of counts) expect(Math.abs(k - N / 7)).toBeLessThan(N / 7 / 10);
    const p = new Rng(5).permutation(100);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Rng(5).permutation(100)).toEqual(p);
  });

  it('derives independent seeds from labels', () => {
    expect(deriveSeed(1, 'order', 0)).toBe(deriveSeed(1, 'order', 0));
    expect(deriveSeed(1, 'order', 0)).not.toBe(deriveSeed(1, 'order', 1));
    expect(deriveSeed(1, 'order', 0)).not.toBe(deriveSeed(2, 'order', 0));
    expect(deriveSeed(1, 'a', 'b')).not.toBe(deriveSeed(1, 'ab'));
    expect(deriveSeed(1, 10)).not.toBe(deriveSeed(1, '10'));
  });
});

describe('train/validation split', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i * 7) % 10);

  it('is disjoint, complete, deterministic and stratified', () => {
    const s = splitIndices(labels, { valFraction: 0.1, seed: 7 });
    expect(s.val.length).toBe(100);
    expect(s.train.length).toBe(900);
    assertDisjoint(s.train, s.val);
    expect(new Set([...s.train, ...s.val]).size).toBe(1000);
    expect(splitIndices(labels, { valFraction: 0.1, seed: 7 })).toEqual(s);
    expect(splitIndices(labels, { valFraction: 0.1, seed: 8 }).val).not.toEqual(s.val);
    const valCounts = new Array(10).fill(0);
    for (const i of s.val) valCounts[labels[i]]++;
    expect(valCounts).toEqual(new Array(10).fill(10));
  });

  it('works unstratified and with exact sizes; rejects impossible sizes', () => {
    const s = splitIndices(50, { valSize: 13, seed: 1 });
    expect(s.val.length).toBe(13);
    assertDisjoint(s.train, s.val);
    expect(() => splitIndices(50, { valSize: 50 })).toThrow(UserError);
    expect(() => splitIndices(50, { valFraction: 1.5 })).toThrow(UserError);
    expect(() => assertDisjoint([1, 2], [2, 3])).toThrow(/leak/);
  });

  it('splits datasets without leaking examples', () => {
    const ds = makeSynthetic({ n: 200, height: 4, width: 4, channels: 1, seed: 3 });
    const { train, validation } = splitDataset(ds, { valFraction: 0.25, seed: 2 });
    expect(train.n + validation.n).toBe(200);
    expect(validation.name).toBe('synthetic/val');
    // Every example appears exactly once across the two parts (compare image bytes).
    const key = (d: typeof ds, i: number) => Array.from(d.images.subarray(i * 16, i * 16 + 16)).join(',');
    const all = new Set(Array.from({ length: 200 }, (_, i) => key(ds, i)));
    const seen = new Set<string>();
    for (const d of [train, validation]) for (let i = 0; i < d.n; i++) seen.add(key(d, i));
    expect(seen).toEqual(all);
  });
});

describe('subsets', () => {
  const labels = Int32Array.from({ length: 500 }, (_, i) => (i < 400 ? 0 : 1 + (i % 4)));

  it('is first-k of a seeded shuffle: nested and deterministic', () => {
    const a = subsetIndices(labels, { size: 50, seed: 9 });
    const b = subsetIndices(labels, { size: 100, seed: 9 });
    expect(a).toEqual(subsetIndices(labels, { size: 50, seed: 9 }));
    expect(a.every((i) => b.includes(i))).toBe(true);
    expect(() => subsetIndices(labels, { size: 501 })).toThrow(UserError);
  });

  it('balances classes when asked', () => {
    const s = subsetIndices(labels, { size: 50, seed: 1, balanced: true });
    const counts = new Array(5).fill(0);
    for (const i of s) counts[labels[i]]++;
    expect(counts).toEqual([10, 10, 10, 10, 10]);
    // More than the small classes hold: they give all they have, the rest comes from class 0.
    const big = subsetIndices(labels, { size: 300, seed: 1, balanced: true });
    const c2 = new Array(5).fill(0);
    for (const i of big) c2[labels[i]]++;
    expect(c2).toEqual([200, 25, 25, 25, 25]);
    const ds = makeSynthetic({ n: 100, height: 2, width: 2, channels: 1, numClasses: 4 });
    expect(classCounts(subsetDataset(ds, { size: 20, balanced: true }))).toEqual([5, 5, 5, 5]);
  });
});
