/**
 * PNG charts for the report, rendered with chart.js on node-canvas (chartjs-node-canvas), 1000 x 600 px.
 *
 * Every builder takes plain data and returns a PNG Buffer; writeChart saves one atomically. Every chart has a
 * white background (plugin), a title, a subtitle (machine / backend), axis titles with units and a legend.
 * Two small plugins draw what chart.js lacks: text labels next to points, and 95% CI whiskers on bars (plus the
 * paper's values as markers at the bars' positions, read on a second y axis).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Chart, ChartConfiguration, ChartDataset, Plugin, ScatterDataPoint } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { writeFileAtomic } from '../util/atomic.js';

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 600;

export interface ChartMeta {
  title: string;
  /** e.g. "AMD EPYC, 2 cores - backend wasm (simd), tfjs 4.22.0" */
  subtitle: string;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const POINT_STYLES = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot', 'rectRounded', 'cross'] as const;
const DASHES: number[][] = [[], [8, 4], [2, 3], [8, 3, 2, 3]];
const color = (i: number): string => PALETTE[i % PALETTE.length];
const alpha = (hex: string, a: number): string => {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
};

let renderer: ChartJSNodeCanvas | null = null;
function canvas(): ChartJSNodeCanvas {
  renderer ??= new ChartJSNodeCanvas({ width: CHART_WIDTH, height: CHART_HEIGHT });
  return renderer;
}

/** Fills the canvas white before anything is drawn (PNG charts are otherwise transparent). */
const whiteBackground: Plugin = {
  id: 'vbWhiteBackground',
  beforeDraw(chart: Chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/**
 * Draws `labels[datasetIndex][pointIndex]` beside each point: above right, else below right, above left or below
 * left, whichever first overlaps no label already drawn and stays inside the canvas.
 */
function pointLabels(labels: (string | null)[][]): Plugin {
  return {
    id: 'vbPointLabels',
    afterDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      const placed: { x: number; y: number; w: number; h: number }[] = [];
      const h = 12;
      const free = (r: { x: number; y: number; w: number; h: number }) =>
        r.x >= 0 && r.y >= 0 && r.x + r.w <= chart.width && r.y + r.h <= chart.height
        && !placed.some((p) => r.x < p.x + p.w && p.x < r.x + r.w && r.y < p.y + p.h && p.y < r.y + r.h);
      ctx.save();
      ctx.font = '11px sans-serif';
      ctx.fillStyle = '#333333';
      ctx.textBaseline = 'top';
      labels.forEach((ls, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        ls.forEach((text, pi) => {
          const el = meta.data[pi];
          if (!text || !el) return;
          const w = ctx.measureText(text).width;
          const candidates = [
            { x: el.x + 7, y: el.y - 8 - h / 2 },
            { x: el.x + 7, y: el.y + 4 },
            { x: el.x - 7 - w, y: el.y - 8 - h / 2 },
            { x: el.x - 7 - w, y: el.y + 4 },
            { x: el.x + 7, y: el.y - 8 - (3 * h) / 2 },
            { x: el.x + 7, y: el.y + 4 + h },
          ].map((c) => ({ ...c, w, h }));
          const at = candidates.find(free) ?? candidates[0];
          placed.push(at);
          ctx.fillText(text, at.x, at.y);
        });
      });
      ctx.restore();
    },
  };
}

function baseOptions(meta: ChartMeta, xTitle: string, yTitle: string) {
  return {
    responsive: false,
    animation: false as const,
    devicePixelRatio: 1,
    layout: { padding: { left: 10, right: 20, top: 10, bottom: 10 } },
    plugins: {
      title: { display: true, text: meta.title, font: { size: 18, weight: 'bold' as const } },
      subtitle: { display: true, text: meta.subtitle, font: { size: 12 }, padding: { bottom: 10 } },
      legend: { display: true, position: 'top' as const },
    },
    scales: {
      x: { title: { display: true, text: xTitle, font: { size: 13 } } },
      y: { title: { display: true, text: yTitle, font: { size: 13 } } },
    },
  };
}

async function render(config: ChartConfiguration): Promise<Buffer> {
  config.plugins = [whiteBackground, ...(config.plugins ?? [])];
  return canvas().renderToBuffer(config, 'image/png');
}

/** Saves a PNG atomically (temp file + rename), creating the folder. */
export function writeChart(file: string, png: Buffer): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, [png]);
  return file;
}

