/**
 * Mini-batch training of a Model: AdamW with a warm-up + cosine learning rate, optional label smoothing, the
 * deep-training lambda schedule, evaluation each epoch, and at the end the merge to the deploy form, whose accuracy
 * is evaluated too. Deterministic for a seed on a given backend (data order, augmentation, init, dropout).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import { iterateBatches, numBatches } from '../data/batches.js';
import { Model } from '../nn/model.js';
import { isTrainable, type Weights } from '../nn/weights.js';
import { AdamW } from './adamw.js';
import { canFuse, runningStatsUpdate } from '../backend/kernels/fused.js';
import { cosineLr, defaultDecayEpochs, lambdaAtStep, type LambdaShape } from './schedule.js';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmupEpochs: number;
  weightDecay: number;
  labelSmoothing: number;
  /** epochs over which lambda goes 0 -> 1 (deep training; may be fractional); 0 = no annealing.
   *  resolveTrainConfig defaults it to epochs / 3 (the authors' 100 of 300) */
  decayEpochs: number;
  lambdaShape: LambdaShape;
  /** lambda set before every optimisation step, or (the authors' main.py) at the start of every epoch */
  lambdaPer: 'step' | 'epoch';
  /** once lambda reaches 1, merge the conv pairs and keep training the merged (deploy-form) model */
  mergeAfterDecay: boolean;
  /** training batches only: random crop from the image zero-padded by 4 (raw black) + horizontal flip, seeded */
  augment: boolean;
  /** score the final model (trained form at lambda 1 and deploy form) on the test split too (testTop1, deployTestTop1) */
  evalTest: boolean;
  seed: number;
  bnMomentum: number;
  evalBatchSize: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 10,
  batchSize: 64,
  lr: 2e-3,
  minLr: 1e-6,
  warmupEpochs: 1,
  weightDecay: 0.05,
  labelSmoothing: 0.1,
  decayEpochs: defaultDecayEpochs(10),
  lambdaShape: 'linear',
  lambdaPer: 'step',
  mergeAfterDecay: false,
  augment: false,
  evalTest: true,
  seed: 0,
  bnMomentum: 0.1,
  evalBatchSize: 256,
};

/** Trainer settings over the defaults; decayEpochs, when not given, is a third of the epochs (the authors' 100/300). */
export function resolveTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...given };
  if (given.decayEpochs === undefined) cfg.decayEpochs = defaultDecayEpochs(cfg.epochs);
  return cfg;
}

export interface EpochMetrics {
  epoch: number;
  lambda: number;
  lr: number;
  trainLoss: number;
  trainTop1: number;
  valLoss: number;
  valTop1: number;
  imagesPerSec: number;
  seconds: number;
  merged: boolean;
}

export interface TrainResult {
  status: 'ok' | 'diverged';
  message?: string;
  epochs: EpochMetrics[];
  trainTop1: number;
  valTop1: number;
  deployValTop1: number | null;
  /** final top-1 on the test split (trained form at lambda 1, deploy form); null without a test set or evalTest */
  testTop1: number | null;
  deployTestTop1: number | null;
  imagesPerSec: number;
  wallSeconds: number;
  /** the final model in deploy form (caller disposes) */
  deploy: Model | null;
}

export interface StepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  imagesPerSec: number;
}

/** What one step did: the schedule values it used and the batch it saw (dataset indices, in batch order). */
export interface StepRecord {
  /** 0-based step over the whole run */
  step: number;
  epoch: number;
  lr: number;
  /** the deep-training lambda of this step's forward pass (1 when the model has no deep training or is merged) */
  lambda: number;
  loss: number;
  indices: Int32Array;
}

export interface TrainHooks {
  onStep?: (p: StepProgress) => void;
  onEpoch?: (m: EpochMetrics) => void;
  /**
   * After each step, with the model being trained: return true to stop the run there (no evaluation, no merge;
   * the result has no deploy model). `crosscheck` records the run against the PyTorch reference this way.
   */
  afterStep?: (r: StepRecord, model: Model, optimizer: AdamW) => boolean | void;
}

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

/** Async: the webgpu backend in Node can only read results back asynchronously (its readSync needs a browser). */
export async function evaluate(model: Model, ds: Dataset, batchSize: number): Promise<{ top1: number; loss: number }> {
  let correct = 0;
  let lossSum = 0;
  for (const b of iterateBatches(ds, { batchSize, shuffle: false })) {
    const [c, l] = tf.tidy(() => {
      const logits = model.predict(b.x);
      const onehot = tf.oneHot(b.y, ds.numClasses);
      const loss = tf.losses.softmaxCrossEntropy(onehot, logits, undefined, 0, tf.Reduction.SUM);
      return [tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), b.y), 'int32')), loss];
    });
    const [cv, lv] = await Promise.all([c.data(), l.data()]);
    tf.dispose([c, l]);
    correct += cv[0];
    lossSum += lv[0];
    b.x.dispose();
    b.y.dispose();
  }
  return { top1: (100 * correct) / ds.n, loss: lossSum / ds.n };
}

