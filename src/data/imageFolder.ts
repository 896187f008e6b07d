/**
 * Image-folder datasets (root/<class>/*.{jpg,jpeg,png}) decoded with sharp,
 * and the ImageNet evaluation preprocessing.
 *
 * Classes are the sub-directories of root sorted by code point (like Python's
 * sorted(), as torchvision's ImageFolder does); files within a class likewise.
 * Images are not EXIF-rotated, matching PIL/torchvision.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import { checkDataset, type ChannelStats, type Dataset, type DatasetSplits } from './dataset.js';
import { splitIndices } from './split.js';

export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];
/** Centre-crop fraction used for ImageNet evaluation (224 → resize 256, crop 224). */
export const IMAGENET_CROP_PCT = 0.875;

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

export type ResizeMode = 'crop' | 'resize';
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';

export interface DecodeOptions {
  height: number;
  width: number;
  /**
   * 'crop' (default): resize preserving aspect ratio so the image covers
   * (height/cropPct, width/cropPct), then centre-crop height x width.
   * 'resize': plain resize to height x width (aspect ratio not kept).
   */
  mode?: ResizeMode;
  /** Only for mode 'crop': fraction of the resized image kept by the centre crop (default 1). */
  cropPct?: number;
  /** 3 (RGB, default) or 1 (grayscale). */
  channels?: 1 | 3;
  /** Interpolation kernel (default 'cubic'). */
  kernel?: ResizeKernel;
  /** Per-channel normalisation applied after scaling to [0, 1]. */
  normalize?: ChannelStats;
}

/** Python's round(): half to even (torchvision's CenterCrop rounds its offsets so). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The resize target of a centre crop: int(size / crop_pct), as the authors' build_transform. */
export function cropResizeTarget(size: number, cropPct: number): number {
  return Math.trunc(size / cropPct);
}

function decodeError(label: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const msg = (e as Error).message ?? String(e);
  return new UserError(`cannot decode image ${label}: ${msg}`);
}

/**
 * Decodes one image (path or encoded bytes) to HWC floats in [0, 1] (or
 * normalised). Writes into `out` at `offset` when given. Undecodable input →
 * UserError naming `label` (default: the path).
 */
export async function decodeImage(
  input: string | Buffer,
  opts: DecodeOptions,
  out?: Float32Array,
  offset = 0,
  label: string = typeof input === 'string' ? input : '<buffer>',
): Promise<Float32Array> {
  const { height: th, width: tw } = opts;
  const channels = opts.channels ?? 3;
  const mode = opts.mode ?? 'crop';
  const cropPct = opts.cropPct ?? 1;
  if (!(Number.isInteger(th) && th > 0 && Number.isInteger(tw) && tw > 0)) {
    throw new UserError(`image size must be positive integers, got ${th}x${tw}`);
  }
  if (!(cropPct > 0 && cropPct <= 1)) throw new UserError(`crop fraction must be in (0, 1], got ${cropPct}`);
  if (opts.normalize && (opts.normalize.mean.length !== channels || opts.normalize.std.length !== channels)) {
    throw new UserError(`normalisation needs ${channels} mean/std values`);
  }
  let raw: Buffer;
  let rw: number;
  let rh: number;
  let rc: number;
  try {
    const img = sharp(input, { failOn: 'error' });
    let rsW = tw;
    let rsH = th;
    if (mode === 'crop') {
      const meta = await sharp(input, { failOn: 'error' }).metadata();
      const w0 = meta.width;
      const h0 = meta.height;
      if (!w0 || !h0) throw new Error('image has no size');
      const sh = cropResizeTarget(th, cropPct);
      const sw = cropResizeTarget(tw, cropPct);
      // Scale so that the image covers (sh, sw); the limiting side gets the exact
      // size, the other is truncated like torchvision's Resize(int).
      if (sh / h0 >= sw / w0) {
        rsH = sh;
        rsW = Math.max(sw, Math.floor((w0 * sh) / h0));
      } else {
        rsW = sw;
        rsH = Math.max(sh, Math.floor((h0 * sw) / w0));
      }
    }
    let pipe = img.resize({ width: rsW, height: rsH, fit: 'fill', kernel: opts.kernel ?? 'cubic' }).removeAlpha();
    pipe = channels === 1 ? pipe.toColourspace('b-w') : pipe.toColourspace('srgb');
    const res = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    raw = res.data;
    rw = res.info.width;
    rh = res.info.height;
    rc = res.info.channels;
  } catch (e) {
    throw decodeError(label, e);
  }
  if (rw < tw || rh < th) throw new UserError(`cannot decode image ${label}: resize produced ${rw}x${rh}`);
  const top = roundHalfEven((rh - th) / 2);
  const left = roundHalfEven((rw - tw) / 2);
  const dst = out ?? new Float32Array(th * tw * channels);
  const inv = 1 / 255;
  const mean = opts.normalize?.mean;
  const std = opts.normalize?.std;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const s = ((y + top) * rw + (x + left)) * rc;
      const d = offset + (y * tw + x) * channels;
      for (let c = 0; c < channels; c++) {
        // rc may be 1 (gray source kept gray) or more; repeat the first band if short.
        let v = raw[s + (c < rc ? c : 0)] * inv;
        if (mean && std) v = (v - mean[c]) / std[c];
        dst[d + c] = v;
      }
    }
  }
  return dst;
}

