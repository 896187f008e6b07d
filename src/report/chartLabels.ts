/**
 * Text on charts that must stay readable however crowded the points: point labels placed where they collide with no
 * other label and no marker (moved further out, with a leader line back to the point, where the space next to it is
 * taken), and footnotes under the plot (the statistic behind a verdict), wrapped to the chart's width.
 */
import type { Chart, Plugin } from 'chart.js';

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
