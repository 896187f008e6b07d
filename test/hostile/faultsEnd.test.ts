/**
 * Issue 28 item 6: faults end. Redis lost mid-matrix: the coordinator stops after its --queue-timeout, the state
 * resumable (store intact, lock released). A hung reference trainer dies with `ablate` (SIGINT) and with
 * `crosscheck`. Every command that writes checks its output path before any work: an existing file, a path under
 * a file, empty, too long, /proc, /sys, /dev; one line each, never a stack trace or a hang.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns } from '../../src/ablation/store.js';
import { checkOutputDir, checkOutputFile } from '../../src/util/outputDir.js';
import { UserError } from '../../src/util/errors.js';
import { Cli, redisServerPath, startRedis } from '../queue/helpers.js';
import { ensureBuilt } from '../support/build.js';
import { runCli, type CliResult } from '../support/cli.js';
import { alive } from '../support/process.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vb-hostile-faults-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const AFILE = path.join(tmp, 'a-file');
writeFileSync(AFILE, 'x');
const LONG = path.join(tmp, 'n'.repeat(300));

beforeAll(() => ensureBuilt(['dist/src/cli.js', 'dist/src/ablation/poolWorker.js', 'dist/src/queue/processor.js', 'dist/experiments/smoke.js']));

const oneLine = (r: CliResult, message: RegExp) => {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
};
const waitFor = async (cond: () => boolean, ms: number) => {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
};

/** A fake Python: answers the probe; any run writes its pid to $FAKE_PIDFILE and hangs (no PyTorch, no pdeathsig). */
const HUNG = path.join(tmp, 'hung-python');
writeFileSync(
  HUNG,
  `#!/bin/sh
if [ "$2" = "--probe" ]; then echo '{"python":"3.11.2","torch":"1.13.0","numpy":"1.24.2"}'; exit 0; fi
echo $$ > "$FAKE_PIDFILE"
exec sleep 600
`,
);
chmodSync(HUNG, 0o755);

describe('a hung reference trainer dies with its parent', () => {
  it('ablate --engine torch, SIGINT while the reference hangs: the reference is gone, the store resumable', async () => {
    const pidfile = path.join(tmp, 'ablate.pid');
    const out = path.join(tmp, 'torch-out');
    const c = new Cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--engine', 'torch', '--python', HUNG, '--workers', '1', '--out', out], {
      FAKE_PIDFILE: pidfile,
    });
    expect(await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim() !== '', 60_000), c.stderr).toBe(true);
    const pid = Number(readFileSync(pidfile, 'utf8'));
    expect(alive(pid)).toBe(true);
    c.kill('SIGINT');
    const r = await c.result();
    expect(r.code).toBe(130);
    expect(await waitFor(() => !alive(pid), 5000), `the hung reference ${pid} survived`).toBe(true);
    expect(existsSync(path.join(out, '.lock'))).toBe(false);
    expect(r.stderr).toMatch(/continue with --resume/);
  }, 90_000);

  it('crosscheck, SIGINT while the reference hangs: the reference is gone', async () => {
    const pidfile = path.join(tmp, 'crosscheck.pid');
    const c = new Cli(['crosscheck', '--python', HUNG, '--model', 'vanillanet-5', '--steps', '2', '--train-size', '32', '--batch-size', '16', '--no-resync'], {
      FAKE_PIDFILE: pidfile,
    });
    expect(await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim() !== '', 60_000), c.stderr).toBe(true);
    const pid = Number(readFileSync(pidfile, 'utf8'));
    c.kill('SIGINT');
    const r = await c.result();
    expect(r.signal === 'SIGINT' || r.code === 130, JSON.stringify(r)).toBe(true);
    expect(await waitFor(() => !alive(pid), 5000), `the hung reference ${pid} survived`).toBe(true);
  }, 90_000);
});

describe.skipIf(!redisServerPath())('Redis lost mid-matrix', () => {
  it('the coordinator stops after --queue-timeout in one line; the store is intact and resumable', async () => {
    const redis = await startRedis();
    const out = path.join(tmp, 'queue-out');
    const c = new Cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--queue', redis.url, '--queue-timeout', '4', '--backend', 'wasm', '--out', out]);
    let stopped = false;
    try {
      await c.waitFor(/runs? enqueued/, 60_000);
      stopped = true;
      await redis.stop(); // SIGKILL: gone mid-matrix, no workers had started
      const t0 = Date.now();
      const r = await c.result();
      const secs = (Date.now() - t0) / 1000;
      oneLine(
        { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr },
        /has not answered for \d+s \(--queue-timeout 4\).*rerun this command with --resume/,
      );
      expect(secs).toBeLessThan(30);
      expect(existsSync(path.join(out, '.lock'))).toBe(false);
      expect(readRuns(path.join(out, 'runs.jsonl')).records).toEqual([]);
    } finally {
      c.kill('SIGKILL');
      if (!stopped) await redis.stop();
    }
  }, 120_000);
});

