/** compare-backends on two CPU backends (the GPU check runs it as webgpu against wasm), and bench-train's --backend. */
import { describe, expect, it } from 'vitest';
import { compareBackends } from '../../src/bench/compareBackends.js';
import { benchTrain } from '../../src/bench/trainBench.js';
import { modelOptions } from '../../src/models/zoo.js';

describe('compareBackends', () => {
  it('the same weights and input on cpu and wasm agree far below 1e-3, with outputs far from zero', async () => {
    const models = ['vanillanet-5', 'resnet-18'].map((name) => ({ name, options: modelOptions(name, { inputSize: 32, width: 1 / 16 }) }));
    const r = await compareBackends({ models, form: 'deploy', test: 'cpu', reference: 'wasm', tolerance: 1e-3, batch: 1, seed: 0 });
    expect(r.test.name).toBe('cpu');
    expect(r.reference.name).toBe('wasm');
    expect(r.allOk).toBe(true);
    expect(r.rows.map((x) => x.model)).toEqual(['vanillanet-5', 'resnet-18']);
    for (const x of r.rows) {
      expect(x.outputs).toBe(1000);
      expect(x.maxAbsRef).toBeGreaterThan(0.01); // randomised BN statistics: not the near-zero outputs of a fresh init
      expect(x.relErr).toBeLessThan(1e-5);
    }
  });

  it('a tolerance below the error is a mismatch, not an exception', async () => {
    const models = [{ name: 'vanillanet-5', options: modelOptions('vanillanet-5', { inputSize: 32, width: 1 / 16 }) }];
    const r = await compareBackends({ models, form: 'train', test: 'cpu', reference: 'wasm', tolerance: 0, batch: 2, seed: 1 });
    expect(r.rows[0].form).toBe('train');
    expect(r.rows[0].outputs).toBe(2000);
    expect(r.allOk).toBe(r.rows[0].relErr === 0);
  });
});

describe('benchTrain --backend', () => {
  it('times only the chosen backend', async () => {
    const r = await benchTrain({ minMs: 0, minSteps: 1, log: () => {}, backend: 'wasm' });
    expect(r.results.map((x) => `${x.backend}/${x.kernels}`)).toEqual(['wasm/ours', 'wasm/stock']);
    expect(r.results[0].imagesPerSec).toBeGreaterThan(0);
    expect(r.results[0].device).toBeUndefined();
    expect(r.wasmMatmulGflops).toBeGreaterThan(0);
  });
});
