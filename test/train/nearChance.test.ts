/**
 * The near-chance trap: a short run whose evaluation sits at chance while training accuracy is far above it (BN
 * running statistics not settled) must say so and name the remedy, and the remedy must work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nearChanceWarning, settlingMomentum } from '../../src/train/nearChance.js';
import { runCli } from '../support/cli.js';

const base = { evalSplit: 'validation', classes: 10, steps: 42, bnMomentum: 0.1 };

describe('nearChanceWarning', () => {
  it('fires on evaluation near chance with training far above, naming the cause and a momentum that settles', () => {
    const w = nearChanceWarning({ ...base, trainTop1: 69.27, evalTop1: 10.67 });
    expect(w).toMatch(/^validation top-1 10\.67 is near chance \(10\.0 for 10 classes\) while training top-1 is 69\.27/);
    expect(w).toMatch(/batch-norm running statistics have not settled \(momentum 0\.1 over 42 steps leaves 1\.2% of their initial values/);
    expect(w).toMatch(/rerun with --bn-momentum 0\.3 /);
  });
  it('stays quiet when evaluation is well above chance, or training is near chance too', () => {
    expect(nearChanceWarning({ ...base, trainTop1: 69, evalTop1: 60 })).toBeNull();
    expect(nearChanceWarning({ ...base, trainTop1: 20, evalTop1: 10 })).toBeNull();
  });
  it('proposes the smallest one-decimal momentum that leaves under 1e-6 of the initial statistics', () => {
    expect(settlingMomentum(42)).toBe(0.3); // 1 - 1e-6^(1/42) = 0.281
    expect(settlingMomentum(18)).toBe(0.6); // 0.536
    expect(settlingMomentum(1000)).toBe(0.1);
    expect(settlingMomentum(2)).toBe(0.9);
    for (const steps of [7, 18, 42, 100]) expect((1 - settlingMomentum(steps)) ** steps).toBeLessThan(1e-6);
  });
  it('knows when more momentum would not help', () => {
    expect(nearChanceWarning({ ...base, bnMomentum: 0.9, steps: 2, trainTop1: 60, evalTop1: 10 })).toMatch(/train longer \(more images or epochs\)$/);
  });
});

describe('train', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'vb-near-chance-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  // 288 images, batch 32, 2 epochs: 18 steps, where momentum 0.1 leaves 15% of the initial running variance
  const args = ['train', '--model', 'vanillanet-5', '--width', '0.03125', '--dataset', 'synthetic', '--train-size', '320', '--test-size', '128'];
  const more = ['--epochs', '2', '--batch-size', '32', '--seed', '1', '--backend', 'wasm', '--json', '--no-eval-test'];
  it('warns about a near-chance validation and the proposed --bn-momentum lifts it well above chance', async () => {
    const trap = await runCli([...args, ...more, '--out', path.join(tmp, 'trap')]);
    expect(trap.code, trap.stderr).toBe(0);
    const t = JSON.parse(trap.stdout) as { valTop1: number; trainTop1: number; warnings: string[] };
    expect(t.valTop1).toBeLessThan(15);
    expect(t.warnings).toHaveLength(1);
    expect(trap.stderr).toContain(`warning: ${t.warnings[0]}`);
    // the per-epoch line names the split it scores and shows both losses
    expect(trap.stderr).toMatch(/epoch 2\/2: .*\| train loss \d\.\d{4} top-1 [\d.]+ \| validation loss \d\.\d{4} top-1 [\d.]+ \|/);
    expect(trap.stderr).toMatch(/data: 288 train \/ 32 validation \(scored every epoch\) \/ 128 test/);
    const m = /--bn-momentum (\d\.\d)/.exec(t.warnings[0]);
    expect(m).not.toBeNull();
    const fixed = await runCli([...args, ...more, '--bn-momentum', m![1], '--out', path.join(tmp, 'fixed')]);
    expect(fixed.code, fixed.stderr).toBe(0);
    const f = JSON.parse(fixed.stdout) as { valTop1: number; trainTop1: number; warnings: string[] };
    expect(f.trainTop1).toBe(t.trainTop1); // the running statistics never enter training
    expect(f.valTop1).toBeGreaterThan(30);
    expect(f.warnings).toEqual([]);
  }, 60_000);
});
