import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { measureLatency, sampleCalls, timeSingleCall } from '../../src/bench/measureLatency.js';
import { modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';

/** A clock for tinybench's two reads per call (start, end): each call lasts the next of `durations` ms. */
function stubClock(durations: number[]): { clock: () => number; calls: () => number } {
  let t = 1000;
  let reads = 0;
  let i = 0;
  return {
    clock: () => {
      if (reads++ % 2 === 1) t += durations[i++ % durations.length];
      return t;
    },
    calls: () => i,
  };
}

let model: Model;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  model = Model.create('vanillanet-5', modelOptions('vanillanet-5', { width: 1 / 32, inputSize: 32, numClasses: 10 }), 'deploy', 1);
});

afterAll(() => model?.dispose());

describe('latency statistics on a stubbed clock', () => {
  it('excludes the warm-up calls and computes median, p90, rme from the timed samples', async () => {
    // two warm-up calls (100 and 200 ms, must not count), then 10 timed calls of 1..10 ms in scrambled order
    const s = stubClock([100, 200, 10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
    const before = tf.memory().numTensors;
    const r = await measureLatency(model, { batch: 1, minTimeMs: 0, minSamples: 10, warmupMs: 0, warmupRuns: 2, clock: s.clock });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.calls()).toBe(12);
    expect(r.warmupRuns).toBe(2);
    expect(r.n).toBe(10);
    expect(r.samplesMs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.mean).toBeCloseTo(5.5, 12);
    expect(r.median).toBeCloseTo(5.5, 12);
    expect(r.p90).toBeCloseTo(9.1, 12);
    expect(r.p99).toBeCloseTo(9.91, 12);
    expect(r.min).toBe(1);
    expect(r.max).toBe(10);
    expect(r.sd).toBeCloseTo(3.0276503540974917, 12);
    // t(0.975, 9) = 2.2621571628540993; rme = 100 * sd / sqrt(10) * t / mean
    expect(r.rme).toBeCloseTo(39.3791, 4);
    expect(r.throughput).toBeCloseTo(1 / 0.0055, 9);
  });

  it('samples until both the minimum time and the minimum sample count are met', async () => {
    const a = stubClock([5]);
    const ra = await sampleCalls(async () => {}, { minTimeMs: 30, minSamples: 3, warmupRuns: 0, warmupMs: 0, clock: a.clock });
    expect(ra.samples.length).toBe(6); // 6 x 5 ms reach 30 ms
    expect(ra.warmupRuns).toBe(0);
    const b = stubClock([5]);
    const rb = await sampleCalls(async () => {}, { minTimeMs: 5, minSamples: 4, warmupRuns: 0, warmupMs: 0, clock: b.clock });
    expect(rb.samples.length).toBe(4);
    const c = stubClock([50, 50, 2]);
    const rc = await sampleCalls(async () => {}, { minTimeMs: 0, minSamples: 1, warmupRuns: 1, warmupMs: 100, clock: c.clock });
    expect(rc.warmupRuns).toBe(2); // warm-up also runs until both its time and its count are met
    expect(rc.samples).toEqual([2]);
  });

  it('propagates an error of the timed call', async () => {
    await expect(
      sampleCalls(
        async () => {
          throw new Error('boom');
        },
        { minTimeMs: 0, minSamples: 2, warmupRuns: 0, warmupMs: 0 },
      ),
    ).rejects.toThrow('boom');
  });
});

describe('measureLatency on a tiny model (real clock)', () => {
  it('times deploy and train forms without leaking tensors', async () => {
    const train = Model.create('vanillanet-5', modelOptions('vanillanet-5', { width: 1 / 32, inputSize: 32, numClasses: 10 }), 'train', 1);
    train.setLambda(1);
    try {
      const before = tf.memory().numTensors;
      for (const m of [model, train]) {
        const r = await measureLatency(m, { batch: 2, minTimeMs: 50, minSamples: 5 });
        expect(r.n).toBeGreaterThanOrEqual(5);
        expect(r.samplesMs.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(50 - 1e-9);
        expect(r.min).toBeGreaterThan(0);
        expect(r.min).toBeLessThanOrEqual(r.median);
        expect(r.median).toBeLessThanOrEqual(r.p90);
        expect(r.p90).toBeLessThanOrEqual(r.p99);
        expect(r.p99).toBeLessThanOrEqual(r.max);
        expect(r.throughput).toBeCloseTo(2 / (r.mean / 1000), 6);
        expect(r.warmupRuns).toBeGreaterThanOrEqual(3);
      }
      expect(await timeSingleCall(model, 1)).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      train.dispose();
    }
  });
});
