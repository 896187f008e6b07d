import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_NAMES, modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { checkReparam } from '../../src/nn/verify.js';
import { saveLayersModel, toLayersModel } from '../../src/nn/export.js';
import { loadLayersModelFolder } from '../../src/nn/modelFolder.js';
import { randomizeForCheck } from '../../src/nn/weights.js';
import { UserError } from '../../src/util/errors.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

const small = { width: 0.0625, inputSize: 64, numClasses: 10 };

describe('toDeploy computes the training form function (random weights and BN statistics, lambda = 1)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ...MODEL_NAMES.filter((n) => n.startsWith('vanillanet') && !n.includes('adapool')).map((n): [string, Record<string, unknown>] => [n, {}]),
    ['vanillanet-13-1.5x-adapool', { inputSize: 224, width: 1 / 32 }],
    ['vanillanet-6', { shortcut: 'before-act' }],
    ['vanillanet-6', { shortcut: 'after-act' }],
    ['vanillanet-6', { deepTraining: false, seriesAct: false }],
    ['resnet-50', { deepTraining: true, seriesAct: true, stem: 'small', inputSize: 32 }],
    ['resnet-18', { deepTraining: true, seriesAct: true, shortcut: 'after-act' }],
    ['alexnet', { deepTraining: true, seriesAct: true, stem: 'small', inputSize: 32 }],
  ];
  for (const [name, o] of cases) {
    it(`${name} ${JSON.stringify(o)}`, async () => {
      const before = tf.memory().numTensors;
      const r = await checkReparam(name, modelOptions(name, { ...small, ...o }), JSON.stringify(o));
      expect(r.maxRelErr).toBeLessThan(1e-4);
      expect(r.outputsCompared).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a mismatch would be caught: deploy differs when lambda < 1 is ignored', () => {
    const m = Model.create('vanillanet-5', modelOptions('vanillanet-5', small), 'train', 3);
    randomizeForCheck(m.desc, m.weights, 4);
    m.setLambda(1);
    const d = m.toDeploy();
    m.setLambda(0.5); // the training form is now non-linear: outputs must differ from the merged model
    const x = tf.randomNormal([2, 64, 64, 3]) as tf.Tensor4D;
    const a = m.predict(x);
    const rel = tf.max(tf.abs(tf.sub(a, d.predict(x)))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0];
    expect(rel).toBeGreaterThan(1e-3); // far above the 1e-4 the real check allows
    m.dispose();
    d.dispose();
  });

  it('refuses to merge at lambda < 1 with a clear message', () => {
    const m = Model.create('vanillanet-5', modelOptions('vanillanet-5', small), 'train');
    m.setLambda(0.9);
    expect(() => m.toDeploy()).toThrow(UserError);
    expect(() => m.toDeploy()).toThrow(/lambda = 0.9.*merge only at lambda = 1/);
    m.dispose();
  });

  it('lambda is read at run time (no rebuild): outputs change with it', () => {
    const m = Model.create('vanillanet-5', modelOptions('vanillanet-5', small), 'train', 5);
    randomizeForCheck(m.desc, m.weights, 6);
    const x = tf.randomNormal([1, 64, 64, 3]) as tf.Tensor4D;
    m.setLambda(0);
    const a = m.predict(x).dataSync();
    m.setLambda(1);
    const b = m.predict(x).dataSync();
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-4);
    m.dispose();
  });
});

describe('export', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vb-export-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, o] of [
    ['vanillanet-6', { shortcut: 'before-act' }],
    ['resnet-18', {}],
    ['vanillanet-13-1.5x-adapool', { inputSize: 224, width: 1 / 32 }],
  ] as const) {
    it(`${name}: the reloaded LayersModel gives the same outputs (<= 1e-5 relative)`, async () => {
      const m = Model.create(name, modelOptions(name, { ...small, ...o }), 'train', 7);
      randomizeForCheck(m.desc, m.weights, 8);
      m.setLambda(1);
      const d = m.toDeploy();
      await saveLayersModel(toLayersModel(d.desc, d.weights), join(dir, name));
      const re = await loadLayersModelFolder(join(dir, name));
      const size = d.desc.inputShape[0];
      const x = tf.randomNormal([2, size, size, 3]) as tf.Tensor4D;
      const a = d.predict(x);
      const b = re.predict(x) as tf.Tensor;
      const rel = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0];
      expect(rel).toBeLessThan(1e-5);
      m.dispose();
      d.dispose();
    });
  }
});
