/** Learning-rate and deep-training lambda schedules, as functions of training progress. */
import type { LambdaPer, LambdaShape } from './options.js';

/**
 * The authors' cosine_scheduler (utils.py), per step: a linear warm-up np.linspace(0, lr, warmupSteps) (step 0 at 0,
 * step warmupSteps - 1 at lr), then minLr + 0.5 (lr - minLr)(1 + cos(pi i / n)) for the i-th of the n remaining steps.
 */
export function cosineLr(step: number, totalSteps: number, o: { lr: number; minLr: number; warmupSteps: number }): number {
  if (step < o.warmupSteps) return o.warmupSteps > 1 ? (o.lr * step) / (o.warmupSteps - 1) : 0;
  const t = Math.min(1, (step - o.warmupSteps) / Math.max(1, totalSteps - o.warmupSteps));
  return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos(Math.PI * t));
}

/** Lambda at progress t in [0, 1] of the decay: linear t, or cosine 0.5 (1 - cos(pi t)). */
const shaped = (t: number, shape: LambdaShape): number => (shape === 'linear' ? t : 0.5 * (1 - Math.cos(Math.PI * t)));

/**
 * The deep-training lambda (0 = ReLU, 1 = identity) after `epochs` (fractional when per step) of `decayEpochs`:
 * linear epoch/decay, or cosine 0.5 * (1 - cos(pi * epoch/decay)); 1 from decayEpochs on.
 * decayEpochs = 0 means no annealing (lambda = 1 throughout would merge trivially; we keep 1).
 */
export function deepTrainingLambda(epochs: number, decayEpochs: number, shape: LambdaShape): number {
  if (decayEpochs <= 0) return 1;
  return shaped(Math.min(1, Math.max(0, epochs / decayEpochs)), shape);
}

/** Optimisation steps over which lambda goes 0 -> 1: decayEpochs x stepsPerEpoch rounded half up (Python: floor(x + 0.5)). */
export function decaySteps(decayEpochs: number, stepsPerEpoch: number): number {
  return Math.round(decayEpochs * stepsPerEpoch);
}

/**
 * Lambda for the (0-based, global) optimisation step about to be taken.
 * - per 'step': t = min(1, step / decaySteps): 0 at the first step, exactly 1 from step decaySteps on;
 * - per 'epoch' (the authors' main.py: set at the start of each epoch): t = min(1, floor(step / stepsPerEpoch) / decayEpochs).
 * Linear: lambda = t; cosine: 0.5 (1 - cos(pi t)). decayEpochs <= 0 (or under half a step): 1 throughout.
 */
export function lambdaAtStep(step: number, stepsPerEpoch: number, o: { decayEpochs: number; lambdaShape: LambdaShape; lambdaPer: LambdaPer }): number {
  if (o.lambdaPer === 'epoch') return deepTrainingLambda(Math.floor(step / stepsPerEpoch), o.decayEpochs, o.lambdaShape);
  const d = decaySteps(o.decayEpochs, stepsPerEpoch);
  if (o.decayEpochs <= 0 || d <= 0) return 1;
  return shaped(Math.min(1, Math.max(0, step / d)), o.lambdaShape);
}
