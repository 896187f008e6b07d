/** `latency` flags for a run of a second or two: one tiny deploy form, few samples, no warm-up time. */
export const QUICK_LATENCY = [
  '--form',
  'deploy',
  '--input',
  '32',
  '--width',
  '0.0625',
  '--min-time-ms',
  '20',
  '--min-samples',
  '3',
  '--warmup-runs',
  '1',
  '--warmup-ms',
  '0',
  '--backend',
  'wasm',
];
