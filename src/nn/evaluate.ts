/**
 * Top-1 / top-5 of a saved model on an ImageNet-layout folder (root/<class>/<image>, sorted class names = class
 * indices, as torchvision's ImageFolder), with the evaluation preprocessing of the authors' code (ConvNeXt's
 * build_transform, which VanillaNet's main.py uses): resize the shorter side to size / crop_pct (224 -> 256) with
 * bicubic interpolation, centre-crop size x size, scale to [0, 1], normalise with the ImageNet mean/std.
 *
 * Images are decoded (sharp, on libuv's thread pool) one batch ahead of the model, so decoding overlaps inference.
 */
import * as tf from '@tensorflow/tfjs';
import {
  cropResizeTarget,
  decodeImage,
  IMAGENET_CROP_PCT,
  IMAGENET_MEAN,
  IMAGENET_STD,
  listImageFolder,
  type DecodeOptions,
  type ResizeKernel,
} from '../data/imageFolder.js';
import { UserError } from '../util/errors.js';
import { preprocessImage, type DatasetPreprocessing, type Preprocessing } from '../data/preprocessing.js';

export interface EvalOptions {
  root: string;
  /** at most this many images, taken round-robin over the classes (so a small limit still covers every class) */
  limit?: number;
  batch: number;
  cropPct?: number;
  kernel?: ResizeKernel;
  /** what the model records (a trained model: its dataset's pipeline); default the authors' ImageNet transform */
  preprocessing?: Preprocessing;
  /** parallel decodes within a batch (default 4) */
  concurrency?: number;
  /** called once the images are listed, before any is decoded */
  onStart?: (total: number) => void;
  onBatch?: (done: number, total: number, correct1: number) => void;
}

export interface EvalResult {
  root: string;
  images: number;
  classes: number;
  /** files found (before --limit) */
  available: number;
  correct1: number;
  correct5: number;
  /** fractions in [0, 1] */
  top1: number;
  top5: number;
  seconds: number;
  /** end to end: decoding + preprocessing + inference */
  imagesPerSec: number;
  /** time spent in the model alone (predict + readback) */
  inferenceSeconds: number;
  preprocessing:
    { kind: 'imagenet'; resize: number; crop: number; cropPct: number; interpolation: ResizeKernel; mean: number[]; std: number[] } | DatasetPreprocessing;
}

/** Files in round-robin class order (class 0's first image, class 1's first, …), cut at `limit`. */
export function roundRobin<T extends { label: number }>(files: readonly T[], classes: number, limit?: number): T[] {
  if (limit === undefined || limit >= files.length) return [...files];
  const per: T[][] = Array.from({ length: classes }, () => []);
  for (const f of files) per[f.label].push(f);
  const out: T[] = [];
  for (let i = 0; out.length < limit; i++) {
    for (const list of per) {
      if (i < list.length && out.length < limit) out.push(list[i]);
    }
  }
  return out;
}

/** Rank of the true class among the logits (0 = top-1); ties go to the lower index, as predict's top-5 orders them. */
export function rankOf(logits: ArrayLike<number>, offset: number, n: number, label: number): number {
  const v = logits[offset + label];
  let rank = 0;
  for (let j = 0; j < n; j++) {
    const x = logits[offset + j];
    if (x > v || (x === v && j < label)) rank++;
  }
  return rank;
}

/** The input size and class count of a model that takes square RGB images and returns class scores (else a UserError). */
function imageClassifierShape(model: tf.LayersModel): { h: number; w: number; numClasses: number } {
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  const [h, w, c] = inShape.slice(1) as number[];
  if (inShape.length !== 4 || h !== w || c !== 3 || outShape.length !== 2 || typeof outShape[1] !== 'number') {
    throw new UserError(
      `evaluation needs a model taking square RGB images and returning class scores; this one takes [${inShape.slice(1).join(', ')}] and returns [${outShape.slice(1).join(', ')}]`,
    );
  }
  const numClasses = outShape[1];
  return { h, w, numClasses };
}

