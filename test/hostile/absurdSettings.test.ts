/**
 * Issue 28 item 5: absurd settings refused at validation, the bound in the message; expansion time bounded. And at
 * run time: a batch larger than the training split is a failed run saying so, never an "ok" run that took no step.
 */
import { describe, expect, it } from 'vitest';
import { applyPreset, validateExperiment } from '../../src/ablation/experiment.js';
import { expandExperiment } from '../../src/ablation/matrix.js';
import { executeRun } from '../../src/ablation/executor.js';
import type { CellDescription, RunDescription } from '../../src/ablation/matrix.js';
import { UserError } from '../../src/util/errors.js';
import { ensureBuilt } from '../support/build.js';
import { runCli } from '../support/cli.js';

type J = Record<string, unknown>;
const smoke = (): J => ({
  name: 'smoke',
  description: 'x',
  dataset: { name: 'synthetic', trainSize: 256, valSize: 64, testSize: 128, inputSize: 32 },
  models: [{ model: 'vanillanet-5', width: 1 / 32 }],
  factors: { deepTraining: [false, true] },
  seeds: [1, 2],
  train: { epochs: 2, batchSize: 16 },
  presets: { test: {}, quick: {}, full: {} },
});
const edit = (f: (e: J) => void): J => {
  const e = smoke();
  f(e);
  return e;
};
const train = (e: J) => e.train as J;
const data = (e: J) => e.dataset as J;

