/**
 * The latency charts: per runtime, latency vs the paper's top-1 and depth vs latency, ours beside the paper's A100
 * figures as their own series, on a log latency axis (ours and the A100's differ by 10-1000x), labels placed without
 * collisions (./chartLabels.ts) and the statistic behind the verdict as a footnote; the deploy speed-up as a ratio;
 * and the claims' statistics of every runtime side by side (forest plots). Each builder has a configuration function
 * (tested on its data) and a render call.
 */
import type { Chart, ChartConfiguration, ChartDataset, Plugin, ScatterDataPoint } from 'chart.js';
import type { Verdict } from '../ablation/verdicts.js';
import { baseOptions, ciBarsConfig, color, footnotes, pointLabels, render, VERDICT_COLORS, type ChartMeta, type CIBarsData, type Footnote } from './charts.js';
import type { Interval } from './latencyEvidence.js';

/** A verdict's colour (the ablation charts' colours; grey where a latency verdict has none). */
export const verdictColor = (v: Verdict): string => (v in VERDICT_COLORS ? VERDICT_COLORS[v as keyof typeof VERDICT_COLORS] : '#7f7f7f');

/** A footnote led by a verdict, in its colour. */
export const verdictNote = (verdict: Verdict, text: string): Footnote => ({ lead: { text: verdict.toUpperCase(), color: verdictColor(verdict) }, text });

/** A log axis from the decade at or below `lo` to the decade at or above `hi`, ticked at 1, 2 and 5 of each decade. */
export function logAxis(values: readonly number[]): { min: number; max: number; ticks: number[] } {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = finite.length > 0 ? Math.min(...finite) : 1;
  const hi = finite.length > 0 ? Math.max(...finite) : 10;
  const min = 10 ** Math.floor(Math.log10(lo));
  let max = 10 ** Math.ceil(Math.log10(hi));
  if (max <= min) max = min * 10;
  const ticks: number[] = [];
  for (let d = min; d < max * 1.0001; d *= 10) for (const m of [1, 2, 5]) if (d * m <= max * 1.0001) ticks.push(d * m);
  return { min, max, ticks };
}

const tickText = (v: number): string => (v >= 1000 ? `${v / 1000}k` : v >= 1 ? String(v) : String(Number(v.toPrecision(2))));

/** chart.js options of a logarithmic axis with our 1-2-5 ticks. */
function logScale(axis: { min: number; max: number; ticks: number[] }, title: string) {
  return {
    type: 'logarithmic' as const,
    min: axis.min,
    max: axis.max,
    title: { display: true, text: title, font: { size: 13 } },
    afterBuildTicks: (scale: { ticks: { value: number }[] }) => {
      scale.ticks = axis.ticks.map((value) => ({ value }));
    },
    ticks: { autoSkip: false, callback: (v: number | string) => tickText(Number(v)) },
  };
}

/** One model's point: ours, or the paper's A100 figure. */
export interface LatencyPoint {
  model: string;
  ms: number;
  /** the paper's ImageNet top-1 (latency vs top-1) or the depth (depth vs latency) */
  other: number;
  vanilla: boolean;
}

export interface RuntimeLatencyData {
  /** e.g. "tfjs-wasm, 1 thread" */
  runtime: string;
  ours: LatencyPoint[];
  paper: LatencyPoint[];
  notes: Footnote[];
}

const PAPER_GREY = '#555555';

/** What the non-VanillaNet points are: ResNets, or baselines where AlexNet is among them. */
const baselines = (ps: readonly LatencyPoint[]): string => (ps.filter((p) => !p.vanilla).every((p) => p.model.startsWith('resnet')) ? 'ResNets' : 'baselines');

