/**
 * tfjs-wasm's multi-threaded build in Node (src/backend/wasmThreads.ts): it starts with the threads asked for, gives
 * the single-threaded build's outputs, and lets the process end. One process per thread count (fixed per process).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';

interface Probe {
  threadCount: number;
  threads: boolean;
  logits: Record<string, number[]>;
}

function probe(threads: number): Probe {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test/support/wasmThreadsProbe.mjs'), String(threads)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0); // a pool thread left referenced would keep the process alive until the timeout
  return JSON.parse(r.stdout) as Probe;
}

beforeAll(() => ensureBuilt(['dist/src/backend/select.js', 'dist/src/backend/wasmThreads.js']));

describe('tfjs-wasm threads', () => {
  it('2 threads: the threaded build with a pool of 2, the same logits as 1 thread', () => {
    const one = probe(1);
    const two = probe(2);
    expect(one.threadCount).toBe(1);
    expect(one.threads).toBe(false);
    expect(two.threadCount).toBe(2);
    expect(two.threads).toBe(true);
    for (const [name, ref] of Object.entries(one.logits)) {
      const got = two.logits[name];
      expect(got).toHaveLength(ref.length);
      const scale = Math.max(...ref.map(Math.abs));
      const err = Math.max(...ref.map((v, i) => Math.abs(v - got[i])));
      expect(err / scale, name).toBeLessThan(1e-5);
    }
  });
});
