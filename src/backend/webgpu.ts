/**
 * tfjs' WebGPU backend in Node: the npm package `webgpu` (Dawn, Chrome's WebGPU engine, as dawn.node; Vulkan on
 * Linux) provides `navigator.gpu`, and @tensorflow/tfjs-backend-webgpu runs on it. Both are optional dependencies
 * and Dawn is a native module, so everything here is loaded lazily and every failure becomes one short reason.
 *
 * Before loading Dawn at all we look for the Vulkan loader (libvulkan.so.1): without it Dawn finds no adapter
 * anyway, after printing a multi-line warning on stderr, and `auto` should stay quiet and fast on such machines.
 * Dawn prints its opinion of every Vulkan device when it first enumerates them (e.g. lavapipe's limits, or why a
 * device is unusable), straight to the process's stderr. So the first look is `probeAdapter`: Dawn in a child
 * process whose stderr we read, which also keeps a driver that crashes out of the command. Only when the adapter
 * will be used is Dawn loaded here (`findAdapter`), its output captured where stderr allows
 * (src/util/nativeStderr.ts). Either way the output goes to the caller, who shows it in verbose mode or in the
 * reason there is no adapter. Dawn also gets a valid XDG_RUNTIME_DIR (./runtimeDir.ts).
 *
 * VANILLABENCH_DAWN_OPTIONS passes options to Dawn's create(), ';'-separated, e.g.
 * "adapter=NVIDIA H200" or "backend=null" (Dawn's null backend: an adapter that computes nothing, for tests).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { captureNativeStderr } from '../util/nativeStderr.js';
import type { GpuAdapterInfo } from '../util/provenance.js';
import { ensureRuntimeDir } from './runtimeDir.js';

export type { GpuAdapterInfo };

/** The subset of the WebGPU API we use (the `webgpu` package's types are optional like the package). */
interface AdapterLike {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<AdapterLike['info']>;
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}
interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|null-backend|basic render/i;

/** Dawn's options from VANILLABENCH_DAWN_OPTIONS (';'-separated). */
export function dawnOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.VANILLABENCH_DAWN_OPTIONS ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Whether the Vulkan loader can be found: LD_LIBRARY_PATH, the ld.so cache, the usual library folders.
 * null off Linux (Dawn uses Metal/D3D there) and when a Dawn backend is forced by option.
 */
export function vulkanLoaderFound(env: NodeJS.ProcessEnv = process.env): boolean | null {
  if (process.platform !== 'linux' || dawnOptions(env).some((o) => o.startsWith('backend='))) return null;
  const lib = 'libvulkan.so.1';
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  if (dirs.some((d) => existsSync(path.join(d, lib)))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes(lib);
  } catch {
    return false;
  }
}

export function describeAdapter(info: AdapterLike['info'], fallbackFlag = false): GpuAdapterInfo {
  const s = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
  const vendor = s(info?.vendor);
  const architecture = s(info?.architecture);
  const device = s(info?.device);
  const description = s(info?.description);
  // Dawn may hand over a slug of the device's name with a dangling dash (lavapipe: 'llvmpipe-llvm-15-0-6-256-bits-')
  const name = (device || description || [vendor, architecture].filter(Boolean).join(' ')).replace(/^-+|-+$/g, '') || 'unknown adapter';
  const software = fallbackFlag || info?.isFallbackAdapter === true || SOFTWARE.test([vendor, architecture, device, description].join(' '));
  return { name, vendor, architecture, device, description, software };
}

