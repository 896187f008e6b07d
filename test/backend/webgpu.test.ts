/**
 * The webgpu backend without a GPU: adapter classification, the Vulkan-loader probe, file naming, and (where the
 * optional `webgpu` package is installed) the whole path on Dawn's null backend, an adapter that computes nothing:
 * explicit webgpu takes it (flagged software), auto skips it for wasm. The explicit failure without any adapter
 * is one line from the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_PACKAGES, backendSummary, selectBackend } from '../../src/backend/select.js';
import { adapterSummary, dawnOptions, describeAdapter, vulkanLoaderFound } from '../../src/backend/webgpu.js';
import { latencyFileName, mergeLatency } from '../../src/results/latencyFile.js';
import { runCommandEndHooks } from '../../src/util/cleanup.js';
import { UserError } from '../../src/util/errors.js';
import { installed } from '../support/installed.js';
import { machineInfo, runProvenance } from '../../src/util/provenance.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dawnInstalled = installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu') && process.platform === 'linux' && process.arch === 'x64';
const tfjsNodeInstalled = NODE_PACKAGES.some(installed);

afterAll(() => runCommandEndHooks());

describe('adapter description', () => {
  it('names a hardware GPU by its device name and keeps the driver description', () => {
    const a = describeAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 580.159.03 580.159.3.0' });
    expect(a).toEqual({
      name: 'NVIDIA H200',
      vendor: 'nvidia',
      architecture: 'hopper',
      device: 'NVIDIA H200',
      description: 'NVIDIA: 580.159.03 580.159.3.0',
      software: false,
    });
    expect(adapterSummary(a)).toBe('NVIDIA H200 (nvidia hopper; NVIDIA: 580.159.03 580.159.3.0)');
  });
  it('flags CPU implementations and the null backend as software', () => {
    expect(describeAdapter({ vendor: 'google', device: 'SwiftShader Device (Subzero)' }).software).toBe(true);
    expect(describeAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).software).toBe(true);
    expect(describeAdapter({ device: 'null-backend' }).software).toBe(true);
    expect(describeAdapter({ vendor: 'x', device: 'y', isFallbackAdapter: true }).software).toBe(true);
    expect(describeAdapter({ vendor: 'x', device: 'y' }, true).software).toBe(true);
  });
  it('falls back to the description, then vendor + architecture, for the name', () => {
    expect(describeAdapter({ description: 'Some GPU' }).name).toBe('Some GPU');
    // lavapipe through Dawn: a slug with a dangling dash
    expect(describeAdapter({ vendor: 'mesa', device: 'llvmpipe-llvm-15-0-6-256-bits-' })).toMatchObject({
      name: 'llvmpipe-llvm-15-0-6-256-bits',
      device: 'llvmpipe-llvm-15-0-6-256-bits-',
      software: true,
    });
    expect(describeAdapter({ vendor: 'amd', architecture: 'rdna-3' }).name).toBe('amd rdna-3');
    expect(describeAdapter(undefined).name).toBe('unknown adapter');
  });
});

describe('Dawn options and the Vulkan loader probe', () => {
  it('splits VANILLABENCH_DAWN_OPTIONS on semicolons', () => {
    expect(dawnOptions({ VANILLABENCH_DAWN_OPTIONS: ' adapter=NVIDIA H200 ; enable-dawn-features=a,b;' })).toEqual([
      'adapter=NVIDIA H200',
      'enable-dawn-features=a,b',
    ]);
    expect(dawnOptions({})).toEqual([]);
  });
  it.runIf(process.platform === 'linux')('finds libvulkan.so.1 on LD_LIBRARY_PATH, and does not look when a Dawn backend is forced', () => {
    const d = mkdtempSync(path.join(tmpdir(), 'vb-vk-'));
    try {
      writeFileSync(path.join(d, 'libvulkan.so.1'), '');
      expect(vulkanLoaderFound({ LD_LIBRARY_PATH: `/nonexistent:${d}` })).toBe(true);
      expect(vulkanLoaderFound({ VANILLABENCH_DAWN_OPTIONS: 'backend=null' })).toBeNull();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('stored latency on a GPU', () => {
  it('is named after the GPU and carries the adapter', () => {
    const m = machineInfo();
    const adapter = describeAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 580' });
    expect(latencyFileName('webgpu', m, adapter)).toBe('webgpu-nvidia-h200.json');
    expect(latencyFileName('wasm', m)).not.toContain('nvidia');
    const info = { name: 'webgpu', requested: 'webgpu', tfjsVersion: '4.22.0', adapter, kernels: 'stock' as const, registeredKernels: [], fallbackReasons: [] };
    const run = runProvenance(['latency', '--backend', 'webgpu'], info, 0);
    expect(run.adapter).toEqual(adapter);
    const file = mergeLatency(null, 'webgpu', m, run, []);
    expect(file.adapter).toEqual(adapter);
    expect(backendSummary(info)).toBe('backend webgpu (NVIDIA H200 (nvidia hopper; NVIDIA: 580), stock kernels), tfjs 4.22.0');
  });
});

describe.runIf(dawnInstalled)("webgpu on Dawn's null backend (no GPU needed)", () => {
  it('explicit webgpu takes a software adapter and says so; auto skips it', async () => {
    process.env.VANILLABENCH_DAWN_OPTIONS = 'backend=null';
    try {
      const lines: string[] = [];
      const info = await selectBackend('webgpu', { log: (l) => lines.push(l), verbose: false });
      expect(info).toMatchObject({ name: 'webgpu', requested: 'webgpu', kernels: 'stock', registeredKernels: [], fallbackReasons: [] });
      expect(info.adapter).toMatchObject({ name: 'null-backend', software: true });
      expect(tf.getBackend()).toBe('webgpu');
      // one line: the backend, and that it is not a GPU
      expect(lines).toEqual([`${backendSummary(info)} - as asked; a software adapter, not a GPU`]);
      // our gradient kernels stay on wasm/cpu: webgpu keeps its own Conv2DBackpropFilter
      expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')).toBeDefined();
      // a tiny op runs (small tensors are computed on the CPU by tfjs-webgpu, so this one is exact even here)
      const y = tf.mul(tf.tensor([1, 2, 3]), 2);
      expect(Array.from(await y.data())).toEqual([2, 4, 6]);
      y.dispose();

      if (!tfjsNodeInstalled) {
        const auto = await selectBackend('auto');
        expect(auto.name).toBe('wasm');
        expect(auto.fallbackReasons).toContain('webgpu: only a software adapter (null-backend [software]), slower than wasm on the same CPU');
      }
    } finally {
      delete process.env.VANILLABENCH_DAWN_OPTIONS;
    }
  });
});

describe.runIf(process.platform === 'linux' && vulkanLoaderFound() === false)('webgpu on a machine without Vulkan', () => {
  it('auto falls back quietly; explicit webgpu is a UserError in one line', async () => {
    const err = await selectBackend('webgpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      'backend webgpu is not available: no WebGPU adapter found (Dawn/Vulkan): no Vulkan loader (libvulkan.so.1)' +
        " on this machine; install libvulkan1 and the GPU's Vulkan driver",
    );
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), 'latency', '--backend', 'webgpu', '--models', 'vanillanet-5'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('vanillabench:')),
    ).toEqual([
      "vanillabench: backend webgpu is not available: no WebGPU adapter found (Dawn/Vulkan): no Vulkan loader (libvulkan.so.1) on this machine; install libvulkan1 and the GPU's Vulkan driver",
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
