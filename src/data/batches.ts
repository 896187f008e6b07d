/**
 * Mini-batches as tfjs tensors, in a deterministic order per (seed, epoch).
 *
 * Each batch copies only its own examples into a fresh buffer (never the
 * whole dataset). The caller owns and must dispose the tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';
import { exampleSize, type Dataset } from './dataset.js';
import { deriveSeed, Rng } from './rng.js';
import { augmentImage, zeroValue, type AugmentOptions } from './transforms.js';

export interface BatchOptions {
  batchSize: number;
  /** Shuffle the order each epoch (default true). */
  shuffle?: boolean;
  /** Base seed for order and augmentation (default 0). */
  seed?: number;
  /** Epoch number: a different order (and augmentation) per epoch (default 0). */
  epoch?: number;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Random crop with padding + horizontal flip (true = padding 4, flip). Default off. */
  augment?: boolean | AugmentOptions;
  /** Labels as float32 one-hot [b, numClasses] instead of int32 [b] (default false). */
  oneHot?: boolean;
}

export interface Batch<Y extends tf.Tensor = tf.Tensor1D> {
  /** [size, H, W, C] float32. */
  x: tf.Tensor4D;
  /** int32 [size], or float32 one-hot [size, numClasses]. */
  y: Y;
  /** Number of examples in this batch. */
  size: number;
  /** Dataset indices of the examples, in batch order. */
  indices: Int32Array;
}

/** Host-side batch data (no tensors). */
export interface HostBatch {
  x: Float32Array;
  labels: Int32Array;
  size: number;
  indices: Int32Array;
}

/** Number of batches an epoch yields. */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** The example order of one epoch: identity, or a permutation seeded by (seed, epoch). */
export function epochOrder(n: number, opts: { shuffle?: boolean; seed?: number; epoch?: number } = {}): Int32Array {
  if (opts.shuffle === false) return Int32Array.from({ length: n }, (_, i) => i);
  return new Rng(deriveSeed(opts.seed ?? 0, 'order', opts.epoch ?? 0)).permutation(n);
}

function checkBatchOptions(ds: Dataset, opts: BatchOptions): void {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new UserError(`batch size must be a positive integer, got ${opts.batchSize}`);
  }
  if (opts.epoch !== undefined && (!Number.isInteger(opts.epoch) || opts.epoch < 0)) {
    throw new Error(`epoch must be a non-negative integer, got ${opts.epoch}`);
  }
  if (ds.n === 0) throw new UserError(`dataset ${ds.name} is empty`);
}

/**
 * Gathers examples into host buffers, augmenting if asked. Augmentation of
 * example i depends only on (seed, epoch, i), not on batch size or order.
 */
export function gatherBatch(ds: Dataset, indices: Int32Array, opts: Pick<BatchOptions, 'augment' | 'seed' | 'epoch'> = {}): HostBatch {
  const per = exampleSize(ds);
  const size = indices.length;
  const x = new Float32Array(size * per);
  const labels = new Int32Array(size);
  const aug: AugmentOptions | undefined = opts.augment === true ? {} : opts.augment || undefined;
  const padValue = aug ? zeroValue(ds) : [];
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  for (let b = 0; b < size; b++) {
    const j = indices[b];
    const src = ds.images.subarray(j * per, (j + 1) * per);
    if (aug) {
      const rng = new Rng(deriveSeed(seed, 'augment', epoch, j));
      augmentImage(src, x.subarray(b * per, (b + 1) * per), ds.height, ds.width, ds.channels, rng, aug, padValue);
    } else {
      x.set(src, b * per);
    }
    labels[b] = ds.labels[j];
  }
  return { x, labels, size, indices };
}

/** Host-side batches (no tfjs), same order and augmentation as iterateBatches. */
export function* iterateHostBatches(ds: Dataset, opts: BatchOptions): Generator<HostBatch> {
  checkBatchOptions(ds, opts);
  const order = epochOrder(ds.n, opts);
  const count = numBatches(ds.n, opts.batchSize, opts.dropLast);
  for (let k = 0; k < count; k++) {
    const idx = order.subarray(k * opts.batchSize, Math.min(ds.n, (k + 1) * opts.batchSize));
    yield gatherBatch(ds, idx.slice(), opts);
  }
}

function toTensors(ds: Dataset, hb: HostBatch, oneHot: boolean): Batch<tf.Tensor1D | tf.Tensor2D> {
  const x = tf.tensor4d(hb.x, [hb.size, ds.height, ds.width, ds.channels], 'float32');
  let y: tf.Tensor1D | tf.Tensor2D;
  if (oneHot) {
    const oh = new Float32Array(hb.size * ds.numClasses);
    for (let b = 0; b < hb.size; b++) oh[b * ds.numClasses + hb.labels[b]] = 1;
    y = tf.tensor2d(oh, [hb.size, ds.numClasses], 'float32');
  } else {
    y = tf.tensor1d(hb.labels, 'int32');
  }
  return { x, y, size: hb.size, indices: hb.indices };
}

/**
 * Yields batches of tensors for one epoch. Order is deterministic for
 * (seed, epoch); the caller disposes x and y.
 */
export function iterateBatches(ds: Dataset, opts: BatchOptions & { oneHot: true }): Generator<Batch<tf.Tensor2D>>;
export function iterateBatches(ds: Dataset, opts: BatchOptions & { oneHot?: false }): Generator<Batch<tf.Tensor1D>>;
export function iterateBatches(ds: Dataset, opts: BatchOptions): Generator<Batch<tf.Tensor1D | tf.Tensor2D>>;
export function* iterateBatches(ds: Dataset, opts: BatchOptions): Generator<Batch<tf.Tensor1D | tf.Tensor2D>> {
  for (const hb of iterateHostBatches(ds, opts)) yield toTensors(ds, hb, opts.oneHot === true);
}
