/** The paper's figures sit beside ours only where the setting is the paper's; its A100 latency only beside deploy forms at batch 1. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelOptions, paperSettingDiffers, zooEntry } from '../../src/models/zoo.js';
import { ensureBuilt, ROOT } from '../support/build.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
let tmp: string;
beforeAll(() => {
  ensureBuilt(['dist/src/cli.js', 'dist/src/commands/zoo.js', 'dist/src/commands/latency.js']);
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-paper-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('zoo', () => {
  it("keeps the paper's row at its own setting and drops it at another width or input", () => {
    expect(zooEntry('vanillanet-5', modelOptions('vanillanet-5')).paper).toMatchObject({ paramsM: 15.5, gflops: 5.2 });
    const small = zooEntry('vanillanet-5', modelOptions('vanillanet-5', { width: 0.0625, inputSize: 32 }));
    expect(small.paper).toBeNull();
    expect(small.paperNA).toBe('n/a at width 0.0625, input 32 (paper: width 1, input 224)');
    expect(paperSettingDiffers('resnet-18', modelOptions('resnet-18', { numClasses: 10, stem: 'small' }))).toBe(
      'n/a at classes 10, stem small (paper: classes 1000, stem imagenet)',
    );
    // deep training changes only the training form; Table 4 counts deploy forms
    expect(paperSettingDiffers('vanillanet-6', modelOptions('vanillanet-6', { deepTraining: false }))).toBeNull();
  });
  it('prints n/a, not the full-size figures, beside a width-1/16 model at 32 px', () => {
    const r = cli('zoo', '--models', 'vanillanet-5', '--width', '0.0625', '--input', '32');
    expect(r.status, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('vanillanet-5'))!;
    expect(row).not.toMatch(/15\.5|5\.2|1\.61|72\.49/);
    expect(row.trim().split(/\s+/).slice(-5)).toEqual(['n/a', 'n/a', 'n/a', 'n/a', 'n/a']);
    expect(r.stdout).toContain('paper: n/a at width 0.0625, input 32 (paper: width 1, input 224)');
  });
});

describe('latency', () => {
  it('shows the A100 figure as other hardware, beside the deploy form at the paper setting only', () => {
    const common = ['--models', 'vanillanet-5', '--min-samples', '2', '--min-time-ms', '0', '--warmup-runs', '0', '--warmup-ms', '0', '--backend', 'wasm'];
    const small = cli('latency', ...common, '--form', 'both', '--input', '32', '--width', '0.0625', '--out', tmp, '--json');
    expect(small.status, small.stderr).toBe(0);
    const rows = (JSON.parse(small.stdout) as { rows: { form: string; paper: unknown }[] }).rows;
    expect(rows.map((r) => [r.form, r.paper])).toEqual([
      ['deploy', null],
      ['train', null],
    ]);
    const text = cli('latency', ...common, '--form', 'train', '--input', '32', '--width', '0.0625', '--out', tmp);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('paper ms (A100, other hw)');
    expect(text.stdout).toContain('paper: n/a for the training form (the paper times deploy forms)');
  }, 60_000);
});
