/**
 * When the report calls a latency run "under load": the 1-minute load average counts the measuring process's own
 * threads, and its value at the start still holds the minute before (in a study, the runtime timed just before).
 */
import { describe, expect, it } from 'vitest';
import { underLoad } from '../../src/results/latencyRun.js';

describe('underLoad', () => {
  it('does not count the run itself, nor what ran the minute before it started', () => {
    // a study's first runtime, started while the previous job's load decayed; one thread of its own at the end
    expect(underLoad({ before: 2.66, after: 1.04 }, 2, 1)).toBe(false);
    // tfjs-wasm on 2 threads: its own two threads are the load
    expect(underLoad({ before: 1.04, after: 1.67 }, 2, 2)).toBe(false);
  });
  it('flags other work beyond half the cores at the run end', () => {
    expect(underLoad({ before: 0.1, after: 2.3 }, 2, 1)).toBe(true);
    expect(underLoad({ before: 0.1, after: 4.2 }, 2, 2)).toBe(true);
    expect(underLoad({ before: 0.1, after: 1.9 }, 2, 1)).toBe(false);
    expect(underLoad(undefined, 2, 1)).toBe(false);
  });
});
