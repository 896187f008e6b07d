/**
 * CIFAR-10 / CIFAR-100 "binary version" batches.
 *
 * CIFAR-10 record: 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B,
 * each row-major 32x32). Files data_batch_1.bin..data_batch_5.bin and
 * test_batch.bin (directory cifar-10-batches-bin in the archive).
 * CIFAR-100 record: 1 coarse label byte + 1 fine label byte + 3072 pixel
 * bytes. Files train.bin and test.bin (directory cifar-100-binary).
 * Converted to NHWC floats in [0, 1].
 */
import { existsSync, statSync } from 'node:fs';
import { readRegularFile } from '../util/boundedRead.js';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { checkDataset, type Dataset } from './dataset.js';
import { describeContent, readFileOrThrow } from './files.js';

export const CIFAR10_DIR = '/usr/share/datasets/cifar10';
export const CIFAR100_DIR = '/usr/share/datasets/cifar100';

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3; // 3072

export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export const CIFAR100_COARSE_CLASSES: readonly string[] = [
  'aquatic_mammals',
  'fish',
  'flowers',
  'food_containers',
  'fruit_and_vegetables',
  'household_electrical_devices',
  'household_furniture',
  'insects',
  'large_carnivores',
  'large_man-made_outdoor_things',
  'large_natural_outdoor_scenes',
  'large_omnivores_and_herbivores',
  'medium_mammals',
  'non-insect_invertebrates',
  'people',
  'reptiles',
  'small_mammals',
  'trees',
  'vehicles_1',
  'vehicles_2',
];

export const CIFAR100_FINE_CLASSES: readonly string[] = [
  'apple',
  'aquarium_fish',
  'baby',
  'bear',
  'beaver',
  'bed',
  'bee',
  'beetle',
  'bicycle',
  'bottle',
  'bowl',
  'boy',
  'bridge',
  'bus',
  'butterfly',
  'camel',
  'can',
  'castle',
  'caterpillar',
  'cattle',
  'chair',
  'chimpanzee',
  'clock',
  'cloud',
  'cockroach',
  'couch',
  'crab',
  'crocodile',
  'cup',
  'dinosaur',
  'dolphin',
  'elephant',
  'flatfish',
  'forest',
  'fox',
  'girl',
  'hamster',
  'house',
  'kangaroo',
  'keyboard',
  'lamp',
  'lawn_mower',
  'leopard',
  'lion',
  'lizard',
  'lobster',
  'man',
  'maple_tree',
  'motorcycle',
  'mountain',
  'mouse',
  'mushroom',
  'oak_tree',
  'orange',
  'orchid',
  'otter',
  'palm_tree',
  'pear',
  'pickup_truck',
  'pine_tree',
  'plain',
  'plate',
  'poppy',
  'porcupine',
  'possum',
  'rabbit',
  'raccoon',
  'ray',
  'road',
  'rocket',
  'rose',
  'sea',
  'seal',
  'shark',
  'shrew',
  'skunk',
  'skyscraper',
  'snail',
  'snake',
  'spider',
  'squirrel',
  'streetcar',
  'sunflower',
  'sweet_pepper',
  'table',
  'tank',
  'telephone',
  'television',
  'tiger',
  'tractor',
  'train',
  'trout',
  'tulip',
  'turtle',
  'wardrobe',
  'whale',
  'willow_tree',
  'wolf',
  'woman',
  'worm',
];

export type CifarVariant = 'cifar10' | 'cifar100';
export type Cifar100LabelMode = 'fine' | 'coarse';

export interface CifarRecords {
  /** n*32*32*3 floats in [0, 1], NHWC. */
  images: Float32Array;
  labels: Int32Array;
  n: number;
}

function recordSize(variant: CifarVariant): number {
  return (variant === 'cifar10' ? 1 : 2) + CIFAR_PIXELS;
}

/**
 * Parses one CIFAR binary batch. `labelMode` picks the CIFAR-100 label
 * (ignored for CIFAR-10). Size not a multiple of the record size, or a label
 * out of range → UserError naming `file`.
 */
