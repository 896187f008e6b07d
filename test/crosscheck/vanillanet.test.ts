/** Our trainer against the PyTorch reference, VanillaNet-6: the four deep-training x series-activation cells and a shortcut cell. */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { torchPython, tinyCrosscheck } from './support.js';

const { py } = torchPython();

describe.skipIf(!py)('crosscheck: VanillaNet-6 against PyTorch', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  const cells: [string, Record<string, unknown>][] = [
    ['deep training + series activation', { deepTraining: true, seriesAct: true }],
    ['deep training only', { deepTraining: true, seriesAct: false }],
    ['series activation only', { deepTraining: false, seriesAct: true }],
    ['neither', { deepTraining: false, seriesAct: false }],
    ['both tricks, shortcut before the activation', { deepTraining: true, seriesAct: true, shortcut: 'before-act' }],
  ];
  for (const [label, toggles] of cells) {
    it(label, async () => {
      const r = await tinyCrosscheck(py!, 'vanillanet-6', toggles);
      expect(r.perStep).toHaveLength(20);
      expect(r.firstStepOver1e3).toBeNull();
      expect(r.maxLossRelErr).toBeLessThan(1e-3);
      expect(r.lrMaxAbsErr).toBeLessThan(1e-12);
      expect(r.lambdaMaxAbsErr).toBeLessThan(1e-12);
      expect(r.worstTrainable.relErr).toBeLessThan(1e-2);
      expect(r.resync!.firstStepOver1e3).toBeNull();
      expect(r.resync!.worstTensor.relErr).toBeLessThan(1e-2);
      if (toggles.deepTraining) expect(r.perStep.at(-1)!.lambda.torch).toBe(1);
    });
  }
});
