/**
 * Charts of effects, not levels (what the verdicts are about): a forest plot per table (each comparison's paired
 * difference with its 95% CI at every rung of the ladder, the paper's effect as a diamond, the zero line, the
 * equivalence band where the rule uses one, colour by verdict) and an effect-vs-budget chart per network (one line
 * per trick with its CI band, the zero line, the paper's value). Each has a plain configuration function (tested on
 * its data) and one render call.
 */
import type { Chart, ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import type { EffectVerdict } from '../ablation/rules.js';
import { alpha, baseOptions, color, render, type ChartMeta } from './chartRender.js';
import { drawDiamond } from './ciBars.js';

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
  for (const l of lines) {
    const c = color(l.colorIndex);
    const pts = l.points.filter((p) => finite(p.diff));
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
  }
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
