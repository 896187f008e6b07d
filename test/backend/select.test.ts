/**
 * Backend selection on this machine (no tfjs-node: its install needs network
 * access), provenance, and the CLI's handling of unknown commands.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, NODE_PACKAGES, backendSummary, selectBackend } from '../../src/backend/select.js';
import { probeAdapter, vulkanLoaderFound } from '../../src/backend/webgpu.js';
import { UserError } from '../../src/util/errors.js';
import { installed } from '../support/installed.js';
import { cpuIdOf, machineInfo, runProvenance } from '../../src/util/provenance.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const tfjsNodeInstalled = NODE_PACKAGES.some(installed);
// a machine where webgpu could offer auto a GPU (a hardware adapter), unlike no Vulkan or only lavapipe
const hardwareGpu =
  vulkanLoaderFound() === true &&
  (await probeAdapter().then(
    (p) => !p.adapter.software,
    () => false,
  ));

describe('selectBackend', () => {
  // where a GPU is, auto takes it through webgpu
  it.skipIf(tfjsNodeInstalled || hardwareGpu)('auto falls back past tfjs-node-gpu, webgpu and tfjs-node to wasm, with our kernels', async () => {
    const lines: string[] = [];
    const info = await selectBackend('auto', { log: (s) => lines.push(s), verbose: true });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.requested).toBe('auto');
    expect(info.tfjsVersion).toBe('4.22.0');
    expect(info.package).toBeUndefined();
    // tfjs-node-gpu, then webgpu (a GPU beats libtensorflow on the CPU), then tfjs-node
    expect(info.fallbackReasons).toHaveLength(3);
    expect(info.fallbackReasons[0]).toMatch(/^@tensorflow\/tfjs-node-gpu: /);
    expect(info.fallbackReasons[1]).toMatch(/^webgpu: /);
    expect(info.fallbackReasons[2]).toMatch(/^@tensorflow\/tfjs-node: /);
    expect(info.kernels).toBe('ours');
    expect(info.registeredKernels).toContain('Conv2DBackpropFilter');
    expect(typeof info.simd).toBe('boolean');
    expect(backendSummary(info)).toMatch(/^backend wasm \((no )?simd, \d+ threads?, our gradient kernels\), tfjs 4\.22\.0$/);
    expect(lines.some((l) => l.includes('skipped @tensorflow/tfjs-node-gpu'))).toBe(true);
    expect(lines.at(-1)).toBe(`${backendSummary(info)} - ${info.why}`);
    expect(info.why).toMatch(
      /^auto: no GPU backend \(tfjs-node-gpu: not installed; webgpu: (no Vulkan loader|no adapter|only a software adapter|not installed|failed)\)$/,
    );
    const quiet: string[] = [];
    await selectBackend('auto', { log: (s) => quiet.push(s), verbose: false });
    expect(quiet).toEqual([lines.at(-1)]);
    expect(tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0])).toBe(3);
  });

  it('cpu works, with or without our kernels', async () => {
    const info = await selectBackend('cpu');
    expect(info).toMatchObject({ name: 'cpu', requested: 'cpu', kernels: 'ours', fallbackReasons: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.tidy(() => tf.mul(tf.scalar(2), tf.scalar(3)).dataSync()[0])).toBe(6);
    const stock = await selectBackend('cpu', { ourKernels: false });
    expect(stock.kernels).toBe('stock');
    expect(stock.registeredKernels).toEqual([]);
    expect(backendSummary(stock)).toBe('backend cpu (stock kernels), tfjs 4.22.0');
  });

  it.runIf(tfjsNodeInstalled)('auto picks tensorflow when tfjs-node is installed and loads', async () => {
    const info = await selectBackend('auto');
    if (info.name === 'tensorflow') {
      expect(NODE_PACKAGES).toContain(info.package);
      expect(info.kernels).toBe('stock');
    } else {
      // installed but unloadable (e.g. no libtensorflow): every package says why
      expect(info.fallbackReasons.join('\n')).toContain('@tensorflow/tfjs-node');
    }
  });

  it.skipIf(tfjsNodeInstalled)('tensorflow, when tfjs-node is not installed, is a UserError saying why and how to get it', async () => {
    const err = await selectBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain('@tensorflow/tfjs-node');
    expect(msg).toContain('npm install @tensorflow/tfjs-node');
    expect(msg).toContain('network access');
    expect(msg).toContain('libtensorflow');
  });

  it('an unknown choice is a UserError listing the backends', async () => {
    const err = await selectBackend('gpu' as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    for (const b of BACKENDS) expect((err as Error).message).toContain(b);
  });
});

describe('provenance', () => {
  it('records command, backend, machine, date and seed', async () => {
    const info = await selectBackend('cpu');
    const p = runProvenance(['zoo', '--json', 'a b'], info, 7);
    expect(p.command).toBe("vanillabench zoo --json 'a b'");
    expect(p.commit === null || /^[0-9a-f]{40}$/.test(p.commit)).toBe(true);
    expect(p).toMatchObject({ backend: 'cpu', tfjsVersion: '4.22.0', kernels: 'ours', seed: 7 });
    expect(Number.isNaN(Date.parse(p.date))).toBe(false);
    const m = machineInfo();
    expect(m.cores).toBeGreaterThan(0);
    expect(m.memoryGiB).toBeGreaterThan(0);
    expect(m.hostname).toMatch(/^[a-z0-9-]+$/);
    expect(runProvenance(['zoo'], info).seed).toBeNull();
    // on x86 Linux the record tells CPU generations apart, which "AMD EPYC" alone does not
    if (process.platform === 'linux' && process.arch === 'x64') expect(m.cpuId).toMatch(/^family \d+ model \d+(, (avx512|avx2|avx|sse4_2))?$/);
  });
  it("reads the first processor's family, model and widest vector ISA from /proc/cpuinfo", () => {
    const cpu = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nflags\t\t: ${flags}\n`;
    expect(cpuIdOf(cpu('fpu sse4_2 avx avx2 fma avx512f avx512bw') + '\n' + cpu('fpu'))).toBe('family 25 model 17, avx512');
    expect(cpuIdOf(cpu('fpu sse4_2 avx avx2 fma'))).toBe('family 25 model 17, avx2');
    expect(cpuIdOf(cpu('fpu'))).toBe('family 25 model 17');
    expect(cpuIdOf('processor : 0\nBogoMIPS : 50.00\nFeatures : fp asimd\n')).toBeUndefined(); // arm64: no family
  });
});

describe('vanillabench CLI', () => {
  beforeAll(() => {
    // `npm test` builds first; build here only when run on its own from a clean tree.
    if (!existsSync(path.join(ROOT, 'dist/src/cli.js'))) {
      const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
    }
  });

  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });

  it('an unknown command exits non-zero with one line listing the commands, no stack', () => {
    const r = cli('nosuchcommand');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vanillabench: unknown command 'nosuchcommand'; commands: zoo, verify-reparam, export/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help lists the commands on stdout', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    for (const name of ['zoo', 'verify-reparam', 'export']) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stderr).toBe('');
  });
});
