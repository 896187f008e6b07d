/**
 * PNG charts for the report, rendered with chart.js on node-canvas (chartjs-node-canvas), 1000 x 600 px.
 *
 * Every builder takes plain data and returns a PNG Buffer; writeChart saves one atomically. Every chart has a
 * white background (plugin), a title, a subtitle (machine / runtime), axis titles with units and a legend.
 * Small plugins draw what chart.js lacks: labels beside points that never collide (./chartLabels.ts), footnotes,
 * and 95% CI whiskers on bars (plus the paper's values as markers at the bars' positions, read on a second y axis).
 */
import type { ChartDataset, ScatterDataPoint } from 'chart.js';
import { baseOptions, color, DASHES, PALETTE, render, type ChartMeta } from './chartRender.js';

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

// ---- latency charts: ./latencyCharts.ts ------------------------------------------------------------------------

export {
  depthVsLatencyChart,
  depthVsLatencyConfig,
  latencyVsTop1Chart,
  latencyVsTop1Config,
  logAxis,
  runtimeForestChart,
  runtimeForestConfig,
  speedupChart,
  speedupConfig,
  type LatencyPoint,
  type RuntimeForest,
  type RuntimeLatencyData,
  type SpeedupSeries,
} from './latencyCharts.js';

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
