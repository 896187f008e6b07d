/**
 * Issue 28 item 1: no false pass. The cross-check and the PyTorch engine exchange through a fresh folder per run,
 * the reference must echo the nonce we wrote (so a `--python` that does nothing, or an old result left in the
 * folder, never passes for a comparison), and its result is checked before use: steps that do not match, an
 * unknown status or missing fields end in one clear error (crosscheck) or a failed record saying why (ablate).
 * The reference is a fake interpreter (a shell script) that answers the probe and then does what each case says.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { executeRun } from '../../src/ablation/executor.js';
import type { CellDescription, RunDescription } from '../../src/ablation/matrix.js';
import { recordProblem } from '../../src/ablation/recordCheck.js';
import { crosscheck, type CrosscheckResult } from '../../src/crosscheck/crosscheck.js';
import { torchPython } from '../crosscheck/support.js';
import type { TorchPython } from '../../src/crosscheck/python.js';
import { UserError } from '../../src/util/errors.js';
import { ensureBuilt } from '../support/build.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-ref-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A fake Python: `--probe` prints versions; otherwise it copies $FAKE_COPY_FROM/* (an earlier real run's torch/
 * folder) into <dir>/torch when set, then with $FAKE_RESULT set writes it as <dir>/torch/result.json with __NONCE__
 * replaced by settings.json's nonce (or $FAKE_NONCE), and exits 0 having trained nothing.
 */
const FAKE = path.join(tmp, 'fake-python');
writeFileSync(
  FAKE,
  `#!/bin/sh
if [ "$2" = "--probe" ]; then echo '{"python":"3.11.2","torch":"1.13.0","numpy":"1.24.2"}'; exit 0; fi
if [ -n "$FAKE_COPY_FROM" ]; then mkdir -p "$3/torch" && cp "$FAKE_COPY_FROM"/* "$3/torch/"; fi
[ -z "$FAKE_RESULT" ] && exit 0
mkdir -p "$3/torch"
exec "${process.execPath}" -e 'const fs = require("fs"); const d = process.argv[1];
  const s = JSON.parse(fs.readFileSync(d + "/settings.json", "utf8"));
  fs.writeFileSync(d + "/torch/result.json", process.env.FAKE_RESULT.split("__NONCE__").join(process.env.FAKE_NONCE ?? s.run.nonce));' "$3"
`,
);
chmodSync(FAKE, 0o755);
const fakePy: TorchPython = { python: FAKE, pythonVersion: '3.11.2', torch: '1.13.0', numpy: '1.24.2' };

type FakeOptions = { nonce?: string; copyFrom?: string };
const withFake = async <T>(result: unknown, f: () => Promise<T>, o: FakeOptions = {}): Promise<T> => {
  const env: Record<string, string | undefined> = {
    FAKE_RESULT: result === undefined ? undefined : typeof result === 'string' ? result : JSON.stringify(result),
    FAKE_NONCE: o.nonce,
    FAKE_COPY_FROM: o.copyFrom,
  };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await f();
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
};

let n = 0;
/** The same tiny crosscheck every time (so an earlier run's result matches it step for step). */
const tiny = (dir: string, py: TorchPython) =>
  crosscheck(
    {
      model: 'vanillanet-5',
      modelOptions: { width: 1 / 16 },
      data: { name: 'synthetic', trainSize: 32, inputSize: 32 },
      train: { epochs: 1, batchSize: 16, lr: 5e-5, warmupEpochs: 0, decayEpochs: 1 },
      seed: 1,
      steps: 2,
      dir,
      resync: false,
    },
    py,
  );

async function crosscheckError(result: unknown, o: FakeOptions): Promise<Error> {
  const dir = path.join(tmp, `x${n++}`);
  mkdirSync(dir);
  let passed: CrosscheckResult;
  try {
    passed = await withFake(result, () => tiny(dir, fakePy), o);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`the crosscheck passed: max loss rel.err ${passed.maxLossRelErr}`);
}

const step = { loss: 2.3, lr: 1e-5, lambda: 0 };
const { py: realPy } = torchPython();
/** torch/ of a real reference run of the tiny crosscheck: the stale files an adversary leaves around */
let stale = '';

