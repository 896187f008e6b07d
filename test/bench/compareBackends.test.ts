/** compare-backends on two CPU backends (the GPU check runs it as webgpu against wasm), and bench-train's --backend. */
import { describe, expect, it } from 'vitest';
import { compareBackends } from '../../src/bench/compareBackends.js';
import { benchTrain } from '../../src/bench/trainBench.js';
import { modelOptions } from '../../src/models/zoo.js';
import { chooseSize } from '../../src/commands/compare-backends.js';
import type { BackendInfo } from '../../src/backend/select.js';

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

describe('compare-backends defaults', () => {
  const backend = (name: string, software?: boolean): BackendInfo =>
    ({ name, adapter: software === undefined ? undefined : { name: software ? 'llvmpipe' : 'NVIDIA H100', software } }) as unknown as BackendInfo;
  const flags = (width?: number, input?: number) => ({ width, input }) as Parameters<typeof chooseSize>[0];
  it('full size on a GPU, the small check on a software adapter (saying so), the flags always win', () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    expect(chooseSize(flags(), [backend('webgpu', false), backend('wasm')], log)).toEqual({ width: 1, input: 224 });
    expect(lines).toEqual([]);
    expect(chooseSize(flags(), [backend('webgpu', true), backend('wasm')], log)).toEqual({ width: 0.25, input: 64 });
    expect(lines[0]).toMatch(/webgpu runs on a software adapter \(llvmpipe\), not a GPU: defaults are width 0.25 and 64 px/);
    expect(chooseSize(flags(1, 224), [backend('webgpu', true), backend('wasm')], log)).toEqual({ width: 1, input: 224 });
    expect(lines).toHaveLength(1);
  });
  it('chooses the models once the backends are known and says the time left after each', async () => {
    const lines: string[] = [];
    const r = await compareBackends({
      models: (test, reference) => {
        lines.push(`chosen for ${test.name} vs ${reference.name}`);
        return ['vanillanet-5', 'vanillanet-6'].map((name) => ({ name, options: modelOptions(name, { inputSize: 32, width: 1 / 16 }), cost: 1 }));
      },
      form: 'deploy',
      test: 'cpu',
      reference: 'wasm',
      tolerance: 1e-3,
      batch: 1,
      seed: 0,
      log: (l) => lines.push(l),
    });
    expect(r.rows).toHaveLength(2);
    expect(lines).toContain('chosen for cpu vs wasm');
    expect(lines.find((l) => l.startsWith('vanillanet-5 deploy'))).toMatch(/; 1\/2 done in \d+s, about \d+s left$/);
    expect(lines.find((l) => l.startsWith('vanillanet-6 deploy'))).toMatch(/; 2\/2 done in \d+s$/);
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
