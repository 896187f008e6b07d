/**
 * Picks the tfjs backend a run uses and reports what it got.
 *
 * 'auto' tries, in order: tfjs-node-gpu ('tensorflow', libtensorflow via
 * N-API), webgpu (Dawn on Vulkan, src/backend/webgpu.ts) when it finds a
 * hardware adapter, tfjs-node ('tensorflow' on the CPU), wasm (XNNPACK, SIMD)
 * and cpu (plain JS). A GPU through WebGPU beats libtensorflow on the CPU, so
 * webgpu comes before tfjs-node; a software adapter (SwiftShader, llvmpipe,
 * lavapipe) is skipped by 'auto', since it is slower than wasm on the same
 * CPU, but used when webgpu is asked for by name. The optional packages are
 * often missing; every skipped backend leaves one line in fallbackReasons.
 * An explicit choice that is unavailable is a UserError.
 * On wasm and cpu our gradient kernels (src/backend/kernels) are registered
 * unless `ourKernels: false`, which restores the stock ones; webgpu and
 * tensorflow always run their own. wasm runs tfjs' single-threaded build
 * unless `wasmThreads` > 1 asks for its multi-threaded one (./wasmThreads.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { UserError, oneOf } from '../util/errors.js';
import { atCommandEnd } from '../util/cleanup.js';
import { registerGradientKernels, restoreStockKernels, type GradientBackend } from './kernels/index.js';
import { adapterSummary, findAdapter, registerWebGpuBackend, releaseWebGpu, type GpuAdapterInfo } from './webgpu.js';
import { enableWasmThreads, MAX_WASM_THREADS, releaseWasmThreadsAtExit } from './wasmThreads.js';

export type { GpuAdapterInfo } from './webgpu.js';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** The node packages providing the 'tensorflow' backend, in order of preference. */
export const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export interface BackendInfo {
  /** The tfjs backend that actually runs: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'. */
  name: string;
  /** What was asked for ('auto' or a backend name). */
  requested: string;
  tfjsVersion: string;
  /** For 'tensorflow': the package that provided it, e.g. '@tensorflow/tfjs-node-gpu'. */
  package?: string;
  /** For 'webgpu': the adapter (GPU name, vendor, architecture, driver description). */
  adapter?: GpuAdapterInfo;
  kernels: 'ours' | 'stock';
  /** Names of our kernels registered for this backend (empty for stock). */
  registeredKernels: string[];
  /** Why higher-priority backends were skipped, one short line each. */
  fallbackReasons: string[];
  /** wasm only: SIMD build in use. */
  simd?: boolean;
  /** wasm only: multithreaded build in use (in Node only when asked for: SelectOptions.wasmThreads). */
  threads?: boolean;
  /** wasm only: XNNPACK thread count. */
  threadCount?: number;
}

export interface SelectOptions {
  /** Progress lines (stderr); default silent. */
  log?: (line: string) => void;
  /** Register our gradient kernels on wasm/cpu (default true). */
  ourKernels?: boolean;
  /** wasm: XNNPACK threads (default 1: tfjs' single-threaded build); above 1 needs choice 'wasm'. */
  wasmThreads?: number;
}

const INSTALL_HINT =
  'install it with `npm install @tensorflow/tfjs-node` (or -gpu), which needs network access' + ' because its install script downloads libtensorflow';

/** First line of an error, shortened; "not installed" for a module that is not there. */
function describeFailure(err: unknown, specifier?: string): string {
  const e = err as { code?: string; message?: string } | undefined;
  const message = String(e?.message ?? err);
  if (
    specifier &&
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to (load|resolve)/.test(message)) &&
    message.includes(specifier)
  ) {
    return 'not installed';
  }
  const first =
    message
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'unknown error';
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

/**
 * tfjs' cpu backend prints a "Hi, looks like you are running TensorFlow.js in
 * Node.js..." banner (console.warn) on its first tensor write. It is only
 * advice to install tfjs-node, which selectBackend already reports; mark the
 * backend as used so it stays quiet, whichever backend runs (the cpu backend
 * may still be set up later, e.g. to compare against).
 */
function silenceNodeBanner(): void {
  try {
    const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
  } catch {
    // cosmetic only
  }
}

