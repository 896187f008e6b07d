/**
 * The ablation matrix on a real BullMQ queue: a redis-server on a free loopback port (with a password), the built
 * CLI as one coordinator (`ablate --queue`) and worker processes (`worker`), experiments/smoke.ts (4 short runs).
 * A worker killed with SIGKILL mid-job: its job is retaken after stall detection and recorded once; the queue's
 * summary equals a local run's; a killed coordinator's restart collects what finished meanwhile without rerunning;
 * unreachable Redis, a wrong or missing password and another matrix's jobs each give one clear line, and so does a
 * worker on another backend than the matrix asks for.
 */
import { existsSync, mkdirSync, readdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreset } from '../../src/ablation/experiment.js';
import { loadExperiment } from '../../src/ablation/loadExperiment.js';
import { expandExperiment, MATRIX_VERSION } from '../../src/ablation/matrix.js';
import { readRuns } from '../../src/ablation/store.js';
import { parseRedisUrl, redisOptions } from '../../src/queue/connection.js';
import { jobData } from '../../src/queue/protocol.js';
import { Cli, cli, ensureBuilt, freePort, redisServerPath, ROOT, selfSignedCert, startRedis, type RedisServer } from './helpers.js';
import { alive } from '../support/process.js';

/** Linux: the pids whose parent is `pid` (empty elsewhere). */
function childPids(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return (
          readFileSync(`/proc/${d}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ')[1] === String(pid)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

const REDIS = redisServerPath();
if (!REDIS) console.warn('test/queue: redis-server not found (Debian: apt-get install redis-server): skipping the job queue tests');

const PASSWORD = 'pa55-w0rd-for-tests';
const WORKER_FLAGS = ['--backend', 'wasm', '--lock-duration', '3000', '--stalled-interval', '1000'];

describe.skipIf(!REDIS)('ablate --queue and worker (real redis-server)', () => {
  let redis: RedisServer;
  let tmp: string;
  let expectedRunIds: string[] = [];
  const live: Cli[] = [];
  const spawnCli = (args: string[]) => {
    const c = new Cli(args);
    live.push(c);
    return c;
  };
  const jobCounts = async () => {
    const q = new Queue('vanillabench', { connection: redisOptions(parseRedisUrl(redis.url)) });
    try {
      return await q.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed');
    } finally {
      await q.close();
    }
  };

  beforeAll(async () => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(tmpdir(), 'vb-queue-'));
    redis = await startRedis({ password: PASSWORD });
    const e = await loadExperiment(path.join(ROOT, 'experiments/smoke.ts'));
    expectedRunIds = expandExperiment(applyPreset(e, 'test'))
      .runs.map((r) => r.runId)
      .sort();
  }, 120_000);

  afterAll(async () => {
    for (const c of live) c.kill('SIGKILL');
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('two workers, one SIGKILLed mid-job: every run recorded once, ok; same summary as a local run; no secret anywhere', async () => {
    const local = path.join(tmp, 'local');
    const queued = path.join(tmp, 'queued');
    const w1 = spawnCli(['worker', '--queue', redis.url, ...WORKER_FLAGS]);
    const w2 = spawnCli(['worker', '--queue', redis.url, ...WORKER_FLAGS, '--json']);
    // the local reference runs while the workers start
    const ref = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', local, '--workers', '2', '--backend', 'wasm', '--json']);
    expect(ref.code).toBe(0);
    await Promise.all([w1.waitFor(/worker \S+: queue 'vanillabench'/), w2.waitFor(/worker \S+: queue 'vanillabench'/)]);

    const coord = spawnCli(['ablate', 'experiments/smoke.ts', '--preset', 'test', '--queue', redis.url, '--out', queued, '--backend', 'wasm', '--json']);
    // kill w1 a second into a job it has not finished (its first, unless that was very quick)
    const count = (re: RegExp, s: string) => (s.match(re) ?? []).length;
    let victimJob = '';
    for (let n = 1; !victimJob; n++) {
      await w1.waitFor((s) => count(/^started /gm, s) >= n);
      await new Promise((r) => setTimeout(r, 1000));
      if (count(/^(ok|diverged|failed) /gm, w1.stderr) < n) victimJob = [...w1.stderr.matchAll(/^started .*\(job (\S+)\)$/gm)][n - 1][1];
    }
    const orphans = childPids(w1.child.pid!); // its training process (BullMQ's sandbox)
    w1.kill('SIGKILL');

    const c = await coord.result();
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ experiment: 'smoke', runs: { ok: 4, diverged: 0, failed: 0, skipped: 0 } });
    expect(c.stderr).toMatch(/4 runs enqueued; 2 workers connected/);
    expect(c.stderr).toMatch(/overall/);
    // the killed worker's job went to the other worker; its training process noticed and stopped
    expect(w2.stderr).toContain(`(job ${victimJob})`);
    expect(c.stderr).toMatch(/its worker stopped renewing the job's lock/);
    expect(orphans.filter(alive)).toEqual([]);

    const recs = readRuns(path.join(queued, 'runs.jsonl')).records;
    expect(recs.map((r) => r.runId).sort()).toEqual(expectedRunIds);
    expect(recs.every((r) => r.status === 'ok' && r.backend === 'wasm')).toBe(true);
    for (const f of ['summary.md', 'summary.csv']) {
      expect(readFileSync(path.join(queued, f), 'utf8'), f).toBe(readFileSync(path.join(local, f), 'utf8'));
    }
    // collected jobs are removed: the queue is empty for the next matrix
    expect(await jobCounts()).toEqual({ active: 0, waiting: 0, delayed: 0, prioritized: 0, completed: 0, failed: 0 });

    // SIGTERM: graceful, one JSON document
    w2.kill('SIGTERM');
    const r2 = await w2.result();
    expect(r2.code, r2.stderr).toBe(0);
    const doc = JSON.parse(r2.stdout) as { jobs: { ok: number }; queue: string };
    expect(doc.jobs.ok).toBeGreaterThanOrEqual(2);
    expect(doc.queue).toBe(`redis://:***@127.0.0.1:${redis.port}`);

    const everything = [
      c.stdout,
      c.stderr,
      w1.stderr,
      w1.stdout,
      r2.stderr,
      r2.stdout,
      ...['runs.jsonl', 'summary.md', 'summary.csv', 'experiment.json'].map((f) => readFileSync(path.join(queued, f), 'utf8')),
    ].join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).toContain(':***@');
  });

  it('a coordinator killed after enqueueing: restarted, it collects what finished meanwhile without rerunning it', async () => {
    const out = path.join(tmp, 'restart');
    const args = ['ablate', 'experiments/smoke.ts', '--preset', 'test', '--queue', redis.url, '--out', out, '--backend', 'wasm'];
    const first = spawnCli(args);
    await first.waitFor(/4 runs enqueued/);
    first.kill('SIGKILL');
    await first.exited;

    const w = spawnCli(['worker', '--queue', redis.url, ...WORKER_FLAGS]);
    await w.waitFor((out) => (out.match(/^ok /gm) ?? []).length >= 4, 90_000);
    const again = await cli([...args, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 runs enqueued, 0 already queued or running, 4 finished while no coordinator listened/);
    expect(JSON.parse(again.stdout).runs).toEqual({ ok: 4, diverged: 0, failed: 0, skipped: 0 });
    expect(w.stderr.match(/^started /gm)).toHaveLength(4);
    const recs = readRuns(path.join(out, 'runs.jsonl')).records;
    expect(recs.map((r) => r.runId).sort()).toEqual(expectedRunIds);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toBe(readFileSync(path.join(tmp, 'local', 'summary.md'), 'utf8'));
    w.kill('SIGTERM');
    expect((await w.result()).code).toBe(0);
  }, 150_000);

  it('one clear line each: unreachable Redis, missing or wrong password, another matrix in the queue; the store keeps its records', async () => {
    // a store holding two records, resumed: none of the failures below may touch it
    const out = path.join(tmp, 'kept');
    mkdirSync(out, { recursive: true });
    const lines =
      readFileSync(path.join(tmp, 'local', 'runs.jsonl'), 'utf8')
        .split('\n')
        .slice(0, 2)
        .join('\n') + '\n';
    writeFileSync(path.join(out, 'runs.jsonl'), lines);
    const base = ['ablate', 'experiments/smoke.ts', '--preset', 'test', '--out', out, '--resume', '--backend', 'wasm'];
    const oneLine = (s: string) =>
      s
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('vanillabench:'));

    const closed = await freePort();
    const t0 = Date.now();
    const unreachable = await cli([...base, '--queue', `redis://:${PASSWORD}@127.0.0.1:${closed}`]);
    expect(unreachable.code).toBe(1);
    expect(oneLine(unreachable.stderr)).toEqual([
      `vanillabench: cannot reach Redis at redis://:***@127.0.0.1:${closed}: connection refused (is redis-server running there, listening on that interface and port?)`,
    ]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);

    const noPass = await cli([...base, '--queue', `redis://127.0.0.1:${redis.port}`]);
    expect(noPass.code).toBe(1);
    expect(noPass.stderr).toMatch(/^vanillabench: Redis at redis:\/\/127\.0\.0\.1:\d+ requires a password: give it in the URL/m);

    const wrong = await cli([...base, '--queue', `redis://:not-the-pa55word@127.0.0.1:${redis.port}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^vanillabench: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the password \(WRONGPASS\)/m);
    expect(wrong.stderr).not.toContain('not-the-pa55word');

    const worker = await cli(['worker', '--queue', `redis://127.0.0.1:${closed}`]);
    expect(worker.code).toBe(1);
    expect(worker.stderr).toMatch(/^vanillabench: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/m);

    // a job of another matrix version waits in the queue
    const e = await loadExperiment(path.join(ROOT, 'experiments/smoke.ts'));
    const run = expandExperiment(applyPreset(e, 'test')).runs[0];
    const q = new Queue('vanillabench', { connection: redisOptions(parseRedisUrl(redis.url)) });
    await q.add('old', { ...jobData(run, 'wasm'), matrixVersion: 0 }, { jobId: `smoke.old-${run.runId}` });
    const foreign = await cli([...base, '--queue', redis.url]);
    expect(foreign.code).toBe(1);
    expect(oneLine(foreign.stderr)).toHaveLength(1);
    expect(foreign.stderr).toMatch(
      new RegExp(
        `queue 'vanillabench' on redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+ holds 1 queued or running job of another matrix \\(e\\.g\\. job smoke\\.old-\\w+: matrix version 0, this code has ${MATRIX_VERSION}\\): .*--queue-name NAME.*--queue-clear`,
      ),
    );

    // --queue-clear removes it; with no worker, --queue-timeout gives up and leaves the runs queued
    const timedOut = await cli([...base, '--queue', redis.url, '--queue-clear', '--queue-timeout', '2']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toMatch(/removed 1 jobs of other matrices/);
    expect(timedOut.stderr).toMatch(/no run of this matrix started, progressed or finished .* 2 unfinished runs stay queued/);
    expect((await q.getJobCounts('waiting')).waiting).toBe(2);
    await q.obliterate({ force: true });
    await q.close();

    expect(readFileSync(path.join(out, 'runs.jsonl'), 'utf8')).toBe(lines);
    for (const r of [unreachable, noPass, wrong, foreign, timedOut]) expect(r.stderr).not.toContain(PASSWORD);
  }, 120_000);

  it('a worker on another backend than the matrix asks for refuses every job with one clear line; the coordinator starts no backend', async () => {
    const out = path.join(tmp, 'other-backend');
    const queue = ['--queue', redis.url, '--queue-name', 'backend-check'];
    const w = spawnCli(['worker', ...queue, ...WORKER_FLAGS.map((f) => (f === 'wasm' ? 'cpu' : f))]);
    await w.waitFor(/worker \S+: queue 'backend-check'/);
    const coord = await cli(['ablate', 'experiments/smoke.ts', '--preset', 'test', ...queue, '--out', out, '--backend', 'wasm']);
    expect(coord.code).toBe(1);
    expect(coord.stderr).toMatch(/4 runs failed/);
    // the coordinator only asks for the backend: it selects none (no backend summary line)
    expect(coord.stderr).not.toMatch(/^backend \w+ \(/m);
    const recs = readRuns(path.join(out, 'runs.jsonl')).records;
    expect(recs.map((r) => r.runId).sort()).toEqual(expectedRunIds);
    for (const r of recs) {
      expect(r.status).toBe('failed');
      expect(r.message).toMatch(
        /the job failed( on worker \S+)?: worker \S+ \(pid \d+\) runs backend cpu, the matrix asks for wasm: start the workers with --backend wasm/,
      );
      expect(r.backend).toBe('wasm');
    }
    await w.waitFor((o) => (o.match(/^job error /gm) ?? []).length >= 4);
    w.kill('SIGTERM');
    expect((await w.result()).code).toBe(0);
  }, 120_000);
});

describe.skipIf(!REDIS)('rediss:// (TLS)', () => {
  it('a worker connects over TLS with a private CA (NODE_EXTRA_CA_CERTS); without it, one line names the fix', async (ctx) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vb-tls-'));
    const tls = selfSignedCert(dir);
    if (!tls) return ctx.skip();
    let server: RedisServer;
    try {
      server = await startRedis({ password: PASSWORD, tls });
    } catch {
      rmSync(dir, { recursive: true, force: true });
      return ctx.skip(); // a redis-server built without TLS
    }
    try {
      const w = new Cli(['worker', '--queue', server.url, '--backend', 'wasm'], { NODE_EXTRA_CA_CERTS: tls.cert });
      await w.waitFor(/worker \S+: queue 'vanillabench' on rediss:\/\/:\*\*\*@localhost:\d+ \(Redis/);
      w.kill('SIGTERM');
      const wr = await w.result();
      expect(wr, wr.stderr).toMatchObject({ code: 0, signal: null });
      const untrusted = await cli(['worker', '--queue', server.url]);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(
        /^vanillabench: cannot use Redis at rediss:\/\/:\*\*\*@localhost:\d+: TLS certificate not accepted \(self-signed certificate\): .*NODE_EXTRA_CA_CERTS/m,
      );
      const plain = await cli(['worker', '--queue', server.url.replace('rediss:', 'redis:')]);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/^vanillabench: Redis at redis:\/\/:\*\*\*@localhost:\d+ closed the connection \(a TLS-only port needs rediss:\/\/\)/m);
      for (const r of [w.stderr, untrusted.stderr, plain.stderr]) expect(r).not.toContain(PASSWORD);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// without redis-server the file still reports why nothing ran
describe.skipIf(Boolean(REDIS))('job queue tests', () => {
  it.skip('need redis-server (apt-get install redis-server)', () => {});
});
