/**
 * Finding a Python 3 with PyTorch for the reference trainer (scripts/torch_train.py): `--python PATH`, else
 * $VANILLABENCH_PYTHON, else `python3` on PATH, then /usr/bin/python3 (Debian's python3-torch installs there, and a
 * pyenv or venv python3 first on PATH often lacks torch). Each candidate is probed with `torch_train.py --probe`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/provenance.js';
import { UserError } from '../util/errors.js';

export const INSTALL_HINT =
  'install it with `apt-get install python3-torch` (Debian/Ubuntu), or name an interpreter that has it with --python PATH or VANILLABENCH_PYTHON';

export interface TorchPython {
  /** the interpreter, as given or found */
  python: string;
  pythonVersion: string;
  torch: string;
  numpy: string;
}

export const referenceScript = (): string => path.join(packageRoot(), 'scripts', 'torch_train.py');

type Probe = { ok: true; found: TorchPython } | { ok: false; why: string };

function probe(python: string): Probe {
  const r = spawnSync(python, [referenceScript(), '--probe'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { ok: false, why: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message };
  if (r.status !== 0) {
    const line = r.stderr.trim().split('\n').pop() ?? '';
    return { ok: false, why: /No module named '?torch/.test(r.stderr) ? 'has no torch' : /numpy/.test(r.stderr) ? 'has no numpy' : line || `exit ${r.status}` };
  }
  try {
    const v = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { python: string; torch: string; numpy: string };
    return { ok: true, found: { python, pythonVersion: v.python, torch: v.torch, numpy: v.numpy } };
  } catch {
    return { ok: false, why: `unexpected probe output ${JSON.stringify(r.stdout.slice(0, 80))}` };
  }
}

/** The interpreter to run the reference trainer with; a UserError in one line when none has torch. */
export function findTorchPython(explicit?: string, env: NodeJS.ProcessEnv = process.env): TorchPython {
  if (!existsSync(referenceScript())) throw new Error(`internal: ${referenceScript()} is missing`);
  const given = explicit ?? (env.VANILLABENCH_PYTHON || undefined);
  if (given !== undefined) {
    const p = probe(given);
    if (p.ok) return p.found;
    const from = explicit !== undefined ? '--python' : 'VANILLABENCH_PYTHON';
    throw new UserError(
      `the Python given by ${from} (${given}) ${p.why === 'not found' ? 'was not found' : p.why}: PyTorch is needed for the reference trainer; ${INSTALL_HINT}`,
    );
  }
  const tried: string[] = [];
  for (const c of ['python3', '/usr/bin/python3']) {
    const p = probe(c);
    if (p.ok) return p.found;
    tried.push(`${c}: ${p.why}`);
  }
  throw new UserError(`no Python 3 with PyTorch found (${tried.join('; ')}): the reference trainer needs it; ${INSTALL_HINT}`);
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs the reference script without blocking the event loop (a test runner's or pool worker's must keep answering).
 * Lines of stdout that are JSON objects with an "event" go to `onEvent`; the rest (and stderr) is kept, its last
 * 20 kB, for the error message. The child is killed if this process exits or is signalled first.
 */
export function runReferenceScript(
  python: string,
  args: string[],
  onEvent?: (e: { event: string } & Record<string, unknown>) => void,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    // in this process's group: a pool worker's group kill (src/ablation/pool.ts) reaches it, hung or not
    const child = spawn(python, [referenceScript(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const killChild = () => child.kill('SIGKILL');
    // a signal nobody else handles ends this process: the child first (a signal sent to this process alone does
    // not reach it), then the signal's own effect; a handler of the caller's decides for itself
    const onSignal = (signal: NodeJS.Signals) => {
      if (process.listenerCount(signal) > 1) return;
      stopWatching();
      killChild();
      process.kill(process.pid, signal);
    };
    const stopWatching = () => {
      process.off('exit', killChild);
      for (const sig of SIGNALS) process.off(sig, onSignal);
    };
    process.once('exit', killChild);
    for (const sig of SIGNALS) process.on(sig, onSignal);
    let output = '';
    let partial = '';
    const keep = (text: string) => {
      output = (output + text).slice(-20_000);
    };
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const e = onEvent && line.startsWith('{"event"') ? parseEvent(line) : null;
        if (e) onEvent!(e);
        else keep(`${line}\n`);
      }
    });
    child.stderr.on('data', (d: Buffer) => keep(d.toString('utf8')));
    child.on('error', (e) => {
      stopWatching();
      resolve({ status: -1, output: `${output}\n${e.message}` });
    });
    child.on('close', (status) => {
      stopWatching();
      resolve({ status, output: output + partial });
    });
  });
}

function parseEvent(line: string): ({ event: string } & Record<string, unknown>) | null {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && typeof (v as { event?: unknown }).event === 'string'
      ? (v as { event: string } & Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The last lines of a failed reference run, for the error message. */
export function referenceFailure(r: { status: number | null; output: string }): Error {
  const tail = r.output.trim().split('\n').slice(-15).join('\n');
  return new Error(`the reference trainer failed (exit ${r.status}):\n${tail}`);
}
