/**
 * Grouped bars with 95% CI whiskers and the paper's values as markers on a second axis (Table 2 and Table 3 charts):
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

/** Whiskers (mean +- half-width) on each bar, and the paper's markers at the bars' x positions on the y2 scale. */
function whiskersAndMarkers(data: CIBarsData): Plugin {
  return {
    id: 'vbWhiskers',
    afterDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      const y = chart.scales.y;
      const y2 = chart.scales.y2;
      ctx.save();
      data.series.forEach((s, si) => {
        const meta = chart.getDatasetMeta(si);
        if (meta.hidden) return;
        s.mean.forEach((m, ci) => {
          const el = meta.data[ci] as unknown as { x: number; width?: number } | undefined;
          if (!el) return;
          const hw = s.halfWidth[ci];
          if (m !== null && hw !== null && hw > 0) {
            const top = y.getPixelForValue(m + hw);
            const bottom = y.getPixelForValue(m - hw);
            const cap = Math.max(4, Math.min(10, (el.width ?? 20) / 4));
            ctx.strokeStyle = '#222222';
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            ctx.moveTo(el.x, top);
            ctx.lineTo(el.x, bottom);
            ctx.moveTo(el.x - cap, top);
            ctx.lineTo(el.x + cap, top);
            ctx.moveTo(el.x - cap, bottom);
            ctx.lineTo(el.x + cap, bottom);
            ctx.stroke();
          }
          const p = s.paper?.[ci];
          if (p !== null && p !== undefined && y2) {
            const py = y2.getPixelForValue(p);
            ctx.fillStyle = '#000000';
            ctx.strokeStyle = '#ffffff';
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            ctx.moveTo(el.x, py - 7);
            ctx.lineTo(el.x + 7, py);
            ctx.lineTo(el.x, py + 7);
            ctx.lineTo(el.x - 7, py);
            ctx.closePath();
            ctx.fill();
            ctx.stroke();
          }
        });
      });
      ctx.restore();
    },
  };
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

type AblationBars = Omit<CIBarsData, 'xTitle' | 'yTitle' | 'paperTitle'> & { ourTitle?: string };

/** An ablation table's bars: our top-1 with CIs, the paper's ImageNet top-1 as markers on the right axis. */
function ablationBars(data: AblationBars, meta: ChartMeta, xTitle: string): Promise<Buffer> {
  return ciBarsChart({
    ...data,
    xTitle,
    yTitle: data.ourTitle ?? 'our validation top-1 (%), mean over seeds, whiskers: 95% CI',
    paperTitle: "paper's ImageNet top-1 (%), diamonds, right axis",
  }, meta);
}

/** Table 2: our top-1 per network (groups) and toggle combination (bars). */
export const table2Chart = (data: AblationBars, meta: ChartMeta): Promise<Buffer> => ablationBars(data, meta, 'network');

/** Table 3: our top-1 per shortcut placement. */
export const table3Chart = (data: AblationBars, meta: ChartMeta): Promise<Buffer> => ablationBars(data, meta, 'shortcut placement');