/**
 * `evalSet` is evaluated after every epoch (monitoring: the validation split); `testSet`, when given and cfg.evalTest,
 * scores the final model only (the official test split; may be evalSet itself).
 */
export async function train(
  initial: Model, trainSet: Dataset, evalSet: Dataset, cfg: TrainConfig, hooks: TrainHooks = {}, testSet?: Dataset,
): Promise<TrainResult> {
  const t0 = performance.now();
  let model = initial;
  let vars = makeTrainable(model.weights);
  let opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay });
  const stepsPerEpoch = numBatches(trainSet.n, cfg.batchSize, true);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const lrOpts = { lr: cfg.lr, minLr: cfg.minLr, warmupSteps: Math.round(cfg.warmupEpochs * stepsPerEpoch) };
  const deep = model.options.deepTraining;
  const epochs: EpochMetrics[] = [];
  let step = 0;
  let merged = model.form === 'deploy';
  let imagesSeen = 0;
  let trainSeconds = 0;

  const fail = (message: string): TrainResult => {
    opt.dispose();
    return { status: 'diverged', message, epochs, trainTop1: NaN, valTop1: NaN, deployValTop1: null, testTop1: null, deployTestTop1: null, imagesPerSec: imagesSeen / trainSeconds, wallSeconds: (performance.now() - t0) / 1000, deploy: null };
  };

  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const te = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lr = cfg.lr;
    for (const b of iterateBatches(trainSet, { batchSize: cfg.batchSize, shuffle: true, seed: cfg.seed, epoch, dropLast: true, augment: cfg.augment })) {
      if (deep && !merged) model.lambda = lambdaAtStep(step, stepsPerEpoch, cfg);
      lr = cosineLr(step, totalSteps, lrOpts);
      const { loss, hits } = await trainStepAsync(model, vars, opt, b.x, b.y, trainSet.numClasses, lr, cfg, step);
      correct += hits;
      if (!Number.isFinite(loss)) {
        b.x.dispose();
        b.y.dispose();
        return fail(`loss became ${loss} at epoch ${epoch + 1}, step ${step + 1} (lr ${lr.toExponential(2)}); stopped`);
      }
      lossSum += loss * b.size;
      seen += b.size;
      step++;
      b.x.dispose();
      b.y.dispose();
      if (hooks.afterStep?.({ step: step - 1, epoch, lr, lambda: deep && !merged ? model.lambda : 1, loss, indices: b.indices }, model, opt)) {
        opt.dispose();
        if (model !== initial) model.dispose();
        return { status: 'ok', message: `stopped after step ${step}`, epochs, trainTop1: NaN, valTop1: NaN, deployValTop1: null, testTop1: null, deployTestTop1: null, imagesPerSec: seen / ((performance.now() - te) / 1000), wallSeconds: (performance.now() - t0) / 1000, deploy: null };
      }
      const secs = (performance.now() - te) / 1000;
      hooks.onStep?.({ epoch, step: step - epoch * stepsPerEpoch, stepsPerEpoch, loss, imagesPerSec: seen / secs });
    }
    const trainSecs = (performance.now() - te) / 1000;
    trainSeconds += trainSecs;
    imagesSeen += seen;
    const ev = await evaluate(model, evalSet, cfg.evalBatchSize);
    if (!Number.isFinite(ev.loss)) return fail(`validation loss became ${ev.loss} after epoch ${epoch + 1}; stopped`);
    const m: EpochMetrics = {
      epoch: epoch + 1, lambda: merged ? 1 : model.lambda, lr, trainLoss: lossSum / seen, trainTop1: (100 * correct) / seen,
      valLoss: ev.loss, valTop1: ev.top1, imagesPerSec: seen / trainSecs, seconds: (performance.now() - te) / 1000, merged,
    };
    epochs.push(m);
    hooks.onEpoch?.(m);
    // mergeAfterDecay: from the epoch where lambda reaches 1 on, train the merged model
    if (cfg.mergeAfterDecay && deep && !merged && lambdaAtStep((epoch + 1) * stepsPerEpoch, stepsPerEpoch, cfg) >= 1) {
      model.lambda = 1;
      const next = model.toDeploy();
      if (model !== initial) model.dispose();
      opt.dispose();
      model = next;
      vars = makeTrainable(model.weights);
      opt = new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay });
      merged = true;
    }
  }
  opt.dispose();
  const scores = await finalScores(model, merged, deep, epochs, evalSet, cfg, testSet);
  return { status: 'ok', epochs, ...scores, imagesPerSec: imagesSeen / trainSeconds, wallSeconds: (performance.now() - t0) / 1000 };
}

