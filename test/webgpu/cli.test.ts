/**
 * The commands on a real WebGPU device (./support.ts), as a user runs them: the quiet backend probe under `auto`
 * and `--backend webgpu` (one line, Dawn's output only with --verbose, one-line failure); `latency --backend webgpu`
 * writing a file that says software adapter when it is one, and the report keeping such figures out of its GPU
 * section; `ablate experiments/smoke.ts` on webgpu through the worker pool. GPU kernels forced, tiny sizes.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuns } from '../../src/ablation/store.js';
import { formatLatencyJson, readLatencyFile, type LatencyFile } from '../../src/results/latencyFile.js';
import { buildReport } from '../../src/report/report.js';
import { ensureBuilt } from '../support/build.js';
import { runCli } from '../support/cli.js';
import { webgpuDevice } from './support.js';

const device = await webgpuDevice();
const tmp = mkdtempSync(path.join(tmpdir(), 'vb-webgpu-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SMALL = ['--models', 'vanillanet-5', '--width', '0.0625', '--input', '32'];
/** stderr lines without the command's own result lines (verify-reparam prints one per model) */
const backendLines = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !/^vanillanet-5: maxRelErr/.test(l));
const DAWN = /Warning:|maxDynamic|XDG_RUNTIME_DIR|Vulkan|dawn/i;