// ---- latency charts ---------------------------------------------------------------------------------------------

export interface LatencyTop1Point {
  model: string;
  /** our measured latency, ms */
  latencyMs: number;
  /** the paper's ImageNet top-1, % */
  top1: number;
  /** true for the VanillaNet family (joined by a line) */
  vanilla: boolean;
}

/** Our latency (x) against the paper's top-1 (y): the VanillaNet family as a line, each baseline its own point. */
export async function latencyVsTop1Chart(points: readonly LatencyTop1Point[], meta: ChartMeta, xTitle = 'our measured batch-1 latency, deploy form (ms)'): Promise<Buffer> {
  const vanilla = points.filter((p) => p.vanilla).sort((a, b) => a.top1 - b.top1);
  const baselines = points.filter((p) => !p.vanilla);
  const datasets: ChartDataset<'scatter', ScatterDataPoint[]>[] = [];
  const labels: (string | null)[][] = [];
  if (vanilla.length > 0) {
    datasets.push({
      label: 'VanillaNet family',
      data: vanilla.map((p) => ({ x: p.latencyMs, y: p.top1 })),
      showLine: true,
      borderColor: color(0),
      backgroundColor: color(0),
      pointRadius: 5,
      borderWidth: 2,
    });
    labels.push(vanilla.map((p) => p.model));
  }
  baselines.forEach((p, i) => {
    datasets.push({
      label: p.model,
      data: [{ x: p.latencyMs, y: p.top1 }],
      showLine: false,
      borderColor: color(i + 1),
      backgroundColor: color(i + 1),
      pointStyle: POINT_STYLES[(i + 1) % POINT_STYLES.length],
      pointRadius: 8,
    });
    labels.push([p.model]);
  });
  const o = baseOptions(meta, xTitle, "paper's ImageNet top-1 (%)");
  const options = { ...o, plugins: { ...o.plugins, legend: { ...o.plugins.legend, labels: { usePointStyle: true } } } };
  return render({
    type: 'scatter',
    data: { datasets },
    options: { ...options, scales: { x: { ...o.scales.x, type: 'linear', beginAtZero: true, grace: '8%' }, y: { ...o.scales.y, grace: '8%' } } },
    plugins: [pointLabels(labels)],
  });
}

export interface DepthLatencyPoint {
  model: string;
  depth: number;
  latencyMs: number;
  /** series name, e.g. "VanillaNet deploy", "baselines" */
  series: string;
}

/** Depth (x) against our latency (y), one series per group, points labelled with the model. */
export async function depthVsLatencyChart(points: readonly DepthLatencyPoint[], meta: ChartMeta, yTitle = 'our measured batch-1 latency (ms)'): Promise<Buffer> {
  const seriesNames = [...new Set(points.map((p) => p.series))];
  const labels: (string | null)[][] = [];
  const datasets: ChartDataset<'scatter', ScatterDataPoint[]>[] = seriesNames.map((s, i) => {
    const ps = points.filter((p) => p.series === s);
    labels.push(ps.map((p) => p.model));
    return {
      label: s,
      data: ps.map((p) => ({ x: p.depth, y: p.latencyMs })),
      backgroundColor: color(i),
      borderColor: color(i),
      pointStyle: POINT_STYLES[i % POINT_STYLES.length],
      pointRadius: 6,
    };
  });
  const o = baseOptions(meta, 'depth (layers with weights on the longest path)', yTitle);
  const options = { ...o, plugins: { ...o.plugins, legend: { ...o.plugins.legend, labels: { usePointStyle: true } } } };
  return render({
    type: 'scatter',
    data: { datasets },
    options: { ...options, scales: { x: { ...o.scales.x, type: 'linear', beginAtZero: true, grace: '8%' }, y: { ...o.scales.y, beginAtZero: true, grace: '8%' } } },
    plugins: [pointLabels(labels)],
  });
}

export interface DeployTrainRow {
  model: string;
  deployMs: number | null;
  trainMs: number | null;
  /** 95% margins of error of the means, ms (whiskers) */
  deployMoeMs?: number | null;
  trainMoeMs?: number | null;
}

