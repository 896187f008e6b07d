/**
 * Deploy form -> a standard TF.js LayersModel (model.json + weights.bin), loadable with tf.loadLayersModel in Node
 * or a browser. Only built-in layers are used, except for the adapool variant's adaptive max pooling, which has no
 * Keras equivalent and is the one small custom layer `AdaptiveMaxPool2D` (register it with
 * `registerCustomLayers()` before loading such a model).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { join } from 'node:path';
import type { ConvNode, ModelDescription } from '../models/graph.js';
import { adaptiveMaxPool } from './forward.js';
import { key, type Weights } from './weights.js';
import { UserError } from '../util/errors.js';

/** PyTorch-style adaptive max pooling to a fixed square size (the 13-1.5x-adapool variant). */
export class AdaptiveMaxPool2D extends tf.layers.Layer {
  static className = 'AdaptiveMaxPool2D';
  readonly size: number;
  constructor(config: { size: number; name?: string }) {
    super(config);
    this.size = config.size;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = s as tf.Shape;
    return [shape[0], this.size, this.size, shape[3]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return adaptiveMaxPool(x as tf.Tensor4D, this.size);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}

let registered = false;
export function registerCustomLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(AdaptiveMaxPool2D);
  registered = true;
}

const layerName = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * Our conv's padding in Keras terms: 'same' where it is the same (stride 1, symmetric, (k - 1) / 2), else an
 * explicit ZeroPadding2D before a 'valid' conv.
 */
function convPadding(n: ConvNode, x: tf.SymbolicTensor, name: string): { xin: tf.SymbolicTensor; padding: 'same' | 'valid' } {
  const [t, b, l, r] = n.pad;
  const sameOk = n.stride === 1 && t === b && l === r && t === l && n.kernel[0] === n.kernel[1] && 2 * t === n.kernel[0] - 1;
  let xin = x;
  if (!sameOk && n.pad.some((v) => v > 0)) {
    xin = tf.layers
      .zeroPadding2d({
        padding: [
          [t, b],
          [l, r],
        ],
        name: `${name}_pad`,
      })
      .apply(x) as tf.SymbolicTensor;
  }
  return { xin, padding: sameOk && t > 0 ? 'same' : 'valid' };
}

/** Builds the tfjs LayersModel of a deploy description, with its weights set. */
export function toLayersModel(desc: ModelDescription, w: Weights): tf.LayersModel {
  if (desc.form !== 'deploy') throw new UserError('only deploy forms export as a LayersModel (merge the model first)');
  registerCustomLayers();
  const input = tf.input({ shape: desc.inputShape, name: 'input' });
  const env = new Map<string, tf.SymbolicTensor>([['input', input]]);
  const setW: [tf.layers.Layer, tf.Tensor[]][] = [];
  const param = (id: string, p: string) => w.get(key(id, p))!;
  /** applies a layer with parameters; they are set once the model is built */
  const weighted = (layer: tf.layers.Layer, input: tf.SymbolicTensor, n: { id: string; bias: boolean }) => {
    const y = layer.apply(input) as tf.SymbolicTensor;
    setW.push([layer, n.bias ? [param(n.id, 'kernel'), param(n.id, 'bias')] : [param(n.id, 'kernel')]]);
    return y;
  };
  for (const n of desc.nodes) {
    if (n.op === 'input') continue;
    const x = env.get(n.inputs[0])!;
    const name = layerName(n.id);
    let y: tf.SymbolicTensor;
    switch (n.op) {
      case 'conv': {
        const { xin, padding } = convPadding(n, x, name);
        const layer = tf.layers.conv2d({ filters: n.filters, kernelSize: n.kernel, strides: n.stride, padding, useBias: n.bias, name });
        y = weighted(layer, xin, n);
        break;
      }
      case 'depthwise':
        y = weighted(tf.layers.depthwiseConv2d({ kernelSize: n.kernel, padding: 'same', useBias: n.bias, depthMultiplier: 1, name }), x, n);
        break;
      case 'dense':
        y = weighted(tf.layers.dense({ units: n.units, useBias: n.bias, name }), x, n);
        break;
      case 'relu':
        y = tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'maxpool':
        y = tf.layers.maxPooling2d({ poolSize: n.size, strides: n.stride, padding: n.padMode, name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'avgpool':
        y = tf.layers.averagePooling2d({ poolSize: n.size, strides: n.stride, padding: n.padMode, name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'adaptiveMaxPool':
        y = new AdaptiveMaxPool2D({ size: n.size, name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'globalAvgPool':
        y = tf.layers.globalAveragePooling2d({ name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'flatten':
        y = tf.layers.flatten({ name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'dropout':
        y = tf.layers.dropout({ rate: n.rate, name }).apply(x) as tf.SymbolicTensor;
        break;
      case 'add':
        y = tf.layers.add({ name }).apply(n.inputs.map((i) => env.get(i)!)) as tf.SymbolicTensor;
        break;
      default:
        throw new Error(`internal: ${n.op} (${n.id}) has no place in a deploy form`);
    }
    env.set(n.id, y);
  }
  const model = tf.model({ inputs: input, outputs: env.get(desc.output)!, name: layerName(desc.name) });
  for (const [layer, ws] of setW) layer.setWeights(ws);
  return model;
}

/** Saves model.json + weights.bin into `dir` (each written to a temporary file, then renamed). */
export async function saveLayersModel(model: tf.LayersModel, dir: string, metadata: Record<string, unknown> = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = new Uint8Array(a.weightData as ArrayBuffer);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'vanillabench',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        userDefinedMetadata: metadata,
      };
      writeFileAtomic(join(dir, 'weights.bin'), weights);
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}
