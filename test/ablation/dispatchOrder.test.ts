import { describe, expect, it } from 'vitest';
import { applyPreset, validateExperiment } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { expandExperiment } from '../../src/ablation/matrix.js';
import { estimatedCost, scheduleRuns } from '../../src/ablation/dispatchOrder.js';

const tag = (r: { cell: { label: string; factors: Record<string, unknown> }; seed: number }) =>
  `${r.cell.label}${r.cell.factors.deepTraining ? '+DT' : ''}${r.cell.factors.seriesAct ? '+SA' : ''}#${r.seed}`;

describe('run schedule (dispatch order)', () => {
  it('table2: seed rounds in order; in a round the costliest first (ResNet-50 with both tricks), costs never rising', async () => {
    const m = expandExperiment(applyPreset(await loadExperiment('experiments/table2.ts'), 'full'));
    const order = scheduleRuns(m.runs);
    expect(order).toHaveLength(m.runs.length);
    expect(new Set(order.map((r) => r.runId))).toEqual(new Set(m.runs.map((r) => r.runId)));
    expect(order.map((r) => r.seed)).toEqual([...m.runs.map((r) => r.seed)].sort((a, b) => a - b));
    const round1 = order.filter((r) => r.seed === 1);
    expect(tag(round1[0])).toBe('ResNet-50+DT+SA#1');
    const costs = round1.map(estimatedCost);
    for (let i = 1; i < costs.length; i++) expect(costs[i]).toBeLessThanOrEqual(costs[i - 1]);
    // each network's cell with both tricks goes before its plain cell
    for (const label of ['VanillaNet-6', 'AlexNet', 'ResNet-50']) {
      const tags = round1.map(tag);
      expect(tags.indexOf(`${label}+DT+SA#1`)).toBeLessThan(tags.indexOf(`${label}#1`));
    }
    // ResNet-50 runs 3 seeds only (maxSeeds): rounds 4 and 5 have no ResNet-50 run
    expect(order.filter((r) => r.seed > 3 && r.cell.label === 'ResNet-50')).toHaveLength(0);
  });

  it('each trick adds cost, more images or epochs cost more; equal costs keep the matrix order', () => {
    const m = expandExperiment(
      applyPreset(
        validateExperiment({
          name: 's',
          description: 'schedule',
          dataset: { name: 'synthetic', trainSize: 256, inputSize: 32 },
          models: [{ model: 'vanillanet-6', width: 1 / 16 }],
          factors: { deepTraining: [false, true], seriesAct: [false, true], epochs: [2, 4] },
          seeds: [2, 1],
          train: {},
          presets: { quick: {}, full: {} },
        }),
        'full',
      ),
    );
    const cost = (dt: boolean, sa: boolean, epochs: number) =>
      estimatedCost(
        m.runs.find((r) => r.seed === 2 && r.cell.factors.deepTraining === dt && r.cell.factors.seriesAct === sa && r.cell.factors.epochs === epochs)!,
      );
    expect(cost(true, false, 2)).toBeGreaterThan(cost(false, false, 2));
    expect(cost(false, true, 2)).toBeGreaterThan(cost(false, false, 2));
    expect(cost(false, false, 4)).toBeCloseTo(2 * cost(false, false, 2), 6);
    const order = scheduleRuns(m.runs);
    // seeds keep the order they are listed in (2 before 1)
    expect(order.slice(0, 8).every((r) => r.seed === 2)).toBe(true);
    // the same cell in both rounds lands at the same place
    expect(order.slice(8).map((r) => r.cell.id)).toEqual(order.slice(0, 8).map((r) => r.cell.id));
    // costs never increase inside a round
    const costs = order.slice(0, 8).map(estimatedCost);
    expect(costs.every((c, i) => i === 0 || c <= costs[i - 1])).toBe(true);
  });
});
