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
 *
 * What it prints (through `log`): one line, the backend chosen and why in a few words. Every backend tried, why
 * each was skipped, and what Dawn printed while looking for a GPU, only in verbose mode (`--verbose`,
 * ../util/verbose.ts); the reason an explicit choice failed is in its one-line error.
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
import { isVerbose } from '../util/verbose.js';
import { checkTfjsFlags, seedTfjsFlags } from './tfjsFlags.js';
import {
  NoAdapterError,
  adapterSummary,
  findAdapter,
  probeAdapter,
  registerWebGpuBackend,
  releaseWebGpu,
  vulkanLoaderFound,
  type GpuAdapterInfo,
} from './webgpu.js';
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
  /** Why this backend, in a few words, e.g. "as asked" or "auto: no GPU backend (webgpu: only a software adapter)". */
  why?: string;
  /** tfjs flags set from VANILLABENCH_TFJS_FLAGS (src/backend/tfjsFlags.ts), as NAME=value. */
  tfjsFlags?: string[];
  /** wasm only: SIMD build in use. */
  simd?: boolean;
  /** wasm only: multithreaded build in use (in Node only when asked for: SelectOptions.wasmThreads). */
  threads?: boolean;
  /** wasm only: XNNPACK thread count. */
  threadCount?: number;
}

