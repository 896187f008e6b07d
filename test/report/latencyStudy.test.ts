/**
 * The report's latency study: every latency figure from one measurement run, every runtime of that run side by side,
 * the paper's two latency claims judged per runtime with the statistic behind each verdict.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATENCY_SCHEMA, formatLatencyJson, type LatencyFile, type LatencyRow, type LatencyRunProvenance } from '../../src/results/latencyFile.js';
import { buildReport } from '../../src/report/report.js';
import { selectLatency } from '../../src/report/inputs.js';
import { zooAtPaperSetting } from '../../src/report/inputs.js';
import { paperRow } from '../../src/models/paper.js';
import { TEST_MACHINE, tempDirs, timedRow } from '../support/latency.js';

const tempDir = tempDirs('vb-study-');
const machine = TEST_MACHINE;
const zoo = new Map(zooAtPaperSetting().map((z) => [z.name, z]));

function runOf(runId: string, backend: string, extra: Partial<LatencyRunProvenance> = {}): LatencyRunProvenance {
  return {
    command: `vanillabench latency --run-id ${runId}`,
    commit: null,
    dirty: null,
    backend,
    tfjsVersion: '4.22.0',
    kernels: 'ours',
    machine,
    date: '2026-01-01T00:00:00.000Z',
    seed: 0,
    runId,
    load1: { before: 0.1, after: 0.2 },
    ...extra,
  };
}

/** A timed row of a zoo model at the paper's setting: its own depth and GMACs, our `meanMs` with 1% margin. */
function row(model: string, form: 'deploy' | 'train', meanMs: number, run = 0, threads?: number): LatencyRow {
  const z = zoo.get(model)!;
  return timedRow(model, form, meanMs, {
    depth: form === 'deploy' ? z.depth : z.trainDepth,
    paramsM: z.paramsM,
    gmacs: form === 'deploy' ? z.gmacs : z.trainGmacs,
    paper: paperRow(model) ? z.paper : null,
    samples: 10,
    ...(threads !== undefined ? { threads } : {}),
    run,
  });
}

const TABLE4 = ['vanillanet-5', 'vanillanet-6', 'vanillanet-9', 'vanillanet-13', 'resnet-18', 'resnet-34', 'resnet-50'];

describe('one measurement run per figure', () => {
  it('a file holding two runs gives Table 4 and its charts from one run, and says where the other rows are', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'latency'));
    const file: LatencyFile = {
      schema: LATENCY_SCHEMA,
      backend: 'wasm',
      machine,
      runs: [runOf('20260101T000000Z', 'wasm'), runOf('20260102T000000Z', 'wasm', { date: '2026-01-02T00:00:00.000Z' })],
      rows: [
        ...TABLE4.map((m, i) => row(m, 'deploy', 100 + 10 * i, 0)),
        row('vanillanet-5', 'train', 150, 0),
        // measured again later, under other conditions
        row('vanillanet-10', 'deploy', 999, 1),
      ],
    };
    writeFileSync(join(dir, 'latency', 'wasm-test-cpu-2c.json'), formatLatencyJson(file));
    const { primary } = selectLatency([{ file: join(dir, 'latency', 'wasm-test-cpu-2c.json'), data: file }]);
    expect(new Set(primary!.rows.map((r) => r.run))).toEqual(new Set([0]));

    const r = await buildReport({ resultsDir: dir, now: new Date('2026-01-03T00:00:00Z') });
    const md = readFileSync(r.report, 'utf8');
    expect(md).not.toMatch(/different measurement runs/);
    expect(md).toMatch(/\| vanillanet-10 \|[^\n]*\| - \| - \| - \|/); // not from this run
    expect(md).toMatch(/vanillanet-10[^\n]*20260102T000000Z/); // ... and the report says which run has it
  });
});

