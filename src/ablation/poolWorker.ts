/**
 * A pool worker process (forked by pool.ts): selects the coordinator's backend, then executes run descriptions
 * one at a time, reporting steps (at most 4 a second), epochs and the final record over IPC.
 *
 * A worker whose coordinator died (killed) notices at its next training step (its parent pid changes) and exits,
 * so a resumed matrix never races a leftover worker writing the same run folder.
 * Test hook: VANILLABENCH_TEST_CRASH_RUNS=<runId,...> kills the worker (SIGKILL) when it receives one of those runs.
 */
import { executeRun, type FromWorker, type ToWorker } from './executor.js';
import { workerContext } from './runBackend.js';
import type { RecordContext } from './store.js';

const parentPid = process.ppid;
const crashRuns = new Set((process.env.VANILLABENCH_TEST_CRASH_RUNS ?? '').split(',').filter(Boolean));
let ctx: RecordContext | null = null;

function send(msg: FromWorker): void {
  if (!process.connected || !process.send) process.exit(1);
  process.send(msg);
}

function checkParent(): void {
  if (process.ppid !== parentPid) process.exit(1);
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      try {
        ctx = await workerContext();
        send({ type: 'ready', backend: ctx.backend, tfjsVersion: ctx.tfjsVersion });
      } catch (err) {
        send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
        process.disconnect();
      }
      return;
    }
    case 'run': {
      if (!ctx) throw new Error('run before init');
      const { run } = msg;
      if (crashRuns.has(run.runId)) process.kill(process.pid, 'SIGKILL');
      let last = -Infinity;
      const record = await executeRun(run, msg.out, ctx, {
        onStep: (p) => {
          checkParent();
          const t = performance.now();
          if (t - last < 250 && p.step < p.stepsPerEpoch) return;
          last = t;
          send({ type: 'step', runId: run.runId, ...p });
        },
        onEpoch: (metrics) => send({ type: 'epoch', runId: run.runId, metrics }),
      });
      checkParent();
      send({ type: 'record', record });
      return;
    }
    case 'exit':
      process.disconnect();
      return;
  }
}

let chain: Promise<void> = Promise.resolve();
process.on('message', (msg: ToWorker) => {
  chain = chain
    .then(() => handle(msg))
    .catch((err: unknown) => {
      process.stderr.write(`worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(70);
    });
});
// Ctrl-C reaches the whole process group: the coordinator handles it (and kills the workers)
process.on('SIGINT', () => {});
process.on('disconnect', () => {
  // the coordinator is gone or done: nothing more will come
  setTimeout(() => process.exit(0), 100).unref();
});
