/**
 * The ablation section's charts. Levels (Tables 2 and 3): cells in the paper's order, one fixed colour per cell, a
 * percent axis from 0 to 100 with whiskers clipped to it (and a note per clipped whisker), the paper's figure as a
 * diamond on the same axis. Effects (what the verdicts are about): a forest plot per table (each comparison's paired
 * difference with its 95% CI at every rung of the ladder, the paper's effect as a diamond, the zero line, the
 * equivalence band where the rule uses one, colour by verdict) and an effect-vs-budget chart per network. Training
 * curves per cell. Each has a plain configuration function (tested on its data) and one render call.
 */
import type { Chart, ChartConfiguration, ChartDataset, Plugin, ScatterDataPoint } from 'chart.js';
import type { EffectVerdict } from '../ablation/rules.js';
import {
  alpha,
  baseOptions,
  color,
  DASHES,
  drawDiamond,
  drawTorchMark,
  drawWhisker,
  overBars,
  PALETTE,
  render,
  VERDICT_COLORS,
  type ChartMeta,
  type CIBarSeries,
} from './charts.js';

// ---- levels --------------------------------------------------------------------------------------------------------

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

// ---- effects -------------------------------------------------------------------------------------------------------

export interface ForestRow {
  label: string;
  verdict: EffectVerdict;
  /** per rung: diff and CI (NaN where not run or without a CI) */
  rungs: { label: string; diff: number; low: number; high: number }[];
  paper: number | null;
  /** the equivalence margin when the row's rule is an equivalence test (a band around 0), else null */
  margin: number | null;
}

export interface ForestConfig {
  rows: ForestRow[];
  rungLabels: string[];
  x: { min: number; max: number };
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** The forest plot's data: rows top to bottom, an x range that holds every CI, paper marker and band, padded. */
export function forestConfig(rows: ForestRow[], rungLabels: string[]): ForestConfig {
  const xs = rows
    .flatMap((r) => [...r.rungs.flatMap((g) => [g.diff, g.low, g.high]), r.paper, r.margin, r.margin === null ? null : -r.margin, 0])
    .filter(finite);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pad = Math.max(0.5, (hi - lo) * 0.05);
  return { rows, rungLabels, x: { min: Math.floor(lo - pad), max: Math.ceil(hi + pad) } };
}

/** Rung k of n drawn at this offset (rows) from the row's centre, so the rungs of one comparison stack top to bottom. */
const rungOffset = (k: number, n: number): number => (n <= 1 ? 0 : -0.25 + (0.5 * k) / (n - 1));

function forestPlugin(cfg: ForestConfig): Plugin {
  return {
    id: 'vbForest',
    afterDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      const sx = chart.scales.x;
      const sy = chart.scales.y;
      ctx.save();
      // zero line
      ctx.strokeStyle = '#000000';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(sx.getPixelForValue(0), sy.top);
      ctx.lineTo(sx.getPixelForValue(0), sy.bottom);
      ctx.stroke();
      cfg.rows.forEach((r, i) => {
        const y0 = sy.getPixelForValue(i - 0.45);
        const y1 = sy.getPixelForValue(i + 0.45);
        if (r.margin !== null) {
          ctx.fillStyle = 'rgba(23, 190, 207, 0.15)';
          const a = sx.getPixelForValue(-r.margin);
          ctx.fillRect(a, Math.min(y0, y1), sx.getPixelForValue(r.margin) - a, Math.abs(y1 - y0));
        }
        const c = VERDICT_COLORS[r.verdict];
        r.rungs.forEach((g, k) => {
          if (!finite(g.diff)) return;
          const py = sy.getPixelForValue(i + rungOffset(k, r.rungs.length));
          const shade = alpha(c, 0.35 + (0.65 * (k + 1)) / r.rungs.length);
          if (finite(g.low) && finite(g.high)) {
            ctx.strokeStyle = shade;
            ctx.lineWidth = 2;
            ctx.beginPath();
            ctx.moveTo(sx.getPixelForValue(g.low), py);
            ctx.lineTo(sx.getPixelForValue(g.high), py);
            for (const v of [g.low, g.high]) {
              ctx.moveTo(sx.getPixelForValue(v), py - 4);
              ctx.lineTo(sx.getPixelForValue(v), py + 4);
            }
            ctx.stroke();
          }
          ctx.fillStyle = shade;
          ctx.beginPath();
          ctx.arc(sx.getPixelForValue(g.diff), py, 4.5, 0, 2 * Math.PI);
          ctx.fill();
          ctx.fillStyle = '#333333';
          ctx.font = '10px sans-serif';
          ctx.textBaseline = 'middle';
          ctx.fillText(g.label, sx.right - 26, py);
        });
        if (finite(r.paper)) drawDiamond(ctx, sx.getPixelForValue(r.paper), sy.getPixelForValue(i));
      });
      ctx.restore();
    },
  };
}

