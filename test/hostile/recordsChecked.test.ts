/**
 * Issue 28 item 4: records checked on read. A runs.jsonl line with a wrong type or an absurd value, a record of
 * another matrix, or a cell run with other settings: `report` stops with one error naming file:line (never a stack
 * trace, never a wrong figure in REPORT.md), ablate's summary leaves the line out with one warning per file, and a
 * resumed matrix whose experiment changed is refused before anything runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreset } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { expandExperiment } from '../../src/ablation/matrix.js';
import { readRuns, RunStore } from '../../src/ablation/store.js';
import type { RunRecord } from '../../src/ablation/recordCheck.js';
import { writeSummary } from '../../src/ablation/summary.js';
import { loadReportInputs } from '../../src/report/inputs.js';
import { UserError } from '../../src/util/errors.js';
import { record } from '../ablation/helpers.js';
import { HOSTILE, recordParts } from './hostileRecords.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-records-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const { c1, good } = recordParts;

/** A results folder (results/ablation/exp-quick/runs.jsonl) holding two good records and `line` third. */
function folderWith(line: string): { dir: string; file: string } {
  const dir = path.join(tmp, `r${n++}`);
  const sub = path.join(dir, 'ablation', 'exp-quick');
  mkdirSync(sub, { recursive: true });
  const file = path.join(sub, 'runs.jsonl');
  writeFileSync(file, `${JSON.stringify(good(1))}\n${JSON.stringify(good(2, c1))}\n${line}\n${JSON.stringify(good(4, c1))}\n`);
  return { dir, file };
}

function reportError(dir: string): unknown {
  try {
    loadReportInputs(dir);
  } catch (err) {
    return err;
  }
  return null;
}

describe('a bad third line of runs.jsonl', () => {
  it.each(HOSTILE)('%s: the report refuses with file:line; the summary leaves the line out with one warning', (_what, line, names) => {
    const { dir, file } = folderWith(line);
    const err = reportError(dir);
    expect(err, String((err as Error)?.stack ?? err)).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`${file}: line 3: `);
    expect((err as Error).message).toMatch(names);
    const warnings: string[] = [];
    const r = readRuns(file, (w) => warnings.push(w));
    expect(r.records.map((x) => x.seed)).toEqual([1, 2, 4]);
    expect(warnings).toHaveLength(1);
    const s = writeSummary(path.dirname(file), () => {});
    expect(s.records).toBe(3);
  });

  it('many bad lines: one warning for the file, naming the first line and counting the others', () => {
    const { file } = folderWith(Array.from({ length: 40 }, (_, i) => HOSTILE[i % 10][1]).join('\n'));
    const warnings: string[] = [];
    readRuns(file, (w) => warnings.push(w));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/runs\.jsonl: line 3: .*\(and 39 more lines ignored: 4, 5, 6, 7, 8, \.\.\.\)/);
  });

  it('valid records at the edges of their ranges are read', () => {
    const edges = [
      { ...good(5), testTop1: 0, valTop1: 100, deployTestTop1: null, imagesPerSec: null },
      { ...good(6), status: 'diverged' as const, valTop1: null, testTop1: null, metrics: [{ ...good(6).metrics[0], trainLoss: null as unknown as number }] },
      { ...good(7), engine: 'torch' as const },
    ];
    const { file } = folderWith(edges.map((e) => JSON.stringify(e)).join('\n'));
    const warnings: string[] = [];
    expect(readRuns(file, (w) => warnings.push(w)).records).toHaveLength(6);
    expect(warnings).toEqual([]);
  });
});

describe('`vanillabench report` on them: exit 1 and one line, never exit 70 with a stack trace', () => {
  it.each([
    ['cell: {}', /runs\.jsonl: line 3: ignoring a record: cell\.id/],
    ['metrics: "x"', /runs\.jsonl: line 3: ignoring a record: metrics is "x"/],
    ['testTop1: -500', /runs\.jsonl: line 3: ignoring a record: testTop1 is -500/],
    ['a record of another experiment', /mixed matrices are refused/],
  ])('%s', async (what, message) => {
    ensureBuilt(['dist/src/cli.js', 'dist/src/commands/report.js']);
    const { dir } = folderWith(HOSTILE.find(([w]) => w === what)![1]);
    const r = await runCli(['report', '--out', dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('a resumed matrix whose experiment changed never averages different settings', () => {
  const smokeText = (epochs: number) => `export default {
  name: 'smoke', description: 'smoke, edited', dataset: { name: 'synthetic', trainSize: 256, valSize: 64, testSize: 128, inputSize: 32 },
  models: [{ model: 'vanillanet-5', width: 1 / 32, label: 'VanillaNet-5' }], factors: { deepTraining: [false, true] }, seeds: [1, 2],
  train: { epochs: ${epochs}, batchSize: 16, decayEpochs: 1, warmupEpochs: 0.5, lr: 3e-3, bnMomentum: 0.3, evalBatchSize: 128 },
  presets: { test: {}, quick: {}, full: {} },
};\n`;
  let out: string;
  let edited: string;
  beforeAll(async () => {
    ensureBuilt(['dist/src/cli.js', 'dist/src/commands/ablate.js']);
    // the folder as the original experiment left it: one ok record per run
    const original = await loadExperiment(path.join(ROOT, 'experiments/smoke.ts'));
    const m = expandExperiment(applyPreset(original, 'test'));
    out = path.join(tmp, 'resume');
    mkdirSync(out);
    const recs: RunRecord[] = m.runs.map((r) => record(r.cell, r.seed, 60, { runId: r.runId, experiment: 'smoke', preset: 'test' }));
    writeFileSync(path.join(out, 'runs.jsonl'), recs.map((r) => `${JSON.stringify(r)}\n`).join(''));
    edited = path.join(tmp, 'smoke-edited.ts');
    writeFileSync(edited, smokeText(3));
  });

  it('the run store refuses the resume, naming the cell and --out', async () => {
    const e = await loadExperiment(edited);
    const cells = expandExperiment(applyPreset(e, 'test')).cells;
    expect(() => RunStore.open(out, { resume: true, experiment: 'smoke', preset: 'test', cells })).toThrow(
      /holds runs of VanillaNet-5 \(deepTraining=off\) made with other settings .* use --out DIR/,
    );
  });

  it('ablate --resume with the edited experiment stops before any run, in one line', async () => {
    const r = await runCli(['ablate', edited, '--preset', 'test', '--resume', '--out', out, '--backend', 'wasm', '--workers', '1']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/made with other settings than the experiment now gives/);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error|\[\d+\/\d+\]/);
    expect(readRuns(path.join(out, 'runs.jsonl')).records).toHaveLength(4);
  });

  it('the unchanged experiment still resumes (nothing to run)', async () => {
    const r = await runCli([
      'ablate',
      path.join(ROOT, 'experiments/smoke.ts'),
      '--preset',
      'test',
      '--resume',
      '--out',
      out,
      '--backend',
      'wasm',
      '--workers',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 already ok \(skipped\); .*nothing to run/);
  });
});
