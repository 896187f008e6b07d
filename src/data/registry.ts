/**
 * Dataset registry: one entry point, `loadDataset(name, opts)`, returning
 * train/test (and optionally validation) splits, plus `describeDataset`.
 */
import { UserError, oneOf } from '../util/errors.js';
import { classCounts, type Dataset, type DatasetSplits } from './dataset.js';
import { loadCifar10, loadCifar100, type Cifar100LabelMode } from './cifar.js';
import { loadFashionMnist, loadMnist } from './fashionMnist.js';
import { loadImageFolderSplits, type ResizeMode } from './imageFolder.js';
import { splitDataset, subsetDataset } from './split.js';
import { makeSyntheticSplits } from './synthetic.js';

export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'image-folder', 'synthetic'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The classes of the datasets whose count is fixed (cifar100: its fine labels; image folders and synthetic data vary). */
export const DATASET_CLASSES: Readonly<Record<string, number>> = { 'fashion-mnist': 10, mnist: 10, cifar10: 10, cifar100: 100 };

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export interface LoadDatasetOptions {
  /** Data directory (--data). */
  dir?: string;
  /** Seed for subsets, validation split, synthetic data and image-folder hold-out (default 0). */
  seed?: number;
  /** Use only this many training examples (seeded subset of the training split). */
  trainSize?: number;
  /** Use only this many test examples (seeded subset of the test split). */
  testSize?: number;
  /** Make the subsets class-balanced. */
  balanced?: boolean;
  /** Carve a validation split out of the (subset) training data. */
  valFraction?: number;
  valSize?: number;
  /** cifar100: fine (100, default) or coarse (20) labels. */
  cifar100Labels?: Cifar100LabelMode;
  /** synthetic and image-folder: image side (synthetic default 32, image-folder default 224). */
  imageSize?: number;
  /** synthetic: channels (default 3); image-folder: 1 or 3 (default 3). */
  channels?: number;
  /** synthetic: number of classes (default 10). */
  numClasses?: number;
  /** synthetic: pixel noise std (default 0.1). */
  noise?: number;
  /** image-folder: resize mode (default 'crop'), crop fraction, normalisation, images per class. */
  imageMode?: ResizeMode;
  cropPct?: number;
  imageNormalize?: 'none' | 'imagenet';
  limitPerClass?: number;
}

async function loadRaw(name: DatasetName, opts: LoadDatasetOptions): Promise<DatasetSplits> {
  const need = (): string => {
    if (!opts.dir) throw new UserError(`dataset ${name} needs a data directory: pass --data DIR`);
    return opts.dir;
  };
  switch (name) {
    case 'fashion-mnist':
      return { train: loadFashionMnist({ dir: opts.dir, split: 'train' }), test: loadFashionMnist({ dir: opts.dir, split: 'test' }) };
    case 'mnist':
      return { train: loadMnist({ dir: opts.dir, split: 'train' }), test: loadMnist({ dir: opts.dir, split: 'test' }) };
    case 'cifar10':
      return { train: loadCifar10({ dir: opts.dir, split: 'train' }), test: loadCifar10({ dir: opts.dir, split: 'test' }) };
    case 'cifar100': {
      const labels = opts.cifar100Labels;
      return {
        train: loadCifar100({ dir: opts.dir, split: 'train', labels }),
        test: loadCifar100({ dir: opts.dir, split: 'test', labels }),
      };
    }
    case 'image-folder': {
      const channels = opts.channels ?? 3;
      if (channels !== 1 && channels !== 3) throw new UserError(`image-folder channels must be 1 or 3, got ${channels}`);
      return loadImageFolderSplits({
        root: need(),
        size: opts.imageSize ?? 224,
        mode: opts.imageMode,
        cropPct: opts.cropPct,
        channels,
        normalize: opts.imageNormalize,
        limitPerClass: opts.limitPerClass,
        seed: opts.seed,
      });
    }
    case 'synthetic': {
      const side = opts.imageSize ?? 32;
      // Generate exactly the requested sizes rather than generating and subsetting.
      return makeSyntheticSplits({
        trainSize: opts.trainSize ?? 2000,
        testSize: opts.testSize ?? 500,
        height: side,
        width: side,
        channels: opts.channels ?? 3,
        numClasses: opts.numClasses ?? 10,
        noise: opts.noise,
        seed: opts.seed ?? 0,
      });
    }
  }
}

/**
 * Loads a dataset by name: train and test splits (pixels in [0, 1] unless
 * image-folder ImageNet normalisation was asked), optional seeded subsets,
 * and an optional validation split carved out of the training examples
 * (train and validation are disjoint; the test split is never touched).
 */
export async function loadDataset(name: string, opts: LoadDatasetOptions = {}): Promise<DatasetSplits> {
  if (!isDatasetName(name)) {
    throw new UserError(`unknown dataset '${name}': use ${oneOf(DATASET_NAMES)}`);
  }
  const raw = await loadRaw(name, opts);
  const seed = opts.seed ?? 0;
  let train = raw.train;
  let test = raw.test;
  if (name !== 'synthetic') {
    if (opts.trainSize !== undefined) train = subsetDataset(train, { size: opts.trainSize, seed, balanced: opts.balanced });
    if (opts.testSize !== undefined) test = subsetDataset(test, { size: opts.testSize, seed, balanced: opts.balanced });
  }
  if (opts.valFraction !== undefined || opts.valSize !== undefined) {
    const s = splitDataset(train, { valFraction: opts.valFraction, valSize: opts.valSize, seed });
    return { train: s.train, validation: s.validation, test };
  }
  return { train, test };
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)));
}

/** One-line human description of a dataset, e.g. for logs and `--dry-run`. */
export function describeDataset(ds: Dataset): string {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ds.images.length; i++) {
    const v = ds.images[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = classCounts(ds);
  const present = counts.filter((c) => c > 0);
  const names = ds.classNames ? ` (${ds.classNames.slice(0, 4).join(', ')}${ds.classNames.length > 4 ? ', …' : ''})` : '';
  const balance = present.length
    ? `, ${Math.min(...present) === Math.max(...present) ? Math.min(...present) : `${Math.min(...present)}–${Math.max(...present)}`} per class${present.length < ds.numClasses ? `, ${ds.numClasses - present.length} classes absent` : ''}`
    : '';
  const range = ds.n ? `, values ${fmt(min)}..${fmt(max)}` : '';
  const norm = ds.stats ? `, normalised (mean ${ds.stats.mean.map(fmt).join('/')}, std ${ds.stats.std.map(fmt).join('/')})` : '';
  const files = ds.source.split(',');
  const source = files.length > 2 ? `${files[0]} (+${files.length - 1} more files)` : files.join(', ');
  return `${ds.name}: ${ds.n} × ${ds.height}×${ds.width}×${ds.channels}, ${ds.numClasses} classes${names}${balance}${range}${norm}; source ${source}`;
}

/** Multi-line description of all splits. */
export function describeSplits(splits: DatasetSplits): string {
  return [splits.train, splits.validation, splits.test]
    .filter((d): d is Dataset => d !== undefined)
    .map(describeDataset)
    .join('\n');
}
