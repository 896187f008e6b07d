/**
 * Table 3 of the paper at small scale: where a residual shortcut goes in VanillaNet-6 (none, before the activation,
 * after it), with deep training and series informed activation on (the paper's setting). The paper finds shortcuts
 * slightly harmful on ImageNet, effects under half a point: each is tested for equivalence (rules in
 * src/ablation/rules.ts). Same protocol as table2.ts (small-image stem, official test split, the authors' recipe):
 * its "none" cell is Table 2's VanillaNet-6 cell with both tricks.
 *
 *   quick:   a preview (3 seeds, few images and epochs)
 *   ladder:  full (10000 images x 7 epochs), full-2x (20000 x 7), full-4x (40000 x 7), 8 seeds each: the verdicts
 *   long:    40000 + 2000 images, 10 epochs (not a rung: shown only on request)
 * Measured times per preset: docs/protocol-and-results.md.
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
    'full-2x': { dataset: { trainSize: 22000 } },
    'full-4x': { dataset: { trainSize: 42000 } },
    long: { dataset: { trainSize: 42000 }, train: { epochs: 10, warmupEpochs: 1 } },
  },
  ladder: ['full', 'full-2x', 'full-4x'],
});
