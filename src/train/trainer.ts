/**
 * Mini-batch training of a Model: AdamW with a warm-up + cosine learning rate, optional label smoothing, the
 * deep-training lambda schedule, evaluation each epoch, and at the end the merge to the deploy form, whose accuracy
 * is evaluated too. Deterministic for a seed on a given backend (data order, augmentation, init, dropout).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import { iterateBatches, numBatches } from '../data/batches.js';
import { Model } from '../nn/model.js';
import { AdamW } from './adamw.js';
import { cosineLr, lambdaAtStep } from './schedule.js';
import type { TrainConfig } from './options.js';
import { makeTrainable, trainStepAsync } from './trainStep.js';

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
  afterStep?: (r: StepRecord, model: Model, optimizer: AdamW) => boolean | void | Promise<boolean | void>;
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

/** The optimiser of a run (a fresh one for the merged model: its parameters are new). */
const newOptimizer = (cfg: TrainConfig): AdamW => new AdamW({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay });

/** The result of a run that ends before its final scores: it diverged, or a hook stopped it. */
function unscoredResult(status: TrainResult['status'], message: string, epochs: EpochMetrics[], imagesPerSec: number, t0: number): TrainResult {
  return {
    status,
    message,
    epochs,
    trainTop1: NaN,
    valTop1: NaN,
    deployValTop1: null,
    testTop1: null,
    deployTestTop1: null,
    imagesPerSec,
    wallSeconds: (performance.now() - t0) / 1000,
    deploy: null,
  };
}

/**
 * mergeAfterDecay: from the epoch where lambda reaches 1 on, training goes on with the merged model (at lambda 1),
 * its own variables and a fresh optimiser; the model before is freed unless it is the caller's.
 */
function mergedForTraining(model: Model, initial: Model, cfg: TrainConfig): { model: Model; vars: Map<string, tf.Variable>; opt: AdamW } {
  model.lambda = 1;
  const next = model.toDeploy();
  if (model !== initial) model.dispose();
  return { model: next, vars: makeTrainable(next.weights), opt: newOptimizer(cfg) };
}

/** What a run's epochs carry on from one to the next. */
interface RunState {
  model: Model;
  vars: Map<string, tf.Variable>;
  opt: AdamW;
  /** training the merged (deploy) model: lambda is 1 */
  merged: boolean;
  /** steps done */
  step: number;
}

/** The schedule of a run, fixed at its start. */
interface RunSchedule {
  stepsPerEpoch: number;
  totalSteps: number;
  lrOpts: { lr: number; minLr: number; warmupSteps: number };
  deep: boolean;
}

/** How one epoch's pass over the training batches went: its sums, or why the run ends there. */
type EpochPass =
  { end: null; lossSum: number; correct: number; seen: number; lr: number } | { end: 'diverged' | 'stopped'; message: string; imagesPerSec: number };

/** One epoch's steps over the shuffled training batches (lambda and lr per step, hooks after each). */
async function trainEpoch(s: RunState, epoch: number, trainSet: Dataset, cfg: TrainConfig, sched: RunSchedule, hooks: TrainHooks): Promise<EpochPass> {
  const { stepsPerEpoch, deep } = sched;
  const te = performance.now();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let lr = cfg.lr;
  for (const b of iterateBatches(trainSet, { batchSize: cfg.batchSize, shuffle: true, seed: cfg.seed, epoch, dropLast: true, augment: cfg.augment })) {
    const { model, step } = s;
    if (deep && !s.merged) model.lambda = lambdaAtStep(step, stepsPerEpoch, cfg);
    lr = cosineLr(step, sched.totalSteps, sched.lrOpts);
    const { loss, hits } = await trainStepAsync({ model, vars: s.vars, opt: s.opt, x: b.x, y: b.y, numClasses: trainSet.numClasses, lr, cfg, step });
    b.x.dispose();
    b.y.dispose();
    correct += hits;
    if (!Number.isFinite(loss)) {
      return {
        end: 'diverged',
        message: `loss became ${loss} at epoch ${epoch + 1}, step ${step + 1} (lr ${lr.toExponential(2)}); stopped`,
        imagesPerSec: NaN,
      };
    }
    lossSum += loss * b.size;
    seen += b.size;
    s.step++;
    const stop = await hooks.afterStep?.({ step, epoch, lr, lambda: deep && !s.merged ? model.lambda : 1, loss, indices: b.indices }, model, s.opt);
    const secs = (performance.now() - te) / 1000;
    if (stop) return { end: 'stopped', message: `stopped after step ${s.step}`, imagesPerSec: seen / secs };
    hooks.onStep?.({ epoch, step: s.step - epoch * stepsPerEpoch, stepsPerEpoch, loss, imagesPerSec: seen / secs });
  }
  return { end: null, lossSum, correct, seen, lr };
}

