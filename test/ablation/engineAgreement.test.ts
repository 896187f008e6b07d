import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/ablation/analysis.js';
import { engineAgreement } from '../../src/ablation/engineAgreement.js';
import { cell, declared, record } from './helpers.js';

const base = cell(0, { deepTraining: false, seriesAct: false });
const sa = cell(1, { deepTraining: false, seriesAct: true });

describe('ours against the authors’ PyTorch code on the same protocol', () => {
  it('pairs each engine’s effect by seed over the seeds every engine ran ok, and ours − PyTorch seed by seed', () => {
    // ours: effect 5 + s/10; PyTorch: effect 4 + s/5; PyTorch has no seed 3 of the series-act cell; seed 4 is not declared
    const records = [1, 2, 3, 4].flatMap((s) => [
      record(base, s, null, { testTop1: 80 }),
      record(sa, s, null, { testTop1: 85 + s / 10 }),
      record(base, s, null, { testTop1: 70, engine: 'torch' }),
      ...(s === 3 ? [] : [record(sa, s, null, { testTop1: 74 + s / 5, engine: 'torch' })]),
    ]);
    const [a] = engineAgreement(summarize(records, { declared: declared([1, 2, 3]) }));
    expect(a.seeds).toEqual([1, 2]);
    expect(a.ours.diff).toBeCloseTo(5.15, 9);
    expect(a.torch.diff).toBeCloseTo(4.3, 9);
    // per seed: (5.1 - 4.2, 5.2 - 4.4) = (0.9, 0.8)
    expect(a.oursMinusTorch.diff).toBeCloseTo(0.85, 9);
    expect(a.oursMinusTorch.n).toBe(2);
    expect(a.oursMinusTorch.low).toBeLessThan(0.85);
  });

  it('a folder without PyTorch runs has nothing to compare', () => {
    const records = [1, 2].flatMap((s) => [record(base, s, 80), record(sa, s, 85)]);
    expect(engineAgreement(summarize(records, { declared: declared([1, 2]) }))).toEqual([]);
  });
});
