import { describe, expect, it } from 'vitest';
import { computeStats, meanCI, pairedCI, percentile, ranks, spearman, tCritical } from '../../src/util/stats.js';

describe('percentile (linear interpolation between closest ranks, numpy default)', () => {
  it('matches hand-computed values', () => {
    const x = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(x, 0)).toBe(1);
    expect(percentile(x, 100)).toBe(10);
    expect(percentile(x, 50)).toBeCloseTo(5.5, 12); // h = 4.5: 5 + 0.5 * (6 - 5)
    expect(percentile(x, 90)).toBeCloseTo(9.1, 12); // h = 8.1: 9 + 0.1 * (10 - 9)
    expect(percentile(x, 99)).toBeCloseTo(9.91, 12); // h = 8.91
    expect(percentile(x, 25)).toBeCloseTo(3.25, 12); // h = 2.25: 3 + 0.25 * (4 - 3)
    expect(percentile([7], 90)).toBe(7);
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('Student t critical value (two-sided 95%)', () => {
  it('matches tables', () => {
    // scipy.stats.t.ppf(0.975, df)
    const table: [number, number][] = [
      [1, 12.706204736174698],
      [2, 4.302652729749464],
      [5, 2.5705818356363146],
      [9, 2.2621571628540993],
      [30, 2.0422724563012373],
      [100, 1.9839715185235496],
      [1000, 1.9623390808264078],
    ];
    for (const [df, t] of table) expect(tCritical(df)).toBeCloseTo(t, 9);
  });
});

describe('computeStats', () => {
  it('1..10 by hand', () => {
    const s = computeStats([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
    expect(s.n).toBe(10);
    expect(s.mean).toBeCloseTo(5.5, 12);
    expect(s.median).toBeCloseTo(5.5, 12);
    expect(s.p90).toBeCloseTo(9.1, 12);
    expect(s.p99).toBeCloseTo(9.91, 12);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10);
    // sum of squared deviations 82.5; variance 82.5 / 9
    expect(s.sd).toBeCloseTo(Math.sqrt(82.5 / 9), 12); // 3.0276503540974917
    expect(s.sem).toBeCloseTo(Math.sqrt(82.5 / 9) / Math.sqrt(10), 12); // 0.9574271077563381
    expect(s.moe).toBeCloseTo(0.9574271077563381 * 2.2621571628540993, 9); // 2.16585...
    expect(s.rme).toBeCloseTo((100 * 0.9574271077563381 * 2.2621571628540993) / 5.5, 7); // 39.3791%
    expect(s.rme).toBeCloseTo(39.3791, 4);
  });

  it('three samples by hand', () => {
    const s = computeStats([4, 1, 3]);
    expect(s.mean).toBeCloseTo(8 / 3, 12);
    expect(s.median).toBe(3);
    expect(s.p90).toBeCloseTo(3.8, 12); // h = 1.8
    expect(s.p99).toBeCloseTo(3.98, 12); // h = 1.98
    expect(s.sd).toBeCloseTo(Math.sqrt(21 / 9), 12); // deviations -5/3, 1/3, 4/3: 42/9 over 2
    expect(s.critical).toBeCloseTo(4.302652729749464, 9);
    expect(s.rme).toBeCloseTo((100 * (Math.sqrt(21 / 9) / Math.sqrt(3)) * 4.302652729749464) / (8 / 3), 7); // 142.30%
  });

  it('single and constant samples', () => {
    const one = computeStats([2.5]);
    expect(one).toMatchObject({ n: 1, mean: 2.5, median: 2.5, p90: 2.5, p99: 2.5, sd: 0, sem: 0, moe: 0, rme: 0 });
    const flat = computeStats([3, 3, 3, 3]);
    expect(flat.sd).toBe(0);
    expect(flat.rme).toBe(0);
    expect(() => computeStats([])).toThrow(RangeError);
    expect(() => computeStats([1, Number.NaN])).toThrow(RangeError);
  });
});

describe('spearman', () => {
  it('ranks with ties and correlations', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // d = rank differences [0, 1, -1, 0]: 1 - 6 * 2 / (4 * 15) = 0.8
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1], [2])).toBeNaN();
    expect(spearman([1, 1], [2, 3])).toBeNaN();
  });
});

describe('confidence intervals (ablation summary)', () => {
  it('t quantiles match the tables', () => {
    expect(tCritical(1)).toBeCloseTo(12.7062, 3);
    expect(tCritical(2)).toBeCloseTo(4.302653, 5);
    expect(tCritical(4)).toBeCloseTo(2.776445, 5);
    expect(tCritical(30)).toBeCloseTo(2.042272, 5);
    expect(tCritical(1e6)).toBeCloseTo(1.959966, 4);
    expect(tCritical(2.5)).toBeGreaterThan(tCritical(3));
    expect(tCritical(2.5)).toBeLessThan(tCritical(2));
  });

  it('mean, sd and the t CI of a mean', () => {
    const c = meanCI([70, 72, 74]);
    expect(c.mean).toBe(72);
    expect(c.sd).toBe(2);
    expect(c.half).toBeCloseTo((4.302653 * 2) / Math.sqrt(3), 4);
    expect(c.low).toBeCloseTo(72 - c.half, 10);
    const one = meanCI([70]);
    expect(one.mean).toBe(70);
    expect(Number.isNaN(one.sd) && Number.isNaN(one.half)).toBe(true);
  });

  it('paired CI by seed (Student t on the differences, n - 1 df; only the seeds in both)', () => {
    // by hand: seeds 1-4 in both (seed 5 only in b): differences 1, 2, 0, 4; mean 1.75; squared deviations
    // 0.5625 + 0.0625 + 3.0625 + 5.0625 = 8.75, var 8.75 / 3, se sqrt(8.75 / 3) / 2 = 0.853913; t(3, 0.975) = 3.182446
    const a = new Map([
      [1, 80],
      [2, 82],
      [3, 85],
      [4, 79],
    ]);
    const b = new Map([
      [5, 99],
      [3, 85],
      [1, 81],
      [2, 84],
      [4, 83],
    ]);
    const p = pairedCI(a, b);
    expect(p.n).toBe(4);
    expect(p.keys).toEqual([1, 2, 3, 4]);
    expect(p.df).toBe(3);
    expect(p.diff).toBeCloseTo(1.75, 12);
    expect(p.half).toBeCloseTo(3.182446305 * 0.853912564, 6);
    expect(p.half).toBeCloseTo(2.717531, 5);
    expect(p.low).toBeCloseTo(1.75 - p.half, 12);
    // a constant shift has a zero-width CI; one pair has none
    expect(
      pairedCI(
        new Map([
          [1, 1],
          [2, 5],
        ]),
        new Map([
          [1, 3],
          [2, 7],
        ]),
      ).half,
    ).toBe(0);
    const one = pairedCI(
      new Map([[1, 1]]),
      new Map([
        [1, 3],
        [2, 7],
      ]),
    );
    expect(one.n).toBe(1);
    expect(one.diff).toBe(2);
    expect(Number.isNaN(one.half)).toBe(true);
  });
});