/** setBackend that reports failure as a reason instead of throwing. */
async function trySetBackend(name: string): Promise<string | null> {
  try {
    if (!tf.findBackendFactory(name)) return `no '${name}' backend registered`;
    const ok = await tf.setBackend(name);
    if (!ok) return `'${name}' backend failed to initialize`;
    await tf.ready();
    return null;
  } catch (err) {
    return describeFailure(err);
  }
}

async function tryTensorflow(packages: readonly string[], reasons: string[], log: (s: string) => void): Promise<string | null> {
  for (const pkg of packages) {
    log(`backend: trying ${pkg}`);
    try {
      const specifier: string = pkg; // not a literal: tsc must not resolve the optional package
      await import(specifier);
    } catch (err) {
      reasons.push(`${pkg}: ${describeFailure(err, pkg)}`);
      continue;
    }
    const failure = await trySetBackend('tensorflow');
    if (failure) {
      reasons.push(`${pkg}: ${failure}`);
      continue;
    }
    return pkg;
  }
  return null;
}

/** webgpu: an adapter (hardware only when `hardwareOnly`), then tfjs' backend on it. */
async function tryWebGpu(hardwareOnly: boolean, reasons: string[], log: (s: string) => void): Promise<GpuAdapterInfo | null> {
  log('backend: trying webgpu');
  const t0 = performance.now();
  let adapter: GpuAdapterInfo;
  try {
    adapter = await findAdapter();
  } catch (err) {
    reasons.push(`webgpu: ${describeFailure(err)}`);
    return null;
  } finally {
    log(`backend: webgpu adapter probe took ${Math.round(performance.now() - t0)} ms`);
  }
  if (adapter.software && hardwareOnly) {
    reasons.push(`webgpu: only a software adapter (${adapterSummary(adapter)}), slower than wasm on the same CPU`);
    return null;
  }
  try {
    await registerWebGpuBackend();
  } catch (err) {
    reasons.push(`webgpu: ${describeFailure(err)}`);
    return null;
  }
  atCommandEnd(releaseWebGpu);
  const failure = await trySetBackend('webgpu');
  if (failure) {
    reasons.push(`webgpu: ${failure} on ${adapterSummary(adapter)}`);
    return null;
  }
  if (adapter.software) log(`backend: warning: webgpu runs on a software adapter (${adapterSummary(adapter)}), not a GPU`);
  return adapter;
}

async function tryBrowserish(name: 'wasm' | 'cpu', reasons: string[], log: (s: string) => void, wasmThreads = 1): Promise<boolean> {
  log(`backend: trying ${name}${name === 'wasm' && wasmThreads > 1 ? ` (multi-threaded build, ${wasmThreads} threads)` : ''}`);
  const undo = name === 'wasm' && wasmThreads > 1 ? enableWasmThreads(wasmThreads) : null;
  let failure: string | null;
  try {
    failure = await trySetBackend(name);
  } finally {
    undo?.();
  }
  if (undo && !failure) releaseWasmThreadsAtExit();
  if (failure) reasons.push(`${name}: ${failure}`);
  return failure === null;
}

/** The threads wasm asked for, checked against the choice. */
function checkWasmThreads(choice: BackendChoice, threads: number | undefined): number {
  const n = threads ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) throw new UserError(`wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${n}`);
  if (n > 1 && choice !== 'wasm') throw new UserError(`${n} wasm threads need the wasm backend by name (--backend wasm), not '${choice}'`);
  return n;
}

/** wasm's build (SIMD, threads) and thread count, checked against the threads asked for. */
async function describeWasm(info: BackendInfo, wasmThreads: number): Promise<void> {
  info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  // tfjs-backend-wasm uses its threaded build only when SIMD is there too.
  info.threads = info.simd && Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  try {
    info.threadCount = getThreadsCount();
  } catch {
    /* not initialized: leave unset */
  }
  if (wasmThreads > 1 && info.threadCount !== wasmThreads) {
    throw new UserError(
      `asked for ${wasmThreads} wasm threads, the backend runs ${info.threadCount ?? 'an unknown number of'} (the wasm backend starts once per process)`,
    );
  }
}