/**
 * ImageNet evaluation preprocessing: resize the shorter side to
 * int(size / 0.875) (256 for 224), centre-crop size x size, RGB, normalise with the
 * ImageNet mean/std. Returns size*size*3 floats (HWC).
 */
export async function imagenetEvalPreprocess(
  input: string | Buffer,
  size = 224,
  opts: { cropPct?: number; kernel?: ResizeKernel } = {},
): Promise<Float32Array> {
  return decodeImage(input, {
    height: size,
    width: size,
    mode: 'crop',
    cropPct: opts.cropPct ?? IMAGENET_CROP_PCT,
    channels: 3,
    kernel: opts.kernel ?? 'cubic',
    normalize: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] },
  });
}

export interface ImageFolderListing {
  classNames: string[];
  files: Array<{ file: string; label: number }>;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lists root/<class>/<image>. With `classNames`, the classes are fixed (e.g.
 * a validation folder must use the training folder's classes); a folder not
 * in the list is a UserError.
 */
export function listImageFolder(root: string, opts: { classNames?: readonly string[]; extensions?: readonly string[] } = {}): ImageFolderListing {
  if (!isDir(root)) throw new UserError(`image folder ${root} does not exist or is not a directory`);
  const exts = (opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isSymbolicLink() && isDir(join(root, d.name)))))
    .map((d) => d.name)
    .sort(byCodePoint);
  if (dirs.length === 0) {
    throw new UserError(`image folder ${root} has no class sub-directories (expected ${root}/<class>/*.jpg|png)`);
  }
  const classNames = opts.classNames ? [...opts.classNames] : dirs;
  const index = new Map(classNames.map((c, i) => [c, i]));
  const files: ImageFolderListing['files'] = [];
  for (const d of dirs) {
    const label = index.get(d);
    if (label === undefined) {
      throw new UserError(`image folder ${root} has class directory '${d}' that is not among the training classes`);
    }
    const names = readdirSync(join(root, d))
      .filter((f) => !f.startsWith('.') && exts.includes(extname(f).toLowerCase()))
      .sort(byCodePoint);
    if (names.length === 0 && !opts.classNames) {
      throw new UserError(`class directory ${join(root, d)} has no ${exts.join('/')} images`);
    }
    for (const f of names) files.push({ file: join(root, d, f), label });
  }
  if (files.length === 0) throw new UserError(`image folder ${root} has no ${exts.join('/')} images`);
  return { classNames, files };
}

export interface ImageFolderOptions {
  root: string;
  /** Output size: a square side or [height, width]. */
  size: number | [number, number];
  mode?: ResizeMode;
  cropPct?: number;
  channels?: 1 | 3;
  kernel?: ResizeKernel;
  /** 'imagenet' applies the ImageNet mean/std (and records it in `stats`); default 'none' ([0, 1]). */
  normalize?: 'none' | 'imagenet';
  /** Fix the class list (and label numbering), e.g. to the training folder's. */
  classNames?: readonly string[];
  /** Keep at most this many images per class (the first ones in sorted order). */
  limitPerClass?: number;
  /** Parallel decodes (default 4). */
  concurrency?: number;
  /** Dataset name (default: the root's last path component). */
  name?: string;
}

