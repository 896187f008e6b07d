/**
 * What an ablation effect says about the paper, in one place: the per-comparison verdict (`effectVerdict`, on the
 * paired-by-seed CI of ./analysis.ts, behind the convergence gate `cellGate`) that summary.md prints, and the claims
 * of REPORT.md (`ablationClaims`), which are the same comparisons with the same verdicts.
 *
 * The vocabulary, for a comparison with a paper figure (exactly four verdicts):
 *   reproduced | opposite at this scale | inconclusive | untestable at this budget
 * and for one without (neutral): clear effect | no clear effect | untestable at this budget.
 */
import { paperNetworkName } from '../models/paper.js';
import { familyDefaults } from '../models/zoo.js';
import type { DiffCI } from '../util/stats.js';
import { showValue, type CellSummary, type Summary } from './analysis.js';
import { cellFields } from './matrix.js';

/** Comparisons whose paper effect is smaller than this (top-1 points) are "negligible in the paper". */
export const PAPER_NEGLIGIBLE = 0.5;
/**
 * Equivalence margin (top-1 points): an effect whose whole CI lies within +-this is "negligible here" too. Twice the
 * paper's own threshold; a CI that includes 0 but is wider says nothing either way, and the verdict says so.
 */
export const EQUIVALENCE_MARGIN = 1;
/** Convergence gate (a): a cell whose runs gained more than this (mean over its ok seeds, points) in the last epoch is still improving. */
export const STILL_IMPROVING_POINTS = 0.5;
/** Convergence gate (b): a cell whose mean is below this multiple of chance (100 / CHANCE_CLASSES %) is near chance. */
export const NEAR_CHANCE_FACTOR = 2;
/** The classes the chance level is taken over (Fashion-MNIST, MNIST: 10). */
export const CHANCE_CLASSES = 10;
/** Convergence gate (c): a network whose baseline cell is more than this (points) below the best baseline of the experiment's networks. */
export const BASELINE_GAP_POINTS = 5;

export type EffectVerdict = 'reproduced' | 'opposite at this scale' | 'inconclusive' | 'untestable at this budget' | 'clear effect' | 'no clear effect';

