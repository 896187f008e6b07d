/**
 * A model instance: its description, its weights and the deep-training lambda, which can be changed at run time
 * (every forward pass reads it) without rebuilding anything.
 */
import * as tf from '@tensorflow/tfjs';
import type { Form, ModelDescription } from '../models/graph.js';
import type { ModelOptions } from '../models/options.js';
import { describeModel } from '../models/zoo.js';
import { forward, type ForwardContext } from './forward.js';
import { toDeploy } from './reparam.js';
import { disposeWeights, initWeights, type Weights } from './weights.js';

export class Model {
  /** deep-training lambda (0 = ReLU, 1 = identity); only read by training forms with deep training */
  lambda = 0;

  constructor(
    readonly desc: ModelDescription,
    readonly options: ModelOptions,
    readonly weights: Weights,
  ) {}

  static descriptionOf(name: string, options: ModelOptions, form: Form): ModelDescription {
    return describeModel(name, options, form);
  }

  static create(name: string, options: ModelOptions, form: Form, seed = 0): Model {
    const desc = describeModel(name, options, form);
    const m = new Model(desc, options, initWeights(desc, seed));
    if (form === 'deploy') m.lambda = 1;
    return m;
  }

  get form(): Form {
    return this.desc.form;
  }

  setLambda(lambda: number): void {
    if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda must be in [0, 1], got ${lambda}`);
    this.lambda = lambda;
  }

  /** Inference (BN running statistics, no dropout). */
  predict(x: tf.Tensor4D): tf.Tensor2D {
    return forward(this.desc, this.weights, x, { training: false, lambda: this.lambda });
  }

  apply(x: tf.Tensor4D, ctx: Omit<ForwardContext, 'lambda'>): tf.Tensor2D {
    return forward(this.desc, this.weights, x, { ...ctx, lambda: this.lambda });
  }

  /** The merged (deploy) model computing the same function; refuses while lambda < 1 (deep training). */
  toDeploy(): Model {
    if (this.form === 'deploy') throw new Error('internal: model is already in deploy form');
    const deploy = describeModel(this.desc.name, this.options, 'deploy');
    const lambda = this.options.deepTraining ? this.lambda : 1;
    const m = new Model(deploy, this.options, toDeploy(this.desc, deploy, this.weights, lambda));
    m.lambda = 1;
    return m;
  }

  dispose(): void {
    disposeWeights(this.weights);
  }
}
