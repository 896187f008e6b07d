/**
 * What every chart shares: size, palette, the white background plugin (point labels: ./chartLabels.ts), the base options (title,
 * subtitle, axis titles, legend), the one render step (chart.js on node-canvas, 1000 x 600 px PNG) and writeChart.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { writeFileAtomic } from '../util/atomic.js';

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

export { pointLabels } from './chartLabels.js';

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
