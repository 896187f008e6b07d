import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select.js';
import { makeSyntheticSplits } from '../../src/data/synthetic.js';
import { prepareSplits } from '../../src/data/transforms.js';
import type { Dataset } from '../../src/data/dataset.js';
import { modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { AdamW } from '../../src/train/adamw.js';
import { cosineLr, decaySteps, deepTrainingLambda, lambdaAtStep } from '../../src/train/schedule.js';
import { evaluate, train } from '../../src/train/trainer.js';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from '../../src/train/options.js';
import { makeTrainable, trainStep, trainStepAsync } from '../../src/train/trainStep.js';

let splits: { train: Dataset; test: Dataset };
beforeAll(async () => {
  await selectBackend('wasm');
  const raw = makeSyntheticSplits({ trainSize: 384, testSize: 128, height: 32, width: 32, channels: 3, numClasses: 4, seed: 1 });
  splits = prepareSplits(raw, { normalize: true });
});

const opts = () => modelOptions('vanillanet-5', { width: 1 / 16, inputSize: 32, numClasses: 4 });
const cfg = { ...DEFAULT_TRAIN_CONFIG, epochs: 6, batchSize: 32, decayEpochs: 3, warmupEpochs: 0.5, lr: 3e-3 };

describe('schedules', () => {
  it('lambda: linear epoch/decay and cosine 0.5(1 - cos(pi t)), then 1', () => {
    expect(deepTrainingLambda(0, 4, 'linear')).toBe(0);
    expect(deepTrainingLambda(1, 4, 'linear')).toBe(0.25);
    expect(deepTrainingLambda(2, 4, 'cosine')).toBeCloseTo(0.5, 12);
    expect(deepTrainingLambda(1, 4, 'cosine')).toBeCloseTo(0.5 * (1 - Math.cos(Math.PI / 4)), 12);
    expect(deepTrainingLambda(9, 4, 'linear')).toBe(1);
  });
  it("learning rate: the authors' warm-up np.linspace(0, lr, W), then cosine to the minimum", () => {
    const o = { lr: 1, minLr: 0, warmupSteps: 10 };
    expect(cosineLr(0, 110, o)).toBe(0);
    expect(cosineLr(3, 110, o)).toBeCloseTo(3 / 9, 12);
    expect(cosineLr(9, 110, o)).toBeCloseTo(1);
    expect(cosineLr(10, 110, o)).toBe(1);
    expect(cosineLr(60, 110, o)).toBeCloseTo(0.5);
    expect(cosineLr(110, 110, o)).toBeCloseTo(0);
  });
});

describe("the authors' lambda schedule and defaults", () => {
  it('per step, lambda reaches exactly 1 at decayEpochs and is below 1 one step before', () => {
    for (const [decayEpochs, stepsPerEpoch] of [
      [2, 12],
      [8 / 3, 3],
      [4 / 3, 7],
      [100, 1251],
    ] as const) {
      const o = { decayEpochs, lambdaShape: 'linear', lambdaPer: 'step' } as const;
      const d = decaySteps(decayEpochs, stepsPerEpoch);
      expect(d).toBe(Math.round(decayEpochs * stepsPerEpoch));
      expect(lambdaAtStep(0, stepsPerEpoch, o)).toBe(0);
      expect(lambdaAtStep(d - 1, stepsPerEpoch, o)).toBeLessThan(1);
      expect(lambdaAtStep(d - 1, stepsPerEpoch, o)).toBe((d - 1) / d);
      expect(lambdaAtStep(d, stepsPerEpoch, o)).toBe(1);
      expect(lambdaAtStep(d + 5, stepsPerEpoch, o)).toBe(1);
      expect(lambdaAtStep(d - 1, stepsPerEpoch, { ...o, lambdaShape: 'cosine' })).toBeLessThan(1);
      expect(lambdaAtStep(d, stepsPerEpoch, { ...o, lambdaShape: 'cosine' })).toBe(1);
    }
  });
  it("per epoch it is the authors' main.py: epoch / decay_epochs at the start of each epoch", () => {
    const o = { decayEpochs: 100, lambdaShape: 'linear', lambdaPer: 'epoch' } as const;
    expect(lambdaAtStep(0, 10, o)).toBe(0);
    expect(lambdaAtStep(999, 10, o)).toBe(99 / 100);
    expect(lambdaAtStep(1000, 10, o)).toBe(1);
  });
  it('defaults: lambda per step, decayEpochs a third of the epochs, min lr 1e-6', () => {
    expect(DEFAULT_TRAIN_CONFIG.lambdaPer).toBe('step');
    expect(resolveTrainConfig({ epochs: 300 }).decayEpochs).toBe(100);
    expect(resolveTrainConfig({ epochs: 6 }).decayEpochs).toBe(2);
    expect(resolveTrainConfig({ epochs: 8 }).decayEpochs).toBe(8 / 3);
    expect(resolveTrainConfig({ epochs: 8, decayEpochs: 5 }).decayEpochs).toBe(5);
    expect(resolveTrainConfig({}).minLr).toBe(1e-6);
  });
});

describe('AdamW', () => {
  it('one step matches the formula, with decoupled decay on matrices only', () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    opt.apply(
      new Map<string, tf.Variable>([
        ['w', w],
        ['b', b],
      ]),
      { [w.name]: tf.tensor2d([[0.2, 0.4]]), [b.name]: tf.tensor1d([-1]) },
      0.01,
    );
    // first step: m/(1-b1) = g, v/(1-b2) = g^2, so the update is sign(g) (+ decay * w for matrices)
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(1 - 0.01 * (1 + 0.1), 6), expect.closeTo(-2 - 0.01 * (1 - 0.2), 6)]);
    expect(b.dataSync()[0]).toBeCloseTo(0.5 + 0.01, 6);
    opt.dispose();
  });
});

