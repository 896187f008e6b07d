/**
 * The verdict rules of an ablation, fixed before the data they judge: what a paired effect measured along a budget
 * ladder says about the paper. Pure functions of numbers (per-seed differences at each rung, the paper's effect), so
 * that the same rule decides the observed verdict and every bootstrap resample of it, and the rule text printed in
 * summary.md, REPORT.md and the README is generated from the constants below (`ruleLines`), never retyped.
 *
 * A rung is one budget of the ladder (the same cells and seeds, more training images). The verdict is read at the
 * largest rung and carries the trajectory of the effect across the rungs, its bootstrap stability over seeds, and,
 * for a directional paper effect, the ratio of our effect to the paper's.
 */
import { mean, tCritical, sampleSd, type DiffCI } from '../util/stats.js';

/** A paper effect smaller than this (top-1 points, absolute) is "negligible in the paper": tested for equivalence. */
export const PAPER_NEGLIGIBLE = 0.5;
/** The equivalence margin (top-1 points): two one-sided tests at level EQUIVALENCE_ALPHA, i.e. a 90% CI within it. */
export const EQUIVALENCE_MARGIN = 1;
export const EQUIVALENCE_ALPHA = 0.05;
/** Level of the effects' two-sided CIs. */
export const CI_LEVEL = 0.95;
/** A run whose figure is below this multiple of chance is near chance; a comparison with such a run is untestable. */
export const NEAR_CHANCE_FACTOR = 2;
/** A network whose baseline cell is more than this (points) below the best baseline of the rung's networks is untestable there. */
export const BASELINE_GAP_POINTS = 5;
/** Bootstrap over seeds: draws (resampling the declared seeds with replacement), and the stability below which a verdict is unstable. */
export const BOOTSTRAP_DRAWS = 2000;
export const STABLE_SHARE = 0.8;

export type EffectVerdict =
  | 'direction reproduced'
  | 'opposite direction'
  | 'negligible, as in the paper'
  | 'not negligible'
  | 'inconclusive'
  | 'clear effect'
  | 'no clear effect'
  | 'untestable'
  | 'interim';

/** Chance top-1 (%) and the near-chance threshold for a dataset of `classes` classes. */
export const nearChanceThreshold = (classes: number): number => (NEAR_CHANCE_FACTOR * 100) / classes;

/** One rung of a comparison: its budget and the per-seed differences (cell - against) of the declared seeds it has. */
export interface RungEffect {
  /** '1x', '2x', ... (training images x epochs relative to the first rung) */
  label: string;
  budget: number;
  /** seed -> cell - against, for the declared seeds ok in both cells */
  diffs: ReadonlyMap<number, number>;
  /** seeds the experiment declared for both cells */
  declared: readonly number[];
  /** why this rung cannot give a verdict whatever its numbers (near-chance runs, baseline gap); empty: none */
  gate: readonly string[];
  /** set when the rung was not run at all */
  notRun?: boolean;
}

export interface Trend {
  /** effect at the largest rung minus effect at the smallest, paired by seed */
  change: DiffCI & { n: number };
  word: 'stable' | 'shrinking' | 'growing' | 'sign changed';
}

export interface LadderVerdict {
  verdict: EffectVerdict;
  /** why, in a sentence (generated from the rule that decided) */
  detail: string;
  /** effect at each rung (NaN diff where none), in ladder order */
  effects: (DiffCI & { n: number; label: string })[];
  trend: Trend | null;
  /** our effect at the largest rung / the paper's effect (directional verdicts only) */
  ratio: number | null;
}

