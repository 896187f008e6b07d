/**
 * A latency study: several runtimes measured by one `latency --runtimes` run. Each runtime runs in its own process
 * (`latency` with its --runtime/--backend/--threads and the study's --run-id), one after the other, so that the
 * runtimes never share a process (tfjs backends are process-global, the wasm thread count is fixed once the backend
 * is up, and a runtime that crashes or is missing does not take the others with it). Every file of the study carries
 * the same run id, and its run's provenance names every runtime asked for and what became of it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readLatencyFile, writeLatencyFile, type LatencyRow, type StudyEntry } from '../results/latencyFile.js';
import { UserError } from '../util/errors.js';
import { log } from '../util/output.js';
import { packageRoot } from '../util/provenance.js';

/** One runtime of a study. */
export interface StudyRuntime {
  /** its name in the study: wasm, wasm-2t, cpu, webgpu, tensorflow, onnxruntime-1t ... */
  id: string;
  /** the flags of the `latency` run that measures it */
  flags: string[];
}

export const RUNTIMES_SYNTAX =
  "a comma-separated list of wasm, wasm:N (N XNNPACK threads), cpu, webgpu, tensorflow, onnxruntime (every core), onnxruntime:N, or 'all'";

/** What a runtime's files and study entries are called: threads are part of the name where they vary. */
export function runtimeStoreName(runtime: 'tfjs' | 'onnxruntime', backend: string, threads: number | undefined): string {
  if (runtime === 'onnxruntime') return `onnxruntime-${threads}t`;
  return backend === 'wasm' && threads !== undefined && threads > 1 ? `wasm-${threads}t` : backend;
}

function runtimeOf(item: string, cores: number): StudyRuntime {
  const m = /^(wasm|onnxruntime|cpu|webgpu|tensorflow)(?::(\d+))?$/.exec(item);
  if (!m || (m[2] !== undefined && !['wasm', 'onnxruntime'].includes(m[1])) || m[2] === '0') {
    throw new UserError(`--runtimes: unknown runtime '${item}'; expected ${RUNTIMES_SYNTAX}`);
  }
  const [, name, n] = m;
  if (name === 'onnxruntime') {
    const threads = n === undefined ? cores : Number(n);
    return { id: runtimeStoreName('onnxruntime', name, threads), flags: ['--runtime', 'onnxruntime', '--threads', String(threads)] };
  }
  const threads = n === undefined ? 1 : Number(n);
  return { id: runtimeStoreName('tfjs', name, threads), flags: ['--backend', name, ...(threads > 1 ? ['--threads', String(threads)] : [])] };
}

/** The runtimes of `--runtimes` ('all': every one this suite can run, threaded variants at every core). */
export function parseRuntimes(value: string, cores: number): StudyRuntime[] {
  const items =
    value.trim() === 'all'
      ? ['wasm', ...(cores > 1 ? [`wasm:${cores}`] : []), 'cpu', 'webgpu', 'tensorflow', 'onnxruntime:1', ...(cores > 1 ? [`onnxruntime:${cores}`] : [])]
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (items.length === 0) throw new UserError(`--runtimes needs ${RUNTIMES_SYNTAX}`);
  const runtimes = items.map((i) => runtimeOf(i, cores));
  const ids = runtimes.map((r) => r.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new UserError(`--runtimes names ${twice} twice`);
  return runtimes;
}

/** What one runtime's `latency --json` run gave. */
export interface StudyOutcome extends StudyEntry {
  rows: Omit<LatencyRow, 'run'>[];
}

/**
 * Why a runtime's process failed: a crash's first JavaScript error line ("RuntimeError: memory access out of bounds"),
 * where Node's own last lines (its version) say nothing, else its last line (a user error's one line).
 */
export function failureReason(lines: readonly string[], code: number | null): string {
  const text = lines.map((l) => l.trim()).filter(Boolean);
  const crash = text.find((l) => /^[A-Z]\w*Error: /.test(l));
  return crash ? `crashed: ${crash}` : (text.pop()?.replace(/^vanillabench: /, '') ?? `exit status ${code}`);
}

/** Runs `latency <flags> --json` in a child process, its stderr passed on line by line with the runtime's name. */
function runChild(rt: StudyRuntime, flags: readonly string[]): Promise<StudyOutcome> {
  const bin = path.join(packageRoot(), 'bin', 'vanillabench.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'latency', ...flags, ...rt.flags, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    const lines: string[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const parts = (pending + d.toString()).split('\n');
      pending = parts.pop() ?? '';
      for (const l of parts) {
        lines.push(l);
        log(`[${rt.id}] ${l}`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending) lines.push(pending);
      if (code === 0) {
        const doc = JSON.parse(stdout) as { file: string; rows: Omit<LatencyRow, 'run'>[] };
        resolve({ id: rt.id, status: 'ok', file: path.basename(doc.file), rows: doc.rows });
        return;
      }
      resolve({ id: rt.id, status: 'failed', reason: failureReason(lines, code), rows: [] });
    });
  });
}

/**
 * Measures every runtime in turn with the same `flags` (models, forms, setting, sampling, --out, --run-id), then
 * writes the study (every runtime and what became of it) into the run of each file written. A runtime that fails
 * (not installed, no GPU, too little memory) is recorded with its reason; if none is measured, a UserError.
 */
export async function runStudy(
  runtimes: readonly StudyRuntime[],
  flags: readonly string[],
  out: string,
  runId: string,
  command: string,
): Promise<StudyOutcome[]> {
  const outcomes: StudyOutcome[] = [];
  for (const [i, rt] of runtimes.entries()) {
    log(`latency: study ${runId}, runtime ${i + 1}/${runtimes.length}: ${rt.id}`);
    const o = await runChild(rt, flags);
    if (o.status === 'failed') log(`latency: ${rt.id} failed: ${o.reason}`);
    outcomes.push(o);
  }
  const entries: StudyEntry[] = outcomes.map(({ rows: _r, ...e }) => e);
  for (const o of outcomes) {
    if (o.status !== 'ok' || !o.file) continue;
    const file = path.join(out, o.file);
    const data = readLatencyFile(file);
    if (!data) continue;
    data.runs = data.runs.map((r) => (r.runId === runId ? { ...r, study: { command, runtimes: entries } } : r));
    writeLatencyFile(file, data);
  }
  if (!outcomes.some((o) => o.status === 'ok')) {
    throw new UserError(`no runtime of the study could be measured: ${outcomes.map((o) => `${o.id}: ${o.reason}`).join('; ')}`);
  }
  return outcomes;
}
