/**
 * `latency --runtimes`: every runtime of a study measured in one run (one run id, one file per runtime), and
 * tfjs-wasm's multi-threaded build in Node (`--backend wasm --threads N`). Tiny models, few samples.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineSlug, readLatencyFile } from '../../src/results/latencyFile.js';
import { machineInfo } from '../../src/util/provenance.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { failureReason } from '../../src/bench/latencyStudy.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
const TINY = ['--models', 'vanillanet-5,resnet-18', '--input', '32', '--width', '0.0625', '--min-time-ms', '0', '--min-samples', '3'];
const FAST = ['--warmup-runs', '1', '--warmup-ms', '0'];
let tmp: string;

beforeAll(() => {
  ensureBuilt(['dist/src/cli.js', 'dist/src/commands/latency.js']);
  tmp = mkdtempSync(path.join(tmpdir(), 'vb-latency-study-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();

describe('tfjs-wasm with several threads in Node', () => {
  it('--backend wasm --threads 2 runs the threaded build with 2 XNNPACK threads and stores the count', () => {
    const out = path.join(tmp, 'threads');
    const r = cli('latency', ...TINY, ...FAST, '--form', 'deploy', '--backend', 'wasm', '--threads', '2', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { backend: { threadCount: number }; file: string };
    expect(doc.backend.threadCount).toBe(2);
    expect(path.basename(doc.file)).toMatch(/^wasm-2t-/);
    const data = readLatencyFile(doc.file)!;
    expect(data.rows.every((x) => x.status === 'ok' && x.threads === 2)).toBe(true);
  });
});

describe('latency --rounds', () => {
  it("passes over the model list several times and pools each form's samples, the first probe kept", () => {
    const out = path.join(tmp, 'rounds');
    const r = cli('latency', ...TINY, ...FAST, '--form', 'deploy', '--backend', 'wasm', '--rounds', '2', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[4\/4\] resnet-18 deploy \(round 2\/2\): .*over the rounds: mean [\d.]+ ms, ±[\d.]+% \(6 samples\)/);
    const doc = JSON.parse(r.stdout) as { file: string };
    const data = readLatencyFile(doc.file)!;
    for (const row of data.rows) {
      expect(row.rounds).toBe(2);
      expect(row.samples).toBe(6); // 3 per round
      expect(row.samplesMs).toHaveLength(6);
      expect(row.warmupRuns).toBe(2); // 1 per round
    }
    expect(data.runs[0].command).toMatch(/--rounds 2/);
  });
});

describe('latency --runtimes: one run, every runtime', () => {
  it('measures each runtime in its own process under one run id, and records what became of each', () => {
    const out = path.join(tmp, 'study');
    const r = cli('latency', ...TINY, ...FAST, '--runtimes', 'wasm,onnxruntime:1,tensorflow', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const files = jsonFiles(out);
    const runtimeOf = (f: string) => f.slice(0, f.indexOf(`-${machineSlug(machineInfo())}-`));
    expect(files.map(runtimeOf)).toEqual(['onnxruntime-1t', 'wasm']);
    const data = files.map((f) => readLatencyFile(path.join(out, f))!);
    const ids = data.map((d) => d.runs[0].runId);
    expect(ids[0]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(ids[1]).toBe(ids[0]);
    for (const d of data) {
      const study = d.runs[0].study!;
      expect(study.runtimes.map((x) => x.id)).toEqual(['wasm', 'onnxruntime-1t', 'tensorflow']);
      expect(study.runtimes.find((x) => x.id === 'tensorflow')!.status).toBe('failed');
      expect(study.runtimes.find((x) => x.id === 'tensorflow')!.reason).toMatch(/tensorflow is not available/);
    }
    for (const d of data) expect(d.rows.filter((x) => x.status === 'ok').every((x) => x.threads === 1)).toBe(true);
    expect(data[1].rows.filter((x) => x.status === 'ok')).toHaveLength(4); // wasm: both forms of both models
    expect(r.stdout).toMatch(/vanillanet-5/);
    expect(r.stdout).toMatch(/tensorflow: failed/);
  });

  it('refuses --backend, --runtime or --threads beside --runtimes, and an unknown runtime, in one line', () => {
    for (const extra of [
      ['--backend', 'wasm'],
      ['--threads', '2'],
    ]) {
      const r = cli('latency', ...TINY, '--runtimes', 'wasm', ...extra, '--out', path.join(tmp, 'x'));
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--runtimes/);
    }
    const bad = cli('latency', ...TINY, '--runtimes', 'wasm,webgl', '--out', path.join(tmp, 'x'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/webgl.*wasm:N/);
  });
});

describe("a study runtime's failure reason", () => {
  it("names a crash by its first JavaScript error, not Node's closing version line", () => {
    // the stderr of tfjs-wasm on 2 threads running out of its heap (a study of Table 4)
    const crash = [
      '[wasm-2t] [21/60] vanillanet-13-1.5x-adapool deploy (round 1/2): mean 4412.48 ms',
      'vanillabench latency: internal error (a bug, please report it):',
      'RuntimeError: memory access out of bounds',
      '    at wasm://wasm/001a96ee:wasm-function[529]:0x5bbdf',
      'worker sent an error! undefined:undefined: memory access out of bounds',
      '',
      'Error [RuntimeError]: memory access out of bounds',
      'Node.js v20.20.2',
    ];
    expect(failureReason(crash, 7)).toBe('crashed: RuntimeError: memory access out of bounds');
    expect(failureReason(['vanillabench: tensorflow is not available here (no tfjs-node)'], 1)).toBe('tensorflow is not available here (no tfjs-node)');
    expect(failureReason([], 1)).toBe('exit status 1');
  });
});
