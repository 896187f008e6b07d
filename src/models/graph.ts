/**
 * The model description: a plain, typed, ordered list of layer records (a DAG in topological order).
 * Every consumer reads it: the tfjs forward pass, the counter, re-parameterization and the exporters.
 * Layout is NHWC (tfjs); shapes exclude the batch dimension.
 */
import { UserError } from '../util/errors.js';

export type Shape = number[]; // [h, w, c] for feature maps, [c] after flatten/pooling
export type Pad4 = [top: number, bottom: number, left: number, right: number];

interface NodeBase {
  id: string;
  inputs: string[];
  out: Shape;
  /** training-form nodes: the deploy node this one merges into (absent in deploy form / for parameter-free nodes) */
  fuse?: string;
}

export interface InputNode extends NodeBase {
  op: 'input';
}
export interface ConvNode extends NodeBase {
  op: 'conv';
  filters: number;
  kernel: [number, number];
  stride: number;
  pad: Pad4;
  bias: boolean;
  /** a layer of the network (counts toward depth), or part of a series activation / a shortcut projection */
  role: 'layer' | 'projection';
}
export interface DepthwiseNode extends NodeBase {
  op: 'depthwise';
  kernel: number;
  pad: number;
  bias: boolean;
  /** the series informed activation's learned (2n+1)x(2n+1) kernel */
  role: 'seriesAct';
}
export interface BatchNormNode extends NodeBase {
  op: 'batchnorm';
  eps: number;
}
export interface DenseNode extends NodeBase {
  op: 'dense';
  units: number;
  bias: boolean;
  role: 'layer';
}
/** ReLU, or the deep-training activation (1 - lambda) * ReLU(x) + lambda * x, lambda set at run time. */
export interface ActNode extends NodeBase {
  op: 'relu' | 'lambdaAct';
}
export interface PoolNode extends NodeBase {
  op: 'maxpool' | 'avgpool';
  size: number;
  stride: number;
  /** 'valid' (floor), or TensorFlow's 'same' (used only where the window alignment is ours to choose) */
  padMode: 'valid' | 'same';
}
/** Adaptive max pooling to a fixed size, with PyTorch's bins: [floor(i*in/out), ceil((i+1)*in/out)). */
export interface AdaptiveMaxPoolNode extends NodeBase {
  op: 'adaptiveMaxPool';
  size: number;
}
export interface GlobalAvgPoolNode extends NodeBase {
  op: 'globalAvgPool';
}
export interface FlattenNode extends NodeBase {
  op: 'flatten';
}
export interface DropoutNode extends NodeBase {
  op: 'dropout';
  rate: number;
}
export interface AddNode extends NodeBase {
  op: 'add';
}

export type Node =
  | InputNode
  | ConvNode
  | DepthwiseNode
  | BatchNormNode
  | DenseNode
  | ActNode
  | PoolNode
  | AdaptiveMaxPoolNode
  | GlobalAvgPoolNode
  | FlattenNode
  | DropoutNode
  | AddNode;

export type Form = 'train' | 'deploy';

export interface ModelDescription {
  /** zoo name, e.g. vanillanet-6 */
  name: string;
  family: 'vanillanet' | 'alexnet' | 'resnet';
  form: Form;
  inputShape: Shape;
  numClasses: number;
  nodes: Node[];
  output: string;
}

/** Parameter tensors a node owns, with their shapes (tfjs layouts: conv HWIO, depthwise HWC1, dense IO). */
export function paramShapes(node: Node, inputShape: Shape): Record<string, number[]> {
  switch (node.op) {
    case 'conv': {
      const cin = inputShape[2];
      const p: Record<string, number[]> = { kernel: [node.kernel[0], node.kernel[1], cin, node.filters] };
      if (node.bias) p.bias = [node.filters];
      return p;
    }
    case 'depthwise': {
      const c = inputShape[2];
      const p: Record<string, number[]> = { kernel: [node.kernel, node.kernel, c, 1] };
      if (node.bias) p.bias = [c];
      return p;
    }
    case 'dense': {
      const p: Record<string, number[]> = { kernel: [inputShape[0], node.units] };
      if (node.bias) p.bias = [node.units];
      return p;
    }
    case 'batchnorm': {
      const c = inputShape[inputShape.length - 1];
      return { gamma: [c], beta: [c], movingMean: [c], movingVariance: [c] };
    }
    default:
      return {};
  }
}

