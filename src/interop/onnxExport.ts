/**
 * Deploy-form model description (+ weights) -> an ONNX model (opset 13), by walking the same node list as the
 * tfjs forward pass. ONNX is NCHW with OIHW kernels; we are NHWC with HWIO kernels, so kernels are transposed here
 * and every spatial attribute is given in ONNX's (H, W) order. The graph takes `input` [batch, C, H, W] float32
 * and returns `logits` [batch, classes]; the batch dimension is symbolic.
 *
 * Mapping (deploy nodes only; a training form must be merged first):
 *   conv            Conv (pads from our [top, bottom, left, right] to ONNX's [top, left, bottom, right])
 *   depthwise       Conv with group = channels, kernel [C, 1, k, k]
 *   dense           Gemm (our [in, out] kernel is Gemm's B as is)
 *   relu / add      Relu / Add
 *   maxpool/avgpool MaxPool / AveragePool; TensorFlow's 'same' as explicit pads (extra at the end, padding not
 *                   counted in averages, as TensorFlow)
 *   adaptiveMaxPool MaxPool when the size divides evenly; else per axis one Gather per window offset + Max
 *                   (the same decomposition as src/nn/forward.ts: offsets past a bin's end repeat its last element)
 *   globalAvgPool   GlobalAveragePool + Flatten
 *   flatten         Transpose to NHWC + Flatten (our dense kernels expect (h, w, c) order)
 *   dropout         nothing (identity at inference)
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDescription, Node, Shape } from '../models/graph.js';
import { key, type Weights } from '../nn/weights.js';
import {
  ONNX_IR_VERSION, ONNX_OPSET, attrInt, attrInts, encodeOnnxModel, floatTensor, floatValueInfo, int64Tensor,
  type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor,
} from './onnx.js';

export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

export interface OnnxExportOptions {
  producerVersion?: string;
  /** stored as the model's metadata_props (e.g. the zoo name and options) */
  metadata?: Record<string, string>;
  docString?: string;
}

export interface OnnxExport {
  bytes: Uint8Array;
  model: OnnxModel;
  opset: number;
  irVersion: number;
  inputName: string;
  outputName: string;
  /** ONNX input shape, NCHW ('batch' symbolic) */
  inputShape: (number | string)[];
  outputShape: (number | string)[];
  /** operator -> count */
  ops: Record<string, number>;
  /** parameters stored (float32 values of the weight initializers) */
  params: number;
}

/** The tensor's values with its axes permuted (the kernel layouts differ between tfjs and ONNX). */
function permuted(t: tf.Tensor, perm: number[] | null): Float32Array {
  if (perm === null) return t.dataSync() as Float32Array;
  const p = tf.transpose(t, perm);
  try {
    return p.dataSync() as Float32Array;
  } finally {
    p.dispose();
  }
}

