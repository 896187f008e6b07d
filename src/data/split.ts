/**
 * Seeded train/validation splits and subsets.
 *
 * A validation split is carved out of the *training* data only; the two index
 * sets are disjoint by construction (and checked). The test split is never
 * touched here. Everything is deterministic for a given seed.
 */
import { UserError } from '../util/errors.js';
import { selectExamples, type Dataset } from './dataset.js';
import { deriveSeed, Rng } from './rng.js';

export interface SplitOptions {
  /** Fraction of examples for validation, in (0, 1). Ignored when valSize is given. */
  valFraction?: number;
  /** Exact number of validation examples. */
  valSize?: number;
  seed?: number;
  /** Keep class proportions in both parts (default true when labels are given). */
  stratified?: boolean;
}

export interface IndexSplit {
  /** Sorted ascending. */
  train: Int32Array;
  /** Sorted ascending, disjoint from train. */
  val: Int32Array;
}

function sortedInt32(values: ArrayLike<number>): Int32Array {
  return Int32Array.from(values).sort();
}

/** Indices of each class, in ascending order. */
function indicesByClass(labels: ArrayLike<number>): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    (groups[l] ??= []).push(i);
  }
  return groups.map((g) => g ?? []);
}

/** Throws if two index sets share an element (a leak). */
export function assertDisjoint(a: ArrayLike<number>, b: ArrayLike<number>, what = 'index sets'): void {
  const seen = new Set<number>();
  for (let i = 0; i < a.length; i++) seen.add(a[i]);
  for (let i = 0; i < b.length; i++) {
    if (seen.has(b[i])) throw new Error(`${what} overlap at index ${b[i]}: data would leak between splits`);
  }
}

function resolveValSize(n: number, opts: SplitOptions, what: string): number {
  let v: number;
  if (opts.valSize !== undefined) {
    v = opts.valSize;
    if (!Number.isInteger(v)) throw new UserError(`validation size must be an integer, got ${v}`);
  } else if (opts.valFraction !== undefined) {
    const f = opts.valFraction;
    if (!(f > 0 && f < 1)) throw new UserError(`validation fraction must be between 0 and 1 (exclusive), got ${f}`);
    v = Math.round(n * f);
  } else {
    throw new UserError('a validation split needs a size or a fraction');
  }
  if (v < 1 || v >= n) {
    throw new UserError(`validation size ${v} is impossible for ${what} with ${n} examples: it must be between 1 and ${n - 1}`);
  }
  return v;
}

/**
 * Splits example indices 0..n-1 into train and validation sets.
 * Pass the labels (stratified by default) or just the count n.
 */
export function splitIndices(labelsOrN: ArrayLike<number> | number, opts: SplitOptions, what = 'the dataset'): IndexSplit {
  const n = typeof labelsOrN === 'number' ? labelsOrN : labelsOrN.length;
  const valSize = resolveValSize(n, opts, what);
  const rng = new Rng(deriveSeed(opts.seed ?? 0, 'split'));
  const stratified = typeof labelsOrN !== 'number' && (opts.stratified ?? true);
  let val: number[];
  if (!stratified) {
    const perm = rng.permutation(n);
    val = Array.from(perm.subarray(0, valSize));
  } else {
    const groups = indicesByClass(labelsOrN as ArrayLike<number>);
    // Largest-remainder apportionment so the class quotas sum to valSize exactly.
    const exact = groups.map((g) => (g.length * valSize) / n);
    const quota = exact.map(Math.floor);
    let left = valSize - quota.reduce((a, b) => a + b, 0);
    const order = exact.map((e, c) => ({ c, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.c - b.c);
    for (let k = 0; left > 0; k = (k + 1) % order.length) {
      const c = order[k].c;
      if (quota[c] < groups[c].length) {
        quota[c]++;
        left--;
      }
    }
    val = [];
    groups.forEach((g, c) => {
      const shuffled = rng.fork('class', c).shuffle(g.slice());
      for (let i = 0; i < quota[c]; i++) val.push(shuffled[i]);
    });
  }
  const inVal = new Uint8Array(n);
  for (const i of val) inVal[i] = 1;
  const train: number[] = [];
  for (let i = 0; i < n; i++) if (!inVal[i]) train.push(i);
  const out = { train: sortedInt32(train), val: sortedInt32(val) };
  assertDisjoint(out.train, out.val, 'train/validation');
  if (out.train.length + out.val.length !== n) throw new Error('splitIndices: split lost examples');
  return out;
}

/** Splits a training dataset into train and validation datasets (copies). */
export function splitDataset(ds: Dataset, opts: SplitOptions): { train: Dataset; validation: Dataset } {
  const { train, val } = splitIndices(ds.labels, opts, ds.name);
  const base = ds.name.replace(/\/train$/, '');
  return {
    train: { ...selectExamples(ds, train), name: ds.name },
    validation: { ...selectExamples(ds, val), name: `${base}/val` },
  };
}

export interface SubsetOptions {
  /** Number of examples to keep. */
  size: number;
  seed?: number;
  /** Take classes in turn so every class is (nearly) equally represented. */
  balanced?: boolean;
}

/**
 * Indices of a seeded subset of `size` examples (sorted ascending). Without
 * `balanced`: the first `size` of a seeded permutation. With `balanced`:
 * classes are visited round-robin (in a seeded order), each contributing its
 * next example from its own seeded shuffle; exhausted classes are skipped.
 * For a fixed seed, a smaller subset is always contained in a larger one.
 */
export function subsetIndices(labelsOrN: ArrayLike<number> | number, opts: SubsetOptions, what = 'the dataset'): Int32Array {
  const n = typeof labelsOrN === 'number' ? labelsOrN : labelsOrN.length;
  const size = opts.size;
  if (!Number.isInteger(size) || size < 1) throw new UserError(`subset size must be a positive integer, got ${size}`);
  if (size > n) throw new UserError(`cannot take ${size} examples from ${what}: it has only ${n}`);
  const rng = new Rng(deriveSeed(opts.seed ?? 0, 'subset'));
  if (!opts.balanced || typeof labelsOrN === 'number') {
    return sortedInt32(rng.permutation(n).subarray(0, size));
  }
  const groups = indicesByClass(labelsOrN).map((g, c) => rng.fork('class', c).shuffle(g.slice()));
  const classOrder = rng.permutation(groups.length);
  const pos = new Array<number>(groups.length).fill(0);
  const out: number[] = [];
  while (out.length < size) {
    for (let k = 0; k < classOrder.length && out.length < size; k++) {
      const c = classOrder[k];
      if (pos[c] < groups[c].length) out.push(groups[c][pos[c]++]);
    }
  }
  return sortedInt32(out);
}

/** A seeded subset of a dataset (copied). Returns the dataset itself when size equals n and not balanced. */
export function subsetDataset(ds: Dataset, opts: SubsetOptions): Dataset {
  if (opts.size === ds.n) return ds;
  return selectExamples(ds, subsetIndices(ds.labels, opts, ds.name));
}
