import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { tfSeed } from '../../src/util/seed.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

function maxWeightDiff(a: Model, b: Model): number {
  let d = 0;
  for (const [k, v] of a.weights) d = Math.max(d, tf.tidy(() => tf.max(tf.abs(tf.sub(v, b.weights.get(k)!))).dataSync()[0]));
  return d;
}

describe('initial weights', () => {
  // tfjs reads a seed of 0 as "no seed": without tfSeed, seed 0's first tensor was random on every call
  it('are the same for the same seed, seed 0 included', () => {
    for (const seed of [0, 1]) {
      for (const name of ['vanillanet-5', 'resnet-18']) {
        const o = modelOptions(name, { width: 1 / 32, inputSize: 32, numClasses: 10 });
        const a = Model.create(name, o, 'train', seed);
        const b = Model.create(name, o, 'train', seed);
        expect(maxWeightDiff(a, b)).toBe(0);
        a.dispose();
        b.dispose();
      }
    }
  });

  it('differ between seeds', () => {
    const o = modelOptions('vanillanet-5', { width: 1 / 32, inputSize: 32, numClasses: 10 });
    const a = Model.create('vanillanet-5', o, 'train', 0);
    const b = Model.create('vanillanet-5', o, 'train', 1);
    expect(maxWeightDiff(a, b)).toBeGreaterThan(0);
    a.dispose();
    b.dispose();
  });

  it('tfSeed keeps nonzero seeds and replaces 0', () => {
    expect(tfSeed(5)).toBe(5);
    expect(tfSeed(0)).not.toBe(0);
  });
});
