/**
 * Smoke test of the ablation machinery (not of the paper): a tiny VanillaNet-5 on synthetic data, deep training
 * on/off, two seeds: 4 runs of a few seconds each. The end-to-end tests run it; `full` is a little bigger.
 */
import { defineExperiment } from '../src/run/experiment.js';

export default defineExperiment({
  name: 'smoke',
  description: 'VanillaNet-5 (width 1/32) on 256 synthetic 32x32 images: deep training on/off, 2 seeds',
  // 256 training images of which 64 are held out for validation; 128 test images (untouched)
  dataset: { name: 'synthetic', trainSize: 256, valSize: 64, testSize: 128, inputSize: 32 },
  models: [{ model: 'vanillanet-5', width: 1 / 32, label: 'VanillaNet-5' }],
  factors: { deepTraining: [false, true] },
  seeds: [1, 2],
  // batch 16 and a faster BN momentum: 24 steps are enough for the running statistics to settle
  train: { epochs: 2, batchSize: 16, decayEpochs: 1, warmupEpochs: 0.5, lr: 3e-3, bnMomentum: 0.3, evalBatchSize: 128 },
  presets: {
    quick: {},
    full: { dataset: { trainSize: 1024, valSize: 256 }, seeds: [1, 2, 3], train: { epochs: 4, decayEpochs: 2 } },
  },
});
