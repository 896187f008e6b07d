/**
 * One ONNX emitter per deploy-form op (the mapping is in onnxExport.ts's header): each adds the nodes that compute
 * our node's output from its input value `x` and returns the ONNX value that holds it.
 */
import type { AdaptiveMaxPoolNode, Node, Shape } from '../models/graph.js';
import { attrInt, attrInts } from './onnx.js';
import type { OnnxGraphBuilder } from './onnxGraph.js';

/** Where an emitter reads and writes. */
export interface EmitAt {
  /** the ONNX value of the node's first input */
  x: string;
  /** that input's shape (ours: [h, w, c] or [c]) */
  inShape: Shape;
  /** the name the output should have */
  out: string;
  /** the ONNX value of any of our nodes computed so far */
  valueOf: (id: string) => string;
}

type DeployOp = 'conv' | 'depthwise' | 'dense' | 'relu' | 'add' | 'maxpool' | 'avgpool' | 'adaptiveMaxPool' | 'globalAvgPool' | 'flatten' | 'dropout';
type Emitter<O extends Node['op']> = (g: OnnxGraphBuilder, n: Node & { op: O }, at: EmitAt) => string;

/** TensorFlow 'same' padding along one axis: total = max((ceil(n/s) - 1) * s + k - n, 0), extra at the end. */
function samePads(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

const pool: Emitter<'maxpool' | 'avgpool'> = (g, n, { x, inShape, out }) => {
  const [h, wd] = inShape;
  const [pt, pb] = n.padMode === 'same' ? samePads(h, n.size, n.stride) : [0, 0];
  const [pl, pr] = n.padMode === 'same' ? samePads(wd, n.size, n.stride) : [0, 0];
  const attrs = [attrInts('kernel_shape', [n.size, n.size]), attrInts('strides', [n.stride, n.stride]), attrInts('pads', [pt, pl, pb, pr])];
  if (n.op === 'avgpool') attrs.push(attrInt('count_include_pad', 0));
  return g.emit(n.op === 'maxpool' ? 'MaxPool' : 'AveragePool', n.id, [x], out, attrs);
};

/**
 * Adaptive max pooling along one axis of unequal bins: one Gather per offset into the bins (offsets past a bin's
 * end repeat its last element, as src/nn/forward.ts does), then their Max.
 */
function adaptiveMaxAlong(g: OnnxGraphBuilder, n: AdaptiveMaxPoolNode, input: string, axis: 2 | 3, len: number, output: string): string {
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
    const idx = g.int64(
      `${n.id}.${tag}.idx${k}`,
      [n.size],
      starts.map((s, i) => Math.min(s + k, ends[i] - 1)),
    );
    picks.push(g.emit('Gather', `${n.id}.${tag}.gather${k}`, [input, idx], widest === 1 ? output : `${n.id}.${tag}.g${k}`, [attrInt('axis', axis)]));
  }
  return widest === 1 ? output : g.emit('Max', `${n.id}.${tag}.max`, picks, output);
}

export const EMITTERS: { [O in DeployOp]: Emitter<O> } = {
  conv: (g, n, { x, inShape, out }) => {
    const [kh, kw] = n.kernel;
    const cin = inShape[2];
    const inputs = [x, g.weight(n, 'kernel', [3, 2, 0, 1], [n.filters, cin, kh, kw])];
    if (n.bias) inputs.push(g.weight(n, 'bias', null, [n.filters]));
    const [t, b, l, r] = n.pad;
    return g.emit('Conv', n.id, inputs, out, [
      attrInts('kernel_shape', [kh, kw]),
      attrInts('strides', [n.stride, n.stride]),
      attrInts('pads', [t, l, b, r]),
      attrInts('dilations', [1, 1]),
      attrInt('group', 1),
    ]);
  },
  depthwise: (g, n, { x, inShape, out }) => {
    const c = inShape[2];
    const inputs = [x, g.weight(n, 'kernel', [2, 3, 0, 1], [c, 1, n.kernel, n.kernel])];
    if (n.bias) inputs.push(g.weight(n, 'bias', null, [c]));
    return g.emit('Conv', n.id, inputs, out, [
      attrInts('kernel_shape', [n.kernel, n.kernel]),
      attrInts('strides', [1, 1]),
      attrInts('pads', [n.pad, n.pad, n.pad, n.pad]),
      attrInts('dilations', [1, 1]),
      attrInt('group', c),
    ]);
  },
  dense: (g, n, { x, inShape, out }) => {
    const inputs = [x, g.weight(n, 'kernel', null, [inShape[0], n.units])];
    if (n.bias) inputs.push(g.weight(n, 'bias', null, [n.units]));
    return g.emit('Gemm', n.id, inputs, out);
  },
  relu: (g, n, { x, out }) => g.emit('Relu', n.id, [x], out),
  add: (g, n, { out, valueOf }) => g.emit('Add', n.id, n.inputs.map(valueOf), out),
  maxpool: pool,
  avgpool: pool,
  adaptiveMaxPool: (g, n, { x, inShape, out }) => {
    const [h, wd] = inShape;
    if (h % n.size === 0 && wd % n.size === 0) {
      // equal bins: an ordinary max pool
      const [sh, sw] = [h / n.size, wd / n.size];
      return g.emit('MaxPool', n.id, [x], out, [attrInts('kernel_shape', [sh, sw]), attrInts('strides', [sh, sw]), attrInts('pads', [0, 0, 0, 0])]);
    }
    return adaptiveMaxAlong(g, n, adaptiveMaxAlong(g, n, x, 2, h, `${n.id}.h`), 3, wd, out);
  },
  globalAvgPool: (g, n, { x, out }) => {
    const pooled = g.emit('GlobalAveragePool', `${n.id}.pool`, [x], `${n.id}.pool`);
    return g.emit('Flatten', n.id, [pooled], out, [attrInt('axis', 1)]);
  },
  flatten: (g, n, { x, inShape, out }) => {
    // our flatten is over (h, w, c); a 1x1 map needs no transpose
    const nhwc =
      inShape.length === 3 && inShape[0] * inShape[1] > 1 ? g.emit('Transpose', `${n.id}.nhwc`, [x], `${n.id}.nhwc`, [attrInts('perm', [0, 2, 3, 1])]) : x;
    return g.emit('Flatten', n.id, [nhwc], out, [attrInt('axis', 1)]);
  },
  // identity at inference: the node's value is its input's
  dropout: (_g, _n, { x }) => x,
};

/** The emitter of `op`; undefined for ops that have no place in a deploy form. */
export function emitterOf(op: Node['op']): Emitter<Node['op']> | undefined {
  return (EMITTERS as Partial<Record<Node['op'], Emitter<Node['op']>>>)[op];
}
