/**
 * Experiments from the command line: `ablate --set key=value` (trainer settings without editing the file, recorded in
 * experiment.json) and `ablate --dry-run` (the runs with their estimated times; nothing trained or written).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreset } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { applyTrainOverrides, overridesSuffix, parseTrainOverrides } from '../../src/ablation/trainOverrides.js';
import { formatPlan, makespan, measuredTimes, planMatrix } from '../../src/ablation/plan.js';
import { expandExperiment } from '../../src/ablation/matrix.js';
import { record } from './helpers.js';
import { readRuns } from '../../src/ablation/store.js';
import { parseFlags } from '../../src/util/args.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-plan-'));
beforeAll(() => ensureBuilt(['dist/src/cli.js', 'dist/src/commands/ablate.js', 'dist/src/ablation/plan.js']));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('--set', () => {
  it('parses settings by the rules of the experiment file, one clear line for every mistake', () => {
    expect(parseTrainOverrides(['epochs=1', 'lr=0.001', 'augment=off', 'lambdaShape=cosine'])).toEqual({
      epochs: 1,
      lr: 0.001,
      augment: false,
      lambdaShape: 'cosine',
    });
    expect(() => parseTrainOverrides(['epochs=0'])).toThrow('--set epochs=0: epochs must be an integer from 1 to 10000');
    expect(() => parseTrainOverrides(['epochs'])).toThrow('--set epochs: write key=value, e.g. --set epochs=1');
    expect(() => parseTrainOverrides(['width=2'])).toThrow(/--set width=2: width is not a trainer setting; settings are epochs, batchSize/);
    expect(() => parseTrainOverrides(['lambdaShape=step'])).toThrow("lambdaShape must be 'linear' or 'cosine'");
    expect(() => parseTrainOverrides(['lr=1', 'lr=2'])).toThrow('--set lr is given twice (1 and 2)');
  });
  it("wins over the experiment's, the preset's and every entry's own settings; a factor cannot be set", async () => {
    const table2 = await loadExperiment(path.join(ROOT, 'experiments/table2.ts'));
    const full = applyTrainOverrides(applyPreset(table2, 'full'), { epochs: 1 });
    expect(full.train.epochs).toBe(1);
    expect(full.models.find((m) => m.model === 'resnet-50')!.train).toEqual({ epochs: 1 }); // was 10
    const withFactor = { ...applyPreset(table2, 'quick'), factors: { epochs: [1, 2] } };
    expect(() => applyTrainOverrides(withFactor, { epochs: 3 })).toThrow('--set epochs: this is a factor of table2 (varied over [1,2]); it cannot be set');
    expect(overridesSuffix({ epochs: 1, lr: 0.001, lambdaShape: 'cosine' })).toBe('-epochs1-lr0.001-lambdaShapecosine');
  });
  it('the flag is repeatable (no silent last-one-wins)', () => {
    const spec = { command: 'x', flags: { set: { type: 'string', multiple: true } } } as const;
    expect(parseFlags(['--set', 'a=1', '--set=b=2'], spec).set).toEqual(['a=1', 'b=2']);
    expect(parseFlags([], spec).set).toEqual([]);
  });
  it('a matrix with --set trains with it and records it in experiment.json', async () => {
    const out = path.join(tmp, 'set');
    const r = await runCli([
      'ablate',
      'experiments/smoke.ts',
      '--preset',
      'test',
      '--set',
      'epochs=1',
      '--max-seeds',
      '1',
      '--workers',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(readFileSync(path.join(out, 'experiment.json'), 'utf8')) as { set: unknown; train: { epochs: number } };
    expect(e.set).toEqual({ epochs: 1 });
    expect(e.train.epochs).toBe(1);
    const records = [...readRuns(path.join(out, 'runs.jsonl')).latest.values()];
    expect(records).toHaveLength(2);
    for (const rec of records) expect(rec.metrics).toHaveLength(1); // smoke's test preset has 2 epochs
  }, 60_000);
});

describe('--dry-run', () => {
  it('schedules the runs on the workers as the pool does', () => {
    expect(makespan([40, 30, 20, 10], 2)).toBe(50); // 40 | 30 + 20 -> 40 + 10 = 50
    expect(makespan([5, 5, 5], 1)).toBe(15);
  });
  it("times a run by its cell's fastest ok run of the same engine in the folder, else by the model, and says which", async () => {
    const smoke = expandExperiment(applyPreset(await loadExperiment(path.join(ROOT, 'experiments/smoke.ts')), 'test'));
    const [a, b] = smoke.cells;
    const records = [
      record(a, 1, 80, { wallSeconds: 300 }),
      record(a, 2, 81, { wallSeconds: 200 }), // the fastest of a's ok tfjs runs
      record(a, 3, null, { status: 'failed', wallSeconds: 5 }), // failed: not a time
      record(a, 1, 79, { engine: 'torch', runId: 'x', wallSeconds: 90 }),
      record(b, 1, 70, { status: 'diverged', wallSeconds: 7 }),
    ];
    const times = measuredTimes(records);
    expect([...times.values()].sort((x, y) => x - y)).toEqual([90, 200]);
    const ours = smoke.runs;
    const plan = planMatrix(ours, () => false, 1, times);
    for (const r of plan.runs) expect(r.timed).toBe(ours.find((o) => o.runId === r.runId)!.cell.id === a.id);
    expect(plan.runs.filter((r) => r.timed).every((r) => r.estimatedSeconds === 200)).toBe(true);
    expect(plan.basis).toMatch(/^\d+ runs timed by their cell's fastest ok run in the folder; the rest estimated for wasm/);
    expect(formatPlan(plan, 'h')).toMatch(/~3m20s \(timed\)\n/);
    // --engine torch: only the PyTorch run times it; the model's basis says it is not PyTorch's
    const torch = ours.map((r) => ({ ...r, engine: 'torch' as const }));
    const tplan = planMatrix(torch, (r) => r.cell.id === b.id, 1, times);
    expect(tplan.runs.filter((r) => !r.done).every((r) => r.timed && r.estimatedSeconds === 90)).toBe(true);
    expect(tplan.basis).toBe("every run timed by its cell's fastest ok run in the folder");
    expect(planMatrix(torch, () => false, 1).basis).toMatch(/estimated for wasm .*\(a model of our engine, not of PyTorch\)$/);
  });
  it('lists every run with its estimated time and the total, and writes nothing', async () => {
    const out = path.join(tmp, 'dry');
    const r = await runCli(['ablate', 'experiments/table2.ts', '--preset', 'quick', '--dry-run', '--workers', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^table2 \(preset quick\): 24 of 24 runs, dataset [\w-]+, into /);
    expect(lines.slice(1, 25).every((l) => /^ +\d+ {2}(VanillaNet-6|AlexNet) .* seed \d +~\d+s$/.test(l))).toBe(true);
    // measured: 6 min 02 s in a fresh clone on the 2-core machine
    const m = /^24 runs to train: ~(\d+)m(\d+)s on 2 workers \(estimated for wasm/.exec(lines[25]);
    expect(m, lines[25]).not.toBeNull();
    expect(Number(m![1]) * 60 + Number(m![2])).toBeGreaterThan(300);
    expect(Number(m![1]) * 60 + Number(m![2])).toBeLessThan(450);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