/** Builds a description node by node, inferring shapes and checking them as it goes. */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly byId = new Map<string, Node>();
  /** training-form nodes created while this is set are marked as merging into it */
  fuseTarget: string | undefined;

  constructor(readonly inputShape: Shape) {
    this.push({ op: 'input', id: 'input', inputs: [], out: [...inputShape] });
  }

  shape(id: string): Shape {
    const n = this.byId.get(id);
    if (!n) throw new Error(`internal: unknown node ${id}`);
    return n.out;
  }

  /** Runs `body` with every node it creates marked as folding into deploy node `target`. */
  fusing<T>(target: string | undefined, body: () => T): T {
    const prev = this.fuseTarget;
    this.fuseTarget = target;
    try {
      return body();
    } finally {
      this.fuseTarget = prev;
    }
  }

  private push<T extends Node>(node: T): string {
    if (this.byId.has(node.id)) throw new Error(`internal: duplicate node id ${node.id}`);
    if (this.fuseTarget !== undefined && node.op !== 'input') node.fuse = this.fuseTarget;
    for (const d of node.out) {
      if (!Number.isInteger(d) || d < 1) {
        throw new UserError(
          `layer ${node.id} would produce a feature map of shape [${node.out.join(', ')}]: ` +
            `the input [${this.inputShape.join(', ')}] is too small for this model (use a larger --input or the small-image stem)`,
        );
      }
    }
    this.nodes.push(node);
    this.byId.set(node.id, node);
    return node.id;
  }

  conv(
    id: string,
    x: string,
    o: { filters: number; kernel: number | [number, number]; stride?: number; pad?: number | Pad4; bias?: boolean; role?: 'layer' | 'projection' },
  ): string {
    const [h, w] = this.map(x, id);
    const kernel: [number, number] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : o.kernel;
    const stride = o.stride ?? 1;
    const p = o.pad ?? 0;
    const pad: Pad4 = typeof p === 'number' ? [p, p, p, p] : p;
    const oh = Math.floor((h + pad[0] + pad[1] - kernel[0]) / stride) + 1;
    const ow = Math.floor((w + pad[2] + pad[3] - kernel[1]) / stride) + 1;
    return this.push({
      op: 'conv',
      id,
      inputs: [x],
      out: [oh, ow, o.filters],
      filters: o.filters,
      kernel,
      stride,
      pad,
      bias: o.bias ?? true,
      role: o.role ?? 'layer',
    });
  }

  depthwise(id: string, x: string, o: { kernel: number; bias: boolean }): string {
    const [h, w, c] = this.map(x, id);
    if (o.kernel % 2 !== 1) throw new Error('internal: depthwise kernel must be odd');
    return this.push({ op: 'depthwise', id, inputs: [x], out: [h, w, c], kernel: o.kernel, pad: (o.kernel - 1) / 2, bias: o.bias, role: 'seriesAct' });
  }

  batchnorm(id: string, x: string, eps: number): string {
    return this.push({ op: 'batchnorm', id, inputs: [x], out: [...this.shape(x)], eps });
  }

  dense(id: string, x: string, units: number, bias = true): string {
    const s = this.shape(x);
    if (s.length !== 1) throw new Error(`internal: dense ${id} needs a flat input, got [${s.join(', ')}]`);
    return this.push({ op: 'dense', id, inputs: [x], out: [units], units, bias, role: 'layer' });
  }

  act(id: string, x: string, op: 'relu' | 'lambdaAct'): string {
    return this.push({ op, id, inputs: [x], out: [...this.shape(x)] });
  }

  pool(id: string, x: string, op: 'maxpool' | 'avgpool', size: number, stride: number, padMode: 'valid' | 'same' = 'valid'): string {
    const [h, w, c] = this.map(x, id);
    const out =
      padMode === 'same' ? [Math.ceil(h / stride), Math.ceil(w / stride), c] : [Math.floor((h - size) / stride) + 1, Math.floor((w - size) / stride) + 1, c];
    return this.push({ op, id, inputs: [x], out, size, stride, padMode });
  }

  adaptiveMaxPool(id: string, x: string, size: number): string {
    const [, , c] = this.map(x, id);
    return this.push({ op: 'adaptiveMaxPool', id, inputs: [x], out: [size, size, c], size });
  }

  globalAvgPool(id: string, x: string): string {
    const [, , c] = this.map(x, id);
    return this.push({ op: 'globalAvgPool', id, inputs: [x], out: [c] });
  }

  flatten(id: string, x: string): string {
    const s = this.shape(x);
    return this.push({ op: 'flatten', id, inputs: [x], out: [s.reduce((a, b) => a * b, 1)] });
  }

  dropout(id: string, x: string, rate: number): string {
    return this.push({ op: 'dropout', id, inputs: [x], out: [...this.shape(x)], rate });
  }

  add(id: string, a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    if (sa.join() !== sb.join()) throw new Error(`internal: add ${id} of [${sa.join(', ')}] and [${sb.join(', ')}]`);
    return this.push({ op: 'add', id, inputs: [a, b], out: [...sa] });
  }

  finish(meta: Omit<ModelDescription, 'nodes' | 'output' | 'inputShape'>, output: string): ModelDescription {
    return { ...meta, inputShape: [...this.inputShape], nodes: this.nodes, output };
  }

  private map(x: string, id: string): Shape {
    const s = this.shape(x);
    if (s.length !== 3) throw new Error(`internal: ${id} needs a feature map, got [${s.join(', ')}]`);
    return s;
  }
}

/** Input shapes of a node, looked up in the description. */
export function nodeIndex(desc: ModelDescription): Map<string, Node> {
  return new Map(desc.nodes.map((n) => [n.id, n]));
}
