/**
 * What every chart of the report shares (chart.js on node-canvas, 1000 x 600 px PNG): size, palette, one colour per
 * verdict, the white background, the base options (title, subtitle, axis titles, legend), the one render step and
 * writeChart (atomic); the plugins that draw what chart.js lacks (point labels that never collide, footnotes, 95% CI
 * whiskers, the paper's diamonds); and grouped bars with CI whiskers. The charts of each section are built from these
 * (./ablationCharts.ts, ./latencyCharts.ts) as plain configurations, tested on their data, then rendered.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Chart, ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import type { EffectVerdict } from '../ablation/rules.js';
import { writeFileAtomic } from '../util/atomic.js';

// ---- size, palette, rendering --------------------------------------------------------------------------------------

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 600;

export interface ChartMeta {
  title: string;
  /** e.g. "AMD EPYC, 2 cores - backend wasm (simd), tfjs 4.22.0" */
  subtitle: string;
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const POINT_STYLES = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot', 'rectRounded', 'cross'] as const;
export const DASHES: number[][] = [[], [8, 4], [2, 3], [8, 3, 2, 3]];
export const color = (i: number): string => PALETTE[i % PALETTE.length];
export const alpha = (hex: string, a: number): string => {
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

export function baseOptions(meta: ChartMeta, xTitle: string, yTitle: string) {
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

export async function render(config: ChartConfiguration): Promise<Buffer> {
  config.plugins = [whiteBackground, ...(config.plugins ?? [])];
  return canvas().renderToBuffer(config, 'image/png');
}

/** Saves a PNG atomically (temp file + rename), creating the folder. */
export function writeChart(file: string, png: Buffer): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, [png]);
  return file;
}

/** One colour per verdict, the same in every chart. */
export const VERDICT_COLORS: Record<EffectVerdict, string> = {
  'direction reproduced': '#2ca02c',
  'negligible, as in the paper': '#17becf',
  'opposite direction': '#d62728',
  'not negligible': '#ff7f0e',
  inconclusive: '#7f7f7f',
  'clear effect': '#1f77b4',
  'no clear effect': '#7f7f7f',
  untestable: '#bcbd22',
  interim: '#9467bd',
};

// ---- point labels and footnotes ------------------------------------------------------------------------------------

/**
 * Text on charts that must stay readable however crowded the points: point labels placed where they collide with no
 * other label and no marker (moved further out, with a leader line back to the point, where the space next to it is
 * taken), and footnotes under the plot (the statistic behind a verdict), wrapped to the chart's width.
 */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelRequest {
  /** the point, px */
  x: number;
  y: number;
  /** the label's size, px */
  w: number;
  h: number;
}

export interface PlacedLabel extends Box {
  /** drawn away from its point: joined to it by a line */
  leader: boolean;
}

/** Distances (px) from the point at which a label is tried, nearest first; beyond the first, a leader line. */
const RADII = [4, 14, 26, 40, 56, 76, 100];
/** Directions tried at each distance: right, left, up-right, down-right, up-left, down-left, up, down. */
const DIRECTIONS: [number, number][] = [
  [1, 0],
  [-1, 0],
  [1, -1],
  [1, 1],
  [-1, -1],
  [-1, 1],
  [0, -1],
  [0, 1],
];

const overlap = (a: Box, b: Box): number =>
  Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

/** The label box at distance `r` from (px, py) in direction (dx, dy): the box's nearest side faces the point. */
function candidate(p: LabelRequest, r: number, [dx, dy]: [number, number]): Box {
  const x = dx > 0 ? p.x + r : dx < 0 ? p.x - r - p.w : p.x - p.w / 2;
  const y = dy > 0 ? p.y + r : dy < 0 ? p.y - r - p.h : p.y - p.h / 2;
  return { x, y, w: p.w, h: p.h };
}

/**
 * Places one label per point, in order: the nearest candidate (distance, then direction) that lies inside `area`
 * and overlaps no label placed before, no point's marker (`markerRadius` around every point) and no `obstacles`;
 * where every candidate collides, the one that collides least. Pure geometry, so it is testable without drawing.
 */