/** Grouped bars per model: deploy vs train form mean latency, with 95% CI whiskers. */
export async function deployVsTrainChart(rows: readonly DeployTrainRow[], meta: ChartMeta): Promise<Buffer> {
  const data: CIBarsData = {
    categories: rows.map((r) => r.model),
    series: [
      { label: 'deploy form (merged)', mean: rows.map((r) => r.deployMs), halfWidth: rows.map((r) => r.deployMoeMs ?? null) },
      { label: 'train form, lambda = 1 (un-merged)', mean: rows.map((r) => r.trainMs), halfWidth: rows.map((r) => r.trainMoeMs ?? null) },
    ],
    xTitle: 'model',
    yTitle: 'mean batch-1 latency (ms), whiskers: 95% CI of the mean',
    beginAtZero: true,
  };
  return ciBarsChart(data, meta);
}

// ---- bars with confidence intervals and the paper's markers ----------------------------------------------------

export interface CIBarSeries {
  label: string;
  /** one value per category (null: not measured) */
  mean: (number | null)[];
  /** 95% CI half-widths (null or 0: no whisker) */
  halfWidth: (number | null)[];
  /** the paper's value for this series and category, drawn as a marker on the right axis */
  paper?: (number | null)[];
  /** per category: the bar's colour (ablation charts: the cell's fixed colour) */
  colors?: string[];
}

export interface CIBarsData {
  categories: string[];
  series: CIBarSeries[];
  xTitle: string;
  yTitle: string;
  /** title of the right axis carrying the paper's markers (required when any series has paper values) */
  paperTitle?: string;
  beginAtZero?: boolean;
}

/** A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`. */
function niceStep(span: number, ticks = 6): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** Axis bounds on round numbers around `values`, with some room above and below (from 0 if `beginAtZero`). */
function paddedRange(values: number[], beginAtZero: boolean): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 1 };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (beginAtZero) lo = Math.min(0, lo);
  const span = Math.max(hi - lo, 1e-6, Math.abs(hi) * 0.02);
  if (!beginAtZero) lo -= span * 0.3;
  hi += span * 0.15;
  const step = niceStep(hi - lo);
  // values that are never negative (top-1, latency) get no negative axis from the padding
  const min = Math.floor(lo / step) * step;
  return { min: Math.min(...values) >= 0 ? Math.max(0, min) : min, max: Math.ceil(hi / step) * step };
}

/** A CI whisker at a bar from pixel `top` to `bottom`: caps, or an arrow head pointing off the axis at a clipped end. */
function drawWhisker(ctx: CanvasRenderingContext2D, el: { x: number; width?: number }, top: number, bottom: number, clipped = { top: false, bottom: false }): void {
  const cap = Math.max(4, Math.min(10, (el.width ?? 20) / 4));
  ctx.strokeStyle = '#222222';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(el.x, top);
  ctx.lineTo(el.x, bottom);
  for (const [py, arrow, dir] of [[top, clipped.top, -1], [bottom, clipped.bottom, 1]] as [number, boolean, number][]) {
    ctx.moveTo(el.x - cap, arrow ? py - dir * cap : py);
    ctx.lineTo(arrow ? el.x : el.x + cap, py);
    if (arrow) ctx.lineTo(el.x + cap, py - dir * cap);
  }
  ctx.stroke();
}

/** The paper's marker: a black diamond with a white outline centred at (x, py). */
function drawDiamond(ctx: CanvasRenderingContext2D, x: number, py: number): void {
  ctx.fillStyle = '#000000';
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(x, py - 7);
  ctx.lineTo(x + 7, py);
  ctx.lineTo(x, py + 7);
  ctx.lineTo(x - 7, py);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
}

/** A plugin that draws over each bar (dataset `si`, category `ci`) of a bar chart after the datasets. */
function overBars(id: string, series: number, draw: (ctx: CanvasRenderingContext2D, chart: Chart, si: number, ci: number, el: { x: number; width?: number }) => void): Plugin {
  return {
    id,
    afterDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      ctx.save();
      for (let si = 0; si < series; si++) {
        const meta = chart.getDatasetMeta(si);
        if (meta.hidden) continue;
        meta.data.forEach((el, ci) => draw(ctx, chart, si, ci, el as unknown as { x: number; width?: number }));
      }
      ctx.restore();
    },
  };
}

