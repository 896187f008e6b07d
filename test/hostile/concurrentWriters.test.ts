/**
 * Issue 28 item 2: safe under concurrency. Two `latency` runs started in the same second never write one file;
 * concurrent `--merge` runs keep each other's rows (each write re-reads the file under its lock); a merge target
 * whose run list is damaged is refused before anything is measured; the lock itself survives stale and hostile
 * lock files. Writers are real processes started together.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latencyFileName, readLatencyFile } from '../../src/results/latencyFile.js';
import { lockFileFor, tryLock, unlock, withLock } from '../../src/util/fileLock.js';
import { UserError } from '../../src/util/errors.js';
import { machineInfo } from '../../src/util/provenance.js';
import { ensureBuilt, ROOT } from '../support/build.js';
import { runCli, type CliResult } from '../support/cli.js';
import { QUICK_LATENCY } from './latencyFlags.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-conc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const COMMITTED = path.join(ROOT, 'test/fixtures/latency/wasm-two-runs.json');
const QUICK = QUICK_LATENCY;

beforeAll(() => ensureBuilt(['dist/src/cli.js', 'dist/src/commands/latency.js', 'dist/src/util/fileLock.js']));

/** A node script (ESM, importing dist/) in a child; resolves with its stdout. */
function script(code: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (c) => resolve({ code: c, stdout, stderr }));
  });
}
const dist = (m: string) => JSON.stringify(path.join(ROOT, 'dist', m));

const cleanExit = (r: CliResult) => {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
};

