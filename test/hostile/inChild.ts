/**
 * Runs exported functions of the built code (dist/) in a child process with a time bound, so that a reader that
 * blocks (a FIFO opened for reading waits for a writer) or reads without end (/dev/zero) shows as a timeout or a
 * killed child instead of hanging or killing the test worker. Calls are batched (one child loads the code once);
 * each writes its outcome as one line, so a hang is pinned on the call that did not answer.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/build.js';

export interface Call {
  /** under dist/, e.g. 'src/ablation/store.js' */
  module: string;
  /** an export, or a static method: 'RunStore.open' */
  fn: string;
  args: unknown[];
  /** a property path of the result to keep (e.g. 'records.length'): results stay small */
  pick?: string;
}

export interface ChildOutcome {
  /** the function returned (its picked result) */
  ok: boolean;
  result?: unknown;
  /** the error's name and message when it threw */
  error?: { name: string; message: string };
  /** no answer within the time bound (a hang), or the child died (out of memory) on this call */
  timedOut: boolean;
  crashed: boolean;
  ms: number;
  /** the child's peak resident memory so far (MiB) */
  maxRssMiB?: number;
}

const SCRIPT = `
  const [root, calls] = JSON.parse(process.argv[1]);
  const line = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
  const rss = () => process.resourceUsage().maxRSS / 1024;
  (async () => {
    for (const c of calls) {
      const t0 = Date.now();
      try {
        const m = await import(root + '/dist/' + c.module);
        const names = c.fn.split('.');
        const self = names.slice(0, -1).reduce((o, k) => o[k], m);
        let r = await self[names[names.length - 1]](...c.args);
        if (c.pick) for (const k of c.pick.split('.')) r = r?.[k];
        line({ ok: true, result: r ?? null, ms: Date.now() - t0, maxRssMiB: rss() });
      } catch (e) {
        line({ ok: false, error: { name: e?.name ?? 'Error', message: String(e?.message ?? e) }, ms: Date.now() - t0, maxRssMiB: rss() });
      }
    }
  })();`;

/**
 * Runs `calls` in order in one child (heap `heapMiB`); resolves with one outcome per call after `timeoutMs` at most.
 * With VB_HOSTILE_ISOLATE=1, each call gets a child of its own (8 s each): slower, but on code where one call hangs
 * (e.g. the code before a fix) every other call still gets its own outcome.
 */
export async function callsInChild(calls: Call[], opts: { timeoutMs?: number; heapMiB?: number } = {}): Promise<ChildOutcome[]> {
  if (process.env.VB_HOSTILE_ISOLATE !== '1' || calls.length === 1) return record(calls, await runChild(calls, opts));
  const out: ChildOutcome[] = [];
  for (const c of calls) out.push(...(await runChild([c], { ...opts, timeoutMs: 8_000 })));
  return record(calls, out);
}

/** With VB_HOSTILE_OUTCOMES=<file>: every call and its outcome appended there as a JSON line (to review a run). */
function record(calls: Call[], outcomes: ChildOutcome[]): ChildOutcome[] {
  const file = process.env.VB_HOSTILE_OUTCOMES;
  if (file) for (const [i, c] of calls.entries()) appendFileSync(file, `${JSON.stringify({ call: c, outcome: outcomes[i] })}\n`);
  return outcomes;
}

function runChild(calls: Call[], opts: { timeoutMs?: number; heapMiB?: number }): Promise<ChildOutcome[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${opts.heapMiB ?? 256}`, '-e', SCRIPT, JSON.stringify([ROOT.replace(/\/$/, ''), calls])], {
      cwd: path.join(ROOT),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const answered = out
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ ...(JSON.parse(l) as ChildOutcome), timedOut: false, crashed: false }));
      const rest = calls.slice(answered.length).map((_, i) => ({
        ok: false,
        timedOut: timedOut && i === 0,
        crashed: !timedOut && i === 0,
        ms: 0,
        error: {
          name: i === 0 ? 'no answer' : 'not run',
          message: i === 0 ? `${timedOut ? 'hung' : `child ended (${signal ?? code})`}: ${err.slice(-300)}` : 'an earlier call did not answer',
        },
      }));
      resolve([...answered, ...rest]);
    });
  });
}

/** One call in its own child (for memory bounds: maxRSS is the child's). */
export async function callInChild(call: Call, opts: { timeoutMs?: number; heapMiB?: number } = {}): Promise<ChildOutcome> {
  return (await callsInChild([call], opts))[0];
}

/** The outcome is one clear refusal: a UserError (whose message matches `re`), in time, without a crash. */
export function refusedClearly(o: ChildOutcome, re: RegExp): void {
  const what = JSON.stringify(o);
  if (o.timedOut) throw new Error(`hung: ${what}`);
  if (o.crashed) throw new Error(`crashed: ${what}`);
  if (o.ok) throw new Error(`accepted: ${what}`);
  if (o.error?.name !== 'UserError') throw new Error(`not a UserError: ${what}`);
  if (!re.test(o.error.message)) throw new Error(`message does not match ${re}: ${what}`);
}
