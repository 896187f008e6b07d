import { describe, expect, it } from 'vitest';
import { checkQueueName, describeRedisError, parseRedisUrl, redactText, redisOptions } from '../../src/queue/connection.js';
import { checkReturnedRecord, jobData, jobIdOf, versionMismatch } from '../../src/queue/protocol.js';
import { MATRIX_VERSION, type RunDescription } from '../../src/ablation/matrix.js';
import { cell, record } from '../ablation/helpers.js';

describe('Redis URLs', () => {
  it('parses host, port, db, user, password and TLS; the printable form hides the password', () => {
    const t = parseRedisUrl('redis://:s%40cret@10.0.0.5:6380/2', {});
    expect(t).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, password: 's@cret', tls: false, redacted: 'redis://:***@10.0.0.5:6380/2' });
    expect(parseRedisUrl('rediss://bench:pw@redis.lan', {})).toMatchObject({
      host: 'redis.lan',
      port: 6379,
      db: 0,
      username: 'bench',
      password: 'pw',
      tls: true,
      redacted: 'rediss://bench:***@redis.lan',
    });
    expect(parseRedisUrl('redis://[::1]:7000', {})).toMatchObject({ host: '::1', port: 7000 });
    expect(JSON.stringify(parseRedisUrl('redis://:hunter2@h:1', {}).redacted)).not.toContain('hunter2');
  });

  it('takes the password from $VANILLABENCH_REDIS_PASSWORD when the URL has none', () => {
    const t = parseRedisUrl('redis://h:6379', { VANILLABENCH_REDIS_PASSWORD: 'from-env' });
    expect(t.password).toBe('from-env');
    expect(t.redacted).toBe('redis://h:6379');
    expect(redisOptions(t)).toMatchObject({ host: 'h', port: 6379, password: 'from-env' });
    expect(redisOptions(parseRedisUrl('rediss://h:6380', {})).tls).toEqual({ servername: 'h' });
  });

  it('refuses what is not a Redis URL, without echoing a password', () => {
    expect(() => parseRedisUrl('http://:pw123@h:1', {})).toThrow(/must be a redis:\/\/ or rediss:\/\/ \(TLS\) URL, got http:\/\/ in 'http:\/\/:\*\*\*@h:1'/);
    expect(() => parseRedisUrl('localhost:6379', {})).toThrow(/redis:/);
    expect(() => parseRedisUrl('not a url :pw@', {})).toThrow(/must be a Redis URL/);
    expect(() => parseRedisUrl('redis://h/x', {})).toThrow(/database number/);
    expect(() => checkQueueName('a:b')).toThrow(/no ':'/);
    expect(checkQueueName('vanillabench-gpu.1')).toBe('vanillabench-gpu.1');
  });

  it('turns connection errors into one line with a hint, password hidden', () => {
    const t = parseRedisUrl('redis://:topsecret@127.0.0.1:1', {});
    expect(describeRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), t)).toBe(
      'cannot reach Redis at redis://:***@127.0.0.1:1: connection refused (is redis-server running there, listening on that interface and port?)',
    );
    expect(describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), t)).toMatch(/refused the password \(WRONGPASS\)/);
    expect(describeRedisError(new Error('NOAUTH Authentication required.'), t)).toMatch(/requires a password/);
    expect(describeRedisError(new Error('connect ETIMEDOUT'), parseRedisUrl('rediss://h:1', {}))).toMatch(/timed out \(rediss:\/\/ needs a TLS port/);
    expect(describeRedisError(new Error('odd failure with topsecret inside'), t)).toBe(
      'cannot use Redis at redis://:***@127.0.0.1:1: odd failure with *** inside',
    );
    expect(redactText('a topsecret b', 'topsecret')).toBe('a *** b');
  });

  it('reconnects with backoff for a while, then gives up (so commands fail instead of hanging)', () => {
    const o = redisOptions(parseRedisUrl('redis://h', {}), { reconnectWindowMs: 50 });
    const retry = o.retryStrategy as (n: number) => number | null;
    expect(retry(1)).toBe(400);
    expect(retry(9)).toBe(5000);
    const until = Date.now() + 60;
    while (Date.now() < until) {
      /* let the window pass */
    }
    expect(retry(10)).toBeNull();
  });
});

describe('jobs', () => {
  const c = cell(0, { deepTraining: true });
  const run = { runId: '0123456789012345', experiment: 'smoke', preset: 'quick', cell: c, seed: 1, spec: {} } as unknown as RunDescription;

  it('job ids name the experiment and the run, are never integers and have no colon', () => {
    expect(jobIdOf(run)).toBe('smoke.0123456789012345');
    expect(jobIdOf(run)).not.toContain(':');
  });

  it('versions are checked on both sides', () => {
    const d = jobData(run, 'wasm');
    expect(versionMismatch(d)).toBeNull();
    expect(versionMismatch({ ...d, matrixVersion: MATRIX_VERSION + 1 })).toBe(`matrix version ${MATRIX_VERSION + 1}, this code has ${MATRIX_VERSION}`);
    expect(versionMismatch({ ...d, protocol: 0 })).toMatch(/queue protocol 0/);
    expect(versionMismatch({ hello: 1 })).toMatch(/not a vanillabench run/);
  });

  it("a returned record must be the run's", () => {
    const r = { ...record(c, 1, 80), runId: run.runId, experiment: 'smoke' };
    expect(checkReturnedRecord(r, run)).toBeNull();
    expect(checkReturnedRecord(null, run)).toMatch(/returned null/);
    expect(checkReturnedRecord({ ...r, runId: 'x' }, run)).toMatch(/record of run x/);
    expect(checkReturnedRecord({ ...r, status: 'great' }, run)).toMatch(/status great/);
  });
});

describe('the sandboxed processor', () => {
  it('refuses a job of another version before training, saying what differs', async () => {
    const { default: processRunJob } = await import('../../src/queue/processor.js');
    const c = cell(0, { deepTraining: true });
    const run = { runId: '0123456789012345', experiment: 'smoke', preset: 'quick', cell: c, seed: 1, spec: {} } as unknown as RunDescription;
    const job = { id: 'smoke.0123456789012345', data: { ...jobData(run, 'wasm'), recordVersion: 99 } } as unknown as Parameters<typeof processRunJob>[0];
    await expect(processRunJob(job)).rejects.toThrow(
      /cannot run job smoke\.0123456789012345: record version 99, this code has 1; run the same vanillabench version/,
    );
  });
});
