/**
 * The report's GPU section: our latency on a GPU (latency files whose runs name a GPU adapter, i.e. webgpu), the
 * PyTorch peer on the same card (scripts/torch_latency.py: results/latency/torch-<gpu>.json) and the paper's A100
 * figures, side by side, at the paper's setting (224 px, batch 1, width 1).
 *
 * A software adapter (a CPU implementation of Vulkan such as llvmpipe/lavapipe, or SwiftShader) is not a GPU: its
 * files are never shown as GPU figures. They are named below the table (or alone, when nothing ran on a GPU) as
 * what they are: the WebGPU path timed on the CPU.
 */
import path from 'node:path';
import type { LatencyFile, LatencyRow } from '../results/latencyFile.js';
import type { TorchLatencyFile } from '../results/torchLatency.js';
import type { ZooEntry } from '../models/zoo.js';
import { f2, mdTable } from './markdown.js';

export interface GpuInputs {
  latency: { file: string; data: LatencyFile }[];
  torch: { file: string; data: TorchLatencyFile }[];
}

const paperSetting = (r: LatencyRow) => r.inputSize === 224 && r.batch === 1 && r.width === 1 && r.status === 'ok';

/** The GPU latency files: those with a hardware adapter (a GPU named by the backend) and rows at the paper's setting. */
export function gpuLatencyFiles(files: GpuInputs['latency']): GpuInputs['latency'] {
  return files.filter((f) => f.data.adapter && !f.data.adapter.software && f.data.rows.some(paperSetting));
}

/** Latency files measured through a software adapter: the GPU code path on the CPU. */
export function softwareAdapterFiles(files: GpuInputs['latency']): GpuInputs['latency'] {
  return files.filter((f) => f.data.adapter?.software === true);
}

/** One line per software-adapter file: what it is, and that it is left out of the GPU figures. */
function softwareLines(files: GpuInputs['latency']): string[] {
  return files.map((f) => {
    const a = f.data.adapter!;
    return (
      `- \`${path.basename(f.file)}\`: ${f.data.backend} on ${a.name}${a.description && a.description !== a.name ? ` (${a.description})` : ''}, a software adapter ` +
      '(Vulkan on the CPU), not a GPU: its figures time the WebGPU code path on the CPU, so they are not GPU figures and are left out of this section.'
    );
  });
}

/** One line per PyTorch file of a rehearsal (the peer run on the CPU): left out as well. */
function rehearsalLines(files: GpuInputs['torch']): string[] {
  return files.map(
    (t) =>
      `- \`${path.basename(t.file)}\`: PyTorch on ${t.data.gpu.name}, a rehearsal of the GPU check without a GPU: not GPU figures, left out of this section.`,
  );
}

/** Markdown lines of the section, or [] when there is nothing measured on a GPU or a software adapter. */
export function gpuLatencySection(inputs: GpuInputs, zoo: readonly ZooEntry[]): string[] {
  const ours = gpuLatencyFiles(inputs.latency);
  const software = softwareAdapterFiles(inputs.latency);
  const torch = inputs.torch.filter((t) => !t.data.rehearsal && t.data.settings.inputSize === 224 && t.data.settings.batch === 1);
  const notGpu = [...softwareLines(software), ...rehearsalLines(inputs.torch.filter((t) => t.data.rehearsal))];
  if (ours.length === 0 && torch.length === 0) {
    return notGpu.length === 0 ? [] : ['## GPU latency', '', 'Nothing measured on a GPU yet.', '', ...notGpu, ''];
  }
  const row = (f: LatencyFile, model: string, form: 'deploy' | 'train') => f.rows.find((r) => r.model === model && r.form === form && paperSetting(r));
  const models = zoo.map((z) => z.name).filter((n) => ours.some((f) => row(f.data, n, 'deploy')) || torch.some((t) => t.data.rows.some((r) => r.model === n)));
  const withTrain = ours.map((f) => f.data.rows.some((r) => r.form === 'train' && paperSetting(r)));
  const label = (f: LatencyFile) => `${f.backend} on ${f.adapter!.name}`;
  const header = [
    'model',
    'depth',
    'A100 ms (paper, PyTorch)',
    ...ours.flatMap((f, i) => [`deploy ms (ours, ${label(f.data)})`, ...(withTrain[i] ? [`train ms (ours, ${label(f.data)})`] : [])]),
    ...torch.map((t) => `ms (PyTorch ${t.data.torch}, ${t.data.gpu.name})`),
  ];
  const lines: string[] = ['## GPU latency', ''];
  lines.push(
    'Batch 1, 224 px, float32. Ours: mean of the timed calls (each reads the output back) ± relative 95% margin of error, ' +
      'deploy (merged) form, and the training form where timed. PyTorch: the same models on the same card, timed as the authors do ' +
      '(warm-up, then many calls between two `torch.cuda.synchronize()`, mean per call); VanillaNet deploy forms, ResNets as published ' +
      '(torchvision, BatchNorm not fused). Paper: A100.',
    '',
  );
  const zd = new Map(zoo.map((z) => [z.name, z]));
  lines.push(
    mdTable(
      header,
      models.map((n) => {
        const z = zd.get(n);
        return [
          n,
          z ? String(z.depth) : '-',
          f2(z?.paper?.latencyMs),
          ...ours.flatMap((f, i) => {
            const d = row(f.data, n, 'deploy');
            const t = row(f.data, n, 'train');
            return [d ? `${f2(d.meanMs)} ± ${f2(d.rmePct, 1)}%` : '-', ...(withTrain[i] ? [t ? `${f2(t.meanMs)} ± ${f2(t.rmePct, 1)}%` : '-'] : [])];
          }),
          ...torch.map((t) => f2(t.data.rows.find((r) => r.model === n)?.meanMs, 3)),
        ];
      }),
    ),
    '',
  );
  for (const f of ours) {
    const pairs = models.flatMap((n) => {
      const d = row(f.data, n, 'deploy');
      const t = row(f.data, n, 'train');
      return d && t ? [`${n} ${f2(t.meanMs! / d.meanMs!, 2)}x`] : [];
    });
    if (pairs.length > 0) lines.push(`- ${label(f.data)}: train/deploy mean latency ${pairs.join(', ')} (above 1: the merged form is faster).`);
  }
  for (const f of ours) {
    const a = f.data.adapter!;
    lines.push(
      `- \`${path.basename(f.file)}\`: ${a.name}${a.vendor || a.architecture ? ` (${[a.vendor, a.architecture].filter(Boolean).join(' ')})` : ''}${a.description && a.description !== a.name ? `, driver: ${a.description}` : ''}, tfjs ${f.data.runs[f.data.runs.length - 1]?.tfjsVersion ?? '?'}.`,
    );
  }
  for (const t of torch) {
    const s = t.data.settings;
    lines.push(
      `- \`${path.basename(t.file)}\`: \`${t.data.command ?? 'scripts/torch_latency.py'}\` at ${t.data.date}; ${t.data.gpu.name}, PyTorch ${t.data.torch}` +
        `${t.data.cuda ? `, CUDA ${t.data.cuda}` : ''}${t.data.cudnn ? `, cuDNN ${t.data.cudnn}` : ''}; ${s.warmup ?? '?'} warm-up and ${s.iterations ?? '?'} timed calls${s.tf32Conv === true ? ', TF32 convolutions allowed (PyTorch default)' : ''}.`,
    );
  }
  lines.push(...notGpu);
  lines.push('');
  return lines;
}