const f2 = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const signed = (x: number, d = 2): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(d)}`;

/** A cell as the verdicts name it: "ResNet-50 (deepTraining on, seriesAct off)". */
export function cellName(c: CellSummary): string {
  const parts = Object.entries(c.cell.factors).map(([k, v]) => `${k} ${showValue(v)}`);
  return `${paperNetworkName(c.cell.model)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** A network's baseline cell: every toggle off and its family's default shortcut. */
export function isBaselineCell(c: CellSummary): boolean {
  const t = c.cell.toggles;
  return !t.deepTraining && !t.seriesAct && t.shortcut === (familyDefaults(c.cell.model).shortcut ?? 'none');
}

/**
 * The convergence gate, per cell (cells in any order; one list of reasons per cell, empty: converged). A cell is not
 * converged when (a) its runs were still improving at the end: the mean over its ok seeds of (last epoch's validation
 * top-1 - the previous epoch's) > STILL_IMPROVING_POINTS; (b) its mean is near chance: below NEAR_CHANCE_FACTOR x
 * 100 / CHANCE_CLASSES %; (c) its network's baseline cell (every toggle off, default shortcut) has a mean more than
 * BASELINE_GAP_POINTS below the best baseline mean among the experiment's networks.
 */
export function cellGate(cells: readonly CellSummary[]): string[][] {
  const nearChance = (NEAR_CHANCE_FACTOR * 100) / CHANCE_CLASSES;
  const network = (c: CellSummary) => `${c.cell.entry}|${c.cell.model}`;
  const baselines = new Map<string, CellSummary>();
  for (const c of cells) if (c.ok > 0 && isBaselineCell(c) && !baselines.has(network(c))) baselines.set(network(c), c);
  const best = [...baselines.values()].reduce<CellSummary | null>((m, c) => (m === null || c.top1.mean > m.top1.mean ? c : m), null);
  return cells.map((c) => {
    const why: string[] = [];
    if (c.lastEpochGain !== null && c.lastEpochGain > STILL_IMPROVING_POINTS) {
      why.push(`${cellName(c)} was still improving (last epoch ${signed(c.lastEpochGain)} points, mean over ${c.ok} seeds, > ${STILL_IMPROVING_POINTS})`);
    }
    if (c.ok > 0 && c.top1.mean < nearChance) {
      why.push(`${cellName(c)} is near chance (mean ${f2(c.top1.mean)} % < ${nearChance} %, ${NEAR_CHANCE_FACTOR}x chance for ${CHANCE_CLASSES} classes)`);
    }
    const base = baselines.get(network(c));
    if (base && best && best !== base && best.top1.mean - base.top1.mean > BASELINE_GAP_POINTS) {
      why.push(
        `${paperNetworkName(c.cell.model)}'s baseline (every toggle off) ${f2(base.top1.mean)} % is ${f2(best.top1.mean - base.top1.mean)} points below` +
          ` the best baseline (${paperNetworkName(best.cell.model)} ${f2(best.top1.mean)} %; > ${BASELINE_GAP_POINTS})`,
      );
    }
    return why;
  });
}

/**
 * The verdict of one comparison: b - a paired by seed (`effect`, n pairs) beside the paper's effect (null: none).
 * First the gate: a cell without ok runs or not converged makes the comparison "untestable at this budget". Then,
 * with a paper effect of at least PAPER_NEGLIGIBLE: reproduced when the CI excludes 0 in the paper's direction,
 * opposite at this scale when it excludes 0 the other way, inconclusive when it includes 0 (the detail says whether
 * the CI also excludes the paper's effect size: ImageNet sizes and ours are not comparable, so that is no verdict).
 * With a negligible paper effect: reproduced when the whole CI lies within +-EQUIVALENCE_MARGIN, opposite at this
 * scale when it lies wholly beyond the margin on one side, inconclusive otherwise. Fewer than 2 pairs: inconclusive.
 * Without a paper effect: clear effect / no clear effect (CI excludes / includes 0).
 */
export function effectVerdict(
  effect: DiffCI & { n: number },
  paperEffect: number | null,
  cells: { a: CellSummary; b: CellSummary },
): { verdict: EffectVerdict; detail: string } {
  const { a, b } = cells;
  const empty = [a, b].filter((c) => c.ok === 0).map((c) => `${cellName(c)} has no ok runs`);
  if (empty.length > 0) return { verdict: 'untestable at this budget', detail: empty.join('; ') };
  const gate = [...new Set([...a.notConverged, ...b.notConverged])];
  if (gate.length > 0) return { verdict: 'untestable at this budget', detail: `not converged: ${gate.join('; ')}` };
  if (!Number.isFinite(effect.half)) {
    const detail = `no CI: needs 2 or more paired seeds (${effect.n})`;
    return { verdict: paperEffect === null ? 'no clear effect' : 'inconclusive', detail };
  }
  const M = EQUIVALENCE_MARGIN;
  const above = effect.low > 0;
  const below = effect.high < 0;
  if (paperEffect === null)
    return above || below ? { verdict: 'clear effect', detail: 'CI excludes 0' } : { verdict: 'no clear effect', detail: 'CI includes 0' };
  if (Math.abs(paperEffect) < PAPER_NEGLIGIBLE) {
    if (effect.low >= -M && effect.high <= M) return { verdict: 'reproduced', detail: `negligible in the paper; the whole CI lies within ±${M} point` };
    if (effect.low > M || effect.high < -M)
      return {
        verdict: 'opposite at this scale',
        detail: `negligible in the paper; the whole CI lies ${effect.low > M ? 'above' : 'below'} ${effect.low > M ? '+' : '-'}${M} point`,
      };
    return { verdict: 'inconclusive', detail: `negligible in the paper; the CI reaches past ±${M} point, so it shows neither a negligible nor a clear effect` };
  }
  if ((above && paperEffect > 0) || (below && paperEffect < 0)) return { verdict: 'reproduced', detail: "the CI excludes 0 in the paper's direction" };
  if (above || below) return { verdict: 'opposite at this scale', detail: "the CI excludes 0 in the direction opposite to the paper's" };
  const includesPaper = effect.low <= paperEffect && paperEffect <= effect.high;
  return {
    verdict: 'inconclusive',
    detail: `the CI includes 0 and ${includesPaper ? 'also' : 'excludes'} the paper's effect size (ImageNet sizes and ours are not comparable)`,
  };
}

/** The verdicts of REPORT.md's claims: the latency claims' own, and the ablation vocabulary of effectVerdict. */
export type Verdict = 'held' | 'did not hold' | 'not tested' | EffectVerdict;

export interface Claim {
  id: string;
  claim: string;
  verdict: Verdict;
  detail: string;
}

export type ExperimentKind = 'table2' | 'table3';

/** The factors (of cellFields) whose value differs between cells, sorted. */
export function varyingFields(cells: readonly CellSummary[]): string[] {
  const fields = cells.map((c) => cellFields(c.cell));
  const keys = new Set(fields.flatMap((c) => Object.keys(c)));
  return [...keys].filter((k) => new Set(fields.map((c) => JSON.stringify(c[k]))).size > 1).sort();
}

/** Table 3 if the experiment is named so or only the shortcut varies; Table 2 otherwise. */
export function experimentKind(name: string, cells: readonly CellSummary[]): ExperimentKind {
  if (/table.?3|shortcut/i.test(name)) return 'table3';
  if (/table.?2/i.test(name)) return 'table2';
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

/**
 * The paper's claims an ablation tests: every comparison of summary.md against a baseline that has a paper figure,
 * with the SAME verdict (effectVerdict) and the same numbers; and that the deploy form keeps the accuracy.
 */
export function ablationClaims(name: string, s: Summary): Claim[] {
  const claims: Claim[] = [];
  for (const c of s.comparisons) {
    if (!c.vsBaseline || c.paperEffect === null) continue;
    const { what, id } = changeOf(c.cell, c.differing);
    const net = paperNetworkName(c.cell.cell.model);
    const p = c.paperEffect;
    const says = Math.abs(p) < PAPER_NEGLIGIBLE ? `makes little difference to ${net}` : p > 0 ? `improves ${net}` : `lowers ${net}'s top-1`;
    const paper = `paper (ImageNet): ${signed(p)} pp (${c.against.paper!.top1} -> ${c.cell.paper!.top1})`;
    const ci = Number.isFinite(c.effect.half)
      ? `, 95% CI of the paired difference [${signed(c.effect.low)}, ${signed(c.effect.high)}]`
      : ', too few paired seeds for a CI';
    const ours =
      c.cell.ok > 0 && c.against.ok > 0 && c.effect.n > 0
        ? `ours: ${signed(c.effect.diff)} pp (${f2(c.against.top1.mean)} -> ${f2(c.cell.top1.mean)}${ci})`
        : 'ours: no paired runs';
    claims.push({
      id: `${name}:${c.cell.cell.model}:${id}`,
      claim: `${what} ${says}`,
      verdict: c.verdict,
      detail: `${c.detail.charAt(0).toUpperCase()}${c.detail.slice(1)}. ${paper}; ${ours} ${c.scale}.`,
    });
  }
  const gaps = s.cells.map((c) => c.deployGap).filter((g): g is number => g !== null);
  if (gaps.length > 0) {
    const worst = Math.max(...gaps);
    claims.push({
      id: `${name}:deploy-accuracy`,
      claim: `the re-parameterized (deploy) model keeps the trained model's accuracy (${name})`,
      verdict: worst <= 0.1 ? 'held' : 'did not hold',
      detail: `largest |train - deploy| validation top-1 gap over the successful runs: ${f2(worst, 3)} pp.`,
    });
  }
  return claims;
}
