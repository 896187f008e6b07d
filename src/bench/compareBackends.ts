/**
 * Same model, same weights, same input on two tfjs backends (e.g. webgpu against wasm): the largest output
 * difference relative to the largest reference output. Weights and BN statistics are randomised (as for
 * verify-reparam) so that every layer matters and the outputs are not near zero; they are made once, on the
 * reference backend, and copied to the other as plain arrays, so both run exactly the same numbers.
 * Results are read back with data() (the webgpu backend in Node has no synchronous read).
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice, type BackendInfo } from '../backend/select.js';
import type { Form } from '../models/graph.js';
import type { ModelOptions } from '../models/options.js';
import { Model } from '../nn/model.js';
import { randomizeForCheck, type Weights } from '../nn/weights.js';
import { formatDuration } from '../util/output.js';

export interface BackendComparisonRow {
  model: string;
  form: Form;
  maxAbsErr: number;
  /** largest |reference output| */
  maxAbsRef: number;
  /** maxAbsErr / maxAbsRef */
  relErr: number;
  ok: boolean;
  outputs: number;
}

export interface BackendComparison {
  test: BackendInfo;
  reference: BackendInfo;
  tolerance: number;
  rows: BackendComparisonRow[];
  allOk: boolean;
}

export interface CompareModel {
  name: string;
  options: ModelOptions;
  /** its cost (e.g. GMACs): the ETA after each model is the time so far per unit of cost times the cost left */
  cost?: number;
}

export interface CompareOptions {
  /** the models, or a choice made once the backends are known (e.g. a smaller set on a software adapter) */
  models: CompareModel[] | ((test: BackendInfo, reference: BackendInfo) => CompareModel[]);
  form: Form;
  test: BackendChoice;
  reference: BackendChoice;
  tolerance: number;
  batch: number;
  seed: number;
  /** train form: the deep-training lambda (default 1, where it equals its merged deploy form; below 1 the lambda activation is a leaky ReLU) */
  lambda?: number;
  log?: (line: string) => void;
}

type Snapshot = Map<string, { shape: number[]; values: Float32Array }>;

async function snapshot(w: Weights): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const [k, t] of w) out.set(k, { shape: [...t.shape], values: (await t.data()) as Float32Array });
  return out;
}

function restore(s: Snapshot): Weights {
  return new Map([...s].map(([k, { shape, values }]) => [k, tf.tensor(values, shape, 'float32')]));
}

async function run(model: Model, x: Float32Array, shape: [number, number, number, number]): Promise<Float32Array> {
  const input = tf.tensor4d(x, shape);
  const out = model.predict(input);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    tf.dispose([input, out]);
  }
}

/** "; 1/12 done in 40s, about 9m left" after model i (1-based), from the time per unit of cost so far. */
function etaAfter(models: readonly CompareModel[]): (done: number) => string {
  const t0 = performance.now();
  const cost = models.map((m) => m.cost ?? 1);
  const total = cost.reduce((a, b) => a + b, 0);
  return (done) => {
    if (models.length < 2) return '';
    const elapsed = (performance.now() - t0) / 1000;
    const spent = cost.slice(0, done).reduce((a, b) => a + b, 0);
    const left = done < models.length && spent > 0 ? `, about ${formatDuration((elapsed * (total - spent)) / spent)} left` : '';
    return `; ${done}/${models.length} done in ${formatDuration(elapsed)}${left}`;
  };
}

export async function compareBackends(opts: CompareOptions): Promise<BackendComparison> {
  const log = opts.log ?? (() => {});
  // select both once (the reference last, so models are made there); later switches are plain setBackend calls
  const test = await selectBackend(opts.test, { log });
  const reference = await selectBackend(opts.reference, { log });
  if (test.name === reference.name) log(`compare-backends: note: both are ${test.name}`);
  const models = typeof opts.models === 'function' ? opts.models(test, reference) : opts.models;
  const rows: BackendComparisonRow[] = [];
  const eta = etaAfter(models);
  for (const { name, options } of models) {
    await tf.setBackend(reference.name);
    const shape: [number, number, number, number] = [opts.batch, options.inputSize, options.inputSize, options.inputChannels];
    const x = tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', opts.seed + 2).dataSync() as Float32Array);
    const m = Model.create(name, options, opts.form, opts.seed);
    randomizeForCheck(m.desc, m.weights, opts.seed + 1);
    if (opts.form === 'train') m.setLambda(opts.lambda ?? 1);
    let weights: Snapshot;
    let ref: Float32Array;
    try {
      weights = await snapshot(m.weights);
      ref = await run(m, x, shape);
    } finally {
      m.dispose();
    }
    await tf.setBackend(test.name);
    const other = new Model(m.desc, options, restore(weights));
    other.lambda = m.lambda;
    let got: Float32Array;
    try {
      got = await run(other, x, shape);
    } finally {
      other.dispose();
    }
    let maxAbsErr = 0;
    let maxAbsRef = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(got[i] - ref[i]);
      maxAbsErr = Number.isNaN(d) ? Infinity : Math.max(maxAbsErr, d);
      maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i]));
    }
    const relErr = maxAbsRef > 0 ? maxAbsErr / maxAbsRef : maxAbsErr;
    const ok = got.length === ref.length && relErr <= opts.tolerance;
    rows.push({ model: name, form: opts.form, maxAbsErr, maxAbsRef, relErr, ok, outputs: ref.length });
    log(
      `${name} ${opts.form}: ${test.name} vs ${reference.name} relative error ${relErr.toExponential(2)} (max |ref| ${maxAbsRef.toPrecision(3)})${ok ? '' : ` > ${opts.tolerance}: MISMATCH`}${eta(rows.length)}`,
    );
  }
  return { test, reference, tolerance: opts.tolerance, rows, allOk: rows.every((r) => r.ok) };
}
