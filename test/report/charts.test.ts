import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ablationBarsConfig,
  ablationCellColor,
  budgetChart,
  budgetChartConfig,
  forestChart,
  forestChartConfig,
  forestConfig,
  ablationBarsChart,
  trainingCurvesChart,
  type BudgetLine,
  type ForestRow,
} from '../../src/report/ablationCharts.js';
import { CHART_HEIGHT, CHART_WIDTH, ciBarsConfig, paddedRange, placeLabels, VERDICT_COLORS, writeChart, type Box } from '../../src/report/charts.js';
import {
  depthVsLatencyChart,
  latencyVsTop1Chart,
  latencyVsTop1Config,
  logAxis,
  runtimeForestChart,
  speedupChart,
  speedupConfig,
  verdictNote,
  type RuntimeLatencyData,
} from '../../src/report/latencyCharts.js';

const meta = { title: 'Test chart', subtitle: 'test machine - backend cpu' };

/** Ours (hundreds of ms) and the paper's A100 (a few ms) for four models. */
function latencyData(): RuntimeLatencyData {
  const pt = (model: string, ms: number, other: number) => ({ model, ms, other, vanilla: model.startsWith('vanillanet') });
  return {
    runtime: 'tfjs-wasm, 1 thread',
    ours: [pt('vanillanet-5', 400, 72.49), pt('vanillanet-6', 455, 76.36), pt('resnet-18', 104, 70.6), pt('resnet-50', 246, 79.8)],
    paper: [pt('vanillanet-5', 1.61, 72.49), pt('vanillanet-6', 2.01, 76.36), pt('resnet-18', 3.12, 70.6), pt('resnet-50', 7.64, 79.8)],
    notes: [verdictNote('opposite direction', 'VanillaNet/ResNet 3.87x [3.56, 4.22]')],
  };
}

function expectPng(buf: Buffer): void {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(buf.subarray(12, 16).toString('ascii')).toBe('IHDR');
  expect(buf.readUInt32BE(16)).toBe(CHART_WIDTH);
  expect(buf.readUInt32BE(20)).toBe(CHART_HEIGHT);
  expect(CHART_WIDTH).toBe(1000);
  expect(CHART_HEIGHT).toBe(600);
  expect(buf.length).toBeGreaterThan(15_000); // text, axes and marks, not a blank canvas
}

