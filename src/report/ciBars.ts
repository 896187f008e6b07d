/**
 * Grouped bars with 95% CI whiskers and the paper's values as markers on a second axis (the deploy-vs-train chart):
 * ciBarsConfig builds the chart.js configuration from plain data (testable without drawing); render draws it.
 */
import type { Chart, ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import { alpha, baseOptions, color, render, type ChartMeta } from './chartRender.js';

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
