/**
 * The statistics behind the latency verdicts, per runtime of one measurement run: the latency ratio of each
 * similar-accuracy VanillaNet/ResNet pair, the rank correlation of latency with depth (and with GMACs), the deploy
 * speed-up, each with its 95% CI, and the same statistics of the paper's A100 figures for the same models. The
 * verdict words are the ablations' (src/ablation/rules.ts): the paper's direction reproduced, the opposite
 * direction, or inconclusive (a CI on both sides, or pairs that disagree).
 */
import { BOOTSTRAP_DRAWS, seededRandom } from '../ablation/rules.js';
import type { Verdict } from '../ablation/verdicts.js';
import type { ZooEntry } from '../models/zoo.js';
import type { LatencyRow } from '../results/latencyFile.js';
import { percentileSorted, spearman } from '../util/stats.js';
import type { LatencySelection } from './latencyStudy.js';

export interface Interval {
  value: number;
  low: number;
  high: number;
}

/**
 * Mean latency of `a` / mean latency of `b`, with a 95% CI from the two means' relative margins of error combined
 * on the log scale (exp(±√(rme_a² + rme_b²))): the timed calls of the two are independent.
 */
export function ratioCI(a: LatencyRow, b: LatencyRow): Interval {
  const value = a.meanMs! / b.meanMs!;
  const h = Math.hypot((a.rmePct ?? 0) / 100, (b.rmePct ?? 0) / 100);
  return { value, low: value * Math.exp(-h), high: value * Math.exp(h) };
}

export interface RankCorrelation extends Interval {
  n: number;
}

export interface DepthStatistics {
  /** Spearman's rho of latency with depth, with a 95% bootstrap CI over the models */
  depth: RankCorrelation;
  /** ... with GMACs (ours) or GFLOPs (the paper's) */
  flops: RankCorrelation;
  /** rho(depth) - rho(flops), CI from the same resamples: above 0, depth ranks latency better than FLOPs */
  difference: Interval;
  models: string[];
}

interface DepthPoint {
  model: string;
  depth: number;
  flops: number;
  ms: number;
}

/**
 * Spearman correlations of latency with depth and with FLOPs, and their difference, with 95% percentile CIs from
 * BOOTSTRAP_DRAWS resamples of the models (with replacement, seeded by `key`, so the report is reproducible).
 */
export function depthStatistics(points: readonly DepthPoint[], key: string): DepthStatistics {
  const rho = (ps: readonly DepthPoint[], f: (p: DepthPoint) => number) =>
    spearman(
      ps.map(f),
      ps.map((p) => p.ms),
    );
  const rand = seededRandom(key);
  const d: number[] = [];
  const g: number[] = [];
  const diff: number[] = [];
  for (let i = 0; i < BOOTSTRAP_DRAWS; i++) {
    const draw = points.map(() => points[Math.floor(rand() * points.length)]);
    const rd = rho(draw, (p) => p.depth);
    const rg = rho(draw, (p) => p.flops);
    // a resample of one repeated model has no ranking: it says nothing either way
    if (Number.isFinite(rd)) d.push(rd);
    if (Number.isFinite(rg)) g.push(rg);
    if (Number.isFinite(rd) && Number.isFinite(rg)) diff.push(rd - rg);
  }
  const ci = (value: number, xs: number[]): Interval => {
    const sorted = xs.sort((a, b) => a - b);
    return sorted.length === 0
      ? { value, low: Number.NaN, high: Number.NaN }
      : { value, low: percentileSorted(sorted, 2.5), high: percentileSorted(sorted, 97.5) };
  };
  const rd = rho(points, (p) => p.depth);
  const rg = rho(points, (p) => p.flops);
  return {
    depth: { ...ci(rd, d), n: points.length },
    flops: { ...ci(rg, g), n: points.length },
    difference: ci(rd - rg, diff),
    models: points.map((p) => p.model),
  };
}

/** The verdict of intervals against a reference value: all on the paper's side, all on the other, or neither. */
export function directionVerdict(intervals: readonly Interval[], paperSide: 'below' | 'above', reference: number): Verdict {
  if (intervals.length === 0 || intervals.some((i) => !Number.isFinite(i.low) || !Number.isFinite(i.high))) return 'inconclusive';
  const below = intervals.every((i) => i.high < reference);
  const above = intervals.every((i) => i.low > reference);
  if (below || above) return (below ? 'below' : 'above') === paperSide ? 'direction reproduced' : 'opposite direction';
  return 'inconclusive';
}

