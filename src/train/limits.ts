/**
 * The largest settings a run or a matrix accepts: far beyond any real use (the paper trains 300 epochs on 1.28 M
 * images), and small enough that a typo (epochs: 1e300, batchSize: 1e9, a million seeds) is refused at validation,
 * with the bound in the message, instead of running on for ever or recording runs that took no step.
 */
export const LIMITS = {
  epochs: 10_000,
  batchSize: 65_536,
  /** images in a split (train, validation, test) */
  images: 10_000_000,
  seeds: 1_000,
  /** runs of one matrix (cells x seeds) */
  runs: 100_000,
  /** steps a crosscheck compares */
  steps: 1_000_000,
  /** learning rates and weight decay */
  rate: 100,
} as const;
