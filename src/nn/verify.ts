/**
 * Proof that a deploy (merged) model computes its training form's function: random weights, randomised BN
 * statistics and affine parameters, lambda = 1, both forms on the same random inputs.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelOptions } from '../models/options.js';
import { Model } from './model.js';
import { randomizeForCheck } from './weights.js';
import { tfSeed } from '../util/seed.js';

export interface ReparamCheck {
  name: string;
  /** toggles that differ from the zoo's defaults, e.g. "shortcut=before-act" ('' for the default model) */
  variant: string;
  maxAbsErr: number;
  /** max |train - deploy| relative to the largest |train output| */
  maxRelErr: number;
  outputsCompared: number;
}

/** Async: results are read back with data(), which every backend has (webgpu in Node has no synchronous read). */
export async function checkReparam(name: string, options: ModelOptions, variant: string, batch = 2, seed = 0): Promise<ReparamCheck> {
  const train = Model.create(name, options, 'train', seed);
  randomizeForCheck(train.desc, train.weights, seed + 1);
  train.setLambda(1);
  const deploy = train.toDeploy();
  try {
    const [err, max] = tf.tidy(() => {
      const x = tf.randomNormal([batch, options.inputSize, options.inputSize, options.inputChannels], 0, 1, 'float32', tfSeed(seed + 2)) as tf.Tensor4D;
      const a = train.predict(x);
      const b = deploy.predict(x);
      return [tf.max(tf.abs(tf.sub(a, b))), tf.max(tf.abs(a))];
    });
    const [absErr, scale] = await Promise.all([err.data(), max.data()]).then((v) => v.map((d) => d[0]));
    tf.dispose([err, max]);
    const count = batch * options.numClasses;
    return { name, variant, maxAbsErr: absErr, maxRelErr: scale > 0 ? absErr / scale : absErr, outputsCompared: count };
  } finally {
    train.dispose();
    deploy.dispose();
  }
}