describe('every command that writes checks its output path before any work', () => {
  const KINDS: [string, string, RegExp][] = [
    ['an existing file', AFILE, /is a file, not a folder|is not a folder/],
    ['a path under a file', path.join(AFILE, 'x'), /is not a folder/],
    ['empty', '', /is empty/],
    ['a 300-character name', LONG, /is 300 bytes long; a file name has at most 255/],
    ['a path of 5000 bytes', `/tmp/${'d/'.repeat(2500)}`, /too long \(\d+ bytes as a full path; at most 4095\)/],
    ['/proc/x', '/proc/x', /virtual file system/],
    ['/sys/x', '/sys/x', /virtual file system/],
    ['/dev/x', '/dev/x', /virtual file system/],
    ['a NUL in the name', 'a\u0000b', /NUL/],
  ];
  it.each(KINDS)('checkOutputDir: %s', (_what, p, message) => {
    expect(() => checkOutputDir(p)).toThrow(UserError);
    expect(() => checkOutputDir(p)).toThrow(message);
  });
  it.each([
    ['a folder where the file should be', tmp, /exists and is not a regular file/],
    ['a file under a file', path.join(AFILE, 'm.onnx'), /not a folder/],
    ['a 300-character name', `${LONG}.onnx`, /a file name has at most 255/],
    ['/proc/m.onnx', '/proc/m.onnx', /virtual file system/],
  ] as const)('checkOutputFile: %s', (_what, p, message) => {
    expect(() => checkOutputFile(p)).toThrow(message);
  });

  /** each writing command with one output path: [name, args] */
  const COMMANDS: [string, (out: string) => string[]][] = [
    ['train', (o) => ['train', '--model', 'vanillanet-5', '--dataset', 'synthetic', '--backend', 'cpu', '--out', o]],
    ['ablate', (o) => ['ablate', 'experiments/smoke.ts', '--preset', 'test', '--backend', 'cpu', '--out', o]],
    ['latency', (o) => ['latency', '--models', 'vanillanet-5', '--backend', 'cpu', '--out', o]],
    ['export', (o) => ['export', 'vanillanet-5', o, '--backend', 'cpu']],
    ['export-onnx', (o) => ['export-onnx', 'vanillanet-5', `${o}.onnx`, '--backend', 'cpu']],
    ['import', (o) => ['import', path.join(tmp, 'missing.pth'), '--model', 'vanillanet-5', '--out', o]],
    ['crosscheck', (o) => ['crosscheck', '--python', HUNG, '--out', o]],
    ['report', (o) => ['report', '--out', o]],
    ['worker', (o) => ['worker', '--queue', 'redis://127.0.0.1:9', '--runs-dir', o]],
  ];
  // one kind per command through the CLI, taking turns (every kind in-process above); run 3 at a time
  it('through the CLI: a 300-character name, /proc/x or a path under a file for each, one line, at once', async () => {
    const runs: { name: string; p: Promise<CliResult>; message: RegExp }[] = [];
    const pending: (() => void)[] = [];
    const kinds = [
      [LONG, /a file name has at most 255/],
      ['/proc/x', /virtual file system/],
      [path.join(AFILE, 'x'), /not a folder/],
    ] as const;
    COMMANDS.forEach(([name, args], i) => {
      const [out, message] = kinds[i % kinds.length];
      runs.push({ name: `${name} ${out.slice(0, 30)}`, message, p: new Promise((resolve) => pending.push(() => void runCli(args(out)).then(resolve))) });
    });
    for (let i = 0; i < pending.length; i += 3) {
      pending.slice(i, i + 3).forEach((start) => start());
      await Promise.all(runs.slice(i, i + 3).map((r) => r.p));
    }
    for (const r of runs) {
      const res = await r.p;
      expect(res.code, `${r.name}: ${res.stderr}`).toBe(1);
      expect(res.stderr, r.name).toMatch(r.message);
      expect(res.stderr, r.name).not.toMatch(/\n\s+at |internal error/);
    }
  }, 180_000);
  it('ablate --out "" and export into a 300-character name (the issue\'s cases) are one line each', async () => {
    oneLine(await runCli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', '']), /--out is empty/);
    oneLine(await runCli(['export', 'vanillanet-5', path.join(tmp, 'x'.repeat(300)), '--backend', 'cpu']), /a file name has at most 255/);
    expect(existsSync(path.join(tmp, 'x'.repeat(200)))).toBe(false);
  });
});

// a looping link as the output folder
describe('a looping link where the output folder should be', () => {
  it('is refused in one line', () => {
    const loop = path.join(tmp, 'loop');
    execFileSync('ln', ['-s', loop, loop]);
    mkdirSync(path.join(tmp, 'ok'));
    expect(() => checkOutputDir(loop)).toThrow(/cannot use it \(ELOOP/);
  });
});