describe('every runtime of a study side by side', () => {
  /**
   * A study of tfjs-wasm (both forms) and ONNX Runtime on 2 threads (deploy), and a runtime that failed; `partial`: one
   * more runtime, tfjs-wasm on 2 threads, that crashed after timing the four VanillaNets (its file holds them).
   */
  function study(dir: string, partial = false): void {
    const runId = '20260105T100000Z';
    const studyInfo = {
      command: 'vanillabench latency --runtimes wasm,onnxruntime:2,webgpu',
      runtimes: [
        { id: 'wasm', status: 'ok' as const, file: 'wasm-test-cpu-2c-x.json' },
        { id: 'onnxruntime-2t', status: 'ok' as const, file: 'onnxruntime-2t-test-cpu-2c-x.json' },
        { id: 'webgpu', status: 'failed' as const, reason: 'backend webgpu is not available: no adapter' },
        ...(partial ? [{ id: 'wasm-2t', status: 'failed' as const, reason: 'crashed: RuntimeError: memory access out of bounds' }] : []),
      ],
    };
    // wasm: VanillaNets slower than the ResNets of similar accuracy; ONNX Runtime: faster
    const wasmMs: Record<string, number> = {
      'vanillanet-5': 400,
      'vanillanet-6': 450,
      'vanillanet-9': 650,
      'vanillanet-13': 1050,
      'resnet-18': 100,
      'resnet-34': 200,
      'resnet-50': 250,
    };
    const ortMs: Record<string, number> = {
      'vanillanet-5': 20,
      'vanillanet-6': 25,
      'vanillanet-9': 30,
      'vanillanet-13': 40,
      'resnet-18': 50,
      'resnet-34': 80,
      'resnet-50': 120,
    };
    const wasm: LatencyFile = {
      schema: LATENCY_SCHEMA,
      backend: 'wasm',
      machine,
      runs: [runOf(runId, 'wasm', { study: studyInfo })],
      rows: [
        ...TABLE4.map((m) => row(m, 'deploy', wasmMs[m], 0, 1)),
        ...TABLE4.map((m) => row(m, 'train', wasmMs[m] * (m.startsWith('vanilla') ? 1.6 : 1.02), 0, 1)),
      ],
    };
    const ort: LatencyFile = {
      schema: LATENCY_SCHEMA,
      backend: 'onnxruntime',
      runtime: { name: 'onnxruntime', version: '1.30.0', threads: 2, executionProvider: 'cpu', opset: 13, irVersion: 7 },
      machine,
      runs: [runOf(runId, 'onnxruntime', { study: studyInfo })],
      rows: TABLE4.map((m) => row(m, 'deploy', ortMs[m], 0, 2)),
    };
    mkdirSync(join(dir, 'latency'), { recursive: true });
    writeFileSync(join(dir, 'latency', 'wasm-test-cpu-2c-x.json'), formatLatencyJson(wasm));
    writeFileSync(join(dir, 'latency', 'onnxruntime-2t-test-cpu-2c-x.json'), formatLatencyJson(ort));
    if (partial) {
      const twoThreads: LatencyFile = {
        ...wasm,
        rows: ['vanillanet-5', 'vanillanet-6', 'vanillanet-9', 'vanillanet-13'].flatMap((m) => [
          row(m, 'deploy', wasmMs[m] / 2, 0, 2),
          row(m, 'train', wasmMs[m], 0, 2),
        ]),
      };
      writeFileSync(join(dir, 'latency', 'wasm-2t-test-cpu-2c-x.json'), formatLatencyJson(twoThreads));
    }
  }

  it('a runtime that failed part-way: the models it timed are shown, and the report says it failed and why', async () => {
    const dir = tempDir();
    study(dir, true);
    const r = await buildReport({ resultsDir: dir, now: new Date('2026-01-06T00:00:00Z') });
    const md = readFileSync(r.report, 'utf8');
    expect(md).toMatch(
      /- wasm-2t: failed part-way \(crashed: RuntimeError: memory access out of bounds\); the 4 models it had timed are shown, the others are not/,
    );
    expect(md).toMatch(/- webgpu: not measured \(backend webgpu is not available: no adapter\)/);
    // its four VanillaNets alone cannot set depth against FLOPs
    const depth = r.claims.find((c) => c.id === 'latency-vs-depth:wasm-2t')!;
    expect(depth.verdict).toBe('not tested');
    expect(depth.detail).toMatch(/no VanillaNet and ResNet both/);
  });

  it('per runtime: its charts, its verdicts in the vocabulary of the ablations, its threads; the failed runtime and why', async () => {
    const dir = tempDir();
    study(dir);
    const r = await buildReport({ resultsDir: dir, now: new Date('2026-01-06T00:00:00Z') });
    const md = readFileSync(r.report, 'utf8');
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual([
      'deploy-speedup.png',
      'depth-correlation-by-runtime.png',
      'depth-vs-latency-onnxruntime-2t.png',
      'depth-vs-latency-wasm.png',
      'latency-ratio-by-runtime.png',
      'latency-vs-top1-onnxruntime-2t.png',
      'latency-vs-top1-wasm.png',
    ]);
    const byId = new Map(r.claims.map((c) => [c.id, c]));
    expect(byId.get('vanilla-vs-resnet:wasm')!.verdict).toBe('opposite direction');
    expect(byId.get('vanilla-vs-resnet:onnxruntime-2t')!.verdict).toBe('direction reproduced');
    expect(byId.get('vanilla-vs-resnet:onnxruntime-2t')!.claim).toMatch(/ONNX Runtime 1\.30\.0 \(CPU\), 2 threads, on Test CPU, 2 cores/);
    // the deploy speed-up: only the runtime timed in both forms
    expect(byId.get('deploy-vs-train:wasm')!.verdict).toBe('direction reproduced');
    expect(byId.has('deploy-vs-train:onnxruntime-2t')).toBe(false);
    // the depth claim on 7 models with the paper's A100 statistics beside ours
    expect(byId.get('latency-vs-depth:wasm')!.detail).toMatch(/over the 7 models .* The paper's A100 figures for the same models: ρ\(depth\) = /);
    expect(md).toMatch(/## Latency across runtimes/);
    expect(md).toMatch(/One measurement run \(20260105T100000Z\): `vanillabench latency --runtimes wasm,onnxruntime:2,webgpu`/);
    expect(md).toMatch(/\| vanillanet-5 \| 5 \| 72\.49 \| 1\.61 \| 400\.00 ± 1\.0% \| 20\.00 ± 1\.0% \|/);
    expect(md).toMatch(/- webgpu: not measured \(backend webgpu is not available: no adapter\)/);
    expect(md).toMatch(/tfjs-wasm, 1 thread; ONNX Runtime 1\.30\.0 \(CPU\), 2 threads/);
    expect(md).toMatch(/no multi-threaded tfjs-wasm measurement/);
    expect(md).toMatch(/\*\*OPPOSITE DIRECTION\*\*: VanillaNet \(deploy\) is faster than a ResNet of similar ImageNet accuracy \(tfjs-wasm, 1 thread/);
  });

  it('the verdicts are the same in every report (the bootstrap is seeded by the run)', async () => {
    const a = tempDir();
    const b = tempDir();
    study(a);
    study(b);
    const ra = await buildReport({ resultsDir: a, now: new Date('2026-01-06T00:00:00Z') });
    const rb = await buildReport({ resultsDir: b, now: new Date('2026-01-06T00:00:00Z') });
    const depth = (r: typeof ra) => r.claims.filter((c) => c.id.startsWith('latency-vs-depth')).map((c) => c.detail);
    expect(depth(ra)).toEqual(depth(rb));
  });
});

describe('a runtime the study lacks, from its own run', () => {
  it('is shown beside the study, marked with its run in the table, the forest rows, its charts and its claims', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'latency'));
    const runs = ['20260107T000000Z', '20260108T000000Z'];
    const wasmStudy = {
      command: 'vanillabench latency --runtimes wasm,onnxruntime:1',
      runtimes: [
        { id: 'wasm', status: 'ok' as const },
        { id: 'onnxruntime-1t', status: 'ok' as const },
      ],
    };
    const file = (backend: string, run: string, ms: number, extra: Partial<LatencyFile> = {}, prov: Partial<LatencyRunProvenance> = {}): LatencyFile => ({
      schema: LATENCY_SCHEMA,
      backend,
      machine,
      runs: [runOf(run, backend, prov)],
      rows: TABLE4.map((m, i) => row(m, 'deploy', ms * (i + 1), 0, 1)),
      ...extra,
    });
    const ort = { name: 'onnxruntime' as const, version: '1.30.0', threads: 1, executionProvider: 'cpu' as const, opset: 13, irVersion: 7 };
    writeFileSync(join(dir, 'latency', 'wasm-a.json'), formatLatencyJson(file('wasm', runs[0], 100, {}, { study: wasmStudy })));
    writeFileSync(join(dir, 'latency', 'ort-a.json'), formatLatencyJson(file('onnxruntime', runs[0], 10, { runtime: ort }, { study: wasmStudy })));
    writeFileSync(join(dir, 'latency', 'cpu-b.json'), formatLatencyJson(file('cpu', runs[1], 1000)));
    const r = await buildReport({ resultsDir: dir, now: new Date('2026-01-09T00:00:00Z') });
    const md = readFileSync(r.report, 'utf8');
    expect(md).toMatch(/One measurement run \(20260107T000000Z\)/);
    expect(md).toMatch(/\| tfjs-wasm, 1 thread ms \| ONNX Runtime 1\.30\.0 \(CPU\), 1 thread ms \| tfjs-cpu, 1 thread \(run 20260108T000000Z\) ms \|/);
    expect(md).toMatch(/### tfjs-cpu, 1 thread, on Test CPU, 2 cores \(run 20260108T000000Z\)/);
    expect(r.charts.map((c) => c.split('/').pop())).toEqual(expect.arrayContaining(['latency-vs-top1-cpu.png', 'depth-vs-latency-cpu.png']));
    expect(r.claims.find((c) => c.id === 'vanilla-vs-resnet:cpu')!.detail).toMatch(/run 20260108T000000Z/);
    expect(r.claims.find((c) => c.id === 'vanilla-vs-resnet:wasm')!.detail).toMatch(/run 20260107T000000Z/);
    expect(md).not.toMatch(/## Other latency measurements/); // every run is drawn
  });

  it('a software adapter is shown, marked, and not judged', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'latency'));
    const software = {
      name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
      vendor: 'mesa',
      architecture: '',
      device: 'llvmpipe',
      description: 'llvmpipe',
      software: true,
    };
    const rows = (ms: number, threads?: number) => TABLE4.map((m, i) => row(m, 'deploy', ms * (i + 1), 0, threads));
    const wasm: LatencyFile = { schema: LATENCY_SCHEMA, backend: 'wasm', machine, runs: [runOf('20260107T000000Z', 'wasm')], rows: rows(100, 1) };
    // the software adapter's VanillaNets are faster than its ResNets: a verdict would read "reproduced"
    const gpu: LatencyFile = {
      schema: LATENCY_SCHEMA,
      backend: 'webgpu',
      adapter: software,
      machine,
      runs: [runOf('20260108T000000Z', 'webgpu', { adapter: software })],
      rows: TABLE4.map((m) => row(m, 'deploy', m.startsWith('vanilla') ? 10 : 100, 0)),
    };
    writeFileSync(join(dir, 'latency', 'wasm-a.json'), formatLatencyJson(wasm));
    writeFileSync(join(dir, 'latency', 'webgpu-llvmpipe-software-b.json'), formatLatencyJson(gpu));
    const r = await buildReport({ resultsDir: dir, now: new Date('2026-01-09T00:00:00Z') });
    const pair = r.claims.find((c) => c.id === 'vanilla-vs-resnet:webgpu')!;
    expect(pair.verdict).toBe('not tested');
    expect(pair.detail).toMatch(/^a software adapter \(plumbing, not a GPU\): its timings are shown, not judged\./);
    expect(r.claims.find((c) => c.id === 'latency-vs-depth:webgpu')!.verdict).toBe('not tested');
    expect(r.claims.find((c) => c.id === 'vanilla-vs-resnet:wasm')!.verdict).toBe('direction reproduced'); // the CPU run is judged
  });
});
