/**
 * Training on the WebGPU path against the PyTorch reference: 20 steps of VanillaNet-6 (deep training and the series
 * activation, width 1/16, 32 px, batch 8) with `crosscheck`, GPU kernels forced (./support.ts). On webgpu the
 * trainer takes the op-by-op paths that wasm and cpu replace by fused loops (batch norm in training mode, AdamW's
 * update, the running statistics, the lambda activation) and reads results back asynchronously only, so this is the
 * only test of those paths. Bounds as on wasm (test/crosscheck/vanillanet.test.ts): loss within 1e-3 at every step,
 * learning rate and lambda exact, every tensor within 1e-2 after the last step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { runCommandEndHooks } from '../../src/util/cleanup.js';
import { tinyCrosscheck, torchPython } from '../crosscheck/support.js';
import { webgpuDevice } from './support.js';

const device = await webgpuDevice();
const { py } = device ? torchPython() : { py: null };

describe.runIf(device && py)('crosscheck on webgpu: VanillaNet-6 against PyTorch', () => {
  beforeAll(async () => {
    expect((await selectBackend('webgpu')).adapter).toEqual(device);
  });
  afterAll(() => runCommandEndHooks());

  it('20 steps, deep training + series activation: loss, lr, lambda per step, every tensor after the last', async () => {
    // free-running only: the per-step resync (test/crosscheck/) would double the time on this slow device
    const r = await tinyCrosscheck(py!, 'vanillanet-6', { deepTraining: true, seriesAct: true }, { resync: false });
    expect(r.perStep).toHaveLength(20);
    expect(r.firstStepOver1e3).toBeNull();
    expect(r.maxLossRelErr).toBeLessThan(1e-3);
    expect(r.lrMaxAbsErr).toBeLessThan(1e-12);
    expect(r.lambdaMaxAbsErr).toBeLessThan(1e-12);
    expect(r.perStep.at(-1)!.lambda.torch).toBe(1);
    expect(r.worstTrainable.relErr).toBeLessThan(1e-2);
    expect(r.worstRunningStat!.relErr).toBeLessThan(1e-2);
  });
});
