/**
 * What an ablation effect says about the paper, in one place: the per-comparison verdict of summary.md
 * (`effectVerdict`) and the claims of REPORT.md (`ablationClaims`), both judged on the same cells and the same
 * Welch CIs from ./analysis.ts.
 */
import { paperNetworkName } from '../models/paper.js';
import { welchCI, type DiffCI } from '../util/stats.js';
import type { CellSummary, Summary } from './analysis.js';
import { cellFields } from './matrix.js';

/** Comparisons whose paper effect is smaller than this are "negligible in the paper". */
export const PAPER_NEGLIGIBLE = 0.5;
/**
 * Equivalence margin (top-1 points): an effect whose whole CI lies within +-this is "negligible here" too. Twice the
 * paper's own threshold; a CI that includes 0 but is wider says nothing either way, and the verdict says so.
 */
export const EQUIVALENCE_MARGIN = 1;

/** The verdict of one comparison (cell against cell, effect with its Welch CI) beside the paper's effect. */
export function effectVerdict(effect: DiffCI, paperEffect: number | null, nA: number, nB: number): string {
  if (nA === 0 || nB === 0) return 'no result (a cell has no ok runs)';
  const excludesZero = Number.isFinite(effect.half) && (effect.low > 0 || effect.high < 0);
  if (paperEffect === null) {
    if (!Number.isFinite(effect.half)) return 'no CI (needs 2 or more ok seeds per cell)';
    return excludesZero ? 'a clear effect (CI excludes 0)' : 'no clear effect (CI includes 0)';
  }
  const same = Math.sign(effect.diff) === Math.sign(paperEffect);
  const negligible = Math.abs(paperEffect) < PAPER_NEGLIGIBLE;
  if (!Number.isFinite(effect.half)) {
    return `${same ? 'same direction as' : 'opposite direction to'} the paper, untested (no CI: needs 2 or more ok seeds per cell)`;
  }
  // an effect the paper finds negligible and whose whole CI here lies within the margin is negligible here too, even
  // when the CI excludes 0 (the report's "makes little difference" claims use the same rule)
  const withinMargin = Math.max(-effect.low, effect.high) <= EQUIVALENCE_MARGIN;
  if (negligible && withinMargin) return `consistent with the paper's negligible effect (CI within ±${EQUIVALENCE_MARGIN} point)`;
  if (excludesZero) {
    if (same) return negligible ? 'same direction as the paper, but clearer here than the paper\'s negligible effect' : 'reproduced (same direction, CI excludes 0)';
    return negligible ? 'a clear effect here against the paper\'s negligible one (opposite sign)' : 'not reproduced: the opposite direction (CI excludes 0)';
  }
  // the CI includes 0: say whether it rules anything out
  if (negligible) return `inconclusive: CI includes 0 but reaches past ±${EQUIVALENCE_MARGIN} point, so it cannot show a negligible effect`;
  const includesPaper = effect.low <= paperEffect && paperEffect <= effect.high;
  return includesPaper
    ? 'inconclusive: CI includes both 0 and the paper\'s effect'
    : 'not reproduced at this scale: no clear effect (CI includes 0, excludes the paper\'s effect)';
}

export type Verdict = 'held' | 'did not hold' | 'inconclusive' | 'not tested';

export interface Claim {
  id: string;
  claim: string;
  verdict: Verdict;
  detail: string;
}

/**
 * How a claim about b - a is judged on its 95% Welch CI (M = EQUIVALENCE_MARGIN, as in effectVerdict):
 *   'improves': held when the CI is above 0, did not hold when below 0;
 *   'little-difference' (equivalence): held when the CI lies within +-M, did not hold when it lies wholly beyond +-M;
 *   'not-worse' (b >= a, non-inferiority): held when the CI's low end is above -M, did not hold when its high end is.
 * Anything else is inconclusive: a CI that includes 0 but also large effects does not show "little difference".
 */
export type ClaimMode = 'improves' | 'little-difference' | 'not-worse';

