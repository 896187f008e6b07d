/**
 * The PyTorch peer figures written by scripts/torch_latency.py on a GPU: results/latency/torch-<gpu-slug>.json.
 * Schema "vanillabench/torch-latency@1":
 *   { schema, date, command, gpu: { name, capability?, memoryGiB? }, torch, torchvision?, cuda?, cudnn?,
 *     settings: { inputSize, batch, dtype, warmup, iterations, ... },
 *     rows: [{ model, form, source?, paramsM?, meanMs, medianMs?, p90Ms?, minMs?, sdMs?, samples? }] }
 * meanMs is the authors' figure: the wall time of `iterations` calls between two torch.cuda.synchronize(), divided
 * by the count; the others come from per-call CUDA events.
 */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../util/boundedRead.js';
import { MAX_LATENCY_FILE_BYTES } from './latencyFile.js';
import { UserError } from '../util/errors.js';

export const TORCH_LATENCY_SCHEMA = 'vanillabench/torch-latency@1';

export interface TorchLatencyRow {
  model: string;
  /** 'deploy' for VanillaNet; 'published' for the ResNets (torchvision, BatchNorm not fused) */
  form: string;
  source?: string;
  paramsM?: number;
  meanMs: number;
  medianMs?: number;
  p90Ms?: number;
  minMs?: number;
  sdMs?: number;
  samples?: number;
}

export interface TorchLatencyFile {
  schema: typeof TORCH_LATENCY_SCHEMA;
  date: string;
  command?: string;
  /** run on the CPU by a rehearsal of the GPU check (scripts/gpu-check.sh --rehearsal): not GPU figures */
  rehearsal?: boolean;
  gpu: { name: string; capability?: string; memoryGiB?: number };
  torch: string;
  torchvision?: string | null;
  cuda?: string | null;
  cudnn?: number | null;
  settings: { inputSize: number; batch: number; dtype?: string; warmup?: number; iterations?: number; [k: string]: unknown };
  rows: TorchLatencyRow[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether parsed JSON claims to be a torch peer file (then readTorchLatencyFile checks the rest). */
export function isTorchLatency(data: unknown): boolean {
  return isObject(data) && data.schema === TORCH_LATENCY_SCHEMA;
}

/** Reads and checks a torch peer file; a missing file gives null, a bad one a UserError naming it. */
export function readTorchLatencyFile(file: string): TorchLatencyFile | null {
  if (!existsSync(file)) return null;
  const bad = (why: string): never => {
    throw new UserError(`corrupt PyTorch latency file ${file}: ${why}; fix or delete it (nothing was written)`);
  };
  let data: unknown;
  try {
    data = readJsonFile(file, 'PyTorch latency file', MAX_LATENCY_FILE_BYTES);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (!isObject(data)) return bad('not a JSON object');
  if (data.schema !== TORCH_LATENCY_SCHEMA) bad(`schema is ${JSON.stringify(data.schema)}, expected "${TORCH_LATENCY_SCHEMA}"`);
  if (!isObject(data.gpu) || typeof data.gpu.name !== 'string') bad('no gpu.name');
  if (typeof data.torch !== 'string') bad('no torch version');
  const s = data.settings;
  if (!isObject(s) || typeof s.inputSize !== 'number' || typeof s.batch !== 'number') bad('no settings.inputSize/batch');
  if (!Array.isArray(data.rows)) bad('no rows array');
  (data.rows as unknown[]).forEach((r, i) => {
    if (!isObject(r) || typeof r.model !== 'string') bad(`row ${i} has no model`);
    const mean = (r as Record<string, unknown>).meanMs;
    if (typeof mean !== 'number' || !Number.isFinite(mean) || mean < 0) bad(`row ${i} (${String((r as Record<string, unknown>).model)}) has no numeric meanMs (of 0 or more)`);
  });
  return data as unknown as TorchLatencyFile;
}