export function parseCifarBinary(buf: Uint8Array, file: string, variant: CifarVariant, labelMode: Cifar100LabelMode = 'fine'): CifarRecords {
  const rec = recordSize(variant);
  const layout = variant === 'cifar10' ? '1 label byte + 3072 pixel bytes' : '2 label bytes + 3072 pixel bytes';
  if (buf.length === 0 || buf.length % rec !== 0) {
    const looks = describeContent(buf);
    const extra = looks === 'unrecognised binary data' ? '' : `; it looks like ${looks}`;
    throw new UserError(
      `${file} is not a valid ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary batch: its size, ${buf.length} bytes, is not a positive multiple of the ${rec}-byte record (${layout})${extra}; the file is truncated or is the wrong file`,
    );
  }
  const n = buf.length / rec;
  const numClasses = variant === 'cifar10' ? 10 : labelMode === 'fine' ? 100 : 20;
  const labelOffset = variant === 'cifar10' ? 0 : labelMode === 'coarse' ? 0 : 1;
  const pixOffset = rec - CIFAR_PIXELS;
  const images = new Float32Array(n * CIFAR_PIXELS);
  const labels = new Int32Array(n);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const inv = 1 / 255;
  for (let i = 0; i < n; i++) {
    const base = i * rec;
    const label = buf[base + labelOffset];
    if (label >= numClasses) {
      throw new UserError(
        `${file}: record ${i} has ${variant === 'cifar100' ? `${labelMode} ` : ''}label ${label}, out of range 0..${numClasses - 1}; is this the right file (CIFAR-10 vs CIFAR-100)?`,
      );
    }
    labels[i] = label;
    const src = base + pixOffset;
    const dst = i * CIFAR_PIXELS;
    for (let p = 0; p < plane; p++) {
      const o = dst + p * 3;
      images[o] = buf[src + p] * inv;
      images[o + 1] = buf[src + plane + p] * inv;
      images[o + 2] = buf[src + 2 * plane + p] * inv;
    }
  }
  return { images, labels, n };
}

/** Encodes records (NHWC bytes) into a CIFAR binary batch. Used by tests and tools. */
export function encodeCifarBinary(variant: CifarVariant, imagesHwc: Uint8Array, labels: ArrayLike<number>, coarseLabels?: ArrayLike<number>): Uint8Array {
  const n = labels.length;
  if (imagesHwc.length !== n * CIFAR_PIXELS) throw new Error('encodeCifarBinary: image bytes do not match label count');
  const rec = recordSize(variant);
  const out = new Uint8Array(n * rec);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let i = 0; i < n; i++) {
    const base = i * rec;
    if (variant === 'cifar10') out[base] = labels[i];
    else {
      out[base] = coarseLabels ? coarseLabels[i] : 0;
      out[base + 1] = labels[i];
    }
    const dst = base + rec - CIFAR_PIXELS;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[dst + c * plane + p] = imagesHwc[i * CIFAR_PIXELS + p * 3 + c];
    }
  }
  return out;
}

export interface CifarLoadOptions {
  /** Directory with the .bin files, or its parent holding cifar-10-batches-bin / cifar-100-binary. */
  dir?: string;
  split: 'train' | 'test';
}

export interface Cifar100LoadOptions extends CifarLoadOptions {
  /** Which CIFAR-100 label to use: 100 fine classes (default) or 20 coarse superclasses. */
  labels?: Cifar100LabelMode;
}

const SUBDIR: Record<CifarVariant, string> = { cifar10: 'cifar-10-batches-bin', cifar100: 'cifar-100-binary' };
const DEFAULT_DIR: Record<CifarVariant, string> = { cifar10: CIFAR10_DIR, cifar100: CIFAR100_DIR };
const ARCHIVE: Record<CifarVariant, string> = { cifar10: 'cifar-10-binary.tar.gz', cifar100: 'cifar-100-binary.tar.gz' };