export function claimVerdict(mode: ClaimMode, w: DiffCI | null): Verdict {
  const M = EQUIVALENCE_MARGIN;
  if (!w) return 'inconclusive';
  if (mode === 'little-difference') return w.low >= -M && w.high <= M ? 'held' : w.low > M || w.high < -M ? 'did not hold' : 'inconclusive';
  if (mode === 'not-worse') return w.low >= -M ? 'held' : w.high < -M ? 'did not hold' : 'inconclusive';
  return w.low > 0 ? 'held' : w.high < 0 ? 'did not hold' : 'inconclusive';
}

const f2 = (x: number | null | undefined, d = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const signed = (x: number, d = 2): string => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;

/** A claim about two cells' top-1 (b - a) beside the paper's difference (no CI, fewer than 2 seeds a cell: inconclusive). */
export function compareClaim(id: string, claim: string, a: CellSummary | undefined, b: CellSummary | undefined, mode: ClaimMode): Claim {
  if (!a || !b) return { id, claim, verdict: 'not tested', detail: 'one of the two cells has not been run' };
  const paperDiff = a.paper !== null && b.paper !== null ? b.paper.top1 - a.paper.top1 : null;
  const paperText = paperDiff === null ? '' : `paper (ImageNet): ${signed(paperDiff)} pp (${a.paper!.top1} -> ${b.paper!.top1}); `;
  if (a.values.length === 0 || b.values.length === 0) return { id, claim, verdict: 'not tested', detail: `${paperText}no successful runs in one of the cells` };
  const diff = welchCI(b.values, a.values);
  const w = Number.isFinite(diff.half) ? diff : null;
  const ours = `ours: ${signed(diff.diff)} pp (${f2(a.top1.mean)} -> ${f2(b.top1.mean)}, n = ${a.values.length} / ${b.values.length}`
    + `${w ? `, 95% CI of the difference [${signed(w.low)}, ${signed(w.high)}]` : ', too few seeds for a CI'})`;
  return { id, claim, verdict: claimVerdict(mode, w), detail: `${paperText}${ours}.` };
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

/** The cells in the order their first records were stored (REPORT.md's order). */
export function cellsInRecordOrder(s: Summary): CellSummary[] {
  return [...s.cells].sort((a, b) => a.firstSeen - b.firstSeen);
}

/** The paper's claims an ablation tests: Table 2 (per model) or Table 3, and that the deploy form keeps the accuracy. */
export function ablationClaims(name: string, s: Summary): Claim[] {
  const cells = cellsInRecordOrder(s);
  const kind = experimentKind(name, cells);
  const claims: Claim[] = [];
  const find = (pred: (c: Record<string, unknown>) => boolean) => cells.find((c) => pred(cellFields(c.cell)));
  if (kind === 'table2') {
    for (const m of [...new Set(cells.map((c) => c.cell.model))]) {
      const cell = (d: boolean, sa: boolean) => find((c) => c.model === m && c.deepTraining === d && c.seriesAct === sa);
      const net = paperNetworkName(m);
      const small = (a?: CellSummary, b?: CellSummary) => !!a?.paper && !!b?.paper && Math.abs(b.paper.top1 - a.paper.top1) < PAPER_NEGLIGIBLE;
      const pairs: [string, string, CellSummary | undefined, CellSummary | undefined][] = [
        [`${name}:${m}:series-act`, `series informed activation improves ${net} (no deep training)`, cell(false, false), cell(false, true)],
        [`${name}:${m}:deep-training`, `deep training improves ${net} (plain ReLU)`, cell(false, false), cell(true, false)],
        [`${name}:${m}:both`, `deep training + series activation together beat neither for ${net}`, cell(false, false), cell(true, true)],
      ];
      for (const [id, text, a, b] of pairs) {
        const isSmall = small(a, b);
        claims.push(compareClaim(id, isSmall ? text.replace(/improves|together beat neither for/, 'makes little difference to') : text, a, b, isSmall ? 'little-difference' : 'improves'));
      }
    }
  } else {
    const none = find((c) => c.shortcut === 'none');
    for (const sc of ['before-act', 'after-act']) {
      const other = find((c) => c.shortcut === sc);
      claims.push(compareClaim(`${name}:shortcut-${sc}`, `a shortcut (${sc}) does not help VanillaNet-6 (no shortcut at least as good)`, other, none, 'not-worse'));
    }
  }
  const gaps = cells.map((c) => c.deployGap).filter((g): g is number => g !== null);
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
