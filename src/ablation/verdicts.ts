/**
 * The paper's claims an ablation tests, for REPORT.md: every comparison of a ladder (./ladder.ts) against a baseline
 * that has a paper figure, with the ladder's verdict (./rules.ts) and the same numbers as the ladder's summary.md.
 */
import { paperNetworkName } from '../models/paper.js';
import type { CellSummary } from './analysis.js';
import { effectText, showValue, signed, verdictText } from './format.js';
import type { LadderSummary } from './ladder.js';
import { trajectoryCells } from './summary.js';
import { cellFields } from './matrix.js';
import { PAPER_NEGLIGIBLE, trajectoryText, type EffectVerdict } from './rules.js';

/** The verdicts of REPORT.md's claims: the latency claims' own, and the ablation vocabulary of ./rules.ts. */
export type Verdict = 'held' | 'did not hold' | 'not tested' | EffectVerdict;

export interface Claim {
  id: string;
  claim: string;
  verdict: Verdict;
  detail: string;
  /** the measured numbers in a few words, for the findings table (e.g. "-2.67 → -1.90 → -1.19 (1x → 2x → 4x); paper +0.95") */
  short?: string;
}

export type ExperimentKind = 'table2' | 'table3';

/** The factors (of cellFields) whose value differs between cells, sorted. */
export function varyingFields(cells: readonly CellSummary[]): string[] {
  const fields = cells.map((c) => cellFields(c.cell));
  const keys = new Set(fields.flatMap((c) => Object.keys(c)));
  return [...keys].filter((k) => new Set(fields.map((c) => JSON.stringify(c[k]))).size > 1).sort();
}

/** Table 3 when only the shortcut varies among the cells (its placement is the factor), Table 2 otherwise. */
export function experimentKind(cells: readonly CellSummary[]): ExperimentKind {
  const varying = varyingFields(cells);
  return varying.includes('shortcut') && !varying.includes('deepTraining') && !varying.includes('seriesAct') ? 'table3' : 'table2';
}

/** What a one-factor change is called in a claim, and the claim's id suffix. */
function changeOf(c: CellSummary, differing: readonly string[]): { what: string; id: string } {
  const f = c.cell.factors;
  if (differing.length === 2 && differing.includes('deepTraining') && differing.includes('seriesAct'))
    return { what: 'deep training + series informed activation', id: 'both' };
  if (differing.length === 1 && differing[0] === 'seriesAct') return { what: 'series informed activation', id: 'series-act' };
  if (differing.length === 1 && differing[0] === 'deepTraining') return { what: 'deep training', id: 'deep-training' };
  if (differing.length === 1 && differing[0] === 'shortcut')
    return { what: `${/^[aeiou]/.test(showValue(f.shortcut)) ? 'an' : 'a'} ${showValue(f.shortcut)} shortcut`, id: `shortcut-${showValue(f.shortcut)}` };
  return { what: differing.map((k) => `${k} ${showValue(f[k as keyof typeof f])}`).join(' + '), id: differing.join('+') };
}

/** The paper's claims a ladder tests: its comparisons against a baseline with a paper figure, with their verdicts. */
export function ablationClaims(name: string, l: LadderSummary): Claim[] {
  const claims: Claim[] = [];
  for (const e of l.effects) {
    if (!e.vsBaseline || e.paperEffect === null) continue;
    const { what, id } = changeOf(e.cell, e.differing);
    const net = paperNetworkName(e.cell.cell.model);
    const p = e.paperEffect;
    const says = Math.abs(p) < PAPER_NEGLIGIBLE ? `makes little difference to ${net}` : p > 0 ? `improves ${net}` : `lowers ${net}'s top-1`;
    const top = e.ladder.effects[e.ladder.effects.length - 1];
    const topText = trajectoryCells(e)[e.rungs.length - 1];
    const trend = e.ladder.trend
      ? `; from ${e.rungs[0].label} to ${e.rungs[e.rungs.length - 1].label}: ${e.ladder.trend.word} (${effectText(e.ladder.trend.change)})`
      : '';
    claims.push({
      id: `${name}:${e.cell.cell.model}:${id}`,
      claim: `${what} ${says}`,
      verdict: e.verdict,
      short: `${trajectoryText(e.ladder.effects)}; paper ${signed(p)}${e.stability !== null ? `; stability ${e.stability.toFixed(2)}` : ''}`,
      detail:
        `${verdictText(e)}: ${e.detail}. Ours at ${top.label}: ${topText} points (${top.n} paired seeds); ` +
        `across the ladder ${trajectoryText(e.ladder.effects)}${trend}. Paper (ImageNet): ${signed(p)} (${e.against.paper?.top1} → ${e.cell.paper?.top1}). ${e.scale}.`,
    });
  }
  const gaps = l.rungs.flatMap((r) => r.summary?.cells.map((c) => c.deployGap) ?? []).filter((g): g is number => g !== null);
  if (gaps.length > 0) {
    const worst = Math.max(...gaps);
    claims.push({
      id: `${name}:deploy-accuracy`,
      claim: `the re-parameterized (deploy) model keeps the trained model's accuracy (${name})`,
      verdict: worst <= 0.1 ? 'held' : 'did not hold',
      detail: `largest |train - deploy| validation top-1 gap over the successful runs of every rung: ${worst.toFixed(3)} pp.`,
    });
  }
  return claims;
}