describe('latency run files are reserved exclusively', () => {
  it('8 processes reserving a run file for the same run id (same second) each get their own, and write it', async () => {
    const dir = path.join(tmp, 'reserve');
    mkdirSync(dir);
    const base = path.join(dir, 'wasm-m-2c.json');
    const code = `
      const { reserveRunFile } = await import(${dist('src/results/latencyRun.js')});
      const { writeFileSync } = await import('node:fs');
      const at = Number(process.argv[2]);
      while (Date.now() < at) {}
      const { file, release } = reserveRunFile(process.argv[1], '20990101T000000Z');
      writeFileSync(file, '{}');
      release();
      process.stdout.write(file);`;
    const at = String(Date.now() + 800);
    const out = await Promise.all(Array.from({ length: 8 }, () => script(code, base, at)));
    const files = out.map((o) => o.stdout);
    expect(
      out.every((o) => o.code === 0),
      out.map((o) => o.stderr).join('\n'),
    ).toBe(true);
    expect(new Set(files).size).toBe(8);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(8);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('two `latency` runs into one --out at the same time: two files, each named in its own output', async () => {
    const out = path.join(tmp, 'two');
    mkdirSync(out);
    const [a, b] = await Promise.all([
      runCli(['latency', '--models', 'vanillanet-5', ...QUICK, '--out', out]),
      runCli(['latency', '--models', 'vanillanet-5', ...QUICK, '--out', out]),
    ]);
    cleanExit(a);
    cleanExit(b);
    const wrote = (r: CliResult) => /latency: wrote (\S+\.json)/.exec(r.stderr)?.[1];
    expect(wrote(a)).toBeDefined();
    expect(wrote(a)).not.toBe(wrote(b));
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(2);
    for (const f of files) expect(readLatencyFile(path.join(out, f))!.rows).toHaveLength(1);
  });
});

describe('--merge re-reads and writes under the lock', () => {
  it('two concurrent `latency --merge` runs into one file both keep their rows', async () => {
    const out = path.join(tmp, 'merge');
    mkdirSync(out);
    const held = path.join(out, latencyFileName('wasm', machineInfo()));
    copyFileSync(COMMITTED, held);
    const before = readLatencyFile(held)!.rows.length;
    const [a, b] = await Promise.all([
      runCli(['latency', '--models', 'vanillanet-5,vanillanet-6', ...QUICK, '--merge', '--out', out]),
      runCli(['latency', '--models', 'vanillanet-7,vanillanet-8', ...QUICK, '--merge', '--out', out]),
    ]);
    cleanExit(a);
    cleanExit(b);
    const data = readLatencyFile(held)!;
    const at32 = data.rows.filter((r) => r.inputSize === 32).map((r) => r.model);
    expect(at32.sort()).toEqual(['vanillanet-5', 'vanillanet-6', 'vanillanet-7', 'vanillanet-8']);
    expect(data.rows.length).toBe(before + 4);
    // each run's provenance once, every row naming a run that exists
    const ids = data.runs.map((r) => r.runId).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(data.rows.every((r) => data.runs[r.run] !== undefined)).toBe(true);
  });

  it('12 processes merging rows into one file at once: none is lost', async () => {
    const dir = path.join(tmp, 'merge12');
    mkdirSync(dir);
    const file = path.join(dir, 'wasm-m-2c.json');
    const code = `
      const { mergeIntoLatencyFile } = await import(${dist('src/results/latencyFile.js')});
      const k = Number(process.argv[2]);
      const machine = { cpuModel: 'm', cores: 2, memoryGiB: 8, platform: 'linux-x64', node: 'v20', hostname: 'h' };
      const run = { command: 'x', commit: null, dirty: null, backend: 'wasm', tfjsVersion: '4', kernels: 'ours', machine, date: 'd', seed: 0, runId: 'run' + k };
      for (let i = 0; i < 5; i++) {
        const row = { model: 'm' + k + '-' + i, form: 'deploy', status: 'ok', inputSize: 32, batch: 1, width: 1, depth: 1, paramsM: 1, gmacs: 1, paper: null, meanMs: 1 };
        mergeIntoLatencyFile(process.argv[1], 'wasm', machine, run, [row]);
      }`;
    const out = await Promise.all(Array.from({ length: 12 }, (_, k) => script(code, file, String(k))));
    expect(
      out.every((o) => o.code === 0),
      out.map((o) => o.stderr).join('\n'),
    ).toBe(true);
    const data = readLatencyFile(file)!;
    expect(data.rows).toHaveLength(60);
    expect(data.runs).toHaveLength(12);
  });

  it('a merge target with a damaged run list (a null run, a row naming a missing run) is refused before measuring, unchanged', async () => {
    const good = JSON.parse(readFileSync(COMMITTED, 'utf8')) as { runs: unknown[]; rows: { run: number }[] };
    const variants: [string, unknown][] = [
      ['a null run', { ...good, runs: [...good.runs, null] }],
      ['a row naming run 99', { ...good, rows: good.rows.map((r, i) => (i === 0 ? { ...r, run: 99 } : r)) }],
      ['a row naming run -1', { ...good, rows: good.rows.map((r, i) => (i === 0 ? { ...r, run: -1 } : r)) }],
      ['a row naming run 0.5', { ...good, rows: good.rows.map((r, i) => (i === 0 ? { ...r, run: 0.5 } : r)) }],
      ['runs: "x"', { ...good, runs: 'x' }],
      ['a meanMs of -3', { ...good, rows: good.rows.map((r, i) => (i === 0 ? { ...r, meanMs: -3 } : r)) }],
      ['samplesMs: "x"', { ...good, rows: good.rows.map((r, i) => (i === 0 ? { ...r, samplesMs: 'x' } : r)) }],
    ];
    for (const [what, v] of variants) {
      const out = path.join(tmp, `damaged-${what.replace(/\W+/g, '-')}`);
      mkdirSync(out);
      const held = path.join(out, latencyFileName('wasm', machineInfo()));
      writeFileSync(held, JSON.stringify(v));
      expect(() => readLatencyFile(held), what).toThrow(UserError);
      if (what === 'a null run') {
        const r = await runCli(['latency', '--models', 'vanillanet-5', ...QUICK, '--merge', '--out', out]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/corrupt latency results file .*run \d+ is null/);
        expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
        expect(readFileSync(held, 'utf8')).toBe(JSON.stringify(v));
      }
    }
  });
});

describe('a run folder has one writer', () => {
  it('a run into a folder another live process is writing fails saying so; a stale claim is taken over', async () => {
    const { executeRun } = await import('../../src/ablation/executor.js');
    const toggles = { deepTraining: false, seriesAct: false, shortcut: 'none' as const, actNum: 3, width: 1 / 32, stem: 'imagenet' as const };
    const run = {
      runId: '0123456789abcdef',
      experiment: 'x',
      preset: 'p',
      seed: 1,
      cell: { id: 'c0', index: 0, entry: 0, model: 'vanillanet-5', label: 'VanillaNet-5', factors: {}, baseline: {}, toggles },
      spec: {
        model: 'vanillanet-5',
        modelOptions: { width: 1 / 32 },
        data: { name: 'synthetic', trainSize: 32, testSize: 16, inputSize: 32 },
        train: { epochs: 1, batchSize: 16 },
        seed: 1,
      },
    };
    const ctx = {
      backend: 'wasm',
      tfjsVersion: '4.22.0',
      commit: null,
      machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, platform: 'linux', node: 'v20', hostname: 'h' },
    };
    const out = path.join(tmp, 'runfolder');
    mkdirSync(out);
    writeFileSync(path.join(out, '.lock'), `${process.ppid}\n`);
    const r = await executeRun(run, out, ctx);
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(new RegExp(`the run folder .*runfolder is being written by process ${process.ppid}`));
    expect(readdirSync(out)).toEqual(['.lock']);
    writeFileSync(path.join(out, '.lock'), '999999999\n');
    const again = await executeRun(run, out, ctx);
    expect(again.status, again.message).toBe('ok');
    expect(readdirSync(out).sort()).toEqual(['deploy', 'metrics.jsonl', 'summary.json']);
  });
});

describe('the lock file', () => {
  it('a live holder makes a writer wait, then refuse in one line naming the holder', () => {
    const lock = path.join(tmp, 'live.lock');
    writeFileSync(lock, `${process.ppid}\n`);
    const t0 = Date.now();
    expect(() => withLock(lock, 'the file', () => 1, 300)).toThrow(new RegExp(`locked by process ${process.ppid}`));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });
  it('a stale lock (dead pid), an empty one and one of garbage are taken over', () => {
    for (const content of ['999999999\n', '', 'garbage']) {
      const lock = path.join(tmp, `stale-${content.length}.lock`);
      writeFileSync(lock, content);
      expect(withLock(lock, 'the file', () => 'done', 1000)).toBe('done');
      expect(readdirSync(tmp).filter((f) => f.startsWith(`stale-${content.length}`))).toEqual([]);
    }
  });
  it('a folder in the place of the lock is refused in one line', () => {
    const lock = path.join(tmp, 'dir.lock');
    mkdirSync(lock);
    expect(() => tryLock(lock)).toThrow(/dir\.lock is in the place of a lock file but is not a regular file: remove it/);
  });
  it('8 processes taking over one stale lock at once: exactly one holds it', async () => {
    const lock = path.join(tmp, 'race.lock');
    writeFileSync(lock, '999999999\n');
    const code = `
      const { tryLock } = await import(${dist('src/util/fileLock.js')});
      const at = Number(process.argv[2]);
      while (Date.now() < at) {}
      const owner = tryLock(process.argv[1]);
      process.stdout.write(owner === null ? 'held' : 'busy');
      await new Promise((r) => setTimeout(r, 800));`;
    const at = String(Date.now() + 800);
    const out = await Promise.all(Array.from({ length: 8 }, () => script(code, lock, at)));
    expect(
      out.map((o) => o.stdout).filter((s) => s === 'held'),
      out.map((o) => o.stderr).join('\n'),
    ).toHaveLength(1);
  });
  it('the lock of a file is hidden beside it, and released', () => {
    const f = path.join(tmp, 'x', 'a.json');
    expect(lockFileFor(f)).toBe(path.join(tmp, 'x', '.a.json.lock'));
    mkdirSync(path.dirname(f));
    expect(tryLock(lockFileFor(f))).toBeNull();
    unlock(lockFileFor(f));
    expect(readdirSync(path.dirname(f))).toEqual([]);
  });
});
