/**
 * Issue 28 item 7: queue jobs are untrusted input. Anyone who reaches the Redis server can push a job; its names,
 * ids and paths become folder names under the worker's --runs-dir, its spec a training run. A hostile job is refused
 * by the worker's processor before anything is trained or written, and nothing lands outside --runs-dir; a hostile
 * returned record never reaches the coordinator's store. Every real matrix's jobs still pass.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreset } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { expandExperiment, type RunDescription } from '../../src/ablation/matrix.js';
import { recordFromSummary } from '../../src/ablation/store.js';
import { jobProblem } from '../../src/queue/jobCheck.js';
import { checkReturnedRecord, jobData, PROCESSOR_ENV } from '../../src/queue/protocol.js';
import { ROOT } from '../support/build.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-jobs-'));
const runsDir = path.join(tmp, 'a', 'b', 'runs');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let good: RunDescription;
const matrices: RunDescription[] = [];
beforeAll(async () => {
  mkdirSync(runsDir, { recursive: true });
  for (const [file, presets] of [
    ['smoke', ['test', 'quick', 'full']],
    ['table2', ['quick', 'full']],
    ['table3', ['quick', 'full']],
  ] as const) {
    const e = await loadExperiment(path.join(ROOT, 'experiments', `${file}.ts`));
    for (const p of presets) matrices.push(...expandExperiment(applyPreset(e, p), { datasetName: 'synthetic' }).runs);
  }
  good = matrices[0];
});

type J = Record<string, unknown>;
const hostile = (f: (run: J, spec: J) => void): RunDescription => {
  const run = JSON.parse(JSON.stringify(good)) as J;
  f(run, run.spec as J);
  return run as unknown as RunDescription;
};

/** [what, the job's run] */
const CASES: [string, (run: J, spec: J) => void, RegExp][] = [
  ["experiment '../../..'", (r) => (r.experiment = '../../..'), /experiment name "\.\.\/\.\.\/\.\." is not a name/],
  ["experiment '..'", (r) => (r.experiment = '..'), /experiment name/],
  ["experiment '/etc'", (r) => (r.experiment = '/etc'), /experiment name/],
  ["experiment 'a/b'", (r) => (r.experiment = 'a/b'), /experiment name/],
  ['experiment with a NUL', (r) => (r.experiment = 'a\u0000b'), /experiment name/],
  ['experiment of 300 characters', (r) => (r.experiment = 'x'.repeat(300)), /experiment name/],
  ['experiment 5', (r) => (r.experiment = 5), /experiment name 5/],
  ["runId '../../../x'", (r) => (r.runId = '../../../x'), /runId "\.\.\/\.\.\/\.\.\/x" is not a run id/],
  ["runId '..'", (r) => (r.runId = '..'), /runId/],
  ['runId of 17 hex digits', (r) => (r.runId = '0123456789abcdef0'), /runId/],
  ["preset '../p'", (r) => (r.preset = '../p'), /preset "\.\.\/p" is not a preset name/],
  ["engine 'torch' (not on the queue)", (r) => (r.engine = 'torch'), /engine "torch"/],
  ["engine '../x'", (r) => (r.engine = '../x'), /engine/],
  ['seed -1', (r) => (r.seed = -1), /seed -1/],
  ['seed "1"', (r) => (r.seed = '1'), /seed "1"/],
  ['cell {}', (r) => (r.cell = {}), /cell\.id/],
  ['cell without toggles', (r) => delete (r.cell as J).toggles, /cell\.toggles/],
  ['spec missing', (r) => delete r.spec, /spec is not/],
  ["spec's seed not the run's", (_r, s) => (s.seed = 999), /spec's seed 999/],
  ["model 'nope'", (_r, s) => (s.model = 'nope'), /model must be one of the zoo's models/],
  ['epochs 1e300', (_r, s) => ((s.train as J).epochs = 1e300), /epochs must be an integer from 1 to 10000/],
  ['batchSize 1e9', (_r, s) => ((s.train as J).batchSize = 1e9), /batchSize must be an integer from 1 to 65536/],
  ['an unknown trainer setting', (_r, s) => ((s.train as J).rm = '-rf'), /train\.rm is not a known field/],
  ["dataset '../../etc'", (_r, s) => ((s.data as J).name = '../../etc'), /dataset\.name must be/],
  ['inputSize 1e6', (_r, s) => ((s.data as J).inputSize = 1e6), /inputSize/],
  ['trainSize 1e12', (_r, s) => ((s.data as J).trainSize = 1e12), /trainSize/],
  ['width 1e9', (_r, s) => ((s.modelOptions as J).width = 1e9), /width/],
  ['an unknown model option', (_r, s) => ((s.modelOptions as J).evil = true), /evil/],
  ['modelOptions "x"', (_r, s) => (s.modelOptions = 'x'), /spec is not/],
];

describe('a hostile job is refused before anything is trained or written', () => {
  it.each(CASES)('%s', async (_what, f, message) => {
    const run = hostile(f);
    const data = { ...jobData(run, 'wasm'), experiment: good.experiment, preset: good.preset };
    if (typeof run.experiment === 'string' && /^[A-Za-z0-9]/.test(run.experiment)) data.experiment = run.experiment;
    if (typeof run.preset === 'string' && /^[A-Za-z0-9]/.test(run.preset)) data.preset = run.preset;
    expect(jobProblem(data)).toMatch(message);
    // through the sandboxed processor, as a worker runs it: rejected, and nothing written anywhere under tmp
    process.env[PROCESSOR_ENV.runsDir] = runsDir;
    const { default: processRunJob } = await import('../../src/queue/processor.js');
    const job = { id: 'j1', data, updateProgress: async () => {} } as unknown as Parameters<typeof processRunJob>[0];
    await expect(processRunJob(job)).rejects.toThrow(/refuses job j1: /);
    expect(readdirSync(runsDir)).toEqual([]);
    expect(readdirSync(tmp)).toEqual(['a']);
  });

  it("every run of the committed experiments' matrices passes (smoke, table2, table3; all presets)", () => {
    expect(matrices.length).toBeGreaterThan(50);
    for (const r of matrices) expect(jobProblem(jobData(r, 'auto')), `${r.experiment} ${r.preset} ${r.runId}`).toBeNull();
  });
});

describe("a worker's returned record is checked before it reaches the store", () => {
  const ctx = {
    backend: 'wasm',
    tfjsVersion: '4.22.0',
    commit: null,
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', hostname: 'h' },
  };
  const ok = () =>
    recordFromSummary(
      good,
      {
        model: 'vanillanet-5',
        toggles: { deepTraining: false, seriesAct: false, shortcut: 'none', actNum: 3, width: 1 / 32, stem: 'imagenet' },
        dataset: 'synthetic (192 train / 64 validation, 32x32)',
        classes: 10,
        seed: good.seed,
        epochs: 1,
        status: 'ok',
        trainTop1: 50,
        valTop1: 60,
        deployValTop1: 60,
        testTop1: 55,
        deployTestTop1: 55,
        testSet: null,
        imagesPerSec: 10,
        wallSeconds: 1,
        metrics: [],
      },
      ctx,
    );
  const RETURNED: [string, (r: J) => void, RegExp][] = [
    ['testTop1 -500', (r) => (r.testTop1 = -500), /cannot be stored: testTop1 is -500/],
    ['valTop1 1e300', (r) => (r.valTop1 = 1e300), /cannot be stored: valTop1/],
    ['metrics "x"', (r) => (r.metrics = 'x'), /lacks its cell or metrics/],
    ['another cell', (r) => (r.cell = { ...(r.cell as J), id: 'other' }), /of cell other/],
    ['status "weird"', (r) => (r.status = 'weird'), /status weird/],
    ['machine null', (r) => (r.machine = null), /cannot be stored: machine/],
    ['engine "torch"', (r) => (r.engine = 'torch'), /cannot be stored|engine/],
  ];
  it('a good one passes', () => {
    expect(checkReturnedRecord(ok(), good)).toBeNull();
  });
  it.each(RETURNED)('%s', (_what, f, message) => {
    const r = JSON.parse(JSON.stringify(ok())) as J;
    f(r);
    expect(checkReturnedRecord(r, good)).toMatch(message);
  });
});
