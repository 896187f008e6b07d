/** A small real model folder (VanillaNet-5 deploy form, width 1/16, 32 px, 3 classes), as `vanillabench export` writes it. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { modelOptions } from '../../src/models/zoo.js';
import { Model } from '../../src/nn/model.js';
import { saveLayersModel, toLayersModel } from '../../src/nn/export.js';

export async function writeSmallModelFolder(dir: string): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const o = modelOptions('vanillanet-5', { width: 1 / 16, inputSize: 32, numClasses: 3 });
  const train = Model.create('vanillanet-5', o, 'train', 0);
  train.setLambda(1);
  const deploy = train.toDeploy();
  train.dispose();
  await saveLayersModel(toLayersModel(deploy.desc, deploy.weights), dir, { model: 'vanillanet-5', options: o });
  deploy.dispose();
}