/** Selects (and initializes) the backend; see the module comment. */
export async function selectBackend(choice: BackendChoice = 'auto', opts: SelectOptions = {}): Promise<BackendInfo> {
  if (!(BACKENDS as readonly string[]).includes(choice)) {
    throw new UserError(`unknown backend '${choice}'; expected ${oneOf(BACKENDS)}`);
  }
  const log = opts.log ?? (() => {});
  const wasmThreads = checkWasmThreads(choice, opts.wasmThreads);
  const reasons: string[] = [];
  let name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' | null = null;
  let pkg: string | undefined;
  let adapter: GpuAdapterInfo | undefined;

  if (choice === 'tensorflow') {
    pkg = (await tryTensorflow(NODE_PACKAGES, reasons, log)) ?? undefined;
    if (!pkg) {
      throw new UserError(`backend tensorflow is not available (${reasons.join('; ')}); ${INSTALL_HINT}.` + ' Meanwhile use the wasm or cpu backend.');
    }
    name = 'tensorflow';
  }
  if (choice === 'auto') {
    pkg = (await tryTensorflow([NODE_PACKAGES[0]], reasons, log)) ?? undefined;
    if (pkg) name = 'tensorflow';
  }
  if (!name && (choice === 'auto' || choice === 'webgpu')) {
    adapter = (await tryWebGpu(choice === 'auto', reasons, log)) ?? undefined;
    if (adapter) name = 'webgpu';
    else if (choice === 'webgpu') {
      throw new UserError(`backend webgpu is not available: ${reasons[reasons.length - 1].replace(/^webgpu: /, '')}`);
    }
  }
  if (!name && choice === 'auto') {
    pkg = (await tryTensorflow(NODE_PACKAGES.slice(1), reasons, log)) ?? undefined;
    if (pkg) name = 'tensorflow';
  }
  for (const candidate of ['wasm', 'cpu'] as const) {
    if (name || (choice !== 'auto' && choice !== candidate)) continue;
    if (await tryBrowserish(candidate, reasons, log, wasmThreads)) name = candidate;
    else if (choice === candidate) {
      throw new UserError(`backend ${candidate} is not available: ${reasons[reasons.length - 1].replace(/^\w+: /, '')}`);
    }
  }
  if (!name) throw new Error(`no tfjs backend could be initialized: ${reasons.join('; ')}`);
  silenceNodeBanner();

  let registeredKernels: string[] = [];
  if (name === 'wasm' || name === 'cpu') {
    const gradientBackend: GradientBackend = name;
    if (opts.ourKernels === false) restoreStockKernels(gradientBackend);
    else registeredKernels = registerGradientKernels(gradientBackend);
  }

  const info: BackendInfo = {
    name,
    requested: choice,
    tfjsVersion: tf.version.tfjs,
    ...(pkg ? { package: pkg } : {}),
    ...(adapter ? { adapter } : {}),
    kernels: registeredKernels.length > 0 ? 'ours' : 'stock',
    registeredKernels,
    fallbackReasons: reasons,
  };
  if (name === 'wasm') await describeWasm(info, wasmThreads);
  for (const reason of reasons) {
    // on a machine without a GPU, 'auto' probing webgpu is routine: the Vulkan install hint is for --backend webgpu
    const noGpu = choice === 'auto' && /^webgpu: no WebGPU adapter found/.test(reason);
    log(noGpu ? 'backend: skipped webgpu (no GPU adapter found; --backend webgpu says why)' : `backend: skipped ${reason}`);
  }
  log(backendSummary(info));
  return info;
}

/** One line, e.g. "backend wasm (simd, 1 thread, our gradient kernels), tfjs 4.22.0". */
export function backendSummary(info: BackendInfo): string {
  const details: string[] = [];
  if (info.package) details.push(info.package);
  if (info.adapter) details.push(adapterSummary(info.adapter));
  if (info.simd !== undefined) details.push(info.simd ? 'simd' : 'no simd');
  if (info.threadCount !== undefined) details.push(`${info.threadCount} thread${info.threadCount === 1 ? '' : 's'}`);
  else if (info.threads !== undefined) details.push(info.threads ? 'threads' : 'single-threaded');
  details.push(info.kernels === 'ours' ? 'our gradient kernels' : 'stock kernels');
  return `backend ${info.name} (${details.join(', ')}), tfjs ${info.tfjsVersion}`;
}