/**
 * `evalSet` is evaluated after every epoch (monitoring: the validation split); `testSet`, when given and cfg.evalTest,
 * scores the final model only (the official test split; may be evalSet itself).
 */
export async function train(
  initial: Model,
  trainSet: Dataset,
  evalSet: Dataset,
  cfg: TrainConfig,
  hooks: TrainHooks = {},
  testSet?: Dataset,
): Promise<TrainResult> {
  const t0 = performance.now();
  const s: RunState = { model: initial, vars: makeTrainable(initial.weights), opt: newOptimizer(cfg), merged: initial.form === 'deploy', step: 0 };
  const stepsPerEpoch = numBatches(trainSet.n, cfg.batchSize, true);
  const deep = initial.options.deepTraining;
  const sched: RunSchedule = {
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * cfg.epochs,
    lrOpts: { lr: cfg.lr, minLr: cfg.minLr, warmupSteps: Math.round(cfg.warmupEpochs * stepsPerEpoch) },
    deep,
  };
  const epochs: EpochMetrics[] = [];
  let imagesSeen = 0;
  let trainSeconds = 0;

  const fail = (message: string): TrainResult => {
    s.opt.dispose();
    return unscoredResult('diverged', message, epochs, imagesSeen / trainSeconds, t0);
  };

  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const te = performance.now();
    const pass = await trainEpoch(s, epoch, trainSet, cfg, sched, hooks);
    if (pass.end === 'diverged') return fail(pass.message);
    if (pass.end !== null) {
      // a hook stopped the run
      s.opt.dispose();
      if (s.model !== initial) s.model.dispose();
      return unscoredResult('ok', pass.message, epochs, pass.imagesPerSec, t0);
    }
    const { lossSum, correct, seen, lr } = pass;
    const trainSecs = (performance.now() - te) / 1000;
    trainSeconds += trainSecs;
    imagesSeen += seen;
    const ev = await evaluate(s.model, evalSet, cfg.evalBatchSize);
    if (!Number.isFinite(ev.loss)) return fail(`validation loss became ${ev.loss} after epoch ${epoch + 1}; stopped`);
    const m: EpochMetrics = {
      epoch: epoch + 1,
      lambda: s.merged ? 1 : s.model.lambda,
      lr,
      trainLoss: lossSum / seen,
      trainTop1: (100 * correct) / seen,
      valLoss: ev.loss,
      valTop1: ev.top1,
      imagesPerSec: seen / trainSecs,
      seconds: (performance.now() - te) / 1000,
      merged: s.merged,
    };
    epochs.push(m);
    hooks.onEpoch?.(m);
    if (cfg.mergeAfterDecay && deep && !s.merged && lambdaAtStep((epoch + 1) * stepsPerEpoch, stepsPerEpoch, cfg) >= 1) {
      s.opt.dispose();
      Object.assign(s, mergedForTraining(s.model, initial, cfg), { merged: true });
    }
  }
  s.opt.dispose();
  const scores = await finalScores(s.model, s.merged, deep, epochs, evalSet, cfg, testSet);
  return { status: 'ok', epochs, ...scores, imagesPerSec: imagesSeen / trainSeconds, wallSeconds: (performance.now() - t0) / 1000 };
}

/**
 * The end of a run: merge (at lambda 1; a run shorter than decayEpochs is merged at 1 too, reported as lambda) and score
 * the trained and the deploy form on the validation split, and on the test split when asked.
 */
async function finalScores(
  model: Model,
  merged: boolean,
  deep: boolean,
  epochs: EpochMetrics[],
  evalSet: Dataset,
  cfg: TrainConfig,
  testSet?: Dataset,
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
  const finalVal = merged || !deep || (last?.lambda ?? 1) >= 1 ? (last?.valTop1 ?? NaN) : (await evaluate(model, evalSet, cfg.evalBatchSize)).top1;
  let testTop1: number | null = null;
  let deployTestTop1: number | null = null;
  if (testSet && cfg.evalTest) {
    // the trained form at lambda 1 (set above) and the merged model; the same model once merged during training
    testTop1 = testSet === evalSet ? finalVal : (await evaluate(model, testSet, cfg.evalBatchSize)).top1;
    deployTestTop1 = testSet === evalSet ? deployEval.top1 : merged ? testTop1 : (await evaluate(deploy, testSet, cfg.evalBatchSize)).top1;
  }
  return { trainTop1: last?.trainTop1 ?? NaN, valTop1: finalVal, deployValTop1: deployEval.top1, testTop1, deployTestTop1, deploy };
}