/** One line for logs and summaries, e.g. "NVIDIA H200 (nvidia hopper; NVIDIA: 580.159.03)". */
export function adapterSummary(a: GpuAdapterInfo): string {
  const details = [[a.vendor, a.architecture].filter(Boolean).join(' '), a.description !== a.name ? a.description : ''].filter(Boolean);
  return `${a.name}${details.length ? ` (${details.join('; ')})` : ''}${a.software ? ' [software]' : ''}`;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let gpu: GpuLike | null = null;
/** what Dawn printed while enumerating its devices (once per process: later requests print nothing) */
let dawnOutput: string[] = [];

/** No adapter: the message is one line; `dawnOutput` is what Dawn printed meanwhile (for verbose mode). */
export class NoAdapterError extends Error {
  constructor(
    message: string,
    readonly dawnOutput: string[] = [],
  ) {
    super(message);
    this.name = 'NoAdapterError';
  }
}

export interface AdapterProbe {
  adapter: GpuAdapterInfo;
  /** what Dawn printed on stderr while looking for it (captured, not shown) */
  dawnOutput: string[];
}

/** Dawn's output as lines, without blank ones. */
function outputLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}

/**
 * The line of Dawn's output that says why it found no adapter: the last message (a line that is not the indented
 * context or stack of one) other than the limit adjustments Dawn reports for every usable device, without its
 * "Warning:" prefix, shortened to one line.
 */
export function dawnReason(lines: readonly string[]): string | null {
  const messages = lines.filter((l) => /^\S/.test(l) && !/artificially reduced/.test(l));
  const last = messages
    .at(-1)
    ?.replace(/^(warning|error):\s*/i, '')
    .trim();
  if (!last) return null;
  return last.length > 160 ? `${last.slice(0, 157)}...` : last;
}

const NO_LOADER =
  'no WebGPU adapter found (Dawn/Vulkan): no Vulkan loader (libvulkan.so.1) on this machine;' + " install libvulkan1 and the GPU's Vulkan driver";

const noAdapter = (lines: readonly string[]): NoAdapterError => {
  const why = dawnReason(lines);
  return new NoAdapterError(`no WebGPU adapter found (Dawn/Vulkan): Dawn saw no usable Vulkan device${why ? ` (Dawn: ${why})` : ''}`, [...lines]);
};

/** The file URL of the `webgpu` package's entry, or an Error saying it is not there. */
function dawnEntry(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (err) {
    throw new Error(`the optional package 'webgpu' (Dawn for Node) could not be loaded: ${firstLine(err)}`);
  }
}

/** The probe's child: loads Dawn, asks for the adapter, prints its description as one JSON line, exits. */
const PROBE_SCRIPT = `
const { entry, options } = JSON.parse(process.env.VANILLABENCH_DAWN_PROBE);
let out;
try {
  const dawn = await import(entry);
  Object.assign(globalThis, dawn.globals);
  const adapter = await dawn.create(options).requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter ? (adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {})) : null;
  const pick = (k) => (info && typeof info[k] === 'string' ? info[k] : '');
  out = adapter
    ? { info: { vendor: pick('vendor'), architecture: pick('architecture'), device: pick('device'), description: pick('description'),
        isFallbackAdapter: info.isFallbackAdapter === true }, fallback: adapter.isFallbackAdapter === true }
    : { info: null };
} catch (err) {
  out = { error: String(err && err.message ? err.message : err).split('\\n')[0] };
}
process.stdout.write(JSON.stringify(out) + '\\n');
process.exit(0); // Dawn would keep the process alive
`;

interface ProbeReply {
  info?: AdapterLike['info'] | null;
  fallback?: boolean;
  error?: string;
}

/**
 * Asks Dawn for a high-performance adapter in a child process, so that nothing Dawn or the driver prints (or a
 * crash) reaches this one. Resolves to the adapter's description and Dawn's output; throws a NoAdapterError or an
 * Error whose message is one line saying why there is none.
 */
