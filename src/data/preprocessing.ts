/**
 * How an image becomes a model's input, recorded with the model so that `predict` and `evaluate` apply what the
 * model was trained with: a model trained on Fashion-MNIST sees a grey 28x28 image padded to 32 and normalised
 * with its training split's mean/std, not ImageNet's crop and colours. Two kinds:
 *
 * - `imagenet`: the authors' evaluation transform (resize the shorter side to size / cropPct, centre crop, ImageNet
 *   mean/std): what their checkpoints (`import`) expect, and the fallback for a model that records nothing.
 * - `dataset`: what `train` did to its data: decode to the dataset's own image size and channels, bring it to the
 *   model's input (zero padding or bilinear resize, grey repeated to RGB), normalise with the training statistics.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelStats, Dataset } from './dataset.js';
import { decodeImage, IMAGENET_CROP_PCT, imagenetEvalPreprocess, type DecodeOptions } from './imageFolder.js';
import { fitToInput, normalize, type FitMethod } from './transforms.js';
import { readRegularFile } from '../util/boundedRead.js';
import { UserError } from '../util/errors.js';

export interface ImagenetPreprocessing {
  kind: 'imagenet';
  cropPct: number;
}

export interface DatasetPreprocessing {
  kind: 'dataset';
  /** e.g. 'fashion-mnist' */
  dataset: string;
  /** the dataset's own images: what a file is decoded to first (aspect kept, centre crop) */
  source: { height: number; width: number; channels: 1 | 3 };
  fit: FitMethod;
  inputSize: number;
  channels: number;
  mean: number[];
  std: number[];
}

export type Preprocessing = ImagenetPreprocessing | DatasetPreprocessing;

export const IMAGENET_PREPROCESSING: ImagenetPreprocessing = { kind: 'imagenet', cropPct: IMAGENET_CROP_PCT };

/** What a model records beside its weights about its inputs and outputs. */
export interface RecordedIO {
  preprocessing: Preprocessing | null;
  classNames: string[] | null;
}

/** The record of a training run's data pipeline (runTraining: raw split -> fit -> normalise). */
export function datasetPreprocessing(
  dataset: string,
  raw: Dataset,
  fit: FitMethod,
  inputSize: number,
  channels: number,
  stats: ChannelStats,
): DatasetPreprocessing {
  if (raw.channels !== 1 && raw.channels !== 3) throw new UserError(`${dataset}: images of ${raw.channels} channels cannot be recorded for predict`);
  return {
    kind: 'dataset',
    dataset,
    source: { height: raw.height, width: raw.width, channels: raw.channels },
    fit,
    inputSize,
    channels,
    mean: [...stats.mean],
    std: [...stats.std],
  };
}

/** One line for a command's output. */
export function describePreprocessing(p: Preprocessing): string {
  if (p.kind === 'imagenet') return `ImageNet evaluation (shorter side to input / ${p.cropPct}, centre crop, ImageNet mean/std)`;
  const s = p.source;
  const grey = s.channels === 1 ? 'grey ' : '';
  const fit = s.height === p.inputSize && s.width === p.inputSize ? '' : `, ${p.fit === 'pad' ? 'zero-padded' : 'resized'} to ${p.inputSize}`;
  return `as trained on ${p.dataset}: ${grey}${s.height}x${s.width}${fit}, ${p.channels} channels, its training mean/std`;
}

/** One image file (or encoded bytes) as the model's HWC input under `p`. */
export async function preprocessImage(input: string | Buffer, p: Preprocessing, size: number, kernel?: DecodeOptions['kernel']): Promise<Float32Array> {
  if (p.kind === 'imagenet') return imagenetEvalPreprocess(input, size, { cropPct: p.cropPct, kernel });
  if (p.inputSize !== size) throw new UserError(`the recorded preprocessing gives ${p.inputSize} px images; the model takes ${size} px`);
  const { height, width, channels } = p.source;
  const images = await decodeImage(input, { height, width, mode: 'crop', cropPct: 1, channels, kernel });
  const one: Dataset = { images, labels: new Int32Array(1), n: 1, height, width, channels, numClasses: 1, name: 'input', source: 'input' };
  const fitted = fitToInput(one, { height: p.inputSize, width: p.inputSize, channels: p.channels, method: p.fit });
  return normalize(fitted, { mean: p.mean, std: p.std }).images;
}

// ---- reading the record back (untrusted: a model directory from anywhere) ----------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 4096;

function checkPreprocessing(v: unknown, where: string): Preprocessing {
  const bad = (what: string): never => {
    throw new UserError(`${where}: preprocessing ${what}; remove it to fall back to the ImageNet evaluation preprocessing`);
  };
  if (!isObj(v)) return bad('is not an object');
  if (v.kind === 'imagenet') {
    const cropPct = v.cropPct ?? IMAGENET_CROP_PCT;
    if (typeof cropPct !== 'number' || !(cropPct > 0 && cropPct <= 1)) bad('cropPct must be in (0, 1]');
    return { kind: 'imagenet', cropPct: cropPct as number };
  }
  if (v.kind !== 'dataset') return bad(`kind must be 'imagenet' or 'dataset', got ${JSON.stringify(v.kind)}`);
  const s = v.source;
  if (!isObj(s) || !positiveInt(s.height) || !positiveInt(s.width) || (s.channels !== 1 && s.channels !== 3))
    bad('source must be { height, width, channels: 1 | 3 }');
  if (v.fit !== 'pad' && v.fit !== 'resize') bad("fit must be 'pad' or 'resize'");
  if (!positiveInt(v.inputSize) || !positiveInt(v.channels)) bad('inputSize and channels must be positive integers');
  const c = v.channels as number;
  if (!numbers(v.mean, c) || !numbers(v.std, c) || (v.std as number[]).some((x) => !(x > 0))) bad(`mean and std must be ${c} numbers (std positive)`);
  const src = s as DatasetPreprocessing['source'];
  return {
    kind: 'dataset',
    dataset: typeof v.dataset === 'string' ? v.dataset : 'its data',
    source: { height: src.height, width: src.width, channels: src.channels },
    fit: v.fit as FitMethod,
    inputSize: v.inputSize as number,
    channels: c,
    mean: [...(v.mean as number[])],
    std: [...(v.std as number[])],
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readRegularFile(file, { maxBytes: 64 * 2 ** 20 }).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The preprocessing and class names a model directory records (vanillabench.json from `import`, model.json's
 * userDefinedMetadata from `train`), each null when it records none. A malformed record is a UserError.
 */
export function readRecordedIO(dir: string, classes: number): RecordedIO {
  const meta = existsSync(join(dir, 'vanillabench.json')) ? readJson(join(dir, 'vanillabench.json')) : undefined;
  const mj = readJson(join(dir, 'model.json'));
  const udm = isObj(mj) && isObj(mj.userDefinedMetadata) ? mj.userDefinedMetadata : undefined;
  const [record, where] =
    isObj(meta) && (meta.preprocessing !== undefined || meta.classNames !== undefined) ? [meta, 'vanillabench.json'] : [udm, 'model.json'];
  if (!isObj(record)) return { preprocessing: null, classNames: null };
  const preprocessing = record.preprocessing === undefined ? null : checkPreprocessing(record.preprocessing, join(dir, where));
  const names = record.classNames;
  const classNames = Array.isArray(names) && names.length === classes && names.every((n) => typeof n === 'string') ? (names as string[]) : null;
  return { preprocessing, classNames };
}