beforeAll(async () => {
  await selectBackend('wasm');
  if (!realPy) return;
  const real = path.join(tmp, 'real');
  mkdirSync(real);
  const r = await tiny(real, realPy);
  expect(r.maxLossRelErr).toBeLessThan(1e-4);
  stale = path.join(real, 'torch');
}, 120_000);

describe.skipIf(!realPy)('crosscheck: only the reference run of this crosscheck is compared', () => {
  // each with an earlier real run's final.safetensors in place, so that only the result decides
  const cases: [string, unknown, RegExp, FakeOptions?][] = [
    ["an earlier real run's files, copied as they are (same settings)", undefined, /does not carry this run's nonce/],
    ['an earlier result without a nonce', { format: 1, steps: [step, step] }, /does not carry this run's nonce \(it has undefined\)/],
    [
      'an earlier result of another run (another nonce)',
      { format: 1, nonce: '__NONCE__', steps: [step, step] },
      /does not carry this run's nonce/,
      { nonce: 'a0a0a0' },
    ],
    ['a result missing its steps', { format: 1, nonce: '__NONCE__' }, /steps is undefined, not a list/],
    ['steps: "x"', { format: 1, nonce: '__NONCE__', steps: 'x' }, /steps is "x", not a list/],
    ['one step where the crosscheck ran two', { format: 1, nonce: '__NONCE__', steps: [step] }, /the reference ran 1 steps, this crosscheck 2/],
    ['three steps where it ran two', { format: 1, nonce: '__NONCE__', steps: [step, step, step] }, /the reference ran 3 steps/],
    ['a step without lr', { format: 1, nonce: '__NONCE__', steps: [step, { loss: 1, lambda: 0 }] }, /step 2 is .* not \{ loss, lr, lambda \}/],
    ['a step that is null', { format: 1, nonce: '__NONCE__', steps: [null, step] }, /step 1 is null/],
    ['a step whose loss is a string', { format: 1, nonce: '__NONCE__', steps: [step, { ...step, loss: '2.3' }] }, /step 2 is/],
    ['a result that is a list', '[1, 2]', /is not a JSON object/],
    ['a result that is not JSON', '{"steps": [', /not valid JSON/],
  ];
  it.each(cases)('%s: one clear error, no comparison', async (_what, result, message, o) => {
    const err = await crosscheckError(result, { copyFrom: stale, ...o });
    expect(err, err.stack).toBeInstanceOf(UserError);
    expect(err.message).toMatch(message);
  });
  it('a --python that does nothing (exit 0, no result), and a result with this nonce but no final.safetensors', async () => {
    for (const [result, message] of [
      [undefined, /exited without writing .*result\.json: it did not run/],
      [{ format: 1, nonce: '__NONCE__', steps: [step, step] }, /final\.safetensors/],
    ] as const) {
      const err = await crosscheckError(result, {});
      expect(err, err.stack).toBeInstanceOf(UserError);
      expect(err.message).toMatch(message);
    }
  });
});

describe('crosscheck --out: a new or empty folder, checked before any work', () => {
  it('`crosscheck --out DIR` with files in DIR (a stale exchange) is refused before any work; a file, /proc and "" too', async () => {
    ensureBuilt(['dist/src/cli.js', 'dist/src/commands/crosscheck.js']);
    const staleOut = path.join(tmp, 'stale-out');
    mkdirSync(path.join(staleOut, 'torch'), { recursive: true });
    writeFileSync(path.join(staleOut, 'torch', 'result.json'), JSON.stringify({ format: 1, steps: [step, step] }));
    writeFileSync(path.join(tmp, 'a-file'), 'x');
    for (const [out, message] of [
      [staleOut, /--out .*stale-out is not empty \(torch\): the exchange needs a new or empty folder/],
      [path.join(tmp, 'a-file'), /is a file, not a folder/],
      ['/proc/x', /virtual file system/],
      ['', /--out is empty/],
    ] as const) {
      const t0 = Date.now();
      const r = await runCli(['crosscheck', '--python', FAKE, '--steps', '2', '--out', out]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(Date.now() - t0).toBeLessThan(20_000);
    }
    expect(readdirSync(staleOut)).toEqual(['torch']);
  });

  it('`crosscheck --out NEW` with a --python that does nothing exits 1 in one line (no "max loss rel.err")', async () => {
    const out = path.join(tmp, 'new-out');
    const r = await runCli([
      'crosscheck',
      '--python',
      FAKE,
      '--model',
      'vanillanet-5',
      '--steps',
      '2',
      '--train-size',
      '32',
      '--batch-size',
      '16',
      '--no-resync',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/exited without writing .*result\.json: it did not run/);
    expect(r.stdout).not.toMatch(/max loss rel\.err/);
    expect(existsSync(path.join(out, '.crosscheck.lock'))).toBe(false);
  });
});

describe('ablate --engine torch: a reference result that cannot be used is a failed record saying why', () => {
  const toggles = { deepTraining: false, seriesAct: false, shortcut: 'none' as const, actNum: 3, width: 1 / 32, stem: 'imagenet' as const };
  const cell: CellDescription = { id: 'c0', index: 0, entry: 0, model: 'vanillanet-5', label: 'VanillaNet-5', factors: {}, baseline: {}, toggles };
  const run: RunDescription = {
    runId: 'r0',
    experiment: 'x',
    preset: 'p',
    seed: 1,
    engine: 'torch',
    cell,
    spec: {
      model: 'vanillanet-5',
      modelOptions: { width: 1 / 32 },
      data: { name: 'synthetic', trainSize: 64, valSize: 32, testSize: 32, inputSize: 32 },
      train: { epochs: 2, batchSize: 16 },
      seed: 1,
    },
  };
  // the engine finds its Python as ablate's workers do: through $VANILLABENCH_PYTHON
  beforeAll(() => {
    const before = process.env.VANILLABENCH_PYTHON;
    process.env.VANILLABENCH_PYTHON = FAKE;
    return () => {
      if (before === undefined) delete process.env.VANILLABENCH_PYTHON;
      else process.env.VANILLABENCH_PYTHON = before;
    };
  });
  const ctx = {
    backend: 'wasm',
    tfjsVersion: '4.22.0',
    commit: null,
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', hostname: 'h' },
  };
  const epoch = (e: number) => ({
    epoch: e,
    lambda: 0,
    lr: 1e-3,
    trainLoss: 1,
    trainTop1: 40,
    valLoss: 1,
    valTop1: 50,
    imagesPerSec: 10,
    seconds: 1,
    merged: false,
  });
  const ok = { format: 1, nonce: '__NONCE__', status: 'ok', epochs: [epoch(1), epoch(2)], trainTop1: 40, valTop1: 50, imagesPerSec: 10, wallSeconds: 2 };
  const cases: [string, unknown, RegExp][] = [
    ['status "weird"', { ...ok, status: 'weird' }, /has status "weird", not ok or diverged/],
    ['no status', { ...ok, status: undefined }, /has status undefined/],
    ['no epochs', { ...ok, epochs: undefined }, /has epochs undefined, not a list/],
    ['an epoch without valTop1', { ...ok, epochs: [epoch(1), { ...epoch(2), valTop1: undefined }] }, /epoch 2 with valTop1 undefined/],
    ['ok after 1 of 2 epochs', { ...ok, epochs: [epoch(1)] }, /is ok after 1 epochs, the run has 2/],
    ['ok without valTop1', { ...ok, valTop1: undefined }, /lacks valTop1/],
    ['testTop1: "x"', { ...ok, testTop1: 'x' }, /testTop1 "x"/],
    ['no wallSeconds', { ...ok, wallSeconds: undefined }, /lacks wallSeconds/],
    ['valTop1 of 500 (out of range)', { ...ok, valTop1: 500 }, /cannot be stored \(valTop1 is 500, outside 0\.\.100/],
    ["another run's nonce", { ...ok, nonce: 'b0b0' }, /does not carry this run's nonce/],
    ['no result at all', undefined, /exited without writing/],
  ];
  it.each(cases)('%s', async (_what, result, message) => {
    const r = await withFake(result, () => executeRun(run, null, ctx));
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(message);
    expect(recordProblem(r)).toBeNull(); // the failed record itself is one the store keeps
  });
  it('a well-formed result with this run nonce is an ok record', async () => {
    const r = await withFake(ok, () => executeRun(run, null, ctx));
    expect(r.status, r.message).toBe('ok');
    expect(r.valTop1).toBe(50);
  });
});
