import { describe, expect, it } from 'vitest';
import { MODEL_NAMES, describeModel, modelOptions, zooEntry } from '../../src/models/zoo.js';
import { countModel } from '../../src/models/count.js';
import { UserError } from '../../src/util/errors.js';

const round1 = (x: number) => Math.round(x * 10) / 10;

describe('zoo counts equal the paper (Table 4, 224x224, 1000 classes)', () => {
  for (const name of MODEL_NAMES) {
    const e = zooEntry(name, modelOptions(name));
    if (!e.paper) continue;
    it(name, () => {
      expect(e.depth).toBe(e.paper!.depth);
      expect(round1(e.paramsM)).toBe(e.paper!.paramsM);
      // the authors' own code gives 49.0 G for the adapool variant where the paper prints 48.9
      const expected = name === 'vanillanet-13-1.5x-adapool' ? 49.0 : e.paper!.gflops;
      expect(round1(e.gmacs)).toBe(expected);
    });
  }

  it('counts the series activation depthwise convs in VanillaNet-5 MACs (about 0.15 G)', () => {
    const on = countModel(describeModel('vanillanet-5', modelOptions('vanillanet-5'), 'deploy'));
    const off = countModel(describeModel('vanillanet-5', modelOptions('vanillanet-5', { seriesAct: false }), 'deploy'));
    expect((on.macs - off.macs) / 1e9).toBeCloseTo(0.147, 2);
    // each of the three 1x1 block convs: about 1.64 G
    const d = describeModel('vanillanet-5', modelOptions('vanillanet-5'), 'deploy');
    const conv = d.nodes.find((n) => n.id === 'stages.0.conv')!;
    expect(conv.op === 'conv' && 56 * 56 * 512 * 1024).toBeCloseTo(1.644e9, -7);
  });

  it('baselines: paper params count BN as published, deploy params fold it', () => {
    const e = zooEntry('resnet-50', modelOptions('resnet-50'));
    expect(e.paramsM).toBeCloseTo(25.56, 2);
    expect(e.deployParamsM).toBeCloseTo(25.53, 2);
    expect(zooEntry('alexnet', modelOptions('alexnet')).paper).toBeNull();
  });
});

describe('toggles change the structure as documented', () => {
  const nodes = (name: string, o: Record<string, unknown>, form: 'train' | 'deploy' = 'train') =>
    describeModel(name, modelOptions(name, { width: 0.0625, inputSize: 64, ...o }), form).nodes;

  it('deepTraining adds a lambda-activation and a second conv per layer', () => {
    const on = nodes('vanillanet-6', { deepTraining: true });
    const off = nodes('vanillanet-6', { deepTraining: false });
    expect(on.filter((n) => n.op === 'lambdaAct')).toHaveLength(6);
    expect(off.filter((n) => n.op === 'lambdaAct')).toHaveLength(0);
    expect(on.filter((n) => n.op === 'conv').length).toBe(off.filter((n) => n.op === 'conv').length * 2);
    // the deploy form is the same either way
    expect(nodes('vanillanet-6', { deepTraining: true }, 'deploy')).toEqual(nodes('vanillanet-6', { deepTraining: false }, 'deploy'));
  });

  it('seriesAct adds a (2n+1)^2 depthwise conv after each activation; off leaves plain ReLU', () => {
    const on = nodes('vanillanet-6', { seriesAct: true, actNum: 2 });
    const dws = on.filter((n) => n.op === 'depthwise');
    expect(dws).toHaveLength(5);
    expect(dws.every((n) => n.op === 'depthwise' && n.kernel === 5)).toBe(true);
    expect(nodes('vanillanet-6', { seriesAct: false }).filter((n) => n.op === 'depthwise')).toHaveLength(0);
  });

  it('shortcut adds residual adds before or after the activation, with projections where shapes change', () => {
    const before = nodes('vanillanet-6', { shortcut: 'before-act' }, 'deploy');
    const after = nodes('vanillanet-6', { shortcut: 'after-act' }, 'deploy');
    expect(before.filter((n) => n.op === 'add')).toHaveLength(4);
    const idx = (ns: typeof before, id: string) => ns.findIndex((n) => n.id === id);
    expect(idx(before, 'stages.0.add')).toBeLessThan(idx(before, 'stages.0.act'));
    expect(idx(after, 'stages.0.add')).toBeGreaterThan(idx(after, 'stages.0.act'));
    // stage 3 keeps the width at stride 1: identity shortcut; the others project
    expect(before.some((n) => n.id === 'stages.3.shortcut')).toBe(false);
    expect(before.some((n) => n.id === 'stages.0.shortcut')).toBe(true);
    expect(nodes('vanillanet-6', {}, 'deploy').filter((n) => n.op === 'add')).toHaveLength(0);
  });

  it('ResNet: shortcut none removes residuals, toggles apply to its convs and ReLUs', () => {
    expect(nodes('resnet-18', {}).filter((n) => n.op === 'add')).toHaveLength(8);
    expect(nodes('resnet-18', { shortcut: 'none' }).filter((n) => n.op === 'add')).toHaveLength(0);
    // 1 stem + 8 blocks x 1 conv followed by an activation
    expect(nodes('resnet-18', { deepTraining: true }).filter((n) => n.op === 'lambdaAct')).toHaveLength(9);
    // stem + 2 per block
    expect(nodes('resnet-18', { seriesAct: true }).filter((n) => n.op === 'depthwise')).toHaveLength(17);
  });

  it('width, classes, input size and the small-image stem', () => {
    const o = modelOptions('vanillanet-5', { width: 0.0625, numClasses: 10, inputSize: 32 });
    const d = describeModel('vanillanet-5', o, 'deploy');
    expect(d.nodes.find((n) => n.id === 'stem.0')!.out).toEqual([8, 8, 32]);
    expect(d.nodes.find((n) => n.id === d.output)!.out).toEqual([10]);
    const s = describeModel('vanillanet-5', { ...o, stem: 'small' }, 'deploy');
    expect(s.nodes.find((n) => n.id === 'stem.0')!.out).toEqual([16, 16, 32]);
    expect(() => describeModel('resnet-18', modelOptions('resnet-18', { inputSize: 28, stem: 'small' }), 'train')).not.toThrow();
  });
});

describe('bad input', () => {
  it('an unknown model lists the valid ones', () => {
    expect(() => modelOptions('vanillanet-99')).toThrow(UserError);
    expect(() => modelOptions('vanillanet-99')).toThrow(/valid models are vanillanet-5, .*resnet-50/);
  });
  it('an invalid toggle value names the valid values', () => {
    expect(() => modelOptions('vanillanet-6', { shortcut: 'sideways' })).toThrow(/shortcut must be none, before-act or after-act/);
    expect(() => modelOptions('vanillanet-6', { deepTraining: 'maybe' })).toThrow(/deepTraining must be true or false/);
    expect(() => modelOptions('vanillanet-6', { colour: 1 })).toThrow(/unknown model option 'colour'/);
    expect(() => modelOptions('alexnet', { shortcut: 'before-act' })).not.toThrow();
    expect(() => describeModel('alexnet', modelOptions('alexnet', { shortcut: 'before-act' }), 'train')).toThrow(/shortcut must be none/);
  });
  it('an input too small for the model is a clear error', () => {
    expect(() => describeModel('vanillanet-13', modelOptions('vanillanet-13', { inputSize: 16 }), 'deploy')).toThrow(/too small/);
  });
});
