/**
 * One optimisation step of the trainer (./trainer.ts), also timed alone by bench-train: forward in training mode,
 * loss, gradients, AdamW update and BatchNorm running statistics, on the model's trainable variables.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../nn/model.js';
import { isTrainable, type Weights } from '../nn/weights.js';
import type { AdamW } from './adamw.js';
import { canFuse, runningStatsUpdate } from '../backend/kernels/fused.js';
import type { TrainConfig } from './options.js';

/** Replaces the trainable tensors of a model by variables; returns them by weight key. */
export function makeTrainable(w: Weights): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  for (const [k, t] of w) {
    if (!isTrainable(k.slice(k.lastIndexOf('/') + 1))) continue;
    const v = t instanceof tf.Variable ? t : tf.variable(t, true);
    if (v !== t) t.dispose();
    w.set(k, v);
    vars.set(k, v);
  }
  return vars;
}

export type StepConfig = Pick<TrainConfig, 'labelSmoothing' | 'seed' | 'bnMomentum'>;

/** One optimisation step's inputs: the model being trained, the batch, the learning rate and the settings. */
export interface StepArgs {
  model: Model;
  /** the model's trainable variables (makeTrainable), updated in place */
  vars: Map<string, tf.Variable>;
  opt: AdamW;
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  numClasses: number;
  lr: number;
  cfg: StepConfig;
  /** 0-based step over the whole run (seeds this step's dropout) */
  step: number;
}

export interface StepResult {
  loss: number;
  /** correct top-1 predictions in the batch */
  hits: number;
}

/**
 * One optimisation step: forward in training mode, softmax cross-entropy (with label smoothing), gradients of every
 * trainable variable, AdamW update, BN running statistics. A non-finite loss skips the update (the caller stops).
 * Reads the loss synchronously: not on webgpu (see trainStepAsync).
 */
export function trainStep(a: StepArgs): StepResult {
  const s = stepTensors(a);
  return finishStep(a, s, s.value.dataSync()[0], s.hits.dataSync()[0]);
}

/** trainStep reading the loss asynchronously, which every backend supports (webgpu in Node only this way). */
export async function trainStepAsync(a: StepArgs): Promise<StepResult> {
  const s = stepTensors(a);
  const [loss, hits] = await Promise.all([s.value.data(), s.hits.data()]);
  return finishStep(a, s, loss[0], hits[0]);
}

interface StepTensors {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  hits: tf.Tensor;
  bnStats: [string, tf.Tensor, tf.Tensor, number][];
}

function stepTensors({ model, vars, x, y, numClasses, cfg, step }: StepArgs): StepTensors {
  const bnStats: [string, tf.Tensor, tf.Tensor, number][] = [];
  const { value, grads, hits } = tf.tidy(() => {
    let logitsKept: tf.Tensor | null = null;
    const r = tf.variableGrads(() => {
      const logits = model.apply(x, {
        training: true,
        dropoutSeed: cfg.seed * 1_000_003 + step,
        onBatchStats: (id, mean, variance, count) => bnStats.push([id, tf.keep(mean.clone()), tf.keep(variance.clone()), count]),
      });
      logitsKept = tf.keep(logits.clone());
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits, undefined, cfg.labelSmoothing);
    }, [...vars.values()]);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logitsKept!, 1), y), 'int32'));
    (logitsKept as tf.Tensor | null)?.dispose();
    return { value: r.value, grads: r.grads, hits };
  });
  return { value, grads, hits, bnStats };
}

/** The update from a step's tensors, once its loss (and hits) are read back; frees them. */
function finishStep({ model, vars, opt, lr, cfg }: StepArgs, s: StepTensors, loss: number, hits: number): StepResult {
  const { value, grads, bnStats } = s;
  tf.dispose([value, s.hits]);
  if (Number.isFinite(loss)) {
    opt.apply(vars, grads, lr);
    updateRunningStats(model.weights, bnStats, cfg.bnMomentum);
  } else {
    for (const [, m, v] of bnStats) tf.dispose([m, v]);
  }
  tf.dispose(Object.values(grads));
  return { loss, hits };
}

/** PyTorch's running-statistics update: r = (1 - m) r + m * batch (unbiased variance). */
function updateRunningStats(w: Weights, stats: [string, tf.Tensor, tf.Tensor, number][], momentum: number): void {
  for (const [id, mean, variance, n] of stats) {
    const rm = w.get(`${id}/movingMean`)!;
    const rv = w.get(`${id}/movingVariance`)!;
    const [nm, nv] = canFuse(rm, rv, mean, variance)
      ? runningStatsUpdate(rm, rv, mean, variance, momentum, n)
      : tf.tidy(() => [
          tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum)),
          tf.add(tf.mul(rv, 1 - momentum), tf.mul(variance, (momentum * n) / Math.max(1, n - 1))),
        ]);
    rm.dispose();
    rv.dispose();
    w.set(`${id}/movingMean`, nm);
    w.set(`${id}/movingVariance`, nv);
    mean.dispose();
    variance.dispose();
  }
}
