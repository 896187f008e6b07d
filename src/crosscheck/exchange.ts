/**
 * The exchange folder between our trainer and the PyTorch reference trainer (scripts/torch_train.py), format 1:
 *
 *   settings.json      { format: 1, model: { name, family, options }, train: {...}, run: { steps, stepsPerEpoch, seed, threads }, data }
 *   init.safetensors   our initial weights in PyTorch names and layouts (src/interop/torchMapping.ts), F32
 *   data.safetensors   images F32 [n, H, W, C] (the subset's base images: normalised, NHWC, not augmented),
 *                      labels I32 [n], pad_value F32 [C],
 *                      stream.indices I32 [steps, batch], stream.dy / stream.dx I32 [steps, batch] (crop offsets:
 *                      output (y, x) reads input (y + dy, x + dx), pad_value outside), stream.flip U8 [steps, batch]
 *   torch/result.json, torch/final.safetensors   written by the reference trainer
 *
 * A whole run (`ablate --engine torch`, ./referenceRun.ts) adds val.images/val.labels and test.images/test.labels to
 * data.safetensors, and stores grey images (3 equal channels) once (metadata stored_channels 1).
 *
 * The base images go once and each step only its indices and augmentation parameters, so a whole training run
 * (tens of thousands of images, several epochs) stays small. The parameters are those our augmentation draws
 * (src/data/transforms.ts augmentImage: dy, dx, flip from one Rng per (seed, epoch, example)); `streamFor` checks that
 * applying them reproduces the trainer's own batches bit for bit, so a change there cannot pass unnoticed.
 */
import { writeFileSync } from 'node:fs';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { gatherBatch } from '../data/batches.js';
import { deriveSeed, Rng } from '../data/rng.js';
import { zeroValue, type AugmentOptions } from '../data/transforms.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { TrainConfig } from '../train/options.js';

export const EXCHANGE_FORMAT = 1;

type Dtype = 'F32' | 'I32' | 'U8';
export interface RawTensor {
  dtype: Dtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** A safetensors file with F32, I32 and U8 tensors (little-endian, as the format requires). */
export function writeRawSafetensors(file: string, tensors: Record<string, RawTensor>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`internal: ${name} has shape [${t.shape}] but ${t.data.length} values`);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileAtomic(file, [len, json, ...chunks]);
}

export interface AugmentParams {
  dy: number;
  dx: number;
  flip: boolean;
}

/** The crop offsets and flip our augmentation draws for example `index` in `epoch` (same draws, same order). */
export function augmentParams(seed: number, epoch: number, index: number, aug: AugmentOptions): AugmentParams {
  const rng = new Rng(deriveSeed(seed, 'augment', epoch, index));
  const pad = aug.padding ?? 4;
  const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
  const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
  const flip = (aug.flip ?? true) ? rng.bool(0.5) : false;
  return { dy, dx, flip };
}

/** One HWC image cropped at (dy, dx) (padValue outside) and then maybe mirrored: what the reference trainer does. */
export function applyAugment(src: Float32Array, h: number, w: number, c: number, p: AugmentParams, padValue: readonly number[]): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sy = y + p.dy;
      const sx = (p.flip ? w - 1 - x : x) + p.dx;
      for (let k = 0; k < c; k++) {
        out[(y * w + x) * c + k] = sy < 0 || sy >= h || sx < 0 || sx >= w ? padValue[k] : src[(sy * w + sx) * c + k];
      }
    }
  }
  return out;
}

export interface StepBatch {
  epoch: number;
  indices: Int32Array;
}

export interface Stream {
  indices: Int32Array;
  dy: Int32Array;
  dx: Int32Array;
  flip: Uint8Array;
  batch: number;
  steps: number;
}

/**
 * The per-step stream of a run: indices and augmentation parameters. `augment` is what the trainer passed to its
 * batches (TrainConfig.augment). Throws if the parameters do not reproduce the trainer's batches exactly.
 */