const signed = (x: number, d = 2): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(d)}`;

/** CI of a list of differences (level `level`, Student t on n - 1 df; no CI below 2 values). */
export function ciOf(d: readonly number[], level = CI_LEVEL): DiffCI & { n: number } {
  const n = d.length;
  const diff = n > 0 ? mean(d) : Number.NaN;
  if (n < 2) return { diff, half: Number.NaN, low: Number.NaN, high: Number.NaN, df: Number.NaN, n };
  const sd = sampleSd(d);
  const half = sd === 0 ? 0 : tCritical(n - 1, 1 - level) * (sd / Math.sqrt(n));
  return { diff, half, low: diff - half, high: diff + half, df: n - 1, n };
}

const missingOf = (r: RungEffect): number[] => r.declared.filter((s) => !r.diffs.has(s));

/** The rung's state as a phrase: "2x: seeds 4, 5 of 5 declared missing" / "4x: not run". */
function interimPart(r: RungEffect): string | null {
  if (r.notRun) return `${r.label}: not run`;
  if (r.declared.length === 0) return `${r.label}: no declared seeds (the folder has no experiment.json)`;
  const m = missingOf(r);
  return m.length > 0 ? `${r.label}: ${r.declared.length - m.length} of ${r.declared.length} declared seeds ok in both cells (missing ${m.join(', ')})` : null;
}

/**
 * The decision at the largest rung from the rungs' CIs (no interim, no gate: those are decided before, and are not
 * resampled). Order: a sign flip between the two largest rungs (both CIs exclude 0, on opposite sides) leaves the sign
 * unsettled (untestable); then the paper's effect: none -> clear / no clear effect; negligible (|paper| <
 * PAPER_NEGLIGIBLE) -> equivalence by two one-sided tests at margin EQUIVALENCE_MARGIN (90% CI inside +-margin:
 * negligible, as in the paper; 95% CI wholly beyond the margin on one side: not negligible; else inconclusive);
 * directional -> the 95% CI excludes 0 in the paper's direction (direction reproduced), the other way (opposite
 * direction), or includes 0 (inconclusive).
 */
function decide(
  top: DiffCI & { n: number },
  top90: DiffCI,
  prev: (DiffCI & { n: number; label: string }) | null,
  topLabel: string,
  paperEffect: number | null,
): { verdict: EffectVerdict; detail: string } {
  if (!Number.isFinite(top.half)) {
    return { verdict: paperEffect === null ? 'no clear effect' : 'inconclusive', detail: `no CI at ${topLabel}: it needs 2 or more paired seeds (${top.n})` };
  }
  if (prev && Number.isFinite(prev.half)) {
    const flip = (top.low > 0 && prev.high < 0) || (top.high < 0 && prev.low > 0);
    if (flip)
      return {
        verdict: 'untestable',
        detail: `the ladder does not settle the sign: the CI lies ${prev.high < 0 ? 'below' : 'above'} 0 at ${prev.label} and ${top.low > 0 ? 'above' : 'below'} 0 at ${topLabel}`,
      };
  }
  const above = top.low > 0;
  const below = top.high < 0;
  if (paperEffect === null)
    return above || below ? { verdict: 'clear effect', detail: 'the 95% CI excludes 0' } : { verdict: 'no clear effect', detail: 'the 95% CI includes 0' };
  const M = EQUIVALENCE_MARGIN;
  if (Math.abs(paperEffect) < PAPER_NEGLIGIBLE) {
    if (top90.low > -M && top90.high < M)
      return {
        verdict: 'negligible, as in the paper',
        detail: `equivalence within ±${M} point: the 90% CI [${signed(top90.low)}, ${signed(top90.high)}] lies inside it (two one-sided tests, α ${EQUIVALENCE_ALPHA} each)`,
      };
    if (top.low > M || top.high < -M)
      return { verdict: 'not negligible', detail: `the whole 95% CI lies ${top.low > M ? 'above' : 'below'} ${top.low > M ? '+' : '-'}${M} point` };
    return {
      verdict: 'inconclusive',
      detail: `neither equivalence within ±${M} point (90% CI [${signed(top90.low)}, ${signed(top90.high)}]) nor an effect beyond it`,
    };
  }
  if ((above && paperEffect > 0) || (below && paperEffect < 0))
    return { verdict: 'direction reproduced', detail: "the 95% CI excludes 0 in the paper's direction" };
  if (above || below) return { verdict: 'opposite direction', detail: "the 95% CI excludes 0 in the direction opposite to the paper's" };
  return { verdict: 'inconclusive', detail: 'the 95% CI includes 0' };
}

/** The seeds every rung has (in ascending order): the ones the verdict and its resamples use. */
function commonSeeds(rungs: readonly RungEffect[]): number[] {
  const first = rungs[0];
  if (!first) return [];
  return [...first.diffs.keys()].filter((s) => rungs.every((r) => r.diffs.has(s))).sort((a, b) => a - b);
}

function trendOf(rungs: readonly RungEffect[], seeds: readonly number[]): Trend | null {
  // one pair gives no CI for the change: no trend word rather than a 'stable' nobody tested
  if (rungs.length < 2 || seeds.length < 2) return null;
  const lo = rungs[0];
  const hi = rungs[rungs.length - 1];
  const change = ciOf(seeds.map((s) => (hi.diffs.get(s) as number) - (lo.diffs.get(s) as number)));
  const a = mean(seeds.map((s) => lo.diffs.get(s) as number));
  const b = mean(seeds.map((s) => hi.diffs.get(s) as number));
  const moved = Number.isFinite(change.half) && (change.low > 0 || change.high < 0);
  const word: Trend['word'] = !moved
    ? 'stable'
    : Math.sign(a) !== Math.sign(b) && a !== 0 && b !== 0
      ? 'sign changed'
      : Math.abs(b) < Math.abs(a)
        ? 'shrinking'
        : 'growing';
  return { change, word };
}

/** The verdict from the rungs' per-seed differences over `seeds` (no interim or gate check): the core the bootstrap reruns. */
function verdictOnSeeds(rungs: readonly RungEffect[], seeds: readonly number[], paperEffect: number | null): { verdict: EffectVerdict; detail: string } {
  const at = (r: RungEffect) => seeds.map((s) => r.diffs.get(s) as number);
  const top = rungs[rungs.length - 1];
  const prev = rungs.length >= 2 ? rungs[rungs.length - 2] : null;
  return decide(ciOf(at(top)), ciOf(at(top), 1 - 2 * EQUIVALENCE_ALPHA), prev ? { ...ciOf(at(prev)), label: prev.label } : null, top.label, paperEffect);
}

/** The verdict of one comparison along its ladder (rungs in budget order; one rung: a one-budget ladder). */
export function ladderVerdict(rungs: readonly RungEffect[], paperEffect: number | null): LadderVerdict {
  if (rungs.length === 0) throw new RangeError('ladderVerdict: no rungs');
  const effects = rungs.map((r) => ({ ...ciOf([...r.diffs.entries()].sort(([a], [b]) => a - b).map(([, d]) => d)), label: r.label }));
  const top = rungs[rungs.length - 1];
  const seeds = commonSeeds(rungs);
  const trend = trendOf(rungs, seeds);
  const base = { effects, trend, ratio: null };
  const interim = rungs.map(interimPart).filter((x): x is string => x !== null);
  if (interim.length > 0) return { ...base, verdict: 'interim', detail: `no verdict until every declared seed is in: ${interim.join('; ')}` };
  if (top.gate.length > 0) return { ...base, verdict: 'untestable', detail: top.gate.join('; ') };
  const v = verdictOnSeeds(rungs, seeds, paperEffect);
  const directional =
    v.verdict === 'direction reproduced' ||
    v.verdict === 'opposite direction' ||
    (v.verdict === 'inconclusive' && paperEffect !== null && Math.abs(paperEffect) >= PAPER_NEGLIGIBLE);
  const topEffect = effects[effects.length - 1].diff;
  return { ...base, ...v, ratio: directional && paperEffect !== null ? topEffect / paperEffect : null };
}

/** A small deterministic PRNG (mulberry32) seeded from a string, so that a verdict's stability is the same on every run. */
export function seededRandom(key: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Bootstrap stability of a verdict: the share of BOOTSTRAP_DRAWS resamples of the seeds (with replacement, the same
 * seeds at every rung, so each draw keeps the pairing by seed and across budgets) whose rule gives the same verdict.
 * Interim and gated (untestable by a gate) verdicts are not resampled: null.
 */
export function bootstrapStability(rungs: readonly RungEffect[], paperEffect: number | null, observed: LadderVerdict, key: string): number | null {
  if (observed.verdict === 'interim' || rungs[rungs.length - 1].gate.length > 0) return null;
  const seeds = commonSeeds(rungs);
  if (seeds.length < 2) return null;
  const rand = seededRandom(key);
  let same = 0;
  const draw = new Array<number>(seeds.length);
  // a resample repeats seeds: give each draw position its own key so the per-rung maps keep every drawn value
  for (let b = 0; b < BOOTSTRAP_DRAWS; b++) {
    for (let i = 0; i < seeds.length; i++) draw[i] = seeds[Math.floor(rand() * seeds.length)];
    const resampled = rungs.map((r) => ({ ...r, diffs: new Map(draw.map((s, i) => [i, r.diffs.get(s) as number])) }));
    if (
      verdictOnSeeds(
        resampled,
        draw.map((_, i) => i),
        paperEffect,
      ).verdict === observed.verdict
    )
      same++;
  }
  return same / BOOTSTRAP_DRAWS;
}

/** The effect trajectory as text: "-2.67 → -1.90 → -1.19 (1x → 2x → 4x)". */
export function trajectoryText(effects: readonly { diff: number; label: string; n: number }[]): string {
  const vals = effects.map((e) => (e.n > 0 && Number.isFinite(e.diff) ? signed(e.diff) : '–'));
  return `${vals.join(' → ')} (${effects.map((e) => e.label).join(' → ')})`;
}

/** The rules, stated once, from the constants above: summary.md, REPORT.md and the README print these lines. */
export function ruleLines(): string[] {
  const M = EQUIVALENCE_MARGIN;
  const ci = Math.round(CI_LEVEL * 100);
  return [
    `Effects: cell B − cell A paired by seed (the same seed gives the same data subset and order in every cell), mean over the declared seeds with a ${ci}% CI by Student's t on n − 1 df.`,
    "Budget ladder: the same cells and seeds trained at several budgets (training images x epochs, relative to the first rung); the verdict is read at the largest rung, beside the effect's trajectory and its change from the smallest to the largest rung (paired by seed): stable when that change's CI includes 0, else shrinking, growing or sign changed.",
    'Pre-registered seeds: every rung must have every seed its experiment declared, ok in both cells; until then the comparison is interim (no verdict, current estimate shown). Seeds beyond the declared ones are not used.',
    `Untestable: a run below ${NEAR_CHANCE_FACTOR}x chance in either cell at the largest rung (decided per run, so a run gets the same outcome in every folder), a network whose baseline cell (every toggle off) is more than ${BASELINE_GAP_POINTS} points below the best baseline of the rung's networks, or a sign the ladder does not settle (the ${ci}% CIs of the two largest rungs exclude 0 on opposite sides).`,
    `Directional paper effects (|paper| ≥ ${PAPER_NEGLIGIBLE} point): direction reproduced (the ${ci}% CI excludes 0 in the paper's direction; shown with ours / paper), opposite direction (excludes 0 the other way), inconclusive (includes 0).`,
    `Negligible paper effects (|paper| < ${PAPER_NEGLIGIBLE}): equivalence by two one-sided tests with margin ±${M} point at α ${EQUIVALENCE_ALPHA} each: negligible, as in the paper (the ${Math.round((1 - 2 * EQUIVALENCE_ALPHA) * 100)}% CI inside ±${M}), not negligible (the ${ci}% CI wholly beyond ±${M}), else inconclusive. Without a paper figure: clear effect / no clear effect (${ci}% CI excludes / includes 0).`,
    `Stability: the share of ${BOOTSTRAP_DRAWS} bootstrap resamples of the seeds (with replacement, the same draw at every rung) that give the same verdict; below ${STABLE_SHARE} the verdict is marked unstable.`,
  ];
}
