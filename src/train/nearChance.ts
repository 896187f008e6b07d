/**
 * A silent trap of short runs: evaluation near chance while training accuracy is far above it. Training normalises
 * each batch by its own statistics, evaluation by the BN running statistics; those start at mean 0, variance 1 and
 * move by `bnMomentum` per step, while the activations of trunc_normal(0.02) weights have variances far below 1.
 * After too few steps the leftover of the initial variance still dominates, every evaluated image is normalised
 * wrongly, and the logits flatten (loss ln K, one class predicted). More momentum (or more steps) settles them.
 */

export interface NearChanceInput {
  trainTop1: number;
  /** the last epoch's evaluation top-1 (percent) and the split it was scored on, e.g. "validation (150 images)" */
  evalTop1: number;
  evalSplit: string;
  classes: number;
  /** optimisation steps taken, and the BN momentum they used */
  steps: number;
  bnMomentum: number;
}

/** Evaluation below this multiple of chance counts as "near chance". */
export const NEAR_CHANCE_MULTIPLE = 1.5;
/** ... while training top-1 is at least this many points above the evaluation. */
export const TRAIN_GAP_POINTS = 25;
/** What is left of the initial statistics after the steps, for the momentum the warning proposes. */
const LEFTOVER = 1e-6;

/** The smallest momentum (one decimal, at most 0.9) that leaves under 1e-6 of the initial statistics after `steps`. */
export function settlingMomentum(steps: number): number {
  const exact = 1 - LEFTOVER ** (1 / Math.max(1, steps));
  return Math.min(0.9, Math.ceil(exact * 10) / 10);
}

/** The warning line, or null when the run's figures do not show the trap. */
export function nearChanceWarning(r: NearChanceInput): string | null {
  const chance = 100 / r.classes;
  if (!(r.evalTop1 < NEAR_CHANCE_MULTIPLE * chance && r.trainTop1 >= r.evalTop1 + TRAIN_GAP_POINTS)) return null;
  const left = (1 - r.bnMomentum) ** r.steps;
  const proposed = settlingMomentum(r.steps);
  const remedy =
    proposed > r.bnMomentum
      ? `rerun with --bn-momentum ${proposed} (leaves under 1e-6 of them after ${r.steps} steps) or train longer`
      : 'train longer (more images or epochs)';
  return (
    `${r.evalSplit} top-1 ${r.evalTop1.toFixed(2)} is near chance (${chance.toFixed(1)} for ${r.classes} classes) while training top-1 is ` +
    `${r.trainTop1.toFixed(2)}: likely cause, the batch-norm running statistics have not settled (momentum ${r.bnMomentum} ` +
    `over ${r.steps} steps leaves ${(left * 100).toPrecision(2)}% of their initial values; evaluation uses them, training does not); ${remedy}`
  );
}
