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
 * timm's / PyTorch's `trunc_normal_(t, std)` as the authors call it: N(0, std^2) truncated at the ABSOLUTE bounds
 * [a, b] = [-2, 2] (not at +-2 std: at std 0.02 the bounds are 100 std away, so this is a plain normal with std 0.02,
 * ~4.6% of values beyond 2 std). tfjs's truncatedNormal cuts at 2 std instead (its std is 0.88 x the parameter).
 * Drawn as N(0, std^2) and clamped to [a, b], which is exact while std << |a|, b (always here: std 0.02, bounds 2;
 * no read-back, so it works on webgpu in Node too). PyTorch draws by inverse CDF and clamps as well.
 */
export function truncNormal(shape: number[], std: number, seed: number, a = -2, b = 2): tf.Tensor {
  return tf.tidy(() => tf.clipByValue(tf.randomNormal(shape, 0, std, 'float32', tfSeed(seed)), a, b));
}

/** The authors' initialisation std for VanillaNet's convs, dense layers and the series activation's kernel. */
export const AUTHORS_INIT_STD = 0.02;

/**
 * Fresh weights, deterministic for a seed. As the authors (models/vanillanet.py):
 * - VanillaNet convs and dense layers: trunc_normal_(std=0.02) (see truncNormal), biases 0;
 * - the series activation's depthwise kernel, in every family: trunc_normal_(std=0.02) (the authors' `activation`
 *   draws randn and then overwrites it with trunc_normal_(std=.02));
 * - BatchNorm: gamma 1, beta 0, running mean 0, running variance 1 (PyTorch's defaults).
 * The baselines' own layers follow torchvision: He initialisation for convolutions (fan-out, as ResNet) and
 * PyTorch's nn.Linear default for dense layers.
 */
export function initWeights(desc: ModelDescription, seed: number): Weights {
  const w: Weights = new Map();
  let i = 0;
  for (const s of weightSpecs(desc)) {
    const raw = seed * 100003 + i++;
    const sd = tfSeed(raw);
    w.set(
      s.key,
      tf.tidy(() => {
        switch (s.param) {
          case 'kernel': {
            if (s.node.op === 'depthwise' || desc.family === 'vanillanet') return truncNormal(s.shape, AUTHORS_INIT_STD, raw);
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
      }),
    );
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
        case 'gamma':
          return () => tf.randomUniform(s.shape, 0.5, 1.5, 'float32', sd);
        case 'beta':
          return () => tf.randomNormal(s.shape, 0, 0.2, 'float32', sd);
        case 'movingMean':
          return () => tf.randomNormal(s.shape, 0, 0.2, 'float32', sd);
        case 'movingVariance':
          return () => tf.randomUniform(s.shape, 0.5, 2, 'float32', sd);
        case 'bias':
          return () => tf.randomNormal(s.shape, 0, 0.1, 'float32', sd);
        // unit gain, so that deep baselines (ResNet-50 has 49 series activations) stay within float32 range
        case 'kernel':
          return s.node.op === 'depthwise' ? () => tf.randomNormal(s.shape, 0, 1 / s.shape[0], 'float32', sd) : null;
        default:
          return null;
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
