import { describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATENCY_SCHEMA, formatLatencyJson, type LatencyFile, type LatencyRow } from '../../src/results/latencyFile.js';
import { buildReport } from '../../src/report/report.js';
import { ablationSeries, cellColor, cellTable } from '../../src/report/ablationSection.js';
import { summarize } from '../../src/ablation/analysis.js';
import { ablationBarsConfig } from '../../src/report/ablationCharts.js';
import { UserError } from '../../src/util/errors.js';
import { cell, record } from '../ablation/helpers.js';
import { TEST_MACHINE, tempDirs, timedRow } from '../support/latency.js';

const tempDir = tempDirs('vb-report-');
const machine = TEST_MACHINE;
const run = {
  command: 'vanillabench latency --input 224',
  commit: null,
  dirty: null,
  backend: 'wasm',
  tfjsVersion: '4.22.0',
  kernels: 'ours' as const,
  machine,
  date: '2025-01-01T00:00:00.000Z',
  seed: 0,
};

function row(model: string, form: 'deploy' | 'train', depth: number, gmacs: number, meanMs: number, paper: LatencyRow['paper']): LatencyRow {
  return timedRow(model, form, meanMs, {
    depth,
    gmacs,
    paper,
    p90Ms: meanMs * 1.1,
    p99Ms: meanMs * 1.2,
    minMs: meanMs * 0.9,
    maxMs: meanMs * 1.3,
    sdMs: meanMs * 0.05,
    throughput: 1000 / meanMs,
    warmupRuns: 3,
    probeMs: meanMs,
  });
}

function latencyFile(): LatencyFile {
  const p = (latencyMs: number, top1: number, depth: number, gflops: number) => ({ paramsM: 10, gflops, depth, latencyMs, top1 });
  return {
    schema: LATENCY_SCHEMA,
    backend: 'wasm',
    machine,
    runs: [run],
    rows: [
      row('vanillanet-5', 'deploy', 5, 5.2, 40, p(1.61, 72.49, 5, 5.2)),
      row('vanillanet-5', 'train', 10, 8.9, 60, p(1.61, 72.49, 5, 5.2)),
      row('vanillanet-6', 'deploy', 6, 6.0, 55, p(2.01, 76.36, 6, 6.0)),
      row('resnet-18', 'deploy', 18, 1.8, 30, p(3.12, 70.6, 18, 1.8)),
      row('resnet-34', 'deploy', 34, 3.7, 62, p(5.57, 75.5, 34, 3.7)),
      {
        ...row('vanillanet-13-1.5x', 'deploy', 13, 26.5, 0, p(7.83, 82.53, 13, 26.5)),
        status: 'skipped',
        reason: 'one forward pass took 9000 ms > --max-single-ms 5000',
        meanMs: undefined,
      },
    ],
  };
}

/** Runner records (src/ablation/store.ts) of a Table 2 matrix on VanillaNet-6 and AlexNet, three seeds a cell. */
/** The folder's experiment.json: three seeds for every model entry (what ablate declares before running). */
function declare(folder: string, name: string, preset: string, extra: Record<string, unknown> = {}): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'experiment.json'),
    JSON.stringify({ name, preset, seeds: [1, 2, 3], models: [{ model: 'vanillanet-6' }, { model: 'alexnet' }], datasetName: 'fashion-mnist', ...extra }),
  );
}

/** Two folders of the same runs: table2-full (preset full) and table2-quick (preset quick). */
function fullAndQuick(dir: string): void {
  for (const [folder, preset] of [
    ['table2-full', 'full'],
    ['table2-quick', 'quick'],
  ]) {
    mkdirSync(join(dir, 'ablation', folder), { recursive: true });
    const lines = ablationLines()
      .trim()
      .split('\n')
      .map((l) => JSON.stringify({ ...JSON.parse(l), preset }));
    writeFileSync(join(dir, 'ablation', folder, 'runs.jsonl'), `${lines.join('\n')}\n`);
  }
}

