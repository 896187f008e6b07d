/**
 * PNG charts for the report, rendered with chart.js on node-canvas (chartjs-node-canvas), 1000 x 600 px.
 *
 * Every builder takes plain data and returns a PNG Buffer; writeChart saves one atomically. Every chart has a
 * white background (plugin), a title, a subtitle (machine / backend), axis titles with units and a legend.
 * Two small plugins draw what chart.js lacks: text labels next to points, and 95% CI whiskers on bars (plus the
 * paper's values as markers at the bars' positions, read on a second y axis).
 */
import type { ChartDataset, ScatterDataPoint } from 'chart.js';
import { ciBarsChart, type CIBarsData } from './ciBars.js';
import { baseOptions, color, DASHES, PALETTE, pointLabels, POINT_STYLES, render, type ChartMeta } from './chartRender.js';

export { CHART_HEIGHT, CHART_WIDTH, writeChart, type ChartMeta } from './chartRender.js';
export { ciBarsChart, ciBarsConfig, paddedRange, type CIBarSeries, type CIBarsData } from './ciBars.js';
export {
  ablationBarsChart,
  ablationBarsConfig,
  ablationCellColor,
  PERCENT_AXIS,
  table2Chart,
  table3Chart,
  type AblationBar,
  type AblationBarsConfig,
} from './ablationCharts.js';

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
export async function latencyVsTop1Chart(
  points: readonly LatencyTop1Point[],
  meta: ChartMeta,
  xTitle = 'our measured batch-1 latency, deploy form (ms)',
): Promise<Buffer> {
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
export async function depthVsLatencyChart(
  points: readonly DepthLatencyPoint[],
  meta: ChartMeta,
  yTitle = 'our measured batch-1 latency (ms)',
): Promise<Buffer> {
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
    options: {
      ...options,
      scales: { x: { ...o.scales.x, type: 'linear', beginAtZero: true, grace: '8%' }, y: { ...o.scales.y, beginAtZero: true, grace: '8%' } },
    },
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
export async function trainingCurvesChart(
  series: readonly CurveSeries[],
  meta: ChartMeta,
  yTitle = 'validation top-1 (%), mean over seeds',
  yRange?: { min: number; max: number },
): Promise<Buffer> {
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
    options: {
      ...o,
      scales: { x: { ...o.scales.x, type: 'linear', ticks: { stepSize: 1 } }, y: yRange ? { ...o.scales.y, min: yRange.min, max: yRange.max } : o.scales.y },
    },
  });
}
