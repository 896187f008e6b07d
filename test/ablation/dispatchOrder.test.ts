import { describe, expect, it } from 'vitest';
import { applyPreset, loadExperiment, validateExperiment } from '../../src/ablation/experiment.js';
import { expandExperiment } from '../../src/ablation/matrix.js';
import { estimatedCost, scheduleRuns } from '../../src/ablation/dispatchOrder.js';

const tag = (r: { cell: { label: string; factors: Record<string, unknown> }; seed: number }) =>
  `${r.cell.label}${r.cell.factors.deepTraining ? '+DT' : ''}${r.cell.factors.seriesAct ? '+SA' : ''}#${r.seed}`;

describe('run schedule (dispatch order)', () => {
  it('table2: seed rounds in order; in a round ResNet-50 with both tricks first, plain VanillaNet-6 last', async () => {
    const m = expandExperiment(applyPreset(await loadExperiment('experiments/table2.ts'), 'full'));
    const order = scheduleRuns(m.runs);
    expect(order).toHaveLength(m.runs.length);
    expect(new Set(order.map((r) => r.runId))).toEqual(new Set(m.runs.map((r) => r.runId)));
    expect(order.map((r) => r.seed)).toEqual([...m.runs.map((r) => r.seed)].sort((a, b) => a - b));
    const round1 = order.filter((r) => r.seed === 1).map(tag);
    expect(round1[0]).toBe('ResNet-50+DT+SA#1');
    expect(round1.at(-1)).toBe('VanillaNet-6#1');
    // the measured order of the committed full run (slowest first): R50 DT+SA, R50 SA, AlexNet DT+SA, R50 DT
    expect(round1.slice(0, 4)).toEqual(['ResNet-50+DT+SA#1', 'ResNet-50+SA#1', 'AlexNet+DT+SA#1', 'ResNet-50+DT#1']);
  });

  it('each trick adds cost, more images or epochs cost more; equal costs keep the matrix order', () => {
    const m = expandExperiment(applyPreset(validateExperiment({
      name: 's', description: 'schedule', dataset: { name: 'synthetic', trainSize: 256, inputSize: 32 },
      models: [{ model: 'vanillanet-6', width: 1 / 16 }], factors: { deepTraining: [false, true], seriesAct: [false, true], epochs: [2, 4] },
      seeds: [2, 1], train: {}, presets: { quick: {}, full: {} },
    }), 'full'));
    const cost = (dt: boolean, sa: boolean, epochs: number) => estimatedCost(m.runs.find((r) => r.seed === 2
      && r.cell.factors.deepTraining === dt && r.cell.factors.seriesAct === sa && r.cell.factors.epochs === epochs)!);
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