/** Whiskers (mean +- half-width) on each bar, and the paper's markers at the bars' x positions on the y2 scale. */
function whiskersAndMarkers(data: CIBarsData): Plugin {
  return overBars('vbWhiskers', data.series.length, (ctx, chart, si, ci, el) => {
    const s = data.series[si];
    const m = s.mean[ci];
    const hw = s.halfWidth[ci];
    if (m !== null && m !== undefined && hw !== null && hw !== undefined && hw > 0) drawWhisker(ctx, el, chart.scales.y.getPixelForValue(m + hw), chart.scales.y.getPixelForValue(m - hw));
    const p = s.paper?.[ci];
    if (p !== null && p !== undefined && chart.scales.y2) drawDiamond(ctx, el.x, chart.scales.y2.getPixelForValue(p));
  });
}

/**
 * Grouped bars (one dataset per series, one group per category) with 95% CI whiskers; where the paper's values are
 * given, they are black diamonds at the bars' positions read on the right axis (its own scale: e.g. ImageNet top-1
 * beside our small-scale top-1), with a legend entry.
 */
export async function ciBarsChart(data: CIBarsData, meta: ChartMeta): Promise<Buffer> {
  const hasPaper = data.series.some((s) => s.paper?.some((v) => v !== null && v !== undefined));
  const ours: number[] = [];
  for (const s of data.series) {
    s.mean.forEach((m, i) => {
      if (m === null) return;
      const hw = s.halfWidth[i] ?? 0;
      ours.push(m - hw, m + hw);
    });
  }
  const paperValues = data.series.flatMap((s) => (s.paper ?? []).filter((v): v is number => v !== null && v !== undefined));
  const datasets: ChartDataset<'bar' | 'line', (number | null)[]>[] = data.series.map((s, i) => ({
    type: 'bar' as const,
    label: s.label,
    data: s.mean,
    pointStyle: 'rect',
    backgroundColor: alpha(color(i), 0.75),
    borderColor: color(i),
    borderWidth: 1,
    yAxisID: 'y',
  }));
  if (hasPaper) {
    datasets.push({
      type: 'line' as const,
      label: data.paperTitle ?? "paper's value (right axis)",
      data: [],
      yAxisID: 'y2',
      showLine: false,
      pointStyle: 'rectRot',
      pointRadius: 7,
      backgroundColor: '#000000',
      borderColor: '#000000',
    });
  }
  const o = baseOptions(meta, data.xTitle, data.yTitle);
  // point-style legend, so that the paper's entry shows a diamond like the markers
  const options = { ...o, plugins: { ...o.plugins, legend: { ...o.plugins.legend, labels: { usePointStyle: true } } } };
  const yr = paddedRange(ours, data.beginAtZero ?? false);
  const scales: Record<string, unknown> = {
    x: { ...o.scales.x, type: 'category' },
    y: { ...o.scales.y, position: 'left', min: yr.min, max: yr.max },
  };
  if (hasPaper) {
    const pr = paddedRange(paperValues, false);
    scales.y2 = {
      type: 'linear',
      position: 'right',
      min: pr.min,
      max: pr.max,
      grid: { drawOnChartArea: false },
      title: { display: true, text: data.paperTitle ?? "paper's value", font: { size: 13 } },
    };
  }
  return render({
    type: 'bar',
    data: { labels: data.categories, datasets: datasets as ChartDataset<'bar', (number | null)[]>[] },
    options: { ...options, scales } as ChartConfiguration<'bar'>['options'],
    plugins: [whiskersAndMarkers(data)],
  } as ChartConfiguration);
}

// ---- the ablation charts: percent axes, cells in the paper's order, one colour per cell -------------------------

/** Ablation percent axes: never below 0 nor above 100. */
export const PERCENT_AXIS = { min: 0, max: 100 } as const;

/**
 * The fixed colour of an ablation cell: the hue of its factor combination (series: Table 2's neither / deep
 * training / series act. / both, Table 3's none / before-act / after-act) and a lighter shade per network (group:
 * the model's position in the experiment). The bars and the curves of the same cell take it from here.
 */
