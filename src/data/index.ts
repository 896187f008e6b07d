/** The dataset layer: loaders, transforms, splits and batching. */
export * from './dataset.js';
export * from './rng.js';
export * from './idx.js';
export * from './fashionMnist.js';
export * from './cifar.js';
export * from './imageFolder.js';
export * from './synthetic.js';
export * from './transforms.js';
export * from './split.js';
export * from './batches.js';
export * from './registry.js';
