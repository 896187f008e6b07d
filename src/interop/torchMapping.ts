/**
 * PyTorch state dict -> our weights. Our node ids are the authors' module names, so a PyTorch parameter is
 * `<node id>.<torch param>`:
 * - conv:       weight [O, I, kh, kw]      -> kernel [kh, kw, I, O] (HWIO); bias -> bias
 * - depthwise:  weight [C, 1, k, k]        -> kernel [k, k, C, 1]   (the series activation); bias -> bias
 * - dense:      weight [out, in, 1, 1] (a 1x1 conv in the authors' classifier) or [out, in] (nn.Linear)
 *                                          -> kernel [in, out]; bias -> bias
 * - batchnorm:  weight -> gamma, bias -> beta, running_mean -> movingMean, running_var -> movingVariance
 *               (num_batches_tracked is ignored).
 * Every missing, unexpected or mis-shaped tensor is reported in one UserError, with a hint at the flag that fixes it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Form, ModelDescription } from '../models/graph.js';
import type { ModelOptions } from '../models/options.js';
import { describeModel } from '../models/zoo.js';
import { VANILLANET_SPECS } from '../models/vanillanet.js';
import { weightSpecs, type Weights } from '../nn/weights.js';
import { UserError, oneOf } from '../util/errors.js';
import type { LoadedTensor } from './tensor.js';

/** One parameter tensor of a model description, as PyTorch names and lays it out. */
export interface TorchParam {
  /** PyTorch name, e.g. `stages.0.conv1.0.weight` */
  torchName: string;
  /** our weights key, e.g. `stages.0.conv1.0/kernel` */
  key: string;
  nodeId: string;
  op: 'conv' | 'depthwise' | 'dense' | 'batchnorm';
  /** our parameter name (kernel, bias, gamma, beta, movingMean, movingVariance) */
  param: string;
  /** our (tfjs) shape */
  shape: number[];
  /** the PyTorch shape */
  torchShape: number[];
  /** another PyTorch shape accepted (a dense layer stored as nn.Linear: [out, in]) */
  altTorchShape?: number[];
}

const BN_NAMES: Record<string, string> = { gamma: 'weight', beta: 'bias', movingMean: 'running_mean', movingVariance: 'running_var' };

/** State-dict entries that carry no weights we use. */
export const IGNORED_TORCH_SUFFIXES: readonly string[] = ['num_batches_tracked'];

