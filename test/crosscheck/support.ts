/**
 * Shared by the crosscheck tests: the Python with torch, or a visible skip where it is absent and CI is not set
 * (with CI=true a missing torch fails the tests, as .ci/run installs python3-torch).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTorchPython, type TorchPython } from '../../src/crosscheck/python.js';
import { crosscheck, type CrosscheckResult, type CrosscheckSpec } from '../../src/crosscheck/crosscheck.js';

export function torchPython(): { py: TorchPython | null; why: string } {
  try {
    return { py: findTorchPython(), why: '' };
  } catch (err) {
    const why = (err as Error).message;
    if (process.env.CI) throw new Error(`CI is set but PyTorch is missing: ${why}`);
    console.warn(`SKIPPED crosscheck tests: ${why}`);
    return { py: null, why };
  }
}

/** A tiny crosscheck: width 1/16, 32 px, batch 8, 20 steps on synthetic data, lr 5e-5 (see docs/crosscheck.md). */
export async function tinyCrosscheck(
  py: TorchPython,
  model: string,
  modelOptions: Record<string, unknown>,
  over: Partial<CrosscheckSpec> = {},
): Promise<CrosscheckResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vb-crosscheck-test-'));
  try {
    return await crosscheck(
      {
        model,
        modelOptions: { width: 1 / 16, ...modelOptions },
        data: { name: 'synthetic', trainSize: 32, inputSize: 32 },
        train: { epochs: 5, batchSize: 8, lr: 5e-5, warmupEpochs: 1, decayEpochs: 2, lambdaPer: 'step', augment: true },
        seed: 3,
        steps: 20,
        dir,
        ...over,
      },
      py,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