function ablationLines(): string {
  const lines: string[] = [];
  const acc: [boolean, boolean, number][] = [
    [false, false, 80],
    [true, false, 81],
    [false, true, 85],
    [true, true, 86],
  ];
  for (const [m, model] of ['vanillanet-6', 'alexnet'].entries()) {
    for (const [i, [deepTraining, seriesAct, base]] of acc.entries()) {
      const c = cell(m * 4 + i, { deepTraining, seriesAct }, { model, label: model });
      for (const seed of [1, 2, 3]) {
        const final = base + seed * 0.2 - (model === 'alexnet' ? 3 : 0);
        const metrics = [1, 2, 3].map((epoch) => ({
          epoch,
          lambda: 1,
          lr: 0,
          trainLoss: 1 / epoch,
          trainTop1: 0,
          valLoss: 1,
          valTop1: final - (3 - epoch) * (4 - epoch) * 0.2,
          imagesPerSec: 1,
          seconds: 1,
          merged: false,
        }));
        lines.push(JSON.stringify(record(c, seed, final, { experiment: 'table2', dataset: 'fashion-mnist', metrics, deployValTop1: final + 0.01 })));
      }
    }
  }
  lines.push(
    JSON.stringify(
      record(cell(7, { deepTraining: true, seriesAct: true }, { model: 'alexnet', label: 'alexnet' }), 4, null, { experiment: 'table2', status: 'diverged' }),
    ),
  );
  return `${lines.join('\n')}\n`;
}