/** Decodes batch after batch of `files` (the batch from a start index), `concurrency` images at a time. */
function batchDecoder(
  files: readonly { file: string }[],
  decode: (file: string, out: Float32Array, offset: number) => Promise<unknown>,
  per: number,
  batch: number,
  concurrency: number,
): (start: number) => Promise<Float32Array> {
  return async (start) => {
    const n = Math.min(batch, files.length - start);
    const buf = new Float32Array(n * per);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        await decode(files[start + i].file, buf, i * per);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
    return buf;
  };
}

export async function evaluateFolder(model: tf.LayersModel, o: EvalOptions): Promise<EvalResult> {
  const { h, w, numClasses } = imageClassifierShape(model);
  const listing = listImageFolder(o.root);
  if (listing.classNames.length !== numClasses) {
    throw new UserError(
      `${o.root} has ${listing.classNames.length} class folders but the model has ${numClasses} outputs; ` +
        "the sorted folder names are the class indices (as torchvision's ImageFolder), so they must match one to one",
    );
  }
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 1)) throw new UserError(`--limit must be a positive integer, got ${o.limit}`);
  const files = roundRobin(listing.files, numClasses, o.limit);
  const cropPct = o.cropPct ?? (o.preprocessing?.kind === 'imagenet' ? o.preprocessing.cropPct : IMAGENET_CROP_PCT);
  const kernel = o.kernel ?? 'cubic';
  const dec: DecodeOptions = {
    height: h,
    width: w,
    mode: 'crop',
    cropPct,
    channels: 3,
    kernel,
    normalize: { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] },
  };
  const per = h * w * 3;
  const recorded = o.preprocessing?.kind === 'dataset' ? o.preprocessing : null;
  const decode = recorded
    ? async (file: string, out: Float32Array, offset: number) => out.set(await preprocessImage(file, recorded, h, kernel), offset)
    : (file: string, out: Float32Array, offset: number) => decodeImage(file, dec, out, offset);
  const decodeBatch = batchDecoder(files, decode, per, o.batch, Math.max(1, o.concurrency ?? 4));

  o.onStart?.(files.length);
  const t0 = performance.now();
  let inferMs = 0;
  let correct1 = 0;
  let correct5 = 0;
  let pending: Promise<Float32Array> | null = files.length > 0 ? decodeBatch(0) : null;
  for (let start = 0; start < files.length; start += o.batch) {
    const pixels = await pending!;
    const n = pixels.length / per;
    // prefetch: the next batch decodes on the thread pool while this one runs
    pending = start + o.batch < files.length ? decodeBatch(start + o.batch) : null;
    pending?.catch(() => {}); // its error surfaces when awaited
    const ti = performance.now();
    const y = tf.tidy(() => model.predict(tf.tensor4d(pixels, [n, h, w, 3])) as tf.Tensor);
    const logits = await y.data();
    y.dispose();
    inferMs += performance.now() - ti;
    for (let i = 0; i < n; i++) {
      const rank = rankOf(logits, i * numClasses, numClasses, files[start + i].label);
      if (rank === 0) correct1++;
      if (rank < 5) correct5++;
    }
    o.onBatch?.(start + n, files.length, correct1);
  }
  const seconds = (performance.now() - t0) / 1000;
  const images = files.length;
  return {
    root: o.root,
    images,
    classes: numClasses,
    available: listing.files.length,
    correct1,
    correct5,
    top1: images > 0 ? correct1 / images : 0,
    top5: images > 0 ? correct5 / images : 0,
    seconds,
    imagesPerSec: seconds > 0 ? images / seconds : 0,
    inferenceSeconds: inferMs / 1000,
    preprocessing: recorded ?? {
      kind: 'imagenet',
      resize: cropResizeTarget(h, cropPct),
      crop: h,
      cropPct,
      interpolation: kernel,
      mean: [...IMAGENET_MEAN],
      std: [...IMAGENET_STD],
    },
  };
}