/** The four series of both per-runtime charts: ours (VanillaNet, baselines) filled, the paper's A100 hollow. */
function seriesOf(d: RuntimeLatencyData, xy: (p: LatencyPoint) => ScatterDataPoint, line: boolean) {
  const sorted = (ps: LatencyPoint[]) => [...ps].sort((a, b) => a.other - b.other);
  const groups = [
    { ps: sorted(d.ours.filter((p) => p.vanilla)), label: `VanillaNet, ours (${d.runtime})`, c: color(0), style: 'circle', fill: true, line },
    { ps: sorted(d.ours.filter((p) => !p.vanilla)), label: `${baselines(d.ours)}, ours (${d.runtime})`, c: color(3), style: 'rect', fill: true, line: false },
    { ps: sorted(d.paper.filter((p) => p.vanilla)), label: 'VanillaNet, paper (A100, PyTorch)', c: PAPER_GREY, style: 'circle', fill: false, line },
    { ps: sorted(d.paper.filter((p) => !p.vanilla)), label: 'ResNets, paper (A100, PyTorch)', c: PAPER_GREY, style: 'rect', fill: false, line: false },
  ].filter((g) => g.ps.length > 0);
  const datasets: ChartDataset<'scatter', ScatterDataPoint[]>[] = groups.map((g) => ({
    label: g.label,
    data: g.ps.map(xy),
    showLine: g.line,
    borderColor: g.c,
    backgroundColor: g.fill ? g.c : '#ffffff',
    borderDash: g.fill ? [] : [6, 4],
    pointStyle: g.style,
    pointRadius: 5,
    pointBorderWidth: 1.5,
    borderWidth: g.line ? 1.5 : 1,
  }));
  return { datasets, labels: groups.map((g) => g.ps.map((p) => p.model)), values: groups.flatMap((g) => g.ps) };
}

function scatterConfig(
  datasets: ChartDataset<'scatter', ScatterDataPoint[]>[],
  labels: (string | null)[][],
  scales: object,
  meta: ChartMeta,
  notes: Footnote[],
) {
  const o = baseOptions(meta, '', '');
  return {
    type: 'scatter',
    data: { datasets },
    options: { ...o, plugins: { ...o.plugins, legend: { ...o.plugins.legend, labels: { usePointStyle: true, font: { size: 11 } } } }, scales },
    plugins: [pointLabels(labels, '10px sans-serif'), footnotes(notes)],
  } as ChartConfiguration;
}

/** Latency (log x) against the paper's top-1 (y): ours and the paper's A100, each VanillaNet family a line. */
export function latencyVsTop1Config(d: RuntimeLatencyData, meta: ChartMeta): ChartConfiguration {
  const { datasets, labels, values } = seriesOf(d, (p) => ({ x: p.ms, y: p.other }), true);
  const x = logAxis(values.map((p) => p.ms));
  const top1 = values.map((p) => p.other);
  const scales = {
    x: logScale(x, 'batch-1 latency, deploy form (ms, log scale)'),
    y: {
      min: 2 * Math.floor((Math.min(...top1) - 1) / 2),
      max: 2 * Math.ceil((Math.max(...top1) + 1) / 2),
      title: { display: true, text: "paper's ImageNet top-1 (%)", font: { size: 13 } },
    },
  };
  return scatterConfig(datasets, labels, scales, meta, d.notes);
}

/** Depth (x) against latency (log y): ours and the paper's A100 figures. */
export function depthVsLatencyConfig(d: RuntimeLatencyData, meta: ChartMeta): ChartConfiguration {
  const { datasets, labels, values } = seriesOf(d, (p) => ({ x: p.other, y: p.ms }), false);
  const y = logAxis(values.map((p) => p.ms));
  const scales = {
    x: {
      type: 'linear',
      min: 0,
      max: Math.ceil((Math.max(...values.map((p) => p.other)) + 4) / 10) * 10,
      title: { display: true, text: 'depth of the deploy form (layers with weights on the longest path)', font: { size: 13 } },
    },
    y: logScale(y, 'batch-1 latency, deploy form (ms, log scale)'),
  };
  return scatterConfig(datasets, labels, scales, meta, d.notes);
}

export const latencyVsTop1Chart = (d: RuntimeLatencyData, meta: ChartMeta): Promise<Buffer> => render(latencyVsTop1Config(d, meta));
export const depthVsLatencyChart = (d: RuntimeLatencyData, meta: ChartMeta): Promise<Buffer> => render(depthVsLatencyConfig(d, meta));

