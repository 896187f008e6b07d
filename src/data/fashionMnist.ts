/**
 * Fashion-MNIST and MNIST from IDX files in a directory.
 *
 * Fashion-MNIST default location is the Debian package `dataset-fashion-mnist`
 * (/usr/share/datasets/fashion-mnist). Both gzip and un-gzipped names are
 * accepted, as are the `train-images.idx3-ubyte` spellings some mirrors use.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { Dataset } from './dataset.js';
import { loadIdxPair } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const MNIST_DIR = '/usr/share/datasets/mnist';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export type MnistSplit = 'train' | 'test';

export interface MnistLoadOptions {
  /** Directory holding the four IDX files. */
  dir?: string;
  split: MnistSplit;
}

const PREFIX: Record<MnistSplit, string> = { train: 'train', test: 't10k' };

/** Candidate file names for one IDX file of a split, in order of preference. */
export function idxFileNames(split: MnistSplit, kind: 'images' | 'labels'): string[] {
  const p = PREFIX[split];
  const k = kind === 'images' ? 'images' : 'labels';
  const d = kind === 'images' ? 'idx3' : 'idx1';
  const names = [`${p}-${k}-${d}-ubyte`, `${p}-${k}.${d}-ubyte`];
  return names.flatMap((b) => [`${b}.gz`, b]);
}

function installHint(family: 'fashion-mnist' | 'mnist'): string {
  return family === 'fashion-mnist'
    ? '`apt-get install dataset-fashion-mnist` installs it there, or pass `--data DIR` with a directory that has the Fashion-MNIST IDX files'
    : 'pass `--data DIR` with a directory that has the MNIST IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])';
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Finds the file for (split, kind) in dir, or throws a UserError naming the expected file. */
export function findIdxFile(dir: string, split: MnistSplit, kind: 'images' | 'labels', hint = ''): string {
  const names = idxFileNames(split, kind);
  for (const name of names) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new UserError(`missing ${split} ${kind} file ${join(dir, names[0])} (or ${names[1]})${hint ? ` — ${hint}` : ''}`);
}

function loadFamily(family: 'fashion-mnist' | 'mnist', opts: MnistLoadOptions): Dataset {
  const dir = opts.dir ?? (family === 'fashion-mnist' ? FASHION_MNIST_DIR : MNIST_DIR);
  const hint = installHint(family);
  if (!isDir(dir)) {
    throw new UserError(`${family} data directory ${dir} does not exist — ${hint}`);
  }
  const split = opts.split;
  if (split !== 'train' && split !== 'test') {
    throw new UserError(`unknown ${family} split '${String(split)}': use train or test`);
  }
  const classNames = family === 'fashion-mnist' ? FASHION_MNIST_CLASSES : MNIST_CLASSES;
  return loadIdxPair({
    imagesFile: findIdxFile(dir, split, 'images', hint),
    labelsFile: findIdxFile(dir, split, 'labels', hint),
    name: `${family}/${split}`,
    classNames: [...classNames],
    numClasses: 10,
  });
}

/** Loads one Fashion-MNIST split: 28x28x1, 10 classes, pixels in [0, 1]. */
export function loadFashionMnist(opts: MnistLoadOptions): Dataset {
  return loadFamily('fashion-mnist', opts);
}

/** Loads one MNIST split (same file names as Fashion-MNIST): 28x28x1, 10 classes. */
export function loadMnist(opts: MnistLoadOptions): Dataset {
  return loadFamily('mnist', opts);
}

function available(dir: string): boolean {
  if (!isDir(dir)) return false;
  for (const split of ['train', 'test'] as const) {
    for (const kind of ['images', 'labels'] as const) {
      if (!idxFileNames(split, kind).some((n) => existsSync(join(dir, n)))) return false;
    }
  }
  return true;
}

/** True when all four Fashion-MNIST files are present in dir (does not validate them). */
export function fashionMnistAvailable(dir: string = FASHION_MNIST_DIR): boolean {
  return available(dir);
}