describe.runIf(device)('the commands on webgpu', () => {
  beforeAll(() => ensureBuilt(['dist/src/cli.js', 'dist/src/ablation/poolWorker.js', 'dist/experiments/smoke.js']), 120_000);

  it('auto prints one backend line and nothing of Dawn; --verbose shows the backends tried and what Dawn said', async () => {
    const r = await runCli(['verify-reparam', ...SMALL]);
    expect(r.code).toBe(0);
    const lines = backendLines(r.stderr);
    expect(lines).toHaveLength(1);
    if (device!.software) {
      expect(lines[0]).toMatch(/^backend (wasm|tensorflow) \(.*\), tfjs \S+ - auto: no GPU backend \(.*webgpu: only a software adapter/);
      expect(lines[0]).not.toMatch(DAWN);
    } else {
      expect(lines[0]).toMatch(/^backend webgpu \(.*\), tfjs \S+ - auto: a GPU through WebGPU$/);
    }

    const v = await runCli(['verify-reparam', ...SMALL, '--verbose']);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/^backend: trying webgpu$/m);
    expect(v.stderr).toMatch(/^backend: webgpu adapter probe took \d+ ms$/m);
    if (device!.software) {
      expect(v.stderr).toMatch(/^backend: skipped webgpu: only a software adapter/m);
      // lavapipe's limits, as Dawn reports them for this device
      expect(v.stderr).toMatch(/^backend: dawn: Warning: maxDynamic\w+ artificially reduced/m);
    }
    expect(v.stderr).not.toMatch(/^Warning:/m);
  });

  it('--backend webgpu: one line naming the adapter; without a usable Vulkan device, a one-line error', async () => {
    // stderr as a shell's `2>>file` (or a terminal, or a pipe): where the in-process Dawn's own output can be
    // captured; a socket's cannot (src/util/nativeStderr.ts)
    const r = await runCli(['verify-reparam', ...SMALL, '--backend', 'webgpu'], { stderrFile: path.join(tmp, 'explicit.err') });
    expect(r.code).toBe(0);
    const lines = backendLines(r.stderr);
    expect(lines).toEqual([expect.stringMatching(device!.software ? / - as asked; a software adapter, not a GPU$/ : / - as asked$/)]);
    expect(lines[0]).toContain(device!.name);
    expect(lines[0].replace(device!.name, '').replace(device!.description, '')).not.toMatch(DAWN);
    expect(r.stdout).toMatch(/^vanillanet-5 +- +\S+ +\S+ +2000$/m);

    // the Vulkan loader finds no driver at all: Dawn has no adapter to offer
    const icd = path.join(tmp, 'no-such-driver.json');
    const env = { ...process.env, VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd };
    const bad = await runCli(['verify-reparam', ...SMALL, '--backend', 'webgpu'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^vanillabench: backend webgpu is not available: no WebGPU adapter found \(Dawn\/Vulkan\): .*--verbose/),
    ]);
    const auto = await runCli(['verify-reparam', ...SMALL], { env });
    expect(backendLines(auto.stderr)).toEqual([expect.stringMatching(/ - auto: no GPU backend \(.*webgpu: no adapter/)]);
  });

  it('latency --backend webgpu writes a file that names the adapter (and says software adapter on one); the report keeps it out of the GPU figures', async () => {
    const out = path.join(tmp, 'latency');
    const r = await runCli([
      'latency',
      '--backend',
      'webgpu',
      ...SMALL,
      '--form',
      'both',
      '--min-samples',
      '3',
      '--min-time-ms',
      '1',
      '--warmup-runs',
      '1',
      '--warmup-ms',
      '0',
      '--out',
      out,
      '--merge',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(device!.software ? /^webgpu-.+-software\.json$/ : /^webgpu-.+\.json$/);
    const data = readLatencyFile(path.join(out, files[0]))!;
    expect(data.backend).toBe('webgpu');
    expect(data.adapter).toEqual(device);
    expect(data.runs.at(-1)!.adapter).toEqual(device);
    expect(data.rows.map((x) => `${x.model}/${x.form}/${x.status}`)).toEqual(['vanillanet-5/deploy/ok', 'vanillanet-5/train/ok']);
    for (const x of data.rows) expect(x.meanMs).toBeGreaterThan(0);
    const csv = readFileSync(path.join(out, files[0].replace(/\.json$/, '.csv')), 'utf8');
    if (device!.software) expect(csv).toContain('(software adapter, not a GPU)');

    // the same figures as if taken at the paper's setting, so that only the adapter decides what the report does
    const atPaperSetting = (adapter: LatencyFile['adapter']): LatencyFile => ({
      ...data,
      adapter,
      runs: data.runs.map((run) => ({ ...run, adapter })),
      rows: data.rows.map((x) => ({ ...x, inputSize: 224, width: 1 })),
    });
    const report = async (file: LatencyFile): Promise<string> => {
      const d = mkdtempSync(path.join(tmp, 'results-'));
      mkdirSync(path.join(d, 'latency'));
      writeFileSync(path.join(d, 'latency', files[0]), formatLatencyJson(file));
      await buildReport({ resultsDir: d, now: new Date('2026-01-02T00:00:00Z') });
      const md = readFileSync(path.join(d, 'REPORT.md'), 'utf8');
      const at = md.indexOf('## GPU latency');
      return at < 0 ? '' : md.slice(at, md.indexOf('\n## ', at + 1));
    };
    const software = await report(atPaperSetting({ ...device!, software: true }));
    expect(software).toContain('Nothing measured on a GPU yet.');
    expect(software).toContain(`\`${files[0]}\`: webgpu on ${device!.name}`);
    expect(software).toContain('a software adapter (Vulkan on the CPU), not a GPU');
    expect(software).not.toContain('| model |');
    // the control: the same file from a hardware adapter is a GPU figure
    const hardware = await report(atPaperSetting({ ...device!, software: false }));
    expect(hardware).toContain(`deploy ms (ours, webgpu on ${device!.name})`);
    expect(hardware).not.toContain('software adapter');
  });

  it('ablate experiments/smoke.ts on webgpu through the worker pool: ok records that name the adapter', async () => {
    const out = path.join(tmp, 'ablate');
    const r = await runCli(
      ['ablate', 'experiments/smoke.ts', '--preset', 'test', '--max-seeds', '1', '--workers', '1', '--backend', 'webgpu', '--out', out, '--json'],
      { stderrFile: path.join(tmp, 'ablate.err') },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).runs).toEqual({ ok: 2, diverged: 0, failed: 0, skipped: 0 });
    expect(r.stderr).not.toMatch(/^Warning:/m);
    expect(r.stderr).toMatch(/^backend webgpu \(.*\), tfjs \S+ - as asked/m);
    const recs = readRuns(path.join(out, 'runs.jsonl')).records;
    expect(recs).toHaveLength(2);
    for (const x of recs) {
      expect(x).toMatchObject({ status: 'ok', backend: 'webgpu', adapter: device });
      // 10 classes: a model that learned nothing scores about 10
      expect(x.valTop1).toBeGreaterThan(30);
      expect(x.deployValTop1).toBeGreaterThan(30);
    }
  });
});