export async function probeAdapter(timeoutMs = 20_000): Promise<AdapterProbe> {
  if (vulkanLoaderFound() === false) throw new NoAdapterError(NO_LOADER);
  ensureRuntimeDir();
  const env = { ...process.env, VANILLABENCH_DAWN_PROBE: JSON.stringify({ entry: dawnEntry(), options: dawnOptions() }) };
  const r = await new Promise<{ stdout: string; stderr: string; code: number | null; signal: string | null; timedOut: boolean }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr, timedOut] = ['', '', false];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ stdout, stderr: `${stderr}${err.message}\n`, code: null, signal: null, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal, timedOut });
    });
  });
  const lines = outputLines(r.stderr);
  if (r.timedOut) throw new NoAdapterError(`the WebGPU adapter request did not answer within ${timeoutMs / 1000} s`, lines);
  let reply: ProbeReply | null = null;
  try {
    reply = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as ProbeReply;
  } catch {
    /* no reply: it crashed */
  }
  if (!reply) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    const why = dawnReason(lines);
    throw new NoAdapterError(`the WebGPU adapter probe ${how}${why ? ` (${why})` : ''}`, lines);
  }
  if (reply.error) throw new Error(`the optional package 'webgpu' (Dawn for Node) could not be loaded: ${reply.error}`);
  if (!reply.info) throw noAdapter(lines);
  return { adapter: describeAdapter(reply.info, reply.fallback === true), dawnOutput: lines };
}

/**
 * Loads Dawn here (once), installs navigator.gpu and asks for a high-performance adapter, capturing what Dawn
 * prints where stderr allows (src/util/nativeStderr.ts). Resolves to the adapter's description, or throws a
 * NoAdapterError (or an Error) whose message is one line saying why there is none.
 */
export async function findAdapter(timeoutMs = 15_000): Promise<AdapterProbe> {
  if (vulkanLoaderFound() === false) throw new NoAdapterError(NO_LOADER);
  let dawn: DawnModule | null = null;
  if (!gpu) {
    ensureRuntimeDir();
    const entry = dawnEntry();
    try {
      dawn = (await import(entry)) as DawnModule;
    } catch (err) {
      throw new Error(`the optional package 'webgpu' (Dawn for Node) could not be loaded: ${firstLine(err)}`);
    }
    Object.assign(globalThis, dawn.globals);
  }
  // Dawn enumerates the Vulkan devices, and prints what it thinks of them, synchronously in the first request
  const request = captureNativeStderr(() => {
    if (!gpu) gpu = dawn!.create(dawnOptions());
    return gpu.requestAdapter({ powerPreference: 'high-performance' });
  });
  if (request.output) dawnOutput = outputLines(request.output);
  const adapter = await withTimeout(request.value, timeoutMs, 'the WebGPU adapter request');
  if (!adapter) throw noAdapter(dawnOutput);
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : undefined);
  return { adapter: describeAdapter(info, adapter.isFallbackAdapter === true), dawnOutput };
}

/**
 * Makes tfjs' 'webgpu' backend available (after findAdapter succeeded): navigator.gpu for its factory, which asks
 * for its own adapter with the same options, then the package's import, which registers the backend only when
 * navigator.gpu exists at that moment.
 */
export async function registerWebGpuBackend(): Promise<void> {
  if (!gpu) throw new Error('findAdapter() must succeed first');
  const nav = (globalThis as { navigator?: object }).navigator;
  // Node 21+ has a navigator of its own: add gpu to it; Node 20 has none
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  if (!tf.findBackendFactory('webgpu')) {
    try {
      const specifier: string = '@tensorflow/tfjs-backend-webgpu';
      await import(specifier);
    } catch (err) {
      throw new Error(`the optional package @tensorflow/tfjs-backend-webgpu could not be loaded: ${firstLine(err)}`);
    }
  }
}

/**
 * Lets the process exit: dawn.node keeps Node alive while a device or navigator.gpu is referenced. Destroys the
 * tfjs backend's device (its tensors are gone with it) and drops navigator.gpu. Idempotent.
 */
export function releaseWebGpu(): void {
  try {
    const backend = tf.engine().registry.webgpu as unknown as { device?: { destroy(): void }; dispose(): void } | undefined;
    // the registry, not tf.findBackend: that would initialize a backend that never ran
    if (backend) {
      backend.dispose();
      backend.device?.destroy();
    }
  } catch {
    // best effort: the process is ending
  }
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && 'gpu' in nav) delete nav.gpu;
  gpu = null;
}

function firstLine(err: unknown): string {
  const message = String((err as { message?: string } | undefined)?.message ?? err);
  const first =
    message
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'unknown error';
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}
