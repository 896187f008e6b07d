/**
 * evaluate: the preprocessing checked by hand on one image, top-1/top-5 checked against predict's top-5 image by
 * image, and the user's mistakes (missing folder, no images, class count, unreadable image) as clear errors.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { imagenetEvalPreprocess, IMAGENET_MEAN, IMAGENET_STD, listImageFolder } from '../../src/data/imageFolder.js';
import { modelOptions } from '../../src/models/zoo.js';
import { evaluateFolder, rankOf, roundRobin } from '../../src/nn/evaluate.js';
import { saveLayersModel, toLayersModel } from '../../src/nn/export.js';
import { loadLayersModelFolder } from '../../src/nn/modelFolder.js';
import { Model } from '../../src/nn/model.js';
import { randomizeForCheck } from '../../src/nn/weights.js';
import { topK } from '../../src/commands/predict.js';
import { tempDir } from './helpers.js';

const SIZE = 32; // model input; resize target int(32 / 0.875) = 36
const t = tempDir();
const modelDir = join(t.dir, 'model');
const data = join(t.dir, 'val');
const CLASSES = ['n01_cat', 'n02_dog', 'n03_fox'];

/** Deterministic pseudo-random RGB pixels. */
function pixels(w: number, h: number, seed: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < b.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

async function png(file: string, w: number, h: number, seed: number): Promise<Buffer> {
  const raw = pixels(w, h, seed);
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(file);
  return raw;
}

let raw0: Buffer;

beforeAll(async () => {
  await selectBackend('wasm', { log: () => {} });
  const options = modelOptions('vanillanet-5', { width: 1 / 16, inputSize: SIZE, numClasses: CLASSES.length });
  const train = Model.create('vanillanet-5', options, 'train', 5);
  randomizeForCheck(train.desc, train.weights, 6);
  train.setLambda(1);
  const deploy = train.toDeploy();
  train.dispose();
  const layers = toLayersModel(deploy.desc, deploy.weights);
  await saveLayersModel(layers, modelDir, { model: 'vanillanet-5', options });
  layers.dispose();
  deploy.dispose();
  let seed = 1;
  for (const c of CLASSES) {
    mkdirSync(join(data, c), { recursive: true });
    // 45x36: the shorter side is already 36 = int(32 / 0.875), so the resize is the identity and the crop can be computed by hand
    const raw = await png(join(data, c, 'a.png'), 45, 36, seed++);
    if (c === CLASSES[0]) raw0 = raw;
    await png(join(data, c, 'b.png'), 60, 80, seed++); // a real bicubic resize
    await png(join(data, c, 'c.png'), 36, 36, seed++);
  }
});
afterAll(t.cleanup);

describe('preprocessing', () => {
  it('equals a hand computation: centre crop of the 36-px image, /255, ImageNet mean/std, HWC', async () => {
    const got = await imagenetEvalPreprocess(join(data, CLASSES[0], 'a.png'), SIZE);
    // (36 - 32) / 2 = 2 and (45 - 32) / 2 = 6.5 round half to even (as Python's round in torchvision's CenterCrop): 2 and 6
    const [top, left] = [2, 6];
    let maxErr = 0;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        for (let c = 0; c < 3; c++) {
          const v = raw0[((y + top) * 45 + (x + left)) * 3 + c] / 255;
          const want = (v - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
          maxErr = Math.max(maxErr, Math.abs(got[(y * SIZE + x) * 3 + c] - want));
        }
      }
    }
    expect(maxErr).toBeLessThan(1e-6);
  });
});

describe('evaluateFolder', () => {
  it('top-1 and top-5 agree with predict image by image', async () => {
    const model = await loadLayersModelFolder(modelDir);
    try {
      const r = await evaluateFolder(model, { root: data, batch: 4 });
      expect(r).toMatchObject({ images: 9, classes: 3, available: 9 });
      expect(r.preprocessing).toMatchObject({ resize: 36, crop: 32, cropPct: 0.875, interpolation: 'cubic' });
      let correct = 0;
      for (const { file, label } of listImageFolder(data).files) {
        const x = tf.tensor4d(await imagenetEvalPreprocess(file, SIZE), [1, SIZE, SIZE, 3]);
        const y = model.predict(x) as tf.Tensor;
        const top = topK(Array.from(await y.data()));
        tf.dispose([x, y]);
        if (top[0].index === label) correct++;
      }
      expect(r.correct1).toBe(correct);
      expect(r.top1).toBeCloseTo(correct / 9, 10);
      expect(r.top5).toBe(1); // 3 classes
      expect(r.imagesPerSec).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });

  it('--limit takes images round-robin over the classes', async () => {
    const files = listImageFolder(data).files;
    expect(roundRobin(files, 3, 4).map((f) => f.label)).toEqual([0, 1, 2, 0]);
    const model = await loadLayersModelFolder(modelDir);
    try {
      const r = await evaluateFolder(model, { root: data, batch: 2, limit: 4 });
      expect(r.images).toBe(4);
    } finally {
      model.dispose();
    }
  });

  it('rank: ties go to the lower class index', () => {
    expect(rankOf([1, 3, 3, 0], 0, 4, 2)).toBe(1);
    expect(rankOf([1, 3, 3, 0], 0, 4, 1)).toBe(0);
  });

  it('a missing folder, a folder without images, a class count mismatch and an unreadable image are clear errors', async () => {
    const model = await loadLayersModelFolder(modelDir);
    try {
      await expect(evaluateFolder(model, { root: join(t.dir, 'nope'), batch: 2 })).rejects.toThrow(/does not exist/);
      const empty = join(t.dir, 'empty');
      mkdirSync(empty);
      await expect(evaluateFolder(model, { root: empty, batch: 2 })).rejects.toThrow(/no class sub-directories/);
      const four = join(t.dir, 'four');
      for (const c of [...CLASSES, 'n04_owl']) {
        mkdirSync(join(four, c), { recursive: true });
        await png(join(four, c, 'a.png'), 37, 37, 9);
      }
      await expect(evaluateFolder(model, { root: four, batch: 2 })).rejects.toThrow(/has 4 class folders but the model has 3 outputs/);
      const bad = join(t.dir, 'bad');
      for (const c of CLASSES) {
        mkdirSync(join(bad, c), { recursive: true });
        await png(join(bad, c, 'a.png'), 37, 37, 9);
      }
      writeFileSync(join(bad, CLASSES[1], 'broken.png'), 'not a png');
      await expect(evaluateFolder(model, { root: bad, batch: 2 })).rejects.toThrow(/cannot decode image .*n02_dog\/broken\.png/);
    } finally {
      model.dispose();
    }
  });
});
