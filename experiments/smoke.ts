/**
 * Smoke test of the ablation machinery (not of the paper): a tiny VanillaNet-5 on synthetic data, deep training
 * on/off, several seeds.
 *
 *   test:  4 runs (256 images, 2 epochs): what the test suite runs. Start-up bound: a worker process's loading and
 *          JIT warm-up cost more than a run, so a second worker does not pay off here.
 *   quick: 6 runs (1280 images, 4 epochs): the smallest matrix where the pool's parallelism shows
 *          (`node dist/scripts/bench/poolBench.js`).
 *   full:  8 runs (2560 images, 6 epochs).
 * Times per preset and worker count: docs/workers-and-queue.md.
 */
import { defineExperiment } from '../src/ablation/experiment.js';

export default defineExperiment({
  name: 'smoke',
  description: 'VanillaNet-5 (width 1/32) on synthetic 32x32 images: deep training on/off, 2-4 seeds',
  // 256 training images of which 64 are held out for validation; 128 test images (untouched)
  dataset: { name: 'synthetic', trainSize: 256, valSize: 64, testSize: 128, inputSize: 32 },
  models: [{ model: 'vanillanet-5', width: 1 / 32, label: 'VanillaNet-5' }],
  factors: { deepTraining: [false, true] },
  seeds: [1, 2],
  // batch 16 and a faster BN momentum: 24 steps are enough for the running statistics to settle
  train: { epochs: 2, batchSize: 16, decayEpochs: 1, warmupEpochs: 0.5, lr: 3e-3, bnMomentum: 0.3, evalBatchSize: 128 },
  presets: {
    test: {},
    quick: { dataset: { trainSize: 1024, valSize: 256 }, seeds: [1, 2, 3], train: { epochs: 4, decayEpochs: 2 } },
    full: { dataset: { trainSize: 2048, valSize: 512 }, seeds: [1, 2, 3, 4], train: { epochs: 6, decayEpochs: 3 } },
  },
});
