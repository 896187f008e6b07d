/**
 * The report's GPU section, from synthetic files in a temporary copy of results/ (never in results/ itself):
 * a webgpu latency file naming a GPU and a PyTorch peer file (scripts/torch_latency.py's schema).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_SCHEMA, formatLatencyJson, type LatencyFile, type LatencyRow } from '../../src/results/latencyFile.js';
import { TORCH_LATENCY_SCHEMA, readTorchLatencyFile, type TorchLatencyFile } from '../../src/results/torchLatency.js';
import { buildReport } from '../../src/report/report.js';
import { loadReportInputs, selectLatency } from '../../src/report/inputs.js';
import { UserError } from '../../src/util/errors.js';
import { timedRow } from '../support/latency.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary results folder: a copy of the repository's latency files, if any. */
function resultsCopy(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'vb-gpu-report-'));
  dirs.push(d);
  mkdirSync(path.join(d, 'latency'), { recursive: true });
  const real = path.join(ROOT, 'results/latency');
  // the committed CPU measurements only: the GPU files each test needs are written by the test
  if (existsSync(real)) cpSync(real, path.join(d, 'latency'), { recursive: true, filter: (f) => !path.basename(f).startsWith('webgpu-') });
  return d;
}

const machine = { cpuModel: 'Test CPU', cores: 16, memoryGiB: 128, platform: 'linux-x64', node: 'v20.0.0', hostname: 'test' };
const adapter = { name: 'Synthetic GPU', vendor: 'nvidia', architecture: 'hopper', device: 'Synthetic GPU', description: 'NVIDIA: 1.2.3', software: false };

function row(model: string, form: 'deploy' | 'train', meanMs: number): LatencyRow {
  return timedRow(model, form, meanMs, { paramsM: 15, sdMs: 0.01, rmePct: 0.5, samples: 50 });
}

function webgpuFile(): LatencyFile {
  return {
    schema: LATENCY_SCHEMA,
    backend: 'webgpu',
    machine,
    adapter,
    runs: [
      {
        command: 'vanillabench latency --backend webgpu',
        commit: null,
        dirty: null,
        backend: 'webgpu',
        adapter,
        tfjsVersion: '4.22.0',
        kernels: 'stock',
        machine,
        date: '2026-01-01T00:00:00.000Z',
        seed: 0,
      },
    ],
    rows: [row('vanillanet-5', 'deploy', 11.11), row('vanillanet-5', 'train', 22.22), row('resnet-18', 'deploy', 33.33)],
  };
}

function torchFile(): TorchLatencyFile {
  return {
    schema: TORCH_LATENCY_SCHEMA,
    date: '2026-01-01T00:00:00+00:00',
    command: 'python3 scripts/torch_latency.py --out x.json',
    gpu: { name: 'Synthetic GPU', capability: '9.0', memoryGiB: 140 },
    torch: '9.9.9',
    torchvision: '0.0.1',
    cuda: '13.0',
    cudnn: 91000,
    settings: { inputSize: 224, batch: 1, dtype: 'float32', warmup: 50, iterations: 300, tf32Conv: true },
    rows: [
      { model: 'vanillanet-5', form: 'deploy', source: 'ours', paramsM: 15.5, meanMs: 0.777, medianMs: 0.7, p90Ms: 0.8, minMs: 0.6, sdMs: 0.01, samples: 300 },
      { model: 'resnet-18', form: 'published', source: 'torchvision', paramsM: 11.7, meanMs: 0.888 },
    ],
  };
}