describe('chart builders give 1000x600 PNGs', () => {
  it('latency vs top-1, depth vs latency, deploy speed-up, claims by runtime', async () => {
    const d = latencyData();
    expectPng(await latencyVsTop1Chart(d, meta));
    expectPng(await depthVsLatencyChart({ ...d, ours: d.ours.map((p) => ({ ...p, other: p.vanilla ? 5 : 18 })), paper: [] }, meta));
    expectPng(
      await speedupChart(['vanillanet-5', 'resnet-18'], [{ label: 'tfjs-wasm, 1 thread', ratios: [{ value: 1.5, low: 1.4, high: 1.6 }, null] }], meta, [
        verdictNote('direction reproduced', 'every VanillaNet above 1'),
      ]),
    );
    expectPng(
      await runtimeForestChart(
        {
          rows: [
            { label: 'tfjs-wasm, 1 thread', verdict: 'opposite direction', values: [{ value: 3.9, low: 3.5, high: 4.3 }] },
            { label: 'paper: A100, PyTorch', verdict: null, values: [{ value: 0.52, low: Number.NaN, high: Number.NaN }] },
          ],
          markers: [{ label: 'vanillanet-5 / resnet-18', style: 'circle' }],
          reference: { value: 1, text: '1 = equal latency' },
          log: true,
        },
        meta,
        'ratio',
        [],
      ),
    );
  });

  it('Table 2 and Table 3 with CI whiskers and paper markers', async () => {
    const bars = (data: Parameters<typeof ablationBarsConfig>[0]) =>
      ablationBarsChart(ablationBarsConfig(data), meta, 'network', 'our top-1 (%), mean over seeds, whiskers: 95% CI', "paper's ImageNet top-1 (%)");
    expectPng(
      await bars({
        categories: ['VanillaNet-6', 'AlexNet', 'ResNet-50'],
        series: [
          { label: 'baseline', mean: [85, 84, 88], halfWidth: [0.5, 0.4, 0.3], paper: [59.58, 57.52, 76.13] },
          { label: 'deep training', mean: [86, null, 88.2], halfWidth: [0.6, null, 0.2], paper: [60.53, 59.09, 76.16] },
          { label: 'series act.', mean: [88, 86, 88.1], halfWidth: [0.2, 0.3, 0.4], paper: [75.23, 61.12, 76.3] },
          { label: 'both', mean: [88.5, 86.5, 88.3], halfWidth: [0, 0.5, 0.1], paper: [76.36, 63.59, 76.27] },
        ],
      }),
    );
    expectPng(
      await bars({
        categories: ['none', 'before-act', 'after-act'],
        series: [{ label: 'VanillaNet-6', mean: [88, 87.5, null], halfWidth: [0.4, 0.5, null], paper: [76.36, 75.92, 75.72] }],
      }),
    );
  });

  it('training curves', async () => {
    expectPng(
      await trainingCurvesChart(
        [
          {
            label: 'a',
            points: [
              { epoch: 1, valTop1: 70 },
              { epoch: 2, valTop1: 80 },
              { epoch: 3, valTop1: 84 },
            ],
          },
          {
            label: 'b',
            points: [
              { epoch: 1, valTop1: 65 },
              { epoch: 2, valTop1: 78 },
              { epoch: 3, valTop1: 83 },
            ],
          },
        ],
        meta,
      ),
    );
  });

  it('writeChart saves atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-charts-'));
    try {
      const png = await trainingCurvesChart(
        [
          {
            label: 'a',
            points: [
              { epoch: 1, valTop1: 50 },
              { epoch: 2, valTop1: 60 },
            ],
          },
        ],
        meta,
      );
      const file = writeChart(join(dir, 'sub', 'c.png'), png);
      expect(readFileSync(file)).toEqual(png);
      expect(readdirSync(join(dir, 'sub'))).toEqual(['c.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ablation bar chart configuration', () => {
  it('percent axis 0..100, whiskers clipped to it with a note, order and colours as given, the paper on the same axis', () => {
    // the quick preset's 2 seeds: 64.7 +- 77.5 (whiskers -12.8 .. 142.2)
    const cfg = ablationBarsConfig({
      categories: ['VanillaNet-6', 'ResNet-50'],
      series: [
        { label: 'neither', mean: [64.7, 71], halfWidth: [77.5, 2], paper: [59.58, 76.13] },
        { label: 'deep training', mean: [85, null], halfWidth: [0.5, null], paper: [60.53, null] },
      ],
    });
    expect(cfg.y).toEqual({ min: 0, max: 100 });
    expect(cfg.categories).toEqual(['VanillaNet-6', 'ResNet-50']);
    expect(cfg.bars.map((b) => b.label)).toEqual(['neither', 'deep training']);
    expect(cfg.bars[0].low).toEqual([0, 69]);
    expect(cfg.bars[0].high).toEqual([100, 73]);
    expect(cfg.bars[0].clipped).toEqual([true, false]);
    expect(cfg.bars[1].low).toEqual([84.5, null]);
    expect(cfg.clippedNotes).toEqual(['VanillaNet-6, neither: 64.7 ± 77.5 (whisker clipped at 0 % and 100 %)']);
    for (const b of cfg.bars) for (const v of [...b.low, ...b.high, ...b.mean]) if (v !== null) expect(v >= 0 && v <= 100).toBe(true);
    expect(cfg.bars[0].paper).toEqual([59.58, 76.13]);
    expect(cfg.bars[0].torch).toEqual([null, null]);
    // the PyTorch reference's mean where it ran, clipped to the axis like ours
    const withTorch = ablationBarsConfig({
      categories: ['a', 'b'],
      series: [
        { label: 'x', mean: [50, 60], halfWidth: [1, 1], torch: [49.5, null] },
        { label: 'y', mean: [1, 2], halfWidth: [1, 1], torch: [-3, 101] },
      ],
    });
    expect(withTorch.bars.map((b) => b.torch)).toEqual([
      [49.5, null],
      [0, 100],
    ]);
    // a fixed colour per cell: the combination's hue, a lighter shade per network; every cell its own
    expect(cfg.bars[0].colors).toEqual([ablationCellColor(0, 0), ablationCellColor(0, 1)]);
    expect(cfg.bars[1].colors).toEqual([ablationCellColor(1, 0), ablationCellColor(1, 1)]);
    expect(ablationCellColor(0, 0)).toBe('#1f77b4');
    expect(new Set([0, 1, 2, 3].flatMap((si) => [0, 1, 2].map((g) => ablationCellColor(si, g)))).size).toBe(12);
    // given colours win
    expect(ablationBarsConfig({ categories: ['a'], series: [{ label: 'x', mean: [50], halfWidth: [1], colors: ['#000000'] }] }).bars[0].colors).toEqual([
      '#000000',
    ]);
  });
});

describe('CI bar chart configuration (from the data, nothing drawn)', () => {
  const data = {
    categories: ['VanillaNet-6', 'AlexNet'],
    series: [
      { label: 'neither', mean: [85.2, 82.4], halfWidth: [0.5, null], paper: [59.58, 57.52] },
      { label: 'series act.', mean: [86.3, null], halfWidth: [1.1, null], paper: [75.23, null] },
    ],
    xTitle: 'network',
    yTitle: 'our top-1 (%)',
    paperTitle: "paper's top-1 (%)",
  };

  it('bars per series, a legend entry for the paper markers, whiskers and markers from the same data', () => {
    const config = ciBarsConfig(data, meta);
    const datasets = config.data.datasets as { label: string; data: unknown[]; yAxisID: string }[];
    expect(datasets.map((d) => d.label)).toEqual(['neither', 'series act.', "paper's top-1 (%)"]);
    expect(datasets[0].data).toEqual([85.2, 82.4]);
    expect(datasets[2].yAxisID).toBe('y2');
    expect(config.plugins?.map((p) => p.id)).toEqual(['vbWhiskers']);
  });

  it('axis ranges: ours covers every whisker on round numbers and never goes below 0; the paper has its own axis', () => {
    const scales = ciBarsConfig(data, meta).options?.scales as Record<string, { min: number; max: number }>;
    expect(scales.y.min).toBeLessThanOrEqual(82.4);
    expect(scales.y.max).toBeGreaterThanOrEqual(86.3 + 1.1);
    expect(scales.y.min).toBeGreaterThanOrEqual(0);
    expect(scales.y2.min).toBeLessThanOrEqual(57.52);
    expect(scales.y2.max).toBeGreaterThanOrEqual(75.23);
    expect(paddedRange([0.05, 10], false).min).toBe(0); // padding gives no negative axis to values that cannot be negative
  });

  it('without paper values: no right axis and no marker legend entry', () => {
    const config = ciBarsConfig({ ...data, series: data.series.map(({ paper: _p, ...s }) => s) }, meta);
    expect((config.options?.scales as Record<string, unknown>).y2).toBeUndefined();
    expect(config.data.datasets).toHaveLength(2);
  });
});

describe('effect charts', () => {
  it('forest plot: an x range holding every CI, paper marker and band; a row per comparison; colours by verdict', async () => {
    const rows: ForestRow[] = [
      {
        label: 'VanillaNet-6: deep training',
        verdict: 'opposite direction',
        rungs: [
          { label: '1x', diff: -2.67, low: -3.37, high: -1.97 },
          { label: '2x', diff: Number.NaN, low: Number.NaN, high: Number.NaN },
        ],
        paper: 0.95,
        margin: null,
      },
      {
        label: 'VanillaNet-6: shortcut before-act',
        verdict: 'negligible, as in the paper',
        rungs: [
          { label: '1x', diff: 0.47, low: -0.01, high: 0.95 },
          { label: '2x', diff: 0.3, low: 0, high: 0.6 },
        ],
        paper: -0.44,
        margin: 1,
      },
    ];
    const cfg = forestConfig(rows, ['1x', '2x']);
    expect(cfg.x.min).toBeLessThanOrEqual(-3.37);
    expect(cfg.x.max).toBeGreaterThanOrEqual(1);
    const config = forestChartConfig(cfg, { title: 't', subtitle: 's' }, 'x');
    const labels = (config.data.datasets as { label: string; backgroundColor: string }[]).map((d) => d.label);
    expect(labels).toEqual(['opposite direction', 'negligible, as in the paper', "paper's effect (ImageNet)", 'equivalence band (±margin)']);
    expect((config.data.datasets[0] as { backgroundColor: string }).backgroundColor).toBe(VERDICT_COLORS['opposite direction']);
    const png = await forestChart(cfg, { title: 't', subtitle: 's' }, 'x');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('effect vs budget: a line per trick at the rungs run, its CI band, the paper as a dashed line; a y range holding them and 0', async () => {
    const lines: BudgetLine[] = [
      {
        label: 'deep training',
        points: [
          { budget: 1, diff: -2.7, low: -3.4, high: -2 },
          { budget: 2, diff: -1.9, low: -2.5, high: -1.3 },
          { budget: 4, diff: Number.NaN, low: Number.NaN, high: Number.NaN },
        ],
        paper: 0.95,
        colorIndex: 1,
      },
    ];
    const budgets = [
      { value: 1, label: '1x' },
      { value: 2, label: '2x' },
      { value: 4, label: '4x' },
    ];
    const config = budgetChartConfig(lines, budgets, { title: 't', subtitle: 's' }, 'y');
    const ds = config.data.datasets as { label: string; data: { x: number; y: number }[]; borderDash?: number[] }[];
    expect(ds.map((d) => d.label)).toEqual([
      'deep training: 95% CI',
      '__band deep training',
      '__band deep training whisker',
      '__band deep training whisker',
      'deep training',
      'deep training: paper (ImageNet)',
    ]);
    // a whisker per rung with a CI (one line: no dodge), so that a CI shows even without a neighbour to band with
    expect(ds[2].data).toEqual([
      { x: 1, y: -3.4 },
      { x: 1, y: -2 },
    ]);
    expect(ds[3].data).toEqual([
      { x: 2, y: -2.5 },
      { x: 2, y: -1.3 },
    ]);
    expect(ds[4].data).toEqual([
      { x: 1, y: -2.7 },
      { x: 2, y: -1.9 },
    ]);
    expect(ds[5].borderDash).toEqual([6, 4]);
    const y = (config.options as { scales: { y: { min: number; max: number } } }).scales.y;
    expect(y.min).toBeLessThanOrEqual(-3.4);
    expect(y.max).toBeGreaterThanOrEqual(0.95);
    const png = await budgetChart(lines, budgets, { title: 't', subtitle: 's' }, 'y');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });
});

describe('latency charts readable', () => {
  const inter = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

  it('labels of crowded points collide with no other label and no marker, and stay in the plot area', () => {
    // nine points as close as VanillaNet-5...13 on the depth chart (a few px apart), plus two far ones
    const pts = [
      ...Array.from({ length: 9 }, (_, i) => ({ x: 100 + 15 * i, y: 300 - 8 * i, w: 80, h: 12 })),
      { x: 600, y: 100, w: 60, h: 12 },
      { x: 605, y: 104, w: 60, h: 12 },
    ];
    const area = { x: 50, y: 50, w: 900, h: 450 };
    const placed = placeLabels(pts, area, 6);
    const markers = pts.map((p) => ({ x: p.x - 6, y: p.y - 6, w: 12, h: 12 }));
    placed.forEach((b, i) => {
      expect(b.x >= area.x && b.y >= area.y && b.x + b.w <= area.x + area.w && b.y + b.h <= area.y + area.h).toBe(true);
      for (const m of markers) expect(inter(b, m), `label ${i} over a marker`).toBe(false);
      placed.forEach((o, j) => j !== i && expect(inter(b, o), `labels ${i} and ${j}`).toBe(false));
    });
    expect(placed.filter((b) => b.leader).length).toBeGreaterThan(0); // the crowd needs leader lines
    expect(placed[9].leader).toBe(false); // a free point keeps its label beside it
  });

  it('a log latency axis on round decades when ours and the A100 differ by 100x; every series of the data, the paper hollow', () => {
    expect(logAxis([1.61, 3061])).toEqual({ min: 1, max: 10000, ticks: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] });
    const cfg = latencyVsTop1Config(latencyData(), meta);
    const scales = cfg.options!.scales as Record<string, { type?: string; min: number; max: number }>;
    expect(scales.x.type).toBe('logarithmic');
    expect([scales.x.min, scales.x.max]).toEqual([1, 1000]);
    const ds = cfg.data.datasets as { label: string; backgroundColor: string; data: unknown[] }[];
    expect(ds.map((d) => d.label)).toEqual([
      'VanillaNet, ours (tfjs-wasm, 1 thread)',
      'ResNets, ours (tfjs-wasm, 1 thread)',
      'VanillaNet, paper (A100, PyTorch)',
      'ResNets, paper (A100, PyTorch)',
    ]);
    expect(ds[2].backgroundColor).toBe('#ffffff');
    expect(ds.map((d) => d.data.length)).toEqual([2, 2, 2, 2]);
  });

  it('the deploy speed-up is a ratio with a line at 1 and whiskers from the CI', () => {
    const cfg = speedupConfig(['vanillanet-5'], [{ label: 'wasm', ratios: [{ value: 1.5, low: 1.2, high: 1.8 }] }], meta, []);
    expect((cfg.data.datasets[0] as { data: number[] }).data).toEqual([1.5]);
    expect((cfg.plugins ?? []).map((p) => p.id)).toEqual(expect.arrayContaining(['vbWhiskers', 'vbReferenceLine', 'vbFootnotes']));
  });
});
