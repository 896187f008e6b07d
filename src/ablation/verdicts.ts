/**
 * The paper's claims an ablation tests, for REPORT.md: every comparison of a ladder (./ladder.ts) against a baseline
 * that has a paper figure, with the ladder's verdict (./rules.ts) and the same numbers as the ladder's summary.md.
 */
import { TABLE2_FACTORS, TABLE3_FACTORS, paperNetworkName } from '../models/paper.js';
import type { CellSummary } from './analysis.js';
import type { FactorValue } from './experiment.js';
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
  const varies = (ks: readonly string[]) => ks.some((k) => varying.includes(k));
  return varies(TABLE3_FACTORS) && !varies(TABLE2_FACTORS) ? 'table3' : 'table2';
}

/** Table 2's factors as a claim names them, and the claim's id suffix. */
const CLAIM_WORDS: Record<string, { what: string; id: string }> = {
  deepTraining: { what: 'deep training', id: 'deep-training' },
  seriesAct: { what: 'series informed activation', id: 'series-act' },
} satisfies Record<(typeof TABLE2_FACTORS)[number], { what: string; id: string }>;

/** What a one-factor change is called in a claim, and the claim's id suffix. */
function changeOf(c: CellSummary, differing: readonly string[]): { what: string; id: string } {
  const f = c.cell.factors as Partial<Record<string, FactorValue>>;
  const [k] = differing;
  if (differing.length === TABLE2_FACTORS.length && TABLE2_FACTORS.every((t) => differing.includes(t)))
    return { what: TABLE2_FACTORS.map((t) => CLAIM_WORDS[t].what).join(' + '), id: 'both' };
  if (differing.length === 1 && Object.hasOwn(CLAIM_WORDS, k)) return CLAIM_WORDS[k];
  if (differing.length === 1 && (TABLE3_FACTORS as readonly string[]).includes(k))
    return { what: `${/^[aeiou]/.test(showValue(f[k])) ? 'an' : 'a'} ${showValue(f[k])} ${k}`, id: `${k}-${showValue(f[k])}` };
  return { what: differing.map((d) => `${d} ${showValue(f[d])}`).join(' + '), id: differing.join('+') };
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
    // the top rung's effect; while it is not run (an interim ladder), also the largest rung that has paired seeds
    const last = e.rungs.length - 1;
    const cells = trajectoryCells(e);
    const seeds = (n: number) => `${n} paired seed${n === 1 ? '' : 's'}`;
    const at = e.ladder.effects.map((x, i) => !e.rungs[i].notRun && x.n > 0).lastIndexOf(true);
    const ours = !e.rungs[last].notRun
      ? `Ours at ${e.rungs[last].label}: ${cells[last]} points (${seeds(e.ladder.effects[last].n)})`
      : `Ours at ${e.rungs[last].label}: not run` +
        (at >= 0 ? ` (at ${e.rungs[at].label}, the largest rung run so far: ${cells[at]} points, ${seeds(e.ladder.effects[at].n)})` : '');
    const trend = e.ladder.trend
      ? `; from ${e.rungs[0].label} to ${e.rungs[e.rungs.length - 1].label}: ${e.ladder.trend.word} (${effectText(e.ladder.trend.change)})`
      : '';
    claims.push({
      id: `${name}:${e.cell.cell.model}:${id}`,
      claim: `${what} ${says}`,
      verdict: e.verdict,
      short: `${trajectoryText(e.ladder.effects)}; paper ${signed(p)}${e.stability !== null ? `; stability ${e.stability.toFixed(2)}` : ''}`,
      detail:
        `${verdictText(e)}: ${e.detail}. ${ours}; ` +
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
