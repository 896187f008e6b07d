/**
 * Dataset transforms: channel repeat, pad/resize to a model input size,
 * per-channel normalisation (statistics from the training split only), and
 * seeded light augmentation (random crop with padding + horizontal flip).
 *
 * Whole-dataset transforms return new datasets and never mutate their input.
 */
import { UserError } from '../util/errors.js';
import { checkDataset, exampleSize, type ChannelStats, type Dataset, type DatasetSplits } from './dataset.js';
import type { Rng } from './rng.js';

/** Per-channel mean and (population) standard deviation over all pixels. */
export function computeChannelStats(ds: Dataset): ChannelStats {
  const c = ds.channels;
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const img = ds.images;
  for (let i = 0; i < img.length; i += c) {
    for (let k = 0; k < c; k++) {
      const v = img[i + k];
      sum[k] += v;
      sumSq[k] += v * v;
    }
  }
  const count = ds.n * ds.height * ds.width;
  if (count === 0) throw new UserError(`cannot compute normalisation statistics of empty dataset ${ds.name}`);
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sumSq, (s, k) => {
    const variance = Math.max(0, s / count - mean[k] * mean[k]);
    const sd = Math.sqrt(variance);
    return sd > 1e-6 ? sd : 1; // a constant channel is left unscaled
  });
  return { mean, std };
}

/** Returns a normalised copy: x' = (x - mean[c]) / std[c]; records the stats on the result. */
export function normalize(ds: Dataset, stats: ChannelStats): Dataset {
  const c = ds.channels;
  if (stats.mean.length !== c || stats.std.length !== c) {
    throw new UserError(`normalisation for ${ds.name} needs ${c} mean/std values, got ${stats.mean.length}/${stats.std.length}`);
  }
  if (stats.std.some((s) => !(s > 0))) throw new UserError(`normalisation std must be positive, got ${stats.std.join(', ')}`);
  if (ds.stats) throw new Error(`dataset ${ds.name} is already normalised`);
  const out = new Float32Array(ds.images.length);
  const mean = Float32Array.from(stats.mean);
  const inv = Float32Array.from(stats.std, (s) => 1 / s);
  const img = ds.images;
  for (let i = 0; i < img.length; i += c) {
    for (let k = 0; k < c; k++) out[i + k] = (img[i + k] - mean[k]) * inv[k];
  }
  return { ...ds, images: out, stats: { mean: [...stats.mean], std: [...stats.std] } };
}

/** The raw-zero pixel value per channel in the dataset's current (maybe normalised) space. */
export function zeroValue(ds: Pick<Dataset, 'channels' | 'stats'>): number[] {
  return Array.from({ length: ds.channels }, (_, k) => (ds.stats ? -ds.stats.mean[k] / ds.stats.std[k] : 0));
}

/** Repeats the single channel of a grayscale dataset to `channels` (e.g. 1 → 3). */
export function repeatChannels(ds: Dataset, channels: number): Dataset {
  if (ds.channels === channels) return ds;
  if (ds.channels !== 1) {
    throw new UserError(`cannot convert ${ds.name} from ${ds.channels} to ${channels} channels: only 1 → N is supported`);
  }
  const px = ds.n * ds.height * ds.width;
  const out = new Float32Array(px * channels);
  for (let i = 0; i < px; i++) {
    const v = ds.images[i];
    for (let k = 0; k < channels; k++) out[i * channels + k] = v;
  }
  const stats = ds.stats ? { mean: new Array<number>(channels).fill(ds.stats.mean[0]), std: new Array<number>(channels).fill(ds.stats.std[0]) } : undefined;
  return checkDataset({ ...ds, images: out, channels, ...(stats ? { stats } : {}) });
}

/**
 * Pads every image to height x width, centred (extra row/column at the
 * bottom/right), with the raw value 0 (black) — in normalised space too.
 */
export function padTo(ds: Dataset, height: number, width: number): Dataset {
  if (height === ds.height && width === ds.width) return ds;
  if (height < ds.height || width < ds.width) {
    throw new UserError(`cannot pad ${ds.name} from ${ds.height}x${ds.width} to the smaller ${height}x${width}; resize instead`);
  }
  const c = ds.channels;
  const top = Math.floor((height - ds.height) / 2);
  const left = Math.floor((width - ds.width) / 2);
  const srcPer = exampleSize(ds);
  const dstPer = height * width * c;
  const out = new Float32Array(ds.n * dstPer);
  const zero = zeroValue(ds);
  if (zero.some((z) => z !== 0)) {
    for (let i = 0; i < out.length; i += c) for (let k = 0; k < c; k++) out[i + k] = zero[k];
  }
  const rowLen = ds.width * c;
  for (let i = 0; i < ds.n; i++) {
    for (let y = 0; y < ds.height; y++) {
      const s = i * srcPer + y * rowLen;
      out.set(ds.images.subarray(s, s + rowLen), i * dstPer + ((y + top) * width + left) * c);
    }
  }
  return checkDataset({ ...ds, images: out, height, width });
}