export function streamFor(ds: Dataset, batches: StepBatch[], seed: number, augment: boolean | AugmentOptions): Stream {
  const batch = batches[0]?.indices.length ?? 0;
  const steps = batches.length;
  const s: Stream = {
    indices: new Int32Array(steps * batch),
    dy: new Int32Array(steps * batch),
    dx: new Int32Array(steps * batch),
    flip: new Uint8Array(steps * batch),
    batch,
    steps,
  };
  const aug: AugmentOptions | undefined = augment === true ? {} : augment || undefined;
  const per = exampleSize(ds);
  const padValue = zeroValue(ds);
  batches.forEach((b, k) => {
    if (b.indices.length !== batch) throw new Error(`internal: step ${k + 1} has ${b.indices.length} examples, expected ${batch}`);
    const ours = gatherBatch(ds, b.indices, { augment, seed, epoch: b.epoch });
    b.indices.forEach((j, i) => {
      const p = aug ? augmentParams(seed, b.epoch, j, aug) : { dy: 0, dx: 0, flip: false };
      const at = k * batch + i;
      s.indices[at] = j;
      s.dy[at] = p.dy;
      s.dx[at] = p.dx;
      s.flip[at] = p.flip ? 1 : 0;
      const mine = applyAugment(ds.images.subarray(j * per, (j + 1) * per), ds.height, ds.width, ds.channels, p, padValue);
      const theirs = ours.x.subarray(i * per, (i + 1) * per);
      for (let q = 0; q < per; q++) {
        if (mine[q] !== theirs[q]) {
          throw new Error(
            `internal: the exported augmentation parameters do not reproduce the trainer's batch (step ${k + 1}, example ${j}); src/data/transforms.ts changed: update src/crosscheck/exchange.ts and scripts/torch_train.py`,
          );
        }
      }
    });
  });
  return s;
}

/** The images of a dataset, only the first channel when every pixel's channels are equal (grey images as RGB). */
function storedImages(ds: Dataset, firstOnly: boolean): RawTensor {
  const shape = [ds.n, ds.height, ds.width, firstOnly ? 1 : ds.channels];
  if (!firstOnly) return { dtype: 'F32', shape, data: ds.images };
  const out = new Float32Array(ds.n * ds.height * ds.width);
  for (let i = 0; i < out.length; i++) out[i] = ds.images[i * ds.channels];
  return { dtype: 'F32', shape, data: out };
}

function channelsEqual(ds: Dataset): boolean {
  const c = ds.channels;
  for (let i = 0; i < ds.images.length; i += c) {
    for (let k = 1; k < c; k++) if (ds.images[i + k] !== ds.images[i]) return false;
  }
  return true;
}

/**
 * data.safetensors: base images, labels, pad value and the stream; for a whole run (`extra`) also the validation
 * and test splits (val.images, val.labels, test.images, test.labels). A whole run of grey images stores one channel
 * (metadata stored_channels 1; the reference repeats it to `channels`): a third of the size.
 */
export function writeData(file: string, ds: Dataset, s: Stream, extra: { val?: Dataset; test?: Dataset } = {}): void {
  const shape = [s.steps, s.batch];
  const splits: [string, Dataset][] = [['', ds]];
  if (extra.val) splits.push(['val.', extra.val]);
  if (extra.test) splits.push(['test.', extra.test]);
  const firstOnly = splits.length > 1 && ds.channels > 1 && splits.every(([, d]) => channelsEqual(d));
  const tensors: Record<string, RawTensor> = {};
  for (const [prefix, d] of splits) {
    if (d.channels !== ds.channels || d.height !== ds.height || d.width !== ds.width)
      throw new Error(`internal: the ${prefix || 'train.'} split's images differ in shape`);
    tensors[`${prefix}images`] = storedImages(d, firstOnly);
    tensors[`${prefix}labels`] = { dtype: 'I32', shape: [d.n], data: Int32Array.from(d.labels) };
  }
  writeRawSafetensors(
    file,
    {
      ...tensors,
      pad_value: { dtype: 'F32', shape: [ds.channels], data: Float32Array.from(zeroValue(ds)) },
      'stream.indices': { dtype: 'I32', shape, data: s.indices },
      'stream.dy': { dtype: 'I32', shape, data: s.dy },
      'stream.dx': { dtype: 'I32', shape, data: s.dx },
      'stream.flip': { dtype: 'U8', shape, data: s.flip },
    },
    { format: String(EXCHANGE_FORMAT), dataset: ds.name, channels: String(ds.channels), stored_channels: String(firstOnly ? 1 : ds.channels) },
  );
}

/** The trainer settings the reference reads (settings.json "train"); it computes its own schedules from them. */
export function referenceTrainSettings(cfg: TrainConfig): Record<string, unknown> {
  return {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    minLr: cfg.minLr,
    warmupEpochs: cfg.warmupEpochs,
    weightDecay: cfg.weightDecay,
    labelSmoothing: cfg.labelSmoothing,
    decayEpochs: cfg.decayEpochs,
    lambdaShape: cfg.lambdaShape,
    lambdaPer: cfg.lambdaPer,
    bnMomentum: cfg.bnMomentum,
    augment: cfg.augment,
    augmentPadding: cfg.augment ? 4 : 0,
    augmentFlip: cfg.augment,
    evalBatchSize: cfg.evalBatchSize,
  };
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