/**
 * The end of a run: merge (at lambda 1; a run shorter than decayEpochs is merged at 1 too, reported as lambda) and score
 * the trained and the deploy form on the validation split, and on the test split when asked.
 */
async function finalScores(
  model: Model, merged: boolean, deep: boolean, epochs: EpochMetrics[], evalSet: Dataset, cfg: TrainConfig, testSet?: Dataset,
): Promise<Pick<TrainResult, 'trainTop1' | 'valTop1' | 'deployValTop1' | 'testTop1' | 'deployTestTop1' | 'deploy'>> {
  const last = epochs[epochs.length - 1];
  let deploy: Model;
  if (merged) {
    deploy = model;
  } else {
    model.lambda = 1;
    deploy = model.toDeploy();
  }
  const deployEval = await evaluate(deploy, evalSet, cfg.evalBatchSize);
  const finalVal = merged || !deep || (last?.lambda ?? 1) >= 1 ? last?.valTop1 ?? NaN : (await evaluate(model, evalSet, cfg.evalBatchSize)).top1;
  let testTop1: number | null = null;
  let deployTestTop1: number | null = null;
  if (testSet && cfg.evalTest) {
    // the trained form at lambda 1 (set above) and the merged model; the same model once merged during training
    testTop1 = testSet === evalSet ? finalVal : (await evaluate(model, testSet, cfg.evalBatchSize)).top1;
    deployTestTop1 = testSet === evalSet ? deployEval.top1 : merged ? testTop1 : (await evaluate(deploy, testSet, cfg.evalBatchSize)).top1;
  }
  return { trainTop1: last?.trainTop1 ?? NaN, valTop1: finalVal, deployValTop1: deployEval.top1, testTop1, deployTestTop1, deploy };
}

type StepConfig = Pick<TrainConfig, 'labelSmoothing' | 'seed' | 'bnMomentum'>;

/**
 * One optimisation step: forward in training mode, softmax cross-entropy (with label smoothing), gradients of every
 * trainable variable, AdamW update, BN running statistics. A non-finite loss skips the update (the caller stops).
 * Reads the loss synchronously: not on webgpu (see trainStepAsync).
 */
export function trainStep(
  model: Model, vars: Map<string, tf.Variable>, opt: AdamW, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, lr: number,
  cfg: StepConfig, step: number,
): { loss: number; hits: number } {
  const s = stepTensors(model, vars, x, y, numClasses, cfg, step);
  return finishStep(model, vars, opt, s, s.value.dataSync()[0], s.hits.dataSync()[0], lr, cfg);
}

/** trainStep reading the loss asynchronously, which every backend supports (webgpu in Node only this way). */
export async function trainStepAsync(
  model: Model, vars: Map<string, tf.Variable>, opt: AdamW, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, lr: number,
  cfg: StepConfig, step: number,
): Promise<{ loss: number; hits: number }> {
  const s = stepTensors(model, vars, x, y, numClasses, cfg, step);
  const [loss, hits] = await Promise.all([s.value.data(), s.hits.data()]);
  return finishStep(model, vars, opt, s, loss[0], hits[0], lr, cfg);
}

interface StepTensors {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  hits: tf.Tensor;
  bnStats: [string, tf.Tensor, tf.Tensor, number][];
}

function stepTensors(
  model: Model, vars: Map<string, tf.Variable>, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, cfg: StepConfig, step: number,
): StepTensors {
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

function finishStep(
  model: Model, vars: Map<string, tf.Variable>, opt: AdamW, s: StepTensors, loss: number, h: number, lr: number, cfg: StepConfig,
): { loss: number; hits: number } {
  const { value, grads, hits, bnStats } = s;
  tf.dispose([value, hits]);
  if (Number.isFinite(loss)) {
    opt.apply(vars, grads, lr);
    updateRunningStats(model.weights, bnStats, cfg.bnMomentum);
  } else {
    for (const [, m, v] of bnStats) tf.dispose([m, v]);
  }
  tf.dispose(Object.values(grads));
  return { loss, hits: h };
}

/** PyTorch's running-statistics update: r = (1 - m) r + m * batch (unbiased variance). */
function updateRunningStats(w: Weights, stats: [string, tf.Tensor, tf.Tensor, number][], momentum: number): void {
  for (const [id, mean, variance, n] of stats) {
    const rm = w.get(`${id}/movingMean`)!;
    const rv = w.get(`${id}/movingVariance`)!;
    const [nm, nv] = canFuse(rm, rv, mean, variance) ? runningStatsUpdate(rm, rv, mean, variance, momentum, n) : tf.tidy(() => [
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
