/**
 * Re-parameterization: training form (+ weights) -> deploy form (+ weights). Every training node carries the
 * deploy node it folds into (`fuse`); the chain of such nodes, in order, is folded left to right:
 *   conv/dense/depthwise     starts the chain: (W, b)
 *   BN                       W' = W * gamma / sqrt(var + eps),  b' = (b - mean) * gamma / sqrt(var + eps) + beta
 *   lambda-act at lambda = 1 identity (refused below 1: the activation is still non-linear)
 *   a following 1x1 conv/dense  W' = W . W2 (over the inner channel, per spatial tap),  b' = b . W2 + b2
 * All of this is exact in real arithmetic; float32 rounding is what verify-reparam measures.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDescription, Node } from '../models/graph.js';
import { UserError } from '../util/errors.js';
import { key, type Weights } from './weights.js';

interface Affine {
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

function foldChain(chain: Node[], w: Weights, lambda: number, target: string): Affine {
  const p = (n: Node, name: string) => {
    const t = w.get(key(n.id, name));
    if (!t) throw new Error(`internal: missing weight ${key(n.id, name)}`);
    return t;
  };
  let acc: Affine | null = null;
  for (const n of chain) {
    if (acc === null) {
      if (n.op !== 'conv' && n.op !== 'dense' && n.op !== 'depthwise') throw new Error(`internal: chain of ${target} starts with ${n.op}`);
      const kernel = p(n, 'kernel');
      const outC: number = kernel.shape[n.op === 'dense' ? 1 : n.op === 'depthwise' ? 2 : 3]!;
      acc = { kernel, bias: n.bias ? p(n, 'bias') : tf.zeros([outC]) };
      continue;
    }
    switch (n.op) {
      case 'batchnorm': {
        const scale = tf.div(p(n, 'gamma'), tf.sqrt(tf.add(p(n, 'movingVariance'), n.eps)));
        // depthwise kernels are [k, k, C, 1]: the channel is axis 2, not the last one
        const kScale: tf.Tensor = acc.kernel.rank === 4 && acc.kernel.shape[3] === 1 && chain[0].op === 'depthwise' ? tf.reshape(scale, [1, 1, -1, 1]) : scale;
        acc = {
          kernel: tf.mul(acc.kernel, kScale),
          bias: tf.add(tf.mul(tf.sub(acc.bias, p(n, 'movingMean')), scale), p(n, 'beta')),
        };
        break;
      }
      case 'lambdaAct':
        if (lambda < 1) {
          throw new UserError(
            `cannot merge ${target}: the deep-training activation ${n.id} is still non-linear at lambda = ${lambda}; ` +
              'conv pairs merge only at lambda = 1 (finish the lambda schedule first)',
          );
        }
        break;
      case 'conv':
      case 'dense': {
        const k2 = p(n, 'kernel');
        if (n.op === 'conv' && (n.kernel[0] !== 1 || n.kernel[1] !== 1 || n.stride !== 1 || n.pad.some((v) => v !== 0))) {
          throw new Error(`internal: ${n.id} is not a 1x1 conv and cannot merge into ${target}`);
        }
        const inner = k2.shape[k2.rank - 2];
        const out = k2.shape[k2.rank - 1];
        const k2m = tf.reshape(k2, [inner, out]);
        const shape: number[] = [...acc.kernel.shape.slice(0, -1), out];
        acc = {
          kernel: tf.reshape(tf.matMul(tf.reshape(acc.kernel, [-1, inner]), k2m), shape),
          bias: tf.add(tf.reshape(tf.matMul(tf.reshape(acc.bias, [1, inner]), k2m), [out]), n.bias ? p(n, 'bias') : 0),
        };
        break;
      }
      default:
        throw new Error(`internal: cannot fold ${n.op} (${n.id}) into ${target}`);
    }
  }
  if (!acc) throw new Error(`internal: nothing folds into ${target}`);
  return acc;
}

/**
 * Deploy-form weights computed from training-form weights. `lambda` is the deep-training activation's current
 * value; below 1 the conv pairs cannot merge and this refuses with a clear message.
 */
export function toDeploy(train: ModelDescription, deploy: ModelDescription, w: Weights, lambda: number): Weights {
  if (train.form !== 'train' || deploy.form !== 'deploy') throw new Error('internal: toDeploy needs a training and a deploy description');
  const chains = new Map<string, Node[]>();
  for (const n of train.nodes) {
    if (n.fuse === undefined) continue;
    if (!chains.has(n.fuse)) chains.set(n.fuse, []);
    chains.get(n.fuse)!.push(n);
  }
  const out: Weights = new Map();
  for (const d of deploy.nodes) {
    if (d.op !== 'conv' && d.op !== 'dense' && d.op !== 'depthwise') continue;
    const chain = chains.get(d.id);
    if (!chain) throw new Error(`internal: no training nodes fold into ${d.id}`);
    const { kernel, bias } = tf.tidy(() => {
      const r = foldChain(chain, w, lambda, d.id);
      // clone: the fold may return an input tensor unchanged (a chain of one layer)
      return { kernel: r.kernel.clone(), bias: r.bias.clone() };
    });
    out.set(key(d.id, 'kernel'), kernel);
    if (d.bias) out.set(key(d.id, 'bias'), bias);
    else bias.dispose();
  }
  return out;
}
