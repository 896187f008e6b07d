/**
 * The built CLI (bin/vanillabench.js) as a child process, awaited without blocking the test worker's event loop
 * (a spawnSync of more than a minute makes vitest's worker miss its RPC deadline).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './build.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** gets a function that kills the process (SIGKILL) */
  onSpawn?: (kill: () => void) => void;
  /** replaces this process's environment */
  env?: NodeJS.ProcessEnv;
  /** stderr goes to this file, opened for appending (as a shell's 2>>), instead of a socket to us; read back after */
  stderrFile?: string;
  /** the working folder (default: the repository) */
  cwd?: string;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const errFd = opts.stderrFile ? openSync(opts.stderrFile, 'a') : null;
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/vanillabench.js'), ...args], {
      cwd: opts.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', errFd ?? 'pipe'],
      env: opts.env ?? process.env,
    });
    if (errFd !== null) closeSync(errFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr: opts.stderrFile ? readFileSync(opts.stderrFile, 'utf8') : stderr }));
    opts.onSpawn?.(() => child.kill('SIGKILL'));
  });
}
