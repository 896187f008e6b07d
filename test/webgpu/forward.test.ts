/**
 * The WebGPU path computes what wasm computes: every model family, in training and deploy form, on the same
 * weights and input, within 1e-4 of the largest output (float32 kernels in another summation order agree to
 * ~1e-7 here). Tiny sizes (width 1/16, 32 px, batch 2), GPU kernels forced (./support.ts). The training form runs at
 * lambda 0.5, so the deep-training activation is a real leaky ReLU rather than the identity it becomes at 1.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { compareBackends } from '../../src/bench/compareBackends.js';
import { modelOptions } from '../../src/models/zoo.js';
import { runCommandEndHooks } from '../../src/util/cleanup.js';
import { webgpuDevice } from './support.js';

const device = await webgpuDevice();
afterAll(() => runCommandEndHooks());

/** One model of each family (and each VanillaNet variant that has code of its own). */
const FAMILIES: [string, Record<string, unknown>][] = [
  ['vanillanet-5', {}],
  ['vanillanet-6', { shortcut: 'before-act' }],
  ['vanillanet-13-1.5x-adapool', { width: 1 / 32 }],
  ['alexnet', { stem: 'small' }],
  ['resnet-18', {}],
  ['resnet-50', {}],
];

describe.runIf(device)('webgpu forward against wasm (every family, both forms)', () => {
  it('tiny CPU-resident tensors are computed on the GPU (the CPU handoff is off)', async () => {
    const info = await selectBackend('webgpu');
    expect(info.tfjsFlags).toEqual(['WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD=0']);
    expect(tf.env().getNumber('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD')).toBe(0);
    const before = (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;
    const y = tf.add(tf.tensor([1, 2, 3]), tf.tensor([4, 5, 6]));
    // with the handoff on, this sum of two 3-element tensors would stay on the CPU
    expect((tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU).toBeGreaterThan(before);
    expect(Array.from(await y.data())).toEqual([5, 7, 9]);
    tf.dispose(y);
  });

  for (const form of ['deploy', 'train'] as const) {
    it(`${form} form: webgpu within 1e-4 of wasm`, async () => {
      const models = FAMILIES.map(([name, o]) => ({ name, options: modelOptions(name, { inputSize: 32, width: 1 / 16, ...o }) }));
      const r = await compareBackends({ models, form, test: 'webgpu', reference: 'wasm', tolerance: 1e-4, batch: 2, seed: 5, lambda: 0.5 });
      expect(r.test.name).toBe('webgpu');
      expect(r.test.adapter).toEqual(device);
      expect(r.rows.map((x) => x.model)).toEqual(FAMILIES.map(([n]) => n));
      for (const x of r.rows) {
        expect(x.relErr, `${x.model} ${form}`).toBeLessThanOrEqual(1e-4);
        expect(x.maxAbsRef, `${x.model} ${form}: outputs far from zero`).toBeGreaterThan(0.01);
        expect(x.outputs).toBe(2000);
      }
    });
  }
});