/** File names of a split, relative to the batches directory. */
export function cifarFileNames(variant: CifarVariant, split: 'train' | 'test'): string[] {
  if (variant === 'cifar10') {
    return split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  }
  return [split === 'train' ? 'train.bin' : 'test.bin'];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves the directory that actually holds the .bin files. */
export function resolveCifarDir(variant: CifarVariant, dir?: string): string {
  const root = dir ?? DEFAULT_DIR[variant];
  const hint = `pass \`--data DIR\` with the directory extracted from ${ARCHIVE[variant]} (${SUBDIR[variant]})`;
  if (!isDir(root)) throw new UserError(`${variant} data directory ${root} does not exist — ${hint}`);
  const first = cifarFileNames(variant, 'test')[0];
  if (existsSync(join(root, first))) return root;
  const sub = join(root, SUBDIR[variant]);
  if (existsSync(join(sub, first))) return sub;
  return root; // the per-file check below names the missing file
}

/** Reads class names from the archive's text file when it is there and sane, else the built-in list. */
function classNamesFrom(dir: string, file: string, fallback: readonly string[]): string[] {
  const p = join(dir, file);
  if (existsSync(p)) {
    try {
      const names = readRegularFile(p, { what: 'class names file', maxBytes: 2 ** 20 })
        .toString('utf8')
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (names.length === fallback.length) return names;
    } catch {
      /* fall back */
    }
  }
  return [...fallback];
}

function loadCifar(variant: CifarVariant, opts: CifarLoadOptions, labelMode: Cifar100LabelMode): Dataset {
  const split = opts.split;
  if (split !== 'train' && split !== 'test') {
    throw new UserError(`unknown ${variant} split '${String(split)}': use train or test`);
  }
  const dir = resolveCifarDir(variant, opts.dir);
  const hint = `pass \`--data DIR\` with the directory extracted from ${ARCHIVE[variant]}`;
  const files = cifarFileNames(variant, split).map((f) => join(dir, f));
  const parts = files.map((f) => parseCifarBinary(readFileOrThrow(f, `${variant} ${split} batch`, hint), f, variant, labelMode));
  const n = parts.reduce((a, p) => a + p.n, 0);
  let images: Float32Array;
  let labels: Int32Array;
  if (parts.length === 1) {
    ({ images, labels } = parts[0]);
  } else {
    images = new Float32Array(n * CIFAR_PIXELS);
    labels = new Int32Array(n);
    let off = 0;
    for (const p of parts) {
      images.set(p.images, off * CIFAR_PIXELS);
      labels.set(p.labels, off);
      off += p.n;
    }
  }
  const classNames =
    variant === 'cifar10'
      ? classNamesFrom(dir, 'batches.meta.txt', CIFAR10_CLASSES)
      : labelMode === 'fine'
        ? classNamesFrom(dir, 'fine_label_names.txt', CIFAR100_FINE_CLASSES)
        : classNamesFrom(dir, 'coarse_label_names.txt', CIFAR100_COARSE_CLASSES);
  return checkDataset({
    images,
    labels,
    n,
    height: CIFAR_SIDE,
    width: CIFAR_SIDE,
    channels: 3,
    numClasses: classNames.length,
    classNames,
    name: variant === 'cifar100' && labelMode === 'coarse' ? `${variant}-coarse/${split}` : `${variant}/${split}`,
    source: files.join(','),
  });
}

/** Loads one CIFAR-10 split: 32x32x3, 10 classes, pixels in [0, 1]. */
export function loadCifar10(opts: CifarLoadOptions): Dataset {
  return loadCifar('cifar10', opts, 'fine');
}

/** Loads one CIFAR-100 split: 32x32x3, 100 fine (default) or 20 coarse classes. */
export function loadCifar100(opts: Cifar100LoadOptions): Dataset {
  const mode = opts.labels ?? 'fine';
  if (mode !== 'fine' && mode !== 'coarse') {
    throw new UserError(`unknown CIFAR-100 label mode '${String(mode)}': use fine or coarse`);
  }
  return loadCifar('cifar100', opts, mode);
}