export function placeLabels(points: readonly LabelRequest[], area: Box, markerRadius = 6, obstacles: readonly Box[] = []): PlacedLabel[] {
  const markers: Box[] = points.map((p) => ({ x: p.x - markerRadius, y: p.y - markerRadius, w: 2 * markerRadius, h: 2 * markerRadius }));
  const taken: Box[] = [...markers, ...obstacles];
  const inside = (b: Box) => b.x >= area.x && b.y >= area.y && b.x + b.w <= area.x + area.w && b.y + b.h <= area.y + area.h;
  return points.map((p) => {
    let best: { box: Box; r: number; cost: number } | null = null;
    for (const r of RADII) {
      for (const d of DIRECTIONS) {
        const box = candidate(p, markerRadius + r, d);
        const cost = taken.reduce((s, t) => s + overlap(box, t), 0) + (inside(box) ? 0 : 1e6);
        if (!best || cost < best.cost) best = { box, r, cost };
        if (cost === 0) break;
      }
      if (best && best.cost === 0) break;
    }
    taken.push(best!.box);
    return { ...best!.box, leader: best!.r > RADII[0] };
  });
}

/** Which points of a chart get which labels: `labels[datasetIndex][pointIndex]` (null: none). */
export type PointLabels = (string | null)[][];

/** Draws the labels of the visible points, placed by placeLabels inside the plot area, with leader lines where moved. */
export function pointLabels(labels: PointLabels, font = '11px sans-serif'): Plugin {
  return {
    id: 'vbPointLabels',
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.font = font;
      const h = 12;
      const requests: (LabelRequest & { text: string })[] = [];
      labels.forEach((ls, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        ls.forEach((text, pi) => {
          const el = meta.data[pi];
          if (!text || !el || !Number.isFinite(el.x) || !Number.isFinite(el.y)) return;
          requests.push({ x: el.x, y: el.y, w: ctx.measureText(text).width + 2, h, text });
        });
      });
      // every visible marker is an obstacle, labelled or not
      const markers: Box[] = chart.data.datasets.flatMap((_, di) => {
        const meta = chart.getDatasetMeta(di);
        return meta.hidden
          ? []
          : meta.data.filter((el) => Number.isFinite(el.x) && Number.isFinite(el.y)).map((el) => ({ x: el.x - 6, y: el.y - 6, w: 12, h: 12 }));
      });
      const area = { x: chartArea.left, y: chartArea.top, w: chartArea.right - chartArea.left, h: chartArea.bottom - chartArea.top };
      const placed = placeLabels(requests, area, 6, markers);
      placed.forEach((b, i) => {
        const p = requests[i];
        if (b.leader) {
          // from the marker's edge to the nearest point of the label's box
          const tx = Math.max(b.x, Math.min(p.x, b.x + b.w));
          const ty = Math.max(b.y, Math.min(p.y, b.y + b.h));
          const len = Math.hypot(tx - p.x, ty - p.y);
          if (len > 7) {
            ctx.strokeStyle = '#999999';
            ctx.lineWidth = 0.8;
            ctx.beginPath();
            ctx.moveTo(p.x + ((tx - p.x) * 6) / len, p.y + ((ty - p.y) * 6) / len);
            ctx.lineTo(tx, ty);
            ctx.stroke();
          }
        }
        ctx.fillStyle = '#222222';
        ctx.textBaseline = 'top';
        ctx.fillText(p.text, b.x + 1, b.y);
      });
      ctx.restore();
    },
  };
}

/** A footnote line, optionally starting with a coloured lead (e.g. a verdict). */
export interface Footnote {
  text: string;
  lead?: { text: string; color: string };
}

const FOOT_LINE = 15;

/** Splits `text` into lines no wider than `width` px (at the context's font). */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number, first: number): string[] {
  const lines: string[] = [];
  let line = '';
  let room = width - first;
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > room && line) {
      lines.push(line);
      line = word;
      room = width;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** The lines the footnotes take, wrapped at the chart's width (the context's font must be set). */
function footnoteLineCount(ctx: CanvasRenderingContext2D, notes: readonly Footnote[], width: number): number {
  return notes.reduce((n, f) => n + wrap(ctx, f.text, width, f.lead ? ctx.measureText(`${f.lead.text} `).width : 0).length, 0);
}