function sizeOf(size: number | [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : size;
}

function decodeOptions(opts: ImageFolderOptions): DecodeOptions {
  const [height, width] = sizeOf(opts.size);
  const channels = opts.channels ?? 3;
  if (opts.normalize === 'imagenet' && channels !== 3) throw new UserError('ImageNet normalisation needs 3 channels');
  return {
    height,
    width,
    mode: opts.mode ?? 'crop',
    cropPct: opts.cropPct,
    channels,
    kernel: opts.kernel,
    normalize: opts.normalize === 'imagenet' ? { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] } : undefined,
  };
}

/** Decodes a list of files into a Dataset. */
export async function decodeFiles(
  files: ReadonlyArray<{ file: string; label: number }>,
  classNames: readonly string[],
  opts: ImageFolderOptions,
  name: string,
): Promise<Dataset> {
  const dec = decodeOptions(opts);
  const channels = dec.channels ?? 3;
  const per = dec.height * dec.width * channels;
  const n = files.length;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      labels[i] = files[i].label;
      await decodeImage(files[i].file, dec, images, i * per);
    }
  };
  const k = Math.max(1, Math.min(opts.concurrency ?? 4, n));
  await Promise.all(Array.from({ length: k }, worker));
  return checkDataset({
    images,
    labels,
    n,
    height: dec.height,
    width: dec.width,
    channels,
    numClasses: classNames.length,
    classNames: [...classNames],
    name,
    source: opts.root,
    ...(dec.normalize ? { stats: dec.normalize } : {}),
  });
}

function limitFiles(listing: ImageFolderListing, limit?: number): ImageFolderListing['files'] {
  if (limit === undefined) return listing.files;
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`images per class must be a positive integer, got ${limit}`);
  const taken = new Array<number>(listing.classNames.length).fill(0);
  return listing.files.filter((f) => taken[f.label]++ < limit);
}

/** Loads root/<class>/*.{jpg,jpeg,png} into a Dataset. */
export async function loadImageFolder(opts: ImageFolderOptions): Promise<Dataset> {
  const listing = listImageFolder(opts.root, { classNames: opts.classNames });
  const name =
    opts.name ??
    (opts.root
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .pop() ||
      'images');
  return decodeFiles(limitFiles(listing, opts.limitPerClass), listing.classNames, opts, name);
}

export interface ImageFolderSplitOptions extends Omit<ImageFolderOptions, 'classNames' | 'name'> {
  /** When root has no train/ + val/ (or test/) sub-folders: fraction held out as test (default 0.2). */
  testFraction?: number;
  seed?: number;
}

/**
 * Loads train/test splits from an image folder. If root has `train/` and
 * `val/` (or `test/`) sub-folders, those are the splits (the test split uses
 * the training classes). Otherwise root itself is one class folder, split by
 * a seeded, stratified hold-out.
 */
export async function loadImageFolderSplits(opts: ImageFolderSplitOptions): Promise<DatasetSplits> {
  const root = opts.root;
  const base =
    root
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .pop() || 'images';
  const trainDir = join(root, 'train');
  const testDir = ['val', 'test'].map((d) => join(root, d)).find(isDir);
  if (isDir(trainDir) && testDir) {
    const train = await loadImageFolder({ ...opts, root: trainDir, name: `${base}/train` });
    const test = await loadImageFolder({
      ...opts,
      root: testDir,
      classNames: train.classNames,
      name: `${base}/test`,
    });
    return { train, test };
  }
  const listing = listImageFolder(root);
  const files = limitFiles(listing, opts.limitPerClass);
  const split = splitIndices(
    files.map((f) => f.label),
    { valFraction: opts.testFraction ?? 0.2, seed: opts.seed ?? 0, stratified: true },
    `image folder ${root}`,
  );
  const pick = (idx: Int32Array) => Array.from(idx, (i) => files[i]);
  const train = await decodeFiles(pick(split.train), listing.classNames, opts, `${base}/train`);
  const test = await decodeFiles(pick(split.val), listing.classNames, opts, `${base}/test`);
  return { train, test };
}
