/**
 * Descriptive and inferential statistics, shared by latency (sample times, ms) and the ablation summary (top-1 over
 * seeds). Pure functions, no I/O, exact Student-t quantiles.
 *
 * Definitions (n = number of samples, x(0) <= ... <= x(n-1) the sorted samples):
 * - percentile p (0..100): linear interpolation between the closest ranks, numpy's default
 *   ("linear", Hyndman & Fan type 7): h = (n - 1) * p / 100, value = x(floor h) + (h - floor h) * (x(floor h + 1) - x(floor h)).
 *   The median is the 50th percentile (the middle value, or the mean of the two middle values).
 * - sd: sample standard deviation (denominator n - 1); 0 for a single sample.
 * - sem: standard error of the mean, sd / sqrt(n).
 * - moe: half-width of the two-sided 95% confidence interval of the mean, sem * t(0.975, n - 1), with the exact
 *   Student-t critical value for n - 1 degrees of freedom (as tinybench computes it); 0 for a single sample.
 * - rme: relative margin of error in percent, 100 * moe / |mean| (Infinity when the mean is 0 and moe > 0).
 */

export interface SampleStats {
  n: number;
  mean: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  /** sample standard deviation (n - 1) */
  sd: number;
  /** standard error of the mean */
  sem: number;
  /** two-sided 95% Student-t critical value for n - 1 degrees of freedom (NaN for n = 1) */
  critical: number;
  /** margin of error at 95%, same unit as the samples */
  moe: number;
  /** relative margin of error at 95%, percent */
  rme: number;
}

/** Percentile (0..100) of already sorted samples, linear interpolation between closest ranks (numpy's default). */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const frac = h - lo;
  if (frac === 0 || lo + 1 >= sorted.length) return sorted[lo];
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

export function percentile(samples: readonly number[], p: number): number {
  return percentileSorted(
    [...samples].sort((a, b) => a - b),
    p,
  );
}

// ---- Student's t critical value -------------------------------------------------------------------------------

/** ln Gamma(x), x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const bt = Math.exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return (bt * betaContinuedFraction(a, b, x)) / a;
  return 1 - (bt * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided tail probability P(|T| > t) of Student's t with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

const criticalCache = new Map<string, number>();

/**
 * Two-sided critical value of Student's t: the t with P(|T| > t) = alpha (alpha = 0.05: the 97.5% quantile).
 * Solved by bisection on the exact distribution function (to ~1e-12 relative).
 */
export function tCritical(df: number, alpha = 0.05): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const key = `${df}:${alpha}`;
  const cached = criticalCache.get(key);
  if (cached !== undefined) return cached;
  let lo = 0;
  let hi = 1;
  while (studentTwoSidedP(hi, df) > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSidedP(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  criticalCache.set(key, t);
  return t;
}

// ---- summary ----------------------------------------------------------------------------------------------------

/** All statistics of a list of samples (ms); throws on an empty list or a non-finite sample. */
export function computeStats(samples: readonly number[]): SampleStats {
  const n = samples.length;
  if (n === 0) throw new RangeError('no samples');
  for (const s of samples) if (!Number.isFinite(s)) throw new RangeError(`non-finite sample ${s}`);
  const sorted = [...samples].sort((a, b) => a - b);
  // Welford: numerically stable mean and sum of squared deviations
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    mean += d / (i + 1);
    m2 += d * (sorted[i] - mean);
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  const sem = sd / Math.sqrt(n);
  const critical = n > 1 ? tCritical(n - 1) : Number.NaN;
  const moe = n > 1 ? sem * critical : 0;
  const rme = moe === 0 ? 0 : mean === 0 ? Number.POSITIVE_INFINITY : (100 * moe) / Math.abs(mean);
  return {
    n,
    mean,
    median: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    min: sorted[0],
    max: sorted[n - 1],
    sd,
    sem,
    critical,
    moe,
    rme,
  };
}

/** Spearman rank correlation (ties get their average rank; Pearson correlation of the ranks). NaN if undefined. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError('spearman: lengths differ');
  if (x.length < 2) return Number.NaN;
  return pearson(ranks(x), ranks(y));
}

export function ranks(v: readonly number[]): number[] {
  const idx = v.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1].value === idx[i].value) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k].i] = avg;
    i = j + 1;
  }
  return r;
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); NaN below two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export interface MeanCI {
  n: number;
  mean: number;
  /** NaN below two values */
  sd: number;
  /** half-width of the 95% CI (t, n - 1 df); NaN below two values */
  half: number;
  low: number;
  high: number;
}

/** Mean of a small list (e.g. top-1 over seeds) with its Student-t confidence interval (level 0.95 by default). */
export function meanCI(xs: readonly number[], level = 0.95): MeanCI {
  const n = xs.length;
  const m = mean(xs);
  const sd = sampleSd(xs);
  const half = n >= 2 ? (sd === 0 ? 0 : tCritical(n - 1, 1 - level) * (sd / Math.sqrt(n))) : Number.NaN;
  return { n, mean: m, sd, half, low: m - half, high: m + half };
}

/** A difference with its confidence interval. */
export interface DiffCI {
  diff: number;
  /** half-width; NaN when there are too few values for an interval */
  half: number;
  low: number;
  high: number;
  /** degrees of freedom of the t quantile (NaN: no interval) */
  df: number;
}

/**
 * Paired difference b - a over the keys present in both (e.g. seeds: the same seed gives the same data subset and
 * order in every cell): the mean of the per-key differences with its confidence interval by Student's t on n - 1 df
 * (n = pairs). No CI (half NaN) below 2 pairs; a zero spread gives a zero-width CI. `n` is the number of pairs.
 */
export function pairedCI(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, level = 0.95): DiffCI & { n: number; keys: number[] } {
  const keys = [...a.keys()].filter((k) => b.has(k)).sort((x, y) => x - y);
  const d = keys.map((k) => (b.get(k) as number) - (a.get(k) as number));
  const n = d.length;
  const diff = n > 0 ? mean(d) : Number.NaN;
  if (n < 2) return { diff, half: Number.NaN, low: Number.NaN, high: Number.NaN, df: Number.NaN, n, keys };
  const sd = sampleSd(d);
  const half = sd === 0 ? 0 : tCritical(n - 1, 1 - level) * (sd / Math.sqrt(n));
  return { diff, half, low: diff - half, high: diff + half, df: n - 1, n, keys };
}