/** A horizontal reference line at `value` on the y axis (e.g. "no speed-up" at 1), labelled at its left end. */
function referenceLine(value: number, text: string): Plugin {
  return {
    id: 'vbReferenceLine',
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea } = chart;
      const y = chart.scales.y.getPixelForValue(value);
      ctx.save();
      ctx.strokeStyle = '#000000';
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(chartArea.left, y);
      ctx.lineTo(chartArea.right, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = '11px sans-serif';
      ctx.textBaseline = 'bottom';
      const w = ctx.measureText(text).width;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.fillRect(chartArea.right - w - 8, y - 16, w + 6, 14);
      ctx.fillStyle = '#000000';
      ctx.fillText(text, chartArea.right - w - 5, y - 2);
      ctx.restore();
    },
  };
}

export interface SpeedupSeries {
  /** the runtime, e.g. "tfjs-wasm, 1 thread" */
  label: string;
  /** per model (the chart's categories): train / deploy with its CI, null where not timed in both forms */
  ratios: (Interval | null)[];
}

/** The deploy speed-up (train form / deploy form latency) per model, a bar per runtime, CI whiskers, a line at 1. */
export function speedupConfig(models: readonly string[], series: readonly SpeedupSeries[], meta: ChartMeta, notes: Footnote[]): ChartConfiguration {
  const data: CIBarsData = {
    categories: [...models],
    series: series.map((s) => ({
      label: s.label,
      mean: s.ratios.map((r) => r?.value ?? null),
      halfWidth: s.ratios.map((r) => (r ? (r.high - r.low) / 2 : null)),
    })),
    xTitle: 'model',
    yTitle: 'train form / deploy form mean latency (x), whiskers: 95% CI',
    beginAtZero: true,
  };
  const cfg = ciBarsConfig(data, meta);
  cfg.plugins = [...(cfg.plugins ?? []), referenceLine(1, '1 = no speed-up'), footnotes(notes)];
  return cfg;
}

export const speedupChart = (models: readonly string[], series: readonly SpeedupSeries[], meta: ChartMeta, notes: Footnote[]): Promise<Buffer> =>
  render(speedupConfig(models, series, meta, notes));

/** A row of a forest plot: a runtime (or the paper), its verdict, and its statistics with their CIs. */
export interface ForestRuntimeRow {
  label: string;
  verdict: Verdict | null;
  /** one marker per statistic, in the order of `markers` */
  values: (Interval | null)[];
}

export interface RuntimeForest {
  rows: ForestRuntimeRow[];
  /** the statistics' names and point styles (legend) */
  markers: { label: string; style: 'circle' | 'rect' | 'triangle' | 'rectRot' }[];
  /** the reference value (1 for ratios, 0 for correlations) and what it means */
  reference: { value: number; text: string };
  log: boolean;
  /** fixed x range (correlations: -1..1); else from the data */
  x?: { min: number; max: number };
}

/** The outline of a marker of `style` centred at (x, y), as a path to fill. */
function markerPath(ctx: CanvasRenderingContext2D, style: RuntimeForest['markers'][number]['style'], x: number, y: number): void {
  const corners: Record<string, [number, number][]> = {
    triangle: [
      [0, -6],
      [6, 5],
      [-6, 5],
    ],
    rectRot: [
      [0, -6],
      [6, 0],
      [0, 6],
      [-6, 0],
    ],
  };
  if (style === 'rect') ctx.rect(x - 5, y - 5, 10, 10);
  else if (style === 'circle') ctx.arc(x, y, 5, 0, 2 * Math.PI);
  else {
    corners[style].forEach(([dx, dy], i) => (i === 0 ? ctx.moveTo(x + dx, y + dy) : ctx.lineTo(x + dx, y + dy)));
    ctx.closePath();
  }
}

