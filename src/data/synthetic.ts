/**
 * Deterministic synthetic classification data for smoke runs.
 *
 * Each class has a prototype drawn from `seed`: an oriented stripe pattern
 * (orientation, spatial frequency, per-channel colour) plus a Gaussian blob
 * (position, size, per-channel colour). Each example draws a random stripe
 * phase, blob jitter and contrast, and Gaussian pixel noise. Classes differ
 * in orientation/frequency/colour/blob position, so a small convnet learns
 * them easily, while the per-example randomness keeps it from being trivial.
 *
 * Train and test splits share the class prototypes (same `seed`) but draw
 * their examples from independent streams (the `split` label).
 */
import { UserError } from '../util/errors.js';
import { checkDataset, type Dataset, type DatasetSplits } from './dataset.js';
import { deriveSeed, Rng } from './rng.js';

export interface SyntheticOptions {
  /** Number of examples. */
  n: number;
  height?: number;
  width?: number;
  channels?: number;
  numClasses?: number;
  /** Seed for the class prototypes and the examples. */
  seed?: number;
  /** Which stream of examples to draw ('train', 'test', ...); prototypes do not depend on it. */
  split?: string;
  /** Standard deviation of the per-pixel Gaussian noise (default 0.1). */
  noise?: number;
}

interface Prototype {
  theta: number;
  freq: number;
  stripeColour: number[];
  blobY: number;
  blobX: number;
  blobSigma: number;
  blobColour: number[];
}

function makePrototypes(numClasses: number, channels: number, seed: number): Prototype[] {
  const rng = new Rng(deriveSeed(seed, 'synthetic-prototypes'));
  // Spread orientations evenly and give neighbouring classes different frequencies,
  // then shuffle which class gets which, so any class count stays separable.
  const orientations = Math.max(2, Math.min(8, numClasses));
  const order = rng.permutation(numClasses);
  const protos: Prototype[] = [];
  for (let c = 0; c < numClasses; c++) {
    const k = order[c];
    const theta = (Math.PI * (k % orientations)) / orientations + rng.uniform(-0.05, 0.05);
    const band = Math.floor(k / orientations);
    const freq = 1.5 + ((band * 1.3) % 4) + rng.uniform(0, 0.4);
    const colour = () => Array.from({ length: channels }, () => rng.uniform(0.3, 1));
    protos.push({
      theta,
      freq,
      stripeColour: colour(),
      blobY: rng.uniform(0.25, 0.75),
      blobX: rng.uniform(0.25, 0.75),
      blobSigma: rng.uniform(0.1, 0.2),
      blobColour: colour().map((v, i) => (i % 2 === 0 ? v : -v)),
    });
  }
  return protos;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new UserError(`synthetic data: ${what} must be a positive integer, got ${v}`);
  return v;
}

/** Generates a synthetic dataset (pixels in [0, 1]). Same options → identical data. */
export function makeSynthetic(opts: SyntheticOptions): Dataset {
  const n = positiveInt(opts.n, 'number of examples');
  const height = positiveInt(opts.height ?? 32, 'height');
  const width = positiveInt(opts.width ?? 32, 'width');
  const channels = positiveInt(opts.channels ?? 3, 'channels');
  const numClasses = positiveInt(opts.numClasses ?? 10, 'number of classes');
  if (numClasses > 65536) throw new UserError(`synthetic data: at most 65536 classes, got ${numClasses}`);
  const seed = opts.seed ?? 0;
  const split = opts.split ?? 'train';
  const noise = opts.noise ?? 0.1;
  if (!(noise >= 0)) throw new UserError(`synthetic data: noise must be >= 0, got ${noise}`);

  const protos = makePrototypes(numClasses, channels, seed);
  const order = new Rng(deriveSeed(seed, 'synthetic-labels', split)).permutation(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[order[i]] = i % numClasses; // balanced, shuffled

  const per = height * width * channels;
  const images = new Float32Array(n * per);
  const ys = Float64Array.from({ length: height }, (_, y) => (y + 0.5) / height);
  const xs = Float64Array.from({ length: width }, (_, x) => (x + 0.5) / width);
  for (let i = 0; i < n; i++) {
    const p = protos[labels[i]];
    const rng = new Rng(deriveSeed(seed, 'synthetic-example', split, i));
    const phase = rng.uniform(0, 2 * Math.PI);
    const contrast = rng.uniform(0.7, 1);
    const by = p.blobY + rng.uniform(-0.08, 0.08);
    const bx = p.blobX + rng.uniform(-0.08, 0.08);
    const brightness = rng.uniform(-0.05, 0.05);
    const cos = Math.cos(p.theta);
    const sin = Math.sin(p.theta);
    const w = 2 * Math.PI * p.freq;
    const inv2s2 = 1 / (2 * p.blobSigma * p.blobSigma);
    const base = i * per;
    for (let y = 0; y < height; y++) {
      const yy = ys[y];
      for (let x = 0; x < width; x++) {
        const xx = xs[x];
        const stripe = Math.sin(w * (xx * cos + yy * sin) + phase);
        const d2 = (yy - by) * (yy - by) + (xx - bx) * (xx - bx);
        const blob = Math.exp(-d2 * inv2s2);
        const o = base + (y * width + x) * channels;
        for (let c = 0; c < channels; c++) {
          let v = 0.5 + brightness + 0.25 * contrast * stripe * p.stripeColour[c] + 0.35 * blob * p.blobColour[c];
          if (noise > 0) v += rng.normal(0, noise);
          images[o + c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    }
  }
  return checkDataset({
    images,
    labels,
    n,
    height,
    width,
    channels,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, c) => `class${c}`),
    name: `synthetic/${split}`,
    source: 'synthetic',
  });
}

/** Train and test splits sharing prototypes but with independent examples. */
export function makeSyntheticSplits(opts: Omit<SyntheticOptions, 'n' | 'split'> & { trainSize?: number; testSize?: number }): DatasetSplits {
  const { trainSize = 2000, testSize = 500, ...rest } = opts;
  return {
    train: makeSynthetic({ ...rest, n: trainSize, split: 'train' }),
    test: makeSynthetic({ ...rest, n: testSize, split: 'test' }),
  };
}
