/**
 * The built CLI (bin/vanillabench.js) as a child process, awaited without blocking the test worker's event loop
 * (a spawnSync of more than a minute makes vitest's worker miss its RPC deadline).
 */
import { spawn } from 'node:child_process';
import { ROOT } from './build.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `onSpawn` gets a function that kills the process (SIGKILL). */
export function runCli(args: string[], opts: { onSpawn?: (kill: () => void) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/vanillabench.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    opts.onSpawn?.(() => child.kill('SIGKILL'));
  });
}
