import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select.js';
import { makeSyntheticSplits } from '../../src/data/synthetic.js';
import { prepareSplits } from '../../src/data/transforms.js';
import type { Dataset } from '../../src/data/dataset.js';
import { modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { AdamW } from '../../src/train/adamw.js';
import { cosineLr, deepTrainingLambda } from '../../src/train/schedule.js';
import { DEFAULT_TRAIN_CONFIG, makeTrainable, train, trainStep, trainStepAsync } from '../../src/train/trainer.js';

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
  it('learning rate: linear warm-up, then cosine to the minimum', () => {
    const o = { lr: 1, minLr: 0, warmupSteps: 10 };
    expect(cosineLr(0, 110, o)).toBeCloseTo(0.1);
    expect(cosineLr(9, 110, o)).toBeCloseTo(1);
    expect(cosineLr(60, 110, o)).toBeCloseTo(0.5);
    expect(cosineLr(110, 110, o)).toBeCloseTo(0);
  });
});

describe('AdamW', () => {
  it('one step matches the formula, with decoupled decay on matrices only', () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    opt.apply(new Map([['w', w], ['b', b]]), { [w.name]: tf.tensor2d([[0.2, 0.4]]), [b.name]: tf.tensor1d([-1]) }, 0.01);
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
    const a = await run();
    expect(a.status).toBe('ok');
    expect(a.epochs.map((e) => e.lambda)).toEqual([0, 1 / 3, 2 / 3, 1, 1, 1]);
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
    const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), 'int32');
    trainStep(m, vars, opt, x, y, 4, 1e-3, cfg, 0); // the first step creates the optimizer's moments
    const after1 = tf.memory().numTensors;
    for (let i = 1; i < 5; i++) trainStep(m, vars, opt, x, y, 4, 1e-3, cfg, i);
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
    const y = tf.tensor1d(Array.from({ length: 8 }, (_, i) => i % 4), 'int32');
    const first = await trainStepAsync(m, vars, opt, x, y, 4, 1e-3, cfg, 0);
    const after1 = tf.memory().numTensors;
    const rest = [];
    for (let i = 1; i < 4; i++) rest.push(i % 2 ? await trainStepAsync(m, vars, opt, x, y, 4, 1e-3, cfg, i) : trainStep(m, vars, opt, x, y, 4, 1e-3, cfg, i));
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