/** Bilinear resize with half-pixel centres (like tf.image.resizeBilinear with halfPixelCenters, PyTorch align_corners=false, no antialias). */
export function resizeBilinear(ds: Dataset, height: number, width: number): Dataset {
  if (height === ds.height && width === ds.width) return ds;
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new UserError(`resize target must be positive integers, got ${height}x${width}`);
  }
  const c = ds.channels;
  const axis = (outN: number, inN: number) => {
    const lo = new Int32Array(outN);
    const hi = new Int32Array(outN);
    const f = new Float32Array(outN);
    const scale = inN / outN;
    for (let o = 0; o < outN; o++) {
      let s = (o + 0.5) * scale - 0.5;
      if (s < 0) s = 0;
      const l = Math.min(Math.floor(s), inN - 1);
      lo[o] = l;
      hi[o] = Math.min(l + 1, inN - 1);
      f[o] = s - l;
    }
    return { lo, hi, f };
  };
  const ay = axis(height, ds.height);
  const ax = axis(width, ds.width);
  const srcPer = exampleSize(ds);
  const dstPer = height * width * c;
  const out = new Float32Array(ds.n * dstPer);
  const src = ds.images;
  const rowLen = ds.width * c;
  for (let i = 0; i < ds.n; i++) {
    const sb = i * srcPer;
    const db = i * dstPer;
    for (let y = 0; y < height; y++) {
      const r0 = sb + ay.lo[y] * rowLen;
      const r1 = sb + ay.hi[y] * rowLen;
      const fy = ay.f[y];
      for (let x = 0; x < width; x++) {
        const c0 = ax.lo[x] * c;
        const c1 = ax.hi[x] * c;
        const fx = ax.f[x];
        const d = db + (y * width + x) * c;
        for (let k = 0; k < c; k++) {
          const top = src[r0 + c0 + k] + (src[r0 + c1 + k] - src[r0 + c0 + k]) * fx;
          const bot = src[r1 + c0 + k] + (src[r1 + c1 + k] - src[r1 + c0 + k]) * fx;
          out[d + k] = top + (bot - top) * fy;
        }
      }
    }
  }
  return checkDataset({ ...ds, images: out, height, width });
}

export type FitMethod = 'pad' | 'resize';

export interface FitOptions {
  height: number;
  width: number;
  /** Target channel count; 1-channel data is repeated (e.g. grayscale → 3). */
  channels?: number;
  /** How to change the spatial size (default 'pad' when growing, 'resize' when shrinking). */
  method?: FitMethod;
}

/** Brings a dataset to a model's input shape (channels, then size). */
export function fitToInput(ds: Dataset, opts: FitOptions): Dataset {
  let out = ds;
  if (opts.channels !== undefined) out = repeatChannels(out, opts.channels);
  if (out.height === opts.height && out.width === opts.width) return out;
  const grow = opts.height >= out.height && opts.width >= out.width;
  const method = opts.method ?? (grow ? 'pad' : 'resize');
  return method === 'pad' ? padTo(out, opts.height, opts.width) : resizeBilinear(out, opts.height, opts.width);
}

export interface PrepareOptions extends Partial<FitOptions> {
  /**
   * true: per-channel mean/std computed on the training split only and
   * applied to every split; a ChannelStats: use these; false (default): none.
   */
  normalize?: boolean | ChannelStats;
}

/** Applies fitToInput and normalisation to every split consistently. Returns the stats used. */
export function prepareSplits(splits: DatasetSplits, opts: PrepareOptions): DatasetSplits & { stats?: ChannelStats } {
  const fit = (ds: Dataset): Dataset =>
    opts.height !== undefined && opts.width !== undefined
      ? fitToInput(ds, { height: opts.height, width: opts.width, channels: opts.channels, method: opts.method })
      : opts.channels !== undefined
        ? repeatChannels(ds, opts.channels)
        : ds;
  let train = fit(splits.train);
  let test = fit(splits.test);
  let validation = splits.validation ? fit(splits.validation) : undefined;
  let stats: ChannelStats | undefined;
  if (opts.normalize) {
    stats = opts.normalize === true ? computeChannelStats(train) : opts.normalize;
    train = normalize(train, stats);
    test = normalize(test, stats);
    if (validation) validation = normalize(validation, stats);
  }
  return { train, test, ...(validation ? { validation } : {}), ...(stats ? { stats } : {}) };
}

export interface AugmentOptions {
  /** Zero padding for the random crop (default 4; 0 disables the crop). */
  padding?: number;
  /** Random horizontal flip with probability 0.5 (default true). */
  flip?: boolean;
}

/**
 * Writes an augmented copy of one HWC image `src` into `dst` (same size):
 * random crop from the image padded by `padding` on every side (pad value
 * per channel `padValue`, i.e. raw black), then a random horizontal flip.
 * Draws exactly three numbers from rng, in a fixed order (dy, dx, flip).
 */
export function augmentImage(
  src: Float32Array,
  dst: Float32Array,
  height: number,
  width: number,
  channels: number,
  rng: Rng,
  opts: AugmentOptions = {},
  padValue: readonly number[] = new Array<number>(channels).fill(0),
): void {
  const pad = opts.padding ?? 4;
  const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
  const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
  const flip = (opts.flip ?? true) ? rng.bool(0.5) : false;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    for (let x = 0; x < width; x++) {
      const ox = flip ? width - 1 - x : x;
      const sx = x + dx;
      const d = (y * width + ox) * channels;
      if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
        for (let k = 0; k < channels; k++) dst[d + k] = padValue[k];
      } else {
        const s = (sy * width + sx) * channels;
        for (let k = 0; k < channels; k++) dst[d + k] = src[s + k];
      }
    }
  }
}
