import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPreset, validateExperiment, type Experiment } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { UserError } from '../../src/util/errors.js';

const base = (): Record<string, unknown> => ({
  name: 'exp',
  description: 'test',
  dataset: { name: 'synthetic', trainSize: 256, valSize: 64, testSize: 64, inputSize: 32 },
  models: [{ model: 'vanillanet-5', width: 1 / 32 }],
  factors: { deepTraining: [false, true], seriesAct: [false, true] },
  seeds: [1, 2],
  train: { epochs: 2, batchSize: 16 },
  presets: { quick: { seeds: [1] }, full: {} },
});

function errorOf(raw: unknown): string {
  try {
    validateExperiment(raw, 'exp.ts');
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('experiment validation', () => {
  it('accepts a valid experiment and applies presets', () => {
    const e = validateExperiment(base(), 'exp.ts');
    expect(applyPreset(e, 'quick').seeds).toEqual([1]);
    expect(applyPreset(e, 'full').seeds).toEqual([1, 2]);
    expect(applyPreset(e, 'quick').factors).toEqual({ deepTraining: [false, true], seriesAct: [false, true] });
  });

  it('unknown factor: names the path and the accepted factors', () => {
    const m = errorOf({ ...base(), factors: { deepTrainng: [true] } });
    expect(m).toContain('exp.ts: factors.deepTrainng is not a known field');
    expect(m).toContain('deepTraining');
    expect(m).toContain('seriesAct');
    expect(m).toContain('epochs');
  });

  it('bad factor type: names the element and the accepted values', () => {
    expect(errorOf({ ...base(), factors: { deepTraining: [false, 'yes'] } })).toMatch(/factors\.deepTraining\[1\].*true or false.*"yes"/);
    expect(errorOf({ ...base(), factors: { shortcut: ['none', 'around'] } })).toMatch(/factors\.shortcut\[1\].*none, before-act or after-act/);
    expect(errorOf({ ...base(), factors: { epochs: [2, 0.5] } })).toMatch(/factors\.epochs\[1\] must be an integer/);
    expect(errorOf({ ...base(), factors: { lambdaShape: ['step'] } })).toMatch(/factors\.lambdaShape\[0\] must be 'linear' or 'cosine'/);
    expect(errorOf({ ...base(), factors: { seriesAct: true } })).toMatch(/factors\.seriesAct must be a non-empty array/);
    expect(errorOf({ ...base(), factors: { seriesAct: [true, true] } })).toMatch(/factors\.seriesAct\[1\] repeats/);
  });

  it('unknown model: names the entry and the zoo', () => {
    const m = errorOf({
      ...base(),
      models: [
        { model: 'vanillanet-6', width: 1 },
        { model: 'vgg-16', width: 1 },
      ],
    });
    expect(m).toContain('models[1].model must be one of the zoo');
    expect(m).toContain('vanillanet-5');
    expect(m).toContain('resnet-50');
    expect(errorOf({ ...base(), models: [{ model: 'alexnet' }] })).toContain('models[0].width is required');
    expect(errorOf({ ...base(), models: [{ model: 'alexnet', width: 1, stem: 'tiny' }] })).toMatch(/models\[0\]: stem must be imagenet or small/);
  });

  it('other fields: dataset, seeds, train, presets, unknown top-level keys', () => {
    expect(errorOf({ ...base(), dataset: { name: 'imagenet', inputSize: 32 } })).toMatch(/dataset\.name must be 'default', 'fashion-mnist'.*'synthetic'/);
    expect(errorOf({ ...base(), dataset: { name: 'synthetic', inputSize: 32, valSize: 300, trainSize: 256 } })).toMatch(
      /dataset\.valSize .*smaller than dataset\.trainSize/,
    );
    expect(errorOf({ ...base(), seeds: [1, 1] })).toMatch(/seeds repeats the seed 1/);
    expect(errorOf({ ...base(), train: { epoch: 3 } })).toMatch(/train\.epoch is not a known field: valid fields are epochs/);
    expect(errorOf({ ...base(), presets: { quick: {} } })).toMatch(/presets\.full is missing/);
    expect(errorOf({ ...base(), presets: { quick: { factors: { foo: [1] } }, full: {} } })).toMatch(/presets\.quick\.factors\.foo is not a known field/);
    expect(errorOf({ ...base(), extra: 1 })).toMatch(/experiment\.extra is not a known field/);
    expect(errorOf({ ...base(), name: 'a b' })).toMatch(/name must be a name of letters/);
    expect(errorOf(42)).toMatch(/default export must be an experiment object/);
  });

  it('unknown preset: names the presets', () => {
    const e = validateExperiment(base(), 'exp.ts') as Experiment;
    expect(() => applyPreset(e, 'medium')).toThrow(/unknown preset 'medium' for experiment exp: its presets are quick or full/);
  });
});

describe('loadExperiment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vb-exp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('loads the repository experiments (compiled or through tsx) and they validate', async () => {
    for (const name of ['smoke', 'table2', 'table3']) {
      const e = await loadExperiment(`experiments/${name}.ts`);
      expect(e.name).toBe(name);
      expect(Object.keys(e.presets)).toEqual(expect.arrayContaining(['quick', 'full']));
    }
  });

  it("the table presets train with the authors' recipe: classifier dropout 0.05 on VanillaNet, augmentation, lambda over a third of the epochs", async () => {
    for (const name of ['table2', 'table3']) {
      const e = await loadExperiment(`experiments/${name}.ts`);
      for (const preset of Object.keys(e.presets)) {
        const r = applyPreset(e, preset);
        expect(r.train.augment).toBe(true);
        expect(r.train.decayEpochs).toBeUndefined(); // resolved to epochs / 3 (see the matrix test)
        for (const m of r.models.filter((x) => x.model.startsWith('vanillanet'))) expect(m.dropRate).toBe(0.05);
      }
    }
  });

  it('loads a TypeScript file outside the package through tsx', async () => {
    const f = write('mine.ts', `const e: Record<string, unknown> = ${JSON.stringify(base())};\nexport default e;\n`);
    expect((await loadExperiment(f)).name).toBe('exp');
  });

  it('a missing file, a file that fails to load, a file without default export -> UserError naming it', async () => {
    await expect(loadExperiment(path.join(dir, 'nope.ts'))).rejects.toThrow(/nope\.ts not found/);
    const broken = write('broken.ts', 'export default {{{ ;\n');
    await expect(loadExperiment(broken)).rejects.toThrow(/broken\.ts failed to load/);
    const throws = write('throws.mjs', "throw new Error('boom');\n");
    await expect(loadExperiment(throws)).rejects.toThrow(/throws\.mjs failed to load: boom/);
    const nodefault = write('nodefault.mjs', 'export const x = 1;\n');
    await expect(loadExperiment(nodefault)).rejects.toThrow(/nodefault\.mjs has no default export/);
    const bad = write('bad.mjs', `export default ${JSON.stringify({ ...base(), factors: { colour: [1] } })};\n`);
    await expect(loadExperiment(bad)).rejects.toThrow(/bad\.mjs: factors\.colour is not a known field/);
  });
});
