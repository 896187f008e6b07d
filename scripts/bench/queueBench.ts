/**
 * Benchmark of the job queue (not a test): `node dist/scripts/bench/queueBench.js [--workers 1,2,4] [--preset quick]
 * [--jobs 200] [--queue redis://...] [--save results/bench/queue.json]`. Without --queue it starts a private redis-server on a free loopback port.
 *
 * 1. The smoke matrix (experiments/smoke.ts) through `ablate --queue` with 1, 2, 4 `worker` processes (started and
 *    ready before the clock starts; each one's first job includes its child process loading tfjs), beside the local
 *    pool (`ablate --workers N`) on the same machine.
 * 2. The queue's own cost per job: no-op jobs through a BullMQ worker in this process (add -> completed event seen by
 *    QueueEvents), one at a time (round trip) and 200 at once (throughput); and the same through a sandboxed no-op
 *    processor (a child process, as `worker` runs runs).
 * Prints one JSON document on stdout (and in --save), progress lines on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { parseRedisUrl, redactText, redisOptions } from '../../src/queue/connection.js';
import { freePort } from '../../src/util/freePort.js';
import { percentile } from '../../src/util/stats.js';
import { emitBenchDocument, spawnCli, timeAblate } from './ablateCli.js';

const SMOKE = 'experiments/smoke.ts';

async function startRedis(dir: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', ''], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', () => reject(new Error('redis-server exited')));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

async function matrixOnQueue(url: string, workers: number, preset: string, out: string): Promise<number> {
  const ws = Array.from({ length: workers }, () => spawnCli(['worker', '--queue', url, '--backend', 'wasm']));
  await Promise.all(ws.map((w) => w.ready));
  try {
    return (await timeAblate(SMOKE, ['--queue', url, '--preset', preset, '--out', out, '--backend', 'wasm'])).seconds;
  } finally {
    for (const w of ws) w.child.kill('SIGTERM');
    await Promise.all(ws.map((w) => w.done));
  }
}

async function noopJobs(url: string, processor: string | null, jobs: number): Promise<{ roundTripMs: number; perJobMs: number }> {
  const connection = redisOptions(parseRedisUrl(url));
  const name = `bench-${processor ? 'sandboxed' : 'inline'}-${process.pid}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const worker = processor
    ? new Worker(name, processor, { connection, concurrency: 1, useWorkerThreads: false })
    : new Worker(name, async () => null, { connection, concurrency: 1 });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
  const waiting = new Map<string, () => void>();
  events.on('completed', ({ jobId }) => {
    waiting.get(jobId)?.();
    waiting.delete(jobId);
  });
  const finished = (id: string) => new Promise<void>((r) => waiting.set(id, r));
  try {
    // warm-up (forks the sandbox child), then one job at a time
    for (let i = 0; i < 3; i++) await Promise.all([finished(`w${i}`), queue.add('noop', {}, { jobId: `w${i}` })]);
    const rtt: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await Promise.all([finished(`r${i}`), queue.add('noop', {}, { jobId: `r${i}` })]);
      rtt.push(performance.now() - t);
    }
    const t0 = performance.now();
    const all = Array.from({ length: jobs }, (_, i) => finished(`b${i}`));
    await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: {}, opts: { jobId: `b${i}` } })));
    await Promise.all(all);
    return { roundTripMs: percentile(rtt, 50), perJobMs: (performance.now() - t0) / jobs };
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '1,2,4' },
      preset: { type: 'string', default: 'quick' },
      jobs: { type: 'string', default: '200' },
      queue: { type: 'string' },
      save: { type: 'string' },
    },
  });
  const started = new Date().toISOString();
  const counts = values.workers!.split(',').filter(Boolean).map(Number);
  const tmp = mkdtempSync(path.join(tmpdir(), 'vb-queue-bench-'));
  const redis = values.queue ? { url: values.queue, stop: () => {} } : await startRedis(tmp);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    const noopFile = path.join(tmp, 'noop.mjs');
    writeFileSync(noopFile, 'export default async function noop() { return null; }\n');
    const inline = await noopJobs(redis.url, null, Number(values.jobs));
    log(
      `no-op job, worker in process: round trip ${inline.roundTripMs.toFixed(2)} ms, ${inline.perJobMs.toFixed(2)} ms/job over ${values.jobs} queued at once`,
    );
    const sandboxed = await noopJobs(redis.url, noopFile, Number(values.jobs));
    log(
      `no-op job, sandboxed processor: round trip ${sandboxed.roundTripMs.toFixed(2)} ms, ${sandboxed.perJobMs.toFixed(2)} ms/job over ${values.jobs} queued at once`,
    );
    const matrix: { workers: number; queueSeconds: number; localSeconds: number }[] = [];
    for (const n of counts) {
      const queueSeconds = await matrixOnQueue(redis.url, n, values.preset!, path.join(tmp, `q${n}`));
      const localSeconds = (
        await timeAblate(SMOKE, ['--workers', String(n), '--preset', values.preset!, '--out', path.join(tmp, `l${n}`), '--backend', 'wasm'])
      ).seconds;
      matrix.push({ workers: n, queueSeconds, localSeconds });
      log(`smoke (${values.preset}) with ${n} worker process${n > 1 ? 'es' : ''}: queue ${queueSeconds.toFixed(1)} s, local pool ${localSeconds.toFixed(1)} s`);
    }
    const password = values.queue ? parseRedisUrl(values.queue).password : undefined;
    emitBenchDocument(
      {
        benchmark: 'queue',
        backend: 'wasm',
        preset: values.preset,
        started,
        loadavg: os.loadavg(),
        noopJob: { inline, sandboxed, jobs: Number(values.jobs) },
        matrix,
      },
      'queueBench.js',
      values.save,
      (text) => redactText(text, password),
    );
  } finally {
    redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
