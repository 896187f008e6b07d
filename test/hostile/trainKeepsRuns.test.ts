/**
 * `train` never overwrites an earlier run: without --out a second run of the same model, toggles and seed goes to a
 * numbered sibling of the default folder; an --out that already holds a run is refused before anything is done.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-train-keeps-'));
beforeAll(() => ensureBuilt(['dist/src/commands/train.js']));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TRAIN = ['train', '--model', 'vanillanet-5', '--width', '0.03125', '--dataset', 'synthetic', '--train-size', '64', '--test-size', '32'];
const FAST = ['--epochs', '1', '--batch-size', '32', '--backend', 'wasm', '--json'];

describe('train keeps earlier runs', () => {
  it('without --out: the second run of the same settings goes to <default>-2, the first is left as it was', async () => {
    const first = await runCli([...TRAIN, ...FAST, '--seed', '1'], { cwd: tmp });
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { out: string };
    expect(a.out).toBe(path.join('results', 'runs', 'vanillanet-5_dt-default_sa-default_sc-default_s1'));
    const before = readFileSync(path.join(tmp, a.out, 'provenance.json'), 'utf8');
    // other settings, same model, toggles and seed: the default name is the same
    const second = await runCli([...TRAIN, ...FAST, '--seed', '1', '--lr', '0.001'], { cwd: tmp });
    expect(second.code, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout) as { out: string };
    expect(b.out).toBe(`${a.out}-2`);
    expect(second.stderr).toContain(`${a.out} holds an earlier run (kept)`);
    expect(readFileSync(path.join(tmp, a.out, 'provenance.json'), 'utf8')).toBe(before);
    expect(existsSync(path.join(tmp, b.out, 'provenance.json'))).toBe(true);
  });

  it('an --out that holds a run is refused in one line, before training, and left as it was', async () => {
    const out = path.join(tmp, 'mine');
    const first = await runCli([...TRAIN, ...FAST, '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8');
    const again = await runCli([...TRAIN, ...FAST, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`--out ${out} already holds a training run \\(provenance\\.json, metrics\\.jsonl\\): give another folder`));
    expect(again.stderr).not.toMatch(/\n\s+at |epoch 1\/1/);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
  });
});
