/**
 * Parameter tensors of a model description, keyed `<node id>/<param>` (kernel, bias, gamma, beta, movingMean,
 * movingVariance), in tfjs layouts: conv HWIO, depthwise [k, k, C, 1], dense [in, out].
 */
import * as tf from '@tensorflow/tfjs';
import { nodeIndex, paramShapes, type ModelDescription, type Node } from '../models/graph.js';
import { tfSeed } from '../util/seed.js';

export type Weights = Map<string, tf.Tensor>;

export const key = (nodeId: string, param: string) => `${nodeId}/${param}`;

/** Every parameter a description needs, with its shape, in node order. */
export function weightSpecs(desc: ModelDescription): { node: Node; param: string; key: string; shape: number[] }[] {
  const byId = nodeIndex(desc);
  const specs: { node: Node; param: string; key: string; shape: number[] }[] = [];
  for (const node of desc.nodes) {
    const inShape = node.inputs.length ? byId.get(node.inputs[0])!.out : [];
    for (const [param, shape] of Object.entries(paramShapes(node, inShape))) specs.push({ node, param, key: key(node.id, param), shape });
  }
  return specs;
}

export const isTrainable = (param: string) => param !== 'movingMean' && param !== 'movingVariance';

/**
 * Fresh weights, deterministic for a seed. VanillaNet follows the authors (trunc-normal std 0.02 for convs and
 * dense layers, biases 0, the series activation's kernel standard normal); the baselines use He initialisation for
 * convolutions (fan-out, as torchvision's ResNet) and PyTorch's nn.Linear default for dense layers.
 */
export function initWeights(desc: ModelDescription, seed: number): Weights {
  const w: Weights = new Map();
  let i = 0;
  for (const s of weightSpecs(desc)) {
    const sd = tfSeed(seed * 100003 + i++);
    w.set(s.key, tf.tidy(() => {
      switch (s.param) {
        case 'kernel': {
          if (s.node.op === 'depthwise') return tf.randomNormal(s.shape, 0, 1, 'float32', sd);
          if (desc.family === 'vanillanet') return tf.truncatedNormal(s.shape, 0, 0.02, 'float32', sd);
          if (s.node.op === 'dense') {
            // PyTorch's nn.Linear default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torchvision's ResNet fc. (He fan-out
            // on a 10-way classifier gave std 0.45 and initial losses above 10.)
            const bound = 1 / Math.sqrt(s.shape[0]);
            return tf.randomUniform(s.shape, -bound, bound, 'float32', sd);
          }
          const fanOut = s.shape[0] * s.shape[1] * s.shape[3];
          return tf.randomNormal(s.shape, 0, Math.sqrt(2 / fanOut), 'float32', sd);
        }
        case 'gamma':
        case 'movingVariance':
          return tf.ones(s.shape);
        default:
          return tf.zeros(s.shape);
      }
    }));
  }
  return w;
}

/**
 * Randomises what initialisation leaves trivial (BN statistics and affine parameters, biases) so that checks of
 * re-parameterization exercise every term of the algebra.
 */
export function randomizeForCheck(desc: ModelDescription, w: Weights, seed: number): void {
  let i = 0;
  for (const s of weightSpecs(desc)) {
    const sd = tfSeed(seed * 7919 + i++);
    const make = ((): (() => tf.Tensor) | null => {
      switch (s.param) {
        case 'gamma': return () => tf.randomUniform(s.shape, 0.5, 1.5, 'float32', sd);
        case 'beta': return () => tf.randomNormal(s.shape, 0, 0.2, 'float32', sd);
        case 'movingMean': return () => tf.randomNormal(s.shape, 0, 0.2, 'float32', sd);
        case 'movingVariance': return () => tf.randomUniform(s.shape, 0.5, 2, 'float32', sd);
        case 'bias': return () => tf.randomNormal(s.shape, 0, 0.1, 'float32', sd);
        // unit gain, so that deep baselines (ResNet-50 has 49 series activations) stay within float32 range
        case 'kernel': return s.node.op === 'depthwise' ? () => tf.randomNormal(s.shape, 0, 1 / s.shape[0], 'float32', sd) : null;
        default: return null;
      }
    })();
    if (make) {
      w.get(s.key)!.dispose();
      w.set(s.key, make());
    }
  }
}

export function disposeWeights(w: Weights): void {
  for (const t of w.values()) t.dispose();
  w.clear();
}