export interface SelectOptions {
  /** Where the backend line goes (stderr); default silent. */
  log?: (line: string) => void;
  /** Also log every backend tried and Dawn's output; default: verbose mode (../util/verbose.ts). */
  verbose?: boolean;
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
  return first.length > 240 ? `${first.slice(0, 237)}...` : first;
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

async function tryTensorflow(packages: readonly string[], reasons: string[], say: (s: string) => void): Promise<string | null> {
  for (const pkg of packages) {
    say(`backend: trying ${pkg}`);
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

/** webgpu: an adapter (hardware only when `hardwareOnly`), then tfjs' backend on it. Dawn's output goes to `say`. */
async function tryWebGpu(hardwareOnly: boolean, reasons: string[], say: (s: string) => void): Promise<GpuAdapterInfo | null> {
  say('backend: trying webgpu');
  const t0 = performance.now();
  let adapter: GpuAdapterInfo;
  const dawnSays = (lines: readonly string[]) => {
    for (const l of lines) say(`backend: dawn: ${l}`);
  };
  try {
    // first in a child process: Dawn's output (and a crashing driver) stays there, and a skipped adapter costs nothing here
    const probe = await probeAdapter();
    adapter = probe.adapter;
    dawnSays(probe.dawnOutput);
  } catch (err) {
    if (err instanceof NoAdapterError) dawnSays(err.dawnOutput);
    reasons.push(`webgpu: ${describeFailure(err)}`);
    return null;
  } finally {
    say(`backend: webgpu adapter probe took ${Math.round(performance.now() - t0)} ms`);
  }
  if (adapter.software && hardwareOnly) {
    reasons.push(`webgpu: only a software adapter (${adapterSummary(adapter)}), slower than wasm on the same CPU`);
    return null;
  }
  try {
    // now here, for tfjs; Dawn's output is captured where stderr allows (the probe showed it already)
    await findAdapter();
  } catch (err) {
    reasons.push(`webgpu: ${describeFailure(err)}`);
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
  return adapter;
}

async function tryBrowserish(name: 'wasm' | 'cpu', reasons: string[], say: (s: string) => void, wasmThreads = 1): Promise<boolean> {
  say(`backend: trying ${name}${name === 'wasm' && wasmThreads > 1 ? ` (multi-threaded build, ${wasmThreads} threads)` : ''}`);
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
  const verbose = opts.verbose ?? isVerbose();
  // the tried backends and Dawn's output: verbose mode only
  const say = verbose ? log : () => {};
  // before any backend package loads: some read their flags only then
  seedTfjsFlags();
  const wasmThreads = checkWasmThreads(choice, opts.wasmThreads);
  const reasons: string[] = [];
  let name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' | null = null;
  let pkg: string | undefined;
  let adapter: GpuAdapterInfo | undefined;

  if (choice === 'tensorflow') {
    pkg = (await tryTensorflow(NODE_PACKAGES, reasons, say)) ?? undefined;
    if (!pkg) {
      throw new UserError(`backend tensorflow is not available (${reasons.join('; ')}); ${INSTALL_HINT}.` + ' Meanwhile use the wasm or cpu backend.');
    }
    name = 'tensorflow';
  }
  if (choice === 'auto') {
    pkg = (await tryTensorflow([NODE_PACKAGES[0]], reasons, say)) ?? undefined;
    if (pkg) name = 'tensorflow';
  }
  if (!name && (choice === 'auto' || choice === 'webgpu')) {
    adapter = (await tryWebGpu(choice === 'auto', reasons, say)) ?? undefined;
    if (adapter) name = 'webgpu';
    else if (choice === 'webgpu') {
      // without a Vulkan loader Dawn never ran: there is nothing more to show
      const more = verbose || vulkanLoaderFound() === false ? '' : ' (--verbose shows all that Dawn said)';
      throw new UserError(`backend webgpu is not available: ${reasons[reasons.length - 1].replace(/^webgpu: /, '')}${more}`);
    }
  }
  if (!name && choice === 'auto') {
    pkg = (await tryTensorflow(NODE_PACKAGES.slice(1), reasons, say)) ?? undefined;
    if (pkg) name = 'tensorflow';
  }
  for (const candidate of ['wasm', 'cpu'] as const) {
    if (name || (choice !== 'auto' && choice !== candidate)) continue;
    if (await tryBrowserish(candidate, reasons, say, wasmThreads)) name = candidate;
    else if (choice === candidate) {
      throw new UserError(`backend ${candidate} is not available: ${reasons[reasons.length - 1].replace(/^\w+: /, '')}`);
    }
  }
  if (!name) throw new Error(`no tfjs backend could be initialized: ${reasons.join('; ')}`);
  silenceNodeBanner();
  const tfjsFlags = checkTfjsFlags();

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
    why: whyChosen(choice, name, pkg, adapter, reasons),
    ...(tfjsFlags.length > 0 ? { tfjsFlags } : {}),
  };
  if (name === 'wasm') await describeWasm(info, wasmThreads);
  for (const reason of reasons) say(`backend: skipped ${reason}`);
  if (tfjsFlags.length > 0) say(`backend: tfjs flags ${tfjsFlags.join(', ')}`);
  log(backendLine(info));
  return info;
}

/** wasm: SIMD, threads and XNNPACK's thread count. */
/** A skipped backend in a few words, e.g. "webgpu: only a software adapter". */
function shortReason(reason: string): string {
  const [who, what] = [reason.slice(0, reason.indexOf(': ')).replace(/^@tensorflow\//, ''), reason.slice(reason.indexOf(': ') + 2)];
  const words = /^not installed/.test(what)
    ? 'not installed'
    : /^only a software adapter/.test(what)
      ? 'only a software adapter'
      : /no Vulkan loader/.test(what)
        ? 'no Vulkan loader'
        : /^no WebGPU adapter found/.test(what)
          ? 'no adapter'
          : 'failed';
  return `${who}: ${words}`;
}

/** Why `name` runs: asked for, or what 'auto' found (the GPU backends it skipped, and why, in a few words). */
function whyChosen(choice: BackendChoice, name: string, pkg: string | undefined, adapter: GpuAdapterInfo | undefined, reasons: string[]): string {
  if (choice !== 'auto') return adapter?.software ? 'as asked; a software adapter, not a GPU' : 'as asked';
  if (name === 'webgpu') return 'auto: a GPU through WebGPU';
  if (name === 'tensorflow' && pkg === NODE_PACKAGES[0]) return `auto: ${pkg} loads`;
  const skipped = reasons.map(shortReason);
  const gpu = skipped.filter((r) => /^(tfjs-node-gpu|webgpu):/.test(r));
  const rest = skipped.filter((r) => !gpu.includes(r) && !/^tfjs-node:/.test(r));
  return `auto: no GPU backend (${gpu.join('; ')})${rest.length > 0 ? `; ${rest.join('; ')}` : ''}`;
}

/** The one line a command prints about its backend: the summary and why it was chosen. */
export function backendLine(info: BackendInfo): string {
  return `${backendSummary(info)}${info.why ? ` - ${info.why}` : ''}`;
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