/** Footnotes under the x axis title, each wrapped to the chart's width; the room under the plot is reserved for them. */
export function footnotes(notes: readonly Footnote[]): Plugin {
  let lines = 0;
  return {
    id: 'vbFootnotes',
    beforeLayout(chart: Chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = '12px sans-serif';
      lines = footnoteLineCount(ctx, notes, chart.width - 30);
      ctx.restore();
      const padding = chart.options.layout?.padding;
      const base = typeof padding === 'object' && padding !== null ? padding : {};
      chart.options.layout = { ...chart.options.layout, padding: { ...base, bottom: 14 + lines * FOOT_LINE } };
    },
    afterDraw(chart: Chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = '12px sans-serif';
      ctx.textBaseline = 'top';
      const width = chart.width - 30;
      let y = chart.height - 8 - lines * FOOT_LINE;
      for (const f of notes) {
        let x = 15;
        if (f.lead) {
          ctx.font = 'bold 12px sans-serif';
          ctx.fillStyle = f.lead.color;
          ctx.fillText(f.lead.text, x, y);
          x += ctx.measureText(`${f.lead.text} `).width;
          ctx.font = '12px sans-serif';
        }
        ctx.fillStyle = '#222222';
        for (const line of wrap(ctx, f.text, width, x - 15)) {
          ctx.fillText(line, x, y);
          y += FOOT_LINE;
          x = 15;
        }
      }
      ctx.restore();
    },
  };
}

// ---- bars with CI whiskers -----------------------------------------------------------------------------------------

/**
 * Grouped bars with 95% CI whiskers and the paper's values as markers on a second axis (the deploy-vs-train chart):
 * ciBarsConfig builds the chart.js configuration from plain data (testable without drawing); render draws it.
 */
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
  /** ablation charts: the PyTorch reference trainer's mean on the same cell (same protocol), on the same axis */
  torch?: (number | null)[];
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
export function paddedRange(values: number[], beginAtZero: boolean): { min: number; max: number } {
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
export function drawWhisker(
  ctx: CanvasRenderingContext2D,
  el: { x: number; width?: number },
  top: number,
  bottom: number,
  clipped = { top: false, bottom: false },
): void {
  const cap = Math.max(4, Math.min(10, (el.width ?? 20) / 4));
  ctx.strokeStyle = '#222222';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(el.x, top);
  ctx.lineTo(el.x, bottom);
  for (const [py, arrow, dir] of [
    [top, clipped.top, -1],
    [bottom, clipped.bottom, 1],
  ] as [number, boolean, number][]) {
    ctx.moveTo(el.x - cap, arrow ? py - dir * cap : py);
    ctx.lineTo(arrow ? el.x : el.x + cap, py);
    if (arrow) ctx.lineTo(el.x + cap, py - dir * cap);
  }
  ctx.stroke();
}

/** The paper's marker: a black diamond with a white outline centred at (x, py). */
export function drawDiamond(ctx: CanvasRenderingContext2D, x: number, py: number): void {
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

/** The PyTorch figure's marker: a black horizontal bar with a white outline across the bar at py. */
export function drawTorchMark(ctx: CanvasRenderingContext2D, x: number, width: number, py: number): void {
  const half = Math.max(6, width / 2 - 2);
  ctx.fillStyle = '#000000';
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.rect(x - half, py - 2, 2 * half, 4);
  ctx.fill();
  ctx.stroke();
}

/** A plugin that draws over each bar (dataset `si`, category `ci`) of a bar chart after the datasets. */
export function overBars(
  id: string,
  series: number,
  draw: (ctx: CanvasRenderingContext2D, chart: Chart, si: number, ci: number, el: { x: number; width?: number }) => void,
): Plugin {
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
    if (m !== null && m !== undefined && hw !== null && hw !== undefined && hw > 0)
      drawWhisker(ctx, el, chart.scales.y.getPixelForValue(m + hw), chart.scales.y.getPixelForValue(m - hw));
    const p = s.paper?.[ci];
    if (p !== null && p !== undefined && chart.scales.y2) drawDiamond(ctx, el.x, chart.scales.y2.getPixelForValue(p));
  });
}

/**
 * Grouped bars (one dataset per series, one group per category) with 95% CI whiskers; where the paper's values are
 * given, they are black diamonds at the bars' positions read on the right axis (its own scale: e.g. ImageNet top-1
 * beside our small-scale top-1), with a legend entry.
 */
export function ciBarsConfig(data: CIBarsData, meta: ChartMeta): ChartConfiguration {
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
  return {
    type: 'bar',
    data: { labels: data.categories, datasets: datasets as ChartDataset<'bar', (number | null)[]>[] },
    options: { ...options, scales } as ChartConfiguration<'bar'>['options'],
    plugins: [whiskersAndMarkers(data)],
  } as ChartConfiguration;
}

export async function ciBarsChart(data: CIBarsData, meta: ChartMeta): Promise<Buffer> {
  return render(ciBarsConfig(data, meta));
}