describe('trainer', () => {
  it('learns, merges, and the deploy form scores the same; deterministic for a seed', async () => {
    const run = async () => {
      const m = Model.create('vanillanet-5', opts(), 'train', 3);
      const r = await train(m, splits.train, splits.test, cfg);
      r.deploy?.dispose();
      m.dispose();
      return r;
    };
    const lambdas: number[] = [];
    const m0 = Model.create('vanillanet-5', opts(), 'train', 3);
    const a = await train(m0, splits.train, splits.test, cfg, { onStep: () => lambdas.push(m0.lambda) });
    a.deploy?.dispose();
    m0.dispose();
    expect(a.status).toBe('ok');
    // per step: 12 steps an epoch, decayEpochs 3 -> exactly 1 from step 36 (the first step of epoch 4) on
    expect(lambdas).toHaveLength(72);
    expect(lambdas[0]).toBe(0);
    expect(lambdas[35]).toBe(35 / 36);
    expect(lambdas[36]).toBe(1);
    expect(lambdas.slice(36).every((l) => l === 1)).toBe(true);
    expect(a.epochs.map((e) => e.lambda)).toEqual([11 / 36, 23 / 36, 35 / 36, 1, 1, 1]);
    expect(a.valTop1).toBeGreaterThan(50); // 4 classes: chance is 25
    expect(a.deployValTop1).toBe(a.valTop1);
    const b = await run();
    expect(b.epochs.map((e) => e.valTop1)).toEqual(a.epochs.map((e) => e.valTop1));
    expect(b.epochs.map((e) => e.trainLoss)).toEqual(a.epochs.map((e) => e.trainLoss));
  });

  it('mergeAfterDecay keeps training the merged model once lambda = 1', async () => {
    const m = Model.create('vanillanet-5', opts(), 'train', 3);
    const r = await train(m, splits.train, splits.test, { ...cfg, mergeAfterDecay: true });
    // lambda reaches 1 at the start of epoch 4: from there on the merged model trains
    expect(r.epochs.map((e) => e.merged)).toEqual([false, false, false, true, true, true]);
    expect(r.deploy?.form).toBe('deploy');
    expect(r.deployValTop1).toBe(r.valTop1);
    r.deploy?.dispose();
    m.dispose();
  });

  it('tensor count does not grow across steps', () => {
    const m = Model.create('vanillanet-5', opts(), 'train', 0);
    m.setLambda(0.5);
    const vars = makeTrainable(m.weights);
    const opt = new AdamW();
    const x = tf.randomNormal([16, 32, 32, 3]) as tf.Tensor4D;
    const y = tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => i % 4),
      'int32',
    );
    const args = { model: m, vars, opt, x, y, numClasses: 4, lr: 1e-3, cfg, step: 0 };
    trainStep(args); // the first step creates the optimizer's moments
    const after1 = tf.memory().numTensors;
    for (let i = 1; i < 5; i++) trainStep({ ...args, step: i });
    expect(tf.memory().numTensors).toBe(after1);
    tf.dispose([x, y]);
    opt.dispose();
    m.dispose();
  });

  it('trainStepAsync (webgpu reads back only asynchronously) trains like trainStep and leaks nothing', async () => {
    const m = Model.create('vanillanet-5', opts(), 'train', 0);
    m.setLambda(0.5);
    const vars = makeTrainable(m.weights);
    const opt = new AdamW();
    const x = tf.randomNormal([8, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const y = tf.tensor1d(
      Array.from({ length: 8 }, (_, i) => i % 4),
      'int32',
    );
    const args = { model: m, vars, opt, x, y, numClasses: 4, lr: 1e-3, cfg, step: 0 };
    const first = await trainStepAsync(args);
    const after1 = tf.memory().numTensors;
    const rest = [];
    for (let i = 1; i < 4; i++) rest.push(i % 2 ? await trainStepAsync({ ...args, step: i }) : trainStep({ ...args, step: i }));
    expect(tf.memory().numTensors).toBe(after1);
    const losses = [first, ...rest].map((r) => r.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]); // the same batch four times: the updates were applied
    for (const r of [first, ...rest]) expect(Number.isInteger(r.hits) && r.hits >= 0 && r.hits <= 8).toBe(true);
    tf.dispose([x, y]);
    opt.dispose();
    m.dispose();
  });

  it('a NaN loss stops the run as diverged with a clear message', async () => {
    const m = Model.create('vanillanet-5', opts(), 'train', 0);
    const r = await train(m, splits.train, splits.test, { ...cfg, epochs: 2, lr: 1e7 });
    expect(r.status).toBe('diverged');
    expect(r.message).toMatch(/loss became (NaN|Infinity) at epoch 1, step \d+ \(lr .*\); stopped/);
    expect(r.deploy).toBeNull();
    m.dispose();
  });
});