export const isIgnoredTorchName = (name: string): boolean => IGNORED_TORCH_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`));

/** Every parameter tensor `desc` needs, with its PyTorch name and shape, in node order. */
export function torchParams(desc: ModelDescription): TorchParam[] {
  return weightSpecs(desc).map(({ node, param, key, shape }): TorchParam => {
    const base = { key, nodeId: node.id, param, shape: [...shape] };
    switch (node.op) {
      case 'conv': {
        const [kh, kw, i, o] = shape;
        return param === 'kernel'
          ? { ...base, op: 'conv', torchName: `${node.id}.weight`, torchShape: [o, i, kh, kw] }
          : { ...base, op: 'conv', torchName: `${node.id}.bias`, torchShape: [...shape] };
      }
      case 'depthwise': {
        const [k, , c] = shape;
        return param === 'kernel'
          ? { ...base, op: 'depthwise', torchName: `${node.id}.weight`, torchShape: [c, 1, k, k] }
          : { ...base, op: 'depthwise', torchName: `${node.id}.bias`, torchShape: [...shape] };
      }
      case 'dense': {
        const [i, o] = shape;
        return param === 'kernel'
          ? { ...base, op: 'dense', torchName: `${node.id}.weight`, torchShape: [o, i, 1, 1], altTorchShape: [o, i] }
          : { ...base, op: 'dense', torchName: `${node.id}.bias`, torchShape: [...shape] };
      }
      case 'batchnorm':
        return { ...base, op: 'batchnorm', torchName: `${node.id}.${BN_NAMES[param]}`, torchShape: [...shape] };
      default:
        throw new Error(`internal: ${node.op} node ${node.id} has parameter ${param}`);
    }
  });
}

/** The form a VanillaNet state dict is in, from its names (stem1.0.weight: train; stem.0.weight: deploy). */
export function detectTorchForm(names: Iterable<string>): Form | undefined {
  const set = new Set(names);
  if (set.has('stem1.0.weight')) return 'train';
  if (set.has('stem.0.weight')) return 'deploy';
  return undefined;
}

/** The prefix DataParallel / DistributedDataParallel put on every name, stripped when every name has it. */
export const DATA_PARALLEL_PREFIX = 'module.';

/** The state dict without `module.` prefixes (when every name has one), and the prefix stripped. */
export function stripDataParallelPrefix<T>(state: ReadonlyMap<string, T>): { state: ReadonlyMap<string, T>; stripped: string | undefined } {
  const names = [...state.keys()];
  if (names.length === 0 || !names.every((n) => n.startsWith(DATA_PARALLEL_PREFIX))) return { state, stripped: undefined };
  return { state: new Map([...state].map(([n, t]) => [n.slice(DATA_PARALLEL_PREFIX.length), t])), stripped: DATA_PARALLEL_PREFIX };
}

const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Describes a target for error messages: "vanillanet-5 (width 0.0625, 10 classes, train form)". */
export function describeTarget(desc: ModelDescription, options?: ModelOptions): string {
  const parts: string[] = [];
  if (options) parts.push(`width ${options.width}`);
  parts.push(`${desc.numClasses} classes`, `${desc.form} form`);
  return `${desc.name} (${parts.join(', ')})`;
}

export interface TorchMismatch {
  missing: string[];
  unexpected: string[];
  wrongShape: { name: string; op: TorchParam['op']; shape: number[]; expected: number[] }[];
}

/** What in `names -> shapes` does not fit `desc` (ignored entries such as num_batches_tracked left out). */
export function compareTorchStateDict(shapes: ReadonlyMap<string, readonly number[]>, desc: ModelDescription): TorchMismatch {
  const params = torchParams(desc);
  const expected = new Set(params.map((p) => p.torchName));
  const missing: string[] = [];
  const wrongShape: TorchMismatch['wrongShape'] = [];
  for (const p of params) {
    const shape = shapes.get(p.torchName);
    if (shape === undefined) missing.push(p.torchName);
    else if (!sameShape(shape, p.torchShape) && !(p.altTorchShape && sameShape(shape, p.altTorchShape))) {
      wrongShape.push({ name: p.torchName, op: p.op, shape: [...shape], expected: p.torchShape });
    }
  }
  const unexpected = [...shapes.keys()].filter((n) => !expected.has(n) && !isIgnoredTorchName(n));
  return { missing, unexpected, wrongShape };
}

const MAX_LISTED = 12;
const list = (names: string[]) =>
  names.length <= MAX_LISTED ? names.join(', ') : `${names.slice(0, MAX_LISTED).join(', ')} and ${names.length - MAX_LISTED} more`;

const stageCount = (names: Iterable<string>): number => {
  let n = 0;
  for (const name of names) {
    const m = /^stages\.(\d+)\./.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
};

/** Rounds an estimated width multiplier to what a user would type (1/2^k or 3 significant digits). */
function niceWidth(w: number): string {
  const k = Math.round(Math.log2(w));
  if (Math.abs(w - 2 ** k) / 2 ** k < 0.02) return String(2 ** k);
  return String(Number(w.toPrecision(3)));
}

/** Flags that would make the model fit the checkpoint, as far as the mismatch tells. */
function hints(m: TorchMismatch, shapes: ReadonlyMap<string, readonly number[]>, desc: ModelDescription, options: ModelOptions | undefined): string[] {
  const out: string[] = [];
  const ckptForm = detectTorchForm(shapes.keys());
  if (ckptForm && ckptForm !== desc.form) out.push(`the checkpoint is in ${ckptForm} form (--form ${ckptForm}, or leave --form out)`);
  if (desc.family === 'vanillanet' && (m.missing.length > 0 || m.unexpected.length > 0)) {
    const have = stageCount(shapes.keys());
    const want = stageCount(torchParams(desc).map((p) => p.torchName));
    if (have > 0 && have !== want) {
      const fits = Object.entries(VANILLANET_SPECS)
        .filter(([, s]) => s.strides.length === have)
        .map(([n]) => n);
      out.push(`the checkpoint has ${have} stages, ${desc.name} has ${want}${fits.length ? ` (--model ${oneOf(fits)})` : ''}`);
    }
  }
  let classes: number | undefined;
  let width: number | undefined;
  let actNum: number | undefined;
  for (const w of m.wrongShape) {
    if (w.shape.length !== w.expected.length) continue;
    const diff = w.expected.map((d, i) => [d, w.shape[i]] as const).filter(([a, b]) => a !== b);
    const isCls = /^cls/.test(w.name);
    if (isCls && diff.every(([a]) => a === desc.numClasses)) classes ??= diff[0][1];
    else if (w.op === 'depthwise' && w.shape[0] === w.expected[0] && w.shape[1] === 1 && w.shape[2] === w.shape[3]) {
      actNum ??= (w.shape[2] - 1) / 2;
    } else if (options && !isCls) {
      const [a, b] = diff[0];
      width ??= (options.width * b) / a;
    }
  }
  if (width !== undefined) out.push(`the channel counts fit --width ${niceWidth(width)}`);
  if (classes !== undefined) out.push(`the classifier has ${classes} classes (--classes ${classes})`);
  if (actNum !== undefined && Number.isInteger(actNum)) out.push(`the series activation kernels fit --act-num ${actNum}`);
  return out;
}

/** One message for everything that does not fit (throw it as a UserError), or null when all fits. */
export function mismatchMessage(source: string, shapes: ReadonlyMap<string, readonly number[]>, desc: ModelDescription, options?: ModelOptions): string | null {
  const m = compareTorchStateDict(shapes, desc);
  if (m.missing.length === 0 && m.unexpected.length === 0 && m.wrongShape.length === 0) return null;
  const parts: string[] = [];
  if (m.missing.length) parts.push(`missing (${m.missing.length}): ${list(m.missing)}`);
  if (m.unexpected.length) parts.push(`unexpected (${m.unexpected.length}): ${list(m.unexpected)}`);
  if (m.wrongShape.length) {
    const shown = m.wrongShape.slice(0, MAX_LISTED).map((w) => `${w.name} is ${fmt(w.shape)}, expected ${fmt(w.expected)}`);
    const more = m.wrongShape.length > MAX_LISTED ? ` and ${m.wrongShape.length - MAX_LISTED} more` : '';
    parts.push(`wrong shape (${m.wrongShape.length}): ${shown.join(', ')}${more}`);
  }
  const h = hints(m, shapes, desc, options);
  return `${source} does not fit ${describeTarget(desc, options)}: ${parts.join('; ')}${h.length ? ` (hint: ${h.join('; ')})` : ''}`;
}

/** Our tensor from a PyTorch one (shapes already checked). */
function convert(p: TorchParam, t: LoadedTensor): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor(t.data, t.shape, 'float32');
    if (p.param !== 'kernel') return x.reshape(p.shape);
    switch (p.op) {
      case 'conv':
        return tf.transpose(x, [2, 3, 1, 0]); // OIHW -> HWIO
      case 'depthwise':
        return tf.transpose(x, [2, 3, 0, 1]); // C1kk -> kkC1
      case 'dense':
        return tf.transpose(x.reshape([p.torchShape[0], p.torchShape[1]]), [1, 0]); // [out, in(,1,1)] -> [in, out]
      default:
        return x.reshape(p.shape);
    }
  });
}

/**
 * Maps a PyTorch state dict onto `desc` (either form). Throws one UserError naming `source` and listing every
 * missing, unexpected and mis-shaped tensor. The returned tensors are new (the caller disposes them).
 */
export function mapTorchStateDict(state: ReadonlyMap<string, LoadedTensor>, desc: ModelDescription, ctx: { source: string; options?: ModelOptions }): Weights {
  const shapes = new Map([...state].map(([n, t]) => [n, t.shape] as const));
  const msg = mismatchMessage(ctx.source, shapes, desc, ctx.options);
  if (msg) throw new UserError(msg);
  const w: Weights = new Map();
  for (const p of torchParams(desc)) w.set(p.key, convert(p, state.get(p.torchName)!));
  return w;
}

/**
 * The inverse mapping (our weights -> a PyTorch-layout state dict), e.g. to write test checkpoints. Async: read
 * back with data(), which every backend has (webgpu in Node cannot read synchronously).
 */
export async function toTorchStateDict(desc: ModelDescription, w: Weights): Promise<Map<string, LoadedTensor>> {
  const out = new Map<string, LoadedTensor>();
  for (const p of torchParams(desc)) {
    const t = w.get(p.key);
    if (!t) throw new Error(`internal: no weight ${p.key}`);
    const perm = p.param !== 'kernel' ? null : p.op === 'conv' ? [3, 2, 0, 1] : p.op === 'depthwise' ? [2, 3, 0, 1] : p.op === 'dense' ? [1, 0] : null;
    const laid = perm ? tf.transpose(t, perm) : t;
    try {
      const data = (await laid.data()) as Float32Array;
      out.set(p.torchName, { shape: [...p.torchShape], data: Float32Array.from(data), dtype: 'float32' });
    } finally {
      if (laid !== t) laid.dispose();
    }
  }
  return out;
}

export interface TorchImport {
  desc: ModelDescription;
  /** tfjs weights of `desc` */
  weights: Weights;
  form: Form;
  /** true when the form came from the names, false when it was given */
  formDetected: boolean;
  /** tensors present but not needed (num_batches_tracked) */
  ignored: string[];
  /** `module.` when every name had it and it was stripped */
  strippedPrefix?: string;
}

/**
 * Maps a state dict onto model `name` with `options`, in `form` when given, else the form its names show
 * (falling back to the form whose names it shares most).
 */
export function importTorchStateDict(
  state: ReadonlyMap<string, LoadedTensor>,
  name: string,
  options: ModelOptions,
  opts: { source: string; form?: Form },
): TorchImport {
  const { state: sd, stripped } = stripDataParallelPrefix(state);
  let form = opts.form;
  const detected = form === undefined;
  if (form === undefined) form = detectTorchForm(sd.keys());
  if (form === undefined) {
    const overlap = (f: Form) => {
      const names = new Set(torchParams(describeModel(name, options, f)).map((p) => p.torchName));
      return [...sd.keys()].filter((n) => names.has(n)).length;
    };
    form = overlap('deploy') > overlap('train') ? 'deploy' : 'train';
  }
  const desc = describeModel(name, options, form);
  const weights = mapTorchStateDict(sd, desc, { source: opts.source, options });
  return {
    desc,
    weights,
    form,
    formDetected: detected,
    ignored: [...sd.keys()].filter(isIgnoredTorchName),
    ...(stripped ? { strippedPrefix: stripped } : {}),
  };
}
