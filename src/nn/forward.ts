/**
 * Runs a model description with tfjs ops: one interpreter for every family and both forms.
 * Inference uses BN's running statistics; training uses the batch's and reports them for the running update.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDescription, Node, Pad4 } from '../models/graph.js';
import { key, type Weights } from './weights.js';
import { tfSeed } from '../util/seed.js';
import { batchNormTraining, canFuse, lambdaActivation, reluActivation } from '../backend/kernels/fused.js';
import { reluDepthwise } from '../backend/kernels/seriesAct.js';

export interface ForwardContext {
  training: boolean;
  /** the deep-training activation's lambda: (1 - lambda) * ReLU(x) + lambda * x */
  lambda: number;
  /** dropout seed for this step (training only), so runs are reproducible */
  dropoutSeed?: number;
  /** training: receives each BN's batch mean and (biased) variance; keep them with tf.keep to use after a tidy */
  onBatchStats?: (nodeId: string, mean: tf.Tensor, variance: tf.Tensor, count: number) => void;
}

function convPad(p: Pad4): 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] {
  return p.every((v) => v === 0)
    ? 'valid'
    : [
        [0, 0],
        [p[0], p[1]],
        [p[2], p[3]],
        [0, 0],
      ];
}

/** PyTorch's adaptive max pooling along one axis: bin i covers [floor(i*n/m), ceil((i+1)*n/m)). */
function adaptiveMaxAxis(x: tf.Tensor, axis: number, outSize: number): tf.Tensor {
  const n = x.shape[axis];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < outSize; i++) {
    starts.push(Math.floor((i * n) / outSize));
    ends.push(Math.ceil(((i + 1) * n) / outSize));
  }
  const widest = Math.max(...ends.map((e, i) => e - starts[i]));
  let out: tf.Tensor | null = null;
  for (let k = 0; k < widest; k++) {
    // Offsets past a bin's end repeat its last element, which leaves the max unchanged.
    const idx = tf.tensor1d(
      starts.map((s, i) => Math.min(s + k, ends[i] - 1)),
      'int32',
    );
    const g = tf.gather(x, idx, axis);
    out = out ? tf.maximum(out, g) : g;
  }
  return out!;
}

export function adaptiveMaxPool(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return adaptiveMaxAxis(adaptiveMaxAxis(x, 1, size), 2, size) as tf.Tensor4D;
}

function batchNorm(node: Node & { op: 'batchnorm' }, x: tf.Tensor, w: Weights, ctx: ForwardContext): tf.Tensor {
  const gamma = w.get(key(node.id, 'gamma'))!;
  const beta = w.get(key(node.id, 'beta'))!;
  if (ctx.training) return batchNormTraining(x, gamma, beta, node.eps, (m, v, n) => ctx.onBatchStats?.(node.id, m, v, n));
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (ctx.training) {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    ({ mean, variance } = tf.moments(x, axes));
    ctx.onBatchStats?.(node.id, mean, variance, x.size / x.shape[x.shape.length - 1]);
  } else {
    mean = w.get(key(node.id, 'movingMean'))!;
    variance = w.get(key(node.id, 'movingVariance'))!;
  }
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, node.eps)));
  return tf.add(tf.mul(tf.sub(x, mean), scale), beta);
}