export function ablationCellColor(series: number, group: number): string {
  const hex = color(series);
  const t = Math.min(0.6, 0.3 * group);
  const ch = (i: number) => Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - t) + 255 * t).toString(16).padStart(2, '0');
  return `#${ch(1)}${ch(3)}${ch(5)}`;
}

export interface AblationBar {
  label: string;
  /** per category: the cell's colour, mean, whisker ends (clipped to the axis) and whether an end was clipped */
  colors: string[];
  mean: (number | null)[];
  low: (number | null)[];
  high: (number | null)[];
  clipped: boolean[];
  paper: (number | null)[];
}

export interface AblationBarsConfig {
  categories: string[];
  bars: AblationBar[];
  y: { min: number; max: number };
  /** a note per clipped whisker, for the caption */
  clippedNotes: string[];
}

/**
 * The ablation bar chart's configuration: categories and series in the order given (the paper's: networks in the
 * experiment's order, then the factor combinations in the tables' order), each cell's fixed colour
 * (ablationCellColor(series, category) unless given), the percent axis 0..100 (PERCENT_AXIS), whiskers (mean +-
 * half-width) clipped to the axis with a note each, and the paper's figure on the same axis.
 */
export function ablationBarsConfig(data: { categories: string[]; series: CIBarSeries[] }): AblationBarsConfig {
  const { min, max } = PERCENT_AXIS;
  const clippedNotes: string[] = [];
  const bars = data.series.map((s, si) => {
    const low: (number | null)[] = [];
    const high: (number | null)[] = [];
    const clipped: boolean[] = [];
    s.mean.forEach((m, ci) => {
      const hw = s.halfWidth[ci];
      if (m === null || hw === null || !(hw > 0)) {
        low.push(null);
        high.push(null);
        clipped.push(false);
        return;
      }
      const lo = Math.max(min, m - hw);
      const hi = Math.min(max, m + hw);
      const cut = lo !== m - hw || hi !== m + hw;
      low.push(lo);
      high.push(hi);
      clipped.push(cut);
      if (cut) clippedNotes.push(`${data.categories[ci]}, ${s.label}: ${m.toFixed(1)} ± ${hw.toFixed(1)} (whisker clipped at ${[m - hw < min ? `${min} %` : '', m + hw > max ? `${max} %` : ''].filter(Boolean).join(' and ')})`);
    });
    return {
      label: s.label,
      colors: data.categories.map((_, ci) => s.colors?.[ci] ?? ablationCellColor(si, ci)),
      mean: s.mean.map((m) => (m === null ? null : Math.min(max, Math.max(min, m)))),
      low, high, clipped,
      paper: data.categories.map((_, ci) => s.paper?.[ci] ?? null),
    };
  });
  return { categories: data.categories, bars, y: { min, max }, clippedNotes };
}

/** Whiskers of an ablation bar chart (an arrow head where clipped) and the paper's diamonds, on one axis. */
function ablationWhiskers(cfg: AblationBarsConfig): Plugin {
  return overBars('vbAblationWhiskers', cfg.bars.length, (ctx, chart, si, ci, el) => {
    const b = cfg.bars[si];
    const y = chart.scales.y;
    const lo = b.low[ci];
    const hi = b.high[ci];
    if (b.mean[ci] !== null && lo !== null && hi !== null) {
      drawWhisker(ctx, el, y.getPixelForValue(hi), y.getPixelForValue(lo), { top: b.clipped[ci] && hi >= cfg.y.max, bottom: b.clipped[ci] && lo <= cfg.y.min });
    }
    const p = b.paper[ci];
    if (p !== null && p !== undefined) drawDiamond(ctx, el.x, y.getPixelForValue(p));
  });
}

