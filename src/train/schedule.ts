/** Learning-rate and deep-training lambda schedules, as functions of training progress. */

/** Cosine decay to `minLr` after a linear warm-up (per step). */
export function cosineLr(step: number, totalSteps: number, o: { lr: number; minLr: number; warmupSteps: number }): number {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  const t = Math.min(1, (step - o.warmupSteps) / Math.max(1, totalSteps - o.warmupSteps));
  return o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos(Math.PI * t));
}

export type LambdaShape = 'linear' | 'cosine';

/**
 * The deep-training lambda (0 = ReLU, 1 = identity) after `epochs` (fractional when per step) of `decayEpochs`:
 * linear epoch/decay, or cosine 0.5 * (1 - cos(pi * epoch/decay)); 1 from decayEpochs on.
 * decayEpochs = 0 means no annealing (lambda = 1 throughout would merge trivially; we keep 1).
 */
export function deepTrainingLambda(epochs: number, decayEpochs: number, shape: LambdaShape): number {
  if (decayEpochs <= 0) return 1;
  const t = Math.min(1, Math.max(0, epochs / decayEpochs));
  return shape === 'linear' ? t : 0.5 * (1 - Math.cos(Math.PI * t));
}
