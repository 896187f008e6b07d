/**
 * Table 3 of the paper at small scale: where a residual shortcut goes in VanillaNet-6 (none, before the activation,
 * after it), with deep training and series informed activation on (the paper's setting). The paper finds shortcuts
 * slightly harmful (76.36 none, 75.92 before-act, 75.72 after-act on ImageNet): negligible effects, so a verdict
 * needs the paired CI within the +-1-point margin. Same protocol as table2.ts (small-image stem, 10000 images x 7
 * epochs, official test split, the authors' recipe): its "none" cell is Table 2's VanillaNet-6 cell with both tricks.
 *
 *   quick: 3 seeds, 4000 + 1000 images, 3 epochs, 2000 test images: 9 runs, 2 min 51 s on 2 workers (measured
 *          2026-12-02 in a fresh clone, SIMD kernels, the 2-core AMD EPYC VM)
 *   full:  8 seeds: 24 runs, 42 min 04 s on 2 workers (measured 2026-12-02, the committed results)
 *   long:  40000 + 2000 images, 10 epochs: about 6x full, estimated
 */
import { defineExperiment } from '../src/ablation/experiment.js';

export default defineExperiment({
  name: 'table3',
  description: 'Table 3: shortcut placement (none / before-act / after-act) in VanillaNet-6 with both training tricks on',
  dataset: { name: 'default', trainSize: 12000, valSize: 2000, inputSize: 32 },
  // the authors' classifier dropout (--drop 0.05 in every VanillaNet training command)
  models: [{ model: 'vanillanet-6', width: 1 / 16, stem: 'small', deepTraining: true, seriesAct: true, dropRate: 0.05, label: 'VanillaNet-6' }],
  factors: { shortcut: ['none', 'before-act', 'after-act'] },
  seeds: [1, 2, 3, 4, 5, 6, 7, 8],
  train: { epochs: 7, batchSize: 64, lr: 2e-3, warmupEpochs: 0.5, weightDecay: 0.05, labelSmoothing: 0.1, augment: true },
  presets: {
    quick: { dataset: { trainSize: 5000, valSize: 1000, testSize: 2000 }, seeds: [1, 2, 3], train: { epochs: 3 } },
    full: {},
    long: { dataset: { trainSize: 42000 }, train: { epochs: 10, warmupEpochs: 1 } },
  },
});