/** Grouped bars of an ablation (ablationBarsConfig): our top-1 with clipped whiskers, the paper's diamonds on the same 0..100 axis. */
export async function ablationBarsChart(cfg: AblationBarsConfig, meta: ChartMeta, xTitle: string, yTitle: string, paperTitle: string): Promise<Buffer> {
  const hasPaper = cfg.bars.some((b) => b.paper.some((v) => v !== null));
  const datasets: ChartDataset<'bar' | 'line', (number | null)[]>[] = cfg.bars.map((b) => ({
    type: 'bar' as const,
    label: b.label,
    data: b.mean,
    pointStyle: 'rect',
    backgroundColor: b.colors.map((c) => alpha(c, 0.85)),
    borderColor: b.colors,
    borderWidth: 1,
    yAxisID: 'y',
  }));
  if (hasPaper) {
    datasets.push({
      type: 'line' as const, label: paperTitle, data: [], yAxisID: 'y', showLine: false,
      pointStyle: 'rectRot', pointRadius: 7, backgroundColor: '#000000', borderColor: '#000000',
    });
  }
  const o = baseOptions(meta, xTitle, yTitle);
  const options = { ...o, plugins: { ...o.plugins, legend: { ...o.plugins.legend, labels: { usePointStyle: true } } } };
  const scales = {
    x: { ...o.scales.x, type: 'category' },
    y: { ...o.scales.y, position: 'left', min: cfg.y.min, max: cfg.y.max, ticks: { stepSize: 10 } },
  };
  return render({
    type: 'bar',
    data: { labels: cfg.categories, datasets: datasets as ChartDataset<'bar', (number | null)[]>[] },
    options: { ...options, scales } as ChartConfiguration<'bar'>['options'],
    plugins: [ablationWhiskers(cfg)],
  } as ChartConfiguration);
}

const PAPER_SAME_AXIS = "paper's ImageNet top-1 (%), diamonds, same axis";

/** Table 2: our top-1 per network (groups) and toggle combination (bars) with CIs; the paper's on the same axis. */
export async function table2Chart(data: { categories: string[]; series: CIBarSeries[]; ourTitle?: string }, meta: ChartMeta): Promise<Buffer> {
  return ablationBarsChart(ablationBarsConfig(data), meta, 'network', data.ourTitle ?? 'our top-1 (%), mean over seeds, whiskers: 95% CI', PAPER_SAME_AXIS);
}

/** Table 3: our top-1 per network (groups) and shortcut placement (bars) with CIs; the paper's on the same axis. */
export async function table3Chart(data: { categories: string[]; series: CIBarSeries[]; ourTitle?: string }, meta: ChartMeta): Promise<Buffer> {
  return ablationBarsChart(ablationBarsConfig(data), meta, 'network', data.ourTitle ?? 'our top-1 (%), mean over seeds, whiskers: 95% CI', PAPER_SAME_AXIS);
}

// ---- training curves --------------------------------------------------------------------------------------------

export interface CurveSeries {
  label: string;
  /** palette index (default: the series' position) */
  colorIndex?: number;
  /** 0 solid, 1 dashed, 2 dotted, 3 dash-dot (default: solid, dashed after the palette is used up) */
  dashIndex?: number;
  /** the line's colour (ablation curves: the cell's fixed colour); overrides colorIndex */
  color?: string;
  /** (epoch, validation top-1 %) */
  points: { epoch: number; valTop1: number }[];
}

/** Validation top-1 per epoch, one line per series (cell). */
export async function trainingCurvesChart(series: readonly CurveSeries[], meta: ChartMeta, yTitle = 'validation top-1 (%), mean over seeds', yRange?: { min: number; max: number }): Promise<Buffer> {
  const datasets: ChartDataset<'line', ScatterDataPoint[]>[] = series.map((s, i) => ({
    label: s.label,
    data: [...s.points].sort((a, b) => a.epoch - b.epoch).map((p) => ({ x: p.epoch, y: p.valTop1 })),
    borderColor: s.color ?? color(s.colorIndex ?? i),
    backgroundColor: s.color ?? color(s.colorIndex ?? i),
    borderDash: DASHES[(s.dashIndex ?? (i >= PALETTE.length ? 1 : 0)) % DASHES.length],
    pointRadius: 2,
    borderWidth: 2,
    tension: 0,
  }));
  const o = baseOptions(meta, 'epoch', yTitle);
  return render({
    type: 'line',
    data: { datasets },
    options: { ...o, scales: { x: { ...o.scales.x, type: 'linear' }, y: yRange ? { ...o.scales.y, min: yRange.min, max: yRange.max } : o.scales.y } },
  });
}