/**
 * The forest plot: one row per comparison (labels on the y axis), its effect at each rung stacked top (smallest
 * budget, paler) to bottom (largest), a vertical zero line, the paper's effect as a black diamond, the equivalence
 * band (shaded) on rows judged by equivalence; legend entries name the verdict colours present.
 */
export function forestChartConfig(cfg: ForestConfig, meta: ChartMeta, xTitle: string): ChartConfiguration {
  const base = baseOptions(meta, xTitle, '');
  const verdicts = [...new Set(cfg.rows.map((r) => r.verdict))];
  const datasets: ChartDataset<'scatter'>[] = [
    ...verdicts.map((v) => ({ label: v, data: [], backgroundColor: VERDICT_COLORS[v], borderColor: VERDICT_COLORS[v], pointRadius: 5 })),
    { label: "paper's effect (ImageNet)", data: [], pointStyle: 'rectRot', backgroundColor: '#000000', borderColor: '#ffffff', pointRadius: 6 },
  ];
  if (cfg.rows.some((r) => r.margin !== null))
    datasets.push({
      label: 'equivalence band (±margin)',
      data: [],
      pointStyle: 'rect',
      backgroundColor: 'rgba(23, 190, 207, 0.3)',
      borderColor: 'rgba(0,0,0,0)',
      pointRadius: 7,
    });
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      ...base,
      plugins: { ...base.plugins, legend: { display: true, position: 'top', labels: { usePointStyle: true } } },
      scales: {
        x: { ...base.scales.x, min: cfg.x.min, max: cfg.x.max },
        y: {
          min: -0.6,
          max: cfg.rows.length - 0.4,
          reverse: true,
          afterBuildTicks: (axis) => {
            axis.ticks = cfg.rows.map((_, i) => ({ value: i }));
          },
          ticks: { autoSkip: false, callback: (v) => cfg.rows[Number(v)]?.label ?? '', font: { size: 11 } },
          grid: { display: false },
        },
      },
    },
    plugins: [forestPlugin(cfg)],
  };
}

export async function forestChart(cfg: ForestConfig, meta: ChartMeta, xTitle: string): Promise<Buffer> {
  return render(forestChartConfig(cfg, meta, xTitle));
}

export interface BudgetLine {
  label: string;
  /** per rung: the effect and its CI (NaN where not run) */
  points: { budget: number; diff: number; low: number; high: number }[];
  paper: number | null;
  colorIndex: number;
}

