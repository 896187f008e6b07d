/**
 * tfjs' WebGPU backend in Node: the npm package `webgpu` (Dawn, Chrome's WebGPU engine, as dawn.node; Vulkan on
 * Linux) provides `navigator.gpu`, and @tensorflow/tfjs-backend-webgpu runs on it. Both are optional dependencies
 * and Dawn is a native module, so everything here is loaded lazily and every failure becomes one short reason.
 *
 * Before loading Dawn at all we look for the Vulkan loader (libvulkan.so.1): without it Dawn finds no adapter
 * anyway, after printing a multi-line warning on stderr, and `auto` should stay quiet and fast on such machines.
 *
 * VANILLABENCH_DAWN_OPTIONS passes options to Dawn's create(), ';'-separated, e.g.
 * "adapter=NVIDIA H200" or "backend=null" (Dawn's null backend: an adapter that computes nothing, for tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { GpuAdapterInfo } from '../util/provenance.js';

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
  const name = device || description || [vendor, architecture].filter(Boolean).join(' ') || 'unknown adapter';
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

/**
 * Loads Dawn (once), installs navigator.gpu and asks for a high-performance adapter.
 * Resolves to the adapter's description, or throws an Error whose message is one line saying why there is none.
 */
export async function findAdapter(timeoutMs = 15_000): Promise<GpuAdapterInfo> {
  if (vulkanLoaderFound() === false) {
    throw new Error(
      'no WebGPU adapter found (Dawn/Vulkan): no Vulkan loader (libvulkan.so.1) on this machine;' + " install libvulkan1 and the GPU's Vulkan driver",
    );
  }
  if (!gpu) {
    let dawn: DawnModule;
    try {
      const specifier: string = 'webgpu'; // not a literal: tsc must not resolve the optional package
      dawn = (await import(specifier)) as DawnModule;
    } catch (err) {
      throw new Error(`the optional package 'webgpu' (Dawn for Node) could not be loaded: ${firstLine(err)}`);
    }
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create(dawnOptions());
  }
  const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs, 'the WebGPU adapter request');
  if (!adapter) throw new Error('no WebGPU adapter found (Dawn/Vulkan): Dawn saw no usable Vulkan device (see its warning above, if any)');
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : undefined);
  return describeAdapter(info, adapter.isFallbackAdapter === true);
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
