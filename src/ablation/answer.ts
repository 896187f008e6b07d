/**
 * The answer `ablate` gives when a matrix ends: the paper effects it measured (difference, CI, verdict) as a compact
 * terminal table with one footnote per rule that decided a verdict, and the same as JSON (cells, effects, verdicts)
 * for `--json`. For a rung of a ladder, the effects are the ladder's (the verdict read at its largest rung).
 */
import type { Summary } from './analysis.js';
import { effectText, signed, verdictText } from './format.js';
import type { LadderEffect, LadderSummary } from './ladder.js';
import { ruleLines, type EffectVerdict } from './rules.js';
import { cellLabel } from './summary.js';

/** Which rule (1-based, in ruleLines() order) decided each verdict. */
const RULE_OF: Record<EffectVerdict, number> = {
  interim: 3,
  untestable: 4,
  'direction reproduced': 5,
  'opposite direction': 5,
  inconclusive: 5,
  'negligible, as in the paper': 6,
  'not negligible': 6,
  'clear effect': 6,
  'no clear effect': 6,
};

export interface AnswerJson {
  cells: { cell: string; ok: number; declaredSeeds: number[]; meanTop1: number | null; ci95: [number, number] | null; paperTop1: number | null }[];
  effects: {
    cell: string;
    against: string;
    vsBaseline: boolean;
    budgets: { budget: string; diff: number | null; ci95: [number, number] | null; pairs: number }[];
    paperEffect: number | null;
    verdict: EffectVerdict;
    stability: number | null;
    ratio: number | null;
    trend: string | null;
    why: string;
  }[];
  rules: string[];
}

const nul = (x: number): number | null => (Number.isFinite(x) ? x : null);
const label = (e: LadderEffect, which: 'cell' | 'against') => cellLabel(e[which], Object.keys(e.cell.cell.factors) as never);

/** The cells (of the folder) and effects (of its ladder) as JSON. */
export function answerJson(s: Summary, l: LadderSummary): AnswerJson {
  return {
    cells: s.cells.map((c) => ({
      cell: cellLabel(c, s.factors),
      ok: c.ok,
      declaredSeeds: c.declared,
      meanTop1: nul(c.top1.mean),
      ci95: Number.isFinite(c.top1.half) ? [c.top1.low, c.top1.high] : null,
      paperTop1: c.paper?.top1 ?? null,
    })),
    effects: l.effects.map((e) => ({
      cell: label(e, 'cell'),
      against: label(e, 'against'),
      vsBaseline: e.vsBaseline,
      budgets: e.ladder.effects.map((x) => ({
        budget: x.label,
        diff: x.n > 0 ? nul(x.diff) : null,
        ci95: Number.isFinite(x.half) ? [x.low, x.high] : null,
        pairs: x.n,
      })),
      paperEffect: e.paperEffect,
      verdict: e.verdict,
      stability: e.stability,
      ratio: e.ladder.ratio,
      trend: e.ladder.trend?.word ?? null,
      why: e.detail,
    })),
    rules: ruleLines(),
  };
}

/** The terminal table: the comparisons with a paper figure, then the footnotes of the rules their verdicts used. */
export function answerText(l: LadderSummary): string[] {
  const withPaper = l.effects.filter((e) => e.paperEffect !== null);
  const rows = withPaper.length > 0 ? withPaper : l.effects;
  if (rows.length === 0) return [`${l.experiment}: no comparison (a matrix of one cell)`];
  const top = l.rungs[l.rungs.length - 1].label;
  const ladder = l.rungs.length > 1;
  // the verdict is read at the largest rung; while it has not run, the largest rung that has is shown, named (a folder
  // that is no rung of a ladder has one budget: no rung label)
  const head = ['comparison', ladder ? 'difference [95% CI] at the largest rung run' : 'difference [95% CI]', 'paper', 'verdict'];
  const body = rows.map((e) => {
    const x = [...e.ladder.effects].reverse().find((r) => r.n > 0);
    return [
      `${label(e, 'cell')} vs ${label(e, 'against')}`,
      x ? `${ladder ? `${x.label}: ` : ''}${effectText(x)}` : 'not run',
      signed(e.paperEffect),
      `${verdictText(e)} [${RULE_OF[e.verdict]}]`,
    ];
  });
  const width = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]))).join('  ');
  const used = [...new Set(rows.map((e) => RULE_OF[e.verdict]))].sort((a, b) => a - b);
  const rules = ruleLines();
  const decided = rows.filter((e) => e.verdict !== 'interim' && e.verdict !== 'untestable').length;
  return [
    `${l.experiment}: ${decided} of ${rows.length} ${withPaper.length > 0 ? 'paper effects' : 'effects (none has a paper figure)'} have a verdict${l.rungs.length > 1 ? ` (ladder ${l.rungs.map((r) => r.label).join(' → ')}, read at ${top})` : ''}`,
    line(head),
    ...body.map(line),
    ...used.map((n) => `[${n}] ${rules[n - 1]}`),
  ];
}
