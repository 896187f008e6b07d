/**
 * Provenance stamped on every stored result: what ran, from which commit, on
 * which backend and machine, when, with which seed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The GPU a webgpu run used (src/backend/webgpu.ts finds it). */
export interface GpuAdapterInfo {
  /** What to call the GPU: the adapter's device name, else its description, else vendor + architecture. */
  name: string;
  vendor: string;
  architecture: string;
  device: string;
  /** Dawn puts the driver's description here (name and version). */
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe/lavapipe) or Dawn's null backend, not a GPU. */
  software: boolean;
}

/** What a run's provenance takes from the backend choice (src/backend/select.ts BackendInfo has it all). */
export interface BackendStamp {
  name: string;
  tfjsVersion: string;
  kernels: 'ours' | 'stock';
  adapter?: GpuAdapterInfo;
}

export interface MachineInfo {
  cpuModel: string;
  /** Linux x86: the CPU's family and model numbers and its widest vector ISA, e.g. "family 25 model 17, avx512":
   *  a VM often names only "AMD EPYC", and wall times (PyTorch's above all) differ across its generations. */
  cpuId?: string;
  /** Logical cores available to this process. */
  cores: number;
  memoryGiB: number;
  /** e.g. "linux-x64". */
  platform: string;
  /** e.g. "v20.20.2". */
  node: string;
  /** Host name as a slug ([a-z0-9-]), to tell machines apart in result files. */
  hostname: string;
}

export interface RunProvenance {
  /** The command line, e.g. "vanillabench train --model vanillanet-5 --seed 1". */
  command: string;
  /** git HEAD of the checkout that ran, null outside a git checkout. */
  commit: string | null;
  /** Whether tracked files differed from that commit; null when unknown. */
  dirty: boolean | null;
  backend: string;
  /** webgpu: the GPU that ran (name, vendor, architecture, driver) */
  adapter?: GpuAdapterInfo;
  tfjsVersion: string;
  kernels: 'ours' | 'stock';
  machine: MachineInfo;
  /** ISO 8601. */
  date: string;
  seed: number | null;
}

/** Lower-case, [a-z0-9-] only, no leading/trailing dashes. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'unknown'
  );
}

/** "family F model M, ISA" from /proc/cpuinfo's first processor (x86 Linux), else undefined. */
export function cpuIdOf(cpuinfo: string): string | undefined {
  const first = cpuinfo.split(/\n\s*\n/)[0];
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1].trim();
  const family = field('cpu family');
  const model = field('model');
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  if (family === undefined || model === undefined) return undefined;
  const isa = ['avx512f', 'avx2', 'avx', 'sse4_2'].find((f) => flags.has(f))?.replace(/f$/, '');
  return `family ${family} model ${model}${isa ? `, ${isa}` : ''}`;
}

function cpuId(): string | undefined {
  try {
    return process.platform === 'linux' ? cpuIdOf(readFileSync('/proc/cpuinfo', 'utf8')) : undefined;
  } catch {
    return undefined; // no /proc (a container without it): the model name stays
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const id = cpuId();
  return {
    cpuModel: cpus[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown',
    ...(id ? { cpuId: id } : {}),
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    hostname: slug(os.hostname()),
  };
}

/** The directory holding this package's package.json (works from src/ and dist/src/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return null; // not a checkout, or no git
  }
}

const commitCache = new Map<string, string | null>();

/**
 * `git rev-parse HEAD` of the checkout holding this package (or `cwd`); outside a checkout, VANILLABENCH_GIT_COMMIT
 * (set by scripts/gpu-check.sh: its bundle was built from a checkout but runs where there is none), else null.
 */
export function gitCommit(cwd: string = packageRoot()): string | null {
  if (!commitCache.has(cwd)) {
    const head = git(['rev-parse', 'HEAD'], cwd) ?? process.env.VANILLABENCH_GIT_COMMIT ?? null;
    commitCache.set(cwd, head && /^[0-9a-f]{40,64}$/.test(head) ? head : null);
  }
  return commitCache.get(cwd) ?? null;
}

/** Whether tracked files have uncommitted changes; null when not a git checkout. */
export function gitDirty(cwd: string = packageRoot()): boolean | null {
  const status = git(['status', '--porcelain', '--untracked-files=no'], cwd);
  if (status === null) {
    const env = process.env.VANILLABENCH_GIT_DIRTY; // as VANILLABENCH_GIT_COMMIT
    return env === 'true' ? true : env === 'false' ? false : null;
  }
  return status.length > 0;
}

/** Quotes an argument for display when the shell would need it. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Provenance of this run. `argv` is what the CLI received after the program
 * name (command first), e.g. process.argv.slice(2).
 */
export function runProvenance(argv: readonly string[], backend: BackendStamp, seed?: number): RunProvenance {
  return {
    command: ['vanillabench', ...argv].map(shellQuote).join(' '),
    commit: gitCommit(),
    dirty: gitDirty(),
    backend: backend.name,
    ...(backend.adapter ? { adapter: backend.adapter } : {}),
    tfjsVersion: backend.tfjsVersion,
    kernels: backend.kernels,
    machine: machineInfo(),
    date: new Date().toISOString(),
    seed: seed ?? null,
  };
}