/** The line datasets of the effect-vs-budget chart: per line its CI band (two invisible edges, filled), the effect, the paper's value. */
function budgetDatasets(lines: BudgetLine[], budgets: { value: number; label: string }[]): ChartDataset<'line'>[] {
  const datasets: ChartDataset<'line'>[] = [];
  lines.forEach((l, k) => {
    const c = color(l.colorIndex);
    const pts = l.points.filter((p) => finite(p.diff));
    // whiskers of the lines side by side around their rung (log x: a factor), so that they do not hide each other
    const dodge = 2 ** (0.04 * (k - (lines.length - 1) / 2));
    const withCI = pts.filter((p) => finite(p.low) && finite(p.high));
    datasets.push({
      label: `${l.label}: 95% CI`,
      data: withCI.map((p) => ({ x: p.budget, y: p.high })) as never,
      borderColor: 'rgba(0,0,0,0)',
      pointRadius: 0,
      fill: false,
    });
    datasets.push({
      label: `__band ${l.label}`,
      data: withCI.map((p) => ({ x: p.budget, y: p.low })) as never,
      borderColor: 'rgba(0,0,0,0)',
      backgroundColor: alpha(c, 0.18),
      pointRadius: 0,
      fill: '-1',
    });
    // a whisker per CI as well: a band needs two neighbouring rungs with a CI, so an isolated one (an interim rung
    // beside a one-seed rung) would show none
    for (const p of withCI)
      datasets.push({
        label: `__band ${l.label} whisker`,
        data: [
          { x: p.budget * dodge, y: p.low },
          { x: p.budget * dodge, y: p.high },
        ] as never,
        borderColor: alpha(c, 0.6),
        borderWidth: 1.5,
        pointRadius: 0,
        fill: false,
      });
    datasets.push({
      label: l.label,
      data: pts.map((p) => ({ x: p.budget, y: p.diff })) as never,
      borderColor: c,
      backgroundColor: c,
      pointRadius: 5,
      borderWidth: 2.5,
      fill: false,
    });
    if (finite(l.paper)) {
      const xs = budgets.map((b) => b.value);
      datasets.push({
        label: `${l.label}: paper (ImageNet)`,
        data: [
          { x: Math.min(...xs), y: l.paper },
          { x: Math.max(...xs), y: l.paper },
        ] as never,
        borderColor: c,
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        fill: false,
      });
    }
  });
  return datasets;
}

/** The effect-vs-budget chart of one network: a line per trick with its CI band, the zero line, the paper's values (dashed). */
export function budgetChartConfig(lines: BudgetLine[], budgets: { value: number; label: string }[], meta: ChartMeta, yTitle: string): ChartConfiguration {
  const datasets = budgetDatasets(lines, budgets);
  const ys = lines.flatMap((l) => [...l.points.flatMap((p) => [p.diff, p.low, p.high]), l.paper, 0]).filter(finite);
  const pad = Math.max(0.5, (Math.max(...ys) - Math.min(...ys)) * 0.06);
  const base = baseOptions(meta, 'training budget (images x epochs, relative to the first rung; log scale)', yTitle);
  const zero: Plugin = {
    id: 'vbZeroLine',
    beforeDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      const y = chart.scales.y.getPixelForValue(0);
      ctx.save();
      ctx.strokeStyle = '#000000';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(chart.scales.x.left, y);
      ctx.lineTo(chart.scales.x.right, y);
      ctx.stroke();
      ctx.restore();
    },
  };
  return {
    type: 'line',
    data: { datasets },
    options: {
      ...base,
      plugins: {
        ...base.plugins,
        legend: { display: true, position: 'top', labels: { filter: (item) => !item.text.startsWith('__band') && !item.text.endsWith(': 95% CI') } },
      },
      scales: {
        x: {
          ...base.scales.x,
          type: 'logarithmic',
          min: Math.min(...budgets.map((b) => b.value)) / 1.15,
          max: Math.max(...budgets.map((b) => b.value)) * 1.15,
          afterBuildTicks: (axis) => {
            axis.ticks = budgets.map((b) => ({ value: b.value }));
          },
          ticks: { callback: (v) => budgets.find((b) => Math.abs(b.value - Number(v)) < 1e-9)?.label ?? '' },
        },
        y: { ...base.scales.y, min: Math.floor(Math.min(...ys) - pad), max: Math.ceil(Math.max(...ys) + pad) },
      },
    },
    plugins: [zero],
  };
}

export async function budgetChart(lines: BudgetLine[], budgets: { value: number; label: string }[], meta: ChartMeta, yTitle: string): Promise<Buffer> {
  return render(budgetChartConfig(lines, budgets, meta, yTitle));
}

// ---- training curves -----------------------------------------------------------------------------------------------

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