function refusal(e: J): string {
  const t0 = performance.now();
  try {
    const v = validateExperiment(e, 'hostile.ts');
    for (const p of Object.keys(v.presets)) expandExperiment(applyPreset(v, p), { datasetName: 'synthetic' });
  } catch (err) {
    expect(err, (err as Error).stack).toBeInstanceOf(UserError);
    expect(performance.now() - t0).toBeLessThan(2000);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

const CASES: [string, J, RegExp][] = [
  ['epochs: 1e300', edit((e) => (train(e).epochs = 1e300)), /train\.epochs must be an integer from 1 to 10000, got 1e\+300/],
  ['epochs: 10001', edit((e) => (train(e).epochs = 10_001)), /from 1 to 10000/],
  ['epochs: Infinity', edit((e) => (train(e).epochs = Infinity)), /train\.epochs/],
  ['batchSize: 1e9 (48 training images)', edit((e) => (train(e).batchSize = 1e9)), /batchSize must be an integer from 1 to 65536/],
  [
    'batchSize 500 with 192 training images',
    edit((e) => (train(e).batchSize = 500)),
    /train\.batchSize 500 is larger than the 192 training images .*no training step would run/,
  ],
  [
    'a model entry batch larger than the training images',
    edit((e) => ((e.models as J[])[0].train = { batchSize: 193 })),
    /193 is larger than the 192 training images/,
  ],
  [
    'a batch-size factor value larger than the training images',
    edit((e) => ((e.factors as J).batchSize = [16, 1000])),
    /1000 is larger than the 192 training images/,
  ],
  [
    'a preset whose trainSize leaves fewer images than a batch',
    edit((e) => ((e.presets as J).quick = { dataset: { trainSize: 70 } })),
    /presets\.quick -> train\.batchSize 16 is larger than the 6 training images/,
  ],
  ['evalBatchSize: 1e7', edit((e) => (train(e).evalBatchSize = 1e7)), /evalBatchSize must be an integer from 1 to 65536/],
  ['lr: 1e300', edit((e) => (train(e).lr = 1e300)), /train\.lr must be a number from 0 to 100/],
  ['weightDecay: 1e9', edit((e) => (train(e).weightDecay = 1e9)), /weightDecay must be a number from 0 to 100/],
  ['warmupEpochs: 1e300', edit((e) => (train(e).warmupEpochs = 1e300)), /warmupEpochs must be a number from 0 to 10000/],
  ['decayEpochs: 1e12', edit((e) => (train(e).decayEpochs = 1e12)), /decayEpochs must be a number from 0 to 10000/],
  ['trainSize: 1e12', edit((e) => (data(e).trainSize = 1e12)), /dataset\.trainSize must be an integer from 1 to 10000000/],
  ['testSize: 1e12', edit((e) => (data(e).testSize = 1e12)), /testSize must be an integer from 1 to 10000000/],
  ['valSize: 1e12', edit((e) => (data(e).valSize = 1e12)), /valSize must be an integer from 0 to 10000000/],
  ['inputSize: 1e6', edit((e) => (data(e).inputSize = 1e6)), /inputSize must be an integer from 8 to 4096/],
  ['10^6 seeds', edit((e) => (e.seeds = Array.from({ length: 1e6 }, (_, i) => i))), /seeds has 1000000 seeds; at most 1000/],
  ['1001 seeds', edit((e) => (e.seeds = Array.from({ length: 1001 }, (_, i) => i))), /at most 1000/],
  ['a seed of 2^31', edit((e) => (e.seeds = [2 ** 31])), /seeds\[0\] must be an integer from 0 to 2147483647/],
  ['a repeated seed among 1000', edit((e) => (e.seeds = [...Array.from({ length: 999 }, (_, i) => i), 5])), /repeats the seed 5/],
  [
    'factors giving 10^6 runs',
    edit((e) => (e.factors = { epochs: Array.from({ length: 1000 }, (_, i) => i + 1), lr: Array.from({ length: 500 }, (_, i) => (i + 1) / 1e4) })),
    /make 1000000 runs; a matrix has at most 100000/,
  ],
  [
    'factors x seeds over the run limit',
    edit((e) => {
      e.factors = { epochs: Array.from({ length: 200 }, (_, i) => i + 1), lr: Array.from({ length: 200 }, (_, i) => (i + 1) / 1000) };
      e.seeds = [1, 2, 3];
    }),
    /120000 runs; a matrix has at most 100000/,
  ],
  ['width: 1e9', edit((e) => ((e.models as J[])[0].width = 1e9)), /width/],
  ['dropRate: 5', edit((e) => ((e.models as J[])[0].dropRate = 5)), /dropRate/],
];

describe('absurd settings are refused at validation, with the bound', () => {
  it.each(CASES)('%s', (_what, e, message) => {
    expect(refusal(e)).toMatch(message);
  });
  it('the largest settings within the bounds still validate (and expand in bounded time)', () => {
    const e = edit((x) => {
      x.seeds = Array.from({ length: 1000 }, (_, i) => i);
      train(x).epochs = 10_000;
      train(x).batchSize = 192;
    });
    const t0 = performance.now();
    const v = validateExperiment(e, 'big.ts');
    expect(expandExperiment(applyPreset(v, 'test'), { datasetName: 'synthetic' }).runs).toHaveLength(2000);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('at run time', () => {
  const toggles = { deepTraining: false, seriesAct: false, shortcut: 'none' as const, actNum: 3, width: 1 / 32, stem: 'imagenet' as const };
  const cell: CellDescription = { id: 'c0', index: 0, entry: 0, model: 'vanillanet-5', label: 'VanillaNet-5', factors: {}, baseline: {}, toggles };
  const ctx = {
    backend: 'wasm',
    tfjsVersion: '4.22.0',
    commit: null,
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', hostname: 'h' },
  };
  const run = (train: J, data: J = {}): RunDescription => ({
    runId: 'r0',
    experiment: 'x',
    preset: 'p',
    seed: 1,
    cell,
    spec: {
      model: 'vanillanet-5',
      modelOptions: { width: 1 / 32 },
      data: { name: 'synthetic', trainSize: 48, testSize: 16, inputSize: 32, ...data },
      train,
      seed: 1,
    },
  });
  it('batchSize 1e9 with 48 training images (a spec that skipped validation, e.g. from a queue job) is a failed run, not ok', async () => {
    const r = await executeRun(run({ epochs: 1, batchSize: 1e9 }), null, ctx);
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/batch size 1000000000 is larger than the 48 training images: no training step would run/);
  });
  it('epochs 1e300 in a spec is a failed run at once, not one that runs on', async () => {
    const t0 = performance.now();
    const r = await executeRun(run({ epochs: 1e300, batchSize: 16 }), null, ctx);
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/epochs must be at most 10000/);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
  it('the CLI: train --epochs 1e300 and --batch-size 1e9 are refused in one line each', async () => {
    ensureBuilt(['dist/src/cli.js', 'dist/src/commands/train.js']);
    for (const [flag, value, message] of [
      ['--epochs', '1e300', /--epochs must be .*10000/],
      ['--batch-size', '1000000000', /--batch-size must be .*65536/],
      ['--train-size', '1e12', /--train-size must be .*10000000/],
    ] as const) {
      const r = await runCli(['train', '--model', 'vanillanet-5', '--dataset', 'synthetic', flag, value, '--backend', 'cpu']);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    }
  });
});
