/**
 * The in-memory dataset type shared by every loader, transform and batcher.
 *
 * Images are stored NHWC in one Float32Array. Loaders produce pixel values in
 * [0, 1]; transforms (normalisation) may change that and record it in `stats`.
 */

/** Per-channel mean/std used to normalise a dataset: x' = (x - mean[c]) / std[c]. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

export interface Dataset {
  /** N*H*W*C floats, NHWC order. */
  images: Float32Array;
  /** N class indices in [0, numClasses). */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames?: string[];
  /** Short name, e.g. 'fashion-mnist/train'. */
  name: string;
  /** Where the data came from: file path(s), comma-separated, or 'synthetic'. */
  source: string;
  /** Set when the images have been normalised with these statistics (see transforms.ts). */
  stats?: ChannelStats;
}

/** The splits a loader returns. The test split is never used for fitting or model selection. */
export interface DatasetSplits {
  train: Dataset;
  test: Dataset;
  /** Present when a validation split was carved out of the training data. */
  validation?: Dataset;
}

/** Number of floats per example (H*W*C). */
export function exampleSize(ds: Pick<Dataset, 'height' | 'width' | 'channels'>): number {
  return ds.height * ds.width * ds.channels;
}

/**
 * Checks that a dataset's fields agree with each other; throws an Error
 * (a programming error, not a user error) when they do not. Returns the dataset.
 */
export function checkDataset(ds: Dataset): Dataset {
  const where = `dataset ${ds.name}`;
  for (const [k, v] of [
    ['n', ds.n],
    ['height', ds.height],
    ['width', ds.width],
    ['channels', ds.channels],
    ['numClasses', ds.numClasses],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: ${k} must be a non-negative integer, got ${v}`);
  }
  if (ds.images.length !== ds.n * exampleSize(ds)) {
    throw new Error(`${where}: images has ${ds.images.length} floats, expected n*h*w*c = ${ds.n}*${ds.height}*${ds.width}*${ds.channels}`);
  }
  if (ds.labels.length !== ds.n) throw new Error(`${where}: labels has ${ds.labels.length} entries, expected ${ds.n}`);
  if (ds.classNames && ds.classNames.length !== ds.numClasses) {
    throw new Error(`${where}: ${ds.classNames.length} class names for ${ds.numClasses} classes`);
  }
  if (ds.stats && (ds.stats.mean.length !== ds.channels || ds.stats.std.length !== ds.channels)) {
    throw new Error(`${where}: stats must have one mean/std per channel (${ds.channels})`);
  }
  return ds;
}

/** Counts of each class label. */
export function classCounts(ds: Pick<Dataset, 'labels' | 'numClasses'>): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.labels.length; i++) counts[ds.labels[i]]++;
  return counts;
}

/**
 * A new dataset holding the given examples (copied), in the given order.
 * Metadata is kept; `name` gets `suffix` appended when given.
 */
export function selectExamples(ds: Dataset, indices: ArrayLike<number>, suffix?: string): Dataset {
  const size = exampleSize(ds);
  const n = indices.length;
  const images = new Float32Array(n * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= ds.n) {
      throw new RangeError(`selectExamples(${ds.name}): index ${j} out of range [0, ${ds.n})`);
    }
    images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j];
  }
  return {
    ...ds,
    images,
    labels,
    n,
    name: suffix ? `${ds.name}${suffix}` : ds.name,
  };
}

/** Converts bytes 0..255 to floats in [0, 1]. */
export function bytesToUnit(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length), offset = 0): Float32Array {
  const inv = 1 / 255;
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i] * inv;
  return out;
}