describe('report', () => {
  it('on an empty folder lists what is missing and still writes REPORT.md', async () => {
    const dir = tempDir();
    const r = await buildReport({ resultsDir: dir });
    const md = readFileSync(join(dir, 'REPORT.md'), 'utf8');
    expect(r.missing.join('\n')).toMatch(/no latency results/);
    expect(r.missing.join('\n')).toMatch(/no ablation results/);
    expect(md).toMatch(/## What is here and what is missing/);
    expect(md).toMatch(/no latency results/);
    expect(md).toMatch(/## Table 4 reproduced/);
    expect(md).toMatch(/\| vanillanet-5 \| 15\.5 \| 15\.5 \|/); // live zoo counts beside the paper's
    expect(md).toMatch(/NOT TESTED/);
    expect(r.charts).toEqual([]);
    expect(r.claims.every((c) => c.verdict === 'not tested')).toBe(true);
  });

  it('a corrupt latency file is one clear UserError naming it, and nothing is overwritten', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'latency'), { recursive: true });
    writeFileSync(join(dir, 'REPORT.md'), 'previous report\n');
    const bad = join(dir, 'latency', 'wasm-x.json');
    writeFileSync(bad, '{"schema": "vanillabench/latency@1", "rows": [');
    const err = await buildReport({ resultsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toMatch(/corrupt/);
    expect(readFileSync(join(dir, 'REPORT.md'), 'utf8')).toBe('previous report\n');
    expect(existsSync(join(dir, 'charts'))).toBe(false);
  });

  it('one preset per experiment: a quick preview beside the full results is named, not shown as a second Table 2', async () => {
    const dir = tempDir();
    fullAndQuick(dir);
    const r = await buildReport({ resultsDir: dir });
    const md = readFileSync(r.report, 'utf8');
    // the user's quick run is named as not shown, with the reason and the command that shows it; nothing is "missing"
    const note = r.notShown.find((m) => m.includes("'table2-quick'"));
    expect(note).toContain("uses 'table2-full'");
    expect(note).toContain('`report --ablation results/ablation/table2-quick` shows it');
    expect(r.missing.some((m) => m.includes('table2-quick'))).toBe(false);
    const overview = md.slice(0, md.indexOf('## Table 4'));
    expect(overview).toMatch(/Not shown \(reason\):\n\n- ablation folder 'table2-quick' \(table2, preset quick\): the report uses 'table2-full'/);
    expect(overview.slice(overview.indexOf('Missing:'), overview.indexOf('Not shown'))).not.toContain('table2-quick');
    expect(md).toContain('table2-full');
    expect(r.charts.some((c) => c.includes('table2-quick'))).toBe(false);
    // a full matrix still running (a cell with fewer than 2 ok seeds) gives way to a complete quick one
    const lines = readFileSync(join(dir, 'ablation', 'table2-full', 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n');
    writeFileSync(join(dir, 'ablation', 'table2-full', 'runs.jsonl'), `${lines.filter((l) => JSON.parse(l).seed === 1).join('\n')}\n`);
    const again = await buildReport({ resultsDir: dir });
    expect(again.notShown.some((m) => m.includes("'table2-full'") && m.includes("uses 'table2-quick'"))).toBe(true);
  });

  it('a larger preset run for part of its matrix (e.g. --models) does not hide a complete smaller one', async () => {
    const dir = tempDir();
    const all = ablationLines()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cell: { id: string }; preset: string });
    const cellIds = [...new Set(all.map((r) => r.cell.id))];
    expect(cellIds.length).toBeGreaterThan(1);
    const write = (folder: string, preset: string, records: typeof all, matrixCells?: number) => {
      mkdirSync(join(dir, 'ablation', folder), { recursive: true });
      writeFileSync(join(dir, 'ablation', folder, 'runs.jsonl'), `${records.map((r) => JSON.stringify({ ...r, preset })).join('\n')}\n`);
      if (matrixCells !== undefined) declare(join(dir, 'ablation', folder), 'table2', preset, { cells: matrixCells });
    };
    write('table2-full', 'full', all, cellIds.length);
    // the long preset: every seed of one cell only, in a matrix of as many cells as the full one
    write(
      'table2-long',
      'long',
      all.filter((r) => r.cell.id === cellIds[0]),
      cellIds.length,
    );
    const r = await buildReport({ resultsDir: dir });
    const note = r.notShown.find((m) => m.includes("'table2-long'"));
    expect(note).toContain(`1 of its ${cellIds.length} cells run`);
    expect(note).toContain("uses 'table2-full'");
    // once the long matrix has every cell, it is the one shown
    write('table2-long', 'long', all, cellIds.length);
    const again = await buildReport({ resultsDir: dir });
    expect(again.notShown.some((m) => m.includes("'table2-full'") && m.includes("uses 'table2-long'"))).toBe(true);
  });

  it('a corrupt runs.jsonl line is a UserError naming the file and line', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ablation', 'table2'), { recursive: true });
    const file = join(dir, 'ablation', 'table2', 'runs.jsonl');
    writeFileSync(file, `${ablationLines()}{not json\n`);
    const err = await buildReport({ resultsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/line 26/);
    expect(existsSync(join(dir, 'REPORT.md'))).toBe(false);
  });

  it('with a small latency file and fake ablation runs writes the report and the charts', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'latency'), { recursive: true });
    writeFileSync(join(dir, 'latency', 'wasm-test-cpu-2c.json'), formatLatencyJson(latencyFile()));
    mkdirSync(join(dir, 'ablation', 'table2'), { recursive: true });
    writeFileSync(join(dir, 'ablation', 'table2', 'runs.jsonl'), ablationLines());
    declare(join(dir, 'ablation', 'table2'), 'table2', 'quick');
    mkdirSync(join(dir, 'ablation', 'table3'), { recursive: true }); // started, nothing yet

    const r = await buildReport({ resultsDir: dir, now: new Date('2025-01-02T00:00:00Z') });
    const md = readFileSync(r.report, 'utf8');
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual([
      'deploy-speedup.png',
      'depth-correlation-by-runtime.png',
      'depth-vs-latency-wasm.png',
      'latency-ratio-by-runtime.png',
      'latency-vs-top1-wasm.png',
      'table2-curves.png',
      'table2-forest.png',
      'table2-table2.png',
    ]);
    for (const c of r.charts) {
      const png = readFileSync(c);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(md).toContain(`(charts/${c.split('/').pop()})`);
    }
    // Table 4 with our measured latency beside the paper's
    expect(md).toMatch(/\| vanillanet-5 \|.*\| 1\.61 \| 40\.00 ± 1\.0% \| 60\.00 ± 1\.0% \| 1\.500 \| 72\.49 \|/);
    expect(md).toMatch(/\| vanillanet-13-1\.5x \|.*\| skipped \|/);
    expect(r.missing.join('\n')).toMatch(/latency skipped for vanillanet-13-1\.5x \(deploy\): one forward pass took 9000 ms/);
    expect(r.notShown).toContain("ablation folder 'table3' (no runs.jsonl yet)");

    const byId = new Map(r.claims.map((c) => [c.id, c]));
    // ranks of latency 40, 55, 30, 62: 2, 3, 1, 4; of depth 5, 6, 18, 34: 1, 2, 3, 4 (sum d^2 = 6, rho = 1 - 36/60 = 0.4);
    // of GMACs 5.2, 6, 1.8, 3.7: 3, 4, 1, 2 (sum d^2 = 6, rho = 0.4)
    const depth = byId.get('latency-vs-depth:wasm')!;
    expect(depth.claim).toMatch(/tfjs-wasm, 1 thread, on Test CPU, 2 cores/);
    expect(depth.detail).toMatch(/latency vs depth ρ = 0\.40 \[/);
    expect(depth.detail).toMatch(/vs GMACs ρ = 0\.40 \[/);
    expect(depth.verdict).toBe('inconclusive'); // 4 models: the bootstrap CI spans 0
    // pairs: vanillanet-5 (72.49) vs resnet-18 (70.6): 40 vs 30 ms; vanillanet-6 (76.36) vs resnet-34 (75.5): 55 vs 62 ms
    const vr = byId.get('vanilla-vs-resnet:wasm')!;
    expect(vr.verdict).toBe('inconclusive'); // one pair on each side of 1
    expect(vr.detail).toMatch(/vanillanet-5 \/ resnet-18 \(paper top-1 72\.49 vs 70\.6\) 1\.33 \[1\.31, 1\.35\]x, paper A100 0\.52x/);
    expect(byId.get('deploy-vs-train:wasm')!.verdict).toBe('direction reproduced');
    expect(byId.get('deploy-vs-train:wasm')!.detail).toMatch(/vanillanet-5 1\.500 \[1\.479, 1\.521\]x/);
    // ablation: series act. +5 pp on every seed (paired): direction reproduced; train/deploy gap 0.01 pp: held
    expect(byId.get('table2:vanillanet-6:series-act')!.verdict).toBe('direction reproduced');
    expect(byId.get('table2:vanillanet-6:series-act')!.detail).toMatch(
      /\(VanillaNet-6 w1\/16 imagenet stem, Fashion-MNIST, \? images x 3 epochs, 3 paired seeds\)\.$/,
    );
    expect(md).toMatch(/\*\*DIRECTION REPRODUCED\*\*: series informed activation improves VanillaNet-6/);
    expect(byId.get('table2:vanillanet-6:series-act')!.detail).toMatch(/Ours at 1x: \+5\.00 \[\+5\.00, \+5\.00\] points/);
    expect(byId.get('table2:deploy-accuracy')!.verdict).toBe('held');
    expect(md).toMatch(/\| 3 \/ 3 \| 0 \| 0 \| 85\.40 \|/); // vanillanet-6 series act.: mean of 85.2, 85.4, 85.6
    expect(md).toMatch(/\| 3 \/ 3 \| 1 \| 0 \|/); // alexnet both: 3 ok, 1 diverged
    expect(md).toMatch(/## Claims on this machine/);
  });

  it("reads the ablate runner's own records (src/ablation/store.ts schema: cell.toggles, cell.factors, metrics)", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ablation', 'table2'), { recursive: true });
    const cells = [
      cell(0, { deepTraining: false, seriesAct: false }),
      cell(1, { deepTraining: false, seriesAct: true }),
      cell(2, { deepTraining: true, seriesAct: false }),
      cell(3, { deepTraining: true, seriesAct: true }),
    ];
    const base = [80, 86, 81, 87];
    const lines = cells.flatMap((c, i) =>
      [1, 2, 3].map((seed) => {
        const top1 = base[i] + seed * 0.2;
        const metrics = [1, 2].map((epoch) => ({
          epoch,
          lambda: 1,
          lr: 0,
          trainLoss: 1,
          trainTop1: 0,
          valLoss: 1,
          valTop1: top1 - (2 - epoch) * 0.3,
          imagesPerSec: 1,
          seconds: 1,
          merged: false,
        }));
        return JSON.stringify(record(c, seed, top1, { experiment: 'table2', metrics }));
      }),
    );
    writeFileSync(join(dir, 'ablation', 'table2', 'runs.jsonl'), `${lines.join('\n')}\n`);
    declare(join(dir, 'ablation', 'table2'), 'table2', 'quick');
    const r = await buildReport({ resultsDir: dir, now: new Date('2025-01-02T00:00:00Z') });
    const md = readFileSync(r.report, 'utf8');
    const byId = new Map(r.claims.map((c) => [c.id, c]));
    expect(byId.get('table2:vanillanet-6:series-act')!.verdict).toBe('direction reproduced');
    expect(byId.get('table2:vanillanet-6:series-act')!.detail).toMatch(/Ours at 1x: \+6\.00 \[\+6\.00, \+6\.00\] points/);
    expect(byId.get('table2:vanillanet-6:series-act')!.detail).toMatch(/Paper \(ImageNet\): \+15\.65/);
    expect(md).not.toMatch(/top-1 values are stored as fractions/);
    expect(r.charts.map((c) => c.split('/').pop())).toContain('table2-curves.png');
  });

  it('claims on effects the paper finds negligible: equivalence within the margin (TOST), else inconclusive or not negligible', async () => {
    const dir = tempDir();
    const write = (name: string, cells: [ReturnType<typeof cell>, number[]][]) => {
      mkdirSync(join(dir, 'ablation', name), { recursive: true });
      const lines = cells.flatMap(([c, values]) => values.map((v, i) => JSON.stringify(record(c, i + 1, v, { experiment: name }))));
      writeFileSync(join(dir, 'ablation', name, 'runs.jsonl'), `${lines.join('\n')}\n`);
      declare(join(dir, 'ablation', name), name, 'quick');
    };
    const none = cell(0, { shortcut: 'none' });
    // before-act (paper -0.44, negligible): paired differences -5, +0.8, +5.6: reach past +-1 point -> inconclusive
    // after-act (paper -0.64): -0.2 on every seed: the CI excludes 0 in the paper's direction -> direction reproduced
    write('table3', [
      [none, [80, 80.2, 80.4]],
      [cell(1, { shortcut: 'before-act' }), [75, 81, 86]],
      [cell(2, { shortcut: 'after-act' }), [79.8, 80, 80.2]],
    ]);
    // ResNet-50 as in the paper's Table 2: with its shortcuts (the paper's figure is for that configuration only)
    const r50 = (i: number, d: boolean, s: boolean) => {
      const c = cell(i, { deepTraining: d, seriesAct: s }, { model: 'resnet-50', label: 'ResNet-50' });
      return { ...c, toggles: { ...c.toggles, shortcut: 'before-act' as const } };
    };
    // ResNet-50 alone (no peers), converged (paper: +0.17 series act., +0.03 deep training, +0.14 both, all negligible):
    // +0.1 on every seed (within +-1) / -6, -0.2, +5.6 (wide) / -10 on every seed (wholly beyond -1)
    write('table2', [
      [r50(0, false, false), [70, 70.2, 70.4]],
      [r50(1, false, true), [70.1, 70.3, 70.5]],
      [r50(2, true, false), [64, 70, 76]],
      [r50(3, true, true), [60, 60.2, 60.4]],
    ]);
    const r = await buildReport({ resultsDir: dir, now: new Date('2025-01-02T00:00:00Z') });
    const byId = new Map(r.claims.map((c) => [c.id, c.verdict]));
    expect(byId.get('table3:vanillanet-6:shortcut-before-act')).toBe('inconclusive');
    expect(byId.get('table3:vanillanet-6:shortcut-after-act')).toBe('direction reproduced');
    expect(byId.get('table2:resnet-50:series-act')).toBe('negligible, as in the paper');
    expect(byId.get('table2:resnet-50:deep-training')).toBe('inconclusive');
    expect(byId.get('table2:resnet-50:both')).toBe('not negligible');
  });

  it("the ablation chart's data: the paper's order whatever the record order, one colour per cell shared with the curves; the PyTorch column", () => {
    const combos: [boolean, boolean][] = [
      [true, true],
      [false, true],
      [true, false],
      [false, false],
    ];
    const recs = ['resnet-50', 'vanillanet-6'].flatMap((model, m) =>
      combos
        .map(([d, sAct], i) => {
          const c = cell(
            m * 4 + i,
            { deepTraining: d, seriesAct: sAct },
            { model, label: model, entry: model === 'vanillanet-6' ? 0 : 1, id: `${model}-${i}` },
          );
          return [1, 2].map((seed) => record(c, seed, 80 + seed + i));
        })
        .flat(),
    );
    // stored in reverse order (ResNet-50 first, "both" first): the chart follows the experiment and the paper
    const s = summarize(recs);
    const data = ablationSeries(s.cells, 'table2');
    expect(data.categories).toEqual(['VanillaNet-6', 'ResNet-50']);
    expect(data.series.map((x) => x.label)).toEqual(['neither', 'deep training', 'series act.', 'deep training + series act.']);
    const cfg = ablationBarsConfig(data);
    for (const c of s.cells) {
      const si = data.series.findIndex(
        (x) =>
          x.label ===
          (c.cell.toggles.deepTraining
            ? c.cell.toggles.seriesAct
              ? 'deep training + series act.'
              : 'deep training'
            : c.cell.toggles.seriesAct
              ? 'series act.'
              : 'neither'),
      );
      const gi = c.cell.model === 'vanillanet-6' ? 0 : 1;
      expect(cfg.bars[si].colors[gi]).toBe(cellColor(c));
    }
    expect(new Set(s.cells.map((c) => cellColor(c))).size).toBe(8);
    // one colour per cell across tables: Table 3's "none" cell is Table 2's VanillaNet-6 with both tricks
    const t3none = cell(0, { shortcut: 'none' });
    const v6both = s.cells.find((c) => c.cell.model === 'vanillanet-6' && c.cell.toggles.deepTraining && c.cell.toggles.seriesAct)!;
    const none = summarize([record(t3none, 1, 80), record(cell(1, { shortcut: 'before-act' }), 1, 80)]);
    expect(cellColor(none.cells[0])).toBe(cellColor(v6both));
    expect(cellColor(none.cells[1])).not.toBe(cellColor(none.cells[0]));
    expect(cellTable(s, ['model'])).not.toContain('PyTorch');
    const torch = summarize([
      ...recs,
      record(s.cells[0].cell, 1, 79, { engine: 'torch', runId: 't1' }),
      record(s.cells[0].cell, 2, 80, { engine: 'torch', runId: 't2' }),
    ]);
    const table = cellTable(torch, ['model']);
    expect(table).toContain('PyTorch, same protocol');
    expect(table).toContain('| 79.50 ± 6.35 (n 2) | +5.00 [+5.00, +5.00] (2 pairs) |');
  });
});

describe('report --ablation', () => {
  it('shows exactly the folders asked for (a user quick run beside committed results), and refuses what is not an ablate folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-report-only-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    fullAndQuick(dir);
    const quick = join(dir, 'ablation', 'table2-quick');
    const r = await buildReport({ resultsDir: dir, ablation: [quick] });
    expect(r.ablation.map((a) => a.experiment)).toEqual(['table2-quick']);
    expect(readFileSync(r.report, 'utf8')).toContain('### table2-quick');
    const err = await buildReport({ resultsDir: dir, ablation: [join(dir, 'nope')] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/--ablation .*nope: not a folder/);
  });
});
