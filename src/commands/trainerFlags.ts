/**
 * The trainer's recipe flags that `train` and `crosscheck` share (same names, ranges, defaults and help), so that
 * both commands describe one recipe; each command adds its own data, size and learning-rate flags.
 */
import { LIMITS } from '../train/limits.js';
import { DEFAULT_TRAIN_CONFIG as D } from '../train/trainer.js';

export const RECIPE_FLAGS = {
  minLr: { type: 'number', min: 0, max: LIMITS.rate, default: D.minLr, description: 'final learning rate of the cosine' },
  weightDecay: { type: 'number', min: 0, max: LIMITS.rate, default: D.weightDecay, description: 'decoupled weight decay' },
  warmupEpochs: { type: 'number', min: 0, max: LIMITS.epochs, default: D.warmupEpochs, description: 'linear warm-up epochs' },
  labelSmoothing: { type: 'number', min: 0, max: 0.99, default: D.labelSmoothing, description: 'label smoothing' },
  decayEpochs: {
    type: 'number',
    min: 0,
    max: LIMITS.epochs,
    description: "epochs over which lambda goes 0 -> 1 (default: a third of the epochs, as the authors' 100/300)",
  },
  lambdaShape: { type: 'string', choices: ['linear', 'cosine'], default: D.lambdaShape, description: 'lambda schedule' },
  lambdaPer: { type: 'string', choices: ['step', 'epoch'], default: D.lambdaPer, description: 'lambda updated per step or per epoch' },
  bnMomentum: {
    type: 'number',
    min: 0,
    max: 1,
    default: D.bnMomentum,
    description: 'batch-norm running statistics: running = (1 - m) running + m batch; runs of a few dozen steps need more (e.g. 0.3) to settle',
    valueName: 'm',
  },
} as const;
