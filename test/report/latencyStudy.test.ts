/**
 * The report's latency study: every latency figure from one measurement run, every runtime of that run side by side,
 * the paper's two latency claims judged per runtime with the statistic behind each verdict.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_SCHEMA, formatLatencyJson, type LatencyFile, type LatencyRow, type LatencyRunProvenance } from '../../src/results/latencyFile.js';
import { buildReport } from '../../src/report/report.js';
import { selectLatency } from '../../src/report/inputs.js';
import { zooAtPaperSetting } from '../../src/report/inputs.js';
import { paperRow } from '../../src/models/paper.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vb-study-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const machine = { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, platform: 'linux-x64', node: 'v20.0.0', hostname: 'test' };
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
  return {
    model,
    form,
    status: 'ok',
    inputSize: 224,
    batch: 1,
    width: 1,
    depth: form === 'deploy' ? z.depth : z.trainDepth,
    paramsM: z.paramsM,
    gmacs: form === 'deploy' ? z.gmacs : z.trainGmacs,
    paper: paperRow(model) ? z.paper : null,
    meanMs,
    medianMs: meanMs,
    rmePct: 1,
    samples: 10,
    ...(threads !== undefined ? { threads } : {}),
    run,
  };
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
