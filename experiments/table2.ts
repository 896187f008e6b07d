/**
 * Table 2 of the paper at small scale: the two training tricks (deep training, series informed activation) on
 * VanillaNet-6, AlexNet and ResNet-50, each on/off, several seeds. Fashion-MNIST (padded to 32x32) when
 * installed, else the synthetic data. The paper's figures are ImageNet top-1 at full scale: the summary compares
 * the direction and size of each trick's effect, not the accuracy levels.
 *
 * Widths are cut so a run takes seconds to minutes on one CPU core (wasm backend). VanillaNet-6 keeps its 4x4/4
 * patchify stem (32 -> 8 px; its 'small' stem costs 2-3x for the same accuracy here); AlexNet needs the small-image
 * stem (its 11x11/4 stem would leave nothing of a 32 px image); ResNet-50 keeps its stem (7x7/2 + max-pool: 32 ->
 * 8 px; the 'small' one is ~7x slower).
 *
 *   quick: 2 seeds, 2000 training + 500 validation images, 4 epochs: 24 runs, 5.4 min on 2 workers (measured 2026-11-29, wasm)
 *   full:  3 seeds, 5000 training + 2000 validation images, 6 epochs: 36 runs, 42 min on 2 workers (the committed results)
 *   long:  3 seeds, 10000 + 2000 images, 10 epochs: 36 runs, ~3-4 h on 2 cores (the same matrix, longer)
 */
import { defineExperiment } from '../src/ablation/experiment.js';

export default defineExperiment({
  name: 'table2',
  description: "Table 2: deep training x series informed activation on VanillaNet-6, AlexNet and ResNet-50",
  dataset: { name: 'default', trainSize: 7000, valSize: 2000, testSize: 2000, inputSize: 32 },
  models: [
    // the authors' classifier dropout (--drop 0.05 in every VanillaNet training command); the baselines keep theirs
    { model: 'vanillanet-6', width: 1 / 16, dropRate: 0.05, label: 'VanillaNet-6' },
    { model: 'alexnet', width: 1 / 8, stem: 'small', label: 'AlexNet' },
    { model: 'resnet-50', width: 1 / 8, label: 'ResNet-50' },
  ],
  factors: { deepTraining: [false, true], seriesAct: [false, true] },
  seeds: [1, 2, 3],
  // the authors' recipe where it does not depend on scale (README: "our recipe vs the authors'"): deep training
  // anneals lambda 0 -> 1 per step over the first third of the epochs (decayEpochs defaults to epochs / 3, the
  // authors' 100/300); light augmentation (random crop with padding 4 + horizontal flip) on the training batches
  train: { epochs: 6, batchSize: 64, lr: 2e-3, warmupEpochs: 1, weightDecay: 0.05, labelSmoothing: 0.1, augment: true },
  presets: {
    quick: { dataset: { trainSize: 2500, valSize: 500 }, seeds: [1, 2], train: { epochs: 4, warmupEpochs: 0.5 } },
    full: {},
    long: { dataset: { trainSize: 12000 }, train: { epochs: 10 } },
  },
});
