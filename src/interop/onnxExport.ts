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
 * One emitter per op in onnxOps.ts, writing into the graph being built (onnxGraph.ts).
 */
import type { ModelDescription, Shape } from '../models/graph.js';
import type { Weights } from '../nn/weights.js';
import { ONNX_IR_VERSION, ONNX_OPSET, encodeOnnxModel, floatValueInfo, type OnnxModel } from './onnx.js';
import { OnnxGraphBuilder } from './onnxGraph.js';
import { emitterOf } from './onnxOps.js';

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

/** The ONNX model around a built graph: its input and output (NCHW, batch symbolic), producer and metadata. */
function onnxModel(
  desc: ModelDescription,
  g: OnnxGraphBuilder,
  opts: OnnxExportOptions,
  inputShape: (number | string)[],
  outputShape: (number | string)[],
): OnnxModel {
  return {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'vanillabench',
    producer_version: opts.producerVersion ?? '',
    ...(opts.docString ? { doc_string: opts.docString } : {}),
    graph: {
      name: desc.name,
      node: g.nodes,
      initializer: g.inits,
      input: [floatValueInfo(ONNX_INPUT, inputShape)],
      output: [floatValueInfo(ONNX_OUTPUT, outputShape)],
    },
    metadata_props: Object.entries(opts.metadata ?? {}).map(([k, v]) => ({ key: k, value: v })),
  };
}

/** Builds the ONNX graph of a deploy description; `w` holds its weights (tfjs layouts). */
export function exportOnnx(desc: ModelDescription, w: Weights, opts: OnnxExportOptions = {}): OnnxExport {
  if (desc.form !== 'deploy') throw new Error('internal: only deploy forms export to ONNX (merge the model first)');
  const g = new OnnxGraphBuilder(w);
  const shapes = new Map<string, Shape>(desc.nodes.map((n) => [n.id, n.out]));
  /** our node id -> the ONNX value holding its output (dropout aliases its input) */
  const value = new Map<string, string>([['input', ONNX_INPUT]]);
  const valueOf = (id: string) => value.get(id)!;

  for (const n of desc.nodes) {
    if (n.op === 'input') continue;
    const x = value.get(n.inputs[0]);
    if (x === undefined) throw new Error(`internal: ${n.id} reads ${n.inputs[0]} before it is computed`);
    const inShape = shapes.get(n.inputs[0])!;
    const out = n.id === desc.output ? ONNX_OUTPUT : n.id;
    const emit = emitterOf(n.op);
    if (!emit) throw new Error(`internal: ${n.op} (${n.id}) has no place in a deploy form`);
    value.set(n.id, emit(g, n, { x, inShape, out, valueOf }));
  }
  const last = value.get(desc.output)!;
  if (last !== ONNX_OUTPUT) g.emit('Identity', 'output', [last], ONNX_OUTPUT);

  const [h, wd, c] = desc.inputShape;
  const inputShape: (number | string)[] = ['batch', c, h, wd];
  const outputShape: (number | string)[] = ['batch', desc.numClasses];
  const model = onnxModel(desc, g, opts, inputShape, outputShape);
  return {
    bytes: encodeOnnxModel(model),
    model,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    inputName: ONNX_INPUT,
    outputName: ONNX_OUTPUT,
    inputShape,
    outputShape,
    ops: g.ops,
    params: g.params,
  };
}