function forestDraw(f: RuntimeForest): Plugin {
  return {
    id: 'vbRuntimeForest',
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea } = chart;
      const sx = chart.scales.x;
      const sy = chart.scales.y;
      ctx.save();
      const rx = sx.getPixelForValue(f.reference.value);
      ctx.strokeStyle = '#000000';
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(rx, chartArea.top);
      ctx.lineTo(rx, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = '11px sans-serif';
      ctx.fillStyle = '#000000';
      ctx.textBaseline = 'top';
      ctx.fillText(f.reference.text, rx + 4, chartArea.top + 2);
      f.rows.forEach((row, i) => {
        const c = row.verdict ? verdictColor(row.verdict) : '#000000';
        row.values.forEach((v, k) => {
          if (!v || !Number.isFinite(v.value)) return;
          const py = sy.getPixelForValue(i + (f.markers.length <= 1 ? 0 : -0.22 + (0.44 * k) / (f.markers.length - 1)));
          ctx.strokeStyle = c;
          ctx.lineWidth = 2;
          if (Number.isFinite(v.low) && Number.isFinite(v.high) && v.high > v.low) {
            const [a, b] = [sx.getPixelForValue(v.low), sx.getPixelForValue(v.high)];
            ctx.beginPath();
            ctx.moveTo(a, py);
            ctx.lineTo(b, py);
            ctx.moveTo(a, py - 4);
            ctx.lineTo(a, py + 4);
            ctx.moveTo(b, py - 4);
            ctx.lineTo(b, py + 4);
            ctx.stroke();
          }
          const px = sx.getPixelForValue(v.value);
          ctx.fillStyle = c;
          ctx.beginPath();
          markerPath(ctx, f.markers[k].style, px, py);
          ctx.fill();
        });
      });
      ctx.restore();
    },
  };
}

/** A forest plot of runtimes: one row per runtime (and the paper's A100), a marker per statistic with its CI, coloured by verdict. */
export function runtimeForestConfig(f: RuntimeForest, meta: ChartMeta, xTitle: string, notes: Footnote[]): ChartConfiguration {
  const o = baseOptions(meta, xTitle, '');
  const values = f.rows.flatMap((r) => r.values.flatMap((v) => (v ? [v.value, v.low, v.high] : []))).filter(Number.isFinite);
  const verdicts = [...new Set(f.rows.map((r) => r.verdict).filter((v): v is Verdict => v !== null))];
  const datasets: ChartDataset<'scatter'>[] = [
    ...f.markers.map((m) => ({ label: m.label, data: [], pointStyle: m.style, backgroundColor: '#444444', borderColor: '#444444', pointRadius: 5 })),
    ...verdicts.map((v) => ({
      label: v,
      data: [],
      pointStyle: 'line' as const,
      backgroundColor: verdictColor(v),
      borderColor: verdictColor(v),
      borderWidth: 3,
      pointRadius: 8,
    })),
  ];
  const x = f.log
    ? logScale(logAxis([...values, f.reference.value]), xTitle)
    : {
        type: 'linear',
        min: f.x?.min ?? Math.min(...values, f.reference.value),
        max: f.x?.max ?? Math.max(...values, f.reference.value),
        title: o.scales.x.title,
      };
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      ...o,
      plugins: { ...o.plugins, legend: { display: true, position: 'top', labels: { usePointStyle: true, font: { size: 11 } } } },
      scales: {
        x,
        y: {
          min: -0.6,
          max: f.rows.length - 0.4,
          reverse: true,
          afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
            axis.ticks = f.rows.map((_, i) => ({ value: i }));
          },
          ticks: { autoSkip: false, callback: (v: number | string) => f.rows[Number(v)]?.label ?? '', font: { size: 11 } },
          grid: { display: false },
        },
      },
    },
    plugins: [forestDraw(f), footnotes(notes)],
  } as ChartConfiguration;
}

export const runtimeForestChart = (f: RuntimeForest, meta: ChartMeta, xTitle: string, notes: Footnote[]): Promise<Buffer> =>
  render(runtimeForestConfig(f, meta, xTitle, notes));