describe("the authors' recipe in the trainer", () => {
  const small = () => ({ ...cfg, epochs: 1, batchSize: 32, warmupEpochs: 0 });

  // optim_factory.py: no decay for 1-D parameters and names ending in .bias (biases, BN weight and bias); decay for
  // everything else: conv and dense kernels and the series activation's depthwise kernel.
  it("weight decay reaches exactly the authors' set: every kernel (depthwise included), no bias or BN parameter", () => {
    const m = Model.create('vanillanet-6', modelOptions('vanillanet-6', { width: 1 / 16, inputSize: 32, numClasses: 4 }), 'train', 1);
    const vars = makeTrainable(m.weights);
    const before = new Map([...vars].map(([k, v]) => [k, v.dataSync().slice()]));
    const zeros = Object.fromEntries([...vars.values()].map((v) => [v.name, tf.zerosLike(v)]));
    const opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 });
    opt.apply(vars, zeros, 1); // zero gradients: only the decoupled decay moves a parameter (p -= lr * wd * p)
    const decayed: string[] = [];
    for (const [k, v] of vars) {
      const a = before.get(k)!;
      const b = v.dataSync();
      if (b.some((x, i) => x !== a[i])) {
        decayed.push(k);
        expect(Math.max(...Array.from(b, (x, i) => Math.abs(x - a[i] * 0.5)))).toBeLessThan(1e-7);
      }
    }
    const kernels = [...vars.keys()].filter((k) => k.endsWith('/kernel'));
    expect(decayed.sort()).toEqual(kernels.sort());
    expect(kernels.some((k) => m.desc.nodes.find((n) => `${n.id}/kernel` === k)?.op === 'depthwise')).toBe(true);
    expect([...vars.keys()].some((k) => /\/(bias|gamma|beta)$/.test(k))).toBe(true);
    tf.dispose(Object.values(zeros));
    opt.dispose();
    m.dispose();
  });

  it('classifier dropout acts in training only, with the same mask for the same seed', () => {
    const o = modelOptions('vanillanet-5', { width: 1 / 16, inputSize: 32, numClasses: 4, dropRate: 0.5 });
    const m = Model.create('vanillanet-5', o, 'train', 2);
    const ref = Model.create('vanillanet-5', { ...o, dropRate: 0 }, 'train', 2);
    expect(m.desc.nodes.find((n) => n.op === 'dropout')).toMatchObject({ id: 'cls1.1', rate: 0.5, inputs: ['cls1.0'] });
    m.setLambda(0.3);
    ref.setLambda(0.3);
    const x = tf.randomNormal([8, 32, 32, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const out = (model: Model, training: boolean, seed?: number) => tf.tidy(() => Array.from(model.apply(x, { training, dropoutSeed: seed }).dataSync()));
    expect(out(m, false)).toEqual(out(ref, false)); // inference: no dropout
    expect(out(m, true, 5)).toEqual(out(m, true, 5)); // deterministic per seed
    expect(out(m, true, 5)).not.toEqual(out(m, true, 6));
    expect(out(m, true, 5)).not.toEqual(out(ref, true, 5));
    tf.dispose(x);
    m.dispose();
    ref.dispose();
  });

  it('augmentation: deterministic per seed, different across seeds, off = the plain batches', async () => {
    const sub = { ...splits.train, n: 128, images: splits.train.images.subarray(0, 128 * 32 * 32 * 3), labels: splits.train.labels.subarray(0, 128) };
    const run = async (augment: boolean, seed: number) => {
      const m = Model.create('vanillanet-5', opts(), 'train', 1);
      const r = await train(m, sub, splits.test, { ...small(), augment, seed });
      r.deploy?.dispose();
      m.dispose();
      return r.epochs[0].trainLoss;
    };
    const on = await run(true, 1);
    expect(await run(true, 1)).toBe(on);
    expect(await run(true, 2)).not.toBe(on);
    const off = await run(false, 1);
    expect(off).not.toBe(on);
    expect(await run(false, 1)).toBe(off);
  });

  it('the final model is scored on the test split (both forms) while validation monitors the epochs', async () => {
    const [val, test] = [
      { ...splits.test, n: 64, images: splits.test.images.subarray(0, 64 * 3072), labels: splits.test.labels.subarray(0, 64) },
      { ...splits.test, n: 64, images: splits.test.images.subarray(64 * 3072), labels: splits.test.labels.subarray(64) },
    ];
    const m = Model.create('vanillanet-5', opts(), 'train', 4);
    const r = await train(m, splits.train, val, { ...small(), epochs: 2, decayEpochs: 1 }, {}, test);
    expect(r.testTop1).not.toBeNull();
    expect(r.deployTestTop1).not.toBeNull();
    m.lambda = 1;
    expect(r.testTop1).toBe((await evaluate(m, test, 256)).top1);
    expect(r.deployTestTop1).toBe((await evaluate(r.deploy!, test, 256)).top1);
    expect(r.valTop1).toBe((await evaluate(m, val, 256)).top1);
    r.deploy?.dispose();
    m.dispose();
    const m2 = Model.create('vanillanet-5', opts(), 'train', 4);
    const off = await train(m2, splits.train, val, { ...small(), evalTest: false }, {}, test);
    expect(off.testTop1).toBeNull();
    expect(off.deployTestTop1).toBeNull();
    off.deploy?.dispose();
    m2.dispose();
  });
});
