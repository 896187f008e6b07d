/**
 * The benchmarks' way of running the real CLI (`bin/vanillabench.js`) as a child process, as a user would, and
 * timing it from spawn to exit (so process start-up, tfjs loading and worker start-up are all counted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { gitCommit, machineInfo, packageRoot } from '../../src/util/provenance.js';

export const ROOT = packageRoot();
const CLI = path.join(ROOT, 'bin', 'vanillabench.js');

export interface CliRun {
  child: ChildProcess;
  /** resolves when a `worker` process says it is listening on its queue */
  ready: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export function spawnCli(args: string[]): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (/worker \S+: queue '/.test(stderr)) onReady();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, ready, done };
}

export interface TimedAblate {
  /** spawn to exit */
  seconds: number;
  /** the command's --json result */
  result: { wallSeconds: number; runs: { ok: number; diverged: number; failed: number; skipped: number } };
}

/** `vanillabench ablate <experiment> ...args --json`, timed; throws with its stderr when it fails. */
export async function timeAblate(experiment: string, args: string[]): Promise<TimedAblate> {
  const t0 = performance.now();
  const r = await spawnCli(['ablate', experiment, ...args, '--json']).done;
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`ablate ${experiment} ${args.join(' ')} failed:\n${r.stderr}`);
  return { seconds, result: JSON.parse(r.stdout) as TimedAblate['result'] };
}

/**
 * A benchmark's result: `doc` with its provenance (commit, machine, the command line) printed as one JSON document
 * on stdout and, with `save`, written atomically to that file. `redact` scrubs secrets (a Redis password) from the
 * recorded command line.
 */
export function emitBenchDocument(doc: Record<string, unknown>, script: string, save?: string, redact: (s: string) => string = (s) => s): void {
  const command = redact(`node dist/scripts/bench/${script} ${process.argv.slice(2).join(' ')}`.trim());
  const text = `${JSON.stringify({ ...doc, commit: gitCommit(ROOT), machine: machineInfo(), command }, null, 2)}\n`;
  if (save) {
    mkdirSync(path.dirname(save), { recursive: true });
    writeFileAtomic(save, text);
  }
  process.stdout.write(text);
}