/** Similar-accuracy pairs of the paper: each ResNet with the least accurate VanillaNet at least as accurate. */
export function similarAccuracyPairs(zoo: readonly ZooEntry[]): { resnet: ZooEntry; vanilla: ZooEntry }[] {
  const vanillas = zoo.filter((z) => /^vanillanet-\d+$/.test(z.name) && z.paper).sort((a, b) => a.paper!.top1 - b.paper!.top1);
  return zoo
    .filter((z) => z.name.startsWith('resnet') && z.paper)
    .flatMap((r) => {
      const v = vanillas.find((x) => x.paper!.top1 >= r.paper!.top1);
      return v ? [{ resnet: r, vanilla: v }] : [];
    });
}

export interface PairRatio {
  vanilla: ZooEntry;
  resnet: ZooEntry;
  /** our VanillaNet / ResNet mean latency */
  ours: Interval;
  /** the paper's A100 ratio */
  paper: number;
}

export interface Speedup {
  model: string;
  /** train form / deploy form mean latency */
  ratio: Interval;
  vanilla: boolean;
}

/** Everything the latency verdicts and charts of one runtime read. */
export interface RuntimeEvidence {
  pairs: PairRatio[];
  pairVerdict: Verdict;
  /** over the deploy rows with a paper Table 4 row (the same models for the paper's A100 figures); null below 4 models */
  depth: DepthStatistics | null;
  depthVerdict: Verdict;
  paperDepth: DepthStatistics | null;
  speedups: Speedup[];
  speedupVerdict: Verdict;
}

/** The smallest number of models a rank correlation is reported for. */
export const MIN_RANKED_MODELS = 4;

const rowOf = (sel: Pick<LatencySelection, 'rows'>, model: string, form: 'deploy' | 'train') =>
  sel.rows.find((r) => r.model === model && r.form === form && r.status === 'ok');

export function runtimeEvidence(sel: Pick<LatencySelection, 'rows'>, zoo: readonly ZooEntry[], key: string): RuntimeEvidence {
  const pairs = similarAccuracyPairs(zoo).flatMap(({ vanilla, resnet }) => {
    const v = rowOf(sel, vanilla.name, 'deploy');
    const r = rowOf(sel, resnet.name, 'deploy');
    return v && r ? [{ vanilla, resnet, ours: ratioCI(v, r), paper: vanilla.paper!.latencyMs / resnet.paper!.latencyMs }] : [];
  });
  const ranked = sel.rows.filter((r) => r.form === 'deploy' && r.status === 'ok' && r.paper);
  // the claim sets depth against FLOPs across architectures: within VanillaNet alone both grow together, so a run
  // that timed one family only (e.g. stopped part-way) cannot tell them apart
  const families = new Set(ranked.map((r) => r.model.startsWith('vanillanet')));
  const enough = ranked.length >= MIN_RANKED_MODELS && families.size === 2;
  const depth = enough
    ? depthStatistics(
        ranked.map((r) => ({ model: r.model, depth: r.depth, flops: r.gmacs, ms: r.meanMs! })),
        `${key}:ours`,
      )
    : null;
  const paperDepth = enough
    ? depthStatistics(
        ranked.map((r) => ({ model: r.model, depth: r.paper!.depth, flops: r.paper!.gflops, ms: r.paper!.latencyMs })),
        `${key}:paper`,
      )
    : null;
  const speedups = sel.rows.flatMap((d) => {
    const t = d.form === 'deploy' && d.status === 'ok' ? rowOf(sel, d.model, 'train') : undefined;
    return t ? [{ model: d.model, ratio: ratioCI(t, d), vanilla: d.model.startsWith('vanillanet') }] : [];
  });
  const judged = speedups.some((s) => s.vanilla) ? speedups.filter((s) => s.vanilla) : speedups;
  return {
    pairs,
    pairVerdict:
      pairs.length === 0
        ? 'not tested'
        : directionVerdict(
            pairs.map((p) => p.ours),
            'below',
            1,
          ),
    depth,
    depthVerdict: depth ? directionVerdict([depth.depth], 'above', 0) : 'not tested',
    paperDepth,
    speedups,
    speedupVerdict:
      judged.length === 0
        ? 'not tested'
        : directionVerdict(
            judged.map((s) => s.ratio),
            'above',
            1,
          ),
  };
}