function runNode(node: Node, inputs: tf.Tensor[], w: Weights, ctx: ForwardContext): tf.Tensor {
  const x = inputs[0];
  const param = (p: string) => w.get(key(node.id, p))!;
  switch (node.op) {
    case 'input':
      throw new Error('internal: input node has no computation');
    case 'conv': {
      // On wasm/cpu the bias goes inside the conv (one kernel, no broadcast Add pass), except where the input is
      // the model's own: the fused op's gradient always computes the input gradient, which nothing needs there.
      if (node.bias && canFuse(x) && !(ctx.training && node.inputs[0] === 'input')) {
        return tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: param('kernel') as tf.Tensor4D,
          strides: node.stride,
          pad: convPad(node.pad),
          bias: param('bias'),
        });
      }
      const y = tf.conv2d(x as tf.Tensor4D, param('kernel') as tf.Tensor4D, node.stride, convPad(node.pad));
      return node.bias ? tf.add(y, param('bias')) : y;
    }
    case 'depthwise': {
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, param('kernel') as tf.Tensor4D, 1, node.pad);
      return node.bias ? tf.add(y, param('bias')) : y;
    }
    case 'dense': {
      const y = tf.matMul(x as tf.Tensor2D, param('kernel') as tf.Tensor2D);
      return node.bias ? tf.add(y, param('bias')) : y;
    }
    case 'batchnorm':
      return batchNorm(node, x, w, ctx);
    case 'relu':
      return canFuse(x) ? reluActivation(x) : tf.relu(x);
    case 'lambdaAct':
      // leaky ReLU with slope lambda: identity at lambda = 1, which is what lets the conv pair merge
      if (ctx.lambda >= 1) return x;
      return canFuse(x) ? lambdaActivation(x, ctx.lambda) : tf.leakyRelu(x, ctx.lambda);
    case 'maxpool':
      return tf.maxPool(x as tf.Tensor4D, node.size, node.stride, node.padMode);
    case 'avgpool':
      return tf.avgPool(x as tf.Tensor4D, node.size, node.stride, node.padMode);
    case 'adaptiveMaxPool':
      return adaptiveMaxPool(x as tf.Tensor4D, node.size);
    case 'globalAvgPool':
      return tf.mean(x, [1, 2]);
    case 'flatten':
      return tf.reshape(x, [x.shape[0], -1]);
    case 'dropout':
      return ctx.training && node.rate > 0 ? tf.dropout(x, node.rate, undefined, ctx.dropoutSeed === undefined ? undefined : tfSeed(ctx.dropoutSeed)) : x;
    case 'add':
      return tf.add(inputs[0], inputs[1]);
  }
}

/**
 * ReLU nodes whose only consumer is a depthwise conv (the series activation's first half), by id: they are run
 * together with it as one tape node (reluDepthwise) where the SIMD kernels can, which saves passes over the data.
 */
function reluIntoDepthwise(desc: ModelDescription): Set<string> {
  const uses = new Map<string, number>();
  for (const node of desc.nodes) for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const relus = new Set(desc.nodes.filter((n) => n.op === 'relu' && uses.get(n.id) === 1 && n.id !== desc.output).map((n) => n.id));
  return new Set(desc.nodes.filter((n) => n.op === 'depthwise' && relus.has(n.inputs[0])).map((n) => n.inputs[0]));
}

/** A depthwise node whose input is a deferred ReLU: both as one node, else the two ops. */
function depthwiseAfterRelu(node: Node & { op: 'depthwise' }, reluInput: tf.Tensor, w: Weights): tf.Tensor {
  const kernel = w.get(key(node.id, 'kernel')) as tf.Tensor4D;
  const y =
    (canFuse(reluInput) ? reluDepthwise(reluInput as tf.Tensor4D, kernel) : undefined) ??
    tf.depthwiseConv2d(tf.relu(reluInput) as tf.Tensor4D, kernel, 1, node.pad);
  return node.bias ? tf.add(y, w.get(key(node.id, 'bias'))!) : y;
}

/** The model's output (logits) for a batch of NHWC images. Call inside tf.tidy or dispose the result. */
export function forward(desc: ModelDescription, w: Weights, input: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
  return tf.tidy(() => {
    const env = new Map<string, tf.Tensor>([['input', input]]);
    const deferred = reluIntoDepthwise(desc);
    for (const node of desc.nodes) {
      if (node.op === 'input' || deferred.has(node.id)) continue;
      if (node.op === 'depthwise' && deferred.has(node.inputs[0])) {
        const relu = desc.nodes.find((n) => n.id === node.inputs[0])!;
        env.set(node.id, depthwiseAfterRelu(node, env.get(relu.inputs[0])!, w));
        continue;
      }
      env.set(
        node.id,
        runNode(
          node,
          node.inputs.map((i) => env.get(i)!),
          w,
          ctx,
        ),
      );
    }
    return env.get(desc.output) as tf.Tensor2D;
  });
}