/** TensorFlow 'same' padding along one axis: total = max((ceil(n/s) - 1) * s + k - n, 0), extra at the end. */
function samePads(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** Builds the ONNX graph of a deploy description; `w` holds its weights (tfjs layouts). */
export function exportOnnx(desc: ModelDescription, w: Weights, opts: OnnxExportOptions = {}): OnnxExport {
  if (desc.form !== 'deploy') throw new Error('internal: only deploy forms export to ONNX (merge the model first)');
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const shapes = new Map<string, Shape>(desc.nodes.map((n) => [n.id, n.out]));
  /** our node id -> the ONNX value holding its output (dropout aliases its input) */
  const value = new Map<string, string>([['input', ONNX_INPUT]]);
  let params = 0;
  const ops: Record<string, number> = {};
  const emit = (op: string, name: string, input: string[], output: string, attribute: OnnxAttribute[] = []): string => {
    nodes.push({ name, op_type: op, input, output: [output], attribute });
    ops[op] = (ops[op] ?? 0) + 1;
    return output;
  };
  const weight = (n: Node, param: string, perm: number[] | null, dims: number[]): string => {
    const t = w.get(key(n.id, param));
    if (!t) throw new Error(`internal: missing weight ${key(n.id, param)}`);
    const name = `${n.id}.${param === 'kernel' ? 'weight' : param}`;
    inits.push(floatTensor(name, dims, permuted(t, perm)));
    params += t.size;
    return name;
  };
  const outName = (n: Node) => (n.id === desc.output ? ONNX_OUTPUT : n.id);

  for (const n of desc.nodes) {
    if (n.op === 'input') continue;
    const x = value.get(n.inputs[0]);
    if (x === undefined) throw new Error(`internal: ${n.id} reads ${n.inputs[0]} before it is computed`);
    const inShape = shapes.get(n.inputs[0])!;
    const out = outName(n);
    switch (n.op) {
      case 'conv': {
        const [kh, kw] = n.kernel;
        const cin = inShape[2];
        const inputs = [x, weight(n, 'kernel', [3, 2, 0, 1], [n.filters, cin, kh, kw])];
        if (n.bias) inputs.push(weight(n, 'bias', null, [n.filters]));
        const [t, b, l, r] = n.pad;
        value.set(n.id, emit('Conv', n.id, inputs, out, [
          attrInts('kernel_shape', [kh, kw]), attrInts('strides', [n.stride, n.stride]), attrInts('pads', [t, l, b, r]),
          attrInts('dilations', [1, 1]), attrInt('group', 1),
        ]));
        break;
      }
      case 'depthwise': {
        const c = inShape[2];
        const inputs = [x, weight(n, 'kernel', [2, 3, 0, 1], [c, 1, n.kernel, n.kernel])];
        if (n.bias) inputs.push(weight(n, 'bias', null, [c]));
        value.set(n.id, emit('Conv', n.id, inputs, out, [
          attrInts('kernel_shape', [n.kernel, n.kernel]), attrInts('strides', [1, 1]), attrInts('pads', [n.pad, n.pad, n.pad, n.pad]),
          attrInts('dilations', [1, 1]), attrInt('group', c),
        ]));
        break;
      }
      case 'dense': {
        const inputs = [x, weight(n, 'kernel', null, [inShape[0], n.units])];
        if (n.bias) inputs.push(weight(n, 'bias', null, [n.units]));
        value.set(n.id, emit('Gemm', n.id, inputs, out));
        break;
      }
      case 'relu':
        value.set(n.id, emit('Relu', n.id, [x], out));
        break;
      case 'add':
        value.set(n.id, emit('Add', n.id, n.inputs.map((i) => value.get(i)!), out));
        break;
      case 'maxpool':
      case 'avgpool': {
        const [h, wd] = inShape;
        const [pt, pb] = n.padMode === 'same' ? samePads(h, n.size, n.stride) : [0, 0];
        const [pl, pr] = n.padMode === 'same' ? samePads(wd, n.size, n.stride) : [0, 0];
        const attrs = [attrInts('kernel_shape', [n.size, n.size]), attrInts('strides', [n.stride, n.stride]), attrInts('pads', [pt, pl, pb, pr])];
        if (n.op === 'avgpool') attrs.push(attrInt('count_include_pad', 0));
        value.set(n.id, emit(n.op === 'maxpool' ? 'MaxPool' : 'AveragePool', n.id, [x], out, attrs));
        break;
      }
      case 'adaptiveMaxPool': {
        const [h, wd] = inShape;
        if (h % n.size === 0 && wd % n.size === 0) {
          // equal bins: an ordinary max pool
          const [sh, sw] = [h / n.size, wd / n.size];
          value.set(n.id, emit('MaxPool', n.id, [x], out, [attrInts('kernel_shape', [sh, sw]), attrInts('strides', [sh, sw]), attrInts('pads', [0, 0, 0, 0])]));
          break;
        }
        const alongAxis = (input: string, axis: 2 | 3, len: number, output: string): string => {
          const starts: number[] = [];
          const ends: number[] = [];
          for (let i = 0; i < n.size; i++) {
            starts.push(Math.floor((i * len) / n.size));
            ends.push(Math.ceil(((i + 1) * len) / n.size));
          }
          const widest = Math.max(...ends.map((e, i) => e - starts[i]));
          const tag = axis === 2 ? 'h' : 'w';
          const picks: string[] = [];
          for (let k = 0; k < widest; k++) {
            const idx = `${n.id}.${tag}.idx${k}`;
            inits.push(int64Tensor(idx, [n.size], starts.map((s, i) => Math.min(s + k, ends[i] - 1))));
            picks.push(emit('Gather', `${n.id}.${tag}.gather${k}`, [input, idx], widest === 1 ? output : `${n.id}.${tag}.g${k}`, [attrInt('axis', axis)]));
          }
          return widest === 1 ? output : emit('Max', `${n.id}.${tag}.max`, picks, output);
        };
        value.set(n.id, alongAxis(alongAxis(x, 2, h, `${n.id}.h`), 3, wd, out));
        break;
      }
      case 'globalAvgPool': {
        const g = emit('GlobalAveragePool', `${n.id}.pool`, [x], `${n.id}.pool`);
        value.set(n.id, emit('Flatten', n.id, [g], out, [attrInt('axis', 1)]));
        break;
      }
      case 'flatten': {
        // our flatten is over (h, w, c); a 1x1 map needs no transpose
        const nhwc = inShape.length === 3 && inShape[0] * inShape[1] > 1
          ? emit('Transpose', `${n.id}.nhwc`, [x], `${n.id}.nhwc`, [attrInts('perm', [0, 2, 3, 1])])
          : x;
        value.set(n.id, emit('Flatten', n.id, [nhwc], out, [attrInt('axis', 1)]));
        break;
      }
      case 'dropout':
        value.set(n.id, x);
        break;
      default:
        throw new Error(`internal: ${n.op} (${n.id}) has no place in a deploy form`);
    }
  }
  const last = value.get(desc.output)!;
  if (last !== ONNX_OUTPUT) emit('Identity', 'output', [last], ONNX_OUTPUT);

  const [h, wd, c] = desc.inputShape;
  const inputShape: (number | string)[] = ['batch', c, h, wd];
  const outputShape: (number | string)[] = ['batch', desc.numClasses];
  const model: OnnxModel = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'vanillabench',
    producer_version: opts.producerVersion ?? '',
    ...(opts.docString ? { doc_string: opts.docString } : {}),
    graph: {
      name: desc.name,
      node: nodes,
      initializer: inits,
      input: [floatValueInfo(ONNX_INPUT, inputShape)],
      output: [floatValueInfo(ONNX_OUTPUT, outputShape)],
    },
    metadata_props: Object.entries(opts.metadata ?? {}).map(([k, v]) => ({ key: k, value: v })),
  };
  return {
    bytes: encodeOnnxModel(model),
    model,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    inputName: ONNX_INPUT,
    outputName: ONNX_OUTPUT,
    inputShape,
    outputShape,
    ops,
    params,
  };
}
