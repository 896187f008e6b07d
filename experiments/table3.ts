/**
 * Table 3 of the paper at small scale: where a residual shortcut goes in VanillaNet-6 (none, before the
 * activation, after it), with deep training and series informed activation on (the paper's setting). The paper
 * finds shortcuts slightly harmful (76.36 none, 75.92 before-act, 75.72 after-act on ImageNet); the summary says
 * whether that direction holds here. Same data and width as table2.ts.
 *
 *   quick: 3 seeds, 4000 training + 1000 validation images, 5 epochs: 9 runs, 2.7 min on 2 workers (measured 2026-11-29, wasm)
 *   full:  8 seeds, 8000 training + 2000 validation images, 8 epochs: 24 runs, ~22 min on 2 workers (the committed results;
 *          8 seeds because 3 left the shortcut effects inconclusive: a +-2.6-point CI)
 *   long:  8 seeds, 20000 + 2000 images, 15 epochs: 24 runs, ~5 h on 2 cores
 */
import { defineExperiment } from '../src/ablation/experiment.js';

export default defineExperiment({
  name: 'table3',
  description: 'Table 3: shortcut placement (none / before-act / after-act) in VanillaNet-6 with both training tricks on',
  dataset: { name: 'default', trainSize: 10000, valSize: 2000, testSize: 2000, inputSize: 32 },
  // the authors' classifier dropout (--drop 0.05 in every VanillaNet training command)
  models: [{ model: 'vanillanet-6', width: 1 / 16, deepTraining: true, seriesAct: true, dropRate: 0.05, label: 'VanillaNet-6' }],
  factors: { shortcut: ['none', 'before-act', 'after-act'] },
  seeds: [1, 2, 3, 4, 5, 6, 7, 8],
  // the authors' recipe where it does not depend on scale, as table2.ts (lambda per step over epochs / 3, augmentation)
  train: { epochs: 8, batchSize: 64, lr: 2e-3, warmupEpochs: 1, weightDecay: 0.05, labelSmoothing: 0.1, augment: true },
  presets: {
    quick: { dataset: { trainSize: 5000, valSize: 1000 }, seeds: [1, 2, 3], train: { epochs: 5, warmupEpochs: 0.5 } },
    full: {},
    long: { dataset: { trainSize: 22000 }, train: { epochs: 15 } },
  },
});