describe('report: GPU latency', () => {
  it('shows our GPU latency, the PyTorch peer and the paper side by side', async () => {
    const d = resultsCopy();
    writeFileSync(path.join(d, 'latency/webgpu-synthetic-gpu.json'), formatLatencyJson(webgpuFile()));
    writeFileSync(path.join(d, 'latency/torch-synthetic-gpu.json'), JSON.stringify(torchFile()));
    const inputs = loadReportInputs(d);
    expect(inputs.torch.map((t) => path.basename(t.file))).toEqual(['torch-synthetic-gpu.json']);
    expect(inputs.latency.map((l) => path.basename(l.file))).not.toContain('torch-synthetic-gpu.json');
    await buildReport({ resultsDir: d, now: new Date('2026-01-02T00:00:00Z') });
    const md = readFileSync(path.join(d, 'REPORT.md'), 'utf8');
    const section = md.slice(md.indexOf('## GPU latency'), md.indexOf('\n## ', md.indexOf('## GPU latency') + 1));
    expect(section).toContain(
      '| model | depth | A100 ms (paper, PyTorch) | deploy ms (ours, webgpu on Synthetic GPU) | train ms (ours, webgpu on Synthetic GPU) | ms (PyTorch 9.9.9, Synthetic GPU) |',
    );
    expect(section).toMatch(/\| vanillanet-5 \| 5 \| 1\.61 \| 11\.11 ± 0\.5% \| 22\.22 ± 0\.5% \| 0\.777 \|/);
    expect(section).toMatch(/\| resnet-18 \| 18 \| 3\.12 \| 33\.33 ± 0\.5% \| - \| 0\.888 \|/);
    expect(section).toContain('webgpu on Synthetic GPU: train/deploy mean latency vanillanet-5 2.00x');
    expect(section).toContain('driver: NVIDIA: 1.2.3');
    expect(section).toContain('PyTorch 9.9.9, CUDA 13.0');
  });

  it('never shows a software adapter or a rehearsal as GPU figures: it names them and leaves them out', async () => {
    const d = resultsCopy();
    const software = { ...adapter, name: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'llvmpipe: Mesa 25.0.7', software: true };
    const soft = webgpuFile();
    writeFileSync(
      path.join(d, 'latency/webgpu-llvmpipe-software.json'),
      formatLatencyJson({ ...soft, adapter: software, runs: soft.runs.map((r) => ({ ...r, adapter: software })) }),
    );
    writeFileSync(path.join(d, 'latency/torch-cpu-rehearsal.json'), JSON.stringify({ ...torchFile(), rehearsal: true, gpu: { name: 'cpu (rehearsal)' } }));
    await buildReport({ resultsDir: d, now: new Date('2026-01-02T00:00:00Z') });
    const md = readFileSync(path.join(d, 'REPORT.md'), 'utf8');
    const section = md.slice(md.indexOf('## GPU latency'), md.indexOf('\n## ', md.indexOf('## GPU latency') + 1));
    expect(section).toContain('Nothing measured on a GPU yet.');
    expect(section).toContain('`webgpu-llvmpipe-software.json`: webgpu on llvmpipe (LLVM 15.0.6, 256 bits) (llvmpipe: Mesa 25.0.7), a software adapter');
    expect(section).toContain('`torch-cpu-rehearsal.json`: PyTorch on cpu (rehearsal), a rehearsal of the GPU check without a GPU');
    expect(section).not.toContain('| model |');
    expect(section).not.toMatch(/11\.11|0\.777/);
    // beside a real GPU's file, the table holds the GPU alone
    writeFileSync(path.join(d, 'latency/webgpu-synthetic-gpu.json'), formatLatencyJson(webgpuFile()));
    await buildReport({ resultsDir: d, now: new Date('2026-01-02T00:00:00Z') });
    const md2 = readFileSync(path.join(d, 'REPORT.md'), 'utf8');
    const s2 = md2.slice(md2.indexOf('## GPU latency'), md2.indexOf('\n## ', md2.indexOf('## GPU latency') + 1));
    expect(s2).toContain(
      '| model | depth | A100 ms (paper, PyTorch) | deploy ms (ours, webgpu on Synthetic GPU) | train ms (ours, webgpu on Synthetic GPU) |\n',
    );
    expect(s2).not.toContain('llvmpipe (LLVM 15.0.6, 256 bits))');
    expect(s2).toContain('`webgpu-llvmpipe-software.json`: webgpu on llvmpipe');
  });

  it("Table 4 takes a software adapter's latency only when nothing else was measured", () => {
    const software = { ...adapter, name: 'llvmpipe', software: true };
    const soft = { file: 'webgpu-llvmpipe-software.json', data: { ...webgpuFile(), adapter: software } };
    const cpu: LatencyFile = { ...webgpuFile(), backend: 'wasm', adapter: undefined, rows: [row('vanillanet-5', 'deploy', 50)] };
    // the software file has more timed rows at the same setting: without the rule it would win
    expect(selectLatency([soft, { file: 'wasm-x.json', data: cpu }]).primary?.file).toBe('wasm-x.json');
    expect(selectLatency([soft]).primary?.file).toBe('webgpu-llvmpipe-software.json');
  });

  it('has no GPU section without GPU files, and a corrupt PyTorch file is one UserError naming it', async () => {
    const d = resultsCopy();
    await buildReport({ resultsDir: d });
    expect(readFileSync(path.join(d, 'REPORT.md'), 'utf8')).not.toContain('## GPU latency');
    const bad = path.join(d, 'latency/torch-broken.json');
    writeFileSync(bad, JSON.stringify({ ...torchFile(), rows: [{ model: 'vanillanet-5' }] }));
    expect(() => readTorchLatencyFile(bad)).toThrow(UserError);
    await expect(buildReport({ resultsDir: d })).rejects.toThrow(
      /corrupt PyTorch latency file .*torch-broken\.json: row 0 \(vanillanet-5\) has no numeric meanMs/,
    );
  });
});
