/**
 * The ablation charts (Tables 2 and 3): cells in the paper's order, one fixed colour per cell, a percent axis from 0
 * to 100 with whiskers clipped to it (and a note per clipped whisker), the paper's figure as a diamond on the same axis.
 * ablationBarsConfig builds the plain configuration (tested on its data); ablationBarsChart draws it.
 */
import type { ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import { alpha, baseOptions, color, render, type ChartMeta } from './chartRender.js';
import { drawDiamond, drawTorchMark, drawWhisker, overBars, type CIBarSeries } from './ciBars.js';

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
  const ch = (i: number) =>
    Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - t) + 255 * t)
      .toString(16)
      .padStart(2, '0');
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
  /** the PyTorch reference trainer's mean (same protocol), clipped to the axis; null where not run */
  torch: (number | null)[];
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
      if (cut)
        clippedNotes.push(
          `${data.categories[ci]}, ${s.label}: ${m.toFixed(1)} ± ${hw.toFixed(1)} (whisker clipped at ${[m - hw < min ? `${min} %` : '', m + hw > max ? `${max} %` : ''].filter(Boolean).join(' and ')})`,
        );
    });
    return {
      label: s.label,
      colors: data.categories.map((_, ci) => s.colors?.[ci] ?? ablationCellColor(si, ci)),
      mean: s.mean.map((m) => (m === null ? null : Math.min(max, Math.max(min, m)))),
      low,
      high,
      clipped,
      paper: data.categories.map((_, ci) => s.paper?.[ci] ?? null),
      torch: data.categories.map((_, ci) => {
        const t = s.torch?.[ci];
        return t === null || t === undefined ? null : Math.min(max, Math.max(min, t));
      }),
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
    const t = b.torch[ci];
    if (t !== null) drawTorchMark(ctx, el.x, el.width ?? 12, y.getPixelForValue(t));
    const p = b.paper[ci];
    if (p !== null && p !== undefined) drawDiamond(ctx, el.x, y.getPixelForValue(p));
  });
}

/** The legend entry of the PyTorch marks. */
export const TORCH_MARK_LABEL = 'PyTorch, same protocol (mean; black bar across our bar)';

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
  if (cfg.bars.some((b) => b.torch.some((v) => v !== null))) {
    datasets.push({
      type: 'line' as const,
      label: TORCH_MARK_LABEL,
      data: [],
      yAxisID: 'y',
      showLine: false,
      pointStyle: 'line',
      pointRadius: 8,
      borderWidth: 4,
      backgroundColor: '#000000',
      borderColor: '#000000',
    });
  }
  if (hasPaper) {
    datasets.push({
      type: 'line' as const,
      label: paperTitle,
      data: [],
      yAxisID: 'y',
      showLine: false,
      pointStyle: 'rectRot',
      pointRadius: 7,
      backgroundColor: '#000000',
      borderColor: '#000000',
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
