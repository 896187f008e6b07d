/**
 * ONNX Runtime (onnxruntime-node, CPU execution provider): loading it on demand, opening a session on in-memory
 * .onnx bytes with an explicit thread count, running one NCHW float32 batch, and comparing its output with ours.
 *
 * onnxruntime-node is loaded lazily, so commands that never use it do not pay for (or fail on) its native library.
 */
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { UserError } from '../util/errors.js';

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;

let loaded: OrtModule | null = null;

/** The onnxruntime-node module; a UserError when it is not installed or its native library does not load. */
export async function loadOrt(): Promise<OrtModule> {
  if (loaded) return loaded;
  try {
    const m = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
    loaded = typeof m.InferenceSession === 'function' ? m : m.default!;
  } catch (e) {
    throw new UserError(`onnxruntime-node cannot be loaded (${(e as Error).message.split('\n')[0]}); install it with \`npm install onnxruntime-node\``);
  }
  return loaded;
}

export function ortVersion(ort: OrtModule): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

/** Logical cores available to this process (the default intra-op thread count). */
export function defaultOrtThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export interface OrtSessionOptions {
  /** intra-op threads (one operator's work split over them); default: every core */
  threads?: number;
}

/**
 * A CPU session on .onnx bytes. Threads are set explicitly (ORT's own default depends on the build), inter-op
 * parallelism is off (batch-1 CNNs are a chain of operators), and all graph optimizations are on, as deployed.
 */
export async function createOrtSession(ort: OrtModule, bytes: Uint8Array, o: OrtSessionOptions = {}): Promise<OrtSession> {
  const threads = o.threads ?? defaultOrtThreads();
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new Error(`internal: ONNX Runtime rejected the exported model: ${(e as Error).message}`);
  }
}

/** Runs one NCHW float32 batch through a session; returns the first output's values and shape. */
export async function runOrt(ort: OrtModule, session: OrtSession, input: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: number[] }> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, shape) };
  const out = await session.run(feeds);
  const y = out[session.outputNames[0]];
  return { data: y.data as Float32Array, dims: [...y.dims] };
}

/** max|a - b| / max|b|: the relative error used throughout (b is the reference). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`internal: comparing ${a.length} with ${b.length} values`);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return ref > 0 ? diff / ref : diff;
}
