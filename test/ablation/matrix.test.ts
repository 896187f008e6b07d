import { describe, expect, it } from 'vitest';
import { applyPreset, validateExperiment } from '../../src/ablation/experiment.js';
import { baselineValue, canonicalJson, expandExperiment } from '../../src/ablation/matrix.js';

const raw = (over: Record<string, unknown> = {}) => ({
  name: 'm',
  description: 'matrix test',
  dataset: { name: 'synthetic', trainSize: 256, valSize: 64, inputSize: 32 },
  models: [
    { model: 'vanillanet-6', width: 1 / 16 },
    { model: 'alexnet', width: 1 / 8, stem: 'small', label: 'AlexNet' },
  ],
  factors: { deepTraining: [false, true], seriesAct: [true, false] },
  seeds: [1, 2, 3],
  train: { epochs: 4 },
  presets: { quick: { seeds: [1] }, full: {} },
  ...over,
});
const expand = (over: Record<string, unknown> = {}, preset = 'full') => expandExperiment(applyPreset(validateExperiment(raw(over)), preset));

describe('matrix expansion', () => {
  it('cells = models x factor product; runs = cells x seeds, seed-major', () => {
    const m = expand();
    expect(m.cells).toHaveLength(8);
    expect(m.runs).toHaveLength(24);
    expect(m.cells.map((c) => [c.label, c.factors.deepTraining, c.factors.seriesAct])).toEqual([
      ['vanillanet-6', false, true],
      ['vanillanet-6', false, false],
      ['vanillanet-6', true, true],
      ['vanillanet-6', true, false],
      ['AlexNet', false, true],
      ['AlexNet', false, false],
      ['AlexNet', true, true],
      ['AlexNet', true, false],
    ]);
    expect(m.cells.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(m.runs.slice(0, 8).every((r) => r.seed === 1)).toBe(true);
    expect(m.runs[8].seed).toBe(2);
    expect(m.runs[8].cell).toBe(m.cells[0]);
    expect(new Set(m.runs.map((r) => r.runId)).size).toBe(24);
    expect(new Set(m.cells.map((c) => c.id)).size).toBe(8);
    expect(expand({}, 'quick').runs).toHaveLength(8);
  });

  it('maxSeeds: an entry runs only the first n seeds of the experiment or preset, with the same cell ids and run ids', () => {
    const models = [
      { model: 'vanillanet-6', width: 1 / 16 },
      { model: 'alexnet', width: 1 / 8, stem: 'small', label: 'AlexNet', maxSeeds: 2 },
    ];
    const m = expand({ models });
    expect(m.runs).toHaveLength(4 * 3 + 4 * 2);
    expect(m.runs.filter((r) => r.cell.label === 'AlexNet').map((r) => r.seed)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    // the entry's cells and runs are those of the experiment without maxSeeds (resume keeps finished runs)
    const full = expand();
    expect(m.runs.map((r) => r.runId).every((id) => full.runs.some((r) => r.runId === id))).toBe(true);
    expect(expand({ models }, 'quick').runs).toHaveLength(8);
    expect(() => validateExperiment(raw({ models: [{ model: 'alexnet', width: 1 / 8, maxSeeds: 0 }] }))).toThrow(/models\[0\]\.maxSeeds/);
  });

  it("an entry's train settings override the experiment's for its cells only (decayEpochs follows its epochs); factors still win", () => {
    const models = [
      { model: 'vanillanet-6', width: 1 / 16 },
      { model: 'alexnet', width: 1 / 8, stem: 'small', label: 'AlexNet', train: { epochs: 2 } },
    ];
    const m = expand({ models, factors: { deepTraining: [false, true], lr: [1e-3] } });
    const v = m.runs.find((r) => r.cell.model === 'vanillanet-6')!;
    const a = m.runs.find((r) => r.cell.model === 'alexnet')!;
    expect([v.spec.train.epochs, v.spec.train.decayEpochs]).toEqual([4, 4 / 3]);
    expect([a.spec.train.epochs, a.spec.train.decayEpochs, a.spec.train.lr]).toEqual([2, 2 / 3, 1e-3]);
    expect(() => validateExperiment(raw({ models: [{ model: 'alexnet', width: 1 / 8, train: { epochs: 0 } }] }))).toThrow(/models\[0\]\.train\.epochs/);
  });

  it('run specs: factors go to the model or the trainer; toggles resolved; decayEpochs defaults to a third of the epochs', () => {
    const m = expand({ factors: { seriesAct: [false, true], lr: [1e-3, 3e-3] } });
    const r = m.runs.find((x) => x.cell.model === 'alexnet' && x.cell.factors.seriesAct === true && x.cell.factors.lr === 3e-3)!;
    expect(r.spec.model).toBe('alexnet');
    expect(r.spec.modelOptions).toEqual({ width: 1 / 8, stem: 'small', seriesAct: true });
    expect(r.spec.train.lr).toBe(3e-3);
    expect(r.spec.train.epochs).toBe(4);
    expect(r.spec.train.decayEpochs).toBe(4 / 3); // the authors' 100 of 300
    expect(r.spec.train.lambdaPer).toBe('step');
    expect(r.spec.data).toEqual({ name: 'synthetic', trainSize: 256, valSize: 64, inputSize: 32 });
    expect(r.cell.toggles).toEqual({ deepTraining: false, seriesAct: true, shortcut: 'none', actNum: 3, width: 1 / 8, stem: 'small' });
    expect(r.cell.baseline).toEqual({ seriesAct: false, lr: 1e-3 });
  });

  it('runIds are stable, independent of labels and of stating defaults, and change with anything that changes a run', () => {
    const a = expand();
    expect(expand().runs.map((r) => r.runId)).toEqual(a.runs.map((r) => r.runId));
    // a label and an explicitly stated family default change nothing
    const same = expand({
      models: [
        { model: 'vanillanet-6', width: 1 / 16, shortcut: 'none', label: 'VN6' },
        { model: 'alexnet', width: 1 / 8, stem: 'small' },
      ],
    });
    expect(same.runs.map((r) => r.runId)).toEqual(a.runs.map((r) => r.runId));
    expect(expand({ train: { epochs: 5 } }).runs[0].runId).not.toBe(a.runs[0].runId);
    expect(expand({ dataset: { name: 'synthetic', trainSize: 512, valSize: 64, inputSize: 32 } }).runs[0].runId).not.toBe(a.runs[0].runId);
    expect(expand({ models: [{ model: 'vanillanet-6', width: 1 / 8 }] }).runs[0].runId).not.toBe(a.runs[0].runId);
  });

  it('a cell repeated (same configuration twice) is an error', () => {
    expect(() =>
      expand({
        models: [
          { model: 'vanillanet-6', width: 1 / 16 },
          { model: 'vanillanet-6', width: 1 / 16, label: 'again' },
        ],
      }),
    ).toThrow(/models\[1\].*same configuration as models\[0\]/);
  });

  it('baseline values: off, shortcut none, else the first listed', () => {
    expect(baselineValue('deepTraining', [true, false])).toBe(false);
    expect(baselineValue('shortcut', ['after-act', 'none'])).toBe('none');
    expect(baselineValue('actNum', [3, 1])).toBe(3);
    expect(baselineValue('seriesAct', [true])).toBe(true);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
