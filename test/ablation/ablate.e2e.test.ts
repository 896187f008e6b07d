/**
 * End to end: the ablate command on experiments/smoke.ts (4 runs of a few seconds) through real worker processes:
 * an uninterrupted matrix; one killed with SIGKILL after its first record (plus a torn line, as a kill during a
 * write leaves), refused without --resume, then resumed; a worker that dies mid-run. Builds dist first if stale.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreset } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { expandExperiment } from '../../src/ablation/matrix.js';
import { LocalPool } from '../../src/ablation/pool.js';
import { backendEnv } from '../../src/ablation/runBackend.js';
import type { ExecutorEvent } from '../../src/ablation/executor.js';
import { readRuns } from '../../src/ablation/store.js';
import type { RunRecord } from '../../src/ablation/recordCheck.js';
import { summarize } from '../../src/ablation/analysis.js';
import { readDeclaration } from '../../src/ablation/declaration.js';
import { summaryCsv, summaryMarkdown } from '../../src/ablation/summary.js';
import { gitCommit, machineInfo } from '../../src/util/provenance.js';
import { ensureBuilt } from '../support/build.js';
import { runCli } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'vb-ablate-'));

const cli = runCli;

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const okPerRun = (records: RunRecord[]) => {
  const m = new Map<string, number>();
  for (const r of records) if (r.status === 'ok') m.set(r.runId, (m.get(r.runId) ?? 0) + 1);
  return m;
};

let expectedRunIds: string[] = [];

beforeAll(async () => {
  ensureBuilt(['dist/src/cli.js', 'dist/src/ablation/poolWorker.js', 'dist/experiments/smoke.js']);
  const e = await loadExperiment(path.join(ROOT, 'experiments/smoke.ts'));
  expectedRunIds = expandExperiment(applyPreset(e, 'test'))
    .runs.map((r) => r.runId)
    .sort();
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ablate end to end (experiments/smoke.ts)', () => {
  const outA = path.join(tmp, 'a');
  const outB = path.join(tmp, 'b');

  it('runs the matrix on 2 workers: one ok record per run, summary files, --json result', async () => {
    const r = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', outA, '--workers', '2', '--backend', 'wasm', '--json']);
    expect(r.stderr).toMatch(/overall/);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      experiment: string;
      preset: string;
      out: string;
      dataset: { name: string };
      runs: Record<string, number>;
      wallSeconds: number;
    };
    expect(result).toMatchObject({
      experiment: 'smoke',
      preset: 'test',
      out: outA,
      dataset: { name: 'synthetic' },
      runs: { ok: 4, diverged: 0, failed: 0, skipped: 0 },
    });
    expect(result.wallSeconds).toBeGreaterThan(0);
    const recs = readRuns(path.join(outA, 'runs.jsonl')).records;
    expect(recs.map((x) => x.runId).sort()).toEqual(expectedRunIds);
    const first = recs[0];
    expect(first).toMatchObject({ experiment: 'smoke', preset: 'test', status: 'ok', backend: 'wasm', tfjsVersion: '4.22.0' });
    expect(first.metrics).toHaveLength(2);
    // the final figure on the test split (128 synthetic test images), trained and deploy form, beside validation's
    for (const x of recs) expect([typeof x.testTop1, typeof x.deployTestTop1]).toEqual(['number', 'number']);
    expect(first.dataset).toMatch(/^synthetic\/train \(192 train \/ 64 validation, 32x32\)$/);
    expect(existsSync(path.join(outA, 'runs', first.runId, 'metrics.jsonl'))).toBe(true);
    expect(readFileSync(path.join(outA, 'summary.md'), 'utf8')).toContain('Dataset: synthetic/train (192 train / 64 validation, 32x32)');
  });

  it('killed mid-matrix (SIGKILL), refused without --resume, resumed: one ok record per run, same summary', async () => {
    const file = path.join(outB, 'runs.jsonl');
    let timer: NodeJS.Timeout | undefined;
    const killed = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', outB, '--workers', '1', '--backend', 'wasm'], {
      onSpawn: (kill) => {
        timer = setInterval(() => {
          if (existsSync(file) && readFileSync(file, 'utf8').includes('\n')) {
            clearInterval(timer);
            kill();
          }
        }, 20);
      },
    });
    clearInterval(timer);
    expect(killed.signal).toBe('SIGKILL');
    const before = lines(file).length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(4);
    // what a kill in the middle of a write would leave
    const torn = lines(file)[0].slice(0, 40);
    appendFileSync(file, torn);

    const refused = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', outB, '--workers', '1', '--backend', 'wasm']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds results: add --resume .*or --out DIR/);

    const resumed = await cli([
      'ablate',
      'experiments/smoke.ts',
      '--preset',
      'test',
      '--out',
      outB,
      '--workers',
      '2',
      '--backend',
      'wasm',
      '--resume',
      '--json',
    ]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/incomplete last line/);
    const result = JSON.parse(resumed.stdout) as { runs: Record<string, number> };
    expect(result.runs).toEqual({ ok: 4 - before, diverged: 0, failed: 0, skipped: before });

    // no torn line left; exactly one ok record per cell x seed
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const l of lines(file)) expect(() => JSON.parse(l)).not.toThrow();
    const recs = readRuns(file).records;
    const ok = okPerRun(recs);
    expect([...ok.keys()].sort()).toEqual(expectedRunIds);
    expect([...ok.values()].every((n) => n === 1)).toBe(true);

    // the summary is a function of the records: the same as from those records alone, in any order...
    const md = readFileSync(path.join(outB, 'summary.md'), 'utf8');
    const csv = readFileSync(path.join(outB, 'summary.csv'), 'utf8');
    const reordered = summarize([...recs].reverse(), { declared: readDeclaration(outB) });
    expect(summaryMarkdown(reordered)).toBe(md);
    expect(summaryCsv(reordered)).toBe(csv);
    // ...and training is deterministic per seed, so it equals the uninterrupted matrix's summary, but for when and how
    // long the runs took (the Runs line's clock figures)
    const untimed = (s: string) => s.replace(/^(- Runs: [^;\n]*);.*$/m, '$1');
    expect(md).toMatch(/^- Runs: 4 \(4 ok, 0 diverged, 0 failed\); .* of wall clock /m);
    expect(untimed(md)).toBe(untimed(readFileSync(path.join(outA, 'summary.md'), 'utf8')));
    expect(csv).toBe(readFileSync(path.join(outA, 'summary.csv'), 'utf8'));

    // a second resume has nothing to do
    const again = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', outB, '--resume', '--json']);
    expect(JSON.parse(again.stdout).runs).toEqual({ ok: 0, diverged: 0, failed: 0, skipped: 4 });
    expect(readFileSync(path.join(outB, 'summary.md'), 'utf8')).toBe(md);
  });

  it('mistakes fail before any training: unknown preset, invalid experiment', async () => {
    const out = path.join(tmp, 'never');
    const preset = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'medium', '--out', out]);
    expect(preset.code).toBe(1);
    expect(preset.stderr).toMatch(/unknown preset 'medium' for experiment smoke: its presets are test, quick or full/);
    const bad = path.join(tmp, 'bad.mjs');
    writeFileSync(
      bad,
      `export default ${JSON.stringify({
        name: 'bad',
        description: '',
        dataset: { name: 'synthetic', inputSize: 32 },
        models: [{ model: 'vanillanet-5', width: 0.03125 }],
        factors: { seriesAct: ['on'] },
        seeds: [1],
        train: {},
        presets: { quick: {}, full: {} },
      })};\n`,
    );
    const invalid = await cli(['ablate', bad, '--out', out]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/factors\.seriesAct\[0\]: seriesAct must be true or false/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('local pool', () => {
  it('a worker that dies mid-run: that run is recorded failed with the reason, a new worker finishes the rest', async () => {
    const e = await loadExperiment(path.join(ROOT, 'experiments/smoke.ts'));
    const runs = expandExperiment(applyPreset(e, 'test')).runs;
    const victim = runs[1].runId;
    const pool = new LocalPool({
      workers: 2,
      backend: 'wasm',
      runsDir: null,
      context: { backend: 'wasm', tfjsVersion: '4.22.0', commit: gitCommit(), machine: machineInfo() },
      env: { VANILLABENCH_TEST_CRASH_RUNS: victim },
    });
    const records: RunRecord[] = [];
    const events: ExecutorEvent[] = [];
    await pool.run(
      runs,
      (r) => records.push(r),
      (ev) => events.push(ev),
    );
    expect(records).toHaveLength(4);
    expect(records.map((r) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
    const failed = records.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.runId)).toEqual([victim]);
    expect(failed[0].message).toMatch(/worker process was killed by SIGKILL during the run/);
    expect(records.filter((r) => r.status === 'ok')).toHaveLength(3);
    expect(events.some((ev) => ev.kind === 'worker' && ev.state === 'died')).toBe(true);
    expect(events.filter((ev) => ev.kind === 'worker' && ev.state === 'starting').length).toBe(3);
  });

  it('a worker on another backend than the coordinator selected stops the pool before any run', async () => {
    const e = await loadExperiment(path.join(ROOT, 'experiments/smoke.ts'));
    const runs = expandExperiment(applyPreset(e, 'test')).runs;
    const pool = new LocalPool({
      workers: 1,
      backend: 'wasm',
      runsDir: null,
      context: { backend: 'wasm', tfjsVersion: '4.22.0', commit: gitCommit(), machine: machineInfo() },
      env: backendEnv('cpu'),
    });
    const records: RunRecord[] = [];
    await expect(pool.run(runs, (r) => records.push(r))).rejects.toThrow(/a pool worker runs backend cpu, the matrix asks for wasm/);
    expect(records).toEqual([]);
  });
});
