/**
 * ONNX Runtime latency: the same sampling and statistics as the tfjs runs on an exported deploy model, and a results
 * folder holding both runtimes still builds the report, tfjs as the primary, ONNX Runtime beside it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { measureOrtLatency, ortRunner, timeSingleOrtCall } from '../../src/bench/ortLatency.js';
import { formatLatencyJson, latencyCsv, mergeLatency, type LatencyFile, type LatencyRow } from '../../src/results/latencyFile.js';
import { exportOnnx } from '../../src/interop/onnxExport.js';
import { createOrtSession, loadOrt } from '../../src/interop/ort.js';
import { modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { buildReport } from '../../src/report/report.js';
import { timedRow } from '../support/latency.js';

const tmp = mkdtempSync(join(tmpdir(), 'vb-ortlat-'));
beforeAll(async () => {
  await selectBackend('wasm', { log: () => {} });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('measureOrtLatency', () => {
  it('times session.run + readback with tinybench: warm-up excluded, both minimums met', async () => {
    const m = Model.create('vanillanet-5', modelOptions('vanillanet-5', { width: 1 / 16, inputSize: 32, numClasses: 10 }), 'deploy', 1);
    const bytes = exportOnnx(m.desc, m.weights).bytes;
    const ort = await loadOrt();
    const session = await createOrtSession(ort, bytes, { threads: 1 });
    try {
      const runner = ortRunner(ort, session, m.desc, 2);
      expect(await timeSingleOrtCall(runner)).toBeGreaterThan(0);
      const r = await measureOrtLatency(runner, { batch: 2, minSamples: 7, minTimeMs: 0, warmupRuns: 2, warmupMs: 0 });
      expect(r.n).toBeGreaterThanOrEqual(7);
      expect(r.samplesMs).toHaveLength(r.n);
      expect(r.warmupRuns).toBeGreaterThanOrEqual(2);
      expect(r.min).toBeLessThanOrEqual(r.median);
      expect(r.throughput).toBeCloseTo(2 / (r.mean / 1000), 6);
    } finally {
      await session.release();
      m.dispose();
    }
  });
});

const machine = { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, platform: 'linux-x64', node: 'v20.0.0', hostname: 'test' };
const run = (backend: string) => ({
  command: 'vanillabench latency --input 224',
  commit: null,
  dirty: null,
  backend,
  tfjsVersion: '4.22.0',
  kernels: 'ours' as const,
  machine,
  date: '2025-01-01T00:00:00.000Z',
  seed: 0,
});
function row(model: string, form: 'deploy' | 'train', meanMs: number): Omit<LatencyRow, 'run'> {
  const { run: _, ...r } = timedRow(model, form, meanMs, { throughput: 1000 / meanMs });
  return r;
}

describe('stored ONNX Runtime results', () => {
  it('say runtime, version and threads; the report shows them beside the tfjs file, which stays primary', async () => {
    const dir = join(tmp, 'results');
    mkdirSync(join(dir, 'latency'), { recursive: true });
    const runtime = { name: 'onnxruntime' as const, version: '1.30.0', threads: 2, executionProvider: 'cpu' as const, opset: 13, irVersion: 7 };
    const ortFile: LatencyFile = mergeLatency(
      null,
      'onnxruntime',
      machine,
      run('onnxruntime'),
      [
        { ...row('vanillanet-5', 'deploy', 12), threads: 2 },
        { ...row('vanillanet-5', 'train', 0), status: 'skipped', reason: 'not available on onnxruntime', meanMs: undefined },
        { ...row('resnet-18', 'deploy', 9), threads: 2 },
      ],
      runtime,
    );
    expect(ortFile.runtime).toEqual(runtime);
    expect(latencyCsv(ortFile).split('\n')[1]).toMatch(/,onnxruntime 1\.30\.0,2,1$/);
    const wasmFile = mergeLatency(null, 'wasm', machine, run('wasm'), [
      row('vanillanet-5', 'deploy', 40),
      row('vanillanet-5', 'train', 60),
      row('resnet-18', 'deploy', 30),
    ]);
    writeFileSync(join(dir, 'latency', 'onnxruntime-test-cpu-2c.json'), formatLatencyJson(ortFile));
    writeFileSync(join(dir, 'latency', 'wasm-test-cpu-2c.json'), formatLatencyJson(wasmFile));

    const r = await buildReport({ resultsDir: dir, now: new Date('2025-01-02T00:00:00Z') });
    expect(r.latency?.file).toMatch(/wasm-test-cpu-2c\.json$/);
    const md = readFileSync(r.report, 'utf8');
    // the study across runtimes: one column per runtime, its threads in the header
    expect(md).toContain('## Latency across runtimes');
    expect(md).toContain('| model | depth | top-1 % (paper) | A100 ms (paper) | ONNX Runtime 1.30.0 (CPU), 2 threads ms | tfjs-wasm, 1 thread ms |');
    expect(md).toMatch(/\| vanillanet-5 \| 5 \| 72\.49 \| 1\.61 \| 12\.00 ± 1\.0% \| 40\.00 ± 1\.0% \|/);
    expect(md).toMatch(/\| resnet-18 \| 18 \| 70\.60 \| 3\.12 \| 9\.00 ± 1\.0% \| 30\.00 ± 1\.0% \|/);
    expect(md).toContain('ONNX Runtime 1.30.0 (cpu, 2 threads)');
  });
});
